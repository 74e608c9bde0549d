package http_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cofferhq/coffer"
)

// accountNumberRE is what the server assigns: A and digits.
var accountNumberRE = regexp.MustCompile(`^A[0-9]+$`)

func TestCreateAccount(t *testing.T) {
	forEachEngine(t, func(t *testing.T, ts *testServer) {
		c := ts.platform(t, "platform-one")
		ts.createCustomer(t, c, "cust-1", "Customer one")
		before := time.Now().UTC().Truncate(time.Millisecond)
		res := ts.do(t, c, "POST", "/raas/v2/customers/cust-1/accounts",
			`{"accountIdentifier":"acct-1","displayName":"Travel budget","contactEmail":"Boss@Example.com","currencyCode":"EUR",
			  "fundingNotification":[{"emailAddress":"a@example.com"},{"emailAddress":"B@example.com"}]}`)
		after := time.Now().UTC()
		res.wantStatus(t, http.StatusCreated)
		if got, want := res.Header.Get("Location"), "/raas/v2/customers/cust-1/accounts/acct-1"; got != want {
			t.Errorf("Location: got %q, want %q", got, want)
		}
		var members map[string]json.RawMessage
		res.JSON(t, &members)
		if len(members) != 9 {
			t.Errorf("members: got %d (%s), want the 9 of AccountView", len(members), res.Body)
		}
		if got := string(members["currentBalance"]); got != "0" {
			t.Errorf("currentBalance: got %s, want 0", got)
		}
		var a wireAccount
		res.JSON(t, &a)
		if a.AccountIdentifier != "acct-1" || a.DisplayName != "Travel budget" || a.ContactEmail != "Boss@Example.com" ||
			a.CurrencyCode != "EUR" || a.Status != "ACTIVE" {
			t.Errorf("view: got %+v", a)
		}
		if got, want := a.funding(), []string{"a@example.com", "B@example.com"}; !slices.Equal(got, want) {
			t.Errorf("fundingNotification: got %q, want %q", got, want)
		}
		if !accountNumberRE.MatchString(a.AccountNumber) {
			t.Errorf("accountNumber: got %q, want A and digits", a.AccountNumber)
		}
		if !wireTimeRE.MatchString(a.CreatedAt) {
			t.Errorf("createdAt: got %q, want three fraction digits and Z", a.CreatedAt)
		}
		if at := time.UnixMilli(a.createdMillis(t)); at.Before(before) || at.After(after) {
			t.Errorf("createdAt: got %s, want between %s and %s", at, before, after)
		}

		// What GET answers is what the creation answered.
		var got wireAccount
		ts.getJSON(t, c, "/raas/v2/accounts/acct-1", &got)
		if jsonText(t, got) != jsonText(t, a) {
			t.Errorf("GET: got %s, want %s", jsonText(t, got), jsonText(t, a))
		}

		// Without a list, fundingNotification is [], not null; numbers are unique.
		numbers := map[string]bool{a.AccountNumber: true}
		for i := range 20 {
			res := ts.do(t, c, "POST", "/raas/v2/customers/cust-1/accounts", accountBody(t, fmt.Sprintf("more-%d", i), "More", "m@example.com"))
			res.wantStatus(t, http.StatusCreated)
			var members map[string]json.RawMessage
			res.JSON(t, &members)
			if got := string(members["fundingNotification"]); got != "[]" {
				t.Errorf("fundingNotification: got %s, want []", got)
			}
			var v wireAccount
			res.JSON(t, &v)
			if !accountNumberRE.MatchString(v.AccountNumber) || numbers[v.AccountNumber] {
				t.Errorf("accountNumber: got %q, want A and digits, unique", v.AccountNumber)
			}
			numbers[v.AccountNumber] = true
		}
	})
}

func TestCreateAccountValidation(t *testing.T) {
	long := func(s string, n int) string { return strings.Repeat(s, n) }
	email101 := long("e", 101-len("@example.com")) + "@example.com"
	email100 := long("e", 100-len("@example.com")) + "@example.com"
	fundingList := func(n int) []map[string]string {
		out := make([]map[string]string, n)
		for i := range out {
			out[i] = map[string]string{"emailAddress": fmt.Sprintf("f%d@example.com", i)}
		}
		return out
	}
	type body = map[string]any
	base := func(kv ...any) body {
		b := body{"accountIdentifier": "acct-ok", "displayName": "Name", "contactEmail": "x@example.com"}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(b, kv[i].(string))
			} else {
				b[kv[i].(string)] = kv[i+1]
			}
		}
		return b
	}
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	tests := []struct {
		name     string
		body     body
		want     []field // nil: created
		currency string  // when created
	}{
		{"identifier 4 characters", base("accountIdentifier", "abcd"), []field{{"accountIdentifier", "422.008", `"abcd"`}}, ""},
		{"identifier 5 characters", base("accountIdentifier", "abcde"), nil, "USD"},
		{"identifier 100 characters", base("accountIdentifier", long("a", 100)), nil, "USD"},
		{"identifier 101 characters", base("accountIdentifier", long("a", 101)), []field{{"accountIdentifier", "422.008", `"` + long("a", 101) + `"`}}, ""},
		{"identifier uppercase", base("accountIdentifier", "Acct-Upper"), []field{{"accountIdentifier", "422.008", `"Acct-Upper"`}}, ""},
		{"identifier bad character", base("accountIdentifier", "acct_under"), []field{{"accountIdentifier", "422.008", `"acct_under"`}}, ""},
		{"identifier missing", base("accountIdentifier", nil), []field{{"accountIdentifier", "422.007", `null`}}, ""},
		{"display name 100 code points", base("displayName", long("é", 100)), nil, "USD"},
		{"display name 101 code points", base("displayName", long("é", 101)), []field{{"displayName", "422.006", `"` + long("é", 101) + `"`}}, ""},
		{"display name tab", base("displayName", "a\tb"), []field{{"displayName", "422.008", `"a\tb"`}}, ""},
		{"display name DEL", base("displayName", "a\u007fb"), []field{{"displayName", "422.008", "\"a\u007fb\""}}, ""},
		{"display name blank", base("displayName", "   "), []field{{"displayName", "422.007", `"   "`}}, ""},
		{"display name missing", base("displayName", nil), []field{{"displayName", "422.007", `null`}}, ""},
		{"contact email missing", base("contactEmail", nil), []field{{"contactEmail", "422.007", `null`}}, ""},
		{"contact email empty", base("contactEmail", ""), []field{{"contactEmail", "422.007", `null`}}, ""},
		{"contact email invalid", base("contactEmail", "not-an-address"), []field{{"contactEmail", "422.009", `"not-an-address"`}}, ""},
		{"contact email with a name", base("contactEmail", "Bob <bob@example.com>"), []field{{"contactEmail", "422.009", `"Bob \u003cbob@example.com\u003e"`}}, ""},
		{"contact email 100 characters", base("contactEmail", email100), nil, "USD"},
		{"contact email 101 characters", base("contactEmail", email101), []field{{"contactEmail", "422.006", `"` + email101 + `"`}}, ""},
		{"currency absent", base(), nil, "USD"},
		{"currency empty", base("currencyCode", ""), nil, "USD"},
		{"currency null", base("currencyCode", raw("null")), nil, "USD"},
		{"currency lowercase", base("currencyCode", "eur"), nil, "EUR"},
		{"currency GBP", base("currencyCode", "GBP"), nil, "GBP"},
		{"currency CAD", base("currencyCode", "CAD"), nil, "CAD"},
		{"currency unknown", base("currencyCode", "XXX"), []field{{"currencyCode", "422.011", `"XXX"`}}, ""},
		{"funding 20", base("fundingNotification", fundingList(20)), nil, "USD"},
		{"funding 21", base("fundingNotification", fundingList(21)), []field{{"fundingNotification", "422.006", `21`}}, ""},
		{"funding empty", base("fundingNotification", fundingList(0)), nil, "USD"},
		{"funding null", base("fundingNotification", raw("null")), nil, "USD"},
		{"funding invalid address", base("fundingNotification", raw(`[{"emailAddress":"ok@example.com"},{"emailAddress":"nope"}]`)),
			[]field{{"fundingNotification[1].emailAddress", "422.009", `"nope"`}}, ""},
		{"funding missing address", base("fundingNotification", raw(`[{}]`)), []field{{"fundingNotification[0].emailAddress", "422.007", `null`}}, ""},
		{"funding null address", base("fundingNotification", raw(`[{"emailAddress":null}]`)), []field{{"fundingNotification[0].emailAddress", "422.007", `null`}}, ""},
		{"funding duplicate ignoring case", base("fundingNotification", raw(`[{"emailAddress":"dup@example.com"},{"emailAddress":"DUP@Example.com"}]`)),
			[]field{{"fundingNotification[1].emailAddress", "422.009", `"DUP@Example.com"`}}, ""},
		{"identifier a number", base("accountIdentifier", 12345), []field{{"accountIdentifier", "400.009", `12345`}}, ""},
		{"display name a bool", base("displayName", true), []field{{"displayName", "400.009", `true`}}, ""},
		{"contact email a list", base("contactEmail", raw(`["x@example.com"]`)), []field{{"contactEmail", "400.009", `["x@example.com"]`}}, ""},
		{"currency a number", base("currencyCode", 840), []field{{"currencyCode", "400.009", `840`}}, ""},
		{"funding a string", base("fundingNotification", "x@example.com"), []field{{"fundingNotification", "400.009", `"x@example.com"`}}, ""},
		{"funding of strings", base("fundingNotification", raw(`["x@example.com"]`)), []field{{"fundingNotification", "400.009", `["x@example.com"]`}}, ""},
		{"funding address a number", base("fundingNotification", raw(`[{"emailAddress":5}]`)), []field{{"fundingNotification", "400.009", `[{"emailAddress":5}]`}}, ""},
		{"every field bad", body{"accountIdentifier": "AB", "displayName": "", "contactEmail": "x", "currencyCode": "XXX",
			"fundingNotification": raw(`[{"emailAddress":"bad"}]`)},
			[]field{{"accountIdentifier", "422.008", `"AB"`}, {"displayName", "422.007", `null`}, {"contactEmail", "422.009", `"x"`},
				{"currencyCode", "422.011", `"XXX"`}, {"fundingNotification[0].emailAddress", "422.009", `"bad"`}}, ""},
		{"every field of the wrong type", body{"accountIdentifier": 1, "displayName": 2, "contactEmail": 3, "currencyCode": 4, "fundingNotification": 5},
			[]field{{"accountIdentifier", "400.009", `1`}, {"displayName", "400.009", `2`}, {"contactEmail", "400.009", `3`},
				{"currencyCode", "400.009", `4`}, {"fundingNotification", "400.009", `5`}}, ""},
	}
	// accepted gives each body that must be accepted an identifier of its own.
	accepted := func(i int, b body, want []field) body {
		b = maps.Clone(b)
		if want == nil && b["accountIdentifier"] == "acct-ok" {
			b["accountIdentifier"] = fmt.Sprintf("acct-ok-%d", i)
		}
		return b
	}
	forEachEngine(t, func(t *testing.T, ts *testServer) {
		c := ts.platform(t, "platform-one")
		ts.createCustomer(t, c, "cust-1", "Customer one")
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				b := accepted(i, tt.body, tt.want)
				res := ts.do(t, c, "POST", "/raas/v2/customers/cust-1/accounts", jsonText(t, b))
				if tt.want == nil {
					res.wantStatus(t, http.StatusCreated)
					var a wireAccount
					res.JSON(t, &a)
					if a.CurrencyCode != tt.currency || a.AccountIdentifier != b["accountIdentifier"] {
						t.Errorf("got %s %s, want %s %s", a.AccountIdentifier, a.CurrencyCode, b["accountIdentifier"], tt.currency)
					}
					return
				}
				e := res.wantError(t, http.StatusBadRequest, "400.004")
				e.wantFields(t, tt.want...)
				if tt.name == "identifier uppercase" && !strings.Contains(e.Errors[0].Message, "lowercase") {
					t.Errorf("message: got %q, want it to say lowercase", e.Errors[0].Message)
				}
			})
		}
		// Nothing refused was created.
		var want []string
		for i, tt := range tests {
			if tt.want == nil {
				want = append(want, accepted(i, tt.body, tt.want)["accountIdentifier"].(string))
			}
		}
		if got := accountIDs(ts.list(t, c, "/raas/v2/accounts", nil)); !slices.Equal(got, want) {
			t.Errorf("accounts: got %q, want only the accepted %q", got, want)
		}
		ts.do(t, c, "POST", "/raas/v2/customers/cust-1/accounts", `{"accountIdentifier":`).wantError(t, http.StatusBadRequest, "400.009")
		ts.do(t, c, "POST", "/raas/v2/customers/cust-1/accounts", `[]`).wantError(t, http.StatusBadRequest, "400.009")
	})
}

