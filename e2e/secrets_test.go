package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/testdb"
)

// TestSecretsNeverLeak runs what an operator and clients do with platform keys (create platforms
// and keys, use them, use wrong ones, revoke one, use it again, cause errors), then searches
// for every key, in each of its forms, everywhere it could have leaked: the database (every row
// of every table as text on PostgreSQL; the bytes of the SQLite file, its WAL and shared memory,
// while the server runs and after it stopped), every line the server logged, what every command
// printed on stderr (and key list on stdout), and every response body and header. What is
// stored for a key is the SHA-256 of the key, and the search must find that hash in the
// database, so that it provably looks where the keys are kept.
func TestSecretsNeverLeak(t *testing.T) {
	testdb.ForEachEngine(t, func(t *testing.T, dsn string) {
		var outputs []string // everything that must not hold a key
		run := func(env []string, args ...string) cliResult {
			t.Helper()
			r := cliEnv(t, env, args...)
			// Named without the value of --key, which holds a key.
			name := strings.Join(args, " ")
			if i := slices.Index(args, "--key"); i >= 0 && i+1 < len(args) {
				name = strings.Join(args[:i+1], " ") + " KEY"
			}
			outputs = append(outputs, fmt.Sprintf("stderr of coffer %s:\n%s", name, r.Stderr))
			return r
		}
		mint := func(args ...string) newKey {
			t.Helper()
			r := run(nil, args...)
			if r.Code != 0 {
				t.Fatalf("coffer %s: exit %d: %s", strings.Join(args, " "), r.Code, r.Stderr)
			}
			var k newKey
			if err := json.Unmarshal([]byte(r.Stdout), &k); err != nil {
				t.Fatalf("coffer %s: %v\n%s", strings.Join(args, " "), err, r.Stdout)
			}
			return k
		}
		alpha := mint("platform", "create", "--name", "secret-alpha", "--db", dsn)
		beta := mint("platform", "create", "--name", "secret-beta", "--db", dsn)
		readOnly := mint("key", "create", "--platform", "secret-alpha", "--read-only", "--db", dsn)
		restricted := mint("key", "create", "--platform", "secret-alpha", "--customers", "team-one", "--db", dsn)
		doomed := mint("key", "create", "--platform", "secret-alpha", "--db", dsn)
		keys := []newKey{alpha, beta, readOnly, restricted, doomed}

		srv := startServer(t, dsn)
		var responses []*response
		do := func(c creds, method, path, body string, want int) {
			t.Helper()
			res := srv.do(t, c, method, path, body)
			responses = append(responses, res)
			if res.Status != want {
				t.Errorf("%s %s as %q: got %d, want %d: %s", method, path, c.name, res.Status, want, res.Body)
			}
		}
		a, b := alpha.creds(), beta.creds()
		do(a, "POST", "/raas/v2/customers", customerBody("team-one"), http.StatusCreated)
		do(a, "POST", "/raas/v2/customers", customerBody("team-one"), http.StatusConflict)
		do(a, "POST", "/raas/v2/customers/team-one/accounts", accountBody("purse"), http.StatusCreated)
		do(a, "PATCH", "/raas/v2/customers/team-one/accounts/purse", `{"displayName":"Purse"}`, http.StatusOK)
		do(a, "PATCH", "/raas/v2/customers/team-one/accounts/purse", `{"contactEmail":""}`, http.StatusBadRequest)
		do(a, "POST", "/raas/v2/customers", `{"customerIdentifier":`, http.StatusBadRequest)
		do(a, "GET", "/raas/v2/accounts?paginate=true&maxResults=1", "", http.StatusOK)
		do(a, "GET", "/raas/v2/accounts?nextCursor=garbage&paginate=true", "", http.StatusBadRequest)
		do(a, "GET", "/raas/v2/accounts/missing", "", http.StatusNotFound)
		do(a, "DELETE", "/raas/v2/customers/team-one", "", http.StatusMethodNotAllowed)
		do(a, "GET", "/raas/v2/nowhere", "", http.StatusNotFound)
		do(b, "GET", "/raas/v2/customers/team-one", "", http.StatusNotFound)
		do(readOnly.creds(), "POST", "/raas/v2/customers", customerBody("team-two"), http.StatusForbidden)
		do(restricted.creds(), "GET", "/raas/v2/customers/secret-alpha", "", http.StatusForbidden)
		do(restricted.creds(), "GET", "/raas/v2/customers/team-one", "", http.StatusOK)
		do(creds{}, "GET", "/raas/v2/customers", "", http.StatusUnauthorized)
		do(creds{"secret-alpha", beta.PlatformKey}, "GET", "/raas/v2/customers", "", http.StatusUnauthorized)
		do(creds{"secret-beta", alpha.PlatformKey}, "GET", "/raas/v2/customers", "", http.StatusUnauthorized)
		do(creds{"secret-alpha", alpha.PlatformKey[:len(alpha.PlatformKey)-1]}, "GET", "/raas/v2/customers", "", http.StatusUnauthorized)
		do(doomed.creds(), "GET", "/raas/v2/customers", "", http.StatusOK)
		if r := run(nil, "key", "revoke", "--platform", "secret-alpha", "--key-id", doomed.KeyID, "--db", dsn); r.Code != 0 {
			t.Fatalf("key revoke: exit %d: %s", r.Code, r.Stderr)
		}
		do(doomed.creds(), "GET", "/raas/v2/customers", "", http.StatusUnauthorized)

		// Commands that fail, and key list, whose output names keys but must not show them.
		list := run(nil, "key", "list", "--platform", "secret-alpha", "--db", dsn)
		outputs = append(outputs, "stdout of coffer key list:\n"+list.Stdout)
		for _, args := range [][]string{
			{"platform", "create", "--name", "secret-alpha", "--db", dsn},
			{"key", "create", "--platform", "no-such-platform", "--db", dsn},
			{"key", "revoke", "--platform", "secret-alpha", "--key-id", "0000000000000000", "--db", dsn},
			{"account", "credit", "--platform", "secret-alpha", "--account", "missing", "--amount", "1.00", "--db", dsn},
			{"key", "create", "--platform", "secret-alpha", "--no-such-flag", "--db", dsn},
		} {
			if r := run(nil, args...); r.Code == 0 {
				t.Errorf("coffer %s: exit 0, want a failure", strings.Join(args, " "))
			}
		}
		// The client commands, with the key in the environment as the usage text suggests.
		env := []string{"COFFER_URL=" + srv.URL, "COFFER_PLATFORM=secret-alpha", "COFFER_KEY=" + alpha.PlatformKey}
		if r := run(env, "customers", "list"); r.Code != 0 {
			t.Errorf("coffer customers list: exit %d: %s", r.Code, r.Stderr)
		}
		for _, args := range [][]string{
			{"customers", "get", "--customer", "nobody"},
			{"customers", "list", "--no-such-flag"},
			{"accounts", "update", "--account", "purse", "--no-such-flag"},
			{"customers", "list", "--key", doomed.PlatformKey},
		} {
			if r := run(env, args...); r.Code == 0 {
				t.Errorf("coffer %s: exit 0, want a failure", strings.Join(args, " "))
			}
		}

		running := dumpDatabase(t, dsn)
		if code := srv.stop(t); code != 0 {
			t.Errorf("server exit code: got %d, want 0", code)
		}
		stopped := dumpDatabase(t, dsn)
		outputs = append(outputs, "server log:\n"+srv.logs.String())
		for _, res := range responses {
			var h bytes.Buffer
			res.Header.Write(&h)
			outputs = append(outputs, fmt.Sprintf("response %d:\n%s\n%s", res.Status, h.String(), res.Body))
		}

		db := openDB(t, dsn)
		for _, k := range keys {
			forms := secretForms(t, k)
			for _, where := range outputs {
				for name, form := range forms {
					if bytes.Contains([]byte(where), form) {
						t.Errorf("key %s (%s) leaked in %s", k.KeyID, name, tail(where, 2000))
					}
				}
			}
			for name, form := range forms {
				if bytes.Contains(running, form) || bytes.Contains(stopped, form) {
					t.Errorf("key %s (%s) is in the database", k.KeyID, name)
				}
			}

			want := sha256.Sum256([]byte(k.PlatformKey))
			var stored []byte
			if err := db.QueryRowContext(context.Background(), `SELECT hash FROM api_keys WHERE id = $1`, k.KeyID).Scan(&stored); err != nil {
				t.Fatalf("stored hash of key %s: %v", k.KeyID, err)
			}
			if !bytes.Equal(stored, want[:]) {
				t.Errorf("key %s: stored %x, want %x, the SHA-256 of the key", k.KeyID, stored, want)
			}
			// The dump must see the hash, or it does not look where the keys are kept.
			hashForm := want[:]
			if strings.HasPrefix(dsn, "postgres") {
				hashForm = []byte(`\x` + hex.EncodeToString(want[:]))
			}
			if !bytes.Contains(stopped, hashForm) {
				t.Errorf("key %s: the database dump does not hold its hash %x: it misses the keys", k.KeyID, want)
			}
		}
	})
}

