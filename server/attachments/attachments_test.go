package attachments

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/auditlog"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
	boltstore "github.com/steward-rmm/steward/server/store/bolt"
)

// rig is the wing on a real bbolt store, audit log and content folder,
// its routes served as the principal named in "X-Test-User" (the
// server's router and its checks are tested end to end in server/e2e).
type rig struct {
	t     *testing.T
	dir   string
	db    *boltstore.DB
	alog  *auditlog.Log
	w     *Wing
	srv   *httptest.Server
	users map[string]*httpx.Principal
}

type clientScope struct{ st Store }

func (c clientScope) ResolveClient(p *httpx.Principal, ref string) (store.Client, bool) {
	cs, _ := c.st.Clients()
	for _, x := range cs {
		if (x.ID == ref || x.Name == ref) && p.CanSeeClient(x.ID) {
			return x, true
		}
	}
	return store.Client{}, false
}

func newRig(t *testing.T, max int64) *rig {
	t.Helper()
	r := &rig{t: t, dir: t.TempDir()}
	var err error
	if r.db, err = boltstore.Open(r.dir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.db.Close() })
	for _, c := range []string{"c_a", "c_b"} {
		if err := r.db.CreateClient(store.Client{ID: c, Name: strings.ToUpper(c[2:])}); err != nil {
			t.Fatal(err)
		}
	}
	log := slog.New(slog.DiscardHandler)
	r.alog, err = auditlog.Open(auditlog.Config{DataDir: r.dir}, auditlog.Deps{Store: r.db, Now: time.Now, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.alog.Close)
	r.users = map[string]*httpx.Principal{
		"tina": {UserID: "u_tina", Name: "tina", AllClients: true},
		"ann":  {UserID: "u_ann", Name: "ann", Clients: []string{"c_a"}},
	}
	r.w = New(Deps{Config: Config{Dir: filepath.Join(r.dir, "attachments"), MaxSize: max}, Store: r.db, Clients: clientScope{r.db},
		Audit: r.alog, Now: time.Now, Log: log})
	mux := http.NewServeMux()
	for _, rt := range r.w.Routes() {
		mux.HandleFunc(rt.Method+" "+rt.Pattern, func(w http.ResponseWriter, q *http.Request) {
			rt.H(w, q, r.users[q.Header.Get("X-Test-User")])
		})
	}
	r.srv = httptest.NewServer(mux)
	t.Cleanup(r.srv.Close)
	return r
}

func (r *rig) do(user, method, path string, body io.Reader) *http.Response {
	r.t.Helper()
	req, _ := http.NewRequest(method, r.srv.URL+path, body)
	req.Header.Set("X-Test-User", user)
	resp, err := r.srv.Client().Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func (r *rig) upload(client, name string, content []byte) api.Attachment {
	r.t.Helper()
	resp := r.do("tina", "POST", "/api/v1/clients/"+client+"/attachments?name="+urlq(name), bytes.NewReader(content))
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 201 {
		r.t.Fatalf("upload %s: %d %s", name, resp.StatusCode, b)
	}
	var a api.Attachment
	if err := json.Unmarshal(b, &a); err != nil {
		r.t.Fatal(err)
	}
	return a
}

func urlq(s string) string {
	return strings.NewReplacer("%", "%25", " ", "%20", "&", "%26", "?", "%3F", "#", "%23", "+", "%2B").Replace(s)
}

// files lists everything below the content folder.
func (r *rig) files() []string {
	var out []string
	filepath.WalkDir(filepath.Join(r.dir, "attachments"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(r.dir, p)
			out = append(out, rel)
		}
		return nil
	})
	return out
}

// chunked hides a reader's length, so the request has no Content-Length.
type chunked struct{ io.Reader }

// TestTooLargeKeepsNothing: past the limit an upload answers 413 with a
// clear message, whether its size was announced or not, and leaves no
// file and no record; an upload of exactly the limit is kept.
func TestTooLargeKeepsNothing(t *testing.T) {
	r := newRig(t, 1000)
	for name, body := range map[string]io.Reader{"announced": bytes.NewReader(make([]byte, 1001)),
		"streamed": chunked{bytes.NewReader(make([]byte, 5000))}} {
		resp := r.do("tina", "POST", "/api/v1/clients/c_a/attachments?name=big.bin", body)
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 413 || !strings.Contains(string(b), "file too large: the limit is 1000 bytes") {
			t.Errorf("%s upload over the limit: %d %s", name, resp.StatusCode, b)
		}
	}
	if f := r.files(); len(f) != 0 {
		t.Fatalf("refused uploads left files: %v", f)
	}
	if as, _ := r.db.Attachments(store.AttachmentQuery{}); len(as) != 0 {
		t.Fatalf("refused uploads left records: %+v", as)
	}
	a := r.upload("c_a", "exact.bin", bytes.Repeat([]byte{7}, 1000))
	if a.Size != 1000 || len(r.files()) != 1 {
		t.Fatalf("upload at the limit: %+v %v", a, r.files())
	}
}