func TestAccountConflicts(t *testing.T) {
	forEachEngine(t, func(t *testing.T, ts *testServer) {
		c := ts.platform(t, "platform-one")
		other := ts.platform(t, "platform-two")
		ts.createCustomer(t, c, "cust-1", "One")
		ts.createCustomer(t, c, "cust-2", "Two")
		ts.createCustomer(t, other, "cust-1", "Other one")
		first := ts.newAccount(t, c, "cust-1", "shared-id")

		e := ts.do(t, c, "POST", "/raas/v2/customers/nobody/accounts", accountBody(t, "acct-x", "X", "x@example.com")).wantError(t, http.StatusNotFound, "404.002")
		e.wantFields(t, field{"customerIdentifier", "404.002", `"nobody"`})
		// Another platform's customer is unknown here.
		ts.createCustomer(t, other, "cust-9", "Theirs")
		ts.do(t, c, "POST", "/raas/v2/customers/cust-9/accounts", accountBody(t, "acct-x", "X", "x@example.com")).wantError(t, http.StatusNotFound, "404.002")

		for _, customer := range []string{"cust-1", "cust-2", "platform-one"} {
			e := ts.do(t, c, "POST", "/raas/v2/customers/"+customer+"/accounts", accountBody(t, "shared-id", "Again", "y@example.com")).wantError(t, http.StatusConflict, "409.003")
			e.wantFields(t, field{"accountIdentifier", "409.003", `"shared-id"`})
		}
		var got wireAccount
		ts.getJSON(t, c, "/raas/v2/accounts/shared-id", &got)
		if jsonText(t, got) != jsonText(t, first) {
			t.Errorf("after refused duplicates: got %s, want %s", jsonText(t, got), jsonText(t, first))
		}
		// The same identifier on another platform is another account.
		theirs := ts.newAccount(t, other, "cust-1", "shared-id")
		if theirs.AccountNumber == "" {
			t.Errorf("another platform's account: got no number")
		}
		ts.getJSON(t, c, "/raas/v2/accounts/shared-id", &got)
		if got.AccountNumber != first.AccountNumber {
			t.Errorf("after another platform's creation: got number %s, want %s", got.AccountNumber, first.AccountNumber)
		}
	})
}

func TestCreateAccountConcurrently(t *testing.T) {
	const n = 32
	forEachEngine(t, func(t *testing.T, ts *testServer) {
		c := ts.platform(t, "platform-one")
		ts.createCustomer(t, c, "cust-1", "One")
		ts.createCustomer(t, c, "cust-2", "Two")
		client := pooledClient(t, n)
		var wg sync.WaitGroup
		statuses := make([]int, n)
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				customer := []string{"cust-1", "cust-2"}[i%2]
				<-start
				res, err := ts.attempt(client, c, "POST", "/raas/v2/customers/"+customer+"/accounts",
					fmt.Sprintf(`{"accountIdentifier":"race-1","displayName":"Racer %d","contactEmail":"r%d@example.com"}`, i, i))
				if err != nil {
					t.Error(err)
					return
				}
				statuses[i] = res.Status
			})
		}
		close(start)
		wg.Wait()
		count := map[int]int{}
		for _, s := range statuses {
			count[s]++
		}
		if count[http.StatusCreated] != 1 || count[http.StatusConflict] != n-1 {
			t.Errorf("statuses: got %v, want 1 201 and %d 409", count, n-1)
		}
		if got := accountIDs(ts.list(t, c, "/raas/v2/accounts", nil)); !slices.Equal(got, []string{"race-1"}) {
			t.Errorf("accounts: got %q, want one race-1", got)
		}
	})
}

