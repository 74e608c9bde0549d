// Package http serves Coffer's API, Tango RaaS v2 compatible, over net/http: the routes, the
// middleware every request passes through, the JSON views and the wire error body.
package http

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/cofferhq/coffer"
	"github.com/prometheus/client_golang/prometheus"
)

// APIPrefix is the base path of every API route.
const APIPrefix = "/raas/v2"

// MaxBodyBytes bounds a request body.
const MaxBodyBytes = 1 << 20

// Timeouts of the HTTP server, the defaults of Config's fields of the same names. Streamed lists
// extend their write deadline as they go.
const (
	ReadHeaderTimeout = 5 * time.Second
	ReadTimeout       = 30 * time.Second
	WriteTimeout      = 30 * time.Second
	IdleTimeout       = 120 * time.Second
	MaxHeaderBytes    = 64 << 10
	ShutdownTimeout   = 30 * time.Second
	// DefaultRequestTimeout bounds an API request when Config.RequestTimeout is 0.
	DefaultRequestTimeout = 15 * time.Second
)

// Config is what a Server needs.
type Config struct {
	Logger    *slog.Logger
	Platforms coffer.PlatformService
	Customers coffer.CustomerService
	Accounts  coffer.AccountService
	// CursorSecret keys the HMAC of list cursors; every replica must have the same.
	CursorSecret []byte
	// Ping reports whether the database answers, for /readyz.
	Ping func(context.Context) error
	// Registry receives the server's metrics; nil for a new registry.
	Registry *prometheus.Registry
	// RequestTimeout bounds an API request, its database work included, but for the streaming of
	// a list; 0 for DefaultRequestTimeout.
	RequestTimeout time.Duration
	// DrainDelay is how long the server keeps serving, with /readyz answering 503, once shutdown
	// begins and before it stops accepting, so that a load balancer polling /readyz stops
	// sending requests first. Zero stops accepting at once.
	DrainDelay time.Duration
	// RateLimit is how many API requests a second each platform may make, in bursts of up to
	// RateBurst (0: RateLimit rounded up); a platform over it gets 429 and no other platform is
	// slowed. Zero, the default, is no limit: sandboxes and load tests run one platform at full
	// speed.
	RateLimit float64
	RateBurst int
	// The timeouts and header limit of the HTTP server; 0 for the constant of the same name.
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	MaxHeaderBytes    int
}

// Server is the HTTP server of the API.
type Server struct {
	Config
	log      *slog.Logger
	mux      *http.ServeMux
	metrics  *metrics
	cursors  *coffer.CursorCodec
	limiter  *limiter // nil: no rate limit
	stopping atomic.Bool
}

// NewServer returns a server; Serve runs it.
func NewServer(c Config) *Server {
	s := &Server{Config: c, log: c.Logger}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.Registry == nil {
		s.Registry = prometheus.NewRegistry()
	}
	if s.RequestTimeout <= 0 {
		s.RequestTimeout = DefaultRequestTimeout
	}
	for _, d := range []struct {
		field *time.Duration
		def   time.Duration
	}{{&s.ReadHeaderTimeout, ReadHeaderTimeout}, {&s.ReadTimeout, ReadTimeout}, {&s.WriteTimeout, WriteTimeout}, {&s.IdleTimeout, IdleTimeout}} {
		if *d.field <= 0 {
			*d.field = d.def
		}
	}
	if s.MaxHeaderBytes <= 0 {
		s.MaxHeaderBytes = MaxHeaderBytes
	}
	s.limiter = newLimiter(c.RateLimit, c.RateBurst, time.Now)
	s.metrics = newMetrics(s.Registry)
	s.cursors = coffer.NewCursorCodec(c.CursorSecret)
	s.mux = s.routes()
	return s
}

