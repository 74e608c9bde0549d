package http

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/sqlstore"
)

// The fuzz targets of the HTTP layer. Each runs its seeds as a plain test; `go test -fuzz`
// explores further (.ci/run runs each for a few seconds). They go through the server's real
// ServeHTTP over a real SQLite store, as a request would, so that any answer the store or the
// handlers could give is reached.

// fuzzServer is a server over a new SQLite store with the platform platform-one, its customer
// cust-1 and that customer's account acct-1. It returns the server and the platform's
// Authorization header.
func fuzzServer(tb testing.TB) (*Server, string) {
	tb.Helper()
	ctx := context.Background()
	store, err := sqlstore.Open(ctx, filepath.Join(tb.TempDir(), "fuzz.db"), sqlstore.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	k, err := store.CreatePlatform(ctx, "platform-one")
	if err != nil {
		tb.Fatal(err)
	}
	s := NewServer(Config{Platforms: store, Customers: store, Accounts: store, CursorSecret: store.CursorSecret(), Ping: store.Ping})
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(k.PlatformName+":"+k.PlatformKey))
	for _, setup := range []struct{ path, body string }{
		{"/raas/v2/customers", `{"customerIdentifier":"cust-1","displayName":"One"}`},
		{"/raas/v2/customers/cust-1/accounts", `{"accountIdentifier":"acct-1","displayName":"One","contactEmail":"one@example.com"}`},
	} {
		rec := serveFuzz(s, "POST", setup.path, "application/json", auth, []byte(setup.body))
		if rec.Code != http.StatusCreated {
			tb.Fatalf("POST %s: got %d, want 201\n%s", setup.path, rec.Code, rec.Body)
		}
	}
	return s, auth
}

// serveFuzz sends one request through the server's ServeHTTP and returns the recorded answer.
func serveFuzz(s *Server, method, path, contentType, authorization string, body []byte) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, "http://127.0.0.1"+path, bytes.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	if authorization != "" {
		r.Header.Set("Authorization", authorization)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, r)
	return rec
}

// checkAnswer fails the test unless the answer is below 500 and, when it is an error, the wire
// error body with its status, an i18n key of that status and the request id of the header; a
// 2xx answer is JSON without an errors member.
func checkAnswer(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code >= 500 {
		t.Fatalf("got %d, want no 5xx\n%s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Fatalf("Content-Type: got %q, want JSON", ct)
	}
	if rec.Code < 400 {
		var v any
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
			t.Fatalf("%d: body is not JSON: %v\n%s", rec.Code, err, rec.Body)
		}
		if o, ok := v.(map[string]any); ok && o["errors"] != nil {
			t.Fatalf("%d: a success with an errors member\n%s", rec.Code, rec.Body)
		}
		return
	}
	var e struct {
		Timestamp  *string           `json:"timestamp"`
		RequestID  string            `json:"requestId"`
		Path       *string           `json:"path"`
		HTTPCode   int               `json:"httpCode"`
		HTTPPhrase string            `json:"httpPhrase"`
		I18nKey    string            `json:"i18nKey"`
		Message    string            `json:"message"`
		Errors     []json.RawMessage `json:"errors"`
	}
	var generic any
	if err := json.Unmarshal(rec.Body.Bytes(), &generic); err != nil {
		t.Fatalf("%d: a client cannot decode the error body: %v\n%s", rec.Code, err, rec.Body)
	}
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("%d: not the wire error body: %v\n%s", rec.Code, err, rec.Body)
	}
	switch {
	case e.Timestamp == nil || e.Path == nil || e.Message == "":
		t.Fatalf("%d: timestamp, path or message missing\n%s", rec.Code, rec.Body)
	case e.HTTPCode != rec.Code || e.HTTPPhrase != http.StatusText(rec.Code):
		t.Fatalf("%d: httpCode %d %q\n%s", rec.Code, e.HTTPCode, e.HTTPPhrase, rec.Body)
	case !strings.HasPrefix(e.I18nKey, strconv.Itoa(rec.Code)+"."):
		t.Fatalf("%d: i18nKey %q is not one of the status\n%s", rec.Code, e.I18nKey, rec.Body)
	case e.RequestID == "" || e.RequestID != rec.Header().Get("X-Request-Id"):
		t.Fatalf("%d: requestId %q, X-REQUEST-ID %q", rec.Code, e.RequestID, rec.Header().Get("X-Request-Id"))
	case e.Errors == nil:
		t.Fatalf("%d: errors is not a list\n%s", rec.Code, rec.Body)
	}
}

// bodyRoutes are the routes that read a JSON body, with the identifiers of fuzzServer.
var bodyRoutes = []struct{ method, path string }{
	{"POST", "/raas/v2/customers"},
	{"POST", "/raas/v2/customers/cust-1/accounts"},
	{"PATCH", "/raas/v2/customers/cust-1/accounts/acct-1"},
}

