package http_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
)

// b64 is standard base64.
func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// basic is an Authorization header of HTTP Basic.
func basic(name, key string) string { return "Basic " + b64(name+":"+key) }

func TestAuthentication(t *testing.T) {
	forEachEngine(t, func(t *testing.T, ts *testServer) {
		c := ts.platform(t, "platform-one")
		other := ts.platform(t, "platform-two")
		tests := []struct {
			name          string
			authorization string // the raw header; "" sends none
			key           string
		}{
			{"no credentials", "", "401.001"},
			{"wrong key", basic(c.name, c.key+"x"), "401.002"},
			{"another platform's key", basic(c.name, other.key), "401.002"},
			{"unknown platform with a valid key", basic("platform-zzz", c.key), "401.002"},
			{"name in another case", basic("Platform-One", c.key), "401.002"},
			{"key as name", basic(c.key, c.name), "401.002"},
			{"empty key", basic(c.name, ""), "401.001"},
			{"empty name", basic("", c.key), "401.001"},
			{"bearer token", "Bearer " + c.key, "401.001"},
			{"not base64", "Basic !!!", "401.001"},
			{"no colon", "Basic " + b64("platform-one"), "401.001"},
			{"garbage", "garbage", "401.001"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				for _, route := range []struct{ method, path, body string }{
					{"GET", "/raas/v2/customers", ""},
					{"GET", "/raas/v2/customers/platform-one", ""},
					{"POST", "/raas/v2/customers", `{"customerIdentifier":"sneaky","displayName":"x"}`},
				} {
					res := ts.do(t, creds{}, route.method, route.path, route.body, "Authorization", tt.authorization)
					res.wantError(t, http.StatusUnauthorized, tt.key).wantFields(t)
					if got, want := res.Header.Get("WWW-Authenticate"), `Basic realm="raas"`; got != want {
						t.Errorf("%s %s: WWW-Authenticate: got %q, want %q", route.method, route.path, got, want)
					}
					if got, want := res.Header.Get("Cache-Control"), "no-store"; got != want {
						t.Errorf("%s %s: Cache-Control: got %q, want %q", route.method, route.path, got, want)
					}
				}
			})
		}
		// The body never says which half was wrong.
		name := ts.do(t, creds{"platform-zzz", c.key}, "GET", "/raas/v2/customers", "", "X-Request-Id", "r1")
		key := ts.do(t, creds{c.name, other.key}, "GET", "/raas/v2/customers", "", "X-Request-Id", "r1")
		if stable(name.Body) != stable(key.Body) {
			t.Errorf("wrong name and wrong key: got %s and %s, want the same body", name.Body, key.Body)
		}
		ts.do(t, c, "GET", "/raas/v2/customers/sneaky", "").wantError(t, http.StatusNotFound, "404.002")
		ts.do(t, c, "GET", "/raas/v2/customers", "").wantStatus(t, http.StatusOK)
	})
}

func TestReadOnlyKey(t *testing.T) {
	forEachEngine(t, func(t *testing.T, ts *testServer) {
		c := ts.platform(t, "platform-one")
		ts.createCustomer(t, c, "cust-1", "One")
		ro := ts.key(t, "platform-one", true, nil)
		if got, want := strings.Join(ts.listCustomers(t, ro), ","), "platform-one,cust-1"; got != want {
			t.Errorf("read-only list: got %s, want %s", got, want)
		}
		ts.do(t, ro, "GET", "/raas/v2/customers/cust-1", "").wantStatus(t, http.StatusOK)
		ts.do(t, ro, "POST", "/raas/v2/customers", `{"customerIdentifier":"cust-2","displayName":"Two"}`).wantError(t, http.StatusForbidden, "403.001").wantFields(t)
		// Refused before the body is looked at.
		ts.do(t, ro, "POST", "/raas/v2/customers", `{`).wantError(t, http.StatusForbidden, "403.001")
		ts.do(t, c, "GET", "/raas/v2/customers/cust-2", "").wantError(t, http.StatusNotFound, "404.002")
	})
}

