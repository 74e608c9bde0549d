package http_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cofferhq/coffer"
	cofferhttp "github.com/cofferhq/coffer/http"
)

// client returns an API client for a platform's credentials on the test server, whose
// exchanges are checked against the API document like every other request of the tests.
func (ts *testServer) client(tb testing.TB, c creds) *cofferhttp.Client {
	tb.Helper()
	return &cofferhttp.Client{BaseURL: ts.URL, Platform: c.name, Key: c.key, HTTPClient: withContract(tb, &http.Client{Timeout: time.Minute})}
}

// mustAccount creates an account through the client and fails the test if it cannot.
func mustAccount(tb testing.TB, cl *cofferhttp.Client, customer string, in cofferhttp.NewAccount) *cofferhttp.Account {
	tb.Helper()
	a, err := cl.CreateAccount(context.Background(), customer, in)
	if err != nil {
		tb.Fatalf("create account %s: %v", in.AccountIdentifier, err)
	}
	return a
}

// identifiers returns the accounts' identifiers.
func identifiers(list []cofferhttp.Account) []string {
	out := make([]string, len(list))
	for i, a := range list {
		out[i] = a.AccountIdentifier
	}
	return out
}

func TestClientCustomers(t *testing.T) {
	forEachEngine(t, func(t *testing.T, ts *testServer) {
		ctx := context.Background()
		cl := ts.client(t, ts.platform(t, "platform-one"))

		created, err := cl.CreateCustomer(ctx, cofferhttp.NewCustomer{CustomerIdentifier: "cust-1", DisplayName: "Team One"})
		if err != nil {
			t.Fatal(err)
		}
		if created.CustomerIdentifier != "cust-1" || created.DisplayName != "Team One" || created.Status != coffer.CustomerActive || len(created.Accounts) != 0 {
			t.Errorf("created: got %+v, want cust-1, Team One, ACTIVE, no account", created)
		}
		if d := time.Since(created.CreatedAt); d < 0 || d > time.Minute {
			t.Errorf("createdAt: got %v, want about now", created.CreatedAt)
		}
		mustAccount(t, cl, "cust-1", cofferhttp.NewAccount{AccountIdentifier: "acct-1", DisplayName: "One", ContactEmail: "a@example.com", CurrencyCode: coffer.EUR})

		got, err := cl.GetCustomer(ctx, "cust-1")
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Accounts) != 1 || got.Accounts[0].AccountIdentifier != "acct-1" || got.Accounts[0].CurrencyCode != coffer.EUR ||
			got.Accounts[0].Status != coffer.AccountActive || !strings.HasPrefix(got.Accounts[0].AccountNumber, "A") {
			t.Errorf("accounts of cust-1: got %+v, want acct-1, EUR, ACTIVE", got.Accounts)
		}
		if !got.CreatedAt.Equal(created.CreatedAt) {
			t.Errorf("createdAt: got %v, want %v", got.CreatedAt, created.CreatedAt)
		}

		list, err := cl.ListCustomers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, c := range list {
			ids = append(ids, c.CustomerIdentifier)
		}
		if want := []string{"platform-one", "cust-1"}; !slices.Equal(ids, want) {
			t.Errorf("customers: got %q, want %q", ids, want)
		}

		// The client's JSON of a customer is the server's.
		res := ts.do(t, creds{cl.Platform, cl.Key}, "GET", "/raas/v2/customers/cust-1", "")
		mine, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		if want := strings.TrimSpace(string(res.Body)); string(mine) != want {
			t.Errorf("JSON of the customer: got %s, want %s", mine, want)
		}
	})
}

