package e2e

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/cofferhq/coffer/internal/testlog"
	"maps"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/testdb"
)

// seedEnv names the variable that replays a logged seed of the randomized tests.
const seedEnv = "COFFER_E2E_SEED"

// testSeed returns the seed of a randomized test, from seedEnv or the clock, and logs it so that
// a failing run can be replayed.
func testSeed(tb testing.TB) uint64 {
	tb.Helper()
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv(seedEnv); v != "" {
		var err error
		if seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			tb.Fatalf("%s: %v", seedEnv, err)
		}
	}
	tb.Logf("seed %d (replay with %s=%d)", seed, seedEnv, seed)
	return seed
}

// outcome is what the writer of a command learned of it.
type outcome int

const (
	acked   outcome = iota // 2xx received, or the operator command exited 0: it must be durable
	refused                // answered with a refusal: it must never be applied
	inDoubt                // in flight when its process was killed: applied whole, or not at all
)

// content is what the durability test writes into an account and reads back.
type content struct {
	DisplayName  string
	ContactEmail string
	Funding      []string
}

func (c content) String() string {
	return fmt.Sprintf("{%q %q %v}", c.DisplayName, c.ContactEmail, c.Funding)
}

func (c content) equal(d content) bool {
	return c.DisplayName == d.DisplayName && c.ContactEmail == d.ContactEmail && slices.Equal(c.Funding, d.Funding)
}

// accountRec is what the test knows of an account it wrote. Its writes are made one at a time
// by one worker, so at most the last of them is in doubt.
type accountRec struct {
	customer string
	want     *content // after the last acknowledged write; nil while the create is in doubt
	maybe    *content // what the write in doubt would have left; nil when none is in doubt
}

// customerRec is what the test knows of a customer it created.
type customerRec struct {
	name  string
	state outcome // acked or inDoubt
}

// move is one `coffer account credit|debit`, told apart from the others by its note.
type move struct {
	account string
	amount  int64 // minor units, negative for a debit
	state   outcome
}

// durableModel is every write the crash test sent, and what it learned of each.
type durableModel struct {
	customers map[string]*customerRec
	accounts  map[string]*accountRec
	moves     map[string]*move // by note
	problems  []string         // unexpected answers of the load, reported by the test goroutine
}

// TestCrashDurability kills the server with SIGKILL at a random moment of a load of concurrent
// API writes (customer and account creates, PATCHes) and operator credits and debits (some of
// whose processes are killed too), restarts it on the same database and checks: every
// acknowledged write is there with the acknowledged content; nothing appears that was not sent; a
// write in flight at the kill is there whole or not at all (an account with all its funding
// notification addresses, a move with its ledger entry); every balance is the sum of its ledger
// entries and of the acknowledged moves plus the in-flight ones that landed. The rounds share one
// database, so each round also checks that the earlier crashes lost nothing since.
func TestCrashDurability(t *testing.T) {
	seed := testSeed(t)
	testdb.ForEachEngine(t, func(t *testing.T, dsn string) {
		rng := rand.New(rand.NewPCG(seed, uint64(len(dsn))))
		db := openDB(t, dsn)
		c := createPlatform(t, dsn, "durable-platform")
		m := &durableModel{customers: map[string]*customerRec{}, accounts: map[string]*accountRec{}, moves: map[string]*move{}}
		srv := startServer(t, dsn)
		srv.do(t, c, "POST", "/raas/v2/customers", customerBody("wallets")).wantStatus(t, http.StatusCreated)
		m.customers["wallets"] = &customerRec{name: "Customer wallets", state: acked}
		wallets := []string{"wallet-0", "wallet-1", "wallet-2"}
		for _, w := range wallets {
			srv.do(t, c, "POST", "/raas/v2/customers/wallets/accounts", accountBody(w)).wantStatus(t, http.StatusCreated)
			m.accounts[w] = &accountRec{customer: "wallets", want: &content{"Account " + w, w + "@example.com", []string{}}}
		}
		for round := range 3 {
			srv = crashRound(t, dsn, c, srv, round, rng, m, wallets)
			checkDurable(t, srv, db, c, m)
			if t.Failed() {
				return
			}
		}
	})
}

