package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"github.com/cofferhq/coffer/internal/testlog"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/sqlstore"
)

// noEnv is an environment without any variable.
func noEnv(string) string { return "" }

// result is what one run of the command line gave.
type result struct {
	stdout, stderr string
	err            error
}

// cofferRun runs the command line with args and an empty environment.
func cofferRun(tb testing.TB, args ...string) result {
	tb.Helper()
	return cofferEnv(tb, noEnv, args...)
}

// cofferEnv runs the command line with args and an environment.
func cofferEnv(tb testing.TB, getenv func(string) string, args ...string) result {
	tb.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), args, getenv, &stdout, &stderr)
	return result{stdout.String(), stderr.String(), err}
}

// mustRun runs the command line and fails the test if it fails.
func mustRun(tb testing.TB, args ...string) string {
	tb.Helper()
	r := cofferRun(tb, args...)
	if r.err != nil {
		tb.Fatalf("coffer %s: %v\n%s", strings.Join(args, " "), r.err, r.stderr)
	}
	return r.stdout
}

// wantFailure checks that a run failed with a one-line reason that contains want.
func (r result) wantFailure(tb testing.TB, want string) {
	tb.Helper()
	if r.err == nil {
		tb.Fatalf("got success with %q, want a failure", r.stdout)
	}
	var ue usageError
	if errors.As(r.err, &ue) {
		tb.Errorf("got a usage error %q, want a refusal", r.err)
	}
	msg := message(r.err)
	if msg == "" || strings.Contains(msg, "\n") || !strings.Contains(msg, want) {
		tb.Errorf("reason: got %q, want one line with %q", msg, want)
	}
	if r.stdout != "" {
		tb.Errorf("stdout: got %q, want nothing", r.stdout)
	}
}

// newKey decodes what platform create and key create print, checking its members.
func newKey(tb testing.TB, out string) coffer.NewKey {
	tb.Helper()
	var members map[string]any
	if err := json.Unmarshal([]byte(out), &members); err != nil {
		tb.Fatalf("output is not one JSON object: %v\n%s", err, out)
	}
	keys := make([]string, 0, len(members))
	for k, v := range members {
		keys = append(keys, k)
		if s, ok := v.(string); !ok || s == "" {
			tb.Errorf("%s: got %v, want a string", k, v)
		}
	}
	slices.Sort(keys)
	if got, want := strings.Join(keys, ","), "keyId,platformKey,platformName"; got != want {
		tb.Errorf("members: got %s, want %s", got, want)
	}
	var k coffer.NewKey
	json.Unmarshal([]byte(out), &k)
	// At least 128 random bits: 22 characters of base64.
	if len(k.PlatformKey) < 22 {
		tb.Errorf("platformKey: got %d characters, want at least 22", len(k.PlatformKey))
	}
	return k
}

