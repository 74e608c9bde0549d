package main

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cofferhq/coffer"
	cofferhttp "github.com/cofferhq/coffer/http"
	"github.com/cofferhq/coffer/sqlstore"
)

// apiServer is a real server on 127.0.0.1 over a SQLite file, with one platform.
type apiServer struct {
	URL   string
	Store *sqlstore.Store
	Key   coffer.NewKey
}

// startAPIServer serves the API until the test ends.
func startAPIServer(tb testing.TB) *apiServer {
	tb.Helper()
	store := openTestStore(tb, filepath.Join(tb.TempDir(), "coffer.db"))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	srv := cofferhttp.NewServer(cofferhttp.Config{Platforms: store, Customers: store, Accounts: store,
		CursorSecret: store.CursorSecret(), Ping: store.Ping})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("serve: %v", err)
		}
	})
	k, err := store.CreatePlatform(context.Background(), "platform-one")
	if err != nil {
		tb.Fatal(err)
	}
	return &apiServer{URL: "http://" + ln.Addr().String(), Store: store, Key: k}
}

// env is an environment that points the client commands at the server.
func (s *apiServer) env(name string) string {
	return map[string]string{"COFFER_URL": s.URL, "COFFER_PLATFORM": s.Key.PlatformName, "COFFER_KEY": s.Key.PlatformKey}[name]
}

// cli runs a client command against the server and fails the test if it fails.
func (s *apiServer) cli(tb testing.TB, args ...string) result {
	tb.Helper()
	r := cofferEnv(tb, s.env, args...)
	if r.err != nil {
		tb.Fatalf("coffer %s: %v\n%s", strings.Join(args, " "), r.err, r.stderr)
	}
	return r
}

// exitCode is the status main exits with for the error run returned.
func exitCode(err error) int {
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		return 2
	default:
		return 1
	}
}

// wantRow checks that a table has a line whose cells, split on runs of spaces, start with cells.
func wantRow(tb testing.TB, table string, cells ...string) {
	tb.Helper()
	want := regexp.MustCompile(`(?m)^` + strings.Join(quoteAll(cells), ` {2,}`) + `( |$)`)
	if !want.MatchString(table) {
		tb.Errorf("no row %q in\n%s", cells, table)
	}
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, c := range s {
		out[i] = regexp.QuoteMeta(c)
	}
	return out
}

func TestClientCommandsCustomers(t *testing.T) {
	s := startAPIServer(t)
	out := s.cli(t, "customers", "create", "--customer", "cust-1", "--name", "Team One").stdout
	wantRow(t, out, "CUSTOMER", "DISPLAY NAME", "STATUS", "ACCOUNTS", "CREATED")
	wantRow(t, out, "cust-1", "Team One", "ACTIVE", "0")

	var created map[string]any
	if err := json.Unmarshal([]byte(s.cli(t, "customers", "create", "--customer", "cust-2", "--name", "Two", "--json").stdout), &created); err != nil {
		t.Fatal(err)
	}
	if created["customerIdentifier"] != "cust-2" || created["status"] != "ACTIVE" {
		t.Errorf("--json: got %v, want cust-2, ACTIVE", created)
	}

	list := s.cli(t, "customers", "list").stdout
	for _, id := range []string{"platform-one", "cust-1", "cust-2"} {
		wantRow(t, list, id)
	}
	var ids []struct {
		CustomerIdentifier string `json:"customerIdentifier"`
	}
	if err := json.Unmarshal([]byte(s.cli(t, "customers", "list", "--json").stdout), &ids); err != nil || len(ids) != 3 {
		t.Errorf("customers list --json: got %v %v, want 3 customers", ids, err)
	}

	s.cli(t, "accounts", "create", "--customer", "cust-1", "--account", "acct-1", "--name", "Main", "--email", "ops@example.com")
	got := s.cli(t, "customers", "get", "--customer", "cust-1").stdout
	wantRow(t, got, "cust-1", "Team One", "ACTIVE", "1")
	wantRow(t, got, "ACCOUNT", "NUMBER", "DISPLAY NAME", "STATUS", "CURRENCY", "CREATED")
	if !regexp.MustCompile(`(?m)^acct-1 +A[0-9]+ +Main +ACTIVE +USD `).MatchString(got) {
		t.Errorf("customers get: no row for acct-1 in\n%s", got)
	}
}

