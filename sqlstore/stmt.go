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
