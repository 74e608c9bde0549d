package e2e

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/testdb"
)

// TestReplicasPatchDifferentFields sends, round after round, concurrent PATCHes of one account
// to two server processes on one database, each PATCH setting one field (displayName,
// contactEmail or fundingNotification), two per field: every PATCH is answered 200 with its own
// value; afterwards each field holds one of the values sent for it in that round, as both
// servers read it, so no PATCH undid another's field with an older value (a read-modify-write
// of the whole row would); and the funding notification rows agree with the list.
func TestReplicasPatchDifferentFields(t *testing.T) {
	testdb.ForEachEngine(t, func(t *testing.T, dsn string) {
		servers := []*server{launch(t, dsn), launch(t, dsn)}
		for _, s := range servers {
			s.waitReady(t)
		}
		c := createPlatform(t, dsn, "patch-race")
		servers[0].do(t, c, "POST", "/raas/v2/customers", customerBody("race-team")).wantStatus(t, http.StatusCreated)
		servers[1].do(t, c, "POST", "/raas/v2/customers/race-team/accounts", accountBody("contested")).wantStatus(t, http.StatusCreated)
		db := openDB(t, dsn)
		const path = "/raas/v2/customers/race-team/accounts/contested"

		fields := []string{"displayName", "contactEmail", "fundingNotification"}
		const perField, rounds = 2, 20
		for round := range rounds {
			type patch struct{ field, value, body string }
			patches := make([]patch, perField*len(fields))
			for i := range patches {
				p := patch{field: fields[i%len(fields)]}
				var v any
				switch p.field {
				case "displayName":
					p.value = fmt.Sprintf("Name %d-%d", round, i)
					v = p.value
				case "contactEmail":
					p.value = fmt.Sprintf("contact-%d-%d@example.com", round, i)
					v = p.value
				case "fundingNotification":
					a, b := fmt.Sprintf("fund-%d-%d-a@example.com", round, i), fmt.Sprintf("fund-%d-%d-b@example.com", round, i)
					p.value = a + "," + b
					v = []map[string]string{{"emailAddress": a}, {"emailAddress": b}}
				}
				body, _ := json.Marshal(map[string]any{p.field: v})
				p.body = string(body)
				patches[i] = p
			}
			results := make([]*response, len(patches))
			errs := make([]error, len(patches))
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i, p := range patches {
				wg.Go(func() {
					<-start
					results[i], errs[i] = servers[i%2].send(context.Background(), c, "PATCH", path, p.body)
				})
			}
			close(start)
			wg.Wait()
			sent := map[string][]string{} // field: the values sent for it this round
			for i, p := range patches {
				sent[p.field] = append(sent[p.field], p.value)
				if errs[i] != nil {
					t.Fatalf("round %d, PATCH %s: %v", round, p.body, errs[i])
				}
				results[i].wantStatus(t, http.StatusOK)
				if got := fieldsOf(t, results[i])[p.field]; got != p.value {
					t.Errorf("round %d, PATCH %s to server %d: answered %s %q, want %q", round, p.body, i%2, p.field, got, p.value)
				}
			}
			for i, s := range servers {
				res := s.do(t, c, "GET", "/raas/v2/accounts/contested", "")
				res.wantStatus(t, http.StatusOK)
				got := fieldsOf(t, res)
				for _, f := range fields {
					if !slices.Contains(sent[f], got[f]) {
						t.Errorf("round %d, server %d: %s is %q, want one of the values sent in the round %q", round, i, f, got[f], sent[f])
					}
				}
				if i == 0 {
					if rows := fundingRows(t, db, "contested"); rows != got["fundingNotification"] {
						t.Errorf("round %d: funding_notifications rows %q, want %q, the account's list", round, rows, got["fundingNotification"])
					}
				}
			}
			if t.Failed() {
				return
			}
		}
	})
}

// fieldsOf returns the fields of an AccountView that the PATCH race sets, the funding
// notification addresses comma-joined.
func fieldsOf(tb testing.TB, res *response) map[string]string {
	tb.Helper()
	var a struct {
		DisplayName  string `json:"displayName"`
		ContactEmail string `json:"contactEmail"`
		Funding      []struct {
			Email string `json:"emailAddress"`
		} `json:"fundingNotification"`
	}
	res.JSON(tb, &a)
	var emails []string
	for _, f := range a.Funding {
		emails = append(emails, f.Email)
	}
	return map[string]string{"displayName": a.DisplayName, "contactEmail": a.ContactEmail, "fundingNotification": strings.Join(emails, ",")}
}

// fundingRows returns the funding_notifications rows of an account, in order, comma-joined.
func fundingRows(tb testing.TB, db *sql.DB, account string) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rows, err := db.QueryContext(ctx, `SELECT f.email FROM funding_notifications f JOIN accounts a ON a.id = f.account_id
		WHERE a.identifier = $1 ORDER BY f.position`, account)
	if err != nil {
		tb.Fatalf("read funding notifications of %s: %v", account, err)
	}
	defer rows.Close()
	var emails []string
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			tb.Fatal(err)
		}
		emails = append(emails, e)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return strings.Join(emails, ",")
}
