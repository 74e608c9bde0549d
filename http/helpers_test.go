package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/cofferhq/coffer"
	cofferhttp "github.com/cofferhq/coffer/http"
	"github.com/cofferhq/coffer/internal/testdb"
	"github.com/cofferhq/coffer/sqlstore"
)

// testServer is a real server on a real listener on 127.0.0.1, over a real database.
type testServer struct {
	URL   string // base URL, without /raas/v2
	Store *sqlstore.Store
	Logs  *syncBuffer // every log line the server wrote
	stop  func()
}

// syncBuffer is a bytes.Buffer safe for the server's concurrent log writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newTestServer opens a store on dsn and serves it until the test ends.
func newTestServer(tb testing.TB, dsn string) *testServer {
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
		tb.Fatalf("listen: %v", err)
	}
	logs := &syncBuffer{}
	srv := cofferhttp.NewServer(cofferhttp.Config{
		Logger:    slog.New(slog.NewJSONHandler(logs, nil)),
		Platforms: store,
		Customers: store,
		Ping:      store.Ping,
	})
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	ts := &testServer{URL: "http://" + ln.Addr().String(), Store: store, Logs: logs}
	ts.stop = sync.OnceFunc(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
			tb.Errorf("serve: %v", err)
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
		Path         string `json:"path"`
		I18nKey      string `json:"i18nKey"`
		Message      string `json:"message"`
		InvalidValue any    `json:"invalidValue"`
		Constraint   string `json:"constraint"`
	} `json:"errors"`
}

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
// otherwise. Extra headers come in name, value pairs.
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
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return &response{Status: res.StatusCode, Header: res.Header, Body: b}
}

var _ = coffer.EINVALID
