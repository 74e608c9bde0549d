package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/testdb"
)

// accountBody is the JSON body that creates an account.
func accountBody(id string) string {
	return fmt.Sprintf(`{"accountIdentifier":%q,"displayName":"Account %s","contactEmail":"%s@example.com"}`, id, id, id)
}

// TestReplicasAccounts runs the account rules across two server processes on one database:
// concurrent creates of one identifier spread over both end with exactly one 201; a cursor that
// one server issued pages on the other; and concurrent credits and debits by operator processes
// while both serve never lose an update or overdraw.
func TestReplicasAccounts(t *testing.T) {
	testdb.ForEachEngine(t, func(t *testing.T, dsn string) {
		servers := []*server{launch(t, dsn), launch(t, dsn)}
		for _, s := range servers {
			s.waitReady(t)
		}
		c := createPlatform(t, dsn, "replica-accounts")
		servers[0].do(t, c, "POST", "/raas/v2/customers", customerBody("team-a")).wantStatus(t, http.StatusCreated)

		t.Run("same identifier", func(t *testing.T) {
			for round := range 3 {
				raceCreates(t, servers, c, "/raas/v2/customers/team-a/accounts", accountBody(fmt.Sprintf("shared-%d", round)), "409.003")
			}
		})

		t.Run("cursor across servers", func(t *testing.T) {
			servers[0].do(t, c, "POST", "/raas/v2/customers", customerBody("team-b")).wantStatus(t, http.StatusCreated)
			var want []string
			for i := range 25 {
				id := fmt.Sprintf("paged-%02d", i)
				servers[i%2].do(t, c, "POST", "/raas/v2/customers/team-b/accounts", accountBody(id)).wantStatus(t, http.StatusCreated)
				want = append(want, id)
			}
			type page struct {
				Items []struct {
					ID string `json:"accountIdentifier"`
				} `json:"items"`
				Next *string `json:"nextCursor"`
				Prev *string `json:"prevCursor"`
			}
			get := func(s *server, cursor string) page {
				path := "/raas/v2/customers/team-b/accounts?paginate=true&maxResults=7" + cursor
				res := s.do(t, c, "GET", path, "")
				res.wantStatus(t, http.StatusOK)
				var p page
				res.JSON(t, &p)
				return p
			}
			// Forward, each page asked of the other server than the one that issued its cursor.
			var got []string
			var pages [][]string
			p := get(servers[0], "")
			for i := 1; ; i++ {
				var ids []string
				for _, it := range p.Items {
					ids = append(ids, it.ID)
				}
				got = append(got, ids...)
				pages = append(pages, ids)
				if p.Next == nil {
					break
				}
				p = get(servers[i%2], "&nextCursor="+url.QueryEscape(*p.Next))
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("forward across servers: got %v, want %v", got, want)
			}
			// Back again from the last page, alternating servers the other way.
			for i := len(pages) - 2; i >= 0; i-- {
				p = get(servers[i%2], "&prevCursor="+url.QueryEscape(*p.Prev))
				var ids []string
				for _, it := range p.Items {
					ids = append(ids, it.ID)
				}
				if strings.Join(ids, ",") != strings.Join(pages[i], ",") {
					t.Errorf("page %d backward: got %v, want %v", i, ids, pages[i])
				}
			}
		})

		t.Run("concurrent moves", func(t *testing.T) {
			servers[1].do(t, c, "POST", "/raas/v2/customers/team-a/accounts", accountBody("wallet")).wantStatus(t, http.StatusCreated)
			move := func(kind, amount string) (int, string) {
				ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
				defer cancel()
				cmd := exec.CommandContext(ctx, cofferBin, "account", kind, "--db", dsn, "--platform", c.name, "--account", "wallet", "--amount", amount)
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				cmd.Run()
				return cmd.ProcessState.ExitCode(), stderr.String()
			}
			if code, out := move("credit", "100.00"); code != 0 {
				t.Fatalf("first credit: exit %d: %s", code, out)
			}
			// 20 debits of 7.00 and 10 credits of 1.00 at once: at most 110.00 can be spent,
			// so some debits must be refused, and which depends on the race.
			type result struct {
				debit bool
				code  int
				out   string
			}
			results := make([]result, 30)
			var wg sync.WaitGroup
			for i := range results {
				wg.Go(func() {
					if i < 20 {
						code, out := move("debit", "7.00")
						results[i] = result{true, code, out}
					} else {
						code, out := move("credit", "1.00")
						results[i] = result{false, code, out}
					}
				})
			}
			wg.Wait()
			balance := int64(100_00)
			refused := 0
			for _, r := range results {
				switch {
				case r.code == 0 && r.debit:
					balance -= 7_00
				case r.code == 0:
					balance += 1_00
				case r.debit && strings.Contains(r.out, "Insufficient funds"):
					refused++
				default:
					t.Errorf("a move failed: exit %d: %s", r.code, r.out)
				}
			}
			if refused == 0 {
				t.Error("no debit was refused, yet 140.00 of debits cannot fit in at most 110.00")
			}
			if balance < 0 {
				t.Fatalf("the acknowledged moves overdraw the account: %d", balance)
			}
			for i, s := range servers {
				res := s.do(t, c, "GET", "/raas/v2/accounts/wallet", "")
				res.wantStatus(t, http.StatusOK)
				var a struct {
					Balance json.Number `json:"currentBalance"`
				}
				res.JSON(t, &a)
				if want := coffer.FormatAmount(balance); a.Balance.String() != want {
					t.Errorf("server %d: currentBalance %s, want %s, the sum of the acknowledged moves", i, a.Balance, want)
				}
			}
		})
	})
}
