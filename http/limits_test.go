package http_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	cofferhttp "github.com/cofferhq/coffer/http"
	"github.com/cofferhq/coffer/internal/testdb"
)

// TestRateLimit checks the per-platform token bucket through a real server: a platform past its
// burst gets 429 with Retry-After, another platform is not slowed, requests with wrong
// credentials are charged to nobody, and the bucket refills.
func TestRateLimit(t *testing.T) {
	const burst = 3
	ts := newTestServerWith(t, testdb.SQLite(t), func(c *cofferhttp.Config) {
		c.RateLimit = 20 // a token every 50ms
		c.RateBurst = burst
	})
	one := ts.platform(t, "platform-one")
	two := ts.platform(t, "platform-two")

	// Wrong keys that name platform-one do not spend its tokens: else anyone who knows a
	// platform's name could throttle it.
	for range 2 * burst {
		ts.do(t, creds{one.name, "wrong"}, "GET", "/raas/v2/customers", "").wantError(t, http.StatusUnauthorized, "401.002")
	}
	for i := range burst {
		if res := ts.do(t, one, "GET", "/raas/v2/customers", ""); res.Status != http.StatusOK {
			t.Fatalf("request %d of the burst: got %d, want 200\n%s", i+1, res.Status, res.Body)
		}
	}
	for _, route := range []struct{ method, path, body string }{
		{"GET", "/raas/v2/customers", ""},
		{"POST", "/raas/v2/customers", `{"customerIdentifier":"cust-1","displayName":"One"}`},
		{"GET", "/raas/v2/accounts", ""},
	} {
		res := ts.do(t, one, route.method, route.path, route.body)
		res.wantError(t, http.StatusTooManyRequests, "429.001").wantFields(t)
		ra, err := strconv.Atoi(res.Header.Get("Retry-After"))
		if err != nil || ra < 1 {
			t.Errorf("%s %s: Retry-After: got %q, want a whole number of seconds, at least 1", route.method, route.path, res.Header.Get("Retry-After"))
		}
		if got := res.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s %s: Cache-Control: got %q, want no-store", route.method, route.path, got)
		}
	}
	// The refused POST did nothing.
	ts.do(t, two, "GET", "/raas/v2/customers/cust-1", "").wantError(t, http.StatusNotFound, "404.002")

	// Another platform has its whole burst.
	for i := range burst - 1 {
		if res := ts.do(t, two, "GET", "/raas/v2/customers", ""); res.Status != http.StatusOK {
			t.Errorf("platform-two, request %d: got %d, want 200\n%s", i+1, res.Status, res.Body)
		}
	}

	// The bucket refills: a token comes back every 50ms. The bound only guards against a hang.
	deadline := time.Now().Add(10 * time.Second)
	for {
		res := ts.do(t, one, "GET", "/raas/v2/customers", "")
		if res.Status == http.StatusOK {
			break
		}
		res.wantError(t, http.StatusTooManyRequests, "429.001")
		if time.Now().After(deadline) {
			t.Fatal("platform-one still refused after 10s, want a token back every 50ms")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRateLimitOffByDefault checks that a server configured without a rate limit never answers
// 429, however fast one platform sends.
func TestRateLimitOffByDefault(t *testing.T) {
	ts := newTestServer(t, testdb.SQLite(t))
	c := ts.platform(t, "platform-one")
	client := pooledClient(t, 8)
	for i := range 500 {
		res, err := ts.attempt(client, c, "GET", "/raas/v2/customers/platform-one", "")
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != http.StatusOK {
			t.Fatalf("request %d: got %d, want 200\n%s", i+1, res.Status, res.Body)
		}
	}
}

// rawClient is a client whose exchanges are not checked against the API document: for answers
// that net/http itself gives before any handler runs (431), which are no API operation's.
func rawClient(tb testing.TB) *http.Client {
	tb.Helper()
	c := &http.Client{Transport: &http.Transport{}, Timeout: 20 * time.Second}
	tb.Cleanup(c.CloseIdleConnections)
	return c
}

// TestHeaderLimit checks that headers past MaxHeaderBytes are refused with 431 before any
// handler runs, and that headers within it are served.
func TestHeaderLimit(t *testing.T) {
	ts := newTestServerWith(t, testdb.SQLite(t), func(c *cofferhttp.Config) { c.MaxHeaderBytes = 8 << 10 })
	c := ts.platform(t, "platform-one")
	client := rawClient(t)
	tests := []struct {
		name   string
		header int // bytes of one extra header's value
		want   int
	}{
		{"within the limit", 4 << 10, http.StatusOK},
		// net/http allows 4096 bytes beyond MaxHeaderBytes for the request line and the rest.
		{"past the limit", 16 << 10, http.StatusRequestHeaderFieldsTooLarge},
		{"far past the limit", 1 << 20, http.StatusRequestHeaderFieldsTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest("GET", ts.URL+"/raas/v2/customers", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.SetBasicAuth(c.name, c.key)
			req.Header.Set("X-Padding", strings.Repeat("p", tt.header))
			res, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tt.want {
				t.Errorf("got %d, want %d\n%.200s", res.StatusCode, tt.want, body)
			}
		})
	}
	// The default is the constant.
	ts = newTestServer(t, testdb.SQLite(t))
	c = ts.platform(t, "platform-one")
	for _, tt := range []struct{ header, want int }{{cofferhttp.MaxHeaderBytes / 2, http.StatusOK}, {cofferhttp.MaxHeaderBytes + 8<<10, http.StatusRequestHeaderFieldsTooLarge}} {
		req, err := http.NewRequest("GET", ts.URL+"/raas/v2/customers", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth(c.name, c.key)
		req.Header.Set("X-Padding", strings.Repeat("p", tt.header))
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tt.want {
			t.Errorf("default limit, header of %d bytes: got %d, want %d", tt.header, res.StatusCode, tt.want)
		}
	}
}

// rawExchange writes a request as bytes on a new connection, the body from a goroutine so that
// the server may answer before it has read everything, and reads the answer; closing reports
// whether the server said it closes the connection after it.
func rawExchange(tb testing.TB, ts *testServer, head string, body func(w io.Writer) error) (res *response, closing bool) {
	tb.Helper()
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(ts.URL, "http://"), 5*time.Second)
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	wrote := make(chan error, 1)
	go func() {
		_, err := io.WriteString(conn, head)
		if err == nil && body != nil {
			err = body(conn)
		}
		wrote <- err
	}()
	hres, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		tb.Fatalf("read the answer: %v", err)
	}
	defer hres.Body.Close()
	b, err := io.ReadAll(hres.Body)
	if err != nil {
		tb.Fatalf("read the answer's body: %v", err)
	}
	conn.Close() // stops the writer if the server answered before reading everything
	<-wrote
	return &response{Status: hres.StatusCode, Header: hres.Header, Body: b}, hres.Close
}

// TestChunkedBodyLimit checks that a body sent chunked, without Content-Length, is cut at
// MaxBodyBytes like any other: 413 on every route that reads a body (read from routes.go).
func TestChunkedBodyLimit(t *testing.T) {
	forEachEngine(t, func(t *testing.T, ts *testServer) {
		c := ts.platform(t, "platform-one")
		ts.createCustomer(t, c, "cust-1", "One")
		ts.newAccount(t, c, "cust-1", "acct-1")
		ids := map[string]string{"customerIdentifier": "cust-1", "accountIdentifier": "acct-1"}
		n := 0
		for _, r := range apiRoutes(t) {
			if !r.writes() {
				continue
			}
			n++
			path := r.path(t, ids)
			for _, size := range []int{cofferhttp.MaxBodyBytes + 1, 4 * cofferhttp.MaxBodyBytes} {
				head := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: %s\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
					r.method, path, basic(c.name, c.key))
				res, closing := rawExchange(t, ts, head, func(w io.Writer) error {
					bw := bufio.NewWriter(w)
					// A valid JSON object whose padding field makes it size bytes in all,
					// in chunks of 32 KiB.
					pad := size - len(`{"displayName":"x","pad":""}`)
					body := `{"displayName":"x","pad":"` + strings.Repeat("p", pad) + `"}`
					for len(body) > 0 {
						chunk := body[:min(len(body), 32<<10)]
						body = body[len(chunk):]
						if _, err := fmt.Fprintf(bw, "%x\r\n%s\r\n", len(chunk), chunk); err != nil {
							return err
						}
					}
					if _, err := io.WriteString(bw, "0\r\n\r\n"); err != nil {
						return err
					}
					return bw.Flush()
				})
				res.wantError(t, http.StatusRequestEntityTooLarge, "413.001").wantFields(t)
				if !closing {
					t.Errorf("%s %s, %d bytes: no Connection: close, want it (the rest of the body is not read)", r.method, path, size)
				}
			}
		}
		if n == 0 {
			t.Fatal("no route of routes.go takes a body")
		}
		// Nothing was written.
		res := ts.do(t, c, "GET", "/raas/v2/accounts/acct-1", "")
		res.wantStatus(t, http.StatusOK)
		var a wireAccount
		res.JSON(t, &a)
		if a.DisplayName != "Account acct-1" {
			t.Errorf("displayName: got %q, want the one it was created with", a.DisplayName)
		}
	})
}

