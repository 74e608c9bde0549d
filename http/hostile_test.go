package http_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	cofferhttp "github.com/cofferhq/coffer/http"
	"github.com/cofferhq/coffer/internal/testdb"
)

// TestPathAndQueryNotText checks that a path or query value that is not text (invalid UTF-8, or
// holding NUL, which PostgreSQL cannot take as a parameter) is a 400 on every engine, before it
// reaches the database, and not a 500 on one of them.
func TestPathAndQueryNotText(t *testing.T) {
	forEachEngine(t, func(t *testing.T, ts *testServer) {
		c := ts.platform(t, "platform-one")
		ts.createCustomer(t, c, "cust-1", "One")
		ts.newAccount(t, c, "cust-1", "acct-1")
		tests := []struct{ method, path, body string }{
			{"GET", "/raas/v2/customers/%00abcde", ""},
			{"GET", "/raas/v2/customers/%FFabcde", ""},
			{"GET", "/raas/v2/customers/cust-1%C3/accounts", ""},
			{"POST", "/raas/v2/customers/%00abcde/accounts", `{"accountIdentifier":"acct-2","displayName":"Two","contactEmail":"a@example.com"}`},
			{"PATCH", "/raas/v2/customers/cust-1/accounts/acct-1%00", `{"displayName":"Changed"}`},
			{"PATCH", "/raas/v2/customers/cust-1/accounts/%E2%82", `{"displayName":"Changed"}`},
			{"GET", "/raas/v2/accounts/%00abcde", ""},
			{"GET", "/raas/v2/accounts/%FFabcde", ""},
			{"GET", "/raas/v2/accounts?accountNumber=%00", ""},
			{"GET", "/raas/v2/accounts?accountNumber=A1%FF", ""},
			{"GET", "/raas/v2/accounts?customerIdentifier=%00", ""},
			{"GET", "/raas/v2/accounts?customerIdentifier=cust-1%FF", ""},
			{"GET", "/raas/v2/accounts?displayName=%00", ""},
			{"GET", "/raas/v2/accounts?contactEmail=%00", ""},
			{"GET", "/raas/v2/accounts?fundingNotificationEmail=a%00@example.com", ""},
			{"GET", "/raas/v2/customers/cust-1/accounts?accountNumber=%FF&paginate=true", ""},
			{"GET", "/raas/v2/customers?unknown=%FF", ""},
			{"GET", "/raas/v2/customers?%00=1", ""},
		}
		for _, tt := range tests {
			res := ts.do(t, c, tt.method, tt.path, tt.body)
			if res.Status != http.StatusBadRequest {
				t.Errorf("%s %s: got %d, want 400\n%s", tt.method, tt.path, res.Status, res.Body)
				continue
			}
			res.wantError(t, http.StatusBadRequest, "400.004")
		}
		// Nothing changed, and text still works.
		var a wireAccount
		ts.getJSON(t, c, "/raas/v2/accounts/acct-1", &a)
		if a.DisplayName != "Account acct-1" {
			t.Errorf("displayName: got %q, want unchanged", a.DisplayName)
		}
		ts.do(t, c, "GET", "/raas/v2/accounts?displayName=%C3%A9t%C3%A9", "").wantStatus(t, http.StatusOK)
	})
}

// forbidden are texts that no answer of the API may hold: SQL, driver names and codes, source
// and file system paths (the module's own directory among them), goroutine dumps and panics. The
// generator never puts them in a request, so that an answer echoing the request cannot hold one
// either.
var forbidden = append([]string{"select", "insert", "sqlite", "pgx", "sqlstate", ".go", "/root", "/home", "/tmp", "goroutine", "panic"},
	moduleDir()...)

// moduleDir returns, lowercased, the directory of the module's source, which a stack trace or a
// leaked error would show.
func moduleDir() []string {
	wd, err := os.Getwd() // the package's directory, inside the module
	if dir := filepath.Dir(wd); err == nil && len(dir) > len("/tmp") {
		return []string{strings.ToLower(dir)}
	}
	return nil
}

// containsForbidden returns the first forbidden text in b, without regard to case.
func containsForbidden(b []byte) string {
	lower := bytes.ToLower(b)
	for _, f := range forbidden {
		if bytes.Contains(lower, []byte(f)) {
			return f
		}
	}
	return ""
}

