package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net/http"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cofferhq/coffer"
	cofferhttp "github.com/cofferhq/coffer/http"
	"github.com/cofferhq/coffer/internal/testdb"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"go.yaml.in/yaml/v4"
)

// The API document, openapi.yaml, is enforced on the HTTP tests: send (helpers_test.go) passes
// every exchange through contractTransport, which checks the response of every request under
// /raas/v2 against the document, errors included, and the request too when the server accepted
// it. A violation fails the test that made the request.

// contractChecker holds the loaded document and its router.
type contractChecker struct {
	doc      *openapi3.T
	router   routers.Router
	errorDoc *openapi3.Schema // the Error schema, for answers to requests that match no operation
	options  *openapi3filter.Options
}

// loadContract loads and validates openapi.yaml once for the whole test binary.
var loadContract = sync.OnceValues(func() (*contractChecker, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile("openapi.yaml")
	if err != nil {
		return nil, fmt.Errorf("load openapi.yaml: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("openapi.yaml is not a valid document: %w", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("route openapi.yaml: %w", err)
	}
	errRef := doc.Components.Schemas["Error"]
	if errRef == nil || errRef.Value == nil {
		return nil, errors.New("openapi.yaml has no Error schema")
	}
	email := openapi3.NewCallbackValidator(func(s string) error {
		if !coffer.ValidEmail(s) {
			return errors.New("not a bare address of at most 100 characters")
		}
		return nil
	})
	return &contractChecker{
		doc:      doc,
		router:   router,
		errorDoc: errRef.Value,
		options: &openapi3filter.Options{
			MultiError:            true,
			IncludeResponseStatus: true, // a status the document does not list is a violation
			AuthenticationFunc: func(_ context.Context, in *openapi3filter.AuthenticationInput) error {
				if _, _, ok := in.RequestValidationInput.Request.BasicAuth(); !ok {
					return errors.New("no HTTP Basic credentials")
				}
				return nil
			},
			SchemaValidationOptions: []openapi3.SchemaValidationOption{
				// format: email means the server's own rule.
				openapi3.WithStringFormatValidator("email", email),
			},
		},
	}, nil
})

// mustContract returns the checker, failing the test if the document does not load.
func mustContract(tb testing.TB) *contractChecker {
	tb.Helper()
	c, err := loadContract()
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// pagingParams are ignored by the server unless paginate=true, whatever their value.
var pagingParams = []string{"maxResults", "prevCursor", "nextCursor"}

// check returns the ways in which one exchange breaks the document. The request is checked
// only when the server accepted it (2xx): tests send malformed requests on purpose, and the
// response to those is what the document must describe.
func (c *contractChecker) check(req *http.Request, reqBody []byte, status int, header http.Header, body []byte) []string {
	if req.Method == http.MethodHead || !strings.HasPrefix(req.URL.Path, cofferhttp.APIPrefix+"/") {
		return nil
	}
	var problems []string
	if got := header.Get("X-REQUEST-ID"); got == "" {
		problems = append(problems, "no X-REQUEST-ID header")
	}
	if status >= 400 {
		var e struct {
			RequestID string `json:"requestId"`
			HTTPCode  int    `json:"httpCode"`
		}
		if err := json.Unmarshal(body, &e); err == nil {
			if e.RequestID != header.Get("X-REQUEST-ID") {
				problems = append(problems, fmt.Sprintf("requestId %q is not the X-REQUEST-ID %q", e.RequestID, header.Get("X-REQUEST-ID")))
			}
			if e.HTTPCode != status {
				problems = append(problems, fmt.Sprintf("httpCode %d is not the status %d", e.HTTPCode, status))
			}
		}
	}

	vreq := req.Clone(context.Background())
	vreq.Body = io.NopCloser(bytes.NewReader(reqBody))
	route, params, err := c.router.FindRoute(vreq)
	if err != nil {
		// No operation of the document: a route that does not exist (404) or a method the path
		// does not have (405), answered with the wire error body.
		if status < 400 {
			return append(problems, fmt.Sprintf("status %d for a request that matches no operation (%v)", status, err))
		}
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			return append(problems, fmt.Sprintf("error body is not JSON: %v", err))
		}
		if err := c.errorDoc.VisitJSON(v, openapi3.MultiErrors()); err != nil {
			problems = append(problems, "error body does not match the Error schema: "+err.Error())
		}
		return problems
	}

	in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route, Options: c.options}
	if status >= 200 && status < 300 {
		q := vreq.URL.Query()
		if !strings.EqualFold(q.Get("paginate"), "true") {
			for _, p := range pagingParams {
				q.Del(p)
			}
			vreq.URL.RawQuery = q.Encode()
		}
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			problems = append(problems, "request: "+err.Error())
		}
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                c.options,
	}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		problems = append(problems, "response: "+err.Error())
	}
	return problems
}