func TestUpdateAccount(t *testing.T) {
	forEachEngine(t, func(t *testing.T, ts *testServer) {
		c := ts.platform(t, "platform-one")
		ts.createCustomer(t, c, "cust-1", "One")
		ts.createCustomer(t, c, "cust-2", "Two")
		ts.newAccount(t, c, "cust-1", "acct-1", "currencyCode", "GBP",
			"fundingNotification", []map[string]string{{"emailAddress": "a@example.com"}, {"emailAddress": "b@example.com"}})
		ts.newAccount(t, c, "cust-2", "acct-2")
		const path = "/raas/v2/customers/cust-1/accounts/acct-1"

		// patch sends a PATCH, wants 200 and checks that GET then answers the same view.
		patch := func(t *testing.T, body string) wireAccount {
			t.Helper()
			res := ts.do(t, c, "PATCH", path, body)
			res.wantStatus(t, http.StatusOK)
			var a wireAccount
			res.JSON(t, &a)
			var got wireAccount
			ts.getJSON(t, c, "/raas/v2/accounts/acct-1", &got)
			if jsonText(t, got) != jsonText(t, a) {
				t.Errorf("GET after PATCH %s: got %s, want %s", body, jsonText(t, got), jsonText(t, a))
			}
			return a
		}
		tests := []struct {
			body    string
			name    string
			email   string
			funding []string
		}{
			{`{"displayName":"Renamed"}`, "Renamed", "acct-1@example.com", []string{"a@example.com", "b@example.com"}},
			{`{"fundingNotification":null}`, "Renamed", "acct-1@example.com", []string{"a@example.com", "b@example.com"}},
			{`{"contactEmail":"New@Example.com","fundingNotification":[{"emailAddress":"c@example.com"}]}`, "Renamed", "New@Example.com", []string{"c@example.com"}},
			{`{"displayName":null,"contactEmail":null}`, "Renamed", "New@Example.com", []string{"c@example.com"}},
			{`{"fundingNotification":[]}`, "Renamed", "New@Example.com", []string{}},
			{`{"fundingNotification":[{"emailAddress":"d@example.com"},{"emailAddress":"E@example.com"}]}`, "Renamed", "New@Example.com", []string{"d@example.com", "E@example.com"}},
			{`{"displayName":"déjà vu","contactEmail":"z@example.com"}`, "déjà vu", "z@example.com", []string{"d@example.com", "E@example.com"}},
		}
		var last wireAccount
		for _, tt := range tests {
			a := patch(t, tt.body)
			if a.DisplayName != tt.name || a.ContactEmail != tt.email || !slices.Equal(a.funding(), tt.funding) {
				t.Errorf("PATCH %s: got %q %q %q, want %q %q %q", tt.body, a.DisplayName, a.ContactEmail, a.funding(), tt.name, tt.email, tt.funding)
			}
			if a.CurrencyCode != "GBP" || a.Status != "ACTIVE" || a.AccountIdentifier != "acct-1" {
				t.Errorf("PATCH %s: got %+v, want the other fields unchanged", tt.body, a)
			}
			last = a
		}
		// An empty object and read-only fields change nothing.
		for _, body := range []string{`{}`, `{"currencyCode":"EUR","status":"DELETED","currentBalance":99,"accountNumber":"A1","createdAt":null,"accountIdentifier":"other-1"}`} {
			if a := patch(t, body); jsonText(t, a) != jsonText(t, last) {
				t.Errorf("PATCH %s: got %s, want %s", body, jsonText(t, a), jsonText(t, last))
			}
		}

		bad := []struct {
			body string
			want []field
		}{
			{`{"displayName":""}`, []field{{"displayName", "422.007", `null`}}},
			{`{"contactEmail":""}`, []field{{"contactEmail", "422.007", `null`}}},
			{`{"displayName":"","contactEmail":"bad","fundingNotification":[{"emailAddress":"x"}]}`,
				[]field{{"displayName", "422.007", `null`}, {"contactEmail", "422.009", `"bad"`}, {"fundingNotification[0].emailAddress", "422.009", `"x"`}}},
			{`{"displayName":"` + strings.Repeat("x", 101) + `"}`, []field{{"displayName", "422.006", `"` + strings.Repeat("x", 101) + `"`}}},
			{`{"displayName":5,"fundingNotification":{}}`, []field{{"displayName", "400.009", `5`}, {"fundingNotification", "400.009", `{}`}}},
			{`{"fundingNotification":[{"emailAddress":"q@example.com"},{"emailAddress":"Q@example.com"}]}`, []field{{"fundingNotification[1].emailAddress", "422.009", `"Q@example.com"`}}},
		}
		for _, tt := range bad {
			ts.do(t, c, "PATCH", path, tt.body).wantError(t, http.StatusBadRequest, "400.004").wantFields(t, tt.want...)
		}
		if a := patch(t, `{}`); jsonText(t, a) != jsonText(t, last) {
			t.Errorf("after refused PATCHes: got %s, want %s", jsonText(t, a), jsonText(t, last))
		}

		// Accounts that are not the customer's are not found under it.
		e := ts.do(t, c, "PATCH", "/raas/v2/customers/cust-1/accounts/nobody", `{}`).wantError(t, http.StatusNotFound, "404.020")
		e.wantFields(t, field{"accountIdentifier", "404.020", `"nobody"`})
		ts.do(t, c, "PATCH", "/raas/v2/customers/cust-1/accounts/acct-2", `{"displayName":"Stolen"}`).wantError(t, http.StatusNotFound, "404.020")
		ts.do(t, c, "PATCH", "/raas/v2/customers/nobody/accounts/acct-1", `{}`).wantError(t, http.StatusNotFound, "404.002")
		var two wireAccount
		ts.getJSON(t, c, "/raas/v2/accounts/acct-2", &two)
		if two.DisplayName != "Account acct-2" {
			t.Errorf("acct-2 after a PATCH under another customer: got %q", two.DisplayName)
		}
		// Another platform's account is unknown.
		o := ts.platform(t, "platform-two")
		ts.do(t, o, "PATCH", path, `{}`).wantError(t, http.StatusNotFound, "404.002")
		ts.createCustomer(t, o, "cust-1", "Theirs")
		ts.do(t, o, "PATCH", path, `{}`).wantError(t, http.StatusNotFound, "404.020")
		// A DELETED account is gone.
		ts.setStatus(t, "platform-one", "acct-1", coffer.AccountDeleted)
		ts.do(t, c, "PATCH", path, `{"displayName":"Back"}`).wantError(t, http.StatusNotFound, "404.020")
	})
}

func TestUpdateAccountConcurrently(t *testing.T) {
	const n = 20
	forEachEngine(t, func(t *testing.T, ts *testServer) {
		c := ts.platform(t, "platform-one")
		ts.createCustomer(t, c, "cust-1", "One")
		ts.newAccount(t, c, "cust-1", "acct-1")
		const path = "/raas/v2/customers/cust-1/accounts/acct-1"
		client := pooledClient(t, n)

		// Half set the display name, half the contact email, all at once.
		names, emails := map[string]bool{}, map[string]bool{}
		bodies := make([]string, n)
		for i := range n {
			if i%2 == 0 {
				name := fmt.Sprintf("Name %d", i)
				names[name] = true
				bodies[i] = jsonText(t, map[string]string{"displayName": name})
			} else {
				email := fmt.Sprintf("mail%d@example.com", i)
				emails[email] = true
				bodies[i] = jsonText(t, map[string]string{"contactEmail": email})
			}
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				res, err := ts.attempt(client, c, "PATCH", path, bodies[i])
				if err != nil {
					t.Error(err)
				} else if res.Status != http.StatusOK {
					t.Errorf("PATCH %s: got %d %s, want 200", bodies[i], res.Status, res.Body)
				}
			})
		}
		close(start)
		wg.Wait()
		var a wireAccount
		ts.getJSON(t, c, "/raas/v2/accounts/acct-1", &a)
		if !names[a.DisplayName] || !emails[a.ContactEmail] {
			t.Errorf("after concurrent PATCHes: got %q %q, want one of the names sent and one of the emails sent", a.DisplayName, a.ContactEmail)
		}

		// Two PATCHes of different fields at once: both stick, round after round.
		for round := range 10 {
			name, email := fmt.Sprintf("Round %d", round), fmt.Sprintf("round%d@example.com", round)
			funding := fmt.Sprintf(`{"fundingNotification":[{"emailAddress":"f%d@example.com"}]}`, round)
			start := make(chan struct{})
			for _, body := range []string{jsonText(t, map[string]string{"displayName": name}), jsonText(t, map[string]string{"contactEmail": email}), funding} {
				wg.Go(func() {
					<-start
					res, err := ts.attempt(client, c, "PATCH", path, body)
					if err != nil {
						t.Error(err)
					} else if res.Status != http.StatusOK {
						t.Errorf("PATCH %s: got %d %s, want 200", body, res.Status, res.Body)
					}
				})
			}
			close(start)
			wg.Wait()
			ts.getJSON(t, c, "/raas/v2/accounts/acct-1", &a)
			if want := fmt.Sprintf("f%d@example.com", round); a.DisplayName != name || a.ContactEmail != email || !slices.Equal(a.funding(), []string{want}) {
				t.Errorf("round %d: got %q %q %q, want %q %q [%s]", round, a.DisplayName, a.ContactEmail, a.funding(), name, email, want)
			}
		}
	})
}

func TestCustomerAccountSummaries(t *testing.T) {
	forEachEngine(t, func(t *testing.T, ts *testServer) {
		c := ts.platform(t, "platform-one")
		ts.createCustomer(t, c, "cust-1", "One")
		ts.createCustomer(t, c, "cust-2", "Two")
		a1 := ts.newAccount(t, c, "cust-1", "acct-1", "currencyCode", "CAD")
		ts.newAccount(t, c, "cust-1", "acct-gone")
		a3 := ts.newAccount(t, c, "cust-1", "acct-3")
		ts.setStatus(t, "platform-one", "acct-gone", coffer.AccountDeleted)
		ts.setStatus(t, "platform-one", "acct-3", coffer.AccountFrozen)
		a3.Status = "FROZEN"

		summary := func(a wireAccount) string {
			return jsonText(t, map[string]string{"accountIdentifier": a.AccountIdentifier, "accountNumber": a.AccountNumber, "displayName": a.DisplayName,
				"createdAt": a.CreatedAt, "status": a.Status, "currencyCode": a.CurrencyCode})
		}
		// summaries compacts each summary through a map, whose keys marshal sorted.
		summaries := func(v customerView) []string {
			out := []string{}
			for _, raw := range v.Accounts {
				var m map[string]string
				if err := json.Unmarshal(raw, &m); err != nil {
					t.Fatalf("summary %s: %v", raw, err)
				}
				out = append(out, jsonText(t, m))
			}
			return out
		}
		want := []string{summary(a1), summary(a3)}
		var one customerView
		ts.getJSON(t, c, "/raas/v2/customers/cust-1", &one)
		if got := summaries(one); !slices.Equal(got, want) {
			t.Errorf("GET customer: got %s, want %s", got, want)
		}
		var all []customerView
		ts.getJSON(t, c, "/raas/v2/customers", &all)
		found := map[string][]string{}
		for _, v := range all {
			found[v.CustomerIdentifier] = summaries(v)
		}
		if got := found["cust-1"]; !slices.Equal(got, want) {
			t.Errorf("GET customers, cust-1: got %s, want %s", got, want)
		}
		if got := found["cust-2"]; got == nil || len(got) != 0 {
			t.Errorf("GET customers, cust-2: got %v, want []", got)
		}
	})
}