// TestDedupAndDelete: the same content twice for a client is one file;
// another client's copy is its own; deleting keeps the content until its
// last attachment of that client goes. Deletions are audited.
func TestDedupAndDelete(t *testing.T) {
	r := newRig(t, 1<<20)
	content := []byte("quarterly report\n")
	a1, a2 := r.upload("c_a", "report.txt", content), r.upload("c_a", "copy of report.txt", content)
	b1 := r.upload("c_b", "report.txt", content)
	if a1.SHA256 != a2.SHA256 || a1.ID == a2.ID {
		t.Fatalf("two uploads: %+v %+v", a1, a2)
	}
	if f := r.files(); len(f) != 2 {
		t.Fatalf("files %v, want one per client", f)
	}
	var d api.AttachmentDeleted
	resp := r.do("tina", "DELETE", "/api/v1/attachments/"+a1.ID, nil)
	if json.NewDecoder(resp.Body).Decode(&d); resp.StatusCode != 200 || d.ContentRemoved {
		t.Fatalf("delete of a shared content: %d %+v", resp.StatusCode, d)
	}
	if got := r.get("tina", "/api/v1/attachments/"+a2.ID+"/download"); got != string(content) {
		t.Fatalf("the other attachment lost its content: %q", got)
	}
	resp = r.do("tina", "DELETE", "/api/v1/attachments/"+a2.ID, nil)
	if json.NewDecoder(resp.Body).Decode(&d); resp.StatusCode != 200 || !d.ContentRemoved {
		t.Fatalf("delete of the last: %d %+v", resp.StatusCode, d)
	}
	if f := r.files(); len(f) != 1 || !strings.Contains(f[0], "c_b") {
		t.Fatalf("files after deleting A's: %v, want B's alone", f)
	}
	if got := r.get("tina", "/api/v1/attachments/"+b1.ID+"/download"); got != string(content) {
		t.Fatalf("B's content: %q", got)
	}
	ev, _ := r.alog.Query(store.AuditQuery{Action: "attachment.delete"})
	if len(ev) != 2 || ev[1].Detail["content_removed"] != "true" || ev[1].Actor != "tina" || ev[1].Client != "c_a" {
		t.Fatalf("delete events: %+v", ev)
	}
}

func (r *rig) get(user, path string) string {
	r.t.Helper()
	resp := r.do(user, "GET", path, nil)
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		r.t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	return string(b)
}

