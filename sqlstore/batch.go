package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
)

// maxBatch bounds how many commands share one SQLite transaction.
const maxBatch = 128

// batcher commits the write commands of concurrent requests together on SQLite (group commit):
// while one transaction commits, the commands that arrive queue up, and the next transaction runs
// them all, each inside its own savepoint, then commits once, with one fsync for the batch. A
// command is answered only after its batch is durable. A command that fails rolls back to its
// savepoint and fails alone; only a failing commit fails the whole batch, since then nothing of it
// is durable.
//
// Commands run with a context of the batcher's, not the request's: an interrupted statement would
// roll back the whole shared transaction. A request whose context is done before its turn is
// skipped.
type batcher struct {
	db      *sql.DB
	stmts   *writeStmts
	queue   chan *command
	done    chan struct{}
	stopped chan struct{} // closed when the loop has returned
	stop    func()        // closes done, once
}

type command struct {
	ctx    context.Context
	fn     func(context.Context, *writeTx) error
	err    error
	result chan error
}

func newBatcher(db *sql.DB) *batcher {
	b := &batcher{db: db, stmts: newWriteStmts(db), queue: make(chan *command), done: make(chan struct{}), stopped: make(chan struct{})}
	b.stop = sync.OnceFunc(func() { close(b.done) })
	go b.loop()
	return b
}

// close stops the loop once the batch in progress is answered.
func (b *batcher) close() {
	b.stop()
	<-b.stopped
}

// do runs fn in a batch and waits until the batch is committed or fn failed.
func (b *batcher) do(ctx context.Context, fn func(context.Context, *writeTx) error) error {
	c := &command{ctx: ctx, fn: fn, result: make(chan error, 1)}
	select {
	case b.queue <- c:
	case <-ctx.Done():
		return ctx.Err()
	case <-b.done:
		return errors.New("store closed")
	}
	return <-c.result
}

func (b *batcher) loop() {
	defer close(b.stopped)
	defer b.stmts.close()
	batch := make([]*command, 0, maxBatch)
	for {
		select {
		case c := <-b.queue:
			batch = append(batch[:0], c)
		case <-b.done:
			return
		}
	fill:
		for len(batch) < maxBatch {
			select {
			case c := <-b.queue:
				batch = append(batch, c)
			default:
				break fill
			}
		}
		b.run(batch)
		b.stmts.prepare(context.Background()) // the writer connection is free again
	}
}

// run executes one batch in one transaction and answers every command of it.
func (b *batcher) run(batch []*command) {
	ctx := context.Background()
	finish := func(err error) {
		for _, c := range batch {
			if c.err == nil {
				c.err = err
			}
			c.result <- c.err
		}
	}
	tx, err := b.db.BeginTx(ctx, nil)
	if err != nil {
		finish(fmt.Errorf("begin: %w", err))
		return
	}
	for _, c := range batch {
		if c.err = c.ctx.Err(); c.err != nil {
			continue
		}
		if _, err := tx.ExecContext(ctx, "SAVEPOINT command"); err != nil {
			tx.Rollback()
			finish(fmt.Errorf("savepoint: %w", err))
			return
		}
		if c.err = c.fn(ctx, &writeTx{tx: tx, stmts: b.stmts}); c.err != nil {
			_, err = tx.ExecContext(ctx, "ROLLBACK TO command")
		}
		if err == nil {
			_, err = tx.ExecContext(ctx, "RELEASE command")
		}
		if err != nil {
			// The transaction is lost: nothing of the batch can be committed.
			tx.Rollback()
			finish(fmt.Errorf("release savepoint: %w", err))
			return
		}
	}
	if err := tx.Commit(); err != nil {
		for _, c := range batch {
			c.err = nil // nothing is durable: every command fails with the commit
		}
		finish(fmt.Errorf("commit: %w", err))
		return
	}
	finish(nil)
}