// openTestStore opens the database of a test, closed when the test ends.
func openTestStore(tb testing.TB, db string) *sqlstore.Store {
	tb.Helper()
	s, err := sqlstore.Open(context.Background(), db, sqlstore.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func TestPlatformCreate(t *testing.T) {
	db := filepath.Join(t.TempDir(), "coffer.db")
	k := newKey(t, mustRun(t, "platform", "create", "--name", "Acme-Corp1", "--db", db))
	if k.PlatformName != "Acme-Corp1" {
		t.Errorf("platformName: got %q, want Acme-Corp1", k.PlatformName)
	}
	s := openTestStore(t, db)
	p, err := s.Authenticate(context.Background(), "Acme-Corp1", k.PlatformKey)
	if err != nil {
		t.Fatalf("the printed key does not authenticate: %v", err)
	}
	if p.ReadOnly || p.Customers != nil || p.KeyID != k.KeyID {
		t.Errorf("principal: got %+v, want a full key %s", p, k.KeyID)
	}
	// The platform's own group, named after it.
	c, err := s.FindCustomer(context.Background(), p, "Acme-Corp1")
	if err != nil || c.DisplayName != "Acme-Corp1" {
		t.Errorf("own group: got %+v, %v", c, err)
	}

	tests := []struct {
		name, platform, reason string
	}{
		{"4 characters", "abcd", "5-100 characters"},
		{"101 characters", strings.Repeat("a", 101), "5-100 characters"},
		{"space", "acme corp", "5-100 characters"},
		{"underscore", "acme_corp", "5-100 characters"},
		{"non-ASCII", "acmé-corp", "5-100 characters"},
		{"empty", "", "5-100 characters"},
		{"duplicate", "Acme-Corp1", `"Acme-Corp1" exists already`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cofferRun(t, "platform", "create", "--name", tt.platform, "--db", db).wantFailure(t, tt.reason)
		})
	}
	// A name differing only in case is another platform.
	newKey(t, mustRun(t, "platform", "create", "--name", "acme-corp1", "--db", db))
	for _, n := range []string{strings.Repeat("a", 5), strings.Repeat("Z9-", 33) + "x"} {
		newKey(t, mustRun(t, "platform", "create", "--name", n, "--db", db))
	}
	if n, err := s.CountPlatforms(context.Background()); err != nil || n != 4 {
		t.Errorf("platforms: got %d, %v, want 4", n, err)
	}
	// A refused name is refused before any database is made.
	fresh := filepath.Join(t.TempDir(), "never.db")
	cofferRun(t, "platform", "create", "--name", "abcd", "--db", fresh).wantFailure(t, "5-100 characters")
	if _, err := os.Stat(fresh); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("database file after a refused name: got %v, want none", err)
	}
}

func TestUsageErrors(t *testing.T) {
	db := filepath.Join(t.TempDir(), "coffer.db")
	for _, args := range [][]string{
		{},
		{"nope"},
		{"platform"},
		{"platform", "create", "--db", db},
		{"platform", "create", "--name", "acme-corp", "--db", db, "extra"},
		{"platform", "create", "--bogus", "--name", "acme-corp", "--db", db},
		{"key"},
		{"key", "create", "--db", db},
		{"key", "revoke", "--platform", "acme-corp", "--db", db},
		{"key", "rotate", "--platform", "acme-corp", "--db", db},
	} {
		r := cofferRun(t, args...)
		var ue usageError
		if !errors.As(r.err, &ue) {
			t.Errorf("coffer %q: got %v, want a usage error", args, r.err)
		}
		if r.stdout != "" {
			t.Errorf("coffer %q: stdout: got %q, want nothing", args, r.stdout)
		}
	}
}

