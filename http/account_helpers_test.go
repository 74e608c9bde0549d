package http_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cofferhq/coffer"
)

// wireAccount is an AccountView as a client reads it. currentBalance is kept as the JSON text,
// so that a test sees exactly what went over the wire.
type wireAccount struct {
	AccountIdentifier   string      `json:"accountIdentifier"`
	AccountNumber       string      `json:"accountNumber"`
	DisplayName         string      `json:"displayName"`
	CreatedAt           string      `json:"createdAt"`
	Status              string      `json:"status"`
	CurrencyCode        string      `json:"currencyCode"`
	CurrentBalance      json.Number `json:"currentBalance"`
	ContactEmail        string      `json:"contactEmail"`
	FundingNotification []struct {
		EmailAddress string `json:"emailAddress"`
	} `json:"fundingNotification"`
}

// funding returns the account's funding notification addresses.
func (a wireAccount) funding() []string {
	out := []string{}
	for _, f := range a.FundingNotification {
		out = append(out, f.EmailAddress)
	}
	return out
}

// minor returns the account's balance in minor units, read from the JSON text without a float.
func (a wireAccount) minor(tb testing.TB) int64 {
	tb.Helper()
	m, ok := wireMinor(string(a.CurrentBalance))
	if !ok {
		tb.Fatalf("currentBalance of %s: got %q, want a decimal with at most two places", a.AccountIdentifier, a.CurrentBalance)
	}
	return m
}

// wireMinor parses a JSON number with at most two decimals into minor units.
func wireMinor(s string) (int64, bool) {
	whole, frac, dot := strings.Cut(s, ".")
	if dot && (len(frac) == 0 || len(frac) > 2) {
		return 0, false
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || strings.HasPrefix(whole, "+") {
		return 0, false
	}
	for len(frac) < 2 {
		frac += "0"
	}
	f, err := strconv.ParseInt(frac, 10, 64)
	if err != nil || f < 0 {
		return 0, false
	}
	return w*100 + f, true
}

// createdMillis returns the account's createdAt in Unix milliseconds.
func (a wireAccount) createdMillis(tb testing.TB) int64 {
	tb.Helper()
	t, err := time.Parse(time.RFC3339, a.CreatedAt)
	if err != nil {
		tb.Fatalf("createdAt %q: %v", a.CreatedAt, err)
	}
	return t.UnixMilli()
}

// wirePage is the envelope of a list asked for with paginate=true.
type wirePage struct {
	NumberOfElements  int           `json:"numberOfElements"`
	MaxResults        int           `json:"maxResults"`
	PrevCursor        *string       `json:"prevCursor"`
	NextCursor        *string       `json:"nextCursor"`
	Items             []wireAccount `json:"items"`
	PrevPageAvailable bool          `json:"prevPageAvailable"`
	NextPageAvailable bool          `json:"nextPageAvailable"`
}

func (p wirePage) ids() []string { return accountIDs(p.Items) }

func accountIDs(list []wireAccount) []string {
	ids := make([]string, len(list))
	for i, a := range list {
		ids[i] = a.AccountIdentifier
	}
	return ids
}

// accountBody is the JSON body of an account creation with the required fields.
func accountBody(tb testing.TB, id, name, email string, extra ...any) string {
	tb.Helper()
	m := map[string]any{"accountIdentifier": id, "displayName": name, "contactEmail": email}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i].(string)] = extra[i+1]
	}
	return jsonText(tb, m)
}

// newAccount creates an account through the API and returns its view.
func (ts *testServer) newAccount(tb testing.TB, c creds, customer, id string, extra ...any) wireAccount {
	tb.Helper()
	res := ts.do(tb, c, "POST", "/raas/v2/customers/"+customer+"/accounts", accountBody(tb, id, "Account "+id, id+"@example.com", extra...))
	res.wantStatus(tb, http.StatusCreated)
	var a wireAccount
	res.JSON(tb, &a)
	return a
}

// getJSON sends a GET, wants 200 and decodes the body into v.
func (ts *testServer) getJSON(tb testing.TB, c creds, path string, v any) {
	tb.Helper()
	res := ts.do(tb, c, "GET", path, "")
	res.wantStatus(tb, http.StatusOK)
	res.JSON(tb, v)
}