func TestClientAccounts(t *testing.T) {
	forEachEngine(t, func(t *testing.T, ts *testServer) {
		ctx := context.Background()
		c := ts.platform(t, "platform-one")
		cl := ts.client(t, c)
		// A trailing /raas/v2 on the base URL means the same.
		cl.BaseURL += "/raas/v2/"
		if _, err := cl.CreateCustomer(ctx, cofferhttp.NewCustomer{CustomerIdentifier: "cust-1", DisplayName: "One"}); err != nil {
			t.Fatal(err)
		}
		a := mustAccount(t, cl, "cust-1", cofferhttp.NewAccount{AccountIdentifier: "acct-1", DisplayName: "Main", ContactEmail: "ops@example.com",
			FundingNotification: []string{"f1@example.com", "f2@example.com"}})
		if a.CurrencyCode != coffer.USD || a.Status != coffer.AccountActive || a.CurrentBalance != 0 ||
			!slices.Equal(a.FundingNotification, []string{"f1@example.com", "f2@example.com"}) {
			t.Errorf("created: got %+v, want USD, ACTIVE, 0, two addresses", a)
		}

		// Balances come back exact: 0.29 and 9127.88 are not floats times 100.
		for _, tt := range []struct{ move, want int64 }{{29, 29}, {912759, 912788}, {100_000_000_000_00 - 912788 - 1, 100_000_000_000_00 - 1}} {
			if _, err := ts.Store.Move(ctx, "platform-one", "acct-1", tt.move, ""); err != nil {
				t.Fatal(err)
			}
			got, err := cl.GetAccount(ctx, "acct-1")
			if err != nil {
				t.Fatal(err)
			}
			if got.CurrentBalance != tt.want {
				t.Errorf("balance: got %d, want %d minor units", got.CurrentBalance, tt.want)
			}
			// The client's JSON of an account is the server's, balance included.
			res := ts.do(t, c, "GET", "/raas/v2/accounts/acct-1", "")
			mine, err := json.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			if want := strings.TrimSpace(string(res.Body)); string(mine) != want {
				t.Errorf("JSON of the account: got %s, want %s", mine, want)
			}
		}
	})
}

func TestClientUpdateAccount(t *testing.T) {
	forEachEngine(t, func(t *testing.T, ts *testServer) {
		ctx := context.Background()
		cl := ts.client(t, ts.platform(t, "platform-one"))
		if _, err := cl.CreateCustomer(ctx, cofferhttp.NewCustomer{CustomerIdentifier: "cust-1", DisplayName: "One"}); err != nil {
			t.Fatal(err)
		}
		mustAccount(t, cl, "cust-1", cofferhttp.NewAccount{AccountIdentifier: "acct-1", DisplayName: "Main", ContactEmail: "ops@example.com",
			CurrencyCode: coffer.GBP, FundingNotification: []string{"f1@example.com"}})
		name, email := "Renamed", "new@example.com"
		replaced, none := []string{"f2@example.com", "f3@example.com"}, []string{}
		tests := []struct {
			name        string
			up          cofferhttp.AccountUpdate
			wantName    string
			wantEmail   string
			wantFunding []string
		}{
			{"nothing", cofferhttp.AccountUpdate{}, "Main", "ops@example.com", []string{"f1@example.com"}},
			{"name only: the list stays", cofferhttp.AccountUpdate{DisplayName: &name}, "Renamed", "ops@example.com", []string{"f1@example.com"}},
			{"a list replaces", cofferhttp.AccountUpdate{ContactEmail: &email, FundingNotification: &replaced}, "Renamed", "new@example.com", replaced},
			{"nil leaves the list", cofferhttp.AccountUpdate{FundingNotification: nil}, "Renamed", "new@example.com", replaced},
			{"an empty list clears", cofferhttp.AccountUpdate{FundingNotification: &none}, "Renamed", "new@example.com", []string{}},
		}
		for _, tt := range tests {
			got, err := cl.UpdateAccount(ctx, "cust-1", "acct-1", tt.up)
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			if got.DisplayName != tt.wantName || got.ContactEmail != tt.wantEmail || !slices.Equal(got.FundingNotification, tt.wantFunding) || got.CurrencyCode != coffer.GBP {
				t.Errorf("%s: got %q %q %q %s, want %q %q %q GBP", tt.name, got.DisplayName, got.ContactEmail, got.FundingNotification, got.CurrencyCode,
					tt.wantName, tt.wantEmail, tt.wantFunding)
			}
		}
	})
}

