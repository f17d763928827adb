//go:build linux

package e2e_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type attachment struct {
	ID, Name, SHA256 string
	Size             int64
	Preview          bool
}

// uploadAttachment posts a file as admin.
func (e *env) uploadAttachment(client, name string, body io.Reader) (int, attachment, string) {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.url+"/api/v1/clients/"+client+"/attachments?name="+url.QueryEscape(name), body)
	req.Header.Set("Authorization", "Bearer "+e.token)
	req.Header.Set("Content-Type", "text/html") // the uploader's claim, ignored
	resp, err := e.hc.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var a attachment
	_ = json.Unmarshal(b, &a)
	return resp.StatusCode, a, string(b)
}

// TestAttachmentsEndToEnd: over the real server, an oversized upload is
// refused with 413 and leaves nothing in DATA/attachments; an HTML file
// and an SVG with script come back only as sandboxed downloads (no
// preview), whatever the uploader said their type was; plain text
// previews as text under a sandbox CSP, overriding the dashboard's.
func TestAttachmentsEndToEnd(t *testing.T) {
	cfg := serverConfig()
	cfg.AttachmentMaxSize = 64 << 10
	e := startServer(t, cfg)
	acme := e.createClient("Acme")
	if code, _, body := e.uploadAttachment(acme, "big.iso", bytes.NewReader(make([]byte, 64<<10+1))); code != 413 || !strings.Contains(body, "file too large") {
		t.Fatalf("oversized upload: %d %s", code, body)
	}
	left := 0
	filepath.WalkDir(filepath.Join(e.dir, "attachments"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			left++
		}
		return nil
	})
	if left != 0 {
		t.Fatalf("%d files left by a refused upload", left)
	}
	_, html, _ := e.uploadAttachment(acme, "page.html", strings.NewReader("<!DOCTYPE html><script>alert(1)</script>"))
	_, svg, _ := e.uploadAttachment(acme, "logo.svg", strings.NewReader(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`))
	code, txt, body := e.uploadAttachment(acme, "notes.txt", strings.NewReader("plain notes\n"))
	if code != 201 || !txt.Preview || html.Preview || svg.Preview {
		t.Fatalf("uploads: %s / html %+v svg %+v", body, html, svg)
	}
	get := func(path string) *http.Response {
		req, _ := http.NewRequest("GET", e.url+path, nil)
		req.Header.Set("Authorization", "Bearer "+e.token)
		resp, err := e.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	for _, a := range []attachment{html, svg} {
		if resp := get("/api/v1/attachments/" + a.ID + "/preview"); resp.StatusCode != 415 {
			t.Errorf("preview of %s: %d", a.Name, resp.StatusCode)
		}
		resp := get("/api/v1/attachments/" + a.ID + "/download")
		h := resp.Header
		if resp.StatusCode != 200 || h.Get("Content-Type") != "application/octet-stream" || h.Get("X-Content-Type-Options") != "nosniff" ||
			h.Get("Content-Disposition") != `attachment; filename=`+a.Name || !strings.HasPrefix(h.Get("Content-Security-Policy"), "sandbox; default-src 'none'") {
			t.Errorf("download of %s: %d %v", a.Name, resp.StatusCode, h)
		}
	}
	resp := get("/api/v1/attachments/" + txt.ID + "/preview")
	if resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" || !strings.HasPrefix(resp.Header.Get("Content-Security-Policy"), "sandbox;") {
		t.Errorf("text preview: %v", resp.Header)
	}
	var events []struct{ Action, Target string }
	e.api("GET", "/api/v1/audit?action=attachment.", nil, &events)
	if len(events) != 3 {
		t.Errorf("%d attachment events, want 3 uploads: %+v", len(events), events)
	}
}

// TestAttachmentsCLI: stewardctl uploads a file, lists it, downloads it
// byte for byte (never overwriting), and deletes it.
func TestAttachmentsCLI(t *testing.T) {
	e := startServer(t, serverConfig())
	e.createClient("Acme")
	dir := t.TempDir()
	src := filepath.Join(dir, "report 2026.bin")
	content := bytes.Repeat([]byte("steward\x00\xff"), 100000)
	if err := os.WriteFile(src, content, 0o600); err != nil {
		t.Fatal(err)
	}
	out, errs, code := e.ctl(t, "attachments", "upload", src, "--client", "Acme")
	if code != 0 || !strings.Contains(out, "uploaded report 2026.bin") {
		t.Fatalf("upload: %d %q %q", code, out, errs)
	}
	out, _, code = e.ctl(t, "attachments", "list", "--client", "Acme", "--search", "REPORT")
	if code != 0 || !strings.Contains(out, "report 2026.bin") || !strings.Contains(out, "900000") {
		t.Fatalf("list: %d %q", code, out)
	}
	id := strings.Fields(strings.Split(out, "\n")[1])[0]
	dst := filepath.Join(dir, "copy.bin")
	if _, errs, code = e.ctl(t, "attachments", "download", id, "-O", dst); code != 0 {
		t.Fatalf("download: %d %q", code, errs)
	}
	if got, _ := os.ReadFile(dst); !bytes.Equal(got, content) {
		t.Fatalf("downloaded %d bytes, not the uploaded file", len(got))
	}
	if _, _, code = e.ctl(t, "attachments", "download", id, "-O", dst); code == 0 {
		t.Fatal("download overwrote an existing file")
	}
	if out, _, code = e.ctl(t, "attachments", "delete", id); code != 0 || !strings.Contains(out, "deleted") {
		t.Fatalf("delete: %d %q", code, out)
	}
}