// withQuery returns path with q as its query string.
func withQuery(path string, q url.Values) string {
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// list returns the bare array a list answers without paging.
func (ts *testServer) list(tb testing.TB, c creds, path string, q url.Values) []wireAccount {
	tb.Helper()
	var out []wireAccount
	ts.getJSON(tb, c, withQuery(path, q), &out)
	if out == nil {
		tb.Fatalf("GET %s: got null, want an array", withQuery(path, q))
	}
	return out
}

// page returns one page of a list; cursor is "nextCursor" or "prevCursor" and token its value
// ("" for the first page).
func (ts *testServer) page(tb testing.TB, c creds, path string, q url.Values, size int, cursor, token string) wirePage {
	tb.Helper()
	q = cloneValues(q)
	q.Set("paginate", "true")
	if size > 0 {
		q.Set("maxResults", strconv.Itoa(size))
	}
	if token != "" {
		q.Set(cursor, token)
	}
	var p wirePage
	ts.getJSON(tb, c, withQuery(path, q), &p)
	checkPage(tb, p, size)
	return p
}

// checkPage checks what holds for every page: the count, the limit, and cursors present exactly
// when their page is said to be available.
func checkPage(tb testing.TB, p wirePage, size int) {
	tb.Helper()
	if size == 0 {
		size = coffer.DefaultPageSize
	}
	if p.Items == nil {
		tb.Fatalf("items: got null, want a list")
	}
	if p.NumberOfElements != len(p.Items) || p.MaxResults != size || len(p.Items) > size {
		tb.Errorf("numberOfElements %d, maxResults %d, %d items: want the count of items, %d, at most %d", p.NumberOfElements, p.MaxResults, len(p.Items), size, size)
	}
	if (p.PrevCursor != nil) != p.PrevPageAvailable || (p.NextCursor != nil) != p.NextPageAvailable {
		tb.Errorf("prevCursor %v with prevPageAvailable %v, nextCursor %v with nextPageAvailable %v: want a cursor exactly when its page is available",
			p.PrevCursor != nil, p.PrevPageAvailable, p.NextCursor != nil, p.NextPageAvailable)
	}
}

// walk pages forward from the first page to the last, with the page sizes size gives, and
// returns the pages.
func (ts *testServer) walk(tb testing.TB, c creds, path string, q url.Values, size func() int) []wirePage {
	tb.Helper()
	var pages []wirePage
	token := ""
	for {
		p := ts.page(tb, c, path, q, size(), "nextCursor", token)
		pages = append(pages, p)
		if len(pages) == 1 && p.PrevPageAvailable {
			tb.Errorf("first page: prevPageAvailable true, want false")
		}
		if !p.NextPageAvailable {
			return pages
		}
		if len(pages) > 10000 {
			tb.Fatalf("more than 10000 pages")
		}
		token = *p.NextCursor
	}
}

// flatten returns the items of pages in order.
func flatten(pages []wirePage) []wireAccount {
	var out []wireAccount
	for _, p := range pages {
		out = append(out, p.Items...)
	}
	return out
}

func cloneValues(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = slices.Clone(v)
	}
	return out
}

// principal returns the principal of credentials, to call the store as the API would.
func (ts *testServer) principal(tb testing.TB, c creds) *coffer.Principal {
	tb.Helper()
	p, err := ts.Store.Authenticate(context.Background(), c.name, c.key)
	if err != nil {
		tb.Fatalf("authenticate %s: %v", c.name, err)
	}
	return p
}

// move credits (amount > 0) or debits an account through the store, failing the test on error.
func (ts *testServer) move(tb testing.TB, platform, account string, amount int64) {
	tb.Helper()
	if _, err := ts.Store.Move(context.Background(), platform, account, amount, "test"); err != nil {
		tb.Fatalf("move %d on %s: %v", amount, account, err)
	}
}

// setStatus sets an account's status through the store, failing the test on error.
func (ts *testServer) setStatus(tb testing.TB, platform, account string, st coffer.AccountStatus) {
	tb.Helper()
	if _, err := ts.Store.SetAccountStatus(context.Background(), platform, account, st); err != nil {
		tb.Fatalf("set %s %s: %v", account, st, err)
	}
}

// wantParamError checks that a response is the 400 of bad query parameters with an errors item
// naming the parameter (or one of the parameters, where either may be blamed).
func (r *response) wantParamError(tb testing.TB, params ...string) {
	tb.Helper()
	e := r.wantError(tb, http.StatusBadRequest, "400.004")
	for _, f := range e.Errors {
		if slices.Contains(params, f.Path) {
			if f.I18nKey == "" || f.Message == "" {
				tb.Errorf("errors item %s: got key %q message %q, want both", f.Path, f.I18nKey, f.Message)
			}
			return
		}
	}
	tb.Errorf("errors: got %s, want an item with path %q", r.Body, params)
}

// attempt sends a request like do, but returns a transport failure instead of stopping the
// test, so that it can run on any goroutine.
func (ts *testServer) attempt(client *http.Client, c creds, method, path, body string) (*response, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, ts.URL+path, rd)
	if err != nil {
		return nil, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.SetBasicAuth(c.name, c.key)
	res, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	return &response{Status: res.StatusCode, Header: res.Header, Body: b}, nil
}

// pooledClient is a client that keeps n connections to the test server open.
func pooledClient(tb testing.TB, n int) *http.Client {
	tb.Helper()
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: n, MaxIdleConnsPerHost: n}}
	tb.Cleanup(client.CloseIdleConnections)
	return client
}