func TestPlatformAccounts(t *testing.T) {
	forEachEngine(t, func(t *testing.T, ts *testServer) {
		c := ts.platform(t, "platform-one")
		other := ts.platform(t, "platform-two")
		ts.createCustomer(t, c, "cust-1", "One")
		ts.createCustomer(t, c, "cust-2", "Two")
		ts.createCustomer(t, other, "cust-1", "Theirs")
		ts.newAccount(t, c, "cust-1", "acct-1")
		ts.newAccount(t, c, "cust-2", "acct-2")
		ts.newAccount(t, c, "platform-one", "acct-3")
		ts.newAccount(t, c, "cust-1", "acct-gone")
		ts.newAccount(t, other, "cust-1", "theirs-1")
		ts.setStatus(t, "platform-one", "acct-gone", coffer.AccountDeleted)

		tests := []struct {
			query string
			want  []string
		}{
			{"", []string{"acct-1", "acct-2", "acct-3"}},
			{"customerIdentifier=cust-1", []string{"acct-1"}},
			{"customerIdentifier=cust-2", []string{"acct-2"}},
			{"customerIdentifier=platform-one", []string{"acct-3"}},
			{"customerIdentifier=nobody", []string{}},
			{"customerIdentifier=CUST-1", []string{}},
			{"status=deleted", []string{"acct-gone"}},
			{"status=DELETED&customerIdentifier=cust-2", []string{}},
		}
		for _, tt := range tests {
			q, _ := url.ParseQuery(tt.query)
			if got := accountIDs(ts.list(t, c, "/raas/v2/accounts", q)); !slices.Equal(got, tt.want) {
				t.Errorf("GET /accounts?%s: got %q, want %q", tt.query, got, tt.want)
			}
			p := ts.page(t, c, "/raas/v2/accounts", q, 0, "", "")
			if got := p.ids(); !slices.Equal(got, tt.want) || p.PrevPageAvailable || p.NextPageAvailable {
				t.Errorf("GET /accounts?%s&paginate=true: got %q prev %v next %v, want %q and no other page", tt.query, got, p.PrevPageAvailable, p.NextPageAvailable, tt.want)
			}
		}
		// The customer's own list; an unknown customer there is a 404.
		if got := accountIDs(ts.list(t, c, "/raas/v2/customers/cust-1/accounts", nil)); !slices.Equal(got, []string{"acct-1"}) {
			t.Errorf("customer list: got %q, want [acct-1]", got)
		}
		ts.do(t, c, "GET", "/raas/v2/customers/nobody/accounts", "").wantError(t, http.StatusNotFound, "404.002")
		ts.do(t, c, "GET", "/raas/v2/customers/nobody/accounts?paginate=true", "").wantError(t, http.StatusNotFound, "404.002")

		// One account: unknown, DELETED and another platform's are 404.003.
		var a wireAccount
		ts.getJSON(t, c, "/raas/v2/accounts/acct-2", &a)
		if a.AccountIdentifier != "acct-2" {
			t.Errorf("GET acct-2: got %s", a.AccountIdentifier)
		}
		for _, id := range []string{"nobody", "acct-gone", "theirs-1", "ACCT-1"} {
			e := ts.do(t, c, "GET", "/raas/v2/accounts/"+id, "").wantError(t, http.StatusNotFound, "404.003")
			e.wantFields(t, field{"accountIdentifier", "404.003", `"` + id + `"`})
		}

		// A key restricted to customers sees only theirs.
		k := ts.key(t, "platform-one", true, []string{"cust-1"})
		if got := accountIDs(ts.list(t, k, "/raas/v2/accounts", nil)); !slices.Equal(got, []string{"acct-1"}) {
			t.Errorf("restricted list: got %q, want [acct-1]", got)
		}
		p := ts.page(t, k, "/raas/v2/accounts", nil, 0, "", "")
		if got := p.ids(); !slices.Equal(got, []string{"acct-1"}) {
			t.Errorf("restricted page: got %q, want [acct-1]", got)
		}
		ts.getJSON(t, k, "/raas/v2/accounts/acct-1", &a)
		for _, path := range []string{"/raas/v2/accounts/acct-2", "/raas/v2/accounts/acct-3", "/raas/v2/accounts?customerIdentifier=cust-2",
			"/raas/v2/accounts?customerIdentifier=cust-2&paginate=true", "/raas/v2/customers/cust-2/accounts", "/raas/v2/customers/cust-2"} {
			ts.do(t, k, "GET", path, "").wantError(t, http.StatusForbidden, "403.007")
		}
		w := ts.key(t, "platform-one", false, []string{"cust-1"})
		ts.do(t, w, "POST", "/raas/v2/customers/cust-2/accounts", accountBody(t, "acct-9", "X", "x@example.com")).wantError(t, http.StatusForbidden, "403.007")
		ts.do(t, w, "PATCH", "/raas/v2/customers/cust-2/accounts/acct-2", `{"displayName":"Mine"}`).wantError(t, http.StatusForbidden, "403.007")
		ts.do(t, k, "PATCH", "/raas/v2/customers/cust-1/accounts/acct-1", `{"displayName":"Mine"}`).wantError(t, http.StatusForbidden, "403.001")
		ts.do(t, w, "PATCH", "/raas/v2/customers/cust-1/accounts/acct-1", `{"displayName":"Mine"}`).wantStatus(t, http.StatusOK)
	})
}

// balanceText returns the JSON text of an account's currentBalance as GET answers it.
func (ts *testServer) balanceText(tb testing.TB, c creds, account string) string {
	tb.Helper()
	var m map[string]json.RawMessage
	ts.getJSON(tb, c, "/raas/v2/accounts/"+account, &m)
	return string(m["currentBalance"])
}

func TestBalances(t *testing.T) {
	forEachEngine(t, func(t *testing.T, ts *testServer) {
		ctx := context.Background()
		c := ts.platform(t, "platform-one")
		ts.createCustomer(t, c, "cust-1", "One")
		ts.newAccount(t, c, "cust-1", "acct-1")

		steps := []struct {
			amount int64
			want   string
		}{
			{1234, "12.34"},
			{-1224, "0.1"},
			{100000001 - 10, "1000000.01"},
			{-100000001, "0"},
			{5, "0.05"},
			{95, "1"},
			{-50, "0.5"},
		}
		for _, st := range steps {
			ts.move(t, "platform-one", "acct-1", st.amount)
			if got := ts.balanceText(t, c, "acct-1"); got != st.want {
				t.Errorf("after %d: currentBalance got %s, want %s", st.amount, got, st.want)
			}
		}
		// A debit that would overdraw is refused and changes nothing.
		_, err := ts.Store.Move(ctx, "platform-one", "acct-1", -51, "too much")
		if coffer.ErrorCode(err) != coffer.ECONFLICT {
			t.Errorf("overdraw: got %v, want a conflict", err)
		}
		if got := ts.balanceText(t, c, "acct-1"); got != "0.5" {
			t.Errorf("after a refused overdraw: got %s, want 0.5", got)
		}
		for _, amount := range []int64{0, coffer.MaxAmount + 1, -coffer.MaxAmount - 1} {
			if _, err := ts.Store.Move(ctx, "platform-one", "acct-1", amount, ""); coffer.ErrorCode(err) != coffer.EINVALID {
				t.Errorf("move %d: got %v, want invalid", amount, err)
			}
		}
		if _, err := ts.Store.Move(ctx, "platform-one", "nobody", 100, ""); coffer.ErrorCode(err) != coffer.ENOTFOUND {
			t.Errorf("move on an unknown account: got %v, want not found", err)
		}
		if _, err := ts.Store.Move(ctx, "platform-nobody", "acct-1", 100, ""); coffer.ErrorCode(err) != coffer.ENOTFOUND {
			t.Errorf("move on an unknown platform: got %v, want not found", err)
		}
	})
}

