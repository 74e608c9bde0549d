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
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// engine is the seam between the two databases: everything else in this package is shared.
type engine struct {
	name string
	open func(ctx context.Context, dsn string, opt Options) (write, read *sql.DB, err error)
	// lockMigrations is run first in each migration's transaction ("" for none).
	lockMigrations string
	// uniqueViolation reports whether err violates a unique constraint and, where the engine
	// tells, the constraint's name.
	uniqueViolation func(err error) (constraint string, ok bool)
	// unavailable reports whether err means the database cannot be reached or is too busy now.
	unavailable func(err error) bool
}

// busyTimeout is how long a SQLite connection waits for another process's write lock.
const busyTimeout = 5 * time.Second

var sqliteEngine = &engine{
	name: "sqlite",
	open: openSQLite,
	uniqueViolation: func(err error) (string, bool) {
		// SQLite does not name the constraint; statements are written so that at most one
		// unique constraint can fail (the others are ON CONFLICT targets).
		var e *sqlite.Error
		if errors.As(err, &e) && (e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) {
			return "", true
		}
		return "", false
	},
	unavailable: sqliteBusy,
}

// sqliteBusy reports whether err is SQLITE_BUSY or SQLITE_LOCKED: another connection holds a lock
// for longer than the busy timeout, or the busy handler could not be used.
func sqliteBusy(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && (e.Code()&0xff == sqlite3.SQLITE_BUSY || e.Code()&0xff == sqlite3.SQLITE_LOCKED)
}

// retryBusy runs fn again while it fails with SQLITE_BUSY, for up to busyTimeout. Processes that
// open a new database file at the same moment race to switch it to WAL, and SQLite answers the
// losers' first statements with SQLITE_BUSY at once, without waiting on the busy timeout.
func retryBusy(ctx context.Context, fn func() error) error {
	deadline := time.Now().Add(busyTimeout)
	for {
		err := fn()
		if err == nil || !sqliteBusy(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// SQLiteDSN returns the data source name (for the "sqlite" driver of modernc.org/sqlite) with
// which the store opens the SQLite file at path: every connection gets a busy timeout, WAL,
// synchronous=FULL and foreign keys; the writer's transactions take the write lock at BEGIN
// (IMMEDIATE), and a readOnly connection is query-only. Tools that must measure the engine
// exactly as the store runs it, such as the benchmark, open their files with it too.
func SQLiteDSN(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(1)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Set("_txlock", "immediate")
	}
	return path + "?" + q.Encode()
}

// openSQLite opens one writer connection, whose transactions take the write lock at BEGIN
// (IMMEDIATE) so that they never fail half-way on a lock upgrade, and a pool of read-only
// connections. Every connection gets WAL, synchronous=FULL, a busy timeout and foreign keys; the
// settings are read back and the store refuses to open if one did not take.
func openSQLite(ctx context.Context, path string, opt Options) (write, read *sql.DB, err error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, nil, fmt.Errorf("sqlite: bad database path %q", path)
	}
	write, err = sql.Open("sqlite", SQLiteDSN(path, false))
	if err != nil {
		return nil, nil, err
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxIdleTime(0)
	write.SetConnMaxLifetime(0)

	read, err = sql.Open("sqlite", SQLiteDSN(path, true))
	if err != nil {
		write.Close()
		return nil, nil, err
	}
	n := opt.MaxConns
	if n <= 0 {
		n = max(4, 2*runtime.GOMAXPROCS(0))
	}
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	read.SetConnMaxIdleTime(0)
	read.SetConnMaxLifetime(0)

	for _, db := range []*sql.DB{write, read} {
		if err := retryBusy(ctx, func() error { return checkSQLitePragmas(ctx, db) }); err != nil {
			write.Close()
			read.Close()
			return nil, nil, fmt.Errorf("sqlite %s: %w", path, err)
		}
	}
	return write, read, nil
}

func checkSQLitePragmas(ctx context.Context, db *sql.DB) error {
	want := map[string]string{
		"journal_mode": "wal",
		"synchronous":  "2", // FULL
		"foreign_keys": "1",
		"busy_timeout": fmt.Sprint(busyTimeout.Milliseconds()),
	}
	for name, w := range want {
		var got string
		if err := db.QueryRowContext(ctx, "PRAGMA "+name).Scan(&got); err != nil {
			return fmt.Errorf("read pragma %s: %w", name, err)
		}
		if !strings.EqualFold(got, w) {
			return fmt.Errorf("pragma %s is %q, want %q", name, got, w)
		}
	}
	return nil
}

var postgresEngine = &engine{
	name: "postgres",
	open: openPostgres,
	// A transaction-scoped advisory lock, released at commit; the key is arbitrary but fixed.
	lockMigrations: `SELECT pg_advisory_xact_lock(7262400331)`,
	uniqueViolation: func(err error) (string, bool) {
		var e *pgconn.PgError
		if errors.As(err, &e) && e.Code == "23505" {
			return e.ConstraintName, true
		}
		return "", false
	},
	unavailable: postgresUnavailable,
}

// postgresUnavailable reports whether err means that PostgreSQL cannot be reached or cannot
// serve now, so that the request may succeed later: it decides between 503 and 500. It looks at
// SQLSTATE codes and error types only, never at message text.
func postgresUnavailable(err error) bool {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		// No connection could be made, whatever the cause: refused, timed out, the server starting
		// or shutting down, or refusing the login. The request cannot be served until it can.
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "57P01", // admin_shutdown: the server is stopping (pg_ctl stop -m fast)
			"57P02", // crash_shutdown: another backend crashed
			"57P03", // cannot_connect_now: starting up or in recovery
			"53300": // too_many_connections
			return true
		}
		return strings.HasPrefix(pe.Code, "08") // class 08: connection exception
	}
	// The connection broke under a statement (the server went away, a reset, a half-written
	// message), or database/sql could not find a working connection.
	var ne net.Error
	return errors.As(err, &ne) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone)
}

