package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/cofferhq/coffer/internal/testlog"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cofferhq/coffer/sqlstore"
)

// Bounds of the tests: generous, so that a slow machine passes, and finite, so that a hang fails.
const (
	clientTimeout  = 30 * time.Second // one HTTP request
	startTimeout   = 60 * time.Second // a server process becoming ready
	stopTimeout    = 40 * time.Second // a server process exiting after SIGTERM (shutdown waits up to 30 s)
	commandTimeout = 60 * time.Second // one operator command
)

// client is the HTTP client of every test: keep-alive connections, enough of them for the
// concurrent tests, and a timeout on every request.
var client = &http.Client{
	Timeout:   clientTimeout,
	Transport: &http.Transport{MaxIdleConnsPerHost: 128, IdleConnTimeout: 30 * time.Second},
}

// freePort returns a port of 127.0.0.1 that nothing listens on now. Another process may take it
// before it is used; the callers start over on a new port when that happens.
func freePort(tb testing.TB) int {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("find a free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// process is a child process that is killed if the test binary dies first, so that no server
// outlives the tests.
type process struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed once the process has exited and cmd.ProcessState is set
}

// startProcess starts cmd. The kernel kills the child when the thread that started it ends
// (Pdeathsig), so that thread is locked and kept until the child exits.
func startProcess(cmd *exec.Cmd) (*process, error) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	p := &process{cmd: cmd, exited: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with this goroutine, after the child
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		cmd.Wait()
		close(p.exited)
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return p, nil
}

// server is a `coffer serve` process listening on 127.0.0.1.
type server struct {
	URL  string // http://127.0.0.1:PORT, without /raas/v2
	Addr string
	DSN  string
	args []string
	wrap []string // a command that runs the server, such as strace and its flags; nil for none
	proc *process
	logs *testlog.Buffer // everything the process printed
	once sync.Once
	code int // exit code, once stopped
}

// launch starts `coffer serve --addr 127.0.0.1:PORT --db dsn [args]` on a free port and returns
// at once; waitReady waits for it. The process is stopped when the test ends.
func launch(tb testing.TB, dsn string, args ...string) *server {
	tb.Helper()
	return launchUnder(tb, nil, dsn, args...)
}

// launchUnder is launch with the server run by the wrap command (such as strace): the process
// started is wrap[0], with the rest of wrap and then the coffer command line as arguments.
func launchUnder(tb testing.TB, wrap []string, dsn string, args ...string) *server {
	tb.Helper()
	s := &server{DSN: dsn, args: args, wrap: wrap}
	s.spawn(tb)
	tb.Cleanup(func() {
		s.stop(tb)
		if tb.Failed() {
			tb.Logf("log of the server on %s:\n%s", s.Addr, tail(s.logs.String(), 8000))
		}
	})
	return s
}

func (s *server) spawn(tb testing.TB) {
	tb.Helper()
	s.Addr = "127.0.0.1:" + strconv.Itoa(freePort(tb))
	s.URL = "http://" + s.Addr
	s.logs = &testlog.Buffer{}
	argv := append([]string{cofferBin, "serve", "--addr", s.Addr, "--db", s.DSN}, s.args...)
	argv = append(append([]string{}, s.wrap...), argv...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = s.logs, s.logs
	p, err := startProcess(cmd)
	if err != nil {
		tb.Fatalf("start coffer serve: %v", err)
	}
	s.proc = p
}

// startServer launches a server and waits until it is ready.
func startServer(tb testing.TB, dsn string, args ...string) *server {
	tb.Helper()
	s := launch(tb, dsn, args...)
	s.waitReady(tb)
	return s
}

// waitReady waits until /readyz answers 200. A server that lost its port to another process
// before it could listen is started again on another port.
func (s *server) waitReady(tb testing.TB) {
	tb.Helper()
	deadline := time.Now().Add(startTimeout)
	for attempt := 1; ; {
		select {
		case <-s.proc.exited:
			if strings.Contains(s.logs.String(), "address already in use") && attempt < 3 {
				attempt++
				s.spawn(tb)
				continue
			}
			tb.Fatalf("coffer serve exited before it was ready (%v):\n%s", s.proc.cmd.ProcessState, tail(s.logs.String(), 4000))
		default:
		}
		if time.Now().After(deadline) {
			tb.Fatalf("coffer serve on %s not ready after %v:\n%s", s.Addr, startTimeout, tail(s.logs.String(), 4000))
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		res, err := s.send(ctx, creds{}, "GET", "/readyz", "")
		cancel()
		if err == nil && res.Status == http.StatusOK {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// signal sends sig to the server process.
func (s *server) signal(tb testing.TB, sig syscall.Signal) {
	tb.Helper()
	if err := s.proc.cmd.Process.Signal(sig); err != nil {
		tb.Fatalf("signal %v: %v", sig, err)
	}
}

// wait waits for the process to exit and returns its exit code; the test fails if it takes longer
// than limit, and the process is then killed.
func (s *server) wait(tb testing.TB, limit time.Duration) int {
	tb.Helper()
	select {
	case <-s.proc.exited:
		return s.proc.cmd.ProcessState.ExitCode()
	case <-time.After(limit):
		s.proc.cmd.Process.Kill()
		<-s.proc.exited
		tb.Errorf("coffer serve on %s still running %v after it was told to stop; killed", s.Addr, limit)
		return -1
	}
}

// stop sends SIGTERM once and waits for the exit; it returns the exit code.
func (s *server) stop(tb testing.TB) int {
	tb.Helper()
	s.once.Do(func() {
		select {
		case <-s.proc.exited:
		default:
			s.proc.cmd.Process.Signal(syscall.SIGTERM)
		}
		s.code = s.wait(tb, stopTimeout)
	})
	return s.code
}

// creds are HTTP Basic credentials; the zero value sends none.
type creds struct{ name, key string }

// response is an answer of a server, with its body read in full.
type response struct {
	Status  int
	Header  http.Header
	Body    []byte
	Elapsed time.Duration // from sending the request to the end of the body
}

// send makes a request and reads the whole answer. It does not touch the test, so that load
// goroutines can call it. A body, when not "", is sent as application/json.
func (s *server) send(ctx context.Context, c creds, method, path, body string) (*response, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.URL+path, rd)
	if err != nil {
		return nil, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c != (creds{}) {
		req.SetBasicAuth(c.name, c.key)
	}
	start := time.Now()
	res, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: read body: %w", method, path, err)
	}
	return &response{Status: res.StatusCode, Header: res.Header, Body: b, Elapsed: time.Since(start)}, nil
}

// do makes a request and fails the test if no answer comes.
func (s *server) do(tb testing.TB, c creds, method, path, body string) *response {
	tb.Helper()
	res, err := s.send(context.Background(), c, method, path, body)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	return res
}

// JSON decodes the body into v, failing the test if it is not JSON.
func (r *response) JSON(tb testing.TB, v any) {
	tb.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		tb.Fatalf("body is not JSON: %v\n%s", err, r.Body)
	}
}

// wantStatus fails the test unless the response has the status.
func (r *response) wantStatus(tb testing.TB, status int) {
	tb.Helper()
	if r.Status != status {
		tb.Fatalf("status: got %d, want %d\n%s", r.Status, status, r.Body)
	}
}

// wireError is the wire error body as a client reads it.
type wireError struct {
	Timestamp  string            `json:"timestamp"`
	RequestID  string            `json:"requestId"`
	Path       string            `json:"path"`
	HTTPCode   int               `json:"httpCode"`
	HTTPPhrase string            `json:"httpPhrase"`
	I18nKey    string            `json:"i18nKey"`
	Message    string            `json:"message"`
	Errors     []json.RawMessage `json:"errors"`
}

// checkError returns why the response is not the wire error body with the status and i18n key,
// or nil. It does not touch the test, so that load goroutines can call it.
func (r *response) checkError(status int, key string) error {
	if r.Status != status {
		return fmt.Errorf("status: got %d, want %d: %s", r.Status, status, r.Body)
	}
	var e wireError
	if err := json.Unmarshal(r.Body, &e); err != nil {
		return fmt.Errorf("error body is not JSON: %v: %s", err, r.Body)
	}
	var problems []string
	if e.I18nKey != key {
		problems = append(problems, fmt.Sprintf("i18nKey: got %q, want %q", e.I18nKey, key))
	}
	if e.HTTPCode != status || e.HTTPPhrase != http.StatusText(status) {
		problems = append(problems, fmt.Sprintf("httpCode/httpPhrase: got %d %q, want %d %q", e.HTTPCode, e.HTTPPhrase, status, http.StatusText(status)))
	}
	if e.RequestID == "" || e.RequestID != r.Header.Get("X-Request-Id") {
		problems = append(problems, fmt.Sprintf("requestId %q does not match X-REQUEST-ID %q", e.RequestID, r.Header.Get("X-Request-Id")))
	}
	if e.Message == "" || e.Timestamp == "" || e.Path == "" {
		problems = append(problems, "message, timestamp or path missing")
	}
	if e.Errors == nil {
		problems = append(problems, "errors: got null or missing, want a list")
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		problems = append(problems, fmt.Sprintf("Content-Type: got %q", ct))
	}
	if problems != nil {
		return fmt.Errorf("%s: %s", strings.Join(problems, "; "), r.Body)
	}
	return nil
}

// wantError fails the test unless the response is the wire error body with the status and key.
func (r *response) wantError(tb testing.TB, status int, key string) {
	tb.Helper()
	if err := r.checkError(status, key); err != nil {
		tb.Fatal(err)
	}
}

// cliResult is what an operator command printed and how it exited.
type cliResult struct {
	Stdout, Stderr string
	Code           int
}

// cli runs the coffer command line with args, as an operator would, and returns its output.
func cli(tb testing.TB, args ...string) cliResult {
	tb.Helper()
	return cliEnv(tb, nil, args...)
}

// cliEnv runs the coffer command line with variables added to its environment.
func cliEnv(tb testing.TB, env []string, args ...string) cliResult {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, cofferBin, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		tb.Fatalf("coffer %s: %v", strings.Join(args, " "), err)
	}
	if ctx.Err() != nil {
		tb.Fatalf("coffer %s: still running after %v", strings.Join(args, " "), commandTimeout)
	}
	return cliResult{Stdout: stdout.String(), Stderr: stderr.String(), Code: cmd.ProcessState.ExitCode()}
}

// newKey is the JSON that `coffer platform create` and `coffer key create` print.
type newKey struct {
	PlatformName string `json:"platformName"`
	KeyID        string `json:"keyId"`
	PlatformKey  string `json:"platformKey"`
}

func (k newKey) creds() creds { return creds{k.PlatformName, k.PlatformKey} }

// mustKey runs an operator command that prints a new key and returns it.
func mustKey(tb testing.TB, args ...string) newKey {
	tb.Helper()
	r := cli(tb, args...)
	if r.Code != 0 {
		tb.Fatalf("coffer %s: exit %d: %s", strings.Join(args, " "), r.Code, r.Stderr)
	}
	var k newKey
	if err := json.Unmarshal([]byte(r.Stdout), &k); err != nil {
		tb.Fatalf("coffer %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, r.Stdout)
	}
	return k
}

// createPlatform creates a platform with `coffer platform create` and returns its key.
func createPlatform(tb testing.TB, dsn, name string) creds {
	tb.Helper()
	return mustKey(tb, "platform", "create", "--name", name, "--db", dsn).creds()
}

// customerBody is the JSON body that creates a customer.
func customerBody(id string) string {
	return fmt.Sprintf(`{"customerIdentifier":%q,"displayName":"Customer %s"}`, id, id)
}

// openDB opens the database of dsn directly, to look at what the servers stored: a SQLite file
// read-only, as the store's own readers open it, or a PostgreSQL database. It is closed when the
// test ends.
func openDB(tb testing.TB, dsn string) *sql.DB {
	tb.Helper()
	driver, src := "sqlite", sqlstore.SQLiteDSN(dsn, true)
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		driver, src = "pgx", dsn
	}
	db, err := sql.Open(driver, src)
	if err != nil {
		tb.Fatalf("open %s: %v", dsn, err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// tail returns the end of s, at most n bytes.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}
