package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cofferhq/coffer/internal/testdb"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// openTest opens a store on dsn, closed when the test ends.
func openTest(tb testing.TB, dsn string, opt Options) *Store {
	tb.Helper()
	s, err := Open(context.Background(), dsn, opt)
	if err != nil {
		tb.Fatalf("open %s: %v", dsn, err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func TestSQLitePragmas(t *testing.T) {
	ctx := context.Background()
	const readers = 4
	s := openTest(t, testdb.SQLite(t), Options{MaxConns: readers})
	dbs := s.DBs()
	tests := []struct {
		pool      string
		conns     int
		queryOnly string
	}{
		{"write", 1, "0"},
		{"read", readers, "1"},
	}
	for _, tt := range tests {
		t.Run(tt.pool, func(t *testing.T) {
			db := dbs[tt.pool]
			if db == nil {
				t.Fatalf("no pool %q in %v", tt.pool, dbs)
			}
			if got := db.Stats().MaxOpenConnections; got != tt.conns {
				t.Errorf("max open connections: got %d, want %d", got, tt.conns)
			}
			// Hold every connection of the pool at once, so that each one is checked.
			var conns []*sql.Conn
			for range tt.conns {
				c, err := db.Conn(ctx)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				conns = append(conns, c)
			}
			for i, c := range conns {
				for _, p := range []struct{ name, want string }{
					{"journal_mode", "wal"},
					{"synchronous", "2"}, // FULL
					{"foreign_keys", "1"},
					{"busy_timeout", "5000"},
					{"query_only", tt.queryOnly},
				} {
					var got string
					if err := c.QueryRowContext(ctx, "PRAGMA "+p.name).Scan(&got); err != nil {
						t.Fatalf("connection %d: pragma %s: %v", i, p.name, err)
					}
					if got != p.want {
						t.Errorf("connection %d: pragma %s: got %q, want %q", i, p.name, got, p.want)
					}
				}
			}
		})
	}
	if _, err := dbs["read"].ExecContext(ctx, `CREATE TABLE nope (a INTEGER)`); err == nil {
		t.Errorf("a read connection wrote")
	}
}

func TestSQLiteWriteTransactionsAreImmediate(t *testing.T) {
	ctx := context.Background()
	path := testdb.SQLite(t)
	s := openTest(t, path, Options{})
	other, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(0)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	// A store transaction that has not written yet already holds the write lock.
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM platforms`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	_, err = conn.ExecContext(ctx, `BEGIN IMMEDIATE`)
	var se *sqlite.Error
	if !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_BUSY {
		t.Errorf("another writer during a store transaction: got %v, want SQLITE_BUSY", err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		t.Errorf("another writer after the store transaction: %v", err)
	}
	conn.ExecContext(ctx, `ROLLBACK`)
}

func TestSQLiteRefusesSettingsThatDidNotTake(t *testing.T) {
	// An in-memory database cannot be in WAL mode: the store must refuse it, not run without.
	s, err := Open(context.Background(), ":memory:", Options{})
	if err == nil {
		s.Close()
		t.Fatal("opened an in-memory database, want a refusal")
	}
	if !strings.Contains(err.Error(), "journal_mode") {
		t.Errorf("error: got %q, want it to name journal_mode", err)
	}
	// A path that would smuggle its own settings in is refused too.
	dir := t.TempDir()
	for _, path := range []string{"", filepath.Join(dir, "coffer.db?_pragma=foreign_keys(0)"), filepath.Join(dir, "coffer.db#x")} {
		if s, err := Open(context.Background(), path, Options{}); err == nil {
			s.Close()
			t.Errorf("Open(%q): got a store, want a refusal", path)
		}
	}
}

// migrationRow is a row of schema_migrations.
type migrationRow struct {
	Version   int64
	Name      string
	AppliedAt int64
}

func migrationRows(tb testing.TB, s *Store) []migrationRow {
	tb.Helper()
	rows, err := s.write.QueryContext(context.Background(), `SELECT version, name, applied_at FROM schema_migrations ORDER BY version, name`)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var out []migrationRow
	for rows.Next() {
		var r migrationRow
		if err := rows.Scan(&r.Version, &r.Name, &r.AppliedAt); err != nil {
			tb.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

func TestMigrationsAreRecordedOnce(t *testing.T) {
	testdb.ForEachEngine(t, func(t *testing.T, dsn string) {
		s, err := Open(context.Background(), dsn, Options{})
		if err != nil {
			t.Fatal(err)
		}
		files, err := fs.Glob(migrations, "migrations/"+s.Engine()+"/*.sql")
		if err != nil || len(files) == 0 {
			t.Fatalf("migrations of %s: got %v, %v", s.Engine(), files, err)
		}
		first := migrationRows(t, s)
		var names []string
		for _, r := range first {
			names = append(names, r.Name)
			if r.AppliedAt <= 0 {
				t.Errorf("migration %s: applied_at %d", r.Name, r.AppliedAt)
			}
		}
		var want []string
		for _, f := range files {
			want = append(want, filepath.Base(f))
		}
		if !slices.Equal(names, want) {
			t.Errorf("recorded migrations: got %q, want %q, each once", names, want)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}

		// Re-opening, and opening twice at once, applies nothing new.
		a := openTest(t, dsn, Options{})
		b := openTest(t, dsn, Options{})
		for _, s := range []*Store{a, b} {
			if again := migrationRows(t, s); !slices.Equal(again, first) {
				t.Errorf("after re-opening: got %v, want %v", again, first)
			}
		}
	})
}