// Pool defaults for PostgreSQL.
const (
	DefaultMaxConns     = 16
	DefaultMaxIdleConns = 16
	// DefaultConnectTimeout bounds the making of a new connection (dial, TLS, login) when the
	// URL sets no connect_timeout: while PostgreSQL cannot be reached, requests then fail with
	// 503 within this time instead of waiting on the network.
	DefaultConnectTimeout = 5 * time.Second
)

// openPostgres opens one pool for reads and writes. database/sql discards a connection that
// broke (the driver reports it closed or failing a ping when it is taken from the pool) and
// dials a new one on demand, so the store recovers by itself once PostgreSQL is back.
func openPostgres(ctx context.Context, dsn string, opt Options) (write, read *sql.DB, err error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, nil, fmt.Errorf("postgres: %w", err) // the error hides the password
	}
	if u, err := url.Parse(dsn); err == nil && !u.Query().Has("connect_timeout") && cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	// Every acknowledged write must survive a crash of PostgreSQL: synchronous_commit on, unless
	// the URL says otherwise, and read back below.
	if _, set := cfg.RuntimeParams["synchronous_commit"]; !set {
		cfg.RuntimeParams["synchronous_commit"] = "on"
	}
	db := stdlib.OpenDB(*cfg)
	n, idle := opt.MaxConns, opt.MaxIdleConns
	if n <= 0 {
		n = DefaultMaxConns
	}
	if idle <= 0 {
		idle = min(n, DefaultMaxIdleConns)
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(idle)
	db.SetConnMaxIdleTime(5 * time.Minute)
	db.SetConnMaxLifetime(30 * time.Minute)
	var syncCommit string
	if err := db.QueryRowContext(ctx, `SHOW synchronous_commit`).Scan(&syncCommit); err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("postgres: %w", err)
	}
	if syncCommit == "off" {
		db.Close()
		return nil, nil, errors.New("postgres: synchronous_commit is off, so acknowledged writes could be lost in a crash; remove it from the URL")
	}
	return db, db, nil
}