func TestKeyCommands(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "coffer.db")
	first := newKey(t, mustRun(t, "platform", "create", "--name", "acme-corp", "--db", db))
	full := newKey(t, mustRun(t, "key", "create", "--platform", "acme-corp", "--db", db))
	ro := newKey(t, mustRun(t, "key", "create", "--platform", "acme-corp", "--read-only", "--db", db))
	some := newKey(t, mustRun(t, "key", "create", "--platform", "acme-corp", "--customers", "team-a1, Team-B2,,", "--db", db))
	both := newKey(t, mustRun(t, "key", "create", "--platform", "acme-corp", "--read-only", "--customers", "team-a1", "--db", db))

	s := openTestStore(t, db)
	tests := []struct {
		key       coffer.NewKey
		readOnly  bool
		customers []string
	}{
		{first, false, nil},
		{full, false, nil},
		{ro, true, nil},
		{some, false, []string{"team-a1", "Team-B2"}},
		{both, true, []string{"team-a1"}},
	}
	for _, tt := range tests {
		if tt.key.PlatformName != "acme-corp" {
			t.Errorf("platformName: got %q, want acme-corp", tt.key.PlatformName)
		}
		p, err := s.Authenticate(ctx, "acme-corp", tt.key.PlatformKey)
		if err != nil {
			t.Fatalf("key %s: %v", tt.key.KeyID, err)
		}
		if p.KeyID != tt.key.KeyID || p.ReadOnly != tt.readOnly || !slices.Equal(p.Customers, tt.customers) {
			t.Errorf("key %s: got read-only %v, customers %q; want %v, %q", tt.key.KeyID, p.ReadOnly, p.Customers, tt.readOnly, tt.customers)
		}
	}

	for _, tt := range []struct {
		name   string
		args   []string
		reason string
	}{
		{"empty customer list", []string{"--customers", " , "}, "at least one customer"},
		{"bad customer identifier", []string{"--customers", "ok-id1,bad id"}, `"bad id"`},
		{"short customer identifier", []string{"--customers", "abcd"}, `"abcd"`},
		{"unknown platform", []string{"--platform", "nobody-corp"}, `"nobody-corp" does not exist`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"key", "create", "--platform", "acme-corp", "--db", db}, tt.args...)
			cofferRun(t, args...).wantFailure(t, tt.reason)
		})
	}

	// key revoke: the key stops working; others do not.
	mustRun(t, "key", "revoke", "--platform", "acme-corp", "--key-id", full.KeyID, "--db", db)
	if _, err := s.Authenticate(ctx, "acme-corp", full.PlatformKey); coffer.ErrorCode(err) != coffer.EUNAUTHORIZED {
		t.Errorf("revoked key: got %v, want unauthorized", err)
	}
	if _, err := s.Authenticate(ctx, "acme-corp", first.PlatformKey); err != nil {
		t.Errorf("other key after a revocation: %v", err)
	}
	mustRun(t, "key", "revoke", "--platform", "acme-corp", "--key-id", full.KeyID, "--db", db) // again: no error
	cofferRun(t, "key", "revoke", "--platform", "acme-corp", "--key-id", "0123456789abcdef", "--db", db).wantFailure(t, `no key "0123456789abcdef"`)
	mustRun(t, "platform", "create", "--name", "other-corp", "--db", db)
	cofferRun(t, "key", "revoke", "--platform", "other-corp", "--key-id", first.KeyID, "--db", db).wantFailure(t, "no key")
	if _, err := s.Authenticate(ctx, "acme-corp", first.PlatformKey); err != nil {
		t.Errorf("another platform revoked this key: %v", err)
	}

	// key list: ids and permissions, never a secret or a hash.
	out := mustRun(t, "key", "list", "--platform", "acme-corp", "--db", db)
	var list []struct {
		KeyID     string     `json:"keyId"`
		ReadOnly  bool       `json:"readOnly"`
		Customers []string   `json:"customers"`
		CreatedAt time.Time  `json:"createdAt"`
		RevokedAt *time.Time `json:"revokedAt"`
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("key list: %v\n%s", err, out)
	}
	if len(list) != len(tests) {
		t.Fatalf("key list: got %d keys, want %d\n%s", len(list), len(tests), out)
	}
	for i, tt := range tests {
		k := list[i]
		revoked := tt.key.KeyID == full.KeyID
		if k.KeyID != tt.key.KeyID || k.ReadOnly != tt.readOnly || !slices.Equal(k.Customers, tt.customers) || (k.RevokedAt != nil) != revoked || k.CreatedAt.IsZero() {
			t.Errorf("key list[%d]: got %+v, want %s read-only %v customers %q revoked %v", i, k, tt.key.KeyID, tt.readOnly, tt.customers, revoked)
		}
		hash := coffer.HashKey(tt.key.PlatformKey)
		for _, secret := range []string{tt.key.PlatformKey, hex.EncodeToString(hash), base64.StdEncoding.EncodeToString(hash), base64.RawURLEncoding.EncodeToString(hash)} {
			if strings.Contains(out, secret) {
				t.Errorf("key list prints a secret or hash of key %s:\n%s", tt.key.KeyID, out)
			}
		}
	}
	cofferRun(t, "key", "list", "--platform", "nobody-corp", "--db", db).wantFailure(t, "does not exist")
}