func TestClientCommandsAccounts(t *testing.T) {
	s := startAPIServer(t)
	ctx := context.Background()
	s.cli(t, "customers", "create", "--customer", "cust-1", "--name", "One")
	out := s.cli(t, "accounts", "create", "--customer", "cust-1", "--account", "acct-1", "--name", "Main", "--email", "ops@example.com",
		"--currency", "EUR", "--notify", "a@example.com,b@example.com").stdout
	wantRow(t, out, "ACCOUNT", "NUMBER", "DISPLAY NAME", "STATUS", "CURRENCY", "BALANCE", "CONTACT", "NOTIFY", "CREATED")
	if !regexp.MustCompile(`(?m)^acct-1 +A[0-9]+ +Main +ACTIVE +EUR +0\.00 +ops@example\.com +a@example\.com,b@example\.com `).MatchString(out) {
		t.Errorf("accounts create: got\n%s", out)
	}
	if _, err := s.Store.Move(ctx, "platform-one", "acct-1", 912788, ""); err != nil {
		t.Fatal(err)
	}
	if got := s.cli(t, "accounts", "get", "--account", "acct-1").stdout; !regexp.MustCompile(`(?m)^acct-1 .* 9127\.88 `).MatchString(got) {
		t.Errorf("accounts get: got\n%s, want the balance 9127.88", got)
	}
	// --json is the API's JSON: the balance as the exact number.
	if got := s.cli(t, "accounts", "get", "--account", "acct-1", "--json").stdout; !strings.Contains(got, `"currentBalance": 9127.88,`) {
		t.Errorf("accounts get --json: got\n%s", got)
	}

	// update: a flag not given leaves its field; --notify "" clears the list.
	tests := []struct {
		args                            []string
		wantName, wantEmail, wantNotify string
	}{
		{[]string{"--name", "Renamed"}, "Renamed", "ops@example.com", "a@example.com,b@example.com"},
		{[]string{"--email", "new@example.com", "--notify", "c@example.com"}, "Renamed", "new@example.com", "c@example.com"},
		{[]string{"--notify", ""}, "Renamed", "new@example.com", ""},
	}
	for _, tt := range tests {
		args := append([]string{"accounts", "update", "--customer", "cust-1", "--account", "acct-1", "--json"}, tt.args...)
		var a struct {
			DisplayName         string `json:"displayName"`
			ContactEmail        string `json:"contactEmail"`
			FundingNotification []struct {
				EmailAddress string `json:"emailAddress"`
			} `json:"fundingNotification"`
		}
		if err := json.Unmarshal([]byte(s.cli(t, args...).stdout), &a); err != nil {
			t.Fatal(err)
		}
		var notify []string
		for _, f := range a.FundingNotification {
			notify = append(notify, f.EmailAddress)
		}
		if a.DisplayName != tt.wantName || a.ContactEmail != tt.wantEmail || strings.Join(notify, ",") != tt.wantNotify {
			t.Errorf("update %q: got %q %q %q, want %q %q %q", tt.args, a.DisplayName, a.ContactEmail, notify, tt.wantName, tt.wantEmail, tt.wantNotify)
		}
	}
}

func TestClientCommandsList(t *testing.T) {
	s := startAPIServer(t)
	s.cli(t, "customers", "create", "--customer", "cust-1", "--name", "One")
	s.cli(t, "customers", "create", "--customer", "cust-2", "--name", "Two")
	for i, id := range []string{"acct-1", "acct-2", "acct-3", "acct-4", "acct-5"} {
		customer, currency := "cust-1", "USD"
		if i%2 == 1 {
			customer, currency = "cust-2", "GBP"
		}
		s.cli(t, "accounts", "create", "--customer", customer, "--account", id, "--name", "Account "+id, "--email", id+"@example.com", "--currency", currency)
	}
	rows := func(table string) []string {
		var ids []string
		for _, line := range strings.Split(strings.TrimSpace(table), "\n")[1:] {
			ids = append(ids, strings.Fields(line)[0])
		}
		return ids
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--all"}, "acct-1 acct-2 acct-3 acct-4 acct-5"},
		{[]string{"--all", "--max-results", "2"}, "acct-1 acct-2 acct-3 acct-4 acct-5"},
		{[]string{"--all", "--customer", "cust-2"}, "acct-2 acct-4"},
		{[]string{"--all", "--currency", "gbp,CAD"}, "acct-2 acct-4"},
		{[]string{"--all", "--name", "ACCOUNT ACCT-3"}, "acct-3"},
		{[]string{"--all", "--email", "acct-5@example.com"}, "acct-5"},
		{[]string{"--all", "--min-balance", "0.01"}, ""},
		{[]string{"--all", "--max-balance", "0", "--status", "active"}, "acct-1 acct-2 acct-3 acct-4 acct-5"},
		{[]string{"--all", "--max-created-at", "2000-01-01"}, ""},
		{[]string{"--max-results", "3"}, "acct-1 acct-2 acct-3"},
	}
	for _, tt := range tests {
		r := s.cli(t, append([]string{"accounts", "list"}, tt.args...)...)
		if got := strings.Join(rows(r.stdout), " "); got != tt.want {
			t.Errorf("accounts list %q: got %q, want %q\n%s", tt.args, got, tt.want, r.stdout)
		}
	}

	// One page at a time: the way on is on stderr, and the JSON page carries the cursors.
	first := s.cli(t, "accounts", "list", "--max-results", "2")
	m := regexp.MustCompile(`next page: --next-cursor (\S+)`).FindStringSubmatch(first.stderr)
	if m == nil {
		t.Fatalf("accounts list: stderr %q, want the next cursor", first.stderr)
	}
	second := s.cli(t, "accounts", "list", "--max-results", "2", "--next-cursor", m[1])
	if got := strings.Join(rows(second.stdout), " "); got != "acct-3 acct-4" {
		t.Errorf("second page: got %q, want acct-3 acct-4", got)
	}
	var page struct {
		NumberOfElements int     `json:"numberOfElements"`
		NextCursor       *string `json:"nextCursor"`
		Items            []any   `json:"items"`
	}
	if err := json.Unmarshal([]byte(s.cli(t, "accounts", "list", "--max-results", "2", "--json").stdout), &page); err != nil {
		t.Fatal(err)
	}
	if page.NumberOfElements != 2 || len(page.Items) != 2 || page.NextCursor == nil || *page.NextCursor != m[1] {
		t.Errorf("accounts list --json: got %+v, want a page of 2 with the same next cursor", page)
	}
	var all []any
	if err := json.Unmarshal([]byte(s.cli(t, "accounts", "list", "--all", "--json").stdout), &all); err != nil || len(all) != 5 {
		t.Errorf("accounts list --all --json: got %d accounts, %v, want an array of 5", len(all), err)
	}
}