func TestClientListFilters(t *testing.T) {
	forEachEngine(t, func(t *testing.T, ts *testServer) {
		ctx := context.Background()
		cl := ts.client(t, ts.platform(t, "platform-one"))
		for _, id := range []string{"cust-1", "cust-2"} {
			if _, err := cl.CreateCustomer(ctx, cofferhttp.NewCustomer{CustomerIdentifier: id, DisplayName: id}); err != nil {
				t.Fatal(err)
			}
		}
		mustAccount(t, cl, "cust-1", cofferhttp.NewAccount{AccountIdentifier: "usd-main", DisplayName: "Main budget", ContactEmail: "a@example.com"})
		mustAccount(t, cl, "cust-1", cofferhttp.NewAccount{AccountIdentifier: "eur-side", DisplayName: "Side", ContactEmail: "B@example.com",
			CurrencyCode: coffer.EUR, FundingNotification: []string{"fin@example.com"}})
		mustAccount(t, cl, "cust-2", cofferhttp.NewAccount{AccountIdentifier: "cad-other", DisplayName: "Other MAIN", ContactEmail: "c@example.com", CurrencyCode: coffer.CAD})
		gone := mustAccount(t, cl, "cust-2", cofferhttp.NewAccount{AccountIdentifier: "gbp-gone", DisplayName: "Gone", ContactEmail: "d@example.com", CurrencyCode: coffer.GBP})
		if _, err := ts.Store.Move(ctx, "platform-one", "eur-side", 1050, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := ts.Store.SetAccountStatus(ctx, "platform-one", "gbp-gone", coffer.AccountDeleted); err != nil {
			t.Fatal(err)
		}
		ten, eleven := int64(1050), int64(1100)
		today := time.Now().UTC().Format(time.DateOnly)
		tests := []struct {
			name     string
			customer string // "" for the platform-wide list
			f        cofferhttp.AccountFilter
			want     []string
		}{
			{"everything", "", cofferhttp.AccountFilter{}, []string{"usd-main", "eur-side", "cad-other"}},
			{"a customer's", "cust-1", cofferhttp.AccountFilter{}, []string{"usd-main", "eur-side"}},
			{"customerIdentifier", "", cofferhttp.AccountFilter{CustomerIdentifier: "cust-2"}, []string{"cad-other"}},
			{"accountNumber", "", cofferhttp.AccountFilter{AccountNumber: gone.AccountNumber, Status: coffer.AccountDeleted}, []string{"gbp-gone"}},
			{"displayName", "", cofferhttp.AccountFilter{DisplayName: "main"}, []string{"usd-main", "cad-other"}},
			{"status", "cust-2", cofferhttp.AccountFilter{Status: coffer.AccountDeleted}, []string{"gbp-gone"}},
			{"contactEmail", "", cofferhttp.AccountFilter{ContactEmail: "b@EXAMPLE.com"}, []string{"eur-side"}},
			{"currencyCodes", "", cofferhttp.AccountFilter{CurrencyCodes: []coffer.Currency{coffer.EUR, coffer.CAD}}, []string{"eur-side", "cad-other"}},
			{"minBalance", "", cofferhttp.AccountFilter{MinBalance: &ten}, []string{"eur-side"}},
			{"maxBalance", "", cofferhttp.AccountFilter{MaxBalance: &ten, MinBalance: new(int64)}, []string{"usd-main", "eur-side", "cad-other"}},
			{"min above the balance", "", cofferhttp.AccountFilter{MinBalance: &eleven}, nil},
			{"dates", "", cofferhttp.AccountFilter{MinDateCreatedAt: today, MaxDateCreatedAt: today}, []string{"usd-main", "eur-side", "cad-other"}},
			{"dates before", "", cofferhttp.AccountFilter{MaxDateCreatedAt: "2000-01-01"}, nil},
			{"fundingNotificationEmails", "", cofferhttp.AccountFilter{FundingNotificationEmails: []string{"nobody@example.com", "FIN@example.com"}}, []string{"eur-side"}},
		}
		for _, tt := range tests {
			var got []string
			var err error
			if tt.customer == "" {
				for a, e := range cl.AllAccounts(ctx, tt.f, 2) {
					if err = e; err != nil {
						break
					}
					got = append(got, a.AccountIdentifier)
				}
			} else {
				for a, e := range cl.AllCustomerAccounts(ctx, tt.customer, tt.f, 2) {
					if err = e; err != nil {
						break
					}
					got = append(got, a.AccountIdentifier)
				}
			}
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
			} else if !slices.Equal(got, tt.want) {
				t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
			}
		}
	})
}

