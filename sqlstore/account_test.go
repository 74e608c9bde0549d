package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/testdb"
)

// accountFixture is a store with a platform, its principal and customers.
type accountFixture struct {
	s        *Store
	p        *coffer.Principal
	platform string
}

func newAccountFixture(tb testing.TB, dsn string, customers ...string) *accountFixture {
	tb.Helper()
	ctx := context.Background()
	s, err := Open(ctx, dsn, Options{})
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	k, err := s.CreatePlatform(ctx, "platform-one")
	if err != nil {
		tb.Fatalf("create platform: %v", err)
	}
	p, err := s.Authenticate(ctx, k.PlatformName, k.PlatformKey)
	if err != nil {
		tb.Fatalf("authenticate: %v", err)
	}
	for _, c := range customers {
		if _, err := s.CreateCustomer(ctx, p, coffer.CustomerCreate{Identifier: c, DisplayName: c}); err != nil {
			tb.Fatalf("create customer %s: %v", c, err)
		}
	}
	return &accountFixture{s: s, p: p, platform: "platform-one"}
}

func (f *accountFixture) account(tb testing.TB, customer, id string, funding ...string) *coffer.Account {
	tb.Helper()
	a, err := f.s.CreateAccount(context.Background(), f.p, customer, coffer.AccountCreate{Identifier: id, DisplayName: "Account " + id,
		ContactEmail: id + "@example.com", Currency: coffer.USD, FundingNotification: funding})
	if err != nil {
		tb.Fatalf("create account %s: %v", id, err)
	}
	return a
}

