package http_test

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/cofferhq/coffer/internal/testlog"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	cofferhttp "github.com/cofferhq/coffer/http"
	"github.com/cofferhq/coffer/internal/testdb"
	"github.com/cofferhq/coffer/sqlstore"
)

// testServer is a real server on a real listener on 127.0.0.1, over a real database.
type testServer struct {
	URL   string // base URL, without /raas/v2
	Store *sqlstore.Store
	Logs  *testlog.Buffer // every log line the server wrote
	// Shutdown begins the server's graceful shutdown; Done is closed when Serve has returned.
	Shutdown context.CancelFunc
	Done     <-chan struct{}
	stop     func()
}

// newTestServer opens a store on dsn and serves it until the test ends.
func newTestServer(tb testing.TB, dsn string) *testServer {
	tb.Helper()
	return newTestServerWith(tb, dsn, nil)
}

// newTestServerWith is newTestServer with a chance to change the server's configuration, such
// as wrapping its services, before it starts.
func newTestServerWith(tb testing.TB, dsn string, configure func(*cofferhttp.Config)) *testServer {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	store, err := sqlstore.Open(ctx, dsn, sqlstore.Options{})
	if err != nil {
		cancel()
		tb.Fatalf("open store: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cancel()
		store.Close()
		tb.Fatalf("listen: %v", err)
	}
	logs := &testlog.Buffer{}
	cfg := cofferhttp.Config{
		Logger:       slog.New(slog.NewJSONHandler(logs, nil)),
		Platforms:    store,
		Customers:    store,
		Accounts:     store,
		CursorSecret: store.CursorSecret(),
		Ping:         store.Ping,
	}
	if configure != nil {
		configure(&cfg)
	}
	srv := cofferhttp.NewServer(cfg)
	done := make(chan struct{})
	var serveErr error
	go func() {
		serveErr = srv.Serve(ctx, ln)
		close(done)
	}()
	ts := &testServer{URL: "http://" + ln.Addr().String(), Store: store, Logs: logs, Shutdown: cancel, Done: done}
	ts.stop = sync.OnceFunc(func() {
		cancel()
		<-done
		if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
			tb.Errorf("serve: %v", serveErr)
		}
		store.Close()
	})
	tb.Cleanup(ts.stop)
	return ts
}

// forEachEngine runs fn with a fresh test server on each storage engine.
func forEachEngine(t *testing.T, fn func(t *testing.T, ts *testServer)) {
	t.Helper()
	testdb.ForEachEngine(t, func(t *testing.T, dsn string) { fn(t, newTestServer(t, dsn)) })
}

// creds are HTTP Basic credentials; the zero value sends none.
type creds struct{ name, key string }

// platform creates a platform and returns its first key's credentials.
func (ts *testServer) platform(tb testing.TB, name string) creds {
	tb.Helper()
	k, err := ts.Store.CreatePlatform(context.Background(), name)
	if err != nil {
		tb.Fatalf("create platform %s: %v", name, err)
	}
	return creds{k.PlatformName, k.PlatformKey}
}

// key creates another key of a platform.
func (ts *testServer) key(tb testing.TB, platform string, readOnly bool, customers []string) creds {
	tb.Helper()
	k, err := ts.Store.CreateKey(context.Background(), platform, readOnly, customers)
	if err != nil {
		tb.Fatalf("create key: %v", err)
	}
	return creds{k.PlatformName, k.PlatformKey}
}

// response is an answer of the server, with its body read.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test if it is not JSON.
func (r *response) JSON(tb testing.TB, v any) {
	tb.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		tb.Fatalf("body is not JSON: %v\n%s", err, r.Body)
	}
}

