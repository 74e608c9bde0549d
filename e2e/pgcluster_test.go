package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/testdb"
)

// pgCluster is a PostgreSQL server of the test's own, in a temporary directory, on a free port of
// 127.0.0.1 with trust authentication: a test may stop and start it without touching any other
// PostgreSQL on the machine.
type pgCluster struct {
	URL  string // postgres://postgres@127.0.0.1:PORT/postgres?sslmode=disable
	bin  string // directory of initdb and pg_ctl
	dir  string // owned by the user that runs PostgreSQL
	data string
	port int
	cred *syscall.Credential // nil: run as the current user
}

// postgresBinDir finds the directory of initdb and pg_ctl: on the PATH, else the newest
// /usr/lib/postgresql/VERSION/bin (Debian and Ubuntu do not put them on the PATH).
func postgresBinDir() string {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if _, err := os.Stat(filepath.Join(filepath.Dir(p), "initdb")); err == nil {
			return filepath.Dir(p)
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[i])))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[j])))
		return vi > vj
	})
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d
		}
	}
	return ""
}

// startPGCluster creates and starts a cluster, removed when the test ends. Without PostgreSQL's
// binaries the test is skipped, unless COFFER_TEST_POSTGRES says PostgreSQL is required. PostgreSQL
// refuses to run as root, so as root the cluster belongs to the postgres user.
func startPGCluster(tb testing.TB) *pgCluster {
	tb.Helper()
	bin := postgresBinDir()
	if bin == "" {
		if os.Getenv(testdb.PostgresEnv) == "" {
			tb.Skipf("PostgreSQL binaries (initdb, pg_ctl) not found on the PATH or in /usr/lib/postgresql/*/bin; install PostgreSQL to run this test")
		}
		tb.Fatalf("%s is set but PostgreSQL binaries (initdb, pg_ctl) are not found on the PATH or in /usr/lib/postgresql/*/bin", testdb.PostgresEnv)
	}
	c := &pgCluster{bin: bin}
	dir, err := os.MkdirTemp("", "coffer-e2e-pg-")
	if err != nil {
		tb.Fatal(err)
	}
	c.dir, c.data = dir, filepath.Join(dir, "data")
	tb.Cleanup(func() {
		c.pgCtl(context.Background(), "stop", "-m", "immediate") // error when it is not running
		os.RemoveAll(dir)
	})
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			tb.Fatalf("PostgreSQL does not run as root and there is no postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			tb.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if out, err := c.command(ctx, "initdb", "-D", c.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync").CombinedOutput(); err != nil {
		tb.Fatalf("initdb: %v\n%s", err, out)
	}
	for attempt := 1; ; attempt++ {
		c.port = freePort(tb)
		out, err := c.pgCtl(ctx, "start", "-o", fmt.Sprintf("-p %d -k %s -h 127.0.0.1", c.port, c.dir))
		if err == nil {
			break
		}
		if attempt == 3 {
			tb.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, c.log())
		}
	}
	c.URL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
	return c
}

// command prepares one of PostgreSQL's programs, as the cluster's user.
func (c *pgCluster) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, name), args...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	return cmd
}

// pgCtl runs pg_ctl on the cluster and waits for it to finish what it was asked.
func (c *pgCluster) pgCtl(ctx context.Context, args ...string) ([]byte, error) {
	args = append([]string{"-D", c.data, "-l", filepath.Join(c.dir, "log"), "-w", "-t", "60"}, args...)
	return c.command(ctx, "pg_ctl", args...).CombinedOutput()
}

// stop stops the cluster as an operator would for a restart: connections are terminated and
// in-flight transactions rolled back.
func (c *pgCluster) stop(tb testing.TB) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if out, err := c.pgCtl(ctx, "stop", "-m", "fast"); err != nil {
		tb.Fatalf("pg_ctl stop: %v\n%s", err, out)
	}
}

// start starts the stopped cluster again on the same port.
func (c *pgCluster) start(tb testing.TB) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if out, err := c.pgCtl(ctx, "start", "-o", fmt.Sprintf("-p %d -k %s -h 127.0.0.1", c.port, c.dir)); err != nil {
		tb.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, c.log())
	}
}

// log returns the end of the cluster's server log.
func (c *pgCluster) log() string {
	b, _ := os.ReadFile(filepath.Join(c.dir, "log"))
	return tail(strings.TrimSpace(string(b)), 4000)
}