// crashRound runs one load, kills the server in the middle of it, and returns a new server on
// the same database.
func crashRound(t *testing.T, dsn string, c creds, srv *server, round int, rng *rand.Rand, m *durableModel, wallets []string) *server {
	t.Helper()
	const apiWorkers, opWorkers, maxOps = 6, 3, 2000
	killAfter := time.Duration(150+rng.IntN(450)) * time.Millisecond

	// The API load: each worker creates customers and accounts and patches its own accounts,
	// one request at a time, until a request gets no answer.
	type apiLog struct {
		customers map[string]*customerRec
		accounts  map[string]*accountRec
		ops       int
		cut       bool // a request got no answer: the kill came during this worker's load
		problems  []string
	}
	logs := make([]*apiLog, apiWorkers)
	var wg sync.WaitGroup
	for w := range apiWorkers {
		l := &apiLog{customers: map[string]*customerRec{}, accounts: map[string]*accountRec{}}
		logs[w] = l
		wr := rand.New(rand.NewPCG(rng.Uint64(), uint64(w)))
		wg.Go(func() {
			var mine, custs []string // acknowledged accounts and customers of this worker
			for i := 0; i < maxOps && !l.cut; i++ {
				var method, path, body string
				var apply func(ok bool)
				switch {
				case len(custs) == 0 || wr.IntN(8) == 0:
					id := fmt.Sprintf("r%dw%dc%d", round, w, i)
					method, path, body = "POST", "/raas/v2/customers", customerBody(id)
					rec := &customerRec{name: "Customer " + id, state: inDoubt}
					l.customers[id] = rec
					apply = func(ok bool) {
						if ok {
							rec.state = acked
							custs = append(custs, id)
						}
					}
				case len(mine) < 2 || wr.IntN(4) == 0:
					id := fmt.Sprintf("r%dw%da%d", round, w, i)
					cust := custs[wr.IntN(len(custs))]
					want := content{"Account " + id, id + "@example.com", randomEmails(wr, id)}
					b, _ := json.Marshal(map[string]any{"accountIdentifier": id, "displayName": want.DisplayName,
						"contactEmail": want.ContactEmail, "fundingNotification": fundingJSON(want.Funding)})
					method, path, body = "POST", "/raas/v2/customers/"+cust+"/accounts", string(b)
					rec := &accountRec{customer: cust, maybe: &want}
					l.accounts[id] = rec
					apply = func(ok bool) {
						if ok {
							rec.want, rec.maybe = rec.maybe, nil
							mine = append(mine, id)
						}
					}
				default:
					id := mine[wr.IntN(len(mine))]
					rec := l.accounts[id]
					next := *rec.want
					patch := map[string]any{}
					for len(patch) == 0 {
						if wr.IntN(2) == 0 {
							next.DisplayName = fmt.Sprintf("Renamed %s %d", id, i)
							patch["displayName"] = next.DisplayName
						}
						if wr.IntN(2) == 0 {
							next.ContactEmail = fmt.Sprintf("contact-%d@example.com", i)
							patch["contactEmail"] = next.ContactEmail
						}
						if wr.IntN(2) == 0 {
							next.Funding = randomEmails(wr, fmt.Sprintf("p%d", i))
							patch["fundingNotification"] = fundingJSON(next.Funding)
						}
					}
					b, _ := json.Marshal(patch)
					method, path, body = "PATCH", "/raas/v2/customers/"+rec.customer+"/accounts/"+id, string(b)
					rec.maybe = &next
					apply = func(ok bool) {
						if ok {
							rec.want = rec.maybe
						}
						rec.maybe = nil
					}
				}
				res, err := srv.send(context.Background(), c, method, path, body)
				l.ops++
				switch {
				case err != nil:
					l.cut = true // in doubt: the kill came while it was in flight
				case res.Status/100 == 2:
					apply(true)
				default:
					apply(false)
					l.problems = append(l.problems, fmt.Sprintf("%s %s: %d %s", method, path, res.Status, res.Body))
				}
			}
		})
	}

	// The operator load: credits and debits of the wallets by `coffer account` processes, until
	// the kill; the processes of even workers that are running then are killed too.
	type opLog struct {
		moves    map[string]*move
		killed   int
		problems []string
		mu       sync.Mutex
		cur      *exec.Cmd // the running process, for the kill
	}
	ops := make([]*opLog, opWorkers)
	stop := make(chan struct{})
	for g := range opWorkers {
		l := &opLog{moves: map[string]*move{}}
		ops[g] = l
		wr := rand.New(rand.NewPCG(rng.Uint64(), uint64(100+g)))
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				note := fmt.Sprintf("r%do%dn%d", round, g, i)
				mv := &move{account: wallets[wr.IntN(len(wallets))], amount: int64(100 + wr.IntN(5000)), state: inDoubt}
				kind := "credit"
				if wr.IntN(3) == 0 {
					kind, mv.amount = "debit", -mv.amount
				}
				l.moves[note] = mv
				ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
				cmd := exec.CommandContext(ctx, cofferBin, "account", kind, "--db", dsn, "--platform", c.name,
					"--account", mv.account, "--amount", coffer.FormatAmount(max(mv.amount, -mv.amount)), "--note", note)
				var stderr testlog.Buffer
				cmd.Stderr = &stderr
				l.mu.Lock()
				err := cmd.Start()
				if err == nil {
					l.cur = cmd
				}
				l.mu.Unlock()
				if err == nil {
					err = cmd.Wait()
				}
				timedOut := ctx.Err() != nil
				cancel()
				l.mu.Lock()
				l.cur = nil
				l.mu.Unlock()
				var ee *exec.ExitError
				switch {
				case err == nil:
					mv.state = acked
				case errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signal() == syscall.SIGKILL && !timedOut:
					l.killed++ // in doubt: killed by the test in flight
				case errors.As(err, &ee) && kind == "debit" && strings.Contains(stderr.String(), "Insufficient funds"):
					mv.state = refused
				default:
					mv.state = refused
					l.problems = append(l.problems, fmt.Sprintf("coffer account %s %s: %v: %s", kind, note, err, stderr.String()))
				}
			}
		})
	}

	time.Sleep(killAfter)
	srv.signal(t, syscall.SIGKILL)
	for g, l := range ops {
		if g%2 == 0 {
			l.mu.Lock()
			if l.cur != nil {
				l.cur.Process.Kill()
			}
			l.mu.Unlock()
		}
	}
	close(stop)
	wg.Wait()
	srv.wait(t, stopTimeout)

	cut, sent, killed := 0, 0, 0
	for _, l := range logs {
		if l.cut {
			cut++
		}
		sent += l.ops
		maps.Copy(m.customers, l.customers)
		maps.Copy(m.accounts, l.accounts)
		m.problems = append(m.problems, l.problems...)
	}
	for _, l := range ops {
		killed += l.killed
		maps.Copy(m.moves, l.moves)
		m.problems = append(m.problems, l.problems...)
	}
	t.Logf("round %d: killed after %v; %d requests sent, %d of them in flight; %d operator processes killed in flight",
		round, killAfter, sent, cut, killed)
	if cut == 0 {
		t.Errorf("round %d: no request was in flight at the kill, so the round proves nothing: raise maxOps", round)
	}
	for _, p := range m.problems {
		t.Errorf("round %d: unexpected answer: %s", round, p)
	}
	m.problems = nil
	return startServer(t, dsn)
}

