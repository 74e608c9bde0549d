package main

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// The data set is a function of the account's index, so that the load generator knows, without
// asking, the customer of any account and which accounts exist.

// mix scrambles an index into well-spread bits (splitmix64).
func mix(i int) uint64 {
	z := uint64(i)*0x9e3779b97f4a7c15 + 0x632be59bd9b4e5d
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func customerID(i int) string { return fmt.Sprintf("cust-%06d", i) }
func accountID(i int) string  { return fmt.Sprintf("acct-%07d", i) }

// customerOf is the index of the customer of account i.
func (b *bench) customerOf(i int) int { return i % b.cfg.customers }

// currencyOf spreads the currencies unevenly: USD 40%, EUR 25%, GBP 20%, CAD 15%.
func currencyOf(i int) string {
	switch h := mix(i) % 20; {
	case h < 8:
		return "USD"
	case h < 13:
		return "EUR"
	case h < 17:
		return "GBP"
	default:
		return "CAD"
	}
}

// filterCurrency is the currency the list scenarios filter on.
const filterCurrency = "EUR"

var words = []string{"Travel", "Rewards", "Payroll", "Marketing", "Events", "Support", "Sales", "Research"}

// accountBody is the creation body of account i, under identifier id: varied names, contact
// addresses and funding notification lists (none, one or two addresses).
func accountBody(i int, id string) []byte {
	h := mix(i)
	body := map[string]any{
		"accountIdentifier": id,
		"displayName":       fmt.Sprintf("%s budget %d", words[h%uint64(len(words))], i),
		"contactEmail":      fmt.Sprintf("owner%d@example%d.com", (h>>8)%1000, (h>>20)%10),
		"currencyCode":      currencyOf(i),
	}
	var funding []map[string]string
	for n := range (h >> 32) % 3 {
		funding = append(funding, map[string]string{"emailAddress": fmt.Sprintf("finance%d@example%d.com", (h>>40)%100+uint64(n), n)})
	}
	if funding != nil {
		body["fundingNotification"] = funding
	}
	return mustJSON(body)
}

// cliStatuses are the statuses given through the command line, in turn.
var cliStatuses = []string{"INACTIVE", "FROZEN", "DISABLED", "DELETED"}

// buildData creates the customers and accounts through the API, concurrently, then credits
// some accounts and changes the status of others through the coffer command line.
func (b *bench) buildData(ctx context.Context) error {
	start := time.Now()
	err := each(ctx, b.cfg.concurrency, b.cfg.customers, func(ctx context.Context, i int) error {
		_, err := b.api.do(ctx, "POST", "/customers", mustJSON(map[string]string{
			"customerIdentifier": customerID(i), "displayName": fmt.Sprintf("Customer %d", i)}), nil)
		return err
	})
	if err != nil {
		return fmt.Errorf("create customers: %w", err)
	}
	b.logf("created %d customers in %s", b.cfg.customers, since(start))

	start = time.Now()
	err = each(ctx, b.cfg.concurrency, b.cfg.accounts, func(ctx context.Context, i int) error {
		_, err := b.api.do(ctx, "POST", "/customers/"+customerID(b.customerOf(i))+"/accounts", accountBody(i, accountID(i)), nil)
		return err
	})
	if err != nil {
		return fmt.Errorf("create accounts: %w", err)
	}
	b.build = time.Since(start)
	b.logf("created %d accounts in %s (%.0f/s)", b.cfg.accounts, since(start), float64(b.cfg.accounts)/b.build.Seconds())

	start = time.Now()
	deleted := make([]bool, b.cfg.accounts)
	err = each(ctx, 2, b.cfg.cliOps, func(ctx context.Context, j int) error {
		i := j * (b.cfg.accounts / max(1, b.cfg.cliOps))
		if j%2 == 0 {
			amount := fmt.Sprintf("%d.%02d", mix(i)%100000+1, mix(i)%100)
			_, err := coffer(ctx, b.bin, "account", "credit", "--db", b.db, "--platform", b.api.creds.PlatformName,
				"--account", accountID(i), "--amount", amount, "--note", "benchmark data set")
			return err
		}
		st := cliStatuses[(j/2)%len(cliStatuses)]
		deleted[i] = st == "DELETED" // each index is written by one call only
		_, err := coffer(ctx, b.bin, "account", "status", "--db", b.db, "--platform", b.api.creds.PlatformName,
			"--account", accountID(i), "--set", st)
		return err
	})
	if err != nil {
		return err
	}
	for i, d := range deleted {
		if !d {
			b.live = append(b.live, i)
		}
	}
	b.logf("credited %d accounts and changed the status of %d through the command line in %s",
		(b.cfg.cliOps+1)/2, b.cfg.cliOps/2, since(start))
	if b.postgres() {
		// Autovacuum would gather the statistics of the new rows within a minute or so; until
		// then the planner takes the tables for nearly empty and may sort a whole list for its
		// first page. The scenarios measure the steady state.
		b.logf("ANALYZE, as autovacuum would")
		return analyze(ctx, b.db)
	}
	return nil
}

// pageView is the envelope of a paginated list, as far as the benchmark reads it.
type pageView struct {
	NumberOfElements  int     `json:"numberOfElements"`
	NextCursor        *string `json:"nextCursor"`
	NextPageAvailable bool    `json:"nextPageAvailable"`
}

// listPath is the filtered list of the list scenarios, from a cursor ("" for the first page).
func listPath(cursor string) string {
	q := url.Values{"paginate": {"true"}, "maxResults": {"20"}, "currencyCode": {filterCurrency}}
	if cursor != "" {
		q.Set("nextCursor", cursor)
	}
	return "/accounts?" + q.Encode()
}

// findDeepCursor follows nextCursor through the whole filtered list and returns the cursor of
// its last full page, and how many pages the list has.
func (b *bench) findDeepCursor(ctx context.Context) (cursor string, deep, pages int, err error) {
	next := ""
	for {
		var p pageView
		if _, err := b.api.do(ctx, "GET", listPath(next), nil, &p); err != nil {
			return "", 0, 0, err
		}
		pages++
		if p.NumberOfElements == 20 {
			cursor, deep = next, pages
		}
		if !p.NextPageAvailable || p.NextCursor == nil {
			return cursor, deep, pages, nil
		}
		next = *p.NextCursor
	}
}

// each calls fn for 0..n-1 from `workers` goroutines, and returns the first error, after which
// no new call starts.
func each(ctx context.Context, workers, n int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := fn(ctx, i); err != nil {
					cancel(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return context.Cause(ctx)
}

func since(t time.Time) time.Duration { return time.Since(t).Round(time.Millisecond) }
