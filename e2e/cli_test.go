package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/cofferhq/coffer/internal/testdb"
)

// TestOperatorCommandsWithRunningServer runs the operator commands as processes against the
// database a server process is using, and checks that the server sees their effect on the next
// request.
func TestOperatorCommandsWithRunningServer(t *testing.T) {
	testdb.ForEachEngine(t, func(t *testing.T, dsn string) {
		srv := startServer(t, dsn)

		r := cli(t, "platform", "create", "--name", "cli-platform", "--db", dsn)
		if r.Code != 0 || r.Stderr != "" {
			t.Fatalf("platform create: exit %d, stderr %q", r.Code, r.Stderr)
		}
		var out map[string]any
		if err := json.Unmarshal([]byte(r.Stdout), &out); err != nil {
			t.Fatalf("platform create: output is not JSON: %v\n%s", err, r.Stdout)
		}
		if len(out) != 3 || out["platformName"] != "cli-platform" {
			t.Errorf("platform create: got %v, want platformName, keyId and platformKey", out)
		}
		first := newKey{}
		for name, dst := range map[string]*string{"platformName": &first.PlatformName, "keyId": &first.KeyID, "platformKey": &first.PlatformKey} {
			s, ok := out[name].(string)
			if !ok || s == "" {
				t.Fatalf("platform create: %s is %v, want a non-empty string", name, out[name])
			}
			*dst = s
		}

		// The running server takes the new platform's key, and lists its own group.
		res := srv.do(t, first.creds(), "GET", "/raas/v2/customers", "")
		res.wantStatus(t, http.StatusOK)
		var list []struct {
			CustomerIdentifier string `json:"customerIdentifier"`
		}
		res.JSON(t, &list)
		if len(list) != 1 || list[0].CustomerIdentifier != "cli-platform" {
			t.Errorf("customers of a new platform: got %+v, want its own group cli-platform", list)
		}

		second := mustKey(t, "key", "create", "--platform", "cli-platform", "--db", dsn)
		srv.do(t, second.creds(), "GET", "/raas/v2/customers", "").wantStatus(t, http.StatusOK)

		r = cli(t, "key", "list", "--platform", "cli-platform", "--db", dsn)
		if r.Code != 0 {
			t.Fatalf("key list: exit %d: %s", r.Code, r.Stderr)
		}
		var keys []struct {
			KeyID string `json:"keyId"`
		}
		if err := json.Unmarshal([]byte(r.Stdout), &keys); err != nil {
			t.Fatalf("key list: output is not JSON: %v\n%s", err, r.Stdout)
		}
		if len(keys) != 2 || keys[0].KeyID != first.KeyID || keys[1].KeyID != second.KeyID {
			t.Errorf("key list: got %+v, want the keys %s and %s", keys, first.KeyID, second.KeyID)
		}
		for _, secret := range []string{first.PlatformKey, second.PlatformKey} {
			if strings.Contains(r.Stdout, secret) {
				t.Errorf("key list prints a secret:\n%s", r.Stdout)
			}
		}

		r = cli(t, "key", "revoke", "--platform", "cli-platform", "--key-id", second.KeyID, "--db", dsn)
		if r.Code != 0 {
			t.Fatalf("key revoke: exit %d: %s", r.Code, r.Stderr)
		}
		srv.do(t, second.creds(), "GET", "/raas/v2/customers", "").wantError(t, http.StatusUnauthorized, "401.002")
		srv.do(t, first.creds(), "GET", "/raas/v2/customers", "").wantStatus(t, http.StatusOK)
	})
}

// TestOperatorCommandRefusals checks that a command that refuses says why on one line of stderr,
// prints nothing on stdout and exits non-zero, also while a server uses the database.
func TestOperatorCommandRefusals(t *testing.T) {
	testdb.ForEachEngine(t, func(t *testing.T, dsn string) {
		startServer(t, dsn)
		createPlatform(t, dsn, "taken-platform")
		tests := []struct {
			name string
			args []string
		}{
			{"duplicate platform", []string{"platform", "create", "--name", "taken-platform"}},
			{"platform name too short", []string{"platform", "create", "--name", "abcd"}},
			{"key of an unknown platform", []string{"key", "create", "--platform", "no-such-platform"}},
			{"keys of an unknown platform", []string{"key", "list", "--platform", "no-such-platform"}},
			{"revoke an unknown key", []string{"key", "revoke", "--platform", "taken-platform", "--key-id", "no-such-key"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := cli(t, append(tt.args, "--db", dsn)...)
				if r.Code == 0 {
					t.Errorf("exit code: got 0, want non-zero; stdout %q", r.Stdout)
				}
				if r.Stdout != "" {
					t.Errorf("stdout: got %q, want nothing", r.Stdout)
				}
				if line := strings.TrimSuffix(r.Stderr, "\n"); line == "" || strings.Contains(line, "\n") || !strings.HasSuffix(r.Stderr, "\n") {
					t.Errorf("stderr: got %q, want one line", r.Stderr)
				}
			})
		}
	})
}
