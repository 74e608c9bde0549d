package http_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	cofferhttp "github.com/cofferhq/coffer/http"
)

// apiRoute is a route of routes.go under the API prefix.
type apiRoute struct {
	method  string
	pattern string // the path, with its {wildcards}
}

func (r apiRoute) String() string { return r.method + " " + r.pattern }

// apiRoutes returns the API routes that routes.go registers, read from its source as
// TestContractRoutes reads them, so that a new route joins every test that goes over them.
func apiRoutes(tb testing.TB) []apiRoute {
	tb.Helper()
	var out []apiRoute
	for _, p := range registeredPatterns(tb) {
		method, path, ok := strings.Cut(p, " ")
		if ok && strings.HasPrefix(path, cofferhttp.APIPrefix+"/") {
			out = append(out, apiRoute{method, path})
		}
	}
	if len(out) == 0 {
		tb.Fatal("routes.go registers no API route")
	}
	return out
}

// writes reports whether the route changes data (and reads a body).
func (r apiRoute) writes() bool { return r.method != http.MethodGet && r.method != http.MethodHead }

// wildcards returns the names of the route's wildcards, in order.
func (r apiRoute) wildcards() []string {
	var out []string
	rest := r.pattern
	for {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			return out
		}
		end := strings.IndexByte(rest[open:], '}')
		out = append(out, strings.TrimSuffix(rest[open+1:open+end], "..."))
		rest = rest[open+end+1:]
	}
}

// path fills the route's wildcards from values, failing the test when one has no value: a new
// wildcard needs values in the tests that go over every route.
func (r apiRoute) path(tb testing.TB, values map[string]string) string {
	tb.Helper()
	p := r.pattern
	for _, w := range r.wildcards() {
		v, ok := values[w]
		if !ok {
			tb.Fatalf("route %s: no test value for {%s}; add one", r, w)
		}
		p = strings.Replace(p, "{"+w+"}", url.PathEscape(v), 1)
	}
	return p
}

// leak returns the first of secrets found in body, without regard to case, once every value the
// request itself carried has been taken out of it (an error may echo the identifier asked for);
// "" when there is none.
func leak(body []byte, secrets []string, carried ...string) string {
	s := string(body)
	for _, c := range carried {
		if c != "" {
			s = strings.ReplaceAll(s, c, "")
		}
	}
	s = strings.ToLower(s)
	for _, sec := range secrets {
		if strings.Contains(s, strings.ToLower(sec)) {
			return sec
		}
	}
	return ""
}

// asMissing returns an answer about the identifiers of foreign as it would read about those of
// missing, without its timestamp and request id.
func asMissing(body []byte, foreign, missing map[string]string) string {
	s := stable(body)
	for k, v := range foreign {
		if v != missing[k] {
			s = strings.ReplaceAll(s, v, missing[k])
		}
	}
	return s
}