// secretForms returns the forms in which a key could leak: as given, the random bytes it
// encodes (raw, hex, standard base64) and the value of the Basic Authorization header.
func secretForms(tb testing.TB, k newKey) map[string][]byte {
	tb.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(k.PlatformKey)
	if err != nil || len(raw) < 16 {
		tb.Fatalf("key %s: not URL-safe base64 of at least 16 bytes: %v", k.KeyID, err)
	}
	return map[string][]byte{
		"the key":                 []byte(k.PlatformKey),
		"its bytes":               raw,
		"its bytes in hex":        []byte(hex.EncodeToString(raw)),
		"its bytes in base64":     []byte(base64.StdEncoding.EncodeToString(raw)[:40]),
		"its Authorization value": []byte(base64.StdEncoding.EncodeToString([]byte(k.PlatformName + ":" + k.PlatformKey))),
	}
}

// dumpDatabase returns everything the database holds as bytes: on SQLite the database file and
// its -wal and -shm files; on PostgreSQL every row of every table, as text.
func dumpDatabase(tb testing.TB, dsn string) []byte {
	tb.Helper()
	var out bytes.Buffer
	if !strings.HasPrefix(dsn, "postgres") {
		files, err := filepath.Glob(dsn + "*")
		if err != nil || len(files) == 0 {
			tb.Fatalf("files of %s: %v, %d found", dsn, err, len(files))
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil && !errors.Is(err, os.ErrNotExist) { // -wal and -shm go at a clean close
				tb.Fatal(err)
			}
			out.Write(b)
		}
		return out.Bytes()
	}
	db := openDB(tb, dsn)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tables := queryStrings(tb, ctx, db, `SELECT quote_ident(table_schema) || '.' || quote_ident(table_name)
		FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`)
	if len(tables) == 0 {
		tb.Fatal("no tables in the database")
	}
	for _, table := range tables {
		for _, row := range queryStrings(tb, ctx, db, `SELECT CAST(t AS text) FROM `+table+` AS t`) {
			fmt.Fprintf(&out, "%s: %s\n", table, row)
		}
	}
	return out.Bytes()
}

func queryStrings(tb testing.TB, ctx context.Context, db *sql.DB, query string) []string {
	tb.Helper()
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			tb.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}
