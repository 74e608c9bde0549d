package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"

	cofferhttp "github.com/cofferhq/coffer/http"
	"github.com/cofferhq/coffer/sqlstore"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// devPlatform is the platform that serve --dev creates in an empty database.
const devPlatform = "sandbox-platform"

// flags returns a flag set for a command that reports its own errors on stderr.
func flags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return usageError{}
		}
		return usageError{}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))}
	}
	return nil
}

// dbFlag declares --db, defaulting to COFFER_DB, else coffer.db in the working directory.
func dbFlag(fs *flag.FlagSet, getenv func(string) string) *string {
	v := &unprintedString{value: getenv("COFFER_DB")}
	if v.value == "" {
		v.value = "coffer.db"
	}
	fs.Var(v, "db", "the `DB`: a SQLite file path or a postgres:// URL (default: COFFER_DB, else coffer.db)")
	return &v.value
}

// unprintedString is a string flag whose value the usage text never prints: a database URL
// may hold a password, and usage is printed on any mistyped flag.
type unprintedString struct{ value string }

func (u *unprintedString) String() string     { return "" }
func (u *unprintedString) Set(v string) error { u.value = v; return nil }

// openStore opens the database for a command.
func openStore(ctx context.Context, dsn string, opt sqlstore.Options) (*sqlstore.Store, error) {
	s, err := sqlstore.Open(ctx, dsn, opt)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	return s, nil
}

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flags("serve", stderr)
	defAddr := getenv("COFFER_ADDR")
	if defAddr == "" {
		defAddr = "127.0.0.1:8080"
	}
	addr := fs.String("addr", defAddr, "address to listen on (env COFFER_ADDR)")
	db := dbFlag(fs, getenv)
	dev := fs.Bool("dev", false, "create the platform "+devPlatform+" and print its key if the database has no platform")
	maxConns := fs.Int("max-conns", 0, fmt.Sprintf("database connections at most: PostgreSQL pool (default %d), SQLite readers (default 2 per core, at least 4)", sqlstore.DefaultMaxConns))
	timeout := fs.Duration("request-timeout", cofferhttp.DefaultRequestTimeout, "bound of an API request and its database work (streamed lists excepted)")
	drain := fs.Duration("drain-delay", 0, "on SIGINT/SIGTERM, keep serving this long with /readyz answering 503 before refusing new connections")
	maxIdle := fs.Int("max-idle-conns", 0, fmt.Sprintf("idle PostgreSQL connections kept (default %d)", sqlstore.DefaultMaxIdleConns))
	rateLimit := fs.Float64("rate-limit", 0, "API requests a second per platform, beyond which it gets 429 (0: no limit)")
	rateBurst := fs.Int("rate-burst", 0, "requests a platform may send at once within --rate-limit (default: the rate, rounded up)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *rateLimit < 0 || *rateBurst < 0 {
		return usageError{"serve: --rate-limit and --rate-burst must not be negative"}
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil))

	store, err := openStore(ctx, *db, sqlstore.Options{MaxConns: *maxConns, MaxIdleConns: *maxIdle})
	if err != nil {
		return err
	}
	defer store.Close()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	if *dev {
		if err := devStart(ctx, store, ln.Addr().String(), stdout); err != nil {
			return err
		}
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for name, pool := range store.DBs() {
		reg.MustRegister(collectors.NewDBStatsCollector(pool, name))
	}
	srv := cofferhttp.NewServer(cofferhttp.Config{
		Logger:         log,
		Platforms:      store,
		Customers:      store,
		Accounts:       store,
		CursorSecret:   store.CursorSecret(),
		Ping:           store.Ping,
		Registry:       reg,
		DrainDelay:     *drain,
		RequestTimeout: *timeout,
		RateLimit:      *rateLimit,
		RateBurst:      *rateBurst,
	})
	log.Info("listening", slog.String("addr", ln.Addr().String()), slog.String("engine", store.Engine()))
	err = srv.Serve(ctx, ln)
	log.Info("stopped")
	return err
}

// devStart creates the sandbox platform in an empty database and prints how to call it.
func devStart(ctx context.Context, store *sqlstore.Store, addr string, stdout io.Writer) error {
	n, err := store.CountPlatforms(ctx)
	if err != nil || n > 0 {
		if n > 0 {
			fmt.Fprintf(stdout, "Coffer (dev) on http://%s/raas/v2 with the platforms already in the database.\n", addr)
		}
		return err
	}
	k, err := store.CreatePlatform(ctx, devPlatform)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, `Coffer (dev) on http://%[1]s/raas/v2
Created platform %[2]s. Its key is shown this once:
  platform: %[2]s
  key:      %[3]s
Try:
  curl -u '%[2]s:%[3]s' http://%[1]s/raas/v2/customers
`, addr, k.PlatformName, k.PlatformKey)
	return nil
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