func TestStatuses(t *testing.T) {
	forEachEngine(t, func(t *testing.T, ts *testServer) {
		ctx := context.Background()
		c := ts.platform(t, "platform-one")
		ts.createCustomer(t, c, "cust-1", "One")
		for _, st := range []coffer.AccountStatus{coffer.AccountFrozen, coffer.AccountDisabled, coffer.AccountInactive, coffer.AccountDeleted} {
			id := "acct-" + strings.ToLower(string(st))
			ts.newAccount(t, c, "cust-1", id)
			ts.move(t, "platform-one", id, 1000)
			ts.setStatus(t, "platform-one", id, st)
			for _, amount := range []int64{100, -100} {
				if _, err := ts.Store.Move(ctx, "platform-one", id, amount, ""); err == nil {
					t.Errorf("%s account: move %d accepted, want refused", st, amount)
				}
			}
			if st == coffer.AccountDeleted {
				continue
			}
			var a wireAccount
			ts.getJSON(t, c, "/raas/v2/accounts/"+id, &a)
			if a.Status != string(st) || a.CurrentBalance != "10" {
				t.Errorf("%s: got %s %s, want %s 10", id, a.Status, a.CurrentBalance, st)
			}
			// Back to ACTIVE, funds move again.
			ts.setStatus(t, "platform-one", id, coffer.AccountActive)
			ts.move(t, "platform-one", id, -1000)
		}

		// DELETED is final, and the account is gone but for a list filtered by it.
		const gone = "acct-deleted"
		for _, st := range []coffer.AccountStatus{coffer.AccountActive, coffer.AccountFrozen, coffer.AccountDeleted} {
			if _, err := ts.Store.SetAccountStatus(ctx, "platform-one", gone, st); err == nil {
				t.Errorf("DELETED to %s: accepted, want refused", st)
			}
		}
		if _, err := ts.Store.SetAccountStatus(ctx, "platform-one", "acct-frozen", "BOGUS"); coffer.ErrorCode(err) != coffer.EINVALID {
			t.Errorf("status BOGUS: got %v, want invalid", err)
		}
		ts.do(t, c, "GET", "/raas/v2/accounts/"+gone, "").wantError(t, http.StatusNotFound, "404.003")
		ts.do(t, c, "PATCH", "/raas/v2/customers/cust-1/accounts/"+gone, `{}`).wantError(t, http.StatusNotFound, "404.020")
		for _, path := range []string{"/raas/v2/accounts", "/raas/v2/customers/cust-1/accounts"} {
			if ids := accountIDs(ts.list(t, c, path, nil)); slices.Contains(ids, gone) || len(ids) != 3 {
				t.Errorf("%s: got %q, want the 3 accounts not DELETED", path, ids)
			}
			if ids := ts.page(t, c, path, nil, 0, "", "").ids(); slices.Contains(ids, gone) {
				t.Errorf("%s paginated: got %q, want no DELETED account", path, ids)
			}
			list := ts.list(t, c, path, url.Values{"status": {"DELETED"}})
			if len(list) != 1 || list[0].AccountIdentifier != gone || list[0].Status != "DELETED" || list[0].CurrentBalance != "10" {
				t.Errorf("%s?status=DELETED: got %+v, want %s, DELETED, balance 10", path, list, gone)
			}
		}
		var cust customerView
		ts.getJSON(t, c, "/raas/v2/customers/cust-1", &cust)
		if strings.Contains(jsonText(t, cust), gone) || len(cust.Accounts) != 3 {
			t.Errorf("customer summaries: got %s, want the 3 accounts not DELETED", jsonText(t, cust))
		}
		// Its identifier stays taken.
		ts.do(t, c, "POST", "/raas/v2/customers/cust-1/accounts", accountBody(t, gone, "Again", "x@example.com")).wantError(t, http.StatusConflict, "409.003")
	})
}

func TestConcurrentMoves(t *testing.T) {
	const n = 50
	forEachEngine(t, func(t *testing.T, ts *testServer) {
		c := ts.platform(t, "platform-one")
		ts.createCustomer(t, c, "cust-1", "One")
		ts.newAccount(t, c, "cust-1", "acct-1")
		ts.move(t, "platform-one", "acct-1", 5000)
		rng := rand.New(rand.NewPCG(1, 2))
		amounts := make([]int64, n)
		for i := range amounts {
			amounts[i] = rng.Int64N(3000) + 1
			if i%2 == 1 {
				amounts[i] = -amounts[i] * 2
			}
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		sum := int64(5000)
		start := make(chan struct{})
		for _, amount := range amounts {
			wg.Go(func() {
				<-start
				a, err := ts.Store.Move(context.Background(), "platform-one", "acct-1", amount, "race")
				switch {
				case err == nil:
					if a.Balance < 0 {
						t.Errorf("balance after %d: got %d, want never negative", amount, a.Balance)
					}
					mu.Lock()
					sum += amount
					mu.Unlock()
				case amount > 0 || coffer.ErrorCode(err) != coffer.ECONFLICT:
					t.Errorf("move %d: %v", amount, err)
				}
			})
		}
		close(start)
		wg.Wait()
		var a wireAccount
		ts.getJSON(t, c, "/raas/v2/accounts/acct-1", &a)
		if got := a.minor(t); got != sum || got < 0 {
			t.Errorf("final balance: got %d, want %d, the sum of the moves that succeeded", got, sum)
		}
	})
}

// seedAccounts creates n accounts under a customer, one after the other, and returns their
// identifiers in list order.
func (ts *testServer) seedAccounts(tb testing.TB, c creds, customer, prefix string, n int) []string {
	tb.Helper()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s-%03d", prefix, i)
		ts.newAccount(tb, c, customer, ids[i])
	}
	return ids
}

func TestPaging(t *testing.T) {
	forEachEngine(t, func(t *testing.T, ts *testServer) {
		c := ts.platform(t, "platform-one")
		ts.createCustomer(t, c, "cust-1", "One")
		ts.createCustomer(t, c, "cust-2", "Two")
		want := ts.seedAccounts(t, c, "cust-1", "acct", 23)
		ts.seedAccounts(t, c, "cust-2", "other", 3)

		for _, path := range []string{"/raas/v2/customers/cust-1/accounts", "/raas/v2/accounts?customerIdentifier=cust-1"} {
			base, rawQuery, _ := strings.Cut(path, "?")
			q, _ := url.ParseQuery(rawQuery)
			for _, size := range []int{1, 5, 10, 22, 23, 24, 200} {
				pages := ts.walk(t, c, base, q, func() int { return size })
				if got := accountIDs(flatten(pages)); !slices.Equal(got, want) {
					t.Fatalf("%s size %d forward: got %q, want %q", path, size, got, want)
				}
				if wantPages := (len(want) + size - 1) / size; len(pages) != wantPages {
					t.Errorf("%s size %d: got %d pages, want %d", path, size, len(pages), wantPages)
				}
				for i, p := range pages {
					if p.PrevPageAvailable != (i > 0) || p.NextPageAvailable != (i < len(pages)-1) {
						t.Errorf("%s size %d page %d: prev %v next %v, want %v %v", path, size, i, p.PrevPageAvailable, p.NextPageAvailable, i > 0, i < len(pages)-1)
					}
				}
				// Back from the last page, prevCursor gives the same pages.
				for i := len(pages) - 1; i > 0; i-- {
					back := ts.page(t, c, base, q, size, "prevCursor", *pages[i].PrevCursor)
					if got, want := back.ids(), pages[i-1].ids(); !slices.Equal(got, want) {
						t.Fatalf("%s size %d back to page %d: got %q, want %q", path, size, i-1, got, want)
					}
					if back.PrevPageAvailable != (i-1 > 0) || !back.NextPageAvailable {
						t.Errorf("%s size %d back to page %d: prev %v next %v, want %v true", path, size, i-1, back.PrevPageAvailable, back.NextPageAvailable, i-1 > 0)
					}
					// And forward again from a page reached backward.
					fwd := ts.page(t, c, base, q, size, "nextCursor", *back.NextCursor)
					if got, want := fwd.ids(), pages[i].ids(); !slices.Equal(got, want) {
						t.Fatalf("%s size %d forward again to page %d: got %q, want %q", path, size, i, got, want)
					}
				}
			}
		}

		// The page size may change from one page to the next.
		sizes := []int{3, 1, 7, 200}
		var i int
		pages := ts.walk(t, c, "/raas/v2/customers/cust-1/accounts", nil, func() int { i++; return sizes[(i-1)%len(sizes)] })
		if got := accountIDs(flatten(pages)); !slices.Equal(got, want) {
			t.Errorf("varying sizes: got %q, want %q", got, want)
		}

		// The default is 10; an empty list has no cursors.
		p := ts.page(t, c, "/raas/v2/customers/cust-1/accounts", nil, 0, "", "")
		if got := p.ids(); !slices.Equal(got, want[:10]) || p.MaxResults != 10 {
			t.Errorf("default page: got %q (maxResults %d), want the first 10", got, p.MaxResults)
		}
		ts.createCustomer(t, c, "cust-3", "Empty")
		p = ts.page(t, c, "/raas/v2/customers/cust-3/accounts", nil, 0, "", "")
		if len(p.Items) != 0 || p.PrevCursor != nil || p.NextCursor != nil || p.PrevPageAvailable || p.NextPageAvailable {
			t.Errorf("empty page: got %+v, want no items and no cursors", p)
		}
		res := ts.do(t, c, "GET", "/raas/v2/customers/cust-3/accounts?paginate=true", "")
		if !strings.Contains(string(res.Body), `"items":[]`) || !strings.Contains(string(res.Body), `"prevCursor":null`) || !strings.Contains(string(res.Body), `"nextCursor":null`) {
			t.Errorf("empty page body: got %s, want items [] and null cursors", res.Body)
		}
		// Paging parameters mean nothing without paginate=true.
		for _, query := range []string{"maxResults=1", "paginate=false&maxResults=abc", "nextCursor=garbage", "prevCursor=x&nextCursor=y", "PAGINATE=true"} {
			if got := accountIDs(ts.list(t, c, "/raas/v2/customers/cust-1/accounts?"+query, nil)); !slices.Equal(got, want) {
				t.Errorf("?%s: got %q, want the whole list", query, got)
			}
		}
		for _, query := range []string{"paginate=TRUE", "paginate=True"} {
			var p wirePage
			ts.getJSON(t, c, "/raas/v2/customers/cust-1/accounts?"+query, &p)
			if len(p.Items) != 10 {
				t.Errorf("?%s: got %d items, want a page of 10", query, len(p.Items))
			}
		}
	})
}

