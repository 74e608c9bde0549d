package http_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cofferhq/coffer"
	cofferhttp "github.com/cofferhq/coffer/http"
	"github.com/cofferhq/coffer/internal/testdb"
)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestRequestID(t *testing.T) {
	sane64 := strings.Repeat("aZ9-_.xy", 8)
	tests := []struct {
		name string
		in   string // "" sends none
		echo bool
	}{
		{"sane", "abc-DEF_1.2", true},
		{"one character", "x", true},
		{"64 characters", sane64, true},
		{"65 characters", sane64 + "a", false},
		{"spaces", "abc def", false},
		{"slash", "abc/def", false},
		{"non-ASCII", "abcé", false},
		{"none", "", false},
	}
	forEachEngine(t, func(t *testing.T, ts *testServer) {
		c := ts.platform(t, "platform-one")
		seen := map[string]bool{}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ok := ts.do(t, c, "GET", "/raas/v2/customers", "", "X-Request-Id", tt.in)
				bad := ts.do(t, c, "GET", "/raas/v2/customers/nobody-1", "", "X-Request-Id", tt.in)
				e := bad.wantError(t, http.StatusNotFound, "404.002")
				for _, res := range []*response{ok, bad} {
					got := res.Header.Get("X-Request-Id")
					switch {
					case tt.echo && got != tt.in:
						t.Errorf("X-Request-Id: got %q, want %q", got, tt.in)
					case !tt.echo && !uuidRE.MatchString(got):
						t.Errorf("X-Request-Id: got %q, want a new UUID", got)
					case !tt.echo && seen[got]:
						t.Errorf("X-Request-Id: got %q twice, want a new UUID each time", got)
					}
					seen[got] = true
				}
				if e.RequestID != bad.Header.Get("X-Request-Id") {
					t.Errorf("requestId: got %q, want %q", e.RequestID, bad.Header.Get("X-Request-Id"))
				}
				if !strings.Contains(ts.Logs.String(), `"request_id":"`+e.RequestID+`"`) {
					t.Errorf("no log line has request_id %q", e.RequestID)
				}
			})
		}
	})
}

// logLine is the access log line of a request.
type logLine struct {
	Msg        string   `json:"msg"`
	RequestID  string   `json:"request_id"`
	Platform   *string  `json:"platform"`
	Method     string   `json:"method"`
	Route      string   `json:"route"`
	Status     int      `json:"status"`
	DurationMS *float64 `json:"duration_ms"`
}

// accessLog returns the access log line of the request with the id.
func (ts *testServer) accessLog(tb testing.TB, requestID string) logLine {
	tb.Helper()
	var found []logLine
	for _, s := range strings.Split(ts.Logs.String(), "\n") {
		var l logLine
		if json.Unmarshal([]byte(s), &l) == nil && l.Msg == "request" && l.RequestID == requestID {
			found = append(found, l)
		}
	}
	if len(found) != 1 {
		tb.Fatalf("access log lines of %s: got %d, want 1\n%s", requestID, len(found), ts.Logs)
	}
	return found[0]
}

