package sqlstore

import (
	"context"
	"database/sql"
	"sync"
)

// maxCachedStmts bounds the statement cache: list queries vary with their filters.
const maxCachedStmts = 512

// stmtCache keeps the read statements of SQLite prepared, by SQL text. Parsing and planning a
// statement costs SQLite more than running the small queries of this API; database/sql would
// prepare each one anew on every call. PostgreSQL needs none: pgx caches its own.
type stmtCache struct {
	db *sql.DB
	mu sync.RWMutex
	m  map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: make(map[string]*sql.Stmt)}
}

// stmt returns the prepared statement of query, or nil when it cannot be cached: the caller
// then runs the query unprepared, which reports any error of the SQL itself.
func (c *stmtCache) stmt(ctx context.Context, query string) *sql.Stmt {
	c.mu.RLock()
	st, ok := c.m[query]
	c.mu.RUnlock()
	if ok {
		return st
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[query]; ok {
		return st
	}
	if len(c.m) >= maxCachedStmts {
		return nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	c.m[query] = st
	return st
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.m {
		st.Close()
		delete(c.m, q)
	}
}

// queryRow runs a read query that returns one row.
func (s *Store) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if s.stmts != nil {
		if st := s.stmts.stmt(ctx, query); st != nil {
			return st.QueryRowContext(ctx, args...)
		}
	}
	return s.read.QueryRowContext(ctx, query, args...)
}

// query runs a read query.
func (s *Store) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s.stmts != nil {
		if st := s.stmts.stmt(ctx, query); st != nil {
			return st.QueryContext(ctx, args...)
		}
	}
	return s.read.QueryContext(ctx, query, args...)
}

// cachedReader gives the statement cache to helpers that take a transaction or a reader.
type cachedReader struct{ s *Store }

func (r cachedReader) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return r.s.queryRow(ctx, query, args...)
}

// writeTx is what a write command runs its statements on: its transaction, through which, on
// SQLite, statements with arguments run prepared on the one writer connection, prepared once and
// reused by every later command.
type writeTx struct {
	tx    *sql.Tx
	stmts *writeStmts // nil on PostgreSQL
}

func (t *writeTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := t.stmts.lookup(query, len(args)); st != nil {
		return t.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, query, args...)
}

func (t *writeTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := t.stmts.lookup(query, len(args)); st != nil {
		return t.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, query, args...)
}

// writeStmts are the prepared write statements of SQLite. A statement cannot be prepared during a
// batch, whose transaction holds the one writer connection: the first time, it runs unprepared and
// is noted, and the batcher prepares it once the batch is over. Only the batcher's goroutine uses
// it. Statements without arguments (migrations, savepoints) are never prepared: a script of
// several statements cannot be.
type writeStmts struct {
	db      *sql.DB
	m       map[string]*sql.Stmt
	pending []string
}

func newWriteStmts(db *sql.DB) *writeStmts {
	return &writeStmts{db: db, m: make(map[string]*sql.Stmt)}
}

func (w *writeStmts) lookup(query string, nargs int) *sql.Stmt {
	if w == nil || nargs == 0 {
		return nil
	}
	if st, ok := w.m[query]; ok {
		return st
	}
	if len(w.m)+len(w.pending) < maxCachedStmts {
		w.pending = append(w.pending, query)
	}
	return nil
}

// prepare prepares the statements noted since the last call; one that fails stays unprepared.
func (w *writeStmts) prepare(ctx context.Context) {
	for _, q := range w.pending {
		if _, ok := w.m[q]; ok {
			continue
		}
		if st, err := w.db.PrepareContext(ctx, q); err == nil {
			w.m[q] = st
		}
	}
	w.pending = w.pending[:0]
}

func (w *writeStmts) close() {
	for q, st := range w.m {
		st.Close()
		delete(w.m, q)
	}
}
