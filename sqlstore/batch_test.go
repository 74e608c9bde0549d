package sqlstore

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

// TestBatchIsolatesFailures runs one batch of three commands by hand: the failing one in the
// middle must leave no trace, and its batch-mates must be committed.
func TestBatchIsolatesFailures(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "coffer.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	insert := func(name string) func(context.Context, *writeTx) error {
		return func(ctx context.Context, tx *writeTx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO settings (name, value) VALUES ($1, $2)`, name, []byte("v"))
			return err
		}
	}
	boom := errors.New("boom")
	failing := func(ctx context.Context, tx *writeTx) error {
		if err := insert("half-written")(ctx, tx); err != nil {
			return err
		}
		return boom // after a write: the savepoint must undo it
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	batch := []*command{
		{ctx: ctx, fn: insert("first"), result: make(chan error, 1)},
		{ctx: ctx, fn: failing, result: make(chan error, 1)},
		{ctx: cancelled, fn: insert("never"), result: make(chan error, 1)},
		{ctx: ctx, fn: insert("last"), result: make(chan error, 1)},
	}
	newTestBatcher(s).run(batch)
	want := []error{nil, boom, context.Canceled, nil}
	for i, c := range batch {
		if got := <-c.result; !errors.Is(got, want[i]) {
			t.Errorf("command %d: got %v, want %v", i, got, want[i])
		}
	}
	for name, want := range map[string]int{"first": 1, "half-written": 0, "never": 0, "last": 1} {
		var n int
		if err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM settings WHERE name = $1`, name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Errorf("rows named %q: got %d, want %d", name, n, want)
		}
	}
}

// TestBatchCommitFailureFailsAll makes the commit fail (a deferred foreign key violated by one
// command) and checks that no command of the batch reports success.
func TestBatchCommitFailureFailsAll(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "coffer.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ok := func(ctx context.Context, tx *writeTx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO settings (name, value) VALUES ('kept-only-if-committed', x'00')`)
		return err
	}
	breaksCommit := func(ctx context.Context, tx *writeTx) error {
		if _, err := tx.ExecContext(ctx, `PRAGMA defer_foreign_keys = ON`); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO customers (platform_id, identifier, display_name, status, created_at)
			VALUES (999, 'orphan', 'orphan', 'ACTIVE', 0)`)
		return err
	}
	batch := []*command{
		{ctx: ctx, fn: ok, result: make(chan error, 1)},
		{ctx: ctx, fn: breaksCommit, result: make(chan error, 1)},
	}
	newTestBatcher(s).run(batch)
	for i, c := range batch {
		if err := <-c.result; err == nil {
			t.Errorf("command %d: got success, want the commit's failure", i)
		}
	}
	var n int
	if err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM settings WHERE name = 'kept-only-if-committed'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("rows of the failed batch: got %d, want 0", n)
	}
}

// newTestBatcher returns a batcher on the store's writer whose loop is not running, so that a test
// can run a batch of its choosing on its own goroutine, as the loop would.
func newTestBatcher(s *Store) *batcher {
	return &batcher{db: s.write, stmts: newWriteStmts(s.write)}
}