func TestClientCommandsFailures(t *testing.T) {
	s := startAPIServer(t)
	s.cli(t, "customers", "create", "--customer", "cust-1", "--name", "One")
	s.cli(t, "accounts", "create", "--customer", "cust-1", "--account", "acct-1", "--name", "Main", "--email", "ops@example.com")
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadURL := "http://" + closed.Addr().String()
	closed.Close()

	tests := []struct {
		name string
		env  func(string) string
		args []string
		code int
		want []string // in the one-line reason
	}{
		{"field errors", s.env, []string{"accounts", "create", "--customer", "cust-1", "--account", "Bad-ID", "--email", "nope"}, 1,
			[]string{"400", "Validation failed.", "accountIdentifier: accountIdentifier must be lowercase", "displayName: displayName is required", "contactEmail:"}},
		{"bad filter", s.env, []string{"accounts", "list", "--status", "GONE"}, 1, []string{"400", "status must be one of"}},
		{"wrong key", s.env, []string{"customers", "list", "--key", "not-the-key"}, 1, []string{"401", "401.002"}},
		{"not found", s.env, []string{"customers", "get", "--customer", "nobody"}, 1, []string{"404", "Customer not found.", "customerIdentifier"}},
		{"conflict", s.env, []string{"customers", "create", "--customer", "cust-1", "--name", "Again"}, 1, []string{"409", "409.010", "already exists"}},
		{"no server", s.env, []string{"customers", "list", "--url", deadURL}, 1, []string{"connect"}},
		{"no credentials", noEnv, []string{"customers", "list", "--url", s.URL}, 2, []string{"--platform and --key"}},
		{"missing flag", s.env, []string{"accounts", "update", "--customer", "cust-1"}, 2, []string{"--account is required"}},
		{"unknown subcommand", s.env, []string{"customers", "delete"}, 2, []string{"unknown command"}},
		{"bad balance", s.env, []string{"accounts", "list", "--min-balance", "1.234"}, 2, []string{"--min-balance"}},
		{"all with a cursor", s.env, []string{"accounts", "list", "--all", "--next-cursor", "x"}, 2, []string{"--all"}},
	}
	for _, tt := range tests {
		r := cofferEnv(t, tt.env, tt.args...)
		if got := exitCode(r.err); got != tt.code {
			t.Errorf("%s: exit code: got %d, want %d (%v)", tt.name, got, tt.code, r.err)
			continue
		}
		msg := message(r.err)
		for _, w := range tt.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: reason %q does not say %q", tt.name, msg, w)
			}
		}
		if strings.Contains(msg, "\n") && tt.code == 1 {
			t.Errorf("%s: reason %q, want one line", tt.name, msg)
		}
		if r.stdout != "" {
			t.Errorf("%s: stdout: got %q, want nothing", tt.name, r.stdout)
		}
	}
}