func TestClientPaging(t *testing.T) {
	forEachEngine(t, func(t *testing.T, ts *testServer) {
		ctx := context.Background()
		cl := ts.client(t, ts.platform(t, "platform-one"))
		for _, id := range []string{"cust-1", "cust-2"} {
			if _, err := cl.CreateCustomer(ctx, cofferhttp.NewCustomer{CustomerIdentifier: id, DisplayName: id}); err != nil {
				t.Fatal(err)
			}
		}
		const n = 500
		var created []string
		for i := range n {
			id, customer, cur := fmt.Sprintf("acct-%03d", i), "cust-1", coffer.USD
			if i%5 == 0 {
				customer, cur = "cust-2", coffer.EUR
			}
			mustAccount(t, cl, customer, cofferhttp.NewAccount{AccountIdentifier: id, DisplayName: id, ContactEmail: "a@example.com", CurrencyCode: cur})
			created = append(created, id)
		}

		// Every account once, in creation order, however the pages cut the list.
		for _, size := range []int{0, 37, 200} {
			var got []string
			for a, err := range cl.AllAccounts(ctx, cofferhttp.AccountFilter{}, size) {
				if err != nil {
					t.Fatalf("page size %d: %v", size, err)
				}
				got = append(got, a.AccountIdentifier)
			}
			if !slices.Equal(got, created) {
				t.Errorf("page size %d: got %d accounts (%q...), want the %d in creation order", size, len(got), got[:min(3, len(got))], n)
			}
		}
		var eur []string
		for a, err := range cl.AllCustomerAccounts(ctx, "cust-2", cofferhttp.AccountFilter{CurrencyCodes: []coffer.Currency{coffer.EUR}}, 30) {
			if err != nil {
				t.Fatal(err)
			}
			eur = append(eur, a.AccountIdentifier)
		}
		if len(eur) != n/5 || eur[0] != "acct-000" || eur[len(eur)-1] != "acct-495" {
			t.Errorf("cust-2's EUR accounts: got %d from %q, want %d from acct-000 to acct-495", len(eur), eur[:min(1, len(eur))], n/5)
		}

		// One page at a time: forward, then back with the prevCursor.
		first, err := cl.ListAccounts(ctx, cofferhttp.AccountFilter{}, cofferhttp.PageRequest{MaxResults: 7})
		if err != nil {
			t.Fatal(err)
		}
		if got := identifiers(first.Items); !slices.Equal(got, created[:7]) || first.NumberOfElements != 7 || first.MaxResults != 7 ||
			first.PrevCursor != "" || first.PrevPageAvailable || first.NextCursor == "" || !first.NextPageAvailable {
			t.Fatalf("first page: got %q %+v", got, first)
		}
		second, err := cl.ListAccounts(ctx, cofferhttp.AccountFilter{}, cofferhttp.PageRequest{MaxResults: 7, NextCursor: first.NextCursor})
		if err != nil {
			t.Fatal(err)
		}
		if got := identifiers(second.Items); !slices.Equal(got, created[7:14]) || second.PrevCursor == "" {
			t.Fatalf("second page: got %q, want %q and a prevCursor", got, created[7:14])
		}
		back, err := cl.ListAccounts(ctx, cofferhttp.AccountFilter{}, cofferhttp.PageRequest{MaxResults: 7, PrevCursor: second.PrevCursor})
		if err != nil {
			t.Fatal(err)
		}
		if got := identifiers(back.Items); !slices.Equal(got, created[:7]) {
			t.Errorf("back: got %q, want %q", got, created[:7])
		}

		// Stopping early sends no more requests.
		var requests atomic.Int32
		counting := ts.client(t, creds{cl.Platform, cl.Key})
		counting.HTTPClient.Transport = countingTransport{counting.HTTPClient.Transport, &requests}
		seen := 0
		for _, err := range counting.AllAccounts(ctx, cofferhttp.AccountFilter{}, 10) {
			if err != nil {
				t.Fatal(err)
			}
			if seen++; seen == 15 {
				break
			}
		}
		if got := requests.Load(); got != 2 {
			t.Errorf("requests for 15 accounts in pages of 10: got %d, want 2", got)
		}
	})
}