// FuzzRequestBody sends arbitrary bodies and content types to every route that decodes one:
// decodeObject, the field readers and the validation of customer creation, account creation and
// account update, down to the store. Never a panic, never a 5xx, every 4xx the wire error body.
func FuzzRequestBody(f *testing.F) {
	seeds := []string{
		`{"customerIdentifier":"cust-2","displayName":"Two"}`,
		`{"accountIdentifier":"acct-2","displayName":"Two","contactEmail":"two@example.com","currencyCode":"eur","fundingNotification":[{"emailAddress":"a@example.com"}]}`,
		`{"displayName":"Renamed","contactEmail":null,"fundingNotification":[]}`,
		`{"customerIdentifier":"","displayName":"","accountIdentifier":"ACCT","contactEmail":"Ops <ops@example.com>","currencyCode":"XXX"}`,
		`{"customerIdentifier":1,"displayName":true,"accountIdentifier":[],"contactEmail":{},"fundingNotification":"x"}`,
		`{"fundingNotification":[{"emailAddress":1}]}`,
		`{"fundingNotification":[null,{},{"emailAddress":null}]}`,
		`{"displayName":"\u0000\u001f\u007f\ud800"}`,
		`{"displayName":"   "}`,
		`{"createdAt":null,"status":"","accounts":null,"currentBalance":0}`,
		`null`, `[]`, `"x"`, `1`, `{`, `{}{}`, `{"a":1}x`, ``, "\xff\xfe", `{"displayName":"\xff"}`,
		`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`,
		`{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{}}}}}}}}}}}`,
		`{"displayName":1e999}`,
		`{"customerIdentifier":"cust-1","displayName":"platform-one"}`,
	}
	for i, s := range seeds {
		ct := "application/json"
		if i%5 == 4 {
			ct = "application/json; charset=utf-8"
		}
		f.Add(uint8(i), ct, []byte(s))
	}
	f.Add(uint8(0), "text/plain", []byte(`{}`))
	f.Add(uint8(1), "", []byte(`{}`))
	f.Add(uint8(2), "application/json; charset", []byte(`{}`))
	s, auth := fuzzServer(f)
	f.Fuzz(func(t *testing.T, route uint8, contentType string, body []byte) {
		r := bodyRoutes[int(route)%len(bodyRoutes)]
		checkAnswer(t, serveFuzz(s, r.method, r.path, contentType, auth, body))
	})
}

// queryParams are the parameters the account lists know.
var queryParams = []string{"customerIdentifier", "accountNumber", "displayName", "status", "contactEmail", "currencyCode",
	"minBalance", "maxBalance", "minDateCreatedAt", "maxDateCreatedAt", "fundingNotificationEmail", "paginate", "maxResults",
	"prevCursor", "nextCursor"}

