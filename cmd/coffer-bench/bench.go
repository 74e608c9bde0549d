package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"
)

// bench is one run: its files, processes, data set and client.
type bench struct {
	cfg config
	log io.Writer

	dir      string   // temporary files
	bin      string   // the coffer binary
	db       string   // coffer's --db: a SQLite path or a postgres:// URL
	server   *process // coffer serve
	hello    *process // the hello-world server
	client   *http.Client
	api      *api
	cleanups []func()

	live  []int         // indexes of the data set's accounts that are not DELETED
	build time.Duration // time taken to create the accounts
	seq   atomic.Int64  // numbers the customers and accounts created by the scenarios
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.log, "coffer-bench: "+format+"\n", args...)
}

// onClose registers a clean-up, run in reverse order by close.
func (b *bench) onClose(fn func()) { b.cleanups = append(b.cleanups, fn) }

func (b *bench) close() {
	for i := len(b.cleanups) - 1; i >= 0; i-- {
		b.cleanups[i]()
	}
}

// postgres reports whether the run is on PostgreSQL.
func (b *bench) postgres() bool { return b.cfg.postgres != "" }

// setUp builds and starts everything, and builds the data set.
func (b *bench) setUp(ctx context.Context) error {
	dir, err := os.MkdirTemp(b.cfg.dir, "coffer-bench-")
	if err != nil {
		return err
	}
	b.dir = dir
	b.onClose(func() { os.RemoveAll(dir) })

	if b.bin = b.cfg.coffer; b.bin == "" {
		b.logf("building coffer")
		if b.bin, err = buildCoffer(ctx, dir); err != nil {
			return err
		}
	}
	if b.postgres() {
		if b.db, err = createDatabase(ctx, b.cfg.postgres); err != nil {
			return err
		}
		b.onClose(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := dropDatabase(ctx, b.cfg.postgres, b.db); err != nil {
				b.logf("drop the benchmark database: %v", err)
			}
		})
	} else {
		b.db = filepath.Join(dir, "coffer.db")
	}
	creds, err := createPlatform(ctx, b.bin, b.db, "bench-platform")
	if err != nil {
		return err
	}
	if b.server, err = startServer(ctx, b.bin, b.db); err != nil {
		return err
	}
	b.onClose(func() {
		if err := b.server.stop(); err != nil {
			b.logf("coffer serve: %v", err)
		}
	})
	if b.hello, err = startHello(ctx); err != nil {
		return err
	}
	b.onClose(func() { b.hello.keep.Close(); b.hello.stop() })
	b.client = newClient(b.cfg.concurrency)
	b.api = &api{client: b.client, base: "http://" + b.server.addr + "/raas/v2", creds: creds}
	engine := "SQLite"
	if b.postgres() {
		engine = "PostgreSQL"
	}
	b.logf("coffer serve on %s (%s), hello-world on %s; building the data set", b.server.addr, engine, b.hello.addr)
	return b.buildData(ctx)
}

// scenario is a kind of request the load generator sends.
type scenario struct {
	name string
	kind kind
	op   op
}

// kind says what a scenario's rate is compared with.
type kind int

const (
	readKind  kind = iota // against hello-world
	writeKind             // against raw durable commits
)

// scenarios are the request scenarios, in the order they run: reads first, so that the deep
// page is still the last full page of its list when it is measured.
func (b *bench) scenarios(deepCursor string) []scenario {
	randomLive := func() int { return b.live[rand.IntN(len(b.live))] }
	get := func(path func() string) op {
		return func(ctx context.Context, _ int) error {
			_, err := b.api.do(ctx, http.MethodGet, path(), nil, nil)
			return err
		}
	}
	return []scenario{
		{"get customer", readKind, get(func() string { return "/customers/" + customerID(rand.IntN(b.cfg.customers)) })},
		{"get account", readKind, get(func() string { return "/accounts/" + accountID(randomLive()) })},
		{"list first page", readKind, get(func() string { return listPath("") })},
		{"list deep page", readKind, get(func() string { return listPath(deepCursor) })},
		{"patch account", writeKind, func(ctx context.Context, _ int) error {
			i := randomLive()
			body := mustJSON(map[string]string{"displayName": fmt.Sprintf("Patched %d", b.seq.Add(1))})
			_, err := b.api.do(ctx, http.MethodPatch, "/customers/"+customerID(b.customerOf(i))+"/accounts/"+accountID(i), body, nil)
			return err
		}},
		{"create customer", writeKind, func(ctx context.Context, _ int) error {
			n := b.seq.Add(1)
			body := mustJSON(map[string]string{"customerIdentifier": fmt.Sprintf("new-cust-%d", n), "displayName": fmt.Sprintf("New customer %d", n)})
			_, err := b.api.do(ctx, http.MethodPost, "/customers", body, nil)
			return err
		}},
		{"create account", writeKind, func(ctx context.Context, _ int) error {
			n := int(b.seq.Add(1))
			path := "/customers/" + customerID(rand.IntN(b.cfg.customers)) + "/accounts"
			_, err := b.api.do(ctx, http.MethodPost, path, accountBody(n, fmt.Sprintf("new-acct-%d", n)), nil)
			return err
		}},
	}
}