// contractTransport checks every exchange it carries against the document and reports each
// violation as an error of the test.
type contractTransport struct {
	tb   testing.TB
	base http.RoundTripper
}

// withContract returns a copy of client whose exchanges are checked against the document.
func withContract(tb testing.TB, client *http.Client) *http.Client {
	if _, ok := client.Transport.(contractTransport); ok {
		return client
	}
	c := *client
	c.Transport = contractTransport{tb: tb, base: client.Transport}
	return &c
}

func (t contractTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	var reqBody []byte
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		reqBody = b
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	res, err := base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	res.Body = io.NopCloser(bytes.NewReader(body))
	c, err := loadContract()
	if err != nil {
		t.tb.Errorf("contract: %v", err)
		return res, nil
	}
	for _, p := range c.check(req, reqBody, res.StatusCode, res.Header, body) {
		t.tb.Errorf("contract: %s %s answered %d, against openapi.yaml: %s", req.Method, req.URL.RequestURI(), res.StatusCode, clip(p, 1500))
	}
	return res, nil
}

// clip shortens a long report: schema errors quote whole schemas.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// TestContractDocument checks that openapi.yaml is a valid OpenAPI 3.0.3 document and that the
// committed openapi.json is the same document.
func TestContractDocument(t *testing.T) {
	c := mustContract(t)
	if c.doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi: got %q, want 3.0.3", c.doc.OpenAPI)
	}
	y, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	j, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var fromYAML any
	if err := yaml.Unmarshal(y, &fromYAML); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	// Through JSON, so that both sides have the same Go types.
	b, err := json.Marshal(fromYAML)
	if err != nil {
		t.Fatalf("openapi.yaml as JSON: %v", err)
	}
	var want, got any
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(j, &got); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("openapi.json is not the document of openapi.yaml: run go generate ./http/")
	}
}

// TestContractServed checks that the server hands out the committed documents and the /docs
// page without credentials.
func TestContractServed(t *testing.T) {
	ts := newTestServer(t, testdb.SQLite(t))
	tests := []struct {
		path, file, contentType string
	}{
		{"/openapi.yaml", "openapi.yaml", "application/yaml; charset=utf-8"},
		{"/openapi.json", "openapi.json", "application/json; charset=utf-8"},
		{"/docs", "docs/index.html", "text/html; charset=utf-8"},
		{"/docs/init.js", "docs/init.js", "text/javascript; charset=utf-8"},
		{"/docs/swagger-ui-bundle.js", "docs/swagger-ui-bundle.js", "text/javascript; charset=utf-8"},
		{"/docs/swagger-ui.css", "docs/swagger-ui.css", "text/css; charset=utf-8"},
	}
	for _, tt := range tests {
		want, err := os.ReadFile(tt.file)
		if err != nil {
			t.Fatal(err)
		}
		res := ts.do(t, creds{}, "GET", tt.path, "")
		res.wantStatus(t, http.StatusOK)
		if !bytes.Equal(res.Body, want) {
			t.Errorf("GET %s: got %d bytes, want the %d of %s", tt.path, len(res.Body), len(want), tt.file)
		}
		if got := res.Header.Get("Content-Type"); got != tt.contentType {
			t.Errorf("GET %s: Content-Type: got %q, want %q", tt.path, got, tt.contentType)
		}
		etag := res.Header.Get("ETag")
		if etag == "" {
			t.Errorf("GET %s: no ETag", tt.path)
			continue
		}
		ts.do(t, creds{}, "GET", tt.path, "", "If-None-Match", etag).wantStatus(t, http.StatusNotModified)
	}
	if csp := ts.do(t, creds{}, "GET", "/docs", "").Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("GET /docs: Content-Security-Policy: got %q, want one that loads nothing from elsewhere", csp)
	}
	// The page loads nothing but what the server serves.
	index, _ := os.ReadFile("docs/index.html")
	for _, ref := range []string{"http:", "https:", "//"} {
		if bytes.Contains(index, []byte(`="`+ref)) {
			t.Errorf("docs/index.html refers to %s", ref)
		}
	}
	for _, path := range []string{"/docs/index.html", "/docs/nothing.js", "/docs/swagger-ui.css.map"} {
		ts.do(t, creds{}, "GET", path, "").wantError(t, http.StatusNotFound, "404.000")
	}
}