// populate inserts n accounts over k customers of the fixture's platform, and as many on another
// platform, directly, then has the engine gather statistics, so that plans are those of a
// database in use. It returns the id of one of the fixture platform's customers.
func (f *accountFixture) populate(tb testing.TB, n, k int) string {
	tb.Helper()
	ctx := context.Background()
	tx, err := f.s.write.BeginTx(ctx, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer tx.Rollback()
	var other int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO platforms (name, suspended, created_at) VALUES ('platform-two', $1, 0) RETURNING id`, false).Scan(&other); err != nil {
		tb.Fatal(err)
	}
	words := []string{"travel", "budget", "rewards", "team", "sales", "bonus", "gifts", "holiday", "north", "south", "east", "west", "alpha", "omega"}
	statuses := []coffer.AccountStatus{coffer.AccountActive, coffer.AccountActive, coffer.AccountActive, coffer.AccountFrozen, coffer.AccountDeleted}
	currencies := []coffer.Currency{coffer.USD, coffer.EUR, coffer.GBP, coffer.CAD}
	for _, pid := range []int64{f.p.PlatformID, other} {
		cids := make([]int64, k)
		for i := range cids {
			if err := tx.QueryRowContext(ctx, `INSERT INTO customers (platform_id, identifier, display_name, status, created_at)
				VALUES ($1, $2, $3, 'ACTIVE', $4) RETURNING id`, pid, fmt.Sprintf("bulk-%d", i), "Bulk", i).Scan(&cids[i]); err != nil {
				tb.Fatal(err)
			}
		}
		for i := range n {
			name := fmt.Sprintf("%s %s %s", words[i%len(words)], words[(i/len(words))%len(words)], nameToken(i))
			email := fmt.Sprintf("owner%d@example.com", i%500)
			var id int64
			if err := tx.QueryRowContext(ctx, `INSERT INTO accounts (platform_id, customer_id, identifier, number, display_name, display_name_lower,
				contact_email, contact_email_lower, funding_emails, currency, status, balance, created_at)
				VALUES ($1, $2, $3, $4, $5, $5, $6, $6, $7, $8, $9, $10, $11) RETURNING id`,
				pid, cids[i%k], fmt.Sprintf("bulk-%d", i), fmt.Sprintf("A%012d", i), name, email, fmt.Sprintf("fund%d@example.com", i%300),
				currencies[i%4], statuses[i%len(statuses)], int64(i*37%100000), int64(1_700_000_000_000+i*1000)).Scan(&id); err != nil {
				tb.Fatal(err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO funding_notifications (account_id, position, email, email_lower) VALUES ($1, 0, $2, $2)`,
				id, fmt.Sprintf("fund%d@example.com", i%300)); err != nil {
				tb.Fatal(err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
	if _, err := f.s.write.ExecContext(ctx, `ANALYZE`); err != nil {
		tb.Fatal(err)
	}
	if f.p.PlatformID == other {
		tb.Fatal("one platform")
	}
	return "bulk-3"
}

// planFilters are the filters whose plans are checked: each alone, and a few together.
func planFilters() map[string]coffer.AccountFilter {
	amount, from, to := int64(5000), int64(1_700_000_005_000), int64(1_700_000_900_000)
	return map[string]coffer.AccountFilter{
		"none":             {},
		"accountNumber":    {Number: "A000000000777"},
		"displayName":      {DisplayName: planDisplayName},
		"status":           {Status: coffer.AccountFrozen},
		"status DELETED":   {Status: coffer.AccountDeleted},
		"contactEmail":     {ContactEmail: "owner7@example.com"},
		"currencyCode":     {Currencies: []coffer.Currency{coffer.EUR, coffer.USD}},
		"minBalance":       {MinBalance: &amount},
		"maxBalance":       {MaxBalance: &amount},
		"minDateCreatedAt": {MinCreatedAt: &from},
		"maxDateCreatedAt": {MaxCreatedAt: &to},
		"fundingEmails":    {FundingEmails: []string{"fund7@example.com", "fund8@example.com"}},
		"status+currency":  {Status: coffer.AccountActive, Currencies: []coffer.Currency{coffer.GBP}},
		"email+status":     {ContactEmail: "owner7@example.com", Status: coffer.AccountActive},
		"name+balance":     {DisplayName: planDisplayName, MinBalance: &amount},
		"funding+dates":    {FundingEmails: []string{"fund7@example.com"}, MinCreatedAt: &from, MaxCreatedAt: &to},
		"every filter": {Number: "A000000000777", DisplayName: planDisplayName, Status: coffer.AccountActive, ContactEmail: "owner7@example.com",
			Currencies: []coffer.Currency{coffer.USD}, MinBalance: &amount, MaxBalance: &amount, MinCreatedAt: &from, MaxCreatedAt: &to,
			FundingEmails: []string{"fund7@example.com"}},
	}
}

// planDisplayName is a display-name filter that few accounts match: part of account 777's
// random token.
var planDisplayName = nameToken(777)[1:7]

// nameToken is a pseudo-random word of eight hex digits, unique to i.
func nameToken(i int) string { return fmt.Sprintf("%08x", uint32(i)*2654435761) }

// planPages are the pages whose plans are checked: the whole list, the first page, a page
// forward and a page backward from the middle.
func planPages() map[string]coffer.Page {
	mid := coffer.Position{CreatedAt: 1_700_000_000_000 + 10_000*1000, Seq: 10_000}
	start := coffer.Position{CreatedAt: 1_700_000_000_000 + 15*1000, Seq: 15}
	end := coffer.Position{CreatedAt: 1_700_000_000_000 + 19_985*1000, Seq: 19_985}
	return map[string]coffer.Page{
		"all":                {},
		"first":              {Limit: 10},
		"forward":            {Limit: 10, After: &mid},
		"backward":           {Limit: 10, Before: &mid},
		"forward to the end": {Limit: 10, After: &end},
		"back to the start":  {Limit: 10, Before: &start},
	}
}

// orderIndexes serve the list order: a plan that reads through one of them needs no sort.
var orderIndexes = []string{"accounts_customer_order", "accounts_platform_order", "accounts_platform_status", "accounts_customer_status"}

// explain returns the plan of an accounts query, one line per step, with enable_seqscan off on
// PostgreSQL so that a missing index shows as a sequential scan whatever the table's size.
func explain(tb testing.TB, s *Store, q *query) []string {
	tb.Helper()
	ctx := context.Background()
	conn, err := s.read.Conn(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close()
	prefix := "EXPLAIN QUERY PLAN "
	if s.Engine() == "postgres" {
		prefix = "EXPLAIN "
		if _, err := conn.ExecContext(ctx, `SET enable_seqscan = off`); err != nil {
			tb.Fatal(err)
		}
		defer conn.ExecContext(ctx, `RESET enable_seqscan`)
	}
	rows, err := conn.QueryContext(ctx, prefix+q.String(), q.args...)
	if err != nil {
		tb.Fatalf("explain: %v\n%s", err, q.String())
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		tb.Fatal(err)
	}
	var lines []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			tb.Fatal(err)
		}
		lines = append(lines, fmt.Sprintf("%s", vals[len(vals)-1]))
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return lines
}

func TestAccountsQueryPlans(t *testing.T) {
	testdb.ForEachEngine(t, func(t *testing.T, dsn string) {
		f := newAccountFixture(t, dsn)
		customer := f.populate(t, 20000, 100)
		for _, scope := range []string{"customer", "platform", "restricted key"} {
			for fname, flt := range planFilters() {
				for pname, page := range planPages() {
					var q *query
					switch scope {
					case "customer":
						flt.Customer = customer
						q = accountsQuery(f.p.PlatformID, nil, flt, page)
					case "platform":
						q = accountsQuery(f.p.PlatformID, nil, flt, page)
					default:
						q = accountsQuery(f.p.PlatformID, []string{"bulk-3", "bulk-4"}, flt, page)
					}
					plan := explain(t, f.s, q)
					text := strings.Join(plan, "\n")
					what := fmt.Sprintf("%s list, %s, page %s", scope, fname, pname)
					if f.s.Engine() == "sqlite" {
						// Back to the start, the cursor bounds the read to the few rows before it,
						// and SQLite's statistics may rightly prefer sorting those to an ordered
						// read: a sort is allowed there, a read that is not through an index is not.
						checkSQLitePlan(t, what, plan, scope == "restricted key" || pname == "back to the start")
						continue
					}
					if strings.Contains(text, "Seq Scan on accounts") {
						t.Errorf("%s: a sequential scan of accounts:\n%s", what, text)
					}
					// Near either end of the list the cursor bounds the read to a few rows, and
					// reading them in order is the better plan.
					nearEnd := pname == "forward to the end" || pname == "back to the start"
					if scope == "platform" && flt.DisplayName != "" && flt.Number == "" && !nearEnd && !strings.Contains(text, "accounts_display_name_trgm") {
						t.Errorf("%s: the display name filter does not use accounts_display_name_trgm:\n%s", what, text)
					}
				}
			}
		}
	})
}

// checkSQLitePlan fails unless a SQLite plan reads accounts through an index, bounded by the
// platform, and needs no sort when that index is one of the order indexes, unless maySort: a list
// for a key restricted to customers reads customer by customer, and a page back to the start reads
// the few rows before its cursor, so that a sort there is bounded.
func checkSQLitePlan(tb testing.TB, what string, plan []string, maySort bool) {
	tb.Helper()
	text := strings.Join(plan, "\n")
	var read string
	for _, line := range plan {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "SCAN a") || strings.HasPrefix(line, "SEARCH a ") {
			read = line
		}
		if strings.HasPrefix(line, "SCAN c") {
			tb.Errorf("%s: a scan of every customer:\n%s", what, text)
		}
	}
	switch {
	case read == "":
		tb.Errorf("%s: no read of accounts in the plan:\n%s", what, text)
	case !strings.HasPrefix(read, "SEARCH a USING"):
		tb.Errorf("%s: accounts are scanned, not searched through an index:\n%s", what, text)
	}
	if maySort {
		return
	}
	for _, ix := range orderIndexes {
		if strings.Contains(read, "INDEX "+ix+" ") && strings.Contains(text, "TEMP B-TREE FOR ORDER BY") {
			tb.Errorf("%s: reads through %s yet sorts:\n%s", what, ix, text)
		}
	}
}

func TestLedger(t *testing.T) {
	const n = 50
	testdb.ForEachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		f := newAccountFixture(t, dsn, "cust-1")
		f.account(t, "cust-1", "acct-1")
		f.account(t, "cust-1", "acct-2")
		if _, err := f.s.Move(ctx, f.platform, "acct-1", 10000, "opening"); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		sum := int64(10000)
		start := make(chan struct{})
		for i := range n {
			amount := int64(i*7919%4000 + 1)
			if i%2 == 1 {
				amount = -2 * amount
			}
			wg.Go(func() {
				<-start
				a, err := f.s.Move(ctx, f.platform, "acct-1", amount, fmt.Sprintf("move %d", i))
				if err != nil {
					if amount > 0 || coffer.ErrorCode(err) != coffer.ECONFLICT {
						t.Errorf("move %d: %v", amount, err)
					}
					return
				}
				if a.Balance < 0 {
					t.Errorf("after %d: balance %d", amount, a.Balance)
				}
				mu.Lock()
				sum += amount
				mu.Unlock()
			})
		}
		// Moves on another account at the same time touch only it.
		for range 10 {
			wg.Go(func() {
				<-start
				if _, err := f.s.Move(ctx, f.platform, "acct-2", 1, ""); err != nil {
					t.Errorf("credit acct-2: %v", err)
				}
			})
		}
		close(start)
		wg.Wait()
		for id, want := range map[string]int64{"acct-1": sum, "acct-2": 10} {
			var balance, entries, total, negatives int64
			err := f.s.read.QueryRowContext(ctx, `SELECT a.balance, COUNT(l.id), COALESCE(SUM(l.amount), 0),
				COALESCE(SUM(CASE WHEN l.balance_after < 0 THEN 1 ELSE 0 END), 0)
				FROM accounts a LEFT JOIN ledger_entries l ON l.account_id = a.id
				WHERE a.platform_id = $1 AND a.identifier = $2 GROUP BY a.balance`, f.p.PlatformID, id).Scan(&balance, &entries, &total, &negatives)
			if err != nil {
				t.Fatal(err)
			}
			if balance != want || total != balance || negatives != 0 {
				t.Errorf("%s: balance %d, ledger sum %d over %d entries, %d negative; want balance %d = ledger sum, none negative",
					id, balance, total, entries, negatives, want)
			}
		}
		// The last entry's balance_after is the balance: entries are written with the change.
		var last int64
		if err := f.s.read.QueryRowContext(ctx, `SELECT l.balance_after FROM ledger_entries l JOIN accounts a ON a.id = l.account_id
			WHERE a.identifier = 'acct-1' ORDER BY l.id DESC LIMIT 1`).Scan(&last); err != nil {
			t.Fatal(err)
		}
		if last != sum {
			t.Errorf("last balance_after: got %d, want %d", last, sum)
		}
		// Refused moves write nothing.
		var before, after int64
		f.s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM ledger_entries`).Scan(&before)
		for _, amount := range []int64{-(sum + 1), 0} {
			if _, err := f.s.Move(ctx, f.platform, "acct-1", amount, ""); err == nil {
				t.Errorf("move %d: accepted", amount)
			}
		}
		if _, err := f.s.SetAccountStatus(ctx, f.platform, "acct-2", coffer.AccountFrozen); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.Move(ctx, f.platform, "acct-2", 5, ""); err == nil {
			t.Errorf("credit of a FROZEN account: accepted")
		}
		f.s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM ledger_entries`).Scan(&after)
		if after != before {
			t.Errorf("ledger entries after refused moves: got %d, want %d", after, before)
		}
	})
}