// wireError is the wire error body as a client reads it.
type wireError struct {
	Timestamp  string `json:"timestamp"`
	RequestID  string `json:"requestId"`
	Path       string `json:"path"`
	HTTPCode   int    `json:"httpCode"`
	HTTPPhrase string `json:"httpPhrase"`
	I18nKey    string `json:"i18nKey"`
	Message    string `json:"message"`
	Errors     []struct {
		Path         string          `json:"path"`
		I18nKey      string          `json:"i18nKey"`
		Message      string          `json:"message"`
		InvalidValue json.RawMessage `json:"invalidValue"`
		Constraint   string          `json:"constraint"`
	} `json:"errors"`
}

// field is an expected item of a wire error's errors list: its path, i18n key and invalidValue
// as compact JSON.
type field struct{ path, key, invalid string }

// wantFields checks the errors list of a wire error, item by item and in order.
func (e wireError) wantFields(tb testing.TB, want ...field) {
	tb.Helper()
	got := make([]field, len(e.Errors))
	for i, f := range e.Errors {
		got[i] = field{f.Path, f.I18nKey, string(f.InvalidValue)}
		if f.Message == "" || f.Constraint == "" {
			tb.Errorf("errors[%d]: got message %q and constraint %q, want both set", i, f.Message, f.Constraint)
		}
	}
	if len(want) == 0 {
		want = []field{}
	}
	if !slices.Equal(got, want) {
		tb.Errorf("errors: got %q, want %q", got, want)
	}
}

// jsonText returns v as compact JSON.
func jsonText(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatalf("marshal %v: %v", v, err)
	}
	return string(b)
}

// volatile matches the members of a wire error body that differ from one request to the next.
var volatile = regexp.MustCompile(`"(timestamp|requestId)":"[^"]*"`)

// stable returns a wire error body without its timestamp and request id.
func stable(body []byte) string { return volatile.ReplaceAllString(string(body), `"$1":"-"`) }

// wantError checks that the response is the wire error body with the status and i18n key, and
// returns the body.
func (r *response) wantError(tb testing.TB, status int, key string) wireError {
	tb.Helper()
	if r.Status != status {
		tb.Fatalf("status: got %d, want %d\n%s", r.Status, status, r.Body)
	}
	var e wireError
	r.JSON(tb, &e)
	if e.I18nKey != key {
		tb.Errorf("i18nKey: got %q, want %q\n%s", e.I18nKey, key, r.Body)
	}
	if e.HTTPCode != status || e.HTTPPhrase != http.StatusText(status) {
		tb.Errorf("httpCode/httpPhrase: got %d %q, want %d %q", e.HTTPCode, e.HTTPPhrase, status, http.StatusText(status))
	}
	if e.RequestID == "" || e.RequestID != r.Header.Get("X-Request-Id") {
		tb.Errorf("requestId %q does not match X-REQUEST-ID %q", e.RequestID, r.Header.Get("X-Request-Id"))
	}
	if e.Errors == nil {
		tb.Errorf("errors: got null or missing, want a list\n%s", r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		tb.Errorf("Content-Type: got %q", ct)
	}
	return e
}

// wantStatus fails the test unless the response has the status.
func (r *response) wantStatus(tb testing.TB, status int) {
	tb.Helper()
	if r.Status != status {
		tb.Fatalf("status: got %d, want %d\n%s", r.Status, status, r.Body)
	}
}

// do sends a request; body, when not "", is sent as application/json unless a header says
// otherwise. Extra headers come in name, value pairs; an empty value removes the header.
func (ts *testServer) do(tb testing.TB, c creds, method, path, body string, headers ...string) *response {
	tb.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, ts.URL+path, rd)
	if err != nil {
		tb.Fatalf("new request: %v", err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.name != "" || c.key != "" {
		req.SetBasicAuth(c.name, c.key)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	return send(tb, http.DefaultClient, req)
}

// send sends a request with a client and reads the whole answer. Every exchange is checked
// against the API document (contract_test.go).
func send(tb testing.TB, client *http.Client, req *http.Request) *response {
	tb.Helper()
	res, err := withContract(tb, client).Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatalf("%s %s: read body: %v", req.Method, req.URL.Path, err)
	}
	return &response{Status: res.StatusCode, Header: res.Header, Body: b}
}