// FuzzAccountQuery calls parseAccountQuery on arbitrary query strings, for the customer's list
// and the platform's. Never a panic; a refusal is a 400.004 whose every item names a known
// parameter; an accepted query is consistent (bounds in order, a page size in range, at most one
// cursor) and parses to the same scope every time.
func FuzzAccountQuery(f *testing.F) {
	s := NewServer(Config{CursorSecret: []byte("fuzz secret")})
	p := &coffer.Principal{PlatformID: 1, PlatformName: "platform-one"}
	for _, platformWide := range []bool{false, true} {
		route := "customer"
		f0 := coffer.AccountFilter{Customer: "cust-1"}
		if platformWide {
			route, f0 = "platform", coffer.AccountFilter{}
		}
		scope := coffer.ScopeOf(route, f0)
		next := s.cursors.Encode(coffer.Cursor{PlatformID: 1, Scope: scope, Position: coffer.Position{CreatedAt: 1_700_000_000_000, Seq: 3}})
		prev := s.cursors.Encode(coffer.Cursor{PlatformID: 1, Scope: scope, Before: true, Position: coffer.Position{CreatedAt: 1_700_000_000_000, Seq: 3}})
		foreign := s.cursors.Encode(coffer.Cursor{PlatformID: 2, Scope: scope})
		for _, q := range []string{
			"", "paginate=true", "paginate=TRUE&maxResults=200", "paginate=true&maxResults=0", "paginate=true&maxResults=201", "paginate=maybe",
			"paginate=true&nextCursor=" + next, "paginate=true&prevCursor=" + prev, "paginate=true&nextCursor=" + prev,
			"paginate=true&nextCursor=" + foreign, "paginate=true&nextCursor=" + next + "&prevCursor=" + prev, "paginate=true&nextCursor=x",
			"status=active&currencyCode=usd,EUR&currencyCode=gbp", "status=gone", "currencyCode=,,", "currencyCode=XXX",
			"minBalance=1.5&maxBalance=1.49", "minBalance=-1", "maxBalance=1e3", "minBalance=10000000000000",
			"minDateCreatedAt=2025-01-01&maxDateCreatedAt=2024-12-31", "minDateCreatedAt=2025-01-01T00:00:00.0000001Z", "maxDateCreatedAt=2025-02-30",
			"displayName=%25_&contactEmail=A@B.C&fundingNotificationEmail=a@b.c,c@d.e", "accountNumber=A1&accountNumber=A2",
			"customerIdentifier=cust-2", "customerIdentifier=", "%%%", "a=%zz", "paginate=true&paginate=true",
		} {
			f.Add(platformWide, q)
		}
	}
	f.Fuzz(func(t *testing.T, platformWide bool, rawQuery string) {
		path := "/raas/v2/customers/cust-1/accounts"
		if platformWide {
			path = "/raas/v2/accounts"
		}
		parse := func() (accountQuery, error) {
			r := &http.Request{Method: "GET", URL: &url.URL{Path: path, RawQuery: rawQuery}, Header: http.Header{}}
			r = r.WithContext(context.Background())
			if !platformWide {
				r.SetPathValue("customerIdentifier", "cust-1")
			}
			return s.parseAccountQuery(r, p, platformWide)
		}
		q, err := parse()
		if err != nil {
			e := coffer.AsError(err)
			if e.Code != coffer.EINVALID || e.Key != "400.004" || len(e.Fields) == 0 {
				t.Fatalf("%q: got %v (%s %s, %d fields), want a 400.004 naming parameters", rawQuery, err, e.Code, e.Key, len(e.Fields))
			}
			for _, fe := range e.Fields {
				if !slices.Contains(queryParams, fe.Path) || fe.Message == "" {
					t.Fatalf("%q: an errors item for %q (%q), want a known parameter and a message", rawQuery, fe.Path, fe.Message)
				}
			}
			return
		}
		fl := q.filter
		if fl.MinBalance != nil && fl.MaxBalance != nil && *fl.MinBalance > *fl.MaxBalance {
			t.Fatalf("%q: minBalance %d above maxBalance %d accepted", rawQuery, *fl.MinBalance, *fl.MaxBalance)
		}
		if fl.MinCreatedAt != nil && fl.MaxCreatedAt != nil && *fl.MinCreatedAt > *fl.MaxCreatedAt {
			t.Fatalf("%q: minDateCreatedAt after maxDateCreatedAt accepted", rawQuery)
		}
		if !platformWide && fl.Customer != "cust-1" {
			t.Fatalf("%q: the customer's list filters customer %q", rawQuery, fl.Customer)
		}
		if q.paginate {
			if q.page.Limit < 1 || q.page.Limit > coffer.MaxPageSize {
				t.Fatalf("%q: page size %d", rawQuery, q.page.Limit)
			}
			if q.page.After != nil && q.page.Before != nil {
				t.Fatalf("%q: both cursors accepted", rawQuery)
			}
		} else if q.page != (coffer.Page{}) {
			t.Fatalf("%q: paging without paginate=true: %+v", rawQuery, q.page)
		}
		again, err := parse()
		if err != nil || again.scope != q.scope {
			t.Fatalf("%q: a second parse gave scope %d, %v, want %d", rawQuery, again.scope, err, q.scope)
		}
	})
}

// FuzzBasicAuth sends arbitrary Authorization headers through the authentication wrapper: the
// answer is the data for the platform's exact credentials, and otherwise a 401 with
// WWW-Authenticate; never anything else.
func FuzzBasicAuth(f *testing.F) {
	s, auth := fuzzServer(f)
	cred := auth[len("Basic "):]
	for _, a := range []string{
		auth, "basic " + cred, "BASIC " + cred, "Basic  " + cred, "Basic " + strings.TrimRight(cred, "="), "Basic " + cred + "=",
		"Basic", "Basic ", "Bearer " + cred, "Basic !!!", "Basic " + base64.StdEncoding.EncodeToString([]byte("platform-one")),
		"Basic " + base64.StdEncoding.EncodeToString([]byte(":")), "Basic " + base64.StdEncoding.EncodeToString([]byte("platform-one:")),
		"Basic " + base64.StdEncoding.EncodeToString([]byte("plat\x00form:k\xffey")), "Basic " + base64.URLEncoding.EncodeToString([]byte("platform-one:a?b>c")),
		"Basic " + strings.Repeat("QUFB", 2000), "\x00", "",
	} {
		f.Add(a)
	}
	f.Fuzz(func(t *testing.T, authorization string) {
		rec := serveFuzz(s, "GET", "/raas/v2/customers/platform-one", "", authorization, nil)
		checkAnswer(t, rec)
		switch rec.Code {
		case http.StatusOK:
			r := &http.Request{Header: http.Header{"Authorization": {authorization}}}
			name, key, _ := r.BasicAuth()
			want := &http.Request{Header: http.Header{"Authorization": {auth}}}
			wname, wkey, _ := want.BasicAuth()
			if name != wname || key != wkey {
				t.Fatalf("%q: 200 for credentials %q, %q", authorization, name, key)
			}
		case http.StatusUnauthorized:
			if rec.Header().Get("WWW-Authenticate") != `Basic realm="raas"` {
				t.Fatalf("%q: 401 without WWW-Authenticate", authorization)
			}
		default:
			t.Fatalf("%q: got %d, want 200 or 401\n%s", authorization, rec.Code, rec.Body)
		}
	})
}