func TestRestrictedKey(t *testing.T) {
	forEachEngine(t, func(t *testing.T, ts *testServer) {
		c := ts.platform(t, "platform-one")
		ts.createCustomer(t, c, "allowed-1", "One")
		ts.createCustomer(t, c, "other-1", "Other")
		ts.createCustomer(t, c, "allowed-3", "Three")
		k := ts.key(t, "platform-one", false, []string{"allowed-3", "allowed-1", "allowed-2"})

		if got, want := strings.Join(ts.listCustomers(t, k), ","), "allowed-1,allowed-3"; got != want {
			t.Errorf("restricted list: got %s, want %s", got, want)
		}
		ts.do(t, k, "GET", "/raas/v2/customers/allowed-1", "").wantStatus(t, http.StatusOK)
		// Another customer is a 403, whether it exists or not; the platform's own group too.
		for _, id := range []string{"other-1", "nobody-1", "platform-one", "ALLOWED-1"} {
			e := ts.do(t, k, "GET", "/raas/v2/customers/"+id, "").wantError(t, http.StatusForbidden, "403.007")
			e.wantFields(t, field{"customerIdentifier", "403.007", `"` + id + `"`})
			if e.Message != "Customer Identifier not found in authorized ids." {
				t.Errorf("message: got %q", e.Message)
			}
		}
		e := ts.do(t, k, "POST", "/raas/v2/customers", `{"customerIdentifier":"other-2","displayName":"x"}`).wantError(t, http.StatusForbidden, "403.007")
		e.wantFields(t, field{"customerIdentifier", "403.007", `"other-2"`})
		ts.do(t, c, "GET", "/raas/v2/customers/other-2", "").wantError(t, http.StatusNotFound, "404.002")
		// A listed customer that does not exist yet may be created, once.
		ts.do(t, k, "POST", "/raas/v2/customers", `{"customerIdentifier":"allowed-2","displayName":"Two"}`).wantStatus(t, http.StatusCreated)
		ts.do(t, k, "POST", "/raas/v2/customers", `{"customerIdentifier":"allowed-2","displayName":"Two"}`).wantError(t, http.StatusConflict, "409.010")
		if got, want := strings.Join(ts.listCustomers(t, k), ","), "allowed-1,allowed-3,allowed-2"; got != want {
			t.Errorf("restricted list: got %s, want %s", got, want)
		}
		// A restricted read-only key is both.
		rk := ts.key(t, "platform-one", true, []string{"allowed-1"})
		ts.do(t, rk, "POST", "/raas/v2/customers", `{"customerIdentifier":"allowed-1","displayName":"x"}`).wantError(t, http.StatusForbidden, "403.001")
		if got, want := strings.Join(ts.listCustomers(t, rk), ","), "allowed-1"; got != want {
			t.Errorf("restricted read-only list: got %s, want %s", got, want)
		}
		// A restriction to customers that do not exist lists nothing.
		none := ts.key(t, "platform-one", false, []string{"nobody-1"})
		if res := ts.do(t, none, "GET", "/raas/v2/customers", ""); res.Status != http.StatusOK || string(res.Body) != "[]\n" {
			t.Errorf("empty list: got %d %q, want 200 %q", res.Status, res.Body, "[]\n")
		}
	})
}

func TestSuspendedPlatform(t *testing.T) {
	forEachEngine(t, func(t *testing.T, ts *testServer) {
		ctx := context.Background()
		c := ts.platform(t, "platform-one")
		ro := ts.key(t, "platform-one", true, nil)
		other := ts.platform(t, "platform-two")
		if err := ts.Store.SetSuspended(ctx, "platform-one", true); err != nil {
			t.Fatal(err)
		}
		for _, k := range []creds{c, ro} {
			ts.do(t, k, "GET", "/raas/v2/customers", "").wantError(t, http.StatusForbidden, "403.020").wantFields(t)
			ts.do(t, k, "GET", "/raas/v2/customers/platform-one", "").wantError(t, http.StatusForbidden, "403.020")
			ts.do(t, k, "POST", "/raas/v2/customers", `{"customerIdentifier":"cust-1","displayName":"x"}`).wantError(t, http.StatusForbidden, "403.020")
		}
		// A wrong key of a suspended platform is still a 401: suspension is no oracle.
		ts.do(t, creds{c.name, "nope"}, "GET", "/raas/v2/customers", "").wantError(t, http.StatusUnauthorized, "401.002")
		ts.do(t, other, "GET", "/raas/v2/customers", "").wantStatus(t, http.StatusOK)
		if err := ts.Store.SetSuspended(ctx, "platform-one", false); err != nil {
			t.Fatal(err)
		}
		ts.do(t, c, "GET", "/raas/v2/customers/cust-1", "").wantError(t, http.StatusNotFound, "404.002")
		ts.do(t, c, "GET", "/raas/v2/customers", "").wantStatus(t, http.StatusOK)
	})
}

func TestRevokedKey(t *testing.T) {
	forEachEngine(t, func(t *testing.T, ts *testServer) {
		ctx := context.Background()
		c := ts.platform(t, "platform-one")
		second, err := ts.Store.CreateKey(ctx, "platform-one", false, nil)
		if err != nil {
			t.Fatal(err)
		}
		k := creds{second.PlatformName, second.PlatformKey}
		ts.do(t, k, "GET", "/raas/v2/customers", "").wantStatus(t, http.StatusOK)
		if err := ts.Store.RevokeKey(ctx, "platform-one", second.KeyID); err != nil {
			t.Fatal(err)
		}
		ts.do(t, k, "GET", "/raas/v2/customers", "").wantError(t, http.StatusUnauthorized, "401.002")
		ts.do(t, k, "POST", "/raas/v2/customers", `{"customerIdentifier":"cust-1","displayName":"x"}`).wantError(t, http.StatusUnauthorized, "401.002")
		// The platform's other key lives on.
		ts.do(t, c, "GET", "/raas/v2/customers", "").wantStatus(t, http.StatusOK)
	})
}

func TestCacheControl(t *testing.T) {
	forEachEngine(t, func(t *testing.T, ts *testServer) {
		c := ts.platform(t, "platform-one")
		ro := ts.key(t, "platform-one", true, nil)
		for _, res := range []*response{
			ts.do(t, c, "GET", "/raas/v2/customers", ""),
			ts.do(t, c, "POST", "/raas/v2/customers", `{"customerIdentifier":"cust-1","displayName":"x"}`),
			ts.do(t, c, "GET", "/raas/v2/customers/cust-1", ""),
			ts.do(t, c, "GET", "/raas/v2/customers/cust-2", ""),
			ts.do(t, c, "POST", "/raas/v2/customers", `{}`),
			ts.do(t, ro, "POST", "/raas/v2/customers", `{}`),
			ts.do(t, creds{}, "GET", "/raas/v2/customers", ""),
		} {
			if got, want := res.Header.Get("Cache-Control"), "no-store"; got != want {
				t.Errorf("%d %s: Cache-Control: got %q, want %q", res.Status, res.Body, got, want)
			}
		}
	})
}
