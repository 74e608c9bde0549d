package e2e

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/cofferhq/coffer/internal/testdb"
)

// TestSQLiteFlushesAcknowledgedWrites shows that on SQLite a write is on disk before it is
// acknowledged, which a kill -9 of the server cannot show (the kernel keeps what a killed
// process wrote): the server runs under strace, which counts its fsync and fdatasync calls; n
// writes are sent one at a time, each answered before the next is sent, so that each is a batch
// of its own, hence a commit of its own, and with synchronous=FULL each commit of the WAL is
// flushed; so the server must make at least n flushes. Under synchronous=NORMAL, OFF, or a store
// that answered before its commit, a WAL commit is not flushed and the count stays near the few
// flushes of start-up and of the checkpoint at shutdown, far below n.
//
// Concurrent writes share a batch and so a commit (sqlstore/batch.go, group commit), and this
// count cannot tell one flush per write from one per batch; their durability rests on two facts
// that sqlstore/batch_test.go checks: a command is answered only after the transaction of its
// batch has committed (and so, with synchronous=FULL, been flushed), and a failed commit fails
// every command of the batch. So every acknowledged write was flushed by the commit of its batch.
func TestSQLiteFlushesAcknowledgedWrites(t *testing.T) {
	strace, err := exec.LookPath("strace")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("strace is needed to count the flushes of the server, and CI is set: %v", err)
		}
		t.Skip("strace not found: install it (apt-get install strace) to count the flushes of the server")
	}
	dsn := testdb.SQLite(t)
	c := createPlatform(t, dsn, "flush-platform") // before the server: its flushes are not counted
	counts := filepath.Join(t.TempDir(), "strace.txt")
	srv := launchUnder(t, []string{strace, "-f", "-c", "-o", counts, "-e", "trace=fsync,fdatasync"}, dsn)
	t.Cleanup(func() {
		// strace leaves the server running when it is stopped itself (as launch's cleanup does)
		// and runs as long as the server does: while strace runs, its child is the server.
		select {
		case <-srv.proc.exited:
		default:
			if pid, err := tracedChild(srv.proc.cmd.Process.Pid); err == nil {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	srv.waitReady(t)

	const n = 40
	for i := range n {
		srv.do(t, c, "POST", "/raas/v2/customers", customerBody(fmt.Sprintf("flushed-%d", i))).wantStatus(t, http.StatusCreated)
	}
	// Stop the server itself, not strace, so that strace counts until the server has exited.
	pid, err := tracedChild(srv.proc.cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM to the server (pid %d): %v", pid, err)
	}
	if code := srv.stop(t); code != 0 {
		t.Fatalf("strace and the server exited with %d, want 0:\n%s", code, tail(srv.logs.String(), 4000))
	}

	out, err := os.ReadFile(counts)
	if err != nil {
		t.Fatal(err)
	}
	flushes := 0
	for _, line := range strings.Split(string(out), "\n") {
		// % time     seconds  usecs/call     calls    errors syscall
		f := strings.Fields(line)
		if len(f) >= 5 && (f[len(f)-1] == "fsync" || f[len(f)-1] == "fdatasync") {
			calls, err := strconv.Atoi(f[3])
			if err != nil {
				t.Fatalf("strace line %q: %v", line, err)
			}
			flushes += calls
		}
	}
	t.Logf("%d writes acknowledged, %d fsync and fdatasync calls:\n%s", n, flushes, out)
	if flushes < n {
		t.Errorf("the server made %d fsync and fdatasync calls for %d acknowledged writes, each its own commit: want at least %d", flushes, n, n)
	}
}

// tracedChild returns the pid of the process that the strace process with pid started.
func tracedChild(pid int) (int, error) {
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	if err != nil {
		return 0, err
	}
	for _, f := range tasks {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if fields := strings.Fields(string(b)); len(fields) > 0 {
			return strconv.Atoi(fields[0])
		}
	}
	return 0, fmt.Errorf("strace (pid %d) has no child process", pid)
}