// registeredPatterns returns the ServeMux patterns that routes.go registers, read from its
// source: every mux.Handle and mux.HandleFunc call, whose pattern must be a string literal.
func registeredPatterns(tb testing.TB) []string {
	tb.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "routes.go", nil, 0)
	if err != nil {
		tb.Fatal(err)
	}
	var patterns []string
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok || (sel.Sel.Name != "Handle" && sel.Sel.Name != "HandleFunc") {
			return true
		}
		lit, ok := call.Args[0].(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			tb.Fatalf("%s: a route whose pattern is not a string literal", fset.Position(call.Pos()))
		}
		p, err := strconv.Unquote(lit.Value)
		if err != nil {
			tb.Fatal(err)
		}
		patterns = append(patterns, p)
		return true
	})
	if len(patterns) == 0 {
		tb.Fatal("routes.go registers no route")
	}
	return patterns
}

// TestContractRoutes checks that the API routes the server registers and the operations of the
// document are the same set, in both directions, and that each pattern read from routes.go is
// the one the running server matches.
func TestContractRoutes(t *testing.T) {
	c := mustContract(t)
	patterns := registeredPatterns(t)

	var served []string
	for _, p := range patterns {
		method, path, ok := strings.Cut(p, " ")
		if !ok {
			t.Errorf("route %q has no method", p)
			continue
		}
		if rest, ok := strings.CutPrefix(path, cofferhttp.APIPrefix); ok {
			served = append(served, method+" "+rest)
		}
	}
	var documented []string
	for path, item := range c.doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	slices.Sort(served)
	slices.Sort(documented)
	for _, r := range served {
		if !slices.Contains(documented, r) {
			t.Errorf("route %s%s is served but not in openapi.yaml", cofferhttp.APIPrefix, r)
		}
	}
	for _, r := range documented {
		if !slices.Contains(served, r) {
			t.Errorf("operation %s of openapi.yaml is not a route of routes.go", r)
		}
	}
	if len(served) == 0 {
		t.Error("no API route read from routes.go")
	}

	// The patterns read from the source are the ones the server matches: each request is
	// logged with the pattern that took it.
	ts := newTestServer(t, testdb.SQLite(t))
	for i, p := range patterns {
		method, path, _ := strings.Cut(p, " ")
		for {
			open := strings.IndexByte(path, '{')
			if open < 0 {
				break
			}
			end := strings.IndexByte(path[open:], '}')
			path = path[:open] + "abcde" + path[open+end+1:]
		}
		id := "route-" + strconv.Itoa(i)
		ts.do(t, creds{}, method, path, "", "X-Request-Id", id)
		// The log line is written just after the answer is sent.
		for deadline := time.Now().Add(5 * time.Second); !strings.Contains(ts.Logs.String(), `"request_id":"`+id+`"`) && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		if got := ts.accessLog(t, id).Route; got != p {
			t.Errorf("%s %s: matched %q, want %q", method, path, got, p)
		}
	}
}