// countingTransport counts the requests it carries.
type countingTransport struct {
	base http.RoundTripper
	n    *atomic.Int32
}

func (c countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.base.RoundTrip(r)
}

func TestClientErrors(t *testing.T) {
	forEachEngine(t, func(t *testing.T, ts *testServer) {
		ctx := context.Background()
		c := ts.platform(t, "platform-one")
		cl := ts.client(t, c)
		if _, err := cl.CreateCustomer(ctx, cofferhttp.NewCustomer{CustomerIdentifier: "cust-1", DisplayName: "One"}); err != nil {
			t.Fatal(err)
		}
		if _, err := cl.CreateCustomer(ctx, cofferhttp.NewCustomer{CustomerIdentifier: "cust-2", DisplayName: "Two"}); err != nil {
			t.Fatal(err)
		}
		mustAccount(t, cl, "cust-1", cofferhttp.NewAccount{AccountIdentifier: "acct-1", DisplayName: "One", ContactEmail: "a@example.com"})
		wrong := ts.client(t, creds{c.name, "not-the-key"})
		none := ts.client(t, creds{})
		readOnly := ts.client(t, ts.key(t, "platform-one", true, nil))
		restricted := ts.client(t, ts.key(t, "platform-one", false, []string{"cust-2"}))
		name := "Renamed"

		tests := []struct {
			name       string
			call       func() error
			status     int
			key        string
			wantFields []string // paths of errors, in order
		}{
			{"400 with every failed field", func() error {
				_, err := cl.CreateAccount(ctx, "cust-1", cofferhttp.NewAccount{AccountIdentifier: "Bad-ID", ContactEmail: "nope", CurrencyCode: "XYZ",
					FundingNotification: []string{"ok@example.com", "OK@example.com"}})
				return err
			}, 400, "400.004", []string{"accountIdentifier", "displayName", "contactEmail", "currencyCode", "fundingNotification[1].emailAddress"}},
			{"400 on a bad filter", func() error {
				_, err := cl.ListAccounts(ctx, cofferhttp.AccountFilter{MinDateCreatedAt: "yesterday", Status: "GONE"}, cofferhttp.PageRequest{})
				return err
			}, 400, "400.004", []string{"status", "minDateCreatedAt"}},
			{"400 on a page size", func() error {
				_, err := cl.ListAccounts(ctx, cofferhttp.AccountFilter{}, cofferhttp.PageRequest{MaxResults: 201})
				return err
			}, 400, "400.004", []string{"maxResults"}},
			{"401 without credentials", func() error { _, err := none.ListCustomers(ctx); return err }, 401, "401.001", nil},
			{"401 with a wrong key", func() error { _, err := wrong.GetAccount(ctx, "acct-1"); return err }, 401, "401.002", nil},
			{"403 read-only", func() error {
				_, err := readOnly.CreateCustomer(ctx, cofferhttp.NewCustomer{CustomerIdentifier: "cust-3", DisplayName: "Three"})
				return err
			}, 403, "403.001", nil},
			{"403 another customer", func() error { _, err := restricted.GetCustomer(ctx, "cust-1"); return err }, 403, "403.007", []string{"customerIdentifier"}},
			{"404 customer", func() error { _, err := cl.GetCustomer(ctx, "nobody"); return err }, 404, "404.002", []string{"customerIdentifier"}},
			{"404 account", func() error { _, err := cl.GetAccount(ctx, "nothing"); return err }, 404, "404.003", []string{"accountIdentifier"}},
			{"404 account under another customer", func() error {
				_, err := cl.UpdateAccount(ctx, "cust-2", "acct-1", cofferhttp.AccountUpdate{DisplayName: &name})
				return err
			}, 404, "404.020", []string{"accountIdentifier"}},
			{"404 list of a customer", func() error {
				_, err := cl.ListCustomerAccounts(ctx, "nobody", cofferhttp.AccountFilter{}, cofferhttp.PageRequest{})
				return err
			}, 404, "404.002", []string{"customerIdentifier"}},
			{"409 customer", func() error {
				_, err := cl.CreateCustomer(ctx, cofferhttp.NewCustomer{CustomerIdentifier: "cust-1", DisplayName: "Again"})
				return err
			}, 409, "409.010", []string{"customerIdentifier"}},
			{"409 group name", func() error {
				_, err := cl.CreateCustomer(ctx, cofferhttp.NewCustomer{CustomerIdentifier: "cust-9", DisplayName: "PLATFORM-ONE"})
				return err
			}, 409, "409.011", []string{"displayName"}},
			{"409 account", func() error {
				_, err := cl.CreateAccount(ctx, "cust-2", cofferhttp.NewAccount{AccountIdentifier: "acct-1", DisplayName: "Again", ContactEmail: "a@example.com"})
				return err
			}, 409, "409.003", []string{"accountIdentifier"}},
		}
		for _, tt := range tests {
			err := tt.call()
			var e *cofferhttp.APIError
			if !errors.As(err, &e) {
				t.Errorf("%s: got %v, want an *APIError", tt.name, err)
				continue
			}
			if e.HTTPCode != tt.status || e.I18nKey != tt.key {
				t.Errorf("%s: got %d %s, want %d %s", tt.name, e.HTTPCode, e.I18nKey, tt.status, tt.key)
			}
			if e.Message == "" || e.RequestID == "" || !strings.HasPrefix(e.Path, "/raas/v2/") {
				t.Errorf("%s: got message %q, request id %q, path %q, want all set", tt.name, e.Message, e.RequestID, e.Path)
			}
			var paths []string
			for _, f := range e.Errors {
				paths = append(paths, f.Path)
				if f.I18nKey == "" || f.Message == "" || f.Constraint == "" {
					t.Errorf("%s: field %+v: want i18nKey, message and constraint", tt.name, f)
				}
			}
			if !slices.Equal(paths, tt.wantFields) {
				t.Errorf("%s: fields: got %q, want %q", tt.name, paths, tt.wantFields)
			}
			if msg := e.Error(); !strings.Contains(msg, tt.key) || !strings.Contains(msg, e.Message) || !strings.Contains(msg, e.RequestID) {
				t.Errorf("%s: Error() = %q, want the key, the message and the request id", tt.name, msg)
			}
		}
	})
}

