package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/testdb"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, to look at the database directly
	_ "modernc.org/sqlite"             // the "sqlite" driver
)

// TestReplicasCreateSameCustomer sends concurrent creates of one customer identifier to two
// server processes sharing one database: the database decides, so exactly one create wins and
// every other is a 409, never a 5xx.
func TestReplicasCreateSameCustomer(t *testing.T) {
	testdb.ForEachEngine(t, func(t *testing.T, dsn string) {
		servers := []*server{launch(t, dsn), launch(t, dsn)}
		for _, s := range servers {
			s.waitReady(t)
		}
		c := createPlatform(t, dsn, "replica-platform")
		for round := range 3 {
			id := fmt.Sprintf("shared-%d", round)
			raceCreates(t, servers, c, "/raas/v2/customers", customerBody(id), "409.010")
			for i, s := range servers {
				if res := s.do(t, c, "GET", "/raas/v2/customers/"+id, ""); res.Status != http.StatusOK {
					t.Errorf("GET %s from server %d: got %d, want 200", id, i, res.Status)
				}
			}
		}
	})
}

// raceCreates sends 32 identical creates at once, spread over the servers, and checks that exactly
// one is answered 201 and every other 409 with conflictKey, never a 5xx.
func raceCreates(t *testing.T, servers []*server, c creds, path, body, conflictKey string) {
	t.Helper()
	const n = 32
	results := make([]*response, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			results[i], errs[i] = servers[i%len(servers)].send(context.Background(), c, "POST", path, body)
		})
	}
	close(start)
	wg.Wait()
	created := 0
	for i, res := range results {
		if errs[i] != nil {
			t.Fatalf("POST %s, request %d: %v", path, i, errs[i])
		}
		if res.Status == http.StatusCreated {
			created++
		} else if err := res.checkError(http.StatusConflict, conflictKey); err != nil {
			t.Errorf("POST %s, request %d to server %d: %v", path, i, i%len(servers), err)
		}
	}
	if created != 1 {
		t.Errorf("POST %s %s: got %d creates answered 201, want exactly 1", path, body, created)
	}
}

// TestConcurrentStartMigratesOnce starts several servers at once on a fresh database: every
// migration is applied exactly once (it is recorded once) and every server becomes ready.
func TestConcurrentStartMigratesOnce(t *testing.T) {
	for _, e := range testdb.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			dsn := e.DSN(t)
			servers := make([]*server, 4)
			for i := range servers {
				servers[i] = launch(t, dsn)
			}
			for _, s := range servers {
				s.waitReady(t)
			}

			files, err := filepath.Glob(filepath.Join("..", "sqlstore", "migrations", e.Name, "*.sql"))
			if err != nil || len(files) == 0 {
				t.Fatalf("migration files of %s: %v, %d found", e.Name, err, len(files))
			}
			var want []string
			for _, f := range files {
				v, err := strconv.Atoi(strings.SplitN(filepath.Base(f), "_", 2)[0])
				if err != nil {
					t.Fatalf("migration %s: %v", f, err)
				}
				want = append(want, fmt.Sprintf("%d×1", v))
			}
			sort.Strings(want)

			driver := map[string]string{"sqlite": "sqlite", "postgres": "pgx"}[e.Name]
			db, err := sql.Open(driver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			rows, err := db.QueryContext(ctx, `SELECT version, count(*) FROM schema_migrations GROUP BY version`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var got []string
			for rows.Next() {
				var v, n int
				if err := rows.Scan(&v, &n); err != nil {
					t.Fatal(err)
				}
				got = append(got, fmt.Sprintf("%d×%d", v, n))
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			sort.Strings(got)
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("schema_migrations (version×rows): got %v, want %v", got, want)
			}
		})
	}
}

// TestPoolFlags checks that --max-conns and --max-idle-conns reach the connection pools, as the
// server's own metrics report them, and that a burst of requests stays within them.
func TestPoolFlags(t *testing.T) {
	tests := []struct {
		engine string
		args   []string
		// maxOpen is the go_sql_max_open_connections gauge per pool (db_name label).
		maxOpen map[string]float64
		maxIdle float64 // idle connections at most, per pool, after the burst
	}{
		{"sqlite", []string{"--max-conns", "3"}, map[string]float64{"write": 1, "read": 3}, 3},
		{"postgres", nil, map[string]float64{"main": 16}, 16},
		{"postgres", []string{"--max-conns", "3", "--max-idle-conns", "2"}, map[string]float64{"main": 3}, 2},
	}
	engines := map[string]testdb.Engine{}
	for _, e := range testdb.Engines() {
		engines[e.Name] = e
	}
	for _, tt := range tests {
		t.Run(tt.engine+" "+strings.Join(tt.args, " "), func(t *testing.T) {
			dsn := engines[tt.engine].DSN(t)
			srv := startServer(t, dsn, tt.args...)
			c := createPlatform(t, dsn, "pool-platform")
			var wg sync.WaitGroup
			errs := make([]error, 24)
			for i := range errs {
				wg.Go(func() {
					res, err := srv.send(context.Background(), c, "POST", "/raas/v2/customers", customerBody(fmt.Sprintf("burst-%d", i)))
					if err == nil && res.Status != http.StatusCreated {
						err = fmt.Errorf("status %d: %s", res.Status, res.Body)
					}
					errs[i] = err
				})
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("create %d: %v", i, err)
				}
			}
			m := metrics(t, srv)
			for pool, want := range tt.maxOpen {
				if got := m.get(t, "go_sql_max_open_connections", pool); got != want {
					t.Errorf("go_sql_max_open_connections{db_name=%q}: got %v, want %v", pool, got, want)
				}
				if got := m.get(t, "go_sql_open_connections", pool); got > want {
					t.Errorf("go_sql_open_connections{db_name=%q}: got %v, want at most %v", pool, got, want)
				}
				if got := m.get(t, "go_sql_idle_connections", pool); got > tt.maxIdle {
					t.Errorf("go_sql_idle_connections{db_name=%q}: got %v, want at most %v", pool, got, tt.maxIdle)
				}
			}
		})
	}
}

// metricSet is a /metrics page in the Prometheus text format.
type metricSet string

func metrics(tb testing.TB, s *server) metricSet {
	tb.Helper()
	res := s.do(tb, creds{}, "GET", "/metrics", "")
	res.wantStatus(tb, http.StatusOK)
	return metricSet(res.Body)
}

// get returns the value of a database pool metric for one pool.
func (m metricSet) get(tb testing.TB, name, pool string) float64 {
	tb.Helper()
	prefix := fmt.Sprintf("%s{db_name=%q} ", name, pool)
	for _, line := range strings.Split(string(m), "\n") {
		if v, ok := strings.CutPrefix(line, prefix); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				tb.Fatalf("metric %s: %v", line, err)
			}
			return f
		}
	}
	tb.Fatalf("metric %s{db_name=%q} not found", name, pool)
	return 0
}