// randomEmails returns 0 to 3 funding notification addresses.
func randomEmails(rng *rand.Rand, tag string) []string {
	out := []string{}
	for k := range rng.IntN(4) {
		out = append(out, fmt.Sprintf("notify-%s-%d@example.com", tag, k))
	}
	return out
}

func fundingJSON(emails []string) []map[string]string {
	out := []map[string]string{}
	for _, e := range emails {
		out = append(out, map[string]string{"emailAddress": e})
	}
	return out
}

// checkDurable compares what the restarted server and the database hold with the model, then
// settles the writes that were in doubt by what landed, so that later rounds hold them to it.
func checkDurable(t *testing.T, srv *server, db *sql.DB, c creds, m *durableModel) {
	t.Helper()
	// Customers, and which accounts each has, as the API shows them.
	res := srv.do(t, c, "GET", "/raas/v2/customers", "")
	res.wantStatus(t, http.StatusOK)
	var customers []struct {
		ID       string `json:"customerIdentifier"`
		Name     string `json:"displayName"`
		Accounts []struct {
			ID string `json:"accountIdentifier"`
		} `json:"accounts"`
	}
	res.JSON(t, &customers)
	doubt, landed := 0, 0 // writes in flight at the kill, and how many of them landed
	owner := map[string]string{}
	seen := map[string]bool{}
	for _, cu := range customers {
		for _, a := range cu.Accounts {
			owner[a.ID] = cu.ID
		}
		if cu.ID == c.name {
			continue // the platform's own group
		}
		seen[cu.ID] = true
		rec, ok := m.customers[cu.ID]
		switch {
		case !ok:
			t.Errorf("customer %s exists, but it was never sent", cu.ID)
		case cu.Name != rec.name:
			t.Errorf("customer %s: displayName %q, want %q", cu.ID, cu.Name, rec.name)
		}
	}
	for id, rec := range m.customers {
		if rec.state == inDoubt {
			doubt++
			if seen[id] {
				landed++
			}
		}
		switch {
		case seen[id]:
			rec.state = acked
		case rec.state == acked:
			t.Errorf("customer %s: acknowledged, but gone after the crash", id)
		default:
			delete(m.customers, id) // in flight, never landed: from now on it must never appear
		}
	}

	// Accounts as the API shows them, compared with the model.
	res = srv.do(t, c, "GET", "/raas/v2/accounts", "")
	res.wantStatus(t, http.StatusOK)
	var accounts []struct {
		ID           string      `json:"accountIdentifier"`
		DisplayName  string      `json:"displayName"`
		ContactEmail string      `json:"contactEmail"`
		Balance      json.Number `json:"currentBalance"`
		Funding      []struct {
			Email string `json:"emailAddress"`
		} `json:"fundingNotification"`
	}
	res.JSON(t, &accounts)
	balances := map[string]string{}
	seen = map[string]bool{}
	for _, a := range accounts {
		seen[a.ID] = true
		balances[a.ID] = a.Balance.String()
		got := content{a.DisplayName, a.ContactEmail, []string{}}
		for _, f := range a.Funding {
			got.Funding = append(got.Funding, f.Email)
		}
		rec, ok := m.accounts[a.ID]
		switch {
		case !ok:
			t.Errorf("account %s exists, but it was never sent", a.ID)
			continue
		case owner[a.ID] != rec.customer:
			t.Errorf("account %s: under customer %q, want %q", a.ID, owner[a.ID], rec.customer)
		}
		switch {
		case rec.want != nil && got.equal(*rec.want):
		case rec.maybe != nil && got.equal(*rec.maybe):
			rec.want = rec.maybe
			landed++
		case rec.maybe != nil:
			t.Errorf("account %s: got %v, want the acknowledged %v or the in-flight %v", a.ID, got, rec.want, rec.maybe)
		default:
			t.Errorf("account %s: got %v, want the acknowledged %v", a.ID, got, rec.want)
		}
	}
	for id, rec := range m.accounts {
		if rec.maybe != nil {
			doubt++
		}
		rec.maybe = nil
		switch {
		case seen[id]:
		case rec.want != nil:
			t.Errorf("account %s: acknowledged, but gone after the crash", id)
		default:
			delete(m.accounts, id)
		}
	}

	// The database: each account's funding notification rows are its list, and its balance is
	// the sum of its ledger entries.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rows, err := db.QueryContext(ctx, `SELECT a.identifier, f.email FROM funding_notifications f
		JOIN accounts a ON a.id = f.account_id ORDER BY a.identifier, f.position`)
	if err != nil {
		t.Fatalf("read funding notifications: %v", err)
	}
	fundingRows := map[string][]string{}
	for rows.Next() {
		var id, email string
		if err := rows.Scan(&id, &email); err != nil {
			t.Fatal(err)
		}
		fundingRows[id] = append(fundingRows[id], email)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	for id := range seen {
		if got, want := fundingRows[id], m.accounts[id].want.Funding; !slices.Equal(got, want) && len(got)+len(want) > 0 {
			t.Errorf("account %s: funding_notifications rows %v, want %v, its fundingNotification", id, got, want)
		}
	}
	rows, err = db.QueryContext(ctx, `SELECT a.identifier, a.balance,
		(SELECT COALESCE(SUM(l.amount), 0) FROM ledger_entries l WHERE l.account_id = a.id) FROM accounts a`)
	if err != nil {
		t.Fatalf("read accounts: %v", err)
	}
	type stored struct{ balance, ledger int64 }
	dbAccounts := map[string]stored{}
	for rows.Next() {
		var id string
		var s stored
		if err := rows.Scan(&id, &s.balance, &s.ledger); err != nil {
			t.Fatal(err)
		}
		dbAccounts[id] = s
		if s.balance != s.ledger {
			t.Errorf("account %s: balance %d, but its ledger entries sum to %d", id, s.balance, s.ledger)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if len(dbAccounts) != len(seen) {
		t.Errorf("the database holds %d accounts, the API lists %d", len(dbAccounts), len(seen))
	}

	// The ledger, entry by entry: each is a move that was sent, once, unless it was refused.
	rows, err = db.QueryContext(ctx, `SELECT l.note, a.identifier, l.amount FROM ledger_entries l JOIN accounts a ON a.id = l.account_id`)
	if err != nil {
		t.Fatalf("read ledger: %v", err)
	}
	entries := map[string]int{}
	for rows.Next() {
		var note, account string
		var amount int64
		if err := rows.Scan(&note, &account, &amount); err != nil {
			t.Fatal(err)
		}
		entries[note]++
		mv, ok := m.moves[note]
		switch {
		case !ok:
			t.Errorf("ledger entry %q (%s, %d) was never sent", note, account, amount)
		case mv.account != account || mv.amount != amount:
			t.Errorf("ledger entry %q: got %s %d, want %s %d", note, account, amount, mv.account, mv.amount)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	want := map[string]int64{}
	for note, mv := range m.moves {
		n := entries[note]
		if mv.state == inDoubt {
			doubt++
			landed += n
		}
		switch {
		case n > 1:
			t.Errorf("move %q landed %d times", note, n)
		case mv.state == acked && n == 0:
			t.Errorf("move %q (%s %d): acknowledged, but not in the ledger", note, mv.account, mv.amount)
		case mv.state == refused && n != 0:
			t.Errorf("move %q (%s %d): refused, but in the ledger", note, mv.account, mv.amount)
		}
		if n > 0 {
			mv.state = acked
			want[mv.account] += mv.amount
		} else {
			delete(m.moves, note)
		}
	}
	t.Logf("writes in flight at the kill: %d, of which %d landed", doubt, landed)
	for id := range seen {
		if got, w := balances[id], coffer.FormatAmount(want[id]); got != w {
			t.Errorf("account %s: currentBalance %s, want %s, the sum of the moves that landed", id, got, w)
		}
		if got := dbAccounts[id].balance; got != want[id] {
			t.Errorf("account %s: stored balance %d, want %d", id, got, want[id])
		}
	}
}
