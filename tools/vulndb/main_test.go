package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBuild builds a database of two entries and reads back its index: a zero modified time
// becomes the commit time, a module listed twice by one entry is indexed once, and an entry is
// written whole.
func TestBuild(t *testing.T) {
	src := t.TempDir()
	files := map[string]string{
		"GO-2024-0001.json": `{"id":"GO-2024-0001","modified":"0001-01-01T00:00:00Z","aliases":["CVE-2024-1"],
			"affected":[{"package":{"name":"example.com/a","ecosystem":"Go"},"ecosystem_specific":{"imports":[{"path":"example.com/a","symbols":["F"]}]}},
			            {"package":{"name":"example.com/a","ecosystem":"Go"}}]}`,
		"GO-2023-0002.json": `{"id":"GO-2023-0002","modified":"2023-05-06T07:08:09Z",
			"affected":[{"package":{"name":"stdlib","ecosystem":"Go"}},{"package":{"name":"example.com/a","ecosystem":"Go"}}]}`,
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(src, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := load(src)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "db")
	commit := time.Date(2024, 9, 1, 12, 0, 0, 0, time.UTC)
	n, err := build(entries, commit, out)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("got %d entries, want 2", n)
	}
	tests := []struct {
		file string
		want string
	}{
		{"index/db.json", `{"modified":"2024-09-01T12:00:00Z"}`},
		{"index/vulns.json", `[{"id":"GO-2023-0002","modified":"2023-05-06T07:08:09Z"},` +
			`{"id":"GO-2024-0001","modified":"2024-09-01T12:00:00Z","aliases":["CVE-2024-1"]}]`},
		{"index/modules.json", `[{"path":"example.com/a","vulns":[{"id":"GO-2023-0002","modified":"2023-05-06T07:08:09Z"},` +
			`{"id":"GO-2024-0001","modified":"2024-09-01T12:00:00Z"}]},` +
			`{"path":"stdlib","vulns":[{"id":"GO-2023-0002","modified":"2023-05-06T07:08:09Z"}]}]`},
	}
	for _, tt := range tests {
		b, err := os.ReadFile(filepath.Join(out, tt.file))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(string(b)); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.file, got, tt.want)
		}
	}
	b, err := os.ReadFile(filepath.Join(out, "ID", "GO-2024-0001.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"modified":"2024-09-01T12:00:00Z"`, `"symbols":["F"]`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("ID/GO-2024-0001.json: got %s, want it to contain %s", b, want)
		}
	}
}

// TestLoadRefusesMismatchedID: the ID names the entry's file in the database.
func TestLoadRefusesMismatchedID(t *testing.T) {
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "GO-2024-0001.json"), []byte(`{"id":"../x"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := load(src); err == nil {
		t.Error("got no error, want one")
	}
}
