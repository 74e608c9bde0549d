// Command coffer-bench measures the Coffer server under load, together with the baselines that
// give its figures meaning, and checks them against the performance targets of the project.
//
//	go run ./cmd/coffer-bench [--customers N] [--accounts N] [--concurrency N] [--duration D]
//	                          [--postgres URL] [--coffer PATH] [--cli-ops N] [--dir DIR] [--timeout D]
//
// It builds the coffer binary (or takes --coffer), creates a platform with `coffer platform
// create` on a fresh database (a SQLite file in a temporary directory, or a new database on the
// PostgreSQL server of --postgres, dropped at the end), starts `coffer serve` on 127.0.0.1 as a
// separate process, and builds a data set through the API. Then it drives each scenario with a
// closed-loop load generator over keep-alive connections, and again open-loop at half the rate
// it reached; it measures with the same generator a hello-world net/http server (this program
// again, in a separate process) and the raw rate of single-row durable commits on the same
// engine and settings; and it prints a table with the ratios and the targets. Any failed request
// makes it exit non-zero.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "coffer-bench:", err)
		}
		os.Exit(1)
	}
}

// config is the command line.
type config struct {
	customers   int
	accounts    int
	cliOps      int
	concurrency int
	duration    time.Duration
	postgres    string
	coffer      string
	dir         string
	pgbench     string
	timeout     time.Duration
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("coffer-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&c.customers, "customers", 100, "customers in the data set (the issue's full size is 1000)")
	fs.IntVar(&c.accounts, "accounts", 10_000, "accounts in the data set, spread over the customers (full size 100000)")
	fs.IntVar(&c.cliOps, "cli-ops", 200, "accounts credited or given another status through the coffer command line")
	fs.IntVar(&c.concurrency, "concurrency", 16, "clients of the load generator, each on its own keep-alive connection")
	fs.DurationVar(&c.duration, "duration", 3*time.Second, "measured time of each scenario and baseline")
	fs.StringVar(&c.postgres, "postgres", "", "URL of a PostgreSQL server: run on a fresh database created there and dropped at the end")
	fs.StringVar(&c.coffer, "coffer", "", "coffer binary to run (default: build ./cmd/coffer)")
	fs.StringVar(&c.dir, "dir", "", "directory for the temporary files and the SQLite databases (default: the system's)")
	fs.StringVar(&c.pgbench, "pgbench", "", "pgbench binary for the PostgreSQL baselines (default: from PATH or /usr/lib/postgresql/*/bin)")
	fs.DurationVar(&c.timeout, "timeout", 15*time.Minute, "stop the whole run after this long")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	switch {
	case c.customers < 1 || c.accounts < 1:
		return c, errors.New("--customers and --accounts must be at least 1")
	case c.concurrency < 1:
		return c, errors.New("--concurrency must be at least 1")
	case c.duration < 100*time.Millisecond:
		return c, errors.New("--duration must be at least 100ms")
	case c.cliOps < 0 || c.cliOps > c.accounts:
		return c, errors.New("--cli-ops must be between 0 and --accounts")
	}
	return c, nil
}

// run is the whole program but for the process: arguments, environment and output are passed in.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 1 && args[0] == helloCommand {
		return serveHello(ctx, os.Stdin, stdout)
	}
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	b := &bench{cfg: cfg, log: stderr}
	defer b.close()
	if err := b.setUp(ctx); err != nil {
		return err
	}
	rep, err := b.measure(ctx)
	if err != nil {
		return err
	}
	rep.print(stdout)
	if n := rep.errors(); n > 0 {
		return fmt.Errorf("%d requests failed; first: %v", n, rep.firstError())
	}
	return nil
}
