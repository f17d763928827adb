// Package web holds the operator dashboard: static files (HTML, ES modules,
// CSS and the vendored xterm.js) embedded into steward-server, so a plain
// `go build` ships the dashboard with no front-end build step.
//
// Assets are served from an allowlist built once from the embedded tree:
// a request path is looked up as an exact key, never joined onto a
// directory, so "..", percent-encoded dots or slashes and backslashes can
// only ever miss. The single-page app's own paths (/devices/{id}, ...) all
// answer with index.html; any other GET outside /api/ and /assets/ answers
// 404 with index.html too, so the app shows its own "page not found" view,
// and an unknown /api/ path answers a JSON 404.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed static
var static embed.FS

// AssetPrefix is the URL prefix of the static files.
const AssetPrefix = "/assets/"

// maxAssetPath bounds a request path before it is looked at.
const maxAssetPath = 256

// spaRoutes are the app's client-side paths; each serves index.html.
var spaRoutes = []string{
	"/{$}",
	"/login",
	"/overview",
	"/devices",
	"/devices/{rest...}",
	"/clients",
	"/enrollment",
	"/jobs",
	"/jobs/{rest...}",
	"/scripts",
	"/users",
	"/audit",
	"/shells",
	"/shells/{rest...}",
	"/account",
	"/seats",
	"/notifications",
	"/alerts",
	"/monitoring",
}

// asset is one embedded file, ready to serve.
type asset struct {
	body  []byte
	ctype string
	etag  string
}

// Handler serves the dashboard.
type Handler struct {
	index  asset
	portal asset            // the customer portal's page (static/portal.html)
	assets map[string]asset // key: path below /assets/, e.g. "app.js"
}

// contentTypes are the only file types served; nosniff makes browsers
// insist on a correct type for module scripts and stylesheets.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".mjs":  "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
	".png":  "image/png",
	".txt":  "text/plain; charset=utf-8",
}

// New indexes the embedded files.
func New() (*Handler, error) {
	return newFromFS(static)
}

func newFromFS(fsys fs.FS) (*Handler, error) {
	h := &Handler{assets: map[string]asset{}}
	idx, err := fs.ReadFile(fsys, "static/index.html")
	if err != nil {
		return nil, fmt.Errorf("web: index.html: %w", err)
	}
	h.index = newAsset(idx, contentTypes[".html"])
	if b, err := fs.ReadFile(fsys, "static/portal.html"); err == nil {
		h.portal = newAsset(b, contentTypes[".html"])
	}
	err = fs.WalkDir(fsys, "static/assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		ct, ok := contentTypes[path.Ext(p)]
		if !ok {
			return nil // source maps and the like are not served
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		h.assets[strings.TrimPrefix(p, "static/assets/")] = newAsset(b, ct)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: assets: %w", err)
	}
	return h, nil
}

func newAsset(b []byte, ctype string) asset {
	sum := sha256.Sum256(b)
	return asset{body: b, ctype: ctype, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
}

// Register adds the dashboard's routes (GET and HEAD) to mux.
func (h *Handler) Register(mux *http.ServeMux) {
	for _, p := range spaRoutes {
		mux.HandleFunc("GET "+p, h.serveIndex)
	}
	mux.HandleFunc("GET "+AssetPrefix+"{path...}", h.serveAsset)
	// The customer portal is a page of its own with its own small shell.
	if h.portal.body != nil {
		mux.HandleFunc("GET /portal", h.servePortal)
		mux.HandleFunc("GET /portal/{rest...}", h.servePortal)
	}
}

// WithNotFound wraps mux so that a request no route matches gets the
// dashboard's answer (see serveNotFound) instead of the mux's plain-text
// "404 page not found". Only the mux's own 404 is replaced: a wrong method
// on a known path keeps its 405, a redirect stays a redirect, and any
// non-GET request keeps the plain 404.
func (h *Handler) WithNotFound(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next, pattern := mux.Handler(r)
		if pattern != "" || (r.Method != http.MethodGet && r.Method != http.MethodHead) ||
			strings.HasPrefix(r.URL.Path, AssetPrefix) {
			mux.ServeHTTP(w, r)
			return
		}
		// No pattern: the mux answers 404, 405 or a redirect itself. Those
		// handlers are tiny; run it into a buffer to see which.
		rec := &recorder{h: http.Header{}}
		next.ServeHTTP(rec, r)
		if rec.code == http.StatusNotFound {
			h.serveNotFound(w, r)
			return
		}
		for k, v := range rec.h {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.code)
		_, _ = w.Write(rec.body.Bytes())
	})
}

// recorder buffers the mux's own small answers (404, 405, redirects).
type recorder struct {
	h    http.Header
	code int
	body bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.h }
func (r *recorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.body.Write(b)
}
func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}

// serveNotFound answers an unknown path: the API's JSON error under /api/,
// otherwise the app shell with status 404 (the app renders "page not found"
// with a link home; the status stays honest for crawlers and scripts).
func (h *Handler) serveNotFound(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/api" || strings.HasPrefix(r.URL.Path, "/api/") {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"error":"no such API route"}` + "\n"))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", h.index.ctype)
	w.WriteHeader(http.StatusNotFound)
	if r.Method != http.MethodHead {
		_, _ = w.Write(h.index.body)
	}
}

// Asset reports whether name (a path below /assets/) is served.
func (h *Handler) Asset(name string) bool {
	_, ok := h.assets[name]
	return ok
}

func (h *Handler) serveIndex(w http.ResponseWriter, r *http.Request) {
	// The page itself is never cached: it is what a new release changes.
	w.Header().Set("Cache-Control", "no-store")
	h.write(w, r, h.index)
}

func (h *Handler) servePortal(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	h.write(w, r, h.portal)
}

// assetName validates the raw request path and returns the asset key. The
// escaped form is checked too: a client-supplied %2F or %2E must never turn
// into a separator or a dot segment after decoding.
func assetName(r *http.Request) (string, bool) {
	raw := r.URL.EscapedPath()
	if len(raw) > maxAssetPath || !strings.HasPrefix(raw, AssetPrefix) || strings.Contains(raw, "%") {
		return "", false
	}
	name := strings.TrimPrefix(raw, AssetPrefix)
	if name == "" || strings.ContainsAny(name, "\\\x00") || !fs.ValidPath(name) {
		return "", false
	}
	for _, seg := range strings.Split(name, "/") {
		if strings.HasPrefix(seg, ".") {
			return "", false
		}
	}
	return name, true
}

func (h *Handler) serveAsset(w http.ResponseWriter, r *http.Request) {
	name, ok := assetName(r)
	var a asset
	if ok {
		a, ok = h.assets[name]
	}
	if !ok {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	// Revalidate every time (cheap: ETag is the content hash), so a
	// server upgrade never mixes old and new modules.
	w.Header().Set("Cache-Control", "no-cache")
	h.write(w, r, a)
}

func (h *Handler) write(w http.ResponseWriter, r *http.Request, a asset) {
	w.Header().Set("Content-Type", a.ctype)
	w.Header().Set("ETag", a.etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
}
