package http

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/cofferhq/coffer"
)

// openapi.yaml is written by hand; openapi.json is generated from it, so that both are served
// from the binary without a YAML parser in it. A test checks that the two are one document.
//go:generate go run ../tools/yamljson openapi.yaml openapi.json

var (
	//go:embed openapi.yaml
	openapiYAML []byte
	//go:embed openapi.json
	openapiJSON []byte
	// The /docs page: Coffer's index.html and init.js, and the Swagger UI files vendored from
	// npm (docs/README.md says which version and how to update it).
	//go:embed docs/index.html docs/init.js docs/swagger-ui-bundle.js docs/swagger-ui.css
	docsFS embed.FS
)

// staticFile is an embedded file served as it is, with an ETag so that clients revalidate it
// cheaply.
type staticFile struct {
	contentType string
	body        []byte
	etag        string
}

func newStaticFile(contentType string, body []byte) *staticFile {
	sum := sha256.Sum256(body)
	return &staticFile{contentType: contentType, body: body, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
}

var (
	openapiYAMLFile = newStaticFile("application/yaml; charset=utf-8", openapiYAML)
	openapiJSONFile = newStaticFile("application/json; charset=utf-8", openapiJSON)
	docsFiles       = func() map[string]*staticFile {
		types := map[string]string{
			"index.html":           "text/html; charset=utf-8",
			"init.js":              "text/javascript; charset=utf-8",
			"swagger-ui-bundle.js": "text/javascript; charset=utf-8",
			"swagger-ui.css":       "text/css; charset=utf-8",
		}
		m := make(map[string]*staticFile, len(types))
		for name, ct := range types {
			b, err := docsFS.ReadFile("docs/" + name)
			if err != nil {
				panic(err) // the embed directive above lists these very files
			}
			m[name] = newStaticFile(ct, b)
		}
		return m
	}()
)

// docsPolicy lets the /docs page load only what this server serves. Swagger UI sets inline
// styles and draws some icons as data: images.
const docsPolicy = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

func (f *staticFile) serve(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("ETag", f.etag)
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
}

// serveOpenAPIYAML serves the API document as written. It needs no credentials.
func (s *Server) serveOpenAPIYAML(w http.ResponseWriter, r *http.Request) {
	openapiYAMLFile.serve(w, r)
}

// serveOpenAPIJSON serves the API document as JSON. It needs no credentials.
func (s *Server) serveOpenAPIJSON(w http.ResponseWriter, r *http.Request) {
	openapiJSONFile.serve(w, r)
}

// serveDocs serves the page that renders the API document for people.
func (s *Server) serveDocs(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Security-Policy", docsPolicy)
	docsFiles["index.html"].serve(w, r)
}

// serveDocsFile serves the scripts and styles of the /docs page.
func (s *Server) serveDocsFile(w http.ResponseWriter, r *http.Request) {
	f, ok := docsFiles[r.PathValue("file")]
	if !ok || r.PathValue("file") == "index.html" {
		s.writeError(w, r, coffer.Errorf(codeRouteNotFound, "404.000", "No route matches %s.", r.URL.Path))
		return
	}
	f.serve(w, r)
}
