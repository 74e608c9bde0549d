package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// buildCoffer builds the coffer command into dir and returns the binary's path.
func buildCoffer(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "coffer")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/cofferhq/coffer/cmd/coffer")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build coffer: %w\n%s", err, out)
	}
	return bin, nil
}

// credentials are a platform's name and key, as `coffer platform create` prints them.
type credentials struct {
	PlatformName string `json:"platformName"`
	KeyID        string `json:"keyId"`
	PlatformKey  string `json:"platformKey"`
}

// createPlatform runs `coffer platform create` on the database.
func createPlatform(ctx context.Context, bin, db, name string) (credentials, error) {
	var c credentials
	out, err := coffer(ctx, bin, "platform", "create", "--name", name, "--db", db)
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(out, &c); err != nil || c.PlatformKey == "" {
		return c, fmt.Errorf("coffer platform create printed %q", out)
	}
	return c, nil
}

// coffer runs an operator command and returns what it printed.
func coffer(ctx context.Context, bin string, args ...string) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("coffer %s: %w: %s", strings.Join(args[:2], " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// process is a server started by the benchmark: coffer serve or the hello-world server.
type process struct {
	cmd  *exec.Cmd
	addr string // host:port it listens on
	done chan struct{}
	err  error     // of Wait, once done is closed
	keep io.Closer // the hello-world server's stdin, open while it should run

	mu      sync.Mutex
	errLogs int    // log lines at level ERROR
	lastErr string // the last of them
}

// startServer starts `coffer serve` on a free port of 127.0.0.1 and waits until it answers.
// Its log (one JSON line per request) is read and dropped, but for the lines at level ERROR,
// which are counted.
func startServer(ctx context.Context, bin, db string) (*process, error) {
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--db", db)
	stopWithParent(cmd)
	logs, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start coffer serve: %w", err)
	}
	listening := make(chan string, 1)
	go func() {
		p.readLog(logs, listening)
		p.err = cmd.Wait()
		close(p.done)
	}()
	select {
	case p.addr = <-listening:
	case <-p.done:
		return nil, fmt.Errorf("coffer serve exited: %v: %s", p.err, p.lastError())
	case <-time.After(30 * time.Second):
		p.stop()
		return nil, errors.New("coffer serve did not start listening within 30s")
	case <-ctx.Done():
		p.stop()
		return nil, ctx.Err()
	}
	if err := waitReady(ctx, "http://"+p.addr+"/readyz"); err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}

// readLog reads the server's log until it ends, sending the address of the "listening" line.
func (p *process) readLog(r io.Reader, listening chan<- string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if listening != nil && bytes.Contains(line, []byte(`"msg":"listening"`)) {
			var l struct{ Addr string }
			if json.Unmarshal(line, &l) == nil && l.Addr != "" {
				listening <- l.Addr
				listening = nil
			}
		}
		if bytes.Contains(line, []byte(`"level":"ERROR"`)) || !bytes.HasPrefix(line, []byte("{")) {
			p.mu.Lock()
			p.errLogs++
			p.lastErr = string(line)
			p.mu.Unlock()
		}
	}
	io.Copy(io.Discard, r)
}

func (p *process) lastError() string {
	_, last := p.errorLogs()
	return last
}

// errorLogs returns how many log lines at level ERROR the server wrote, and the last of them.
func (p *process) errorLogs() (int, string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.errLogs, p.lastErr
}

// waitReady polls url until it answers 200.
func waitReady(ctx context.Context, url string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready within 30s (last: %v)", url, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// stop asks the process to stop (SIGTERM) and kills it if it has not within ten seconds.
func (p *process) stop() error {
	if p == nil {
		return nil
	}
	select {
	case <-p.done:
		return nil
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
		return errors.New("killed: it did not stop within 10s of SIGTERM")
	}
}

// pid is the process id, for reading its memory.
func (p *process) pid() int { return p.cmd.Process.Pid }

// helloCommand is the hidden argument that makes this program the hello-world server.
const helloCommand = "hello-world-server"

// startHello starts this same program as the hello-world server, so that the baseline is a
// separate process exactly as coffer serve is.
func startHello(ctx context.Context) (*process, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, helloCommand)
	stopWithParent(cmd)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	// The server stops when its stdin closes, which is at the latest when this process exits.
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, done: make(chan struct{}), keep: stdin}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start hello-world server: %w", err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("hello-world server: %w", err)
	}
	p.addr = strings.TrimSpace(line)
	go func() {
		io.Copy(io.Discard, out)
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, waitReady(ctx, "http://"+p.addr+"/")
}

// serveHello is the hello-world server: the smallest net/http handler, on a free port of
// 127.0.0.1 that it prints, until stdin closes or ctx ends.
func serveHello(ctx context.Context, stdin io.Reader, stdout io.Writer) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hello := []byte("hello, world\n")
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write(hello)
	}), ReadHeaderTimeout: 5 * time.Second}
	fmt.Fprintln(stdout, ln.Addr())
	go func() {
		io.Copy(io.Discard, stdin)
		srv.Close()
	}()
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// memory is the resident memory of a process, from /proc/PID/status.
type memory struct {
	rss int64 // VmRSS, bytes
	hwm int64 // VmHWM, the peak of VmRSS, bytes
}

// readMemory reads the resident memory of a process (Linux only).
func readMemory(pid int) (memory, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return memory{}, err
	}
	var m memory
	for _, line := range strings.Split(string(b), "\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok || (name != "VmRSS" && name != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		if err != nil {
			return memory{}, fmt.Errorf("/proc/%d/status: %s: %w", pid, line, err)
		}
		if name == "VmRSS" {
			m.rss = kb << 10
		} else {
			m.hwm = kb << 10
		}
	}
	return m, nil
}

// resetPeak resets a process's VmHWM to its current VmRSS, so that the next reading of VmHWM is
// the peak since now (Linux 4.0 and later).
func resetPeak(pid int) error {
	return os.WriteFile("/proc/"+strconv.Itoa(pid)+"/clear_refs", []byte("5"), 0)
}