func TestDatabaseFromEnvironment(t *testing.T) {
	db := filepath.Join(t.TempDir(), "from-env.db")
	env := func(name string) string {
		if name == "COFFER_DB" {
			return db
		}
		return ""
	}
	r := cofferEnv(t, env, "platform", "create", "--name", "env-corp")
	if r.err != nil {
		t.Fatal(r.err)
	}
	newKey(t, r.stdout)
	if r := cofferEnv(t, env, "key", "list", "--platform", "env-corp"); r.err != nil || !strings.Contains(r.stdout, `"keyId"`) {
		t.Errorf("key list with COFFER_DB: got %q, %v", r.stdout, r.err)
	}
	// --db wins over COFFER_DB.
	other := filepath.Join(t.TempDir(), "flag.db")
	if r := cofferEnv(t, env, "platform", "create", "--name", "env-corp", "--db", other); r.err != nil {
		t.Errorf("--db over COFFER_DB: %v", r.err)
	}
	if n, err := openTestStore(t, db).CountPlatforms(context.Background()); err != nil || n != 1 {
		t.Errorf("platforms in COFFER_DB: got %d, %v, want 1", n, err)
	}
	// A mistyped flag prints the usage, which must not print COFFER_DB: a URL may hold a password.
	secret := func(name string) string {
		if name == "COFFER_DB" {
			return "postgres://coffer:hunter2@db.internal/coffer"
		}
		return ""
	}
	for _, cmd := range [][]string{{"serve", "--bogus"}, {"platform", "create", "--bogus"}, {"key", "list", "--bogus"}, {"account", "credit", "--bogus"}} {
		if r := cofferEnv(t, secret, cmd...); r.err == nil || strings.Contains(r.stderr, "hunter2") {
			t.Errorf("coffer %s: got error %v and stderr %q, want a usage error without the database password", strings.Join(cmd, " "), r.err, r.stderr)
		}
	}
}

// server is coffer serve running in the background.
type server struct {
	addr           string
	stdout, stderr *testlog.Buffer
	stop           func() error
}

var listeningRE = regexp.MustCompile(`"msg":"listening","addr":"([^"]+)"`)

// startServe runs coffer serve with args on 127.0.0.1:0 until the test ends, and waits until it
// listens.
func startServe(tb testing.TB, args ...string) *server {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{stdout: &testlog.Buffer{}, stderr: &testlog.Buffer{}}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), noEnv, s.stdout, s.stderr)
	}()
	var once sync.Once
	var stopErr error
	s.stop = func() error {
		once.Do(func() {
			cancel()
			stopErr = <-done
		})
		return stopErr
	}
	tb.Cleanup(func() { s.stop() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := listeningRE.FindStringSubmatch(s.stderr.String()); m != nil {
			s.addr = m[1]
			return s
		}
		select {
		case err := <-done:
			tb.Fatalf("serve returned before listening: %v\n%s", err, s.stderr)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			tb.Fatalf("serve does not listen:\n%s", s.stderr)
		}
	}
}

// get sends GET /raas/v2/customers with a platform's key and returns the status and body.
func (s *server) get(tb testing.TB, platform, key string) (int, string) {
	tb.Helper()
	req, err := http.NewRequest("GET", "http://"+s.addr+"/raas/v2/customers", nil)
	if err != nil {
		tb.Fatal(err)
	}
	req.SetBasicAuth(platform, key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(res.Body)
	return res.StatusCode, b.String()
}

var devKeyRE = regexp.MustCompile(`(?m)^  key: +(\S+)$`)

func TestServeDev(t *testing.T) {
	db := filepath.Join(t.TempDir(), "coffer.db")
	s := startServe(t, "--dev", "--db", db)
	out := s.stdout.String()
	m := devKeyRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("serve --dev printed no key:\n%s", out)
	}
	key := m[1]
	for _, want := range []string{
		"http://" + s.addr + "/raas/v2",
		"platform: sandbox-platform",
		"curl -u 'sandbox-platform:" + key + "' http://" + s.addr + "/raas/v2/customers",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("serve --dev output has no %q:\n%s", want, out)
		}
	}
	if status, body := s.get(t, "sandbox-platform", key); status != http.StatusOK || !strings.Contains(body, `"customerIdentifier":"sandbox-platform"`) {
		t.Errorf("GET with the printed key: got %d %s", status, body)
	}
	if err := s.stop(); err != nil {
		t.Errorf("serve after shutdown: %v", err)
	}

	// A second start finds a platform and creates nothing.
	s = startServe(t, "--dev", "--db", db)
	if out := s.stdout.String(); devKeyRE.MatchString(out) || strings.Contains(out, "Created") || !strings.Contains(out, "http://"+s.addr+"/raas/v2") {
		t.Errorf("serve --dev on a database with a platform printed:\n%s", out)
	}
	if status, _ := s.get(t, "sandbox-platform", key); status != http.StatusOK {
		t.Errorf("GET with the first key: got %d, want 200", status)
	}
	s.stop()
	keys, err := openTestStore(t, db).Keys(context.Background(), "sandbox-platform")
	if err != nil || len(keys) != 1 {
		t.Errorf("sandbox-platform keys: got %d, %v, want 1", len(keys), err)
	}

	// Without --dev nothing is created, even in an empty database.
	empty := filepath.Join(t.TempDir(), "empty.db")
	s = startServe(t, "--db", empty)
	if out := s.stdout.String(); out != "" {
		t.Errorf("serve printed %q, want nothing", out)
	}
	s.stop()
	if n, err := openTestStore(t, empty).CountPlatforms(context.Background()); err != nil || n != 0 {
		t.Errorf("platforms: got %d, %v, want 0", n, err)
	}
}

