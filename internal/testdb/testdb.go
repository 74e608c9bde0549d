// Package testdb gives tests a fresh, empty database on each storage engine, so that one suite
// runs on SQLite always and on PostgreSQL whenever COFFER_TEST_POSTGRES names a server.
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
)

// PostgresEnv names the variable that holds the URL of a PostgreSQL server for tests, such as
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable. When it is set, PostgreSQL is
// required: a server that cannot be reached fails the tests instead of skipping them.
const PostgresEnv = "COFFER_TEST_POSTGRES"

// Engine is a storage engine under test.
type Engine struct {
	Name string
	// DSN returns the DSN of a new empty database that is dropped when the test ends.
	DSN func(tb testing.TB) string
}

// Engines lists the engines to test on: SQLite, then PostgreSQL.
func Engines() []Engine {
	return []Engine{{"sqlite", SQLite}, {"postgres", Postgres}}
}

// ForEachEngine runs fn as a subtest per engine, each with a new empty database.
func ForEachEngine(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Helper()
	for _, e := range Engines() {
		t.Run(e.Name, func(t *testing.T) { fn(t, e.DSN(t)) })
	}
}

// SQLite returns the path of a new SQLite file in the test's temporary directory.
func SQLite(tb testing.TB) string {
	tb.Helper()
	return filepath.Join(tb.TempDir(), "coffer.db")
}

// Postgres creates a new database on the server named by COFFER_TEST_POSTGRES and returns its
// URL; the database is dropped when the test ends. Without the variable the test is skipped.
func Postgres(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		tb.Skipf("PostgreSQL half skipped: set %s=postgres://USER@HOST:PORT/DB to run it", PostgresEnv)
	}
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("%s: %v", PostgresEnv, err)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatalf("%s: %v", PostgresEnv, err)
	}
	defer admin.Close()
	var b [6]byte
	rand.Read(b[:])
	name := "coffer_test_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("create test database on %s: %v", PostgresEnv, err)
	}
	tb.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err != nil {
			tb.Errorf("drop %s: %v", name, err)
			return
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			tb.Errorf("drop %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}