// Serve answers on ln until ctx is done, then waits DrainDelay, stops accepting, lets in-flight
// requests finish (up to ShutdownTimeout) and returns. /readyz answers 503 from the moment
// shutdown begins.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: s.ReadHeaderTimeout,
		ReadTimeout:       s.ReadTimeout,
		WriteTimeout:      s.WriteTimeout,
		IdleTimeout:       s.IdleTimeout,
		MaxHeaderBytes:    s.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	s.stopping.Store(true)
	if s.DrainDelay > 0 {
		t := time.NewTimer(s.DrainDelay)
		select {
		case <-t.C:
		case err := <-done:
			t.Stop()
			return err
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	<-done
	return err
}

// state is what the middleware knows of a request, shared by every layer through the context.
type state struct {
	id        string
	principal *coffer.Principal
	untimed   context.Context // the request's context before the request deadline
	status    int
}

type stateKey struct{}

func stateOf(r *http.Request) *state {
	if st, ok := r.Context().Value(stateKey{}).(*state); ok {
		return st
	}
	return &state{}
}

// ServeHTTP is the outer middleware: request id, panic recovery, content negotiation, body limit,
// access log and metrics; then the routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	st := &state{id: requestID(r.Header.Get("X-Request-Id"))}
	r = r.WithContext(context.WithValue(r.Context(), stateKey{}, st))
	rw := &responseWriter{ResponseWriter: w, s: s, r: r, st: st}
	w.Header().Set("X-REQUEST-ID", st.id)
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				s.finish(r, st, start)
				panic(v)
			}
			err := fmt.Errorf("panic: %v\n%s", v, debug.Stack())
			if rw.wrote {
				// Too late for an error body: log it and cut the connection.
				s.log.LogAttrs(r.Context(), slog.LevelError, "request failed", slog.String("request_id", st.id), slog.String("error", err.Error()))
				s.finish(r, st, start)
				panic(http.ErrAbortHandler)
			}
			s.writeError(rw, r, coffer.Internal(err)) // logs it, once
		}
		s.finish(r, st, start)
	}()
	if strings.HasPrefix(r.URL.Path, APIPrefix+"/") {
		// Every answer of the API is a platform's data or about its credentials: no cache may
		// keep one, errors included (404 and 405 are cacheable by default, RFC 9111 4.2.2).
		w.Header().Set("Cache-Control", "no-store")
		if p := r.URL.Path; path.Clean(p) != strings.TrimSuffix(p, "/") {
			// The mux would redirect an unclean path (//, /./, ..) to its clean form; an API
			// path is spelled exactly or it names no route.
			s.writeError(rw, r, coffer.Errorf(codeRouteNotFound, "404.000", "No route matches %s.", p))
			return
		}
		if !acceptsJSON(r.Header.Values("Accept")) {
			s.writeError(rw, r, coffer.Errorf(codeNotAcceptable, "406.001", "This API answers only application/json."))
			return
		}
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil || !queryIsText(q) {
			// r.URL.Query() would silently drop the pairs that do not decode.
			s.writeError(rw, r, coffer.Errorf(coffer.EINVALID, "400.004", "The query string does not decode to UTF-8 text."))
			return
		}
		if !isText(r.URL.Path) {
			// Such an identifier names nothing, and PostgreSQL refuses it as a parameter.
			s.writeError(rw, r, coffer.Errorf(coffer.EINVALID, "400.004", "The path does not decode to UTF-8 text."))
			return
		}
		// The server's own writer, not rw: through it the server learns that the limit was hit
		// and closes the connection instead of reading the rest of the body.
		r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	}
	s.mux.ServeHTTP(rw, r)
}

// isText reports whether a decoded path or query value is text that a database can hold:
// valid UTF-8 without NUL.
func isText(s string) bool { return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 }

func queryIsText(q url.Values) bool {
	for k, vs := range q {
		if !isText(k) {
			return false
		}
		for _, v := range vs {
			if !isText(v) {
				return false
			}
		}
	}
	return true
}

