package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/cofferhq/coffer/sqlstore"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
	_ "modernc.org/sqlite"             // the "sqlite" driver
)

// insertOne inserts one row in a transaction of its own (autocommit): one commit, which waits
// until the row is durable. It is the unit of the durable commit baseline.
func insertOne(db *sql.DB) op {
	return func(ctx context.Context, _ int) error {
		_, err := db.ExecContext(ctx, `INSERT INTO bench_commits (v) VALUES ($1)`, "x")
		return err
	}
}

// sqliteCommits measures single-row durable commits on a new SQLite file opened exactly as the
// store opens its writer (sqlstore.SQLiteDSN: WAL, synchronous=FULL, immediate transactions, one
// connection), at the same concurrency as the scenarios.
func sqliteCommits(ctx context.Context, dir string, clients int, d time.Duration) (sample, error) {
	path := filepath.Join(dir, "commits.db")
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(path + suffix) // fresh each time
	}
	db, err := sql.Open("sqlite", sqlstore.SQLiteDSN(path, false))
	if err != nil {
		return sample{}, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	if _, err := db.ExecContext(ctx, `CREATE TABLE bench_commits (id INTEGER PRIMARY KEY, v TEXT NOT NULL)`); err != nil {
		return sample{}, fmt.Errorf("sqlite baseline: %w", err)
	}
	return closedLoop(ctx, clients, warmUp(d), d, insertOne(db)), nil
}

// postgresCommits measures single-row commits through pgx on a pool of one connection per client.
func postgresCommits(ctx context.Context, dsn string, clients int, d time.Duration) (sample, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return sample{}, err
	}
	defer db.Close()
	db.SetMaxOpenConns(clients)
	db.SetMaxIdleConns(clients)
	if err := createCommitsTable(ctx, db); err != nil {
		return sample{}, err
	}
	return closedLoop(ctx, clients, warmUp(d), d, insertOne(db)), nil
}

func createCommitsTable(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS bench_commits (id BIGSERIAL PRIMARY KEY, v TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("postgres baseline: %w", err)
	}
	return nil
}

// analyze gathers the planner statistics of a PostgreSQL database.
func analyze(ctx context.Context, dsn string) error {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `ANALYZE`); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	return nil
}

// createDatabase creates a new database on the PostgreSQL server of admin and returns its URL.
func createDatabase(ctx context.Context, admin string) (string, error) {
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", fmt.Errorf("--postgres must be a postgres:// URL")
	}
	db, err := sql.Open("pgx", admin)
	if err != nil {
		return "", err
	}
	defer db.Close()
	var b [6]byte
	rand.Read(b[:])
	name := "coffer_bench_" + hex.EncodeToString(b[:])
	if _, err := db.ExecContext(ctx, `CREATE DATABASE `+name); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	u.Path = "/" + name
	return u.String(), nil
}

// dropDatabase drops a database made by createDatabase.
func dropDatabase(ctx context.Context, admin, dsn string) error {
	u, err := url.Parse(dsn)
	if err != nil {
		return err
	}
	name := strings.TrimPrefix(u.Path, "/")
	if !strings.HasPrefix(name, "coffer_bench_") {
		return fmt.Errorf("refusing to drop %q: not a benchmark database", name)
	}
	db, err := sql.Open("pgx", admin)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`)
	return err
}

// findPgbench returns the pgbench to run, or "" when there is none.
func findPgbench(flag string) string {
	if flag != "" {
		return flag
	}
	if p, err := exec.LookPath("pgbench"); err == nil {
		return p
	}
	if m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pgbench"); len(m) > 0 {
		return m[len(m)-1]
	}
	return ""
}

// pgbenchRates runs pgbench at the same client count for d: a custom script of one INSERT per
// transaction, and the built-in select-only script (-S) on a scale-1 data set it initializes in
// the benchmark database. It returns the transactions per second of each.
func pgbenchRates(ctx context.Context, pgbench, dsn, dir string, clients int, d time.Duration) (insert, selectOnly float64, err error) {
	script := filepath.Join(dir, "insert.sql")
	if err := os.WriteFile(script, []byte("INSERT INTO bench_commits (v) VALUES ('x');\n"), 0o644); err != nil {
		return 0, 0, err
	}
	secs := strconv.Itoa(max(1, int(math.Ceil(d.Seconds()))))
	threads := strconv.Itoa(min(clients, 2))
	common := []string{"-n", "-c", strconv.Itoa(clients), "-j", threads, "-T", secs}
	if insert, err = pgbenchTPS(ctx, pgbench, append(common, "-f", script, dsn)...); err != nil {
		return 0, 0, err
	}
	if out, err := exec.CommandContext(ctx, pgbench, "-i", "-q", "-s", "1", dsn).CombinedOutput(); err != nil {
		return 0, 0, fmt.Errorf("pgbench -i: %w: %s", err, out)
	}
	if selectOnly, err = pgbenchTPS(ctx, pgbench, append(common, "-S", dsn)...); err != nil {
		return 0, 0, err
	}
	return insert, selectOnly, nil
}

var tpsLine = regexp.MustCompile(`(?m)^tps = ([0-9.]+)`)

func pgbenchTPS(ctx context.Context, pgbench string, args ...string) (float64, error) {
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, pgbench, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("pgbench %s: %w: %s", strings.Join(args[:len(args)-1], " "), err, out.String())
	}
	m := tpsLine.FindSubmatch(out.Bytes())
	if m == nil {
		return 0, errors.New("pgbench printed no tps line: " + out.String())
	}
	return strconv.ParseFloat(string(m[1]), 64)
}
