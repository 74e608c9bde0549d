package sqlstore

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations
var migrations embed.FS

// migrate applies the engine's pending migrations in order, each in its own transaction together
// with its row in schema_migrations. On PostgreSQL each transaction first takes an advisory lock,
// so that servers starting at once apply every migration exactly once. A migration that a read
// shows applied is skipped without a write transaction, so that opening a migrated database (every
// operator command does) costs no flush.
func (s *Store) migrate(ctx context.Context) error {
	applied := s.appliedMigrations(ctx)
	dir := "migrations/" + s.engine.name
	names, err := fs.Glob(migrations, dir+"/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		base := strings.TrimPrefix(name, dir+"/")
		version, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: name must start with its number", base)
		}
		if applied[version] {
			continue
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		err = s.withTx(ctx, func(ctx context.Context, tx *writeTx) error {
			if s.engine.lockMigrations != "" {
				if _, err := tx.ExecContext(ctx, s.engine.lockMigrations); err != nil {
					return fmt.Errorf("lock: %w", err)
				}
			}
			if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
				version    BIGINT PRIMARY KEY,
				name       TEXT   NOT NULL,
				applied_at BIGINT NOT NULL)`); err != nil {
				return err
			}
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = $1`, version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`, version, base, s.nowMillis())
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", base, err)
		}
	}
	return nil
}

// appliedMigrations returns the versions that schema_migrations records, or none when it cannot
// be read (a new database has no such table): those migrations then take the locked path, which
// checks again.
func (s *Store) appliedMigrations(ctx context.Context) map[int]bool {
	applied := map[int]bool{}
	rows, err := s.read.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return applied
	}
	defer rows.Close()
	for rows.Next() {
		var v int
		if rows.Scan(&v) == nil {
			applied[v] = true
		}
	}
	return applied
}
