package web

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

func newMux(t *testing.T) (http.Handler, *Handler) {
	t.Helper()
	h, err := New()
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	mux := http.NewServeMux()
	h.Register(mux)
	// An API route, as the server has: its wrong method stays a 405.
	mux.HandleFunc("POST /api/v1/thing", func(w http.ResponseWriter, r *http.Request) {})
	return h.WithNotFound(mux), h
}

// TestPaths walks hostile and ordinary request paths through a mux with
// the dashboard's routes: only the app's paths and real assets answer 200,
// and nothing outside the embedded assets (like this package's source)
// ever comes back.
func TestPaths(t *testing.T) {
	mux, _ := newMux(t)
	tests := []struct {
		target    string
		method    string
		wantCode  int // 0: anything but 200
		wantCType string
	}{
		{"/", "GET", 200, "text/html; charset=utf-8"},
		{"/login", "GET", 200, "text/html; charset=utf-8"},
		{"/overview", "GET", 200, "text/html; charset=utf-8"},
		{"/devices", "GET", 200, "text/html; charset=utf-8"},
		{"/devices/d_123/terminal", "GET", 200, "text/html; charset=utf-8"},
		{"/jobs/j_1", "GET", 200, "text/html; charset=utf-8"},
		{"/clients", "HEAD", 200, "text/html; charset=utf-8"},
		{"/enrollment", "GET", 200, "text/html; charset=utf-8"},
		{"/scripts", "GET", 200, "text/html; charset=utf-8"},
		{"/users", "GET", 200, "text/html; charset=utf-8"},
		{"/audit", "GET", 200, "text/html; charset=utf-8"},
		{"/shells", "GET", 200, "text/html; charset=utf-8"},
		{"/shells/sh_123", "GET", 200, "text/html; charset=utf-8"},
		{"/assets/pages/shell.js", "GET", 200, "text/javascript; charset=utf-8"},
		{"/usersX", "GET", 404, "text/html; charset=utf-8"},
		{"/no/such/page", "GET", 404, "text/html; charset=utf-8"},
		{"/api/v1/no-such-route", "GET", 404, "application/json"},
		{"/api/v1/thing", "GET", 405, ""},
		{"/agent/enroll", "POST", 404, "text/plain; charset=utf-8"},
		{"/assets/app.js", "GET", 200, "text/javascript; charset=utf-8"},
		{"/assets/app.css", "GET", 200, "text/css; charset=utf-8"},
		{"/assets/vendor/xterm.mjs", "GET", 200, "text/javascript; charset=utf-8"},
		{"/assets/icon.svg", "GET", 200, "image/svg+xml"},
		{"/devices", "POST", 405, ""},
		{"/devicesX", "GET", 404, "text/html; charset=utf-8"},
		{"/web.go", "GET", 404, ""},
		{"/static/index.html", "GET", 404, ""},
		{"/assets/", "GET", 404, ""},
		{"/assets/APP.JS", "GET", 404, ""},
		{"/assets/vendor/xterm.mjs.map", "GET", 404, ""},
		{"/assets/.hidden", "GET", 404, ""},
		{"/assets/vendor/../app.js", "GET", 0, ""},
		{"/assets/../web.go", "GET", 0, ""},
		{"/assets/../../go.mod", "GET", 0, ""},
		{"/assets/%2e%2e/web.go", "GET", 0, ""},
		{"/assets/%2E%2E/%2E%2E/go.mod", "GET", 0, ""},
		{"/assets/.%2e/web.go", "GET", 0, ""},
		{"/assets/vendor%2fxterm.mjs", "GET", 404, ""},
		{"/assets/vendor%2Fxterm.mjs", "GET", 404, ""},
		{"/assets/%2e%2e%2fweb.go", "GET", 404, ""},
		{"/assets/..%5cweb.go", "GET", 404, ""},
		{"/assets/vendor%5cxterm.mjs", "GET", 404, ""},
		{"/assets/app.js%00", "GET", 404, ""},
		{"/assets/%61pp.js", "GET", 404, ""},
		{"/assets//app.js", "GET", 0, ""},
		{"/assets/" + strings.Repeat("a/", 200) + "app.js", "GET", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, "https://steward.test"+tt.target, nil)
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, req)
			got := rec.Code
			if tt.wantCode == 0 {
				if got == 200 {
					t.Errorf("status 200, want a refusal or redirect")
				}
			} else if got != tt.wantCode {
				t.Errorf("status %d, want %d", got, tt.wantCode)
			}
			if tt.wantCType != "" {
				if ct := rec.Header().Get("Content-Type"); ct != tt.wantCType {
					t.Errorf("Content-Type %q, want %q", ct, tt.wantCType)
				}
			}
			if body := rec.Body.String(); strings.Contains(body, "package web") || strings.Contains(body, "module github.com") {
				t.Errorf("response leaks a file outside the assets")
			}
			if loc := rec.Header().Get("Location"); loc != "" && strings.Contains(loc, "..") {
				t.Errorf("redirect to %q keeps a dot segment", loc)
			}
		})
	}
}