// TestTenantIsolation calls every API route as platform alpha with the identifiers, filters and
// cursors of platform bravo, and with every kind of credentials, and checks each answer: the
// expected status, never a byte of bravo's data, a foreign identifier answered exactly as a
// missing one, and bravo's data unchanged at the end.
//
// Every name of bravo contains "bravo", so that one search finds any of its identifiers,
// display names and addresses in a body; its account numbers and keys are searched for too.
func TestTenantIsolation(t *testing.T) {
	forEachEngine(t, func(t *testing.T, ts *testServer) {
		routes := apiRoutes(t)

		// Platform alpha: two customers, three accounts; its keys of every kind.
		alpha := ts.platform(t, "platform-alpha")
		ts.createCustomer(t, alpha, "alpha-cust-1", "Alpha One")
		ts.createCustomer(t, alpha, "alpha-cust-2", "Alpha Two")
		a1 := ts.newAccount(t, alpha, "alpha-cust-1", "alpha-acct-1")
		ts.newAccount(t, alpha, "alpha-cust-2", "alpha-acct-2")
		a3 := ts.newAccount(t, alpha, "alpha-cust-1", "alpha-acct-3")
		readOnly := ts.key(t, "platform-alpha", true, nil)
		restricted := ts.key(t, "platform-alpha", false, []string{"alpha-cust-2"})
		k, err := ts.Store.CreateKey(t.Context(), "platform-alpha", false, nil)
		if err != nil {
			t.Fatal(err)
		}
		revoked := creds{k.PlatformName, k.PlatformKey}
		if err := ts.Store.RevokeKey(t.Context(), "platform-alpha", k.KeyID); err != nil {
			t.Fatal(err)
		}
		ts.do(t, revoked, "GET", "/raas/v2/customers", "").wantError(t, http.StatusUnauthorized, "401.002")

		// Platform bravo: one customer with three accounts, so that its lists have cursors.
		bravo := ts.platform(t, "platform-bravo")
		ts.createCustomer(t, bravo, "bravo-cust-1", "Secret Bravo Customer")
		var bravoNumbers []string
		for i := 1; i <= 3; i++ {
			id := fmt.Sprintf("bravo-acct-%d", i)
			res := ts.do(t, bravo, "POST", "/raas/v2/customers/bravo-cust-1/accounts", accountBody(t, id, "Secret Bravo Account", id+"@bravo.example",
				"fundingNotification", []map[string]string{{"emailAddress": "funding@bravo.example"}}))
			res.wantStatus(t, http.StatusCreated)
			var a wireAccount
			res.JSON(t, &a)
			bravoNumbers = append(bravoNumbers, a.AccountNumber)
		}
		secrets := append([]string{"bravo", bravo.key}, bravoNumbers...)

		own := map[string]string{"customerIdentifier": "alpha-cust-1", "accountIdentifier": "alpha-acct-1"}
		foreign := map[string]string{"customerIdentifier": "bravo-cust-1", "accountIdentifier": "bravo-acct-1"}
		missing := map[string]string{"customerIdentifier": "nobody-cust-1", "accountIdentifier": "nobody-acct-1"}
		allowed := map[string]string{"customerIdentifier": "alpha-cust-2", "accountIdentifier": "alpha-acct-2"}

		// bravo's view of every read route, to compare with at the end.
		snapshot := func() map[string]string {
			out := map[string]string{}
			for _, r := range routes {
				if !r.writes() {
					p := r.path(t, foreign)
					out[p] = string(ts.do(t, bravo, "GET", p, "").Body)
				}
			}
			return out
		}
		before := snapshot()

		// A body for every write route: unknown fields are ignored, so one body carries what
		// each creation or update needs, with fresh identifiers each time.
		fresh := 0
		body := func(r apiRoute) string {
			if !r.writes() {
				return ""
			}
			fresh++
			return jsonText(t, map[string]string{"customerIdentifier": fmt.Sprintf("alpha-new-%d", fresh), "accountIdentifier": fmt.Sprintf("alpha-new-%d", fresh),
				"displayName": "Alpha New", "contactEmail": "new@alpha.example"})
		}
		// check sends a request as alpha and checks that no byte of bravo's data comes back.
		check := func(t *testing.T, c creds, method, path, reqBody string, carried ...string) *response {
			t.Helper()
			res := ts.do(t, c, method, path, reqBody)
			if s := leak(res.Body, secrets, carried...); s != "" {
				t.Errorf("%s %s: the body holds bravo's %q\n%s", method, path, s, res.Body)
			}
			return res
		}
		success := func(r apiRoute) int {
			switch r.method {
			case http.MethodPost:
				return http.StatusCreated
			default:
				return http.StatusOK
			}
		}

		cursorsTried := 0
		for _, r := range routes {
			t.Run(r.String(), func(t *testing.T) {
				path := r.path(t, own)

				// Credentials.
				check(t, alpha, r.method, path, body(r)).wantStatus(t, success(r))
				check(t, creds{}, r.method, path, body(r)).wantError(t, http.StatusUnauthorized, "401.001")
				for _, c := range []creds{{alpha.name, "wrong"}, {alpha.name, bravo.key}, {bravo.name, alpha.key}, {"platform-nobody", alpha.key}, revoked} {
					check(t, c, r.method, path, body(r)).wantError(t, http.StatusUnauthorized, "401.002")
				}
				if r.writes() {
					check(t, readOnly, r.method, path, body(r)).wantError(t, http.StatusForbidden, "403.001")
				} else {
					check(t, readOnly, r.method, path, "").wantStatus(t, http.StatusOK)
				}

				// A key restricted to alpha-cust-2: a route that names another customer, in its
				// path or in its body, is 403; a list shows nothing of the other customers.
				others := []string{"alpha-cust-1", "alpha-acct-1", "alpha-acct-3", a1.AccountNumber, a3.AccountNumber, "platform-alpha"}
				res := check(t, restricted, r.method, path, body(r))
				switch {
				case len(r.wildcards()) > 0 || r.writes():
					res.wantError(t, http.StatusForbidden, "403.007")
				default:
					res.wantStatus(t, http.StatusOK)
					if s := leak(res.Body, others); s != "" {
						t.Errorf("restricted key: the list holds %q of a customer outside the key's list\n%s", s, res.Body)
					}
				}
				if len(r.wildcards()) > 0 {
					check(t, restricted, r.method, r.path(t, allowed), body(r)).wantStatus(t, success(r))
				}

				// Foreign identifiers, one wildcard at a time and all at once, are answered as
				// missing ones, with a full key and with a restricted one.
				for _, c := range []creds{alpha, restricted} {
					base := own
					if c == restricted {
						base = allowed
					}
					var variants [][2]map[string]string // foreign, missing
					for _, w := range r.wildcards() {
						f, m := maps.Clone(base), maps.Clone(base)
						f[w], m[w] = foreign[w], missing[w]
						variants = append(variants, [2]map[string]string{f, m})
					}
					if len(r.wildcards()) > 1 {
						variants = append(variants, [2]map[string]string{foreign, missing})
					}
					for _, v := range variants {
						f, m := v[0], v[1]
						reqBody := body(r)
						fp, mp := r.path(t, f), r.path(t, m)
						fres := check(t, c, r.method, fp, reqBody, slices.Collect(maps.Values(f))...)
						mres := ts.do(t, c, r.method, mp, reqBody)
						if fres.Status != mres.Status || asMissing(fres.Body, f, m) != stable(mres.Body) {
							t.Errorf("%s %s: a foreign identifier is not answered as a missing one:\n got %d %s\nwant %d %s", r.method, fp, fres.Status, fres.Body, mres.Status, mres.Body)
						}
						if c == alpha && fres.Status != http.StatusNotFound {
							t.Errorf("%s %s: got %d, want 404", r.method, fp, fres.Status)
						}
					}
				}

				// bravo's values as filters match nothing of alpha's, as values that exist
				// nowhere do; on routes that do not know the parameter, nothing changes.
				if !r.writes() {
					filters := []struct{ name, foreign, missing string }{
						{"customerIdentifier", "bravo-cust-1", "nobody-cust-1"},
						{"accountNumber", bravoNumbers[0], "A999999999999"},
						{"displayName", "Secret Bravo", "Nobody Here"},
						{"contactEmail", "bravo-acct-1@bravo.example", "nobody@example.com"},
						{"fundingNotificationEmail", "funding@bravo.example", "nobody@example.com"},
					}
					for _, f := range filters {
						for _, paginate := range []string{"", "true"} {
							q := func(v string) string {
								vals := url.Values{f.name: {v}}
								if paginate != "" {
									vals.Set("paginate", paginate)
								}
								return path + "?" + vals.Encode()
							}
							fres := check(t, alpha, r.method, q(f.foreign), "", f.foreign)
							mres := ts.do(t, alpha, r.method, q(f.missing), "")
							if fres.Status != mres.Status || strings.ReplaceAll(stable(fres.Body), f.foreign, "<v>") != strings.ReplaceAll(stable(mres.Body), f.missing, "<v>") {
								t.Errorf("%s: bravo's value is not answered as a missing one:\n got %d %s\nwant %d %s", q(f.foreign), fres.Status, fres.Body, mres.Status, mres.Body)
							}
						}
					}
				}

				// bravo's cursors for the same list are refused.
				if !r.writes() {
					bpath := r.path(t, foreign)
					var first wirePage
					res := ts.do(t, bravo, "GET", bpath+"?paginate=true&maxResults=1", "")
					res.wantStatus(t, http.StatusOK)
					if json.Unmarshal(res.Body, &first) != nil || first.NextCursor == nil {
						return // not a paged list: its answer has no cursor
					}
					var second wirePage
					ts.getJSON(t, bravo, bpath+"?paginate=true&maxResults=1&nextCursor="+url.QueryEscape(*first.NextCursor), &second)
					if second.PrevCursor == nil {
						t.Fatalf("bravo's second page of %s has no prevCursor", bpath)
					}
					for _, cur := range []struct{ name, token string }{{"nextCursor", *first.NextCursor}, {"prevCursor", *second.PrevCursor}} {
						res := check(t, alpha, "GET", path+"?paginate=true&maxResults=1&"+cur.name+"="+url.QueryEscape(cur.token), "")
						res.wantParamError(t, cur.name)
						cursorsTried++
					}
				}
			})
		}
		if cursorsTried == 0 {
			t.Error("no route of routes.go answered bravo a cursor: the cursor half tested nothing")
		}

		// alpha may create a customer and an account with bravo's identifiers, exactly as with
		// new ones (identifiers are per platform), and sees only its own under them.
		ts.createCustomer(t, alpha, "bravo-cust-1", "Alpha Copy")
		mine := ts.newAccount(t, alpha, "bravo-cust-1", "bravo-acct-1")
		secretsNow := append([]string{"secret", "@bravo.example", bravo.key}, bravoNumbers...)
		for _, r := range routes {
			if r.writes() {
				continue
			}
			p := r.path(t, foreign)
			res := ts.do(t, alpha, "GET", p, "")
			res.wantStatus(t, http.StatusOK)
			if s := leak(res.Body, secretsNow); s != "" {
				t.Errorf("alpha's GET %s, once alpha has the same identifiers: the body holds bravo's %q\n%s", p, s, res.Body)
			}
		}
		if got := ts.list(t, alpha, "/raas/v2/accounts", url.Values{"customerIdentifier": {"bravo-cust-1"}}); len(got) != 1 || got[0].AccountNumber != mine.AccountNumber {
			t.Errorf("alpha's accounts of its bravo-cust-1: got %v, want only %s", accountIDs(got), mine.AccountNumber)
		}

		// Nothing alpha did changed what bravo sees.
		after := snapshot()
		for p, b := range before {
			if after[p] != b {
				t.Errorf("bravo's GET %s changed:\n got %s\nwant %s", p, after[p], b)
			}
		}
	})
}
