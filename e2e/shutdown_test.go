package e2e

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/testdb"
)

// heldRequest is a request that the server is in the middle of handling: its handler has
// authenticated it and is waiting for the body, which the test sends when it chooses.
type heldRequest struct {
	conn net.Conn
	br   *bufio.Reader
	body string
}

// holdRequest sends the head of a POST with "Expect: 100-continue" and waits for the server's
// "100 Continue", which the server sends only once the handler reads the body: from then on the
// request is in flight inside the server.
func holdRequest(tb testing.TB, s *server, c creds, path, body string) *heldRequest {
	tb.Helper()
	conn, err := net.DialTimeout("tcp", s.Addr, 5*time.Second)
	if err != nil {
		tb.Fatalf("dial %s: %v", s.Addr, err)
	}
	tb.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(clientTimeout))
	auth := base64.StdEncoding.EncodeToString([]byte(c.name + ":" + c.key))
	head := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Basic %s\r\nContent-Type: application/json\r\n"+
		"Content-Length: %d\r\nExpect: 100-continue\r\n\r\n", path, s.Addr, auth, len(body))
	if _, err := io.WriteString(conn, head); err != nil {
		tb.Fatalf("send request head: %v", err)
	}
	br := bufio.NewReader(conn)
	line, err := br.ReadString('\n')
	if err != nil {
		tb.Fatalf("read 100 Continue: %v", err)
	}
	if !strings.HasPrefix(line, "HTTP/1.1 100 ") {
		tb.Fatalf("got %q, want HTTP/1.1 100 Continue", line)
	}
	if blank, err := br.ReadString('\n'); err != nil || blank != "\r\n" {
		tb.Fatalf("end of the 100 Continue: got %q, %v", blank, err)
	}
	return &heldRequest{conn: conn, br: br, body: body}
}

// finish sends the body and reads the whole answer.
func (h *heldRequest) finish(tb testing.TB) *response {
	tb.Helper()
	if _, err := io.WriteString(h.conn, h.body); err != nil {
		tb.Fatalf("send body: %v", err)
	}
	res, err := http.ReadResponse(h.br, nil)
	if err != nil {
		tb.Fatalf("read answer: %v", err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatalf("read answer body: %v", err)
	}
	return &response{Status: res.StatusCode, Header: res.Header, Body: b}
}

// TestGracefulShutdown sends SIGTERM to a server while requests are in flight and others keep
// coming: every request the server had taken gets its whole answer, and the process exits 0.
func TestGracefulShutdown(t *testing.T) {
	testdb.ForEachEngine(t, func(t *testing.T, dsn string) {
		srv := startServer(t, dsn)
		c := createPlatform(t, dsn, "shutdown-platform")

		// Background load: creates and lists until the server stops answering. Whatever answer
		// comes must be whole and never a 5xx.
		var (
			stop      = make(chan struct{})
			wg        sync.WaitGroup
			stopLoad  = sync.OnceFunc(func() { close(stop); wg.Wait() })
			answered  atomic.Int64
			loadMu    sync.Mutex
			loadFails []string
		)
		for w := range 4 {
			wg.Go(func() {
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					method, path, body := "GET", "/raas/v2/customers", ""
					if i%2 == 0 {
						method, path, body = "POST", "/raas/v2/customers", customerBody(fmt.Sprintf("load-%d-%d", w, i))
					}
					ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
					res, err := srv.send(ctx, c, method, path, body)
					cancel()
					if err != nil {
						// The listener is closed: new connections are refused, which is expected.
						continue
					}
					answered.Add(1)
					var v any
					if want := map[string]int{"GET": 200, "POST": 201}[method]; res.Status != want || json.Unmarshal(res.Body, &v) != nil {
						loadMu.Lock()
						loadFails = append(loadFails, fmt.Sprintf("%s %s: %d %s", method, path, res.Status, res.Body))
						loadMu.Unlock()
					}
				}
			})
		}
		t.Cleanup(stopLoad)
		for start := time.Now(); answered.Load() < 20; time.Sleep(10 * time.Millisecond) {
			if time.Since(start) > clientTimeout {
				t.Fatalf("load: %d answers after %v, want 20", answered.Load(), clientTimeout)
			}
		}

		held := make([]*heldRequest, 8)
		for i := range held {
			held[i] = holdRequest(t, srv, c, "/raas/v2/customers", customerBody(fmt.Sprintf("held-%d", i)))
		}
		srv.signal(t, syscall.SIGTERM)

		// Shutdown has begun once the server stops accepting connections.
		deadline := time.Now().Add(10 * time.Second)
		for {
			conn, err := net.DialTimeout("tcp", srv.Addr, time.Second)
			if err != nil {
				// Refused, or reset when the listener closed with the connection in its backlog.
				if !errors.Is(err, syscall.ECONNREFUSED) && !errors.Is(err, syscall.ECONNRESET) {
					t.Fatalf("dial after SIGTERM: got %v, want connection refused", err)
				}
				break
			}
			conn.Close()
			if time.Now().After(deadline) {
				t.Fatal("server still accepts connections 10 s after SIGTERM")
			}
			time.Sleep(10 * time.Millisecond)
		}
		stopLoad()

		for i, h := range held {
			res := h.finish(t)
			if res.Status != http.StatusCreated {
				t.Errorf("held request %d: got %d, want 201: %s", i, res.Status, res.Body)
				continue
			}
			var v struct {
				CustomerIdentifier string `json:"customerIdentifier"`
			}
			if err := json.Unmarshal(res.Body, &v); err != nil || v.CustomerIdentifier != fmt.Sprintf("held-%d", i) {
				t.Errorf("held request %d: body %s (%v)", i, res.Body, err)
			}
		}
		if code := srv.wait(t, stopTimeout); code != 0 {
			t.Errorf("exit code after SIGTERM: got %d, want 0", code)
		}
		for _, f := range loadFails {
			t.Errorf("request under load: %s", f)
		}

		// What the server acknowledged is in the database.
		after := startServer(t, dsn)
		for i := range held {
			if res := after.do(t, c, "GET", fmt.Sprintf("/raas/v2/customers/held-%d", i), ""); res.Status != http.StatusOK {
				t.Errorf("held-%d after restart: got %d, want 200", i, res.Status)
			}
		}
	})
}