func TestCommandsWhileServing(t *testing.T) {
	db := filepath.Join(t.TempDir(), "coffer.db")
	first := newKey(t, mustRun(t, "platform", "create", "--name", "acme-corp", "--db", db))
	s := startServe(t, "--db", db)

	// Commands run against the database the server holds open.
	second := newKey(t, mustRun(t, "key", "create", "--platform", "acme-corp", "--db", db))
	if status, _ := s.get(t, "acme-corp", second.PlatformKey); status != http.StatusOK {
		t.Errorf("key created while serving: got %d, want 200", status)
	}
	mustRun(t, "key", "revoke", "--platform", "acme-corp", "--key-id", second.KeyID, "--db", db)
	if status, body := s.get(t, "acme-corp", second.PlatformKey); status != http.StatusUnauthorized || !strings.Contains(body, `"401.002"`) {
		t.Errorf("key revoked while serving: got %d %s, want 401 401.002", status, body)
	}
	if status, _ := s.get(t, "acme-corp", first.PlatformKey); status != http.StatusOK {
		t.Errorf("other key: got %d, want 200", status)
	}
	mustRun(t, "platform", "suspend", "--name", "acme-corp", "--db", db)
	if status, body := s.get(t, "acme-corp", first.PlatformKey); status != http.StatusForbidden || !strings.Contains(body, `"403.020"`) {
		t.Errorf("suspended while serving: got %d %s, want 403 403.020", status, body)
	}
	mustRun(t, "platform", "resume", "--name", "acme-corp", "--db", db)
	if status, _ := s.get(t, "acme-corp", first.PlatformKey); status != http.StatusOK {
		t.Errorf("resumed while serving: got %d, want 200", status)
	}
	// /metrics has the requests by route and the database pools.
	res, err := http.Get("http://" + s.addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	var metrics bytes.Buffer
	metrics.ReadFrom(res.Body)
	res.Body.Close()
	for _, want := range []string{
		`coffer_http_requests_total{method="GET",route="GET /raas/v2/customers",status="401"} 1`,
		`go_sql_max_open_connections{db_name="write"} 1`,
		`go_sql_max_open_connections{db_name="read"} `,
	} {
		if !strings.Contains(metrics.String(), want) {
			t.Errorf("metrics: no %q in\n%s", want, metrics.String())
		}
	}
	if err := s.stop(); err != nil {
		t.Errorf("serve after shutdown: %v", err)
	}
	// The access log went to stderr without the keys.
	for _, secret := range []string{first.PlatformKey, second.PlatformKey} {
		if strings.Contains(s.stderr.String(), secret) {
			t.Errorf("serve logged a key:\n%s", s.stderr)
		}
	}
}
