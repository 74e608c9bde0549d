package http_test

import (
	"net/http"
	"testing"
)

func TestCreateAndGetCustomer(t *testing.T) {
	forEachEngine(t, func(t *testing.T, ts *testServer) {
		c := ts.platform(t, "platform-one")
		res := ts.do(t, c, "POST", "/raas/v2/customers", `{"customerIdentifier":"Team-A1","displayName":"Team A"}`)
		res.wantStatus(t, http.StatusCreated)
		if got, want := res.Header.Get("Location"), "/raas/v2/customers/Team-A1"; got != want {
			t.Errorf("Location: got %q, want %q", got, want)
		}
		var created map[string]any
		res.JSON(t, &created)
		if created["customerIdentifier"] != "Team-A1" || created["displayName"] != "Team A" || created["status"] != "ACTIVE" {
			t.Errorf("created view: got %v", created)
		}

		res = ts.do(t, c, "GET", "/raas/v2/customers/Team-A1", "")
		res.wantStatus(t, http.StatusOK)
		var got map[string]any
		res.JSON(t, &got)
		if got["createdAt"] != created["createdAt"] {
			t.Errorf("createdAt: got %v, want %v", got["createdAt"], created["createdAt"])
		}

		other := ts.platform(t, "platform-two")
		ts.do(t, other, "GET", "/raas/v2/customers/Team-A1", "").wantError(t, http.StatusNotFound, "404.002")
		ts.do(t, c, "GET", "/raas/v2/customers/team-a1", "").wantError(t, http.StatusNotFound, "404.002")
	})
}