func TestAccessLog(t *testing.T) {
	forEachEngine(t, func(t *testing.T, ts *testServer) {
		c := ts.platform(t, "platform-one")
		tests := []struct {
			id, method, path, body string
			creds                  creds
			platform, route        string
			status                 int
		}{
			{"log-1", "GET", "/raas/v2/customers", "", c, "platform-one", "GET /raas/v2/customers", 200},
			{"log-2", "POST", "/raas/v2/customers", `{"customerIdentifier":"cust-1","displayName":"x"}`, c, "platform-one", "POST /raas/v2/customers", 201},
			{"log-3", "GET", "/raas/v2/customers/nobody-1", "", c, "platform-one", "GET /raas/v2/customers/{customerIdentifier}", 404},
			{"log-4", "GET", "/raas/v2/customers", "", creds{c.name, "wrong"}, "", "GET /raas/v2/customers", 401},
			{"log-5", "GET", "/raas/v2/nothing", "", c, "", "unmatched", 404},
			{"log-6", "DELETE", "/raas/v2/customers/cust-1", "", c, "", "unmatched", 405},
			{"log-7", "GET", "/livez", "", creds{}, "", "GET /livez", 200},
		}
		for _, tt := range tests {
			ts.do(t, tt.creds, tt.method, tt.path, tt.body, "X-Request-Id", tt.id).wantStatus(t, tt.status)
			l := ts.accessLog(t, tt.id)
			if l.Platform == nil || *l.Platform != tt.platform || l.Method != tt.method || l.Route != tt.route || l.Status != tt.status {
				t.Errorf("%s: got platform %v, method %q, route %q, status %d; want %q, %q, %q, %d",
					tt.id, l.Platform, l.Method, l.Route, l.Status, tt.platform, tt.method, tt.route, tt.status)
			}
			if l.DurationMS == nil || *l.DurationMS < 0 {
				t.Errorf("%s: duration_ms: got %v, want a duration", tt.id, l.DurationMS)
			}
		}
		logs := ts.Logs.String()
		for _, secret := range []string{c.key, "wrong", base64.StdEncoding.EncodeToString([]byte(c.name + ":" + c.key)), "Authorization", "authorization", "Basic "} {
			if strings.Contains(logs, secret) {
				t.Errorf("the log holds %q:\n%s", secret, logs)
			}
		}
	})
}

func TestRoutes(t *testing.T) {
	forEachEngine(t, func(t *testing.T, ts *testServer) {
		c := ts.platform(t, "platform-one")
		ts.createCustomer(t, c, "cust-1", "One")

		// Unknown routes, inside the API or not, authenticated or not.
		for _, path := range []string{"/raas/v2/nothing", "/raas/v2/customers/cust-1/nothing", "/raas/v2/customers/", "/raas/v3/customers", "/nothing",
			"/raas/v2//customers", "/raas/v2/./customers/cust-1", "/raas/v2/x/../customers"} { // unclean paths: no redirect
			for _, k := range []creds{c, {}} {
				e := ts.do(t, k, "GET", path, "").wantError(t, http.StatusNotFound, "404.000")
				e.wantFields(t)
				if e.Path != path {
					t.Errorf("path: got %q, want %q", e.Path, path)
				}
			}
		}

		// Known paths, wrong methods: 405 with Allow, before authentication.
		tests := []struct {
			method, path, allow string
		}{
			{"DELETE", "/raas/v2/customers/cust-1", "GET, HEAD"},
			{"PUT", "/raas/v2/customers/cust-1", "GET, HEAD"},
			{"PATCH", "/raas/v2/customers/cust-1", "GET, HEAD"},
			{"POST", "/raas/v2/customers/cust-1", "GET, HEAD"},
			{"DELETE", "/raas/v2/customers", "GET, HEAD, POST"},
			{"PUT", "/raas/v2/customers", "GET, HEAD, POST"},
			{"POST", "/livez", "GET, HEAD"},
		}
		for _, tt := range tests {
			for _, k := range []creds{c, {}} {
				res := ts.do(t, k, tt.method, tt.path, "")
				e := res.wantError(t, http.StatusMethodNotAllowed, "405.002")
				e.wantFields(t)
				if got := res.Header.Get("Allow"); got != tt.allow {
					t.Errorf("%s %s: Allow: got %q, want %q", tt.method, tt.path, got, tt.allow)
				}
			}
		}
		ts.do(t, c, "GET", "/raas/v2/customers/cust-1", "").wantStatus(t, http.StatusOK)
	})
}

func TestQueryString(t *testing.T) {
	forEachEngine(t, func(t *testing.T, ts *testServer) {
		c := ts.platform(t, "platform-one")
		for _, path := range []string{"/raas/v2/customers?%%%", "/raas/v2/customers?a=%zz", "/raas/v2/customers?paginate=true&x=%", "/raas/v2/customers/platform-one?%%%"} {
			e := ts.do(t, c, "GET", path, "").wantError(t, http.StatusBadRequest, "400.004")
			e.wantFields(t)
			if want, _, _ := strings.Cut(path, "?"); e.Path != want {
				t.Errorf("path: got %q, want %q", e.Path, want)
			}
		}
		e := ts.do(t, c, "POST", "/raas/v2/customers?%%%", `{"customerIdentifier":"cust-1","displayName":"x"}`).wantError(t, http.StatusBadRequest, "400.004")
		e.wantFields(t)
		ts.do(t, c, "GET", "/raas/v2/customers/cust-1", "").wantError(t, http.StatusNotFound, "404.002")
		for _, path := range []string{"/raas/v2/customers?foo=bar", "/raas/v2/customers?a=%20b&c", "/raas/v2/customers?"} {
			ts.do(t, c, "GET", path, "").wantStatus(t, http.StatusOK)
		}
	})
}