// TestServedFilesCannotRunScript: downloads are opaque bytes with
// Content-Disposition: attachment, nosniff and a sandbox CSP; an HTML
// file and an SVG with script have no preview (415); images, PDF and
// plain text preview inline under the same sandbox, with their checked
// type, never the uploader's.
func TestServedFilesCannotRunScript(t *testing.T) {
	r := newRig(t, 1<<20)
	html := r.upload("c_a", "invoice.html", []byte("<html><body><script>alert(document.cookie)</script></body></html>"))
	svg := r.upload("c_a", "logo.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`))
	xmlsvg := r.upload("c_a", "logo.png", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`))
	png := r.upload("c_a", "shot.png", append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 64)...))
	txt := r.upload("c_a", "notes.txt", []byte("meeting notes: <script>alert(1)</script> stays text\n"))
	pdf := r.upload("c_a", "Rechnung März.pdf", []byte("%PDF-1.4\n%...\n"))
	// HTML named as text sniffs as HTML: no preview either.
	htmltxt := r.upload("c_a", "readme.txt", []byte("<script>alert(1)</script> looks like text\n"))
	for _, a := range []api.Attachment{html, svg, xmlsvg, png, txt, pdf, htmltxt} {
		resp := r.do("tina", "GET", "/api/v1/attachments/"+a.ID+"/download", nil)
		h := resp.Header
		if resp.StatusCode != 200 || h.Get("Content-Type") != "application/octet-stream" || !strings.HasPrefix(h.Get("Content-Disposition"), "attachment;") ||
			h.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") ||
			!strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") {
			t.Errorf("download of %s: %d %v", a.Name, resp.StatusCode, h)
		}
	}
	for _, a := range []api.Attachment{html, svg, xmlsvg, htmltxt} {
		if a.Preview {
			t.Errorf("%s (%s) offers a preview", a.Name, a.ContentType)
		}
		resp := r.do("tina", "GET", "/api/v1/attachments/"+a.ID+"/preview", nil)
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 415 || strings.Contains(string(b), "alert") {
			t.Errorf("preview of %s (%s): %d %s, want 415", a.Name, a.ContentType, resp.StatusCode, b)
		}
	}
	for a, ct := range map[*api.Attachment]string{&png: "image/png", &txt: "text/plain; charset=utf-8", &pdf: "application/pdf"} {
		resp := r.do("tina", "GET", "/api/v1/attachments/"+a.ID+"/preview", nil)
		h := resp.Header
		if !a.Preview || resp.StatusCode != 200 || h.Get("Content-Type") != ct || !strings.HasPrefix(h.Get("Content-Disposition"), "inline;") ||
			!strings.HasPrefix(h.Get("Content-Security-Policy"), "sandbox;") || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("preview of %s: %d %v", a.Name, resp.StatusCode, h)
		}
	}
	// RFC 6266 / 5987: a non-ASCII name goes as filename* in UTF-8.
	resp := r.do("tina", "GET", "/api/v1/attachments/"+pdf.ID+"/download", nil)
	if d := resp.Header.Get("Content-Disposition"); d != "attachment; filename*=utf-8''Rechnung%20M%C3%A4rz.pdf" {
		t.Errorf("Content-Disposition of a non-ASCII name: %q", d)
	}
}

// TestNamesScopeAndSearch: a path in a name keeps its last element; bidi
// controls are refused; a user of client A gets 404 for B's files;
// search is by file name.
func TestNamesScopeAndSearch(t *testing.T) {
	r := newRig(t, 1<<20)
	a := r.upload("c_a", `..\..\windows/../../etc/passwd`, []byte("x"))
	if a.Name != "passwd" {
		t.Fatalf("name with a path: %q", a.Name)
	}
	if resp := r.do("tina", "POST", "/api/v1/clients/c_a/attachments?name=invoice%E2%80%AEfdp.exe", strings.NewReader("x")); resp.StatusCode != 400 {
		t.Fatalf("a name with a right-to-left override: %d", resp.StatusCode)
	}
	if resp := r.do("tina", "POST", "/api/v1/clients/c_a/attachments?name=a.txt&owner_kind=invoice&owner_id=1", strings.NewReader("x")); resp.StatusCode != 400 {
		t.Fatalf("unknown owner kind: %d", resp.StatusCode)
	}
	r.upload("c_a", "Invoice-2026.pdf", []byte("%PDF-1.4 one"))
	b := r.upload("c_b", "bravo-invoice.pdf", []byte("%PDF-1.4 two"))
	for _, p := range []string{"/api/v1/attachments/" + b.ID, "/api/v1/attachments/" + b.ID + "/download", "/api/v1/attachments/" + b.ID + "/preview",
		"/api/v1/clients/c_b/attachments"} {
		if resp := r.do("ann", "GET", p, nil); resp.StatusCode != 404 {
			t.Errorf("GET %s as ann: %d", p, resp.StatusCode)
		}
	}
	for _, c := range []struct{ method, path string }{{"DELETE", "/api/v1/attachments/" + b.ID}, {"POST", "/api/v1/clients/c_b/attachments?name=x"}} {
		if resp := r.do("ann", c.method, c.path, strings.NewReader("x")); resp.StatusCode != 404 {
			t.Errorf("%s %s as ann: %d", c.method, c.path, resp.StatusCode)
		}
	}
	if got := r.get("ann", "/api/v1/attachments?q=INVOICE"); !strings.Contains(got, "Invoice-2026.pdf") || strings.Contains(got, "bravo") {
		t.Errorf("ann's search: %s", got)
	}
	if got := r.get("tina", "/api/v1/attachments?q=invoice"); !strings.Contains(got, "bravo-invoice.pdf") || strings.Contains(got, "passwd") {
		t.Errorf("tina's search: %s", got)
	}
}
