// Package e2e tests Coffer from the outside: the real binary, built once, run as server processes
// and operator commands against SQLite files and PostgreSQL databases, driven over HTTP on
// 127.0.0.1. Each test runs on both engines where that makes sense; the PostgreSQL half needs
// COFFER_TEST_POSTGRES (see internal/testdb), and the outage test starts its own PostgreSQL.
package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// cofferBin is the path of the coffer binary that TestMain builds.
var cofferBin string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "coffer-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	cofferBin = filepath.Join(dir, "coffer")
	goCmd := "go"
	if root := os.Getenv("GOROOT"); root != "" {
		goCmd = filepath.Join(root, "bin", "go")
	}
	build := exec.Command(goCmd, "build", "-o", cofferBin, "./cmd/coffer")
	build.Dir = ".." // the module root
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: build coffer:", err)
		return 1
	}
	return m.Run()
}