// TestContractValidator checks that the validator the tests run through catches what it must:
// a response or accepted request that breaks the document, and an error body that is not the
// wire error body.
func TestContractValidator(t *testing.T) {
	c := mustContract(t)
	jsonHeader := func(id string, kv ...string) http.Header {
		h := http.Header{"Content-Type": {"application/json; charset=utf-8"}, "X-Request-Id": {id}}
		for i := 0; i+1 < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	request := func(method, path, body string) *http.Request {
		r, err := http.NewRequest(method, "http://127.0.0.1"+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		r.SetBasicAuth("platform-one", "secret")
		if body != "" {
			r.Header.Set("Content-Type", "application/json")
		}
		return r
	}
	account := `{"accountIdentifier":"acct-1","accountNumber":"A123","displayName":"One","createdAt":"2024-03-11T19:30:55.700Z",` +
		`"status":"ACTIVE","currencyCode":"USD","currentBalance":9127.88,"contactEmail":"a@example.com","fundingNotification":[]}`
	errorBody := func(id string, code int, key string) string {
		return fmt.Sprintf(`{"timestamp":"2026-03-26T19:19:28.564Z","requestId":%q,"path":"/raas/v2/x","httpCode":%d,"httpPhrase":%q,"i18nKey":%q,"message":"m","errors":[]}`,
			id, code, http.StatusText(code), key)
	}
	tests := []struct {
		name             string
		method, path     string
		reqBody          string
		status           int
		header           http.Header
		body             string
		wantProblems     bool
		wantProblemsText string
	}{
		{name: "valid account", method: "GET", path: "/raas/v2/accounts/acct-1", status: 200, header: jsonHeader("r1"), body: account},
		{name: "valid page", method: "GET", path: "/raas/v2/accounts?paginate=true&maxResults=5&currencyCode=usd,EUR&status=active&minDateCreatedAt=2025-01-01", status: 200, header: jsonHeader("r1"),
			body: `{"numberOfElements":1,"maxResults":5,"prevCursor":null,"nextCursor":null,"items":[` + account + `],"prevPageAvailable":false,"nextPageAvailable":false}`},
		{name: "paging parameters ignored without paginate", method: "GET", path: "/raas/v2/accounts?maxResults=abc&nextCursor=x", status: 200, header: jsonHeader("r1"), body: "[" + account + "]"},
		{name: "balance as a string", method: "GET", path: "/raas/v2/accounts/acct-1", status: 200, header: jsonHeader("r1"),
			body: strings.Replace(account, `9127.88`, `"9127.88"`, 1), wantProblems: true},
		{name: "lowercase status", method: "GET", path: "/raas/v2/accounts/acct-1", status: 200, header: jsonHeader("r1"),
			body: strings.Replace(account, `"ACTIVE"`, `"active"`, 1), wantProblems: true},
		{name: "createdAt without milliseconds", method: "GET", path: "/raas/v2/accounts/acct-1", status: 200, header: jsonHeader("r1"),
			body: strings.Replace(account, `55.700Z`, `55Z`, 1), wantProblems: true},
		{name: "missing fundingNotification", method: "GET", path: "/raas/v2/accounts/acct-1", status: 200, header: jsonHeader("r1"),
			body: strings.Replace(account, `,"fundingNotification":[]`, ``, 1), wantProblems: true},
		{name: "undocumented status", method: "GET", path: "/raas/v2/accounts/acct-1", status: 409, header: jsonHeader("r1"),
			body: errorBody("r1", 409, "409.003"), wantProblems: true},
		{name: "no request id", method: "GET", path: "/raas/v2/accounts/acct-1", status: 200, header: http.Header{"Content-Type": {"application/json"}}, body: account, wantProblems: true},
		{name: "documented 404", method: "GET", path: "/raas/v2/accounts/acct-1", status: 404, header: jsonHeader("r1"),
			body: `{"timestamp":"2026-03-26T19:19:28.564Z","requestId":"r1","path":"/raas/v2/accounts/acct-1","httpCode":404,"httpPhrase":"Not Found","i18nKey":"404.003","message":"Account not found.",` +
				`"errors":[{"path":"accountIdentifier","i18nKey":"404.003","message":"m","invalidValue":"acct-1","constraint":"Exists"}]}`},
		{name: "404 with an unknown key", method: "GET", path: "/raas/v2/accounts/acct-1", status: 404, header: jsonHeader("r1"),
			body: errorBody("r1", 404, "404.999"), wantProblems: true},
		{name: "error body without errors", method: "GET", path: "/raas/v2/customers", status: 401, header: jsonHeader("r1", "WWW-Authenticate", `Basic realm="raas"`),
			body: strings.Replace(errorBody("r1", 401, "401.001"), `,"errors":[]`, ``, 1), wantProblems: true},
		{name: "401 without WWW-Authenticate", method: "GET", path: "/raas/v2/customers", status: 401, header: jsonHeader("r1"),
			body: errorBody("r1", 401, "401.001"), wantProblems: true},
		{name: "requestId is not the header", method: "GET", path: "/raas/v2/customers", status: 401, header: jsonHeader("r1", "WWW-Authenticate", `Basic realm="raas"`),
			body: errorBody("r2", 401, "401.001"), wantProblems: true},
		{name: "unknown route, wire error", method: "GET", path: "/raas/v2/nothing", status: 404, header: jsonHeader("r1"), body: errorBody("r1", 404, "404.000")},
		{name: "unknown method, plain text", method: "DELETE", path: "/raas/v2/customers", status: 405, header: http.Header{"X-Request-Id": {"r1"}}, body: "Method Not Allowed", wantProblems: true},
		{name: "unknown route answered 200", method: "GET", path: "/raas/v2/nothing", status: 200, header: jsonHeader("r1"), body: `{}`, wantProblems: true},
		{name: "accepted create", method: "POST", path: "/raas/v2/customers/cust-1/accounts", status: 201,
			reqBody: `{"accountIdentifier":"acct-1","displayName":"One","contactEmail":"a@example.com","currencyCode":"usd","createdAt":null}`,
			header:  jsonHeader("r1", "Location", "/raas/v2/customers/cust-1/accounts/acct-1"), body: account},
		{name: "create without Location", method: "POST", path: "/raas/v2/customers/cust-1/accounts", status: 201,
			reqBody: `{"accountIdentifier":"acct-1","displayName":"One","contactEmail":"a@example.com"}`, header: jsonHeader("r1"), body: account, wantProblems: true},
		{name: "accepted create that the document refuses", method: "POST", path: "/raas/v2/customers/cust-1/accounts", status: 201,
			reqBody: `{"accountIdentifier":"ACCT-1","displayName":"One","contactEmail":"not an address"}`,
			header:  jsonHeader("r1", "Location", "/raas/v2/customers/cust-1/accounts/acct-1"), body: account, wantProblems: true},
		{name: "accepted create with an address the server refuses", method: "POST", path: "/raas/v2/customers/cust-1/accounts", status: 201,
			reqBody: `{"accountIdentifier":"acct-1","displayName":"One","contactEmail":"Ops <ops@example.com>"}`,
			header:  jsonHeader("r1", "Location", "/raas/v2/customers/cust-1/accounts/acct-1"), body: account, wantProblems: true},
		{name: "accepted update with a control character", method: "PATCH", path: "/raas/v2/customers/cust-1/accounts/acct-1", status: 200,
			reqBody: `{"displayName":"One\u0007"}`, header: jsonHeader("r1"), body: account, wantProblems: true},
		{name: "accepted update with nulls", method: "PATCH", path: "/raas/v2/customers/cust-1/accounts/acct-1", status: 200,
			reqBody: `{"displayName":null,"contactEmail":null,"fundingNotification":null,"status":""}`, header: jsonHeader("r1"), body: account},
		{name: "refused create is not checked", method: "POST", path: "/raas/v2/customers/cust-1/accounts", status: 400,
			reqBody: `{"accountIdentifier":"ACCT-1"}`, header: jsonHeader("r1"), body: errorBody("r1", 400, "400.004")},
		{name: "outside the API", method: "GET", path: "/livez", status: 200, header: http.Header{}, body: `{"status":"ok"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			problems := c.check(request(tt.method, tt.path, tt.reqBody), []byte(tt.reqBody), tt.status, tt.header, []byte(tt.body))
			if got := len(problems) > 0; got != tt.wantProblems {
				t.Errorf("problems: got %q, want some: %v", problems, tt.wantProblems)
			}
		})
	}
}

// drifting is a customer service whose customers have a status the document does not allow,
// as a server that drifted from the document would answer.
type drifting struct{ coffer.CustomerService }

func (d drifting) FindCustomer(ctx context.Context, p *coffer.Principal, id string) (*coffer.Customer, error) {
	cu, err := d.CustomerService.FindCustomer(ctx, p, id)
	if err == nil {
		cu.Status = "active"
	}
	return cu, err
}

// TestContractTransport checks, through a real server, that a response that breaks the document
// fails the test that made the request, and that a conforming one does not.
func TestContractTransport(t *testing.T) {
	ts := newTestServerWith(t, testdb.SQLite(t), func(c *cofferhttp.Config) {
		c.Customers = drifting{c.Customers}
	})
	c := ts.platform(t, "platform-one")
	tests := []struct {
		path   string
		failed bool
	}{
		{"/raas/v2/customers", false},
		{"/raas/v2/customers/nobody", false},
		{"/raas/v2/customers/platform-one", true},
	}
	for _, tt := range tests {
		rec := &recordingTB{TB: t}
		req, err := http.NewRequest("GET", ts.URL+tt.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth(c.name, c.key)
		res, err := withContract(rec, http.DefaultClient).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if rec.failed != tt.failed {
			t.Errorf("GET %s: failed: got %v, want %v %q", tt.path, rec.failed, tt.failed, rec.errors)
		}
	}
}

// recordingTB is a testing.TB that records errors instead of failing.
type recordingTB struct {
	testing.TB
	mu     sync.Mutex
	failed bool
	errors []string
}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = true
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