func TestMaxResults(t *testing.T) {
	forEachEngine(t, func(t *testing.T, ts *testServer) {
		c := ts.platform(t, "platform-one")
		ts.createCustomer(t, c, "cust-1", "One")
		ts.seedAccounts(t, c, "cust-1", "acct", 3)
		tests := []struct {
			value string
			want  int // 0: refused
		}{
			{"1", 1}, {"200", 200}, {"10", 10}, {"0", 0}, {"201", 0}, {"-1", 0}, {"abc", 0}, {"1.5", 0}, {"99999999999999999999", 0},
		}
		for _, path := range []string{"/raas/v2/customers/cust-1/accounts", "/raas/v2/accounts"} {
			for _, tt := range tests {
				res := ts.do(t, c, "GET", path+"?paginate=true&maxResults="+tt.value, "")
				if tt.want == 0 {
					res.wantParamError(t, "maxResults")
					continue
				}
				res.wantStatus(t, http.StatusOK)
				var p wirePage
				res.JSON(t, &p)
				checkPage(t, p, tt.want)
			}
		}
	})
}

func TestPagingWhileInserting(t *testing.T) {
	forEachEngine(t, func(t *testing.T, ts *testServer) {
		c := ts.platform(t, "platform-one")
		ts.createCustomer(t, c, "cust-1", "One")
		before := ts.seedAccounts(t, c, "cust-1", "before", 40)
		p := ts.principal(t, c)

		stop := make(chan struct{})
		inserted := make(chan []string)
		go func() {
			var ids []string
			defer func() { inserted <- ids }()
			for i := 0; i < 500; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("during-%03d", i)
				if _, err := ts.Store.CreateAccount(context.Background(), p, "cust-1", coffer.AccountCreate{Identifier: id, DisplayName: "During", ContactEmail: "d@example.com", Currency: coffer.USD}); err != nil {
					t.Errorf("create %s: %v", id, err)
					return
				}
				ids = append(ids, id)
			}
		}()
		var seen []wireAccount
		for _, path := range []string{"/raas/v2/customers/cust-1/accounts", "/raas/v2/accounts"} {
			token := ""
			seen = seen[:0]
			for {
				page := ts.page(t, c, path, nil, 3, "nextCursor", token)
				seen = append(seen, page.Items...)
				if !page.NextPageAvailable || len(seen) > 2000 {
					break
				}
				token = *page.NextCursor
			}
			ids := accountIDs(seen)
			count := map[string]int{}
			for i, id := range ids {
				if count[id]++; count[id] == 2 {
					t.Errorf("%s: %s seen twice", path, id)
				}
				if i > 0 && seen[i].createdMillis(t) < seen[i-1].createdMillis(t) {
					t.Errorf("%s: %s comes after %s, created later", path, seen[i-1].AccountIdentifier, id)
				}
			}
			for _, id := range before {
				if count[id] != 1 {
					t.Errorf("%s: %s, which existed before, seen %d times, want once", path, id, count[id])
				}
			}
		}
		close(stop)
		during := <-inserted
		if len(during) == 0 {
			t.Logf("no account was inserted while paging")
		}
		all := accountIDs(ts.list(t, c, "/raas/v2/customers/cust-1/accounts", nil))
		if got, want := len(all), len(before)+len(during); got != want {
			t.Errorf("after: got %d accounts, want %d", got, want)
		}
	})
}

func TestBadFilters(t *testing.T) {
	tests := []struct {
		query string
		param []string // any of them may be named
	}{
		{"status=BOGUS", []string{"status"}},
		{"status=", nil},
		{"currencyCode=XXX", []string{"currencyCode"}},
		{"currencyCode=USD,XXX", []string{"currencyCode"}},
		{"currencyCode=USD&currencyCode=XX", []string{"currencyCode"}},
		{"minBalance=1.234", []string{"minBalance"}},
		{"minBalance=-1", []string{"minBalance"}},
		{"minBalance=abc", []string{"minBalance"}},
		{"minBalance=1e3", []string{"minBalance"}},
		{"minBalance=.5", []string{"minBalance"}},
		{"maxBalance=12.", []string{"maxBalance"}},
		{"maxBalance=NaN", []string{"maxBalance"}},
		{"minBalance=5&maxBalance=4.99", []string{"minBalance", "maxBalance"}},
		{"minBalance=5&maxBalance=5", nil},
		{"minDateCreatedAt=yesterday", []string{"minDateCreatedAt"}},
		{"maxDateCreatedAt=2025-13-01", []string{"maxDateCreatedAt"}},
		{"maxDateCreatedAt=2025-01-01T00:00:00", []string{"maxDateCreatedAt"}},
		{"minDateCreatedAt=2025-02-01&maxDateCreatedAt=2025-01-31", []string{"minDateCreatedAt", "maxDateCreatedAt"}},
		{"minDateCreatedAt=2025-01-31T12:00:00Z&maxDateCreatedAt=2025-01-31T11:59:59.999Z", []string{"minDateCreatedAt", "maxDateCreatedAt"}},
		{"minDateCreatedAt=2025-01-31&maxDateCreatedAt=2025-01-31", nil},
		{"paginate=maybe", []string{"paginate"}},
		{"paginate=1", []string{"paginate"}},
		{"paginate=true&prevCursor=x&nextCursor=y", []string{"prevCursor", "nextCursor"}},
		{"displayName=a&displayName=b", []string{"displayName"}},
		{"status=ACTIVE&status=ACTIVE", []string{"status"}},
		{"accountNumber=A1&accountNumber=A2", []string{"accountNumber"}},
		{"contactEmail=a@example.com&contactEmail=b@example.com", []string{"contactEmail"}},
		{"minBalance=1&minBalance=2", []string{"minBalance"}},
		{"maxDateCreatedAt=2025-01-01&maxDateCreatedAt=2025-01-02", []string{"maxDateCreatedAt"}},
		{"paginate=true&paginate=true", []string{"paginate"}},
		{"paginate=true&maxResults=1&maxResults=2", []string{"maxResults"}},
		{"paginate=true&maxResults=0", []string{"maxResults"}},
		{"unknownParameter=anything&accountNumber=whatever", nil},
	}
	forEachEngine(t, func(t *testing.T, ts *testServer) {
		c := ts.platform(t, "platform-one")
		ts.createCustomer(t, c, "cust-1", "One")
		for _, path := range []string{"/raas/v2/customers/cust-1/accounts", "/raas/v2/accounts"} {
			for _, tt := range tests {
				res := ts.do(t, c, "GET", path+"?"+tt.query, "")
				if tt.param == nil {
					res.wantStatus(t, http.StatusOK)
					continue
				}
				res.wantParamError(t, tt.param...)
			}
			// Every bad parameter is named at once.
			e := ts.do(t, c, "GET", path+"?status=BOGUS&currencyCode=XXX&minBalance=abc&maxDateCreatedAt=never&paginate=maybe", "").wantError(t, http.StatusBadRequest, "400.004")
			var got []string
			for _, f := range e.Errors {
				got = append(got, f.Path)
			}
			slices.Sort(got)
			if want := []string{"currencyCode", "maxDateCreatedAt", "minBalance", "paginate", "status"}; !slices.Equal(got, want) {
				t.Errorf("%s: errors name %q, want %q", path, got, want)
			}
			ts.do(t, c, "GET", path+"?%%%", "").wantError(t, http.StatusBadRequest, "400.004")
		}
		ts.do(t, c, "GET", "/raas/v2/accounts?customerIdentifier=a&customerIdentifier=b", "").wantParamError(t, "customerIdentifier")
	})
}