// TestClientForeignError checks that an answer that is not the wire error body, as a proxy
// might give, is still an *APIError with its status.
func TestClientForeignError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "proxy-1")
		http.Error(w, "upstream went away", http.StatusBadGateway)
	}))
	defer srv.Close()
	cl := &cofferhttp.Client{BaseURL: srv.URL, Platform: "p", Key: "k"}
	_, err := cl.GetCustomer(context.Background(), "cust-1")
	var e *cofferhttp.APIError
	if !errors.As(err, &e) {
		t.Fatalf("got %v, want an *APIError", err)
	}
	if e.HTTPCode != http.StatusBadGateway || e.Message != "upstream went away" || e.RequestID != "proxy-1" || e.Path != "/raas/v2/customers/cust-1" {
		t.Errorf("got %+v, want 502, the body as message, the request id and the path", e)
	}
}

func TestMinorUnits(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true},
		{"0.29", 29, true},
		{"1.13", 113, true},
		{"9127.88", 912788, true},
		{"12.5", 1250, true},
		{"999999999999.99", 99999999999999, true},
		{"-3.5", -350, true},
		{"1.005", 0, false},
		{"1e3", 0, false},
		{"", 0, false},
		{"-", 0, false},
		{"1.", 0, false},
		{"abc", 0, false},
	}
	for _, tt := range tests {
		got, err := cofferhttp.MinorUnits(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("MinorUnits(%q): got %d, %v, want %d, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}