// TestAssetName checks the raw-path validation on its own, with requests
// built the way the server receives them (the mux may redirect some of
// these before the handler sees them, so both layers are tested).
func TestAssetName(t *testing.T) {
	tests := []struct {
		raw    string
		want   string
		wantOK bool
	}{
		{"/assets/app.js", "app.js", true},
		{"/assets/vendor/xterm.mjs", "vendor/xterm.mjs", true},
		{"/assets/", "", false},
		{"/assets/../web.go", "", false},
		{"/assets/vendor/../../web.go", "", false},
		{"/assets/%2e%2e/web.go", "", false},
		{"/assets/vendor%2fxterm.mjs", "", false},
		{"/assets/a\\b.js", "", false},
		{"/assets/a//b.js", "", false},
		{"/assets/./app.js", "", false},
		{"/assets/.env", "", false},
		{"/assets/vendor/.x/app.js", "", false},
		{"/other/app.js", "", false},
		{"/assets/" + strings.Repeat("x", maxAssetPath), "", false},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			u := &url.URL{Path: tt.raw}
			if p, err := url.PathUnescape(tt.raw); err == nil {
				u = &url.URL{Path: p, RawPath: tt.raw}
			}
			got, ok := assetName(&http.Request{URL: u})
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("assetName(%q) = %q, %v; want %q, %v", tt.raw, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestConditionalGet(t *testing.T) {
	mux, _ := newMux(t)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/assets/app.js", nil))
	etag := rec.Header().Get("ETag")
	if rec.Code != 200 || etag == "" {
		t.Fatalf("first GET: %d, ETag %q", rec.Code, etag)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("asset Cache-Control %q, want no-cache", cc)
	}
	req := httptest.NewRequest("GET", "/assets/app.js", nil)
	req.Header.Set("If-None-Match", etag)
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotModified {
		t.Errorf("GET with matching If-None-Match: %d, want 304", rec.Code)
	}
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/devices", nil))
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("index Cache-Control %q, want no-store", cc)
	}
}

func TestNewNeedsIndex(t *testing.T) {
	_, err := newFromFS(fstest.MapFS{"static/assets/app.js": {Data: []byte("x")}})
	if err == nil {
		t.Fatal("newFromFS without index.html: no error")
	}
	h, err := newFromFS(fstest.MapFS{
		"static/index.html":         {Data: []byte("<!doctype html>")},
		"static/assets/a.js":        {Data: []byte("x")},
		"static/assets/a.js.map":    {Data: []byte("{}")},
		"static/assets/sub/b.css":   {Data: []byte("x")},
		"static/assets/notes.weird": {Data: []byte("x")},
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{"a.js": true, "sub/b.css": true, "a.js.map": false, "notes.weird": false} {
		if got := h.Asset(name); got != want {
			t.Errorf("Asset(%q) = %v, want %v", name, got, want)
		}
	}
}

var (
	refRE    = regexp.MustCompile(`(?:href|src)="(/assets/[^"]+)"`)
	importRE = regexp.MustCompile(`(?:\bfrom\s*|\bimport\s*\(\s*|^import\s+)['"](\.{1,2}/[^'"]+)['"]`)
)

// TestReferencesResolve checks that everything index.html links and every
// relative module import in the app resolves to a served asset, so a
// renamed file cannot break the dashboard silently.
func TestReferencesResolve(t *testing.T) {
	_, h := newMux(t)
	idx := string(h.index.body)
	refs := refRE.FindAllStringSubmatch(idx, -1)
	if len(refs) < 3 {
		t.Fatalf("index.html references %d assets, want at least the script, stylesheet and icon", len(refs))
	}
	for _, m := range refs {
		if !h.Asset(strings.TrimPrefix(m[1], AssetPrefix)) {
			t.Errorf("index.html references %s, which is not served", m[1])
		}
	}
	n := 0
	for name, a := range h.assets {
		if !strings.HasSuffix(name, ".js") && !strings.HasSuffix(name, ".mjs") {
			continue
		}
		for _, line := range strings.Split(string(a.body), "\n") {
			for _, m := range importRE.FindAllStringSubmatch(strings.TrimSpace(line), -1) {
				n++
				target := path.Join(path.Dir(name), m[1])
				if !h.Asset(target) {
					t.Errorf("%s imports %s (%s), which is not served", name, m[1], target)
				}
			}
		}
	}
	if n < 10 {
		t.Errorf("found %d relative imports, want the app's module graph", n)
	}
}

// TestNoHTMLSinks enforces the dashboard's rules for the CSP and for
// device-reported text: no inline script or style in the page, and no
// HTML parsing or style attributes from script (text goes in as text).
func TestNoHTMLSinks(t *testing.T) {
	_, h := newMux(t)
	idx := string(h.index.body)
	for _, bad := range []string{"<style", " style=", "<script>", "javascript:", " on"} {
		if bad == " on" {
			if regexp.MustCompile(`\son[a-z]+=`).MatchString(idx) {
				t.Errorf("index.html has an inline event handler")
			}
			continue
		}
		if strings.Contains(idx, bad) {
			t.Errorf("index.html contains %q", bad)
		}
	}
	sinks := []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "setAttribute('style'",
		`setAttribute("style"`, "createContextualFragment", "DOMParser", "eval(", "new Function"}
	checked := 0
	err := fs.WalkDir(static, "static/assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || (!strings.HasSuffix(p, ".js") && !strings.HasSuffix(p, ".mjs")) {
			return err
		}
		b, err := fs.ReadFile(static, p)
		if err != nil {
			return err
		}
		src := string(b)
		checked++
		for _, s := range sinks {
			// xterm's own bundle mentions eval-like names in unrelated
			// identifiers; only the app's code is held to the full list.
			if strings.Contains(p, "/vendor/") && s != "innerHTML" && s != "insertAdjacentHTML" && s != `setAttribute("style"` {
				continue
			}
			if strings.Contains(src, s) {
				t.Errorf("%s uses %s", p, s)
			}
		}
		if strings.HasSuffix(p, "vendor/xterm.mjs") && strings.Contains(src, `createElement("style")`) {
			t.Errorf("%s creates <style> elements: the CSP patch of scripts/vendor.mjs is missing", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 10 {
		t.Errorf("checked %d scripts, want the whole app", checked)
	}
}

// TestUnknownPageIsTheApp: an unknown dashboard URL answers 404 with the
// app shell (which renders its own "page not found" view), never the
// server's plain-text "404 page not found"; an unknown API path answers
// the API's JSON error.
func TestUnknownPageIsTheApp(t *testing.T) {
	mux, h := newMux(t)
	for _, target := range []string{"/no/such/page", "/devicesX", "/overview/extra"} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", "https://steward.test"+target, nil))
		if rec.Code != 404 || rec.Body.String() != string(h.index.body) {
			t.Errorf("GET %s: %d %.60q, want 404 with the app shell", target, rec.Code, rec.Body.String())
		}
	}
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "https://steward.test/api/v1/nope", nil))
	if rec.Code != 404 || !strings.HasPrefix(rec.Body.String(), `{"error":`) {
		t.Errorf("GET /api/v1/nope: %d %q, want a JSON 404", rec.Code, rec.Body.String())
	}
}

// TestPortalPage: the customer portal has its own page at /portal and
// below, whose references resolve and which has no inline code either.
func TestPortalPage(t *testing.T) {
	mux, h := newMux(t)
	for _, target := range []string{"/portal", "/portal/", "/portal/devices", "/portal/set-password"} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), `src="/assets/portal/app.js"`) || rec.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("GET %s: %d %q", target, rec.Code, rec.Body.String())
		}
	}
	page := string(h.portal.body)
	refs := refRE.FindAllStringSubmatch(page, -1)
	if len(refs) < 3 {
		t.Fatalf("portal.html references %d assets", len(refs))
	}
	for _, m := range refs {
		if !h.Asset(strings.TrimPrefix(m[1], AssetPrefix)) {
			t.Errorf("portal.html references %s, which is not served", m[1])
		}
	}
	if strings.Contains(page, "<script>") || strings.Contains(page, "<style") || regexp.MustCompile(`\son[a-z]+=`).MatchString(page) {
		t.Error("portal.html has inline code")
	}
}