func TestBadCursors(t *testing.T) {
	forEachEngine(t, func(t *testing.T, ts *testServer) {
		c := ts.platform(t, "platform-one")
		o := ts.platform(t, "platform-two")
		ts.createCustomer(t, c, "cust-1", "One")
		ts.createCustomer(t, c, "cust-2", "Two")
		ts.createCustomer(t, o, "cust-1", "Theirs")
		for _, customer := range []string{"cust-1", "cust-2"} {
			for i := range 3 {
				ts.newAccount(t, c, customer, fmt.Sprintf("%s-%d", customer, i), "displayName", "Budget")
			}
		}
		for i := range 3 {
			ts.newAccount(t, o, "cust-1", fmt.Sprintf("theirs-%d", i))
		}
		const one = "/raas/v2/customers/cust-1/accounts"
		first := ts.page(t, c, one, nil, 1, "", "")
		next := *first.NextCursor
		second := ts.page(t, c, one, nil, 1, "nextCursor", next)
		prev := *second.PrevCursor
		if got := second.ids(); !slices.Equal(got, []string{"cust-1-1"}) {
			t.Fatalf("second page: got %q", got)
		}
		theirs := *ts.page(t, o, one, nil, 1, "", "").NextCursor
		filtered := *ts.page(t, c, one, url.Values{"displayName": {"budget"}}, 1, "", "").NextCursor
		platformWide := *ts.page(t, c, "/raas/v2/accounts", url.Values{"customerIdentifier": {"cust-1"}}, 1, "", "").NextCursor

		// flip changes the lowest bit of the i-th character: in the last character of a token
		// whose bit length is not a multiple of 6, that bit is padding.
		const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
		flip := func(s string, i int) string {
			b := []byte(s)
			b[i] = alphabet[strings.IndexByte(alphabet, b[i])^1]
			return string(b)
		}
		tests := []struct {
			name   string
			path   string
			query  url.Values
			cursor string
			token  string
		}{
			{"garbage", one, nil, "nextCursor", "garbage"},
			{"garbage prev", one, nil, "prevCursor", "not-a-cursor!"},
			{"truncated", one, nil, "nextCursor", next[:len(next)-1]},
			{"longer", one, nil, "nextCursor", next + "A"},
			{"first character flipped", one, nil, "nextCursor", flip(next, 0)},
			{"middle character flipped", one, nil, "nextCursor", flip(next, len(next)/2)},
			{"last character flipped", one, nil, "nextCursor", flip(next, len(next)-1)},
			{"padded", one, nil, "nextCursor", next + "="},
			{"another platform's", one, nil, "nextCursor", theirs},
			{"other filters", one, nil, "nextCursor", filtered},
			{"filters dropped", one, url.Values{"displayName": {"other"}}, "nextCursor", filtered},
			{"another customer", "/raas/v2/customers/cust-2/accounts", nil, "nextCursor", next},
			{"another customer prev", "/raas/v2/customers/cust-2/accounts", nil, "prevCursor", prev},
			{"the platform-wide list", "/raas/v2/accounts", url.Values{"customerIdentifier": {"cust-1"}}, "nextCursor", next},
			{"the customer's list", one, nil, "nextCursor", platformWide},
			{"platform-wide, another customer", "/raas/v2/accounts", url.Values{"customerIdentifier": {"cust-2"}}, "nextCursor", platformWide},
			{"platform-wide, no customer", "/raas/v2/accounts", nil, "nextCursor", platformWide},
			{"next as prev", one, nil, "prevCursor", next},
			{"prev as next", one, nil, "nextCursor", prev},
		}
		for _, tt := range tests {
			q := cloneValues(tt.query)
			q.Set("paginate", "true")
			q.Set(tt.cursor, tt.token)
			res := ts.do(t, c, "GET", withQuery(tt.path, q), "")
			if res.Status != http.StatusBadRequest {
				t.Errorf("%s: got %d %s, want 400", tt.name, res.Status, res.Body)
				continue
			}
			res.wantParamError(t, tt.cursor)
		}
		// The genuine cursors still work, and a foreign platform's cursor showed nothing of theirs.
		if got := ts.page(t, c, one, nil, 1, "nextCursor", next).ids(); !slices.Equal(got, []string{"cust-1-1"}) {
			t.Errorf("next: got %q", got)
		}
		if got := ts.page(t, c, one, nil, 1, "prevCursor", prev).ids(); !slices.Equal(got, []string{"cust-1-0"}) {
			t.Errorf("prev: got %q", got)
		}
		// Both cursors at once.
		ts.do(t, c, "GET", one+"?paginate=true&nextCursor="+next+"&prevCursor="+prev, "").wantParamError(t, "nextCursor", "prevCursor")
	})
}

// modelAccount is what the randomized test knows of an account, to filter by brute force.
type modelAccount struct {
	seq      int // creation order
	customer string
	view     wireAccount // as created
	created  int64       // Unix milliseconds
	balance  int64
	status   string
	email    string
	funding  []string
}

// randomFilter is one combination of list filters, with the query that asks for it and the
// predicate that decides it.
type randomFilter struct {
	query url.Values
	match []func(a *modelAccount) bool
}

func (f *randomFilter) add(name string, values []string, match func(a *modelAccount) bool) {
	f.query[name] = append(f.query[name], values...)
	f.match = append(f.match, match)
}

func (f *randomFilter) matches(a *modelAccount) bool {
	for _, m := range f.match {
		if !m(a) {
			return false
		}
	}
	return true
}

// randomCase changes the case of each letter of s at random.
func randomCase(rng *rand.Rand, s string) string {
	var b strings.Builder
	for _, r := range s {
		if rng.IntN(2) == 0 {
			b.WriteString(strings.ToUpper(string(r)))
		} else {
			b.WriteString(strings.ToLower(string(r)))
		}
	}
	return b.String()
}

// amountText writes minor units as a decimal, in one of the forms a client may send.
func amountText(rng *rand.Rand, minor int64) string {
	whole, frac := minor/100, minor%100
	switch {
	case frac == 0 && rng.IntN(3) == 0:
		return fmt.Sprintf("%d", whole)
	case frac%10 == 0 && rng.IntN(2) == 0:
		return fmt.Sprintf("%d.%d", whole, frac/10)
	default:
		return fmt.Sprintf("%d.%02d", whole, frac)
	}
}

// testSeed is the seed of the randomized tests: COFFER_TEST_SEED, or the time.
func testSeed(tb testing.TB) uint64 {
	tb.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("COFFER_TEST_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			tb.Fatalf("COFFER_TEST_SEED=%q: %v", s, err)
		}
		seed = v
	}
	tb.Logf("seed %d (COFFER_TEST_SEED=%d repeats this run)", seed, seed)
	return seed
}