// TestSlowHeaders checks that a client that sends its headers one byte a second is cut off by
// the server's ReadHeaderTimeout instead of holding a connection for as long as it likes.
func TestSlowHeaders(t *testing.T) {
	ts := newTestServerWith(t, testdb.SQLite(t), func(c *cofferhttp.Config) { c.ReadHeaderTimeout = time.Second })
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(ts.URL, "http://"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	request := "GET /raas/v2/customers HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + strings.Repeat("s", 60) + "\r\n\r\n"
	sent := make(chan int, 1) // how many bytes went out before a write failed or all did
	stop := make(chan struct{})
	go func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		i := 0
		for ; i < len(request); i++ {
			if _, err := conn.Write([]byte{request[i]}); err != nil {
				break
			}
			select {
			case <-tick.C:
			case <-stop:
				sent <- i + 1
				return
			}
		}
		sent <- i
	}()
	// The bound only guards against a hang: the whole request would take 80 seconds.
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	b, err := io.ReadAll(conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the server still held the connection after 20s of a byte a second")
	}
	if err != nil && !errors.Is(err, net.ErrClosed) && !strings.Contains(err.Error(), "reset") {
		t.Fatalf("read: %v", err)
	}
	close(stop)
	n := <-sent
	if n >= len(request) {
		t.Fatalf("the whole request went out (%d bytes) before the server closed, want it cut off", n)
	}
	// net/http may say why before it closes: 400 or 408, never a handler's answer.
	if len(b) > 0 && !strings.HasPrefix(string(b), "HTTP/1.1 400 ") && !strings.HasPrefix(string(b), "HTTP/1.1 408 ") {
		t.Errorf("got %q, want the connection closed, at most with a 400 or 408", b)
	}
	// The server is fine for everyone else.
	ts.do(t, creds{}, "GET", "/livez", "").wantStatus(t, http.StatusOK)
}

