// Command vulndb builds a Go vulnerability database that govulncheck can read with
// -db file://DIR, from the OSV entries of one version of the golang.org/x/vulndb module, so that
// the vulnerability check needs the Go module proxy only and not vuln.go.dev. It is run by
// .ci/run and is no part of the server.
//
//	go run ./tools/vulndb -version v0.0.0-20261105234957-e22db6528018 -out DIR
//
// The module is fetched with go mod download into the module cache. Its data/osv directory
// holds one OSV entry per vulnerability; the database is the v1 layout of
// https://go.dev/security/vuln/database#api:
//
//	index/db.json       {"modified": newest entry time}
//	index/modules.json  [{"path": module, "vulns": [{"id", "modified"}]}]
//	index/vulns.json    [{"id", "modified", "aliases"}]
//	ID/GO-YYYY-NNNN.json  the OSV entry
//
// Two things differ from the published database. The entries in the module carry a zero
// "modified" time, which the publisher fills in from the repository history that a module zip
// does not have, so a zero time becomes the time of the module's commit: no entry can have
// changed after it. And the index leaves out the optional "fixed" version of each module's
// vulnerabilities, which only lets a client skip reading entries; without it govulncheck reads
// every entry of a module it finds and decides from the entry's own version ranges, with the
// same result. The gzip copies of each file, which only an HTTP client reads, are not written.
//
// The module's own cmd/indexdb writes the same layout, but building it fetches the module's
// cloud and git dependencies, close to a minute on a cold cache; this needs the standard library
// alone.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

const modulePath = "golang.org/x/vulndb"

func main() {
	version := flag.String("version", "", "version of "+modulePath+" to build the database from")
	out := flag.String("out", "", "directory to write the database to; it must be empty or absent")
	flag.Parse()
	if *version == "" || *out == "" || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: vulndb -version VERSION -out DIR")
		os.Exit(2)
	}
	if err := run(*version, *out); err != nil {
		fmt.Fprintln(os.Stderr, "vulndb:", err)
		os.Exit(1)
	}
}

func run(version, out string) error {
	dir, commit, err := download(version)
	if err != nil {
		return err
	}
	src := filepath.Join(dir, "data", "osv")
	entries, err := load(src)
	if err != nil {
		return err
	}
	n, err := build(entries, commit, out)
	if err != nil {
		return err
	}
	fmt.Printf("vulndb: %d entries from %s into %s\n", n, src, out)
	return nil
}

// download fetches the module into the module cache and returns its directory and the time of
// its commit. It runs outside this module, so that go.mod and go.sum are left alone.
func download(version string) (dir string, commit time.Time, err error) {
	cmd := exec.Command("go", "mod", "download", "-json", modulePath+"@"+version)
	cmd.Dir = os.TempDir()
	cmd.Stderr = os.Stderr
	b, err := cmd.Output()
	if err != nil {
		return "", time.Time{}, fmt.Errorf("go mod download %s@%s: %w", modulePath, version, err)
	}
	var m struct{ Dir, Info, Error string }
	if err := json.Unmarshal(b, &m); err != nil {
		return "", time.Time{}, fmt.Errorf("go mod download: %w", err)
	}
	if m.Error != "" {
		return "", time.Time{}, errors.New(m.Error)
	}
	b, err = os.ReadFile(m.Info)
	if err != nil {
		return "", time.Time{}, err
	}
	var info struct{ Time time.Time }
	if err := json.Unmarshal(b, &info); err != nil || info.Time.IsZero() {
		return "", time.Time{}, fmt.Errorf("%s: no commit time", m.Info)
	}
	return m.Dir, info.Time, nil
}

// entry is an OSV entry: raw keeps all of it, the other fields are what the index needs.
type entry struct {
	raw      map[string]json.RawMessage
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Aliases  []string  `json:"aliases,omitempty"`
	Affected []struct {
		Package struct {
			Name string `json:"name"`
		} `json:"package"`
	} `json:"affected"`
}

// load reads every *.json file of dir as an OSV entry.
func load(dir string) ([]*entry, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no OSV entries", dir)
	}
	entries := make([]*entry, 0, len(files))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		e := new(entry)
		if err := json.Unmarshal(b, &e.raw); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		if err := json.Unmarshal(b, e); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		// The ID names the entry's file in the database: requiring the name it is stored under
		// also makes IDs unique.
		if e.ID+".json" != filepath.Base(f) {
			return nil, fmt.Errorf("%s: id %q does not match the file name", f, e.ID)
		}
		entries = append(entries, e)
	}
	return entries, nil
}

type moduleVuln struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
}

type module struct {
	Path  string       `json:"path"`
	Vulns []moduleVuln `json:"vulns"`
}

type vuln struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Aliases  []string  `json:"aliases,omitempty"`
}

// build writes the database of entries into out. A zero modified time becomes commit.
func build(entries []*entry, commit time.Time, out string) (int, error) {
	if err := os.MkdirAll(filepath.Join(out, "index"), 0o755); err != nil {
		return 0, err
	}
	if err := os.Mkdir(filepath.Join(out, "ID"), 0o755); err != nil {
		return 0, err
	}
	var newest time.Time
	modules := map[string]*module{}
	var vulns []vuln
	for _, e := range entries {
		if e.Modified.IsZero() {
			e.Modified = commit
		}
		e.Modified = e.Modified.UTC().Truncate(time.Second)
		ts, err := json.Marshal(e.Modified.Format(time.RFC3339))
		if err != nil {
			return 0, err
		}
		e.raw["modified"] = ts
		b, err := json.Marshal(e.raw)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", e.ID, err)
		}
		if err := os.WriteFile(filepath.Join(out, "ID", e.ID+".json"), b, 0o644); err != nil {
			return 0, err
		}
		if e.Modified.After(newest) {
			newest = e.Modified
		}
		vulns = append(vulns, vuln{ID: e.ID, Modified: e.Modified, Aliases: e.Aliases})
		for _, a := range e.Affected {
			m := modules[a.Package.Name]
			if m == nil {
				m = &module{Path: a.Package.Name}
				modules[a.Package.Name] = m
			}
			// An entry may list a module twice, for different packages or ranges.
			if !slices.ContainsFunc(m.Vulns, func(v moduleVuln) bool { return v.ID == e.ID }) {
				m.Vulns = append(m.Vulns, moduleVuln{ID: e.ID, Modified: e.Modified})
			}
		}
	}
	slices.SortFunc(vulns, func(a, b vuln) int { return strings.Compare(a.ID, b.ID) })
	mods := make([]*module, 0, len(modules))
	for _, m := range modules {
		slices.SortFunc(m.Vulns, func(a, b moduleVuln) int { return strings.Compare(a.ID, b.ID) })
		mods = append(mods, m)
	}
	slices.SortFunc(mods, func(a, b *module) int { return strings.Compare(a.Path, b.Path) })

	index := map[string]any{
		"db.json": struct {
			Modified time.Time `json:"modified"`
		}{newest},
		"modules.json": mods,
		"vulns.json":   vulns,
	}
	for name, v := range index {
		var buf bytes.Buffer
		if err := json.NewEncoder(&buf).Encode(v); err != nil {
			return 0, err
		}
		if err := os.WriteFile(filepath.Join(out, "index", name), buf.Bytes(), 0o644); err != nil {
			return 0, err
		}
	}
	return len(vulns), nil
}