func TestRandomizedFilters(t *testing.T) {
	const (
		accounts     = 300
		combinations = 120
	)
	seed := testSeed(t)
	customers := []string{"cust-alpha", "cust-beta", "cust-gamma", "platform-one"}
	words := []string{"Travel", "budget", "Team", "déjà", "ÉTÉ", "snake_case", "100%", "Öl", "x", "Q3", "back\\slash", "rewards"}
	currencies := []string{"CAD", "EUR", "GBP", "USD"}
	statuses := []string{"ACTIVE", "INACTIVE", "DISABLED", "FROZEN", "DELETED"}
	contactPool := func(i int) string { return fmt.Sprintf("Owner%d@Example.com", i) }
	fundingPool := func(i int) string { return fmt.Sprintf("fund%d@example.org", i) }

	forEachEngine(t, func(t *testing.T, ts *testServer) {
		rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
		ctx := context.Background()
		c := ts.platform(t, "platform-one")
		other := ts.platform(t, "platform-two")
		for _, id := range customers[:3] {
			ts.createCustomer(t, c, id, "Customer "+id)
			ts.createCustomer(t, other, id, "Theirs "+id)
		}
		// Another platform's accounts, alike, must never show.
		ts.createCustomer(t, other, "platform-one", "Theirs")
		for i := range 20 {
			ts.newAccount(t, other, customers[i%3], fmt.Sprintf("theirs-%d", i), "displayName", "Travel budget", "contactEmail", contactPool(i%20))
		}

		model := make([]*modelAccount, 0, accounts)
		for i := range accounts {
			name := words[rng.IntN(len(words))]
			for range rng.IntN(3) {
				name += " " + words[rng.IntN(len(words))]
			}
			m := &modelAccount{seq: i, customer: customers[rng.IntN(len(customers))], email: contactPool(rng.IntN(20)), status: "ACTIVE"}
			for _, k := range rng.Perm(12)[:rng.IntN(4)] {
				e := fundingPool(k)
				if rng.IntN(3) == 0 {
					e = randomCase(rng, e)
				}
				m.funding = append(m.funding, e)
			}
			extra := []any{"displayName", name, "contactEmail", m.email}
			fn := make([]map[string]string, len(m.funding))
			for j, e := range m.funding {
				fn[j] = map[string]string{"emailAddress": e}
			}
			if len(fn) > 0 || rng.IntN(2) == 0 {
				extra = append(extra, "fundingNotification", fn)
			}
			switch cur := currencies[rng.IntN(4)]; rng.IntN(4) {
			case 0:
				if rng.IntN(2) == 0 {
					extra = append(extra, "currencyCode", "")
				}
			case 1:
				extra = append(extra, "currencyCode", strings.ToLower(cur))
			default:
				extra = append(extra, "currencyCode", cur)
			}
			m.view = ts.newAccount(t, c, m.customer, fmt.Sprintf("acct-%03d", i), extra...)
			m.created = m.view.createdMillis(t)
			model = append(model, m)
		}
		for _, m := range model {
			if rng.IntN(4) > 0 {
				m.balance = rng.Int64N(500000)
				if rng.IntN(5) == 0 {
					m.balance = rng.Int64N(50) * 100
				}
				if m.balance > 0 {
					ts.move(t, "platform-one", m.view.AccountIdentifier, m.balance+777)
					ts.move(t, "platform-one", m.view.AccountIdentifier, -777)
				}
			}
			if rng.IntN(3) == 0 {
				m.status = statuses[1+rng.IntN(4)]
				ts.setStatus(t, "platform-one", m.view.AccountIdentifier, coffer.AccountStatus(m.status))
			}
		}
		pick := func() *modelAccount { return model[rng.IntN(len(model))] }

		nonEmpty := 0
		for n := range combinations {
			f := &randomFilter{query: url.Values{}}
			path, scope := "/raas/v2/accounts", ""
			if rng.IntN(2) == 0 {
				scope = customers[rng.IntN(len(customers))]
				path = "/raas/v2/customers/" + scope + "/accounts"
			} else if rng.IntN(3) == 0 {
				cust := customers[rng.IntN(len(customers))]
				if rng.IntN(8) == 0 {
					cust = "cust-nobody"
				}
				f.add("customerIdentifier", []string{cust}, func(a *modelAccount) bool { return a.customer == cust })
			}
			if rng.IntN(8) == 0 {
				num := pick().view.AccountNumber
				if rng.IntN(4) == 0 {
					num = "A0"
				}
				f.add("accountNumber", []string{num}, func(a *modelAccount) bool { return a.view.AccountNumber == num })
			}
			if rng.IntN(3) == 0 {
				runes := []rune(pick().view.DisplayName)
				i := rng.IntN(len(runes))
				sub := string(runes[i:min(len(runes), i+1+rng.IntN(4))])
				f.add("displayName", []string{randomCase(rng, sub)}, func(a *modelAccount) bool {
					return strings.Contains(strings.ToLower(a.view.DisplayName), strings.ToLower(sub))
				})
			}
			if rng.IntN(3) == 0 {
				st := statuses[rng.IntN(len(statuses))]
				f.add("status", []string{randomCase(rng, st)}, func(a *modelAccount) bool { return a.status == st })
			}
			if rng.IntN(5) == 0 {
				email := pick().email
				f.add("contactEmail", []string{randomCase(rng, email)}, func(a *modelAccount) bool { return strings.EqualFold(a.email, email) })
			}
			if rng.IntN(3) == 0 {
				set := map[string]bool{}
				var values []string
				for range 1 + rng.IntN(3) {
					cur := currencies[rng.IntN(4)]
					set[cur] = true
					values = append(values, randomCase(rng, cur))
				}
				if rng.IntN(2) == 0 {
					values = []string{strings.Join(values, ",")}
				}
				f.add("currencyCode", values, func(a *modelAccount) bool { return set[a.view.CurrencyCode] })
			}
			lo, hi := int64(-1), int64(-1)
			if rng.IntN(4) == 0 {
				lo = pick().balance + rng.Int64N(3) - 1
				lo = max(lo, 0)
				f.add("minBalance", []string{amountText(rng, lo)}, func(a *modelAccount) bool { return a.balance >= lo })
			}
			if rng.IntN(4) == 0 {
				hi = pick().balance + rng.Int64N(3) - 1
				hi = max(hi, lo, 0)
				f.add("maxBalance", []string{amountText(rng, hi)}, func(a *modelAccount) bool { return a.balance <= hi })
			}
			var from time.Time
			if rng.IntN(4) == 0 {
				ms := pick().created + rng.Int64N(3) - 1
				t0, text := dateBound(rng, ms, false)
				from = t0
				f.add("minDateCreatedAt", []string{text}, func(a *modelAccount) bool { return !time.UnixMilli(a.created).Before(t0) })
			}
			if rng.IntN(4) == 0 {
				ms := pick().created + rng.Int64N(3) - 1
				if !from.IsZero() {
					ms = max(ms, from.UnixMilli()+1)
				}
				t1, text := dateBound(rng, ms, true)
				f.add("maxDateCreatedAt", []string{text}, func(a *modelAccount) bool { return !time.UnixMilli(a.created).After(t1) })
			}
			if rng.IntN(5) == 0 {
				set := map[string]bool{}
				var values []string
				for range 1 + rng.IntN(2) {
					e := fundingPool(rng.IntN(13))
					set[e] = true
					values = append(values, randomCase(rng, e))
				}
				if rng.IntN(2) == 0 {
					values = []string{strings.Join(values, ",")}
				}
				f.add("fundingNotificationEmail", values, func(a *modelAccount) bool {
					for _, e := range a.funding {
						if set[strings.ToLower(e)] {
							return true
						}
					}
					return false
				})
			}
			if _, ok := f.query["status"]; !ok {
				f.match = append(f.match, func(a *modelAccount) bool { return a.status != "DELETED" })
			}

			var want []*modelAccount
			for _, a := range model {
				if (scope == "" || a.customer == scope) && f.matches(a) {
					want = append(want, a)
				}
			}
			slices.SortStableFunc(want, func(a, b *modelAccount) int {
				if a.created != b.created {
					return int(a.created - b.created)
				}
				return a.seq - b.seq
			})
			if len(want) > 0 {
				nonEmpty++
			}
			wantIDs := make([]string, len(want))
			for i, a := range want {
				wantIDs[i] = a.view.AccountIdentifier
			}
			what := fmt.Sprintf("combination %d: %s", n, withQuery(path, f.query))

			got := ts.list(t, c, path, f.query)
			if ids := accountIDs(got); !slices.Equal(ids, wantIDs) {
				t.Fatalf("%s: got %d %q, want %d %q", what, len(ids), ids, len(wantIDs), wantIDs)
			}
			for i, a := range got {
				m := want[i]
				if a.minor(t) != m.balance || a.Status != m.status || a.AccountNumber != m.view.AccountNumber || a.DisplayName != m.view.DisplayName ||
					a.ContactEmail != m.email || !slices.Equal(a.funding(), m.view.funding()) || a.CurrencyCode != m.view.CurrencyCode || a.CreatedAt != m.view.CreatedAt {
					t.Errorf("%s: item %s: got %+v, want balance %d, status %s, as created %+v", what, a.AccountIdentifier, a, m.balance, m.status, m.view)
				}
			}
			maxSize := []int{3, 10, 40, 200}[rng.IntN(4)]
			pages := ts.walk(t, c, path, f.query, func() int { return 1 + rng.IntN(maxSize) })
			if ids := accountIDs(flatten(pages)); !slices.Equal(ids, wantIDs) {
				t.Fatalf("%s paginated: got %q, want %q", what, ids, wantIDs)
			}
			if paged := flatten(pages); len(paged) > 0 && jsonText(t, paged) != jsonText(t, got) {
				t.Errorf("%s: paginated items differ from the list's", what)
			}
		}
		t.Logf("%d of %d combinations matched some account", nonEmpty, combinations)
		if _, err := ts.Store.FindAccount(ctx, ts.principal(t, c), "theirs-1"); coffer.ErrorCode(err) != coffer.ENOTFOUND {
			t.Errorf("another platform's account: got %v, want not found", err)
		}
	})
}

// dateBound returns a bound on creation times near ms, as the instant it means and as a client
// writes it: a date-time in UTC or another zone, sometimes with more than millisecond precision,
// or a plain date, meaning from the start of that day in UTC (a lower bound) or to its end.
func dateBound(rng *rand.Rand, ms int64, upper bool) (time.Time, string) {
	t := time.UnixMilli(ms).UTC()
	switch rng.IntN(4) {
	case 0:
		day := t.Truncate(24 * time.Hour)
		if upper {
			return day.Add(24*time.Hour - time.Nanosecond), day.Format(time.DateOnly)
		}
		return day, day.Format(time.DateOnly)
	case 1:
		t = t.Add(time.Duration(rng.IntN(1000)) * time.Microsecond)
		return t, t.In(time.FixedZone("", -5*3600)).Format(time.RFC3339Nano)
	case 2:
		return t, t.In(time.FixedZone("", 2*3600+30*60)).Format("2006-01-02T15:04:05.000Z07:00")
	default:
		return t, t.Format("2006-01-02T15:04:05.000Z07:00")
	}
}