// finish writes the access log line and the metrics of a request. Neither ever holds the
// Authorization header or the platform key.
func (s *Server) finish(r *http.Request, st *state, start time.Time) {
	d := time.Since(start)
	route := r.Pattern
	if route == "" {
		route = "unmatched"
	}
	if st.status == 0 {
		st.status = http.StatusOK
	}
	s.metrics.observe(route, r.Method, st.status, d)
	platform := ""
	if st.principal != nil {
		platform = st.principal.PlatformName
	}
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
		slog.String("request_id", st.id),
		slog.String("platform", platform),
		slog.String("method", r.Method),
		slog.String("route", route),
		slog.Int("status", st.status),
		slog.Float64("duration_ms", float64(d.Microseconds())/1000))
}

// responseWriter records the status, and turns the ServeMux's own 404 and 405 answers into the
// wire error body. The mux gives those when no route matched, and then leaves r.Pattern empty.
type responseWriter struct {
	http.ResponseWriter
	s         *Server
	r         *http.Request
	st        *state
	wrote     bool // the header is sent
	replacing bool // no route took the request: the mux's 404 or 405 is being replaced
	swallow   bool // the mux's plain-text body is dropped
}

func (w *responseWriter) WriteHeader(code int) {
	if w.wrote {
		return
	}
	if w.r.Pattern == "" && !w.replacing {
		var err error
		switch code {
		case http.StatusNotFound:
			err = coffer.Errorf(codeRouteNotFound, "404.000", "No route matches %s.", w.r.URL.Path)
		case http.StatusMethodNotAllowed:
			err = coffer.Errorf(codeMethodNotAllowed, "405.002", "Method %s is not supported here; see the Allow header.", w.r.Method)
		}
		if err != nil {
			w.replacing = true
			w.Header().Del("X-Content-Type-Options")
			w.s.writeError(w, w.r, err)
			w.swallow = true
			return
		}
	}
	w.wrote = true
	w.st.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *responseWriter) Write(p []byte) (int, error) {
	if w.swallow {
		return len(p), nil
	}
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection (write deadlines, flushes).
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// requestID echoes a sane incoming id (1-64 characters of -_.A-Za-z0-9), else makes a UUID.
func requestID(in string) string {
	if len(in) >= 1 && len(in) <= 64 && strings.Trim(in, "-_.abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == "" {
		return in
	}
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// acceptsJSON reports whether the Accept header values allow application/json. No header means
// anything. The most specific range that names JSON decides (RFC 9110, 12.5.1), so that
// "application/json;q=0, */*" refuses JSON.
func acceptsJSON(values []string) bool {
	if strings.TrimSpace(strings.Join(values, "")) == "" {
		return true // absent, or sent empty: no preference
	}
	best, q := 0, 0.0
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			mt, params, _ := strings.Cut(part, ";")
			var rank int
			switch strings.ToLower(strings.TrimSpace(mt)) {
			case "application/json":
				rank = 3
			case "application/*":
				rank = 2
			case "*/*":
				rank = 1
			default:
				continue
			}
			switch pq := qValue(params); {
			case rank > best:
				best, q = rank, pq
			case rank == best:
				q = max(q, pq)
			}
		}
	}
	return q > 0
}

// qValue returns the q parameter of a media range's parameters, 1 when absent.
func qValue(params string) float64 {
	for _, p := range strings.Split(params, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(k, "q") {
			v = strings.TrimSpace(v)
			if v == "" || strings.Trim(v, "0.") == "" {
				return 0
			}
			return 1
		}
	}
	return 1
}

func (s *Server) livez(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.stopping.Load() {
		s.writeError(w, r, coffer.Errorf(coffer.EUNAVAILABLE, "503.000", "The server is shutting down."))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.Ping(ctx); err != nil {
		if !errors.Is(err, context.DeadlineExceeded) && coffer.ErrorCode(err) != coffer.EUNAVAILABLE {
			err = &coffer.Error{Code: coffer.EUNAVAILABLE, Key: "503.000", Message: "The database is unavailable.", Err: err}
		}
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
