package http

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/sqlstore"
)

// The benchmarks of the HTTP layer: the hot functions alone, and whole requests through the
// server's handler on a real SQLite store (no network), whose CPU profiles show where a request's
// time goes:
//
//	go test ./http -run '^$' -bench Serve -benchmem -cpuprofile cpu.out && go tool pprof -top http.test cpu.out

// benchAccount is an account as a view of it is written on most answers.
var benchAccount = &coffer.Account{Identifier: "acct-0001234", Number: "A123456789012", CustomerIdentifier: "cust-000042",
	DisplayName: "Travel budget", CreatedAt: time.UnixMilli(1_767_225_600_123), Status: coffer.AccountActive, Currency: coffer.EUR,
	Balance: 912788, ContactEmail: "owner@example.com", FundingNotification: []string{"finance@example.com", "ops@example.org"}}

func BenchmarkAccountViewJSON(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		writeJSON(rec, http.StatusOK, newAccountView(benchAccount))
		if rec.Body.Len() == 0 {
			b.Fatal("empty body")
		}
	}
}

func BenchmarkRequestID(b *testing.B) {
	for _, in := range []string{"", "client-sent-id.0042"} {
		name := "generated"
		if in != "" {
			name = "echoed"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if requestID(in) == "" {
					b.Fatal("empty id")
				}
			}
		})
	}
}

// benchServer is a server on a SQLite store with one platform, benchCustomers customers and
// benchAccounts accounts spread over them, a quarter of them in EUR.
type benchServer struct {
	srv        *Server
	auth       string
	deepCursor string // a nextCursor of the filtered EUR list, far into it
}

const (
	benchCustomers = 20
	benchAccounts  = 2000
)

func newBenchServer(b *testing.B) *benchServer {
	b.Helper()
	ctx := context.Background()
	store, err := sqlstore.Open(ctx, filepath.Join(b.TempDir(), "bench.db"), sqlstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	key, err := store.CreatePlatform(ctx, "bench-platform")
	if err != nil {
		b.Fatal(err)
	}
	p, err := store.Authenticate(ctx, key.PlatformName, key.PlatformKey)
	if err != nil {
		b.Fatal(err)
	}
	for i := range benchCustomers {
		if _, err := store.CreateCustomer(ctx, p, coffer.CustomerCreate{Identifier: fmt.Sprintf("cust-%06d", i), DisplayName: fmt.Sprintf("Customer %d", i)}); err != nil {
			b.Fatal(err)
		}
	}
	// Concurrently, so that the store commits the creations in batches.
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < benchAccounts; i += 8 {
				in := coffer.AccountCreate{Identifier: fmt.Sprintf("acct-%07d", i), DisplayName: fmt.Sprintf("Budget %d", i),
					ContactEmail: fmt.Sprintf("owner%d@example.com", i%100), Currency: []coffer.Currency{coffer.USD, coffer.EUR, coffer.GBP, coffer.CAD}[i%4]}
				if _, err := store.CreateAccount(ctx, p, fmt.Sprintf("cust-%06d", i%benchCustomers), in); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	bs := &benchServer{
		srv: NewServer(Config{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Platforms: store, Customers: store,
			Accounts: store, CursorSecret: store.CursorSecret(), Ping: store.Ping}),
		auth: "Basic " + base64.StdEncoding.EncodeToString([]byte(key.PlatformName+":"+key.PlatformKey)),
	}
	// Walk most of the EUR list for a deep cursor.
	cursor := ""
	for range benchAccounts / 4 / 20 * 9 / 10 {
		var page struct{ NextCursor *string }
		rec := bs.serve(b, http.MethodGet, listEURPath(cursor), "")
		if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil || page.NextCursor == nil {
			b.Fatalf("walk the EUR list: %v %s", err, rec.Body)
		}
		cursor = *page.NextCursor
	}
	bs.deepCursor = cursor
	return bs
}

func listEURPath(cursor string) string {
	p := "/raas/v2/accounts?paginate=true&maxResults=20&currencyCode=EUR"
	if cursor != "" {
		p += "&nextCursor=" + cursor
	}
	return p
}

// serve answers one request through the server's handler and fails unless it is 2xx.
func (bs *benchServer) serve(b *testing.B, method, path, body string) *httptest.ResponseRecorder {
	var r *http.Request
	if body == "" {
		r = httptest.NewRequest(method, path, nil)
	} else {
		r = httptest.NewRequest(method, path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
	}
	r.Header.Set("Authorization", bs.auth)
	rec := httptest.NewRecorder()
	bs.srv.ServeHTTP(rec, r)
	if rec.Code/100 != 2 {
		b.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
	}
	return rec
}

// BenchmarkServe measures whole requests through the middleware, authentication, the store and
// the JSON views, one at a time.
func BenchmarkServe(b *testing.B) {
	bs := newBenchServer(b)
	n := 0
	tests := []struct {
		name   string
		method string
		path   func() string
		body   func() string // nil for none
	}{
		{"get customer", http.MethodGet, func() string { return fmt.Sprintf("/raas/v2/customers/cust-%06d", n%benchCustomers) }, nil},
		{"get account", http.MethodGet, func() string { return fmt.Sprintf("/raas/v2/accounts/acct-%07d", n%benchAccounts) }, nil},
		{"list first page", http.MethodGet, func() string { return listEURPath("") }, nil},
		{"list deep page", http.MethodGet, func() string { return listEURPath(bs.deepCursor) }, nil},
		{"patch account", http.MethodPatch,
			func() string {
				return fmt.Sprintf("/raas/v2/customers/cust-%06d/accounts/acct-%07d", n%benchCustomers, n%benchAccounts)
			},
			func() string { return fmt.Sprintf(`{"displayName":"Patched %d"}`, n) }},
		{"create account", http.MethodPost, func() string { return fmt.Sprintf("/raas/v2/customers/cust-%06d/accounts", n%benchCustomers) },
			func() string {
				return fmt.Sprintf(`{"accountIdentifier":"new-acct-%d","displayName":"New %d","contactEmail":"new@example.com","currencyCode":"EUR"}`, n, n)
			}},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				n++
				body := ""
				if tt.body != nil {
					body = tt.body()
				}
				bs.serve(b, tt.method, tt.path(), body)
			}
		})
	}
}
