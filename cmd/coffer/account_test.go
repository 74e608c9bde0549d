package main

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/internal/testdb"
)

// accountOut decodes what account credit, debit and status print.
func accountOut(tb testing.TB, out string) map[string]json.RawMessage {
	tb.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		tb.Fatalf("output is not one JSON object: %v\n%s", err, out)
	}
	return m
}

func TestAccountCommands(t *testing.T) {
	testdb.ForEachEngine(t, func(t *testing.T, db string) {
		ctx := context.Background()
		k := newKey(t, mustRun(t, "platform", "create", "--name", "platform-one", "--db", db))
		s := openTestStore(t, db)
		p, err := s.Authenticate(ctx, k.PlatformName, k.PlatformKey)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"acct-1", "acct-2"} {
			if _, err := s.CreateAccount(ctx, p, "platform-one", coffer.AccountCreate{Identifier: id, DisplayName: id, ContactEmail: "a@example.com", Currency: coffer.EUR}); err != nil {
				t.Fatal(err)
			}
		}
		move := func(sub, account, amount string) []string {
			return []string{"account", sub, "--db", db, "--platform", "platform-one", "--account", account, "--amount", amount, "--note", "x"}
		}
		balance := func(account string) int64 {
			a, err := s.FindAccount(ctx, p, account)
			if err != nil {
				t.Fatal(err)
			}
			return a.Balance
		}

		steps := []struct {
			sub, amount, want string
		}{
			{"credit", "12.34", "12.34"},
			{"debit", "12.24", "0.1"},
			{"credit", "1000000", "1000000.1"},
			{"debit", "0.09", "1000000.01"},
			{"credit", "0.5", "1000000.51"},
		}
		for _, st := range steps {
			out := accountOut(t, mustRun(t, move(st.sub, "acct-1", st.amount)...))
			if got := string(out["currentBalance"]); got != st.want {
				t.Errorf("%s %s: currentBalance got %s, want %s", st.sub, st.amount, got, st.want)
			}
			if got := string(out["accountIdentifier"]); got != `"acct-1"` {
				t.Errorf("accountIdentifier: got %s", got)
			}
		}
		if got := balance("acct-1"); got != 100000051 {
			t.Fatalf("balance: got %d, want 100000051", got)
		}

		// Refusals: one line, a non-zero exit, nothing changed.
		cofferRun(t, move("debit", "acct-1", "1000000.52")...).wantFailure(t, "Insufficient funds")
		cofferRun(t, move("debit", "acct-2", "0.01")...).wantFailure(t, "Insufficient funds")
		cofferRun(t, move("credit", "nobody", "1")...).wantFailure(t, "not found")
		r := cofferRun(t, "account", "credit", "--db", db, "--platform", "platform-nobody", "--account", "acct-1", "--amount", "1")
		r.wantFailure(t, "platform-nobody")
		for _, amount := range []string{"1.234", "-1", "0", "0.00", "1e3", "abc", "", "1,5", " 1", "+1", ".5", "1."} {
			for _, sub := range []string{"credit", "debit"} {
				r := cofferRun(t, move(sub, "acct-1", amount)...)
				var ue usageError
				if !errors.As(r.err, &ue) || strings.Contains(message(r.err), "\n") || !strings.Contains(message(r.err), "--amount") {
					t.Errorf("%s --amount %q: got %v, want a one-line usage error naming --amount", sub, amount, r.err)
				}
			}
		}
		if got := balance("acct-1"); got != 100000051 {
			t.Errorf("balance after refusals: got %d, want 100000051", got)
		}

		// Statuses: any of the five, in any case; only ACTIVE moves funds; DELETED is final.
		for _, st := range []string{"FROZEN", "disabled", "Inactive"} {
			out := accountOut(t, mustRun(t, "account", "status", "--db", db, "--platform", "platform-one", "--account", "acct-1", "--set", st))
			if got, want := string(out["status"]), `"`+strings.ToUpper(st)+`"`; got != want {
				t.Errorf("status %s: got %s, want %s", st, got, want)
			}
			cofferRun(t, move("credit", "acct-1", "1")...).wantFailure(t, "ACTIVE")
			cofferRun(t, move("debit", "acct-1", "1")...).wantFailure(t, "ACTIVE")
		}
		mustRun(t, "account", "status", "--db", db, "--platform", "platform-one", "--account", "acct-1", "--set", "ACTIVE")
		mustRun(t, move("debit", "acct-1", "0.51")...)
		mustRun(t, "account", "status", "--db", db, "--platform", "platform-one", "--account", "acct-1", "--set", "DELETED")
		cofferRun(t, move("credit", "acct-1", "1")...).wantFailure(t, "not found")
		cofferRun(t, move("debit", "acct-1", "1")...).wantFailure(t, "not found")
		cofferRun(t, "account", "status", "--db", db, "--platform", "platform-one", "--account", "acct-1", "--set", "ACTIVE").wantFailure(t, "DELETED")
		r = cofferRun(t, "account", "status", "--db", db, "--platform", "platform-one", "--account", "acct-2", "--set", "BOGUS")
		var ue usageError
		if !errors.As(r.err, &ue) || !strings.Contains(message(r.err), "--set") {
			t.Errorf("--set BOGUS: got %v, want a usage error naming --set", r.err)
		}
		if _, err := s.FindAccount(ctx, p, "acct-1"); coffer.ErrorCode(err) != coffer.ENOTFOUND {
			t.Errorf("DELETED account: got %v, want not found", err)
		}
		if _, err := s.FindAccount(ctx, p, "acct-2"); err != nil {
			t.Errorf("acct-2 after a refused status: %v", err)
		}
	})
}
