package e2e

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"
)

// Bounds of the outage test.
const (
	// fastFail is how long a request may take to be refused while PostgreSQL is down: well under
	// the client's timeout, so that clients get a 503 rather than a hang.
	fastFail = 5 * time.Second
	// recoverWithin is how long the server may take to serve again once PostgreSQL is back.
	recoverWithin = 15 * time.Second
)

// createLoad keeps creating customers through a server, from a few workers, and records every
// answer. It is bounded by a count of requests and stopped by the test.
type createLoad struct {
	srv  *server
	c    creds
	stop chan struct{}
	wg   sync.WaitGroup

	mu        sync.Mutex
	attempted map[string]bool // every identifier sent
	acked     map[string]bool // identifiers answered 201
	problems  []string        // answers that are neither 201 nor the wire 503, and transport errors
	unavail   int             // 503 answers
	slowest   time.Duration   // of the 503 answers
}

func startCreateLoad(srv *server, c creds, workers, limit int) *createLoad {
	l := &createLoad{srv: srv, c: c, stop: make(chan struct{}), attempted: map[string]bool{}, acked: map[string]bool{}}
	for w := range workers {
		l.wg.Go(func() {
			for i := range limit / workers {
				select {
				case <-l.stop:
					return
				case <-time.After(10 * time.Millisecond): // a steady pace, not a busy loop while the database is down
				}
				id := fmt.Sprintf("load-%d-%d", w, i)
				l.mu.Lock()
				l.attempted[id] = true
				l.mu.Unlock()
				res, err := srv.send(context.Background(), c, "POST", "/raas/v2/customers", customerBody(id))
				l.mu.Lock()
				switch {
				case err != nil:
					l.problems = append(l.problems, fmt.Sprintf("%s: %v", id, err))
				case res.Status == http.StatusCreated:
					l.acked[id] = true
				case res.checkError(http.StatusServiceUnavailable, "503.000") == nil:
					l.unavail++
					l.slowest = max(l.slowest, res.Elapsed)
				default:
					l.problems = append(l.problems, fmt.Sprintf("%s: %d %s", id, res.Status, res.Body))
				}
				l.mu.Unlock()
			}
		})
	}
	return l
}

// waitAcked waits until n more creates than before were answered 201.
func (l *createLoad) waitAcked(tb testing.TB, n int, limit time.Duration) {
	tb.Helper()
	l.mu.Lock()
	want := len(l.acked) + n
	l.mu.Unlock()
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		l.mu.Lock()
		got := len(l.acked)
		l.mu.Unlock()
		if got >= want {
			return
		}
		if time.Since(start) > limit {
			tb.Fatalf("load: %d creates acknowledged after %v, want %d", got, limit, want)
		}
	}
}

func (l *createLoad) halt() {
	select {
	case <-l.stop:
	default:
		close(l.stop)
	}
	l.wg.Wait()
}

// TestPostgresOutage stops PostgreSQL under a load of creates and starts it again: while it is
// down, requests answer 503 with the wire error body, quickly, and /readyz says 503; once it is
// back the server serves again by itself; and no create that was answered 201 is lost.
func TestPostgresOutage(t *testing.T) {
	pg := startPGCluster(t)
	srv := startServer(t, pg.URL)
	c := createPlatform(t, pg.URL, "outage-platform")

	load := startCreateLoad(srv, c, 4, 20000)
	t.Cleanup(load.halt)
	load.waitAcked(t, 50, 30*time.Second)

	pg.stop(t)
	// Down: every request is refused with the wire 503, fast; readiness says so too.
	for i := range 5 {
		id := fmt.Sprintf("while-down-%d", i)
		load.mu.Lock()
		load.attempted[id] = true
		load.mu.Unlock()
		res := srv.do(t, c, "POST", "/raas/v2/customers", customerBody(id))
		if err := res.checkError(http.StatusServiceUnavailable, "503.000"); err != nil {
			t.Errorf("create while PostgreSQL is down: %v", err)
		}
		if res.Elapsed > fastFail {
			t.Errorf("create while PostgreSQL is down took %v, want under %v", res.Elapsed, fastFail)
		}
		if ra := res.Header.Get("Retry-After"); ra == "" {
			t.Errorf("503 without Retry-After")
		}
	}
	res := srv.do(t, creds{}, "GET", "/readyz", "")
	if err := res.checkError(http.StatusServiceUnavailable, "503.000"); err != nil {
		t.Errorf("/readyz while PostgreSQL is down: %v", err)
	}
	if res.Elapsed > fastFail {
		t.Errorf("/readyz while PostgreSQL is down took %v, want under %v", res.Elapsed, fastFail)
	}

	pg.start(t)
	back := time.Now()
	for i := 0; ; i++ {
		res := srv.do(t, creds{}, "GET", "/readyz", "")
		if res.Status == http.StatusOK {
			break
		}
		if time.Since(back) > recoverWithin {
			t.Fatalf("/readyz still %d %v after PostgreSQL came back: %s", res.Status, recoverWithin, res.Body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	load.waitAcked(t, 50, recoverWithin)
	load.halt()

	load.mu.Lock()
	defer load.mu.Unlock()
	for _, p := range load.problems {
		t.Errorf("under load: %s", p)
	}
	if load.unavail == 0 {
		t.Errorf("no create of the load was answered 503 while PostgreSQL was down")
	}
	if load.slowest > fastFail {
		t.Errorf("slowest 503 under load: %v, want under %v", load.slowest, fastFail)
	}
	t.Logf("load: %d acknowledged, %d answered 503, slowest 503 in %v", len(load.acked), load.unavail, load.slowest)

	// Nothing acknowledged is lost, and nothing appears that was never sent.
	res = srv.do(t, c, "GET", "/raas/v2/customers", "")
	res.wantStatus(t, http.StatusOK)
	var list []struct {
		CustomerIdentifier string `json:"customerIdentifier"`
	}
	res.JSON(t, &list)
	stored := map[string]bool{}
	for _, cu := range list {
		stored[cu.CustomerIdentifier] = true
		if !load.attempted[cu.CustomerIdentifier] && cu.CustomerIdentifier != "outage-platform" {
			t.Errorf("customer %s is stored but was never created", cu.CustomerIdentifier)
		}
	}
	for id := range load.acked {
		if !stored[id] {
			t.Errorf("customer %s was answered 201 but is not stored", id)
		}
	}
}