func TestHealth(t *testing.T) {
	forEachEngine(t, func(t *testing.T, ts *testServer) {
		for _, tt := range []struct{ path, body string }{
			{"/livez", `{"status":"ok"}`},
			{"/readyz", `{"status":"ready"}`},
		} {
			// Unauthenticated, and outside content negotiation.
			res := ts.do(t, creds{}, "GET", tt.path, "", "Accept", "text/plain")
			res.wantStatus(t, http.StatusOK)
			if got := strings.TrimSpace(string(res.Body)); got != tt.body {
				t.Errorf("%s: got %s, want %s", tt.path, got, tt.body)
			}
		}
		// /readyz answers for the database: once its pools are closed, 503.
		for _, db := range ts.Store.DBs() {
			db.Close()
		}
		res := ts.do(t, creds{}, "GET", "/readyz", "")
		res.wantError(t, http.StatusServiceUnavailable, "503.000").wantFields(t)
		ts.do(t, creds{}, "GET", "/livez", "").wantStatus(t, http.StatusOK)
	})
}

func TestMetrics(t *testing.T) {
	forEachEngine(t, func(t *testing.T, ts *testServer) {
		c := ts.platform(t, "platform-one")
		ts.do(t, c, "GET", "/raas/v2/customers", "").wantStatus(t, http.StatusOK)
		ts.do(t, c, "GET", "/raas/v2/customers", "").wantStatus(t, http.StatusOK)
		ts.do(t, c, "GET", "/raas/v2/customers/nobody-1", "").wantStatus(t, http.StatusNotFound)
		ts.do(t, c, "GET", "/raas/v2/nothing", "").wantStatus(t, http.StatusNotFound)
		res := ts.do(t, creds{}, "GET", "/metrics", "")
		res.wantStatus(t, http.StatusOK)
		body := string(res.Body)
		for _, want := range []string{
			`coffer_http_requests_total{method="GET",route="GET /raas/v2/customers",status="200"} 2`,
			`coffer_http_requests_total{method="GET",route="GET /raas/v2/customers/{customerIdentifier}",status="404"} 1`,
			`coffer_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
			`coffer_http_request_duration_seconds_count{method="GET",route="GET /raas/v2/customers",status="200"} 2`,
		} {
			if !strings.Contains(body, want+"\n") {
				t.Errorf("metrics: no line %q in\n%s", want, body)
			}
		}
		for _, s := range []string{"platform", "nobody-1"} {
			if strings.Contains(body, s) {
				t.Errorf("metrics hold %q:\n%s", s, body)
			}
		}
	})
}

// panicking is a customer service whose listing panics with details that must not leak.
type panicking struct{ coffer.CustomerService }

func (panicking) ListCustomers(context.Context, *coffer.Principal, func(*coffer.Customer) error) error {
	panic("boom: SELECT secret FROM /var/lib/coffer/data.db")
}

func TestPanicRecovery(t *testing.T) {
	testdb.ForEachEngine(t, func(t *testing.T, dsn string) {
		ts := newTestServerWith(t, dsn, func(c *cofferhttp.Config) {
			c.Customers = panicking{c.Customers}
		})
		c := ts.platform(t, "platform-one")
		res := ts.do(t, c, "GET", "/raas/v2/customers", "", "X-Request-Id", "panic-1")
		e := res.wantError(t, http.StatusInternalServerError, "500.000")
		e.wantFields(t)
		if e.Message != "An internal error occurred." {
			t.Errorf("message: got %q", e.Message)
		}
		for _, leak := range []string{"boom", "SELECT", "/var/lib", "goroutine", ".go:"} {
			if strings.Contains(string(res.Body), leak) {
				t.Errorf("body leaks %q: %s", leak, res.Body)
			}
		}
		if got := ts.accessLog(t, "panic-1").Status; got != http.StatusInternalServerError {
			t.Errorf("logged status: got %d, want 500", got)
		}
		if logs := ts.Logs.String(); strings.Count(logs, "boom") != 1 || !regexp.MustCompile(`"level":"ERROR".*"request_id":"panic-1".*boom`).MatchString(logs) {
			t.Errorf("the panic is not logged once, with the request id:\n%s", logs)
		}
		// The server lives on.
		ts.do(t, c, "GET", "/raas/v2/customers/platform-one", "").wantStatus(t, http.StatusOK)
	})
}

// failing is a customer service whose listing fails after many customers have been sent.
type failing struct{ coffer.CustomerService }

func (failing) ListCustomers(_ context.Context, _ *coffer.Principal, fn func(*coffer.Customer) error) error {
	for i := range 2000 {
		c := &coffer.Customer{Identifier: fmt.Sprintf("cust-%04d", i), DisplayName: "x", Status: coffer.CustomerActive}
		if err := fn(c); err != nil {
			return err
		}
	}
	return errors.New("the database went away")
}

func TestStreamFailureAbortsTheResponse(t *testing.T) {
	testdb.ForEachEngine(t, func(t *testing.T, dsn string) {
		ts := newTestServerWith(t, dsn, func(c *cofferhttp.Config) {
			c.Customers = failing{c.Customers}
		})
		c := ts.platform(t, "platform-one")
		req, err := http.NewRequest("GET", ts.URL+"/raas/v2/customers", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth(c.name, c.key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("status: got %d, want 200 (the list had begun)", res.StatusCode)
		}
		b, err := io.ReadAll(res.Body)
		if err == nil {
			t.Errorf("read: got a whole body of %d bytes, want the connection cut so that a cut list is never taken for a whole one", len(b))
		}
		if json.Valid(b) {
			t.Errorf("body: got valid JSON, want a cut list")
		}
	})
}

// gated is a customer service whose listing stops after the first customer until released.
type gated struct {
	coffer.CustomerService
	started chan struct{}
	release chan struct{}
}

func (g gated) ListCustomers(ctx context.Context, p *coffer.Principal, fn func(*coffer.Customer) error) error {
	first := true
	return g.CustomerService.ListCustomers(ctx, p, func(c *coffer.Customer) error {
		if first {
			first = false
			close(g.started)
			<-g.release
		}
		return fn(c)
	})
}

// refused waits until a new connection to addr is refused.
func refused(tb testing.TB, addr string) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return
		}
		conn.Close()
		time.Sleep(10 * time.Millisecond)
	}
	tb.Fatalf("connections to %s are still accepted", addr)
}

func TestGracefulShutdown(t *testing.T) {
	testdb.ForEachEngine(t, func(t *testing.T, dsn string) {
		g := gated{started: make(chan struct{}), release: make(chan struct{})}
		ts := newTestServerWith(t, dsn, func(c *cofferhttp.Config) {
			g.CustomerService = c.Customers
			c.Customers = g
		})
		c := ts.platform(t, "platform-one")
		p, err := ts.Store.Authenticate(context.Background(), c.name, c.key)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"platform-one"}
		for i := range 50 {
			id := fmt.Sprintf("cust-%02d", i)
			if _, err := ts.Store.CreateCustomer(context.Background(), p, coffer.CustomerCreate{Identifier: id, DisplayName: "x"}); err != nil {
				t.Fatal(err)
			}
			want = append(want, id)
		}

		type result struct {
			res *http.Response
			err error
		}
		done := make(chan result, 1)
		client := &http.Client{Transport: &http.Transport{}}
		go func() {
			req, _ := http.NewRequest("GET", ts.URL+"/raas/v2/customers", nil)
			req.SetBasicAuth(c.name, c.key)
			res, err := client.Do(req)
			done <- result{res, err}
		}()
		<-g.started

		// Shutdown begins with the request in flight: new connections are refused, and Serve
		// waits for the request.
		ts.Shutdown()
		refused(t, strings.TrimPrefix(ts.URL, "http://"))
		select {
		case <-ts.Done:
			t.Fatal("Serve returned with a request in flight")
		case <-time.After(50 * time.Millisecond):
		}
		close(g.release)

		r := <-done
		if r.err != nil {
			t.Fatalf("request in flight: %v", r.err)
		}
		defer r.res.Body.Close()
		body, err := io.ReadAll(r.res.Body)
		if err != nil || r.res.StatusCode != http.StatusOK {
			t.Fatalf("request in flight: got %d, %v, want 200 and the whole list", r.res.StatusCode, err)
		}
		var list []customerView
		if err := json.Unmarshal(body, &list); err != nil {
			t.Fatalf("request in flight: %v\n%s", err, body)
		}
		got := make([]string, len(list))
		for i, v := range list {
			got[i] = v.CustomerIdentifier
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("list: got %v, want %v", got, want)
		}
		select {
		case <-ts.Done:
		case <-time.After(10 * time.Second):
			t.Fatal("Serve did not return once the request was done")
		}
	})
}

func TestReadyzDuringDrain(t *testing.T) {
	testdb.ForEachEngine(t, func(t *testing.T, dsn string) {
		ts := newTestServerWith(t, dsn, func(c *cofferhttp.Config) {
			c.DrainDelay = time.Second
		})
		ts.do(t, creds{}, "GET", "/readyz", "").wantStatus(t, http.StatusOK)
		ts.Shutdown()
		// Until the drain delay is over, the server answers and /readyz says 503.
		client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		for {
			req, _ := http.NewRequest("GET", ts.URL+"/readyz", nil)
			res := send(t, client, req)
			if res.Status == http.StatusOK {
				continue // shutdown has not begun yet
			}
			res.wantError(t, http.StatusServiceUnavailable, "503.000").wantFields(t)
			break
		}
		req, _ := http.NewRequest("GET", ts.URL+"/livez", nil)
		send(t, client, req).wantStatus(t, http.StatusOK)
		<-ts.Done
		refused(t, strings.TrimPrefix(ts.URL, "http://"))
	})
}

// stalling is a customer service whose reads take longer than the request timeout: finding a
// customer waits for its context, as a database does; listing pauses between customers.
type stalling struct {
	coffer.CustomerService
	pause time.Duration
}

func (s stalling) FindCustomer(ctx context.Context, p *coffer.Principal, id string) (*coffer.Customer, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func (s stalling) ListCustomers(ctx context.Context, p *coffer.Principal, fn func(*coffer.Customer) error) error {
	return s.CustomerService.ListCustomers(ctx, p, func(c *coffer.Customer) error {
		select {
		case <-time.After(s.pause):
		case <-ctx.Done():
			return ctx.Err()
		}
		return fn(c)
	})
}

func TestRequestTimeout(t *testing.T) {
	testdb.ForEachEngine(t, func(t *testing.T, dsn string) {
		const timeout = 100 * time.Millisecond
		ts := newTestServerWith(t, dsn, func(c *cofferhttp.Config) {
			c.RequestTimeout = timeout
			c.Customers = stalling{CustomerService: c.Customers, pause: timeout}
		})
		c := ts.platform(t, "platform-one")
		ts.createCustomer(t, c, "cust-1", "One")
		ts.createCustomer(t, c, "cust-2", "Two")

		// A read that outlives the request deadline is cut short with a 503 (the service
		// answers only when its context ends: without the deadline this request would hang).
		ts.do(t, c, "GET", "/raas/v2/customers/cust-1", "").wantError(t, http.StatusServiceUnavailable, "503.000")

		// A streamed list is not bound by the request deadline: three customers, each after a
		// pause as long as the whole deadline, all arrive.
		var list []customerView
		res := ts.do(t, c, "GET", "/raas/v2/customers", "")
		res.wantStatus(t, http.StatusOK)
		res.JSON(t, &list)
		if len(list) != 3 {
			t.Errorf("streamed list past the request deadline: got %d customers, want 3", len(list))
		}
	})
}