// hostile generates hostile requests from a seeded source: random methods, paths built from the
// routes and from garbage, query strings, headers and bodies.
type hostile struct {
	rng    *rand.Rand
	routes []apiRoute
	auth   []string // Authorization headers: valid ones of two platforms, then wrong ones
}

// hostileRequest is one generated request. target is the request-URI as sent.
type hostileRequest struct {
	method  string
	path    string // escaped
	query   string // raw
	header  http.Header
	body    []byte
	chunked bool
	raw     []byte // when set, the exact bytes sent on a connection of their own
}

func (h *hostile) n(n int) int           { return h.rng.IntN(n) }
func (h *hostile) chance(p float64) bool { return h.rng.Float64() < p }

func pick[T any](h *hostile, list ...T) T { return list[h.rng.IntN(len(list))] }

// text returns a random string of up to n bytes, mixing identifiers, ASCII, control characters,
// NUL, non-ASCII and invalid UTF-8.
func (h *hostile) text(n int) string {
	if n <= 0 {
		return ""
	}
	switch h.n(8) {
	case 0:
		return pick(h, "cust-1", "acct-1", "platform-one", "platform-two", "CUST-1", "cust", "", " ", "null", "0", "-1", "A000000000001")
	case 1:
		return fmt.Sprintf("cust-%d", h.n(40))
	case 2:
		return fmt.Sprintf("acct-%d", h.n(40))
	}
	var b strings.Builder
	size := h.n(n) + 1
	for b.Len() < size {
		switch h.n(10) {
		case 0:
			b.WriteByte(byte(h.n(32))) // control characters, NUL included
		case 1:
			b.WriteString(pick(h, "\xff", "\xc3", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc0\xaf", "\xe2\x82")) // invalid UTF-8
		case 2:
			b.WriteString(pick(h, "é", "日本", "🙂", "\u202e", "\ufeff", "\u0000", "ß", "İ"))
		case 3:
			b.WriteString(pick(h, "%", "%%", "%zz", "%00", "&", "=", "?", "#", "/", "\\", "\"", "'", ";", ",", "..", "+", "*", "@", "<", ">"))
		default:
			b.WriteByte(byte(' ' + h.n(95)))
		}
	}
	return b.String()
}

// escape percent-encodes every byte outside unreserved ASCII, so that any text can travel in a
// request line.
func escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// path returns an escaped request path: mostly a route of routes.go with its wildcards filled,
// sometimes garbage.
func (h *hostile) path() string {
	if h.chance(0.1) {
		return pick(h, "/", "/raas/v2", "/raas/v2/", "/raas/v2/nothing", "/raas/v3/customers", "/livez", "/readyz", "/openapi.json",
			"/raas/v2//customers", "/raas/v2/customers/..", "/raas/v2/./accounts", "/raas/v2/customers%2Fcust-1", "/docs/x",
			"/raas/v2/"+escape(h.text(50)), "/"+escape(h.text(300)))
	}
	r := pick(h, h.routes...)
	p := r.pattern
	for _, w := range r.wildcards() {
		var v string
		switch h.n(6) {
		case 0, 1:
			v = pick(h, "cust-1", "acct-1", "platform-one", "platform-two")
		case 2:
			v = strings.Repeat("a", 1+h.n(3000))
		default:
			v = h.text(40)
		}
		if v == "" {
			v = "x"
		}
		p = strings.Replace(p, "{"+w+"}", escape(v), 1)
	}
	return p
}

// query returns a raw query string: known parameters with good and bad values, unknown ones,
// bad escapes.
func (h *hostile) query() string {
	if h.chance(0.4) {
		return ""
	}
	var parts []string
	for range 1 + h.n(6) {
		name := pick(h, "customerIdentifier", "accountNumber", "displayName", "status", "contactEmail", "currencyCode", "minBalance", "maxBalance",
			"minDateCreatedAt", "maxDateCreatedAt", "fundingNotificationEmail", "paginate", "maxResults", "prevCursor", "nextCursor", "x", escape(h.text(10)))
		var v string
		switch h.n(6) {
		case 0:
			v = pick(h, "true", "TRUE", "false", "active", "DELETED", "usd,EUR", "10", "0", "201", "-1", "1.005", "1e3", "2025-01-01",
				"2025-01-01T00:00:00Z", "2025-02-30", "99999999999999999999", "A000000000001", "a@example.com",
				"AQAAAAAAAAABAAAAAAAAACoAAAGLz8AAAAAAAAAAAAAHabcdefghijklmnopqrstu")
		case 1:
			v = pick(h, "%", "%zz", "%%%", "%00", "%FF", "%C3", "&&&", "===", ";")
		case 2:
			v = escape(strings.Repeat("9", 1+h.n(5000)))
		default:
			v = escape(h.text(60))
		}
		parts = append(parts, name+"="+v)
	}
	return strings.Join(parts, "&")
}

// jsonString returns a JSON string literal of s, or sometimes of raw bytes that are not valid
// UTF-8 or hold unescaped control characters.
func (h *hostile) jsonString(s string) string {
	if h.chance(0.15) {
		return `"` + strings.NewReplacer(`"`, `\"`, `\`, `\\`).Replace(s) + `"` // raw: invalid UTF-8 and control bytes stay
	}
	b, _ := json.Marshal(s)
	return string(b)
}

// value returns a random JSON value of at most the depth.
func (h *hostile) value(depth int) string {
	k := h.n(10)
	if depth <= 0 && k >= 7 {
		k = 0
	}
	switch k {
	case 0, 1, 2:
		return h.jsonString(h.text(80))
	case 3:
		return pick(h, "0", "-1", "1.5", "1e999", "-0", "12345678901234567890123", "0.001", "9127.88")
	case 4:
		return pick(h, "true", "false", "null")
	case 5:
		return pick(h, `""`, `" "`, `"\u0000"`, `"\ud800"`, `"\udfff\ud800"`, `"a\u0007b"`)
	case 6:
		return h.jsonString(strings.Repeat(pick(h, "a", "é", "🙂", " "), 1+h.n(2000)))
	case 7:
		var items []string
		for range h.n(4) {
			items = append(items, h.value(depth-1))
		}
		return "[" + strings.Join(items, ",") + "]"
	default:
		var fields []string
		for range h.n(4) {
			fields = append(fields, h.jsonString(h.text(12))+":"+h.value(depth-1))
		}
		return "{" + strings.Join(fields, ",") + "}"
	}
}

// body returns a request body: mostly JSON objects with the API's fields holding random values;
// also deep nesting, invalid JSON, invalid UTF-8, empty bodies and, rarely, more than 1 MiB.
func (h *hostile) body() []byte {
	switch r := h.n(1000); {
	case r < 2:
		return bytes.Repeat([]byte(`{"displayName":"`+strings.Repeat("x", 1000)+`",`), 1100) // over 1 MiB
	case r < 4:
		return []byte(`{"displayName":"` + strings.Repeat("y", 900_000) + `"}`)
	case r < 60:
		d := 1 + h.n(20000)
		open, close := pick(h, "[", `{"a":`), pick(h, "]", "}")
		return []byte(strings.Repeat(open, d) + "1" + strings.Repeat(close, d))
	case r < 120:
		return []byte(pick(h, "", "{", "}", "null", "[]", `"x"`, "1", "{}{}", `{"a":1}x`, "\xff\xfe{}", `{"a":"\xff"}`, `{'a':1}`, `{"a":1,}`,
			"{\"displayName\":\"a\x00b\"}", `{"displayName":"unterminated`, strings.Repeat(" ", 5000)))
	case r < 200:
		return []byte(h.value(4))
	}
	fields := []string{"customerIdentifier", "displayName", "accountIdentifier", "contactEmail", "currencyCode", "fundingNotification",
		"createdAt", "status", "accounts", "currentBalance", "accountNumber"}
	var parts []string
	for _, f := range fields {
		if h.chance(0.5) {
			continue
		}
		var v string
		switch h.n(5) {
		case 0:
			v = h.value(3)
		case 1:
			if f == "fundingNotification" {
				var items []string
				for range h.n(25) {
					items = append(items, `{"emailAddress":`+h.jsonString(pick(h, "a@example.com", "b@example.com", h.text(30)))+`}`)
				}
				v = "[" + strings.Join(items, ",") + "]"
				break
			}
			fallthrough
		default:
			v = h.jsonString(pick(h, "cust-1", fmt.Sprintf("cust-%d", h.n(40)), fmt.Sprintf("acct-%d", h.n(60)), "Name", "a@example.com",
				"usd", "EUR", "XXX", "platform-one", h.text(30)))
		}
		parts = append(parts, h.jsonString(f)+":"+v)
	}
	return []byte("{" + strings.Join(parts, ",") + "}")
}

// header returns the request's headers.
func (h *hostile) header() http.Header {
	hd := http.Header{}
	if !h.chance(0.1) {
		hd.Set("Authorization", pick(h, h.auth...))
	}
	hd.Set("Content-Type", pick(h, "application/json", "application/json", "application/json; charset=utf-8", "application/JSON",
		"text/plain", "application/json; charset=latin1", "multipart/form-data; boundary=x", ";;;", "application/json;", ""))
	if h.chance(0.2) {
		hd.Set("Accept", pick(h, "*/*", "application/json", "text/html", "application/json;q=0", "application/*;q=0.5", ",,,", "*/*;q=0"))
	}
	if h.chance(0.2) {
		hd.Set("X-Request-Id", pick(h, "abc", strings.Repeat("r", 65), "a b", "é", escape(h.text(20))))
	}
	for range h.n(3) {
		hd.Set("X-"+escape(h.text(8)), escape(h.text(2000)))
	}
	return hd
}

// raw returns bytes that are not a well-formed request, for a connection of their own.
func (h *hostile) raw(auth string) []byte {
	return []byte(pick(h,
		"GET /raas/v2/customers HTTP/1.1\r\nHost: x\r\nAuthorization: "+auth+"\r\nX-Bad: a\x00b\r\n\r\n",
		"GET /raas/v2/customers/\x00abc HTTP/1.1\r\nHost: x\r\nAuthorization: "+auth+"\r\n\r\n",
		"GET /raas/v2/cust\xffomers HTTP/1.1\r\nHost: x\r\nAuthorization: "+auth+"\r\n\r\n",
		"G\x01T /raas/v2/customers HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /raas/v2/customers HTTP/9.9\r\nHost: x\r\n\r\n",
		"GET /raas/v2/customers\r\n\r\n",
		"POST /raas/v2/customers HTTP/1.1\r\nHost: x\r\nAuthorization: "+auth+"\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\n{}{}{}{",
		"POST /raas/v2/customers HTTP/1.1\r\nHost: x\r\nAuthorization: "+auth+"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{}",
		"POST /raas/v2/customers HTTP/1.1\r\nHost: x\r\nAuthorization: "+auth+"\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
		"GET /raas/v2/customers HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n",
		"GET /raas/v2/customers HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n",
		"GET /raas/v2/customers HTTP/1.1\r\nHost: x\r\nX-Big: "+strings.Repeat("b", 100<<10)+"\r\n\r\n",
		"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
		"\r\n\r\n\r\n",
		string(bytes.Repeat([]byte{0xff}, 100)),
	))
}

// request returns the next hostile request.
func (h *hostile) request() hostileRequest {
	for {
		r := h.candidate()
		all := append(append([]byte(r.method+" "+r.path+"?"+r.query), r.body...), r.raw...)
		for k, vs := range r.header {
			all = append(append(all, k...), strings.Join(vs, "")...)
		}
		if containsForbidden(all) == "" {
			return r
		}
	}
}

func (h *hostile) candidate() hostileRequest {
	if h.chance(0.01) {
		return hostileRequest{raw: h.raw(pick(h, h.auth...))}
	}
	r := hostileRequest{
		method: pick(h, "GET", "GET", "GET", "GET", "POST", "POST", "POST", "PATCH", "PATCH", "PUT", "DELETE", "HEAD", "OPTIONS", "TRACE", "FOO", "get"),
		path:   h.path(),
		query:  h.query(),
		header: h.header(),
	}
	if r.method != "GET" && r.method != "HEAD" || h.chance(0.05) {
		r.body = h.body()
		r.chunked = h.chance(0.1)
	}
	return r
}

// hostileCheck sends one request and returns what is wrong with the answer, "" if nothing.
func hostileCheck(client *http.Client, base string, hr hostileRequest) string {
	if hr.raw != nil {
		return hostileRaw(base, hr.raw)
	}
	u, err := url.Parse(base)
	if err != nil {
		return err.Error()
	}
	u.Opaque, u.RawQuery = hr.path, hr.query
	var body io.Reader
	if hr.body != nil {
		body = bytes.NewReader(hr.body)
		if hr.chunked {
			body = io.MultiReader(body) // no length known: sent chunked
		}
	}
	req, err := http.NewRequest(hr.method, base, body)
	if err != nil {
		return fmt.Sprintf("new request: %v", err)
	}
	req.URL = u
	req.Header = hr.header
	res, err := client.Do(req)
	if err != nil {
		return fmt.Sprintf("%s %s?%.100s: %v", hr.method, hr.path, hr.query, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return fmt.Sprintf("%s %s: read: %v", hr.method, hr.path, err)
	}
	what := fmt.Sprintf("%s %.200s?%.200s (%d body bytes) answered %d", hr.method, hr.path, hr.query, len(hr.body), res.StatusCode)
	if res.StatusCode >= 500 {
		return fmt.Sprintf("%s: %.500s", what, b)
	}
	if !strings.HasPrefix(hr.path, cofferhttp.APIPrefix+"/") || hr.method == "HEAD" {
		return "" // static files and metrics may say anything; HEAD has no body
	}
	if f := containsForbidden(b); f != "" {
		return fmt.Sprintf("%s: the body holds %q: %.500s", what, f, b)
	}
	if res.StatusCode >= 400 {
		var e struct {
			RequestID string `json:"requestId"`
			HTTPCode  int    `json:"httpCode"`
			I18nKey   string `json:"i18nKey"`
			Errors    []any  `json:"errors"`
		}
		if err := json.Unmarshal(b, &e); err != nil || e.HTTPCode != res.StatusCode || e.I18nKey == "" || e.Errors == nil ||
			e.RequestID != res.Header.Get("X-Request-Id") {
			return fmt.Sprintf("%s: not the wire error body (%v, X-Request-Id %q): %.3000s", what, err, res.Header.Get("X-Request-Id"), b)
		}
	}
	return ""
}

// hostileRaw writes bytes on a connection of their own and reads whatever comes back: an
// answer, or the server closing the connection.
func hostileRaw(base string, raw []byte) string {
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(base, "http://"), 5*time.Second)
	if err != nil {
		return err.Error()
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	go func() {
		// The server may answer before reading it all. Closing the writing half tells a server
		// that waits for more that there is none, instead of letting it wait for its timeout.
		conn.Write(raw)
		conn.(*net.TCPConn).CloseWrite()
	}()
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return fmt.Sprintf("%.80q: no answer and not closed after 20s", raw)
		}
		return "" // closed without an answer
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	line, _, _ := bytes.Cut(raw, []byte("\r\n"))
	if res.StatusCode == http.StatusHTTPVersionNotSupported && !bytes.Contains(line, []byte(" HTTP/1.")) {
		// net/http's own answer, before any handler, to a version it does not speak: the one
		// 5xx that is right.
		return ""
	}
	if res.StatusCode >= 500 {
		return fmt.Sprintf("%.80q answered %d: %.300s", raw, res.StatusCode, b)
	}
	if f := containsForbidden(b); f != "" {
		return fmt.Sprintf("%.80q answered %d with %q: %.300s", raw, res.StatusCode, f, b)
	}
	return ""
}

// TestHostileRequests sends at least 100,000 generated hostile requests to a running server on
// SQLite (and 20,000 more on PostgreSQL when it is configured) over many keep-alive
// connections: none gets a 5xx, no API answer holds SQL, a driver's name, a file path, a
// goroutine dump or a panic, and every API error is the wire error body that a client can
// decode. Then the server still creates and reads back. COFFER_TEST_SEED repeats a run.
func TestHostileRequests(t *testing.T) {
	seed := testSeed(t)
	for _, e := range testdb.Engines() {
		total := 100_000
		if e.Name != "sqlite" {
			total = 20_000
		}
		if raceDetector {
			total /= 10
		}
		t.Run(e.Name, func(t *testing.T) { hostileRun(t, newTestServer(t, e.DSN(t)), seed, total) })
	}
}

// hostileRun is TestHostileRequests on one server.
func hostileRun(t *testing.T, ts *testServer, seed uint64, total int) {
	const workers = 16
	one := ts.platform(t, "platform-one")
	two := ts.platform(t, "platform-two")
	ts.createCustomer(t, one, "cust-1", "One")
	ts.newAccount(t, one, "cust-1", "acct-1")
	routes := apiRoutes(t)
	auth := []string{basic(one.name, one.key), basic(one.name, one.key), basic(one.name, one.key), basic(two.name, two.key),
		basic(one.name, "wrong"), "Basic !!!", "Bearer x", basic("platform-one", ""), "Basic " + b64(strings.Repeat("x", 3000))}

	client := &http.Client{
		Transport: &http.Transport{MaxConnsPerHost: workers, MaxIdleConnsPerHost: workers, DisableCompression: true},
		Timeout:   30 * time.Second,
	}
	defer client.CloseIdleConnections()
	var sent atomic.Int64
	problems := make(chan string, 20)
	var failed atomic.Int64
	stop := time.Now().Add(3 * time.Minute) // only against a hang
	var wg sync.WaitGroup
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := &hostile{rng: rand.New(rand.NewPCG(seed, uint64(w))), routes: routes, auth: auth}
			for i := w; i < total; i += workers {
				if time.Now().After(stop) {
					return
				}
				p := hostileCheck(client, ts.URL, h.request())
				sent.Add(1)
				if p != "" {
					failed.Add(1)
					select {
					case problems <- fmt.Sprintf("worker %d, request %d: %s", w, i/workers, p):
					default:
					}
				}
			}
		}()
	}
	wg.Wait()
	close(problems)
	for p := range problems {
		t.Error(p)
	}
	if n := failed.Load(); n > 0 {
		t.Errorf("%d of %d requests failed; the first ones are above", n, sent.Load())
	}
	if n := sent.Load(); n < int64(total) {
		t.Fatalf("sent %d requests in %v, want %d", n, time.Since(start), total)
	}
	t.Logf("%d requests in %v", sent.Load(), time.Since(start).Round(time.Millisecond))

	// The server still answers correctly.
	ts.createCustomer(t, one, "after-1", "After")
	a := ts.newAccount(t, one, "after-1", "after-acct-1")
	var got wireAccount
	ts.getJSON(t, one, "/raas/v2/accounts/after-acct-1", &got)
	if got.AccountNumber != a.AccountNumber || got.DisplayName != "Account after-acct-1" {
		t.Errorf("read back: got %+v, want %+v", got, a)
	}
	if ids := ts.listCustomers(t, two); len(ids) == 0 || ids[0] != "platform-two" {
		t.Errorf("platform-two's customers: got %v", ids)
	}
	for _, s := range []string{"panic", "goroutine"} {
		if strings.Contains(ts.Logs.String(), s) {
			t.Errorf("the server logged a %s", s)
		}
	}
}

// TestInvalidValueDecodes checks that an error body stays readable by a client when the value
// it echoes is one that clients cannot decode, such as a number beyond float64 (1e999): the
// whole body must decode with encoding/json, the value echoed as its text.
func TestInvalidValueDecodes(t *testing.T) {
	ts := newTestServer(t, testdb.SQLite(t))
	c := ts.platform(t, "platform-one")
	ts.createCustomer(t, c, "cust-1", "One")
	ts.newAccount(t, c, "cust-1", "acct-1")
	tests := []struct {
		method, path, body string
		field, want        string // the errors item and its invalidValue as compact JSON
	}{
		{"POST", "/raas/v2/customers", `{"customerIdentifier":1e999,"displayName":"One"}`, "customerIdentifier", `"1e999"`},
		{"POST", "/raas/v2/customers", `{"customerIdentifier":"cust-2","displayName":[-1E+400]}`, "displayName", `"[-1E+400]"`},
		{"PATCH", "/raas/v2/customers/cust-1/accounts/acct-1", `{"fundingNotification":{"emailAddress":1e999}}`, "fundingNotification", `"{\"emailAddress\":1e999}"`},
		{"PATCH", "/raas/v2/customers/cust-1/accounts/acct-1", `{"contactEmail":12.5}`, "contactEmail", `12.5`},
		{"PATCH", "/raas/v2/customers/cust-1/accounts/acct-1", `{"displayName":{"a":[1,true,null]}}`, "displayName", `{"a":[1,true,null]}`},
	}
	for _, tt := range tests {
		res := ts.do(t, c, tt.method, tt.path, tt.body)
		var v any
		if err := json.Unmarshal(res.Body, &v); err != nil {
			t.Errorf("%s %s: the error body does not decode: %v\n%s", tt.method, tt.body, err, res.Body)
			continue
		}
		e := res.wantError(t, http.StatusBadRequest, "400.004")
		found := false
		for _, f := range e.Errors {
			if f.Path == tt.field {
				found = true
				if got := string(f.InvalidValue); got != tt.want {
					t.Errorf("%s: invalidValue of %s: got %s, want %s", tt.body, tt.field, got, tt.want)
				}
			}
		}
		if !found {
			t.Errorf("%s: no errors item for %s\n%s", tt.body, tt.field, res.Body)
		}
	}
}