// TestCacheControlEverywhere checks that every answer of the API carries Cache-Control:
// no-store, errors included: a shared cache must keep neither a platform's data nor an answer
// about its credentials, and 404 and 405 are cacheable by default (RFC 9111, 4.2.2).
func TestCacheControlEverywhere(t *testing.T) {
	ts := newTestServer(t, testdb.SQLite(t))
	c := ts.platform(t, "platform-one")
	ro := ts.key(t, "platform-one", true, nil)
	ts.createCustomer(t, c, "cust-1", "One")
	ts.newAccount(t, c, "cust-1", "acct-1")
	ids := map[string]string{"customerIdentifier": "cust-1", "accountIdentifier": "acct-1"}
	missing := map[string]string{"customerIdentifier": "nobody-1", "accountIdentifier": "nobody-1"}
	var all []*response
	for _, r := range apiRoutes(t) {
		body := ""
		if r.writes() {
			body = `{}`
		}
		path := r.path(t, ids)
		all = append(all,
			ts.do(t, c, r.method, path, body),
			ts.do(t, c, r.method, r.path(t, missing), body),
			ts.do(t, creds{}, r.method, path, body),
			ts.do(t, creds{c.name, "wrong"}, r.method, path, body),
			ts.do(t, ro, r.method, path, body),
			ts.do(t, c, r.method, path, body, "Accept", "text/html"),
			ts.do(t, c, r.method, path+"?%%%", body),
		)
		if r.writes() {
			all = append(all, ts.do(t, c, r.method, path, "x", "Content-Type", "text/plain"))
		}
	}
	all = append(all,
		ts.do(t, c, "GET", "/raas/v2/nothing", ""),
		ts.do(t, c, "DELETE", "/raas/v2/customers", ""),
	)
	statuses := map[int]bool{}
	for _, res := range all {
		statuses[res.Status] = true
		if got := res.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%d %.200s: Cache-Control: got %q, want no-store", res.Status, res.Body, got)
		}
	}
	// 429 is checked by TestRateLimit.
	for _, s := range []int{200, 400, 401, 403, 404, 405, 406, 415} {
		if !statuses[s] {
			t.Errorf("no answer with status %d among those checked", s)
		}
	}
	// Outside the API, the documents may be cached.
	if got := ts.do(t, creds{}, "GET", "/openapi.json", "").Header.Get("Cache-Control"); got == "no-store" {
		t.Errorf("/openapi.json: Cache-Control: got %q, want it cacheable", got)
	}
}
