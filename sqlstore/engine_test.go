package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/testdb"
	"github.com/jackc/pgx/v5/pgconn"
)

func TestPostgresUnavailable(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"connection exception 08006", &pgconn.PgError{Code: "08006"}, true},
		{"connection does not exist 08003", &pgconn.PgError{Code: "08003"}, true},
		{"admin shutdown 57P01", &pgconn.PgError{Code: "57P01"}, true},
		{"crash shutdown 57P02", &pgconn.PgError{Code: "57P02"}, true},
		{"cannot connect now 57P03", &pgconn.PgError{Code: "57P03"}, true},
		{"too many connections 53300", &pgconn.PgError{Code: "53300"}, true},
		{"wrapped admin shutdown", fmt.Errorf("commit: %w", &pgconn.PgError{Code: "57P01"}), true},
		{"connection refused", refused, true},
		{"connection reset", fmt.Errorf("read: %w", syscall.ECONNRESET), true},
		{"unexpected EOF", fmt.Errorf("receive message: %w", io.ErrUnexpectedEOF), true},
		{"bad connection", driver.ErrBadConn, true},
		{"connection done", sql.ErrConnDone, true},
		{"unique violation", &pgconn.PgError{Code: "23505", ConstraintName: "customers_identifier_key"}, false},
		{"check violation", &pgconn.PgError{Code: "23514"}, false},
		{"syntax error", &pgconn.PgError{Code: "42601"}, false},
		{"database dropped 57P04", &pgconn.PgError{Code: "57P04"}, false},
		{"query canceled 57014", &pgconn.PgError{Code: "57014"}, false},
		// A message that reads like an outage but has no code or type that says so.
		{"text only", errors.New("dial tcp 127.0.0.1:5432: connect: connection refused"), false},
		{"internal error with admin-shutdown text", &pgconn.PgError{Code: "XX000", Message: "terminating connection due to administrator command"}, false},
		{"no rows", sql.ErrNoRows, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := postgresUnavailable(tt.err); got != tt.want {
				t.Errorf("postgresUnavailable(%v): got %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

// freePort returns a TCP port of 127.0.0.1 that nothing listens on now.
func freePort(tb testing.TB) int {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// silentServer accepts connections and never says a word, like a PostgreSQL behind a network
// that drops packets.
func silentServer(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	tb.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// openBounded runs Open in the background and fails the test if it has not returned by limit,
// so that a hang is a failure rather than a stuck test.
func openBounded(tb testing.TB, dsn string, limit time.Duration) (time.Duration, error) {
	tb.Helper()
	type result struct {
		s   *Store
		err error
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		s, err := Open(context.Background(), dsn, Options{})
		done <- result{s, err}
	}()
	select {
	case r := <-done:
		if r.s != nil {
			r.s.Close()
		}
		return time.Since(start), r.err
	case <-time.After(limit):
		tb.Fatalf("Open(%s) still waiting after %v", dsn, limit)
		return 0, nil
	}
}

func TestPostgresConnectTimeout(t *testing.T) {
	addr := silentServer(t)
	t.Run("default", func(t *testing.T) {
		_, err := openBounded(t, "postgres://coffer@"+addr+"/coffer?sslmode=disable", 4*DefaultConnectTimeout)
		if err == nil {
			t.Fatal("Open: got nil error from a server that never answers")
		}
		if !postgresUnavailable(err) {
			t.Errorf("Open: got %v, want an error classified as unavailable", err)
		}
	})
	t.Run("from the URL", func(t *testing.T) {
		elapsed, err := openBounded(t, "postgres://coffer@"+addr+"/coffer?sslmode=disable&connect_timeout=1", 4*DefaultConnectTimeout)
		if err == nil {
			t.Fatal("Open: got nil error from a server that never answers")
		}
		if elapsed >= DefaultConnectTimeout {
			t.Errorf("Open with connect_timeout=1 took %v, want less than the default %v", elapsed, DefaultConnectTimeout)
		}
	})
	t.Run("refused", func(t *testing.T) {
		_, err := openBounded(t, fmt.Sprintf("postgres://coffer@127.0.0.1:%d/coffer?sslmode=disable", freePort(t)), 4*DefaultConnectTimeout)
		if !postgresUnavailable(err) {
			t.Errorf("Open on a closed port: got %v, want an error classified as unavailable", err)
		}
	})
}

// TestPostgresBrokenConnections kills every connection of the store's pool on the server side,
// as a PostgreSQL restart does, and checks that the store answers "unavailable" (never an
// internal error) until it has replaced them, which it does by itself.
func TestPostgresBrokenConnections(t *testing.T) {
	dsn := testdb.Postgres(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := Open(ctx, dsn, Options{MaxConns: 4, MaxIdleConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.CreatePlatform(ctx, "broken-conns"); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := sql.Open("pgx", os.Getenv(testdb.PostgresEnv))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()

	// fill opens every connection of the pool at once, so that all of them are idle in the pool
	// when they are killed.
	fill := func() {
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				if _, err := s.write.ExecContext(ctx, `SELECT pg_sleep(0.05)`); err != nil {
					t.Errorf("fill the pool: %v", err)
				}
			})
		}
		wg.Wait()
	}
	kill := func() int {
		var n int
		err := admin.QueryRowContext(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE datname = $1 AND pid <> pg_backend_pid()`, u.Path[1:]).Scan(&n)
		if err != nil {
			t.Fatalf("terminate backends: %v", err)
		}
		return n
	}

	calls := []struct {
		name string
		fn   func() error
	}{
		{"read", func() error { _, err := s.CountPlatforms(ctx); return err }},
		{"write", func() error { _, err := s.CreateKey(ctx, "broken-conns", false, nil); return err }},
		{"ping", func() error { return s.Ping(ctx) }},
	}
	// round makes four calls at once, so that every connection of the pool is taken, and
	// returns their errors.
	round := func(fn func() error) []error {
		errs := make([]error, 4)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Go(func() { errs[i] = fn() })
		}
		wg.Wait()
		return errs
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			fill()
			if n := kill(); n == 0 {
				t.Fatal("no backend of the store to terminate")
			}
			// Each killed connection may fail one call, with "unavailable"; a connection that
			// failed is discarded, so that after that every call works.
			failures := 0
			for r := range 4 {
				for _, err := range round(c.fn) {
					if err == nil {
						continue
					}
					failures++
					if code := coffer.ErrorCode(err); code != coffer.EUNAVAILABLE {
						t.Errorf("round %d: got %v (code %q), want success or %q", r, err, code, coffer.EUNAVAILABLE)
					}
				}
			}
			if failures > 4 {
				t.Errorf("got %d failed calls, want at most 4 (one per killed connection)", failures)
			}
			for i, err := range round(c.fn) {
				if err != nil {
					t.Errorf("call %d after the broken connections were used: %v", i, err)
				}
			}
		})
	}
}

// TestSQLiteConcurrentOpen opens a new database file from several connections at once, as
// servers and operator commands starting together do: every open succeeds, although SQLite
// answers the losers of the race to switch the file to WAL with an immediate SQLITE_BUSY.
func TestSQLiteConcurrentOpen(t *testing.T) {
	for round := range 100 {
		path := filepath.Join(t.TempDir(), "coffer.db")
		var wg sync.WaitGroup
		for range 6 {
			wg.Go(func() {
				s, err := Open(context.Background(), path, Options{})
				if err != nil {
					t.Errorf("round %d: %v", round, err)
					return
				}
				s.Close()
			})
		}
		wg.Wait()
		if t.Failed() {
			return
		}
	}
}

// TestPostgresSynchronousCommit checks that connections commit synchronously by default, and that
// a URL turning it off is refused rather than silently risking acknowledged writes.
func TestPostgresSynchronousCommit(t *testing.T) {
	dsn := testdb.Postgres(t)
	ctx := context.Background()
	s, err := Open(ctx, dsn, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got string
	if err := s.read.QueryRowContext(ctx, `SHOW synchronous_commit`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if got != "on" {
		t.Errorf("synchronous_commit: got %q, want on", got)
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	if s, err := Open(ctx, dsn+sep+"synchronous_commit=off", Options{}); err == nil {
		s.Close()
		t.Error("a URL with synchronous_commit=off was accepted")
	} else if !strings.Contains(err.Error(), "synchronous_commit") {
		t.Errorf("error: got %v, want one naming synchronous_commit", err)
	}
}
