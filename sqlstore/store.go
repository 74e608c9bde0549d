// Package sqlstore stores Coffer's data in SQL through database/sql, on embedded SQLite
// (modernc.org/sqlite) or on PostgreSQL (pgx). The business rules are written once, in SQL that
// both engines run; the engines differ only in the seam of engine.go: how to open, which
// migrations, and how to classify their errors.
package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cofferhq/coffer"
)

// Store implements the services of the domain on a SQL database. It is safe for concurrent use,
// by one process or by several sharing the database.
type Store struct {
	engine *engine
	write  *sql.DB // SQLite: the one writer connection; PostgreSQL: the pool
	read   *sql.DB // SQLite: a pool of read-only connections; PostgreSQL: the same pool as write
	now    func() time.Time
	cursor []byte     // the secret that keys list cursors
	batch  *batcher   // SQLite: group commit of write commands; nil on PostgreSQL
	stmts  *stmtCache // SQLite: prepared read statements; nil on PostgreSQL
}

// Options tune a store. The zero value is usable.
type Options struct {
	MaxConns     int // PostgreSQL pool size, or SQLite readers; 0 for the default
	MaxIdleConns int // 0 for the default
}

// Open opens the database named by dsn, a postgres:// URL or a SQLite file path, checks its
// settings and applies pending migrations.
func Open(ctx context.Context, dsn string, opt Options) (*Store, error) {
	e := sqliteEngine
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		e = postgresEngine
	}
	write, read, err := e.open(ctx, dsn, opt)
	if err != nil {
		return nil, err
	}
	s := &Store{engine: e, write: write, read: read, now: time.Now}
	if e == sqliteEngine {
		s.batch = newBatcher(write)
		s.stmts = newStmtCache(read)
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if s.cursor, err = s.secret(ctx, "cursor_key"); err != nil {
		s.Close()
		return nil, fmt.Errorf("cursor secret: %w", err)
	}
	return s, nil
}

// Engine names the engine: "sqlite" or "postgres".
func (s *Store) Engine() string { return s.engine.name }

// DBs returns the connection pools by name, for metrics.
func (s *Store) DBs() map[string]*sql.DB {
	if s.read == s.write {
		return map[string]*sql.DB{"main": s.write}
	}
	return map[string]*sql.DB{"write": s.write, "read": s.read}
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.write.PingContext(ctx); err != nil {
		return s.classify(err)
	}
	return nil
}

// Close closes the pools.
func (s *Store) Close() error {
	if s.batch != nil {
		s.batch.close()
		s.stmts.close()
	}
	err := s.write.Close()
	if s.read != s.write {
		err = errors.Join(err, s.read.Close())
	}
	return err
}

// CursorSecret returns the secret that keys list cursors. It is made on first start and kept in
// the database, so that every server on the database accepts the cursors of the others.
func (s *Store) CursorSecret() []byte { return s.cursor }

// secret returns the named 32-byte secret of the settings table, making it the first time.
func (s *Store) secret(ctx context.Context, name string) ([]byte, error) {
	var value []byte
	// Every open but the first finds it: a read, not a write transaction and its flush.
	if err := s.read.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = $1`, name).Scan(&value); err == nil {
		return value, nil
	}
	fresh := make([]byte, 32)
	rand.Read(fresh)
	err := s.withTx(ctx, func(ctx context.Context, tx *writeTx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, fresh); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = $1`, name).Scan(&value)
	})
	return value, err
}

// nowMillis is the time of a command, taken once per command, in the stored unit.
func (s *Store) nowMillis() int64 { return s.now().UnixMilli() }

func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// withTx runs fn as one write command: all of it is committed, or none of it. fn must use the
// context it is given for its statements. On SQLite the command shares its transaction with the
// commands of concurrent requests (see batcher); on PostgreSQL it has a transaction of its own.
func (s *Store) withTx(ctx context.Context, fn func(ctx context.Context, tx *writeTx) error) error {
	if s.batch != nil {
		return s.classify(s.batch.do(ctx, fn))
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return s.classify(fmt.Errorf("begin: %w", err))
	}
	defer tx.Rollback()
	if err := fn(ctx, &writeTx{tx: tx}); err != nil {
		return s.classify(err)
	}
	if err := tx.Commit(); err != nil {
		return s.classify(fmt.Errorf("commit: %w", err))
	}
	return nil
}

// classify turns a database error into a domain error: an *coffer.Error passes unchanged, a
// database that cannot be reached is EUNAVAILABLE, a cancelled request keeps its context error,
// and anything else is internal.
func (s *Store) classify(err error) error {
	var e *coffer.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &e):
		return err
	case s.engine.unavailable(err):
		// Before the context errors: a connect that timed out is an outage, not a slow request.
		return &coffer.Error{Code: coffer.EUNAVAILABLE, Key: "503.000", Message: "The database is unavailable; retry later.", Err: err}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	default:
		return coffer.Internal(err)
	}
}

// randomDigits returns n random decimal digits.
func randomDigits(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = '0' + b[i]%10 // 256 % 10 != 0 skews towards 0-5 by under 1%, harmless for numbers
	}
	return string(b)
}
