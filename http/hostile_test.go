package http_test

import (
	"net/http"
	"testing"
)

// TestPathAndQueryNotText checks that a path or query value that is not text (invalid UTF-8, or
// holding NUL, which PostgreSQL cannot take as a parameter) is a 400 on every engine, before it
// reaches the database, and not a 500 on one of them.
func TestPathAndQueryNotText(t *testing.T) {
	forEachEngine(t, func(t *testing.T, ts *testServer) {
		c := ts.platform(t, "platform-one")
		ts.createCustomer(t, c, "cust-1", "One")
		ts.newAccount(t, c, "cust-1", "acct-1")
		tests := []struct{ method, path, body string }{
			{"GET", "/raas/v2/customers/%00abcde", ""},
			{"GET", "/raas/v2/customers/%FFabcde", ""},
			{"GET", "/raas/v2/customers/cust-1%C3/accounts", ""},
			{"POST", "/raas/v2/customers/%00abcde/accounts", `{"accountIdentifier":"acct-2","displayName":"Two","contactEmail":"a@example.com"}`},
			{"PATCH", "/raas/v2/customers/cust-1/accounts/acct-1%00", `{"displayName":"Changed"}`},
			{"PATCH", "/raas/v2/customers/cust-1/accounts/%E2%82", `{"displayName":"Changed"}`},
			{"GET", "/raas/v2/accounts/%00abcde", ""},
			{"GET", "/raas/v2/accounts/%FFabcde", ""},
			{"GET", "/raas/v2/accounts?accountNumber=%00", ""},
			{"GET", "/raas/v2/accounts?accountNumber=A1%FF", ""},
			{"GET", "/raas/v2/accounts?customerIdentifier=%00", ""},
			{"GET", "/raas/v2/accounts?customerIdentifier=cust-1%FF", ""},
			{"GET", "/raas/v2/accounts?displayName=%00", ""},
			{"GET", "/raas/v2/accounts?contactEmail=%00", ""},
			{"GET", "/raas/v2/accounts?fundingNotificationEmail=a%00@example.com", ""},
			{"GET", "/raas/v2/customers/cust-1/accounts?accountNumber=%FF&paginate=true", ""},
			{"GET", "/raas/v2/customers?unknown=%FF", ""},
			{"GET", "/raas/v2/customers?%00=1", ""},
		}
		for _, tt := range tests {
			res := ts.do(t, c, tt.method, tt.path, tt.body)
			if res.Status != http.StatusBadRequest {
				t.Errorf("%s %s: got %d, want 400\n%s", tt.method, tt.path, res.Status, res.Body)
				continue
			}
			res.wantError(t, http.StatusBadRequest, "400.004")
		}
		// Nothing changed, and text still works.
		var a wireAccount
		ts.getJSON(t, c, "/raas/v2/accounts/acct-1", &a)
		if a.DisplayName != "Account acct-1" {
			t.Errorf("displayName: got %q, want unchanged", a.DisplayName)
		}
		ts.do(t, c, "GET", "/raas/v2/accounts?displayName=%C3%A9t%C3%A9", "").wantStatus(t, http.StatusOK)
	})
}