// measure runs the baselines and the scenarios and returns the report.
func (b *bench) measure(ctx context.Context) (*report, error) {
	c, d := b.cfg.concurrency, b.cfg.duration
	rep := &report{cfg: b.cfg, machine: describeMachine(), build: b.build, accountsLive: len(b.live)}
	rep.loadStart = loadAverage()

	hello := func(ctx context.Context, _ int) error { return get(ctx, b.client, "http://"+b.hello.addr+"/") }
	b.logf("baseline: hello-world")
	helloStart := closedLoop(ctx, c, warmUp(d), d, hello)

	commitsStart, err := b.commits(ctx)
	if err != nil {
		return nil, err
	}

	cursor, deep, pages, err := b.findDeepCursor(ctx)
	if err != nil {
		return nil, fmt.Errorf("walk the filtered list: %w", err)
	}
	rep.deepPage, rep.pages = deep, pages

	for _, s := range b.scenarios(cursor) {
		b.logf("scenario: %s", s.name)
		closed := closedLoop(ctx, c, warmUp(d), d, s.op)
		half := openLoop(ctx, closed.rate()/2, c, d, s.op)
		rep.scenarios = append(rep.scenarios, result{name: s.name, kind: s.kind, closed: closed, half: half})
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}

	b.logf("baseline: hello-world again")
	helloEnd := closedLoop(ctx, c, warmUp(d), d, hello)
	rep.hello = [2]sample{helloStart, helloEnd}
	commitsEnd, err := b.commits(ctx)
	if err != nil {
		return nil, err
	}
	rep.commits = [2]sample{commitsStart, commitsEnd}

	if b.postgres() {
		if pgbench := findPgbench(b.cfg.pgbench); pgbench != "" {
			b.logf("baseline: pgbench")
			rep.pgbenchInsert, rep.pgbenchSelect, err = pgbenchRates(ctx, pgbench, b.db, b.dir, c, d)
			if err != nil {
				return nil, err
			}
		} else {
			b.logf("no pgbench found: its baselines are left out")
		}
	}

	if rep.peakBeforeStream, err = readMemory(b.server.pid()); err != nil {
		b.logf("server memory cannot be read: %v", err)
	}
	b.logf("scenario: stream GET /customers")
	if rep.stream, err = b.streamCustomers(ctx); err != nil {
		return nil, err
	}
	rep.loadEnd = loadAverage()
	rep.serverErrorLogs, rep.serverLastError = b.server.errorLogs()
	return rep, nil
}

// commits measures the raw rate of single-row durable commits on the engine of the run.
func (b *bench) commits(ctx context.Context) (sample, error) {
	if b.postgres() {
		b.logf("baseline: single-row commits on PostgreSQL (pgx)")
		return postgresCommits(ctx, b.db, b.cfg.concurrency, b.cfg.duration)
	}
	b.logf("baseline: single-row durable commits on SQLite")
	return sqliteCommits(ctx, b.dir, b.cfg.concurrency, b.cfg.duration)
}

// streamResult is the streamed GET /customers: its rate, and how the server's memory grew.
type streamResult struct {
	sample
	bytes        int64
	rssBefore    int64 // VmRSS when streaming began
	rssPeak      int64 // the highest VmRSS while streaming
	peakMeasured bool  // false when /proc could not be read
}

// streamCustomers reads the whole GET /customers, one request at a time, and samples the
// server's resident memory while it streams: VmRSS every few milliseconds, and VmHWM, reset
// just before, at the end.
func (b *bench) streamCustomers(ctx context.Context) (streamResult, error) {
	pid := b.server.pid()
	var r streamResult
	peakReset := resetPeak(pid) == nil
	before, err := readMemory(pid)
	r.rssBefore, r.rssPeak, r.peakMeasured = before.rss, before.rss, err == nil
	stop := make(chan struct{})
	sampled := make(chan int64)
	go func() {
		peak := int64(0)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				sampled <- peak
				return
			case <-t.C:
				if m, err := readMemory(pid); err == nil {
					peak = max(peak, m.rss)
				}
			}
		}
	}()
	var total atomic.Int64
	r.sample = closedLoop(ctx, 1, 0, b.cfg.duration, func(ctx context.Context, _ int) error {
		n, err := b.api.do(ctx, http.MethodGet, "/customers", nil, nil)
		total.Add(n)
		return err
	})
	close(stop)
	r.rssPeak = max(r.rssPeak, <-sampled)
	if after, err := readMemory(pid); err == nil && peakReset {
		r.rssPeak = max(r.rssPeak, after.hwm)
	}
	r.bytes = total.Load()
	return r, ctx.Err()
}
