//go:build linux

package e2e_test

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/steward-rmm/steward/api"
)

// filesReq sends a request with a raw body as token and returns the
// status and body.
func (e *env) filesReq(token, method, path string, body io.Reader) (int, []byte, http.Header) {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.url+path, body)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := e.hc.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

func filesURL(dev, op string, q ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(q); i += 2 {
		v.Set(q[i], q[i+1])
	}
	p := "/api/v1/devices/" + dev + "/files"
	if op != "" {
		p += "/" + op
	}
	return p + "?" + v.Encode()
}

// fileTree makes a folder with files, a subfolder, a symlink leading out
// of it and a FIFO.
func fileTree(t *testing.T) (root, outside string) {
	t.Helper()
	root, outside = t.TempDir(), t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(root, "b.txt"), []byte("bee\n"), 0o640))
	must(os.WriteFile(filepath.Join(root, "A.txt"), []byte("ay\n"), 0o644))
	must(os.Mkdir(filepath.Join(root, "sub"), 0o755))
	must(os.WriteFile(filepath.Join(root, "sub", "deep.bin"), bytes.Repeat([]byte{0, 1, 2, 255}, 70000), 0o600))
	must(os.WriteFile(filepath.Join(outside, "keep.txt"), []byte("outside\n"), 0o644))
	must(os.Symlink(outside, filepath.Join(root, "link-out")))
	must(syscall.Mkfifo(filepath.Join(root, "fifo"), 0o644))
	return root, outside
}

func TestFilesBrowseAndDownload(t *testing.T) {
	e := startServer(t, serverConfig())
	_, dev, _ := onlineAgent(t, e, e.createClient("Acme"), agentConfig())
	root, outside := fileTree(t)

	// Pages of two: folders first, then by name without case; no entry
	// twice, none missing.
	var names []string
	var all []api.FileEntry
	cursor := ""
	for pages := 0; ; pages++ {
		var page api.FileList
		if code := e.api("GET", filesURL(dev, "", "path", root, "limit", "2", "cursor", cursor), nil, &page); code != 200 {
			t.Fatalf("list: %d", code)
		}
		if page.Total != 5 || page.Path != root || page.Parent != filepath.Dir(root) {
			t.Fatalf("page: %+v", page)
		}
		for _, en := range page.Entries {
			names = append(names, en.Name)
			all = append(all, en)
		}
		if cursor = page.Next; cursor == "" {
			break
		}
		if pages > 5 {
			t.Fatal("paging does not end")
		}
	}
	if want := []string{"sub", "A.txt", "b.txt", "fifo", "link-out"}; !slices.Equal(names, want) {
		t.Fatalf("entries %v, want %v", names, want)
	}
	byName := map[string]api.FileEntry{}
	for _, en := range all {
		byName[en.Name] = en
	}
	if en := byName["b.txt"]; en.Type != "file" || en.Size != 4 || en.Mode != "-rw-r-----" || en.Perm != 0o640 || en.Modified.IsZero() {
		t.Errorf("b.txt: %+v", en)
	}
	if en := byName["link-out"]; en.Type != "symlink" || en.Target != outside || !en.TargetDir {
		t.Errorf("symlink: %+v", en)
	}
	if en := byName["fifo"]; en.Type != "pipe" {
		t.Errorf("fifo: %+v", en)
	}
	if en := byName["sub"]; en.Type != "dir" || !strings.HasPrefix(en.Mode, "d") {
		t.Errorf("sub: %+v", en)
	}

	// A file, byte for byte, as an attachment.
	want, _ := os.ReadFile(filepath.Join(root, "sub", "deep.bin"))
	code, body, h := e.filesReq(e.token, "GET", filesURL(dev, "download", "path", filepath.Join(root, "sub", "deep.bin")), nil)
	if code != 200 || !bytes.Equal(body, want) {
		t.Fatalf("download: %d, %d bytes (want %d)", code, len(body), len(want))
	}
	if cd := h.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") || !strings.Contains(cd, "deep.bin") {
		t.Errorf("Content-Disposition %q", cd)
	}

	// The folder as tar.gz: files with their bytes, the link as a link
	// (what it leads to is not archived), the FIFO skipped.
	code, body, h = e.filesReq(e.token, "GET", filesURL(dev, "download", "path", root), nil)
	if code != 200 || h.Get("Content-Type") != "application/gzip" {
		t.Fatalf("folder download: %d %s", code, h.Get("Content-Type"))
	}
	base := filepath.Base(root)
	got := map[string]string{}
	gz, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	for {
		hd, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		switch hd.Typeflag {
		case tar.TypeSymlink:
			got[hd.Name] = "-> " + hd.Linkname
		case tar.TypeDir:
			got[hd.Name] = "dir"
		default:
			got[hd.Name] = fmt.Sprintf("%x", sha256.Sum256(b))
		}
	}
	sum := func(b []byte) string { return fmt.Sprintf("%x", sha256.Sum256(b)) }
	wantTar := map[string]string{base + "/": "dir", base + "/A.txt": sum([]byte("ay\n")), base + "/b.txt": sum([]byte("bee\n")),
		base + "/sub/": "dir", base + "/sub/deep.bin": sum(want), base + "/link-out": "-> " + outside}
	if fmt.Sprint(got) != fmt.Sprint(wantTar) {
		t.Fatalf("tar entries\n got %v\nwant %v", got, wantTar)
	}

	// And as zip.
	code, body, _ = e.filesReq(e.token, "GET", filesURL(dev, "download", "path", root, "archive", "zip"), nil)
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if code != 200 || err != nil {
		t.Fatalf("zip: %d %v", code, err)
	}
	var zipNames []string
	for _, f := range zr.File {
		zipNames = append(zipNames, f.Name)
		if f.Name == base+"/sub/deep.bin" {
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			if !bytes.Equal(b, want) {
				t.Error("zip content differs")
			}
		}
	}
	slices.Sort(zipNames)
	if fmt.Sprint(zipNames) != fmt.Sprint([]string{base + "/", base + "/A.txt", base + "/b.txt", base + "/link-out", base + "/sub/", base + "/sub/deep.bin"}) {
		t.Errorf("zip entries %v", zipNames)
	}

	// Never read: a FIFO (it would block), a device file; refused clearly.
	for _, p := range []string{filepath.Join(root, "fifo"), "/dev/zero"} {
		code, body, _ := e.filesReq(e.token, "GET", filesURL(dev, "download", "path", p), nil)
		if code != 422 || !strings.Contains(string(body), "never reads") {
			t.Errorf("download %s: %d %s", p, code, body)
		}
	}
	// Paths: "..", relative, missing.
	for p, wantCode := range map[string]int{root + "/sub/../b.txt": 400, "sub/deep.bin": 400, root + "/nope": 404} {
		code, body, _ := e.filesReq(e.token, "GET", filesURL(dev, "download", "path", p), nil)
		if code != wantCode {
			t.Errorf("download %q: %d %s, want %d", p, code, body, wantCode)
		}
	}
	if code, body, _ := e.filesReq(e.token, "GET", filesURL(dev, "", "path", root+"/../"), nil); code != 400 || !strings.Contains(string(body), "..") {
		t.Errorf("list with ..: %d %s", code, body)
	}

	// Search by name, bounded.
	var found api.FileSearch
	if code := e.api("GET", filesURL(dev, "search", "path", root, "name", "*.TXT"), nil, &found); code != 200 {
		t.Fatalf("search: %d", code)
	}
	var fnames []string
	for _, en := range found.Entries {
		fnames = append(fnames, en.Path)
	}
	slices.Sort(fnames)
	if fmt.Sprint(fnames) != fmt.Sprint([]string{filepath.Join(root, "A.txt"), filepath.Join(root, "b.txt")}) {
		t.Errorf("search found %v", fnames)
	}
	if code := e.api("GET", filesURL(dev, "search", "path", root, "name", "e", "limit", "1"), nil, &found); code != 200 ||
		len(found.Entries) != 1 || !found.Truncated {
		t.Errorf("bounded search: %d %+v", code, found)
	}

	// Audited with path and size.
	var evs []api.AuditEvent
	e.api("GET", "/api/v1/audit?action=files.download&limit=100", nil, &evs)
	ok := false
	for _, ev := range evs {
		if ev.Target == dev && ev.Detail["path"] == filepath.Join(root, "sub", "deep.bin") && ev.Detail["bytes"] == fmt.Sprint(len(want)) {
			ok = true
		}
	}
	if !ok {
		t.Errorf("no audit event for the download: %+v", evs)
	}
}

func TestFilesWrite(t *testing.T) {
	e := startServer(t, serverConfig())
	_, dev, _ := onlineAgent(t, e, e.createClient("Acme"), agentConfig())
	root, outside := fileTree(t)

	data := bytes.Repeat([]byte("steward upload\n"), 100000)
	target := filepath.Join(root, "up.txt")
	code, body, _ := e.filesReq(e.token, "PUT", filesURL(dev, "upload", "path", target), bytes.NewReader(data))
	if code != 201 {
		t.Fatalf("upload: %d %s", code, body)
	}
	sum := sha256.Sum256(data)
	if b, _ := os.ReadFile(target); !bytes.Equal(b, data) || !strings.Contains(string(body), hex.EncodeToString(sum[:])) {
		t.Fatalf("uploaded file differs (%d bytes) or its answer: %s", len(b), body)
	}
	// Not replaced without overwrite; replaced with it.
	if code, body, _ := e.filesReq(e.token, "PUT", filesURL(dev, "upload", "path", target), strings.NewReader("x")); code != 409 {
		t.Errorf("upload over an existing file: %d %s", code, body)
	}
	if code, _, _ := e.filesReq(e.token, "PUT", filesURL(dev, "upload", "path", target, "overwrite", "1"), strings.NewReader("new")); code != 201 {
		t.Errorf("overwrite: %d", code)
	}
	if b, _ := os.ReadFile(target); string(b) != "new" {
		t.Errorf("after overwrite: %q", b)
	}
	// A FIFO or folder is never replaced by an upload.
	if code, _, _ := e.filesReq(e.token, "PUT", filesURL(dev, "upload", "path", filepath.Join(root, "fifo"), "overwrite", "1"), strings.NewReader("x")); code != 409 {
		t.Errorf("upload over a FIFO: %d", code)
	}

	// mkdir, rename, delete.
	var ch api.FileChanged
	if code := e.api("POST", "/api/v1/devices/"+dev+"/files/mkdir", map[string]string{"path": filepath.Join(root, "new")}, &ch); code != 200 {
		t.Fatalf("mkdir: %d", code)
	}
	if st, err := os.Stat(filepath.Join(root, "new")); err != nil || !st.IsDir() {
		t.Fatalf("mkdir made nothing: %v", err)
	}
	if code := e.api("POST", "/api/v1/devices/"+dev+"/files/mkdir", map[string]string{"path": filepath.Join(root, "new")}, nil); code != 409 {
		t.Errorf("mkdir twice: %d", code)
	}
	if code := e.api("POST", "/api/v1/devices/"+dev+"/files/rename", map[string]string{"from": target, "to": filepath.Join(root, "new", "moved.txt")}, nil); code != 200 {
		t.Fatalf("rename: %d", code)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "new", "moved.txt")); string(b) != "new" {
		t.Errorf("renamed file: %q", b)
	}
	if code := e.api("POST", "/api/v1/devices/"+dev+"/files/rename", map[string]string{"from": filepath.Join(root, "A.txt"), "to": filepath.Join(root, "b.txt")}, nil); code != 409 {
		t.Errorf("rename over an existing file: %d", code)
	}
	// A folder with entries needs recursive; the tree goes, the link's
	// target outside it stays.
	if code := e.api("POST", "/api/v1/devices/"+dev+"/files/delete", map[string]any{"path": root}, nil); code != 400 {
		t.Errorf("non-recursive delete of a full folder: %d", code)
	}
	if code := e.api("POST", "/api/v1/devices/"+dev+"/files/delete", map[string]any{"path": "/"}, nil); code != 422 {
		t.Errorf("delete /: %d", code)
	}
	if code := e.api("POST", "/api/v1/devices/"+dev+"/files/delete", map[string]any{"path": root, "recursive": true}, nil); code != 200 {
		t.Fatalf("recursive delete: %d", code)
	}
	if _, err := os.Lstat(root); !os.IsNotExist(err) {
		t.Errorf("tree still there: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(outside, "keep.txt")); err != nil || string(b) != "outside\n" {
		t.Errorf("delete followed the symlink out of the tree: %v", err)
	}
	var evs []api.AuditEvent
	e.api("GET", "/api/v1/audit?action=files.upload&limit=100", nil, &evs)
	if len(evs) == 0 || evs[len(evs)-1].Detail["path"] == "" || evs[len(evs)-1].Target != dev {
		t.Errorf("uploads audited: %+v", evs)
	}
	e.api("GET", "/api/v1/audit?action=files.delete&limit=100", nil, &evs)
	if len(evs) < 3 {
		t.Errorf("deletes audited: %+v", evs)
	}
}

// TestFilesInterruptedUpload: a client that stops mid-body leaves no file
// under the final name, and no temporary file either.
func TestFilesInterruptedUpload(t *testing.T) {
	e := startServer(t, serverConfig())
	_, dev, _ := onlineAgent(t, e, e.createClient("Acme"), agentConfig())
	dir := t.TempDir()
	target := filepath.Join(dir, "big.iso")
	conn, err := tls.Dial("tcp", strings.TrimPrefix(e.url, "https://"), e.hc.Transport.(*http.Transport).TLSClientConfig)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "PUT %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n",
		filesURL(dev, "upload", "path", target), e.token, 50<<20)
	chunk := bytes.Repeat([]byte("x"), 1<<20)
	for range 3 {
		if _, err := conn.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	// The temporary file exists while the upload runs...
	waitFor(t, "temporary upload file", func() bool {
		m, _ := filepath.Glob(filepath.Join(dir, ".steward-upload-*"))
		return len(m) == 1
	})
	conn.Close()
	// ...and goes with the interrupted transfer.
	waitFor(t, "temporary file removed", func() bool {
		m, _ := filepath.Glob(filepath.Join(dir, ".steward-upload-*"))
		return len(m) == 0
	})
	if _, err := os.Lstat(target); !os.IsNotExist(err) {
		t.Fatalf("an interrupted upload left %s: %v", target, err)
	}
	var evs []api.AuditEvent
	waitFor(t, "interrupted upload audited", func() bool {
		e.api("GET", "/api/v1/audit?action=files.upload&limit=10", nil, &evs)
		return len(evs) > 0 && strings.Contains(evs[len(evs)-1].Detail["error"], "interrupted")
	})
	// An empty file is a complete upload.
	if code, body, _ := e.filesReq(e.token, "PUT", filesURL(dev, "upload", "path", filepath.Join(dir, "empty")),
		http.NoBody); code != 201 {
		t.Errorf("empty upload: %d %s", code, body)
	}
	if st, err := os.Stat(filepath.Join(dir, "empty")); err != nil || st.Size() != 0 {
		t.Errorf("empty upload: %v", err)
	}
}

// TestFilesUploadLimit: a declared size above --max-upload is refused
// before any byte moves; a chunked body that passes it is cut and leaves
// nothing behind.
func TestFilesUploadLimit(t *testing.T) {
	cfg := serverConfig()
	cfg.MaxUpload = 1 << 20
	e := startServer(t, cfg)
	_, dev, _ := onlineAgent(t, e, e.createClient("Acme"), agentConfig())
	dir := t.TempDir()
	big := bytes.Repeat([]byte("z"), 2<<20)
	if code, _, _ := e.filesReq(e.token, "PUT", filesURL(dev, "upload", "path", filepath.Join(dir, "a")), bytes.NewReader(big)); code != 413 {
		t.Errorf("declared oversize upload: %d", code)
	}
	// No Content-Length: the limit cuts the stream.
	code, body, _ := e.filesReq(e.token, "PUT", filesURL(dev, "upload", "path", filepath.Join(dir, "b")), io.MultiReader(bytes.NewReader(big)))
	if code != 413 {
		t.Errorf("chunked oversize upload: %d %s", code, body)
	}
	waitFor(t, "no file left", func() bool {
		ents, _ := os.ReadDir(dir)
		return len(ents) == 0
	})
}

// TestFilesScopeFreshAndOffline: another client's device is not found;
// writing needs files_write with a fresh second factor (reading does not);
// an offline device says so.
func TestFilesScopeFreshAndOffline(t *testing.T) {
	e := startServer(t, serverConfig())
	a, b := e.createClient("Alpha"), e.createClient("Bravo")
	_, devA, agA := onlineAgent(t, e, a, agentConfig())
	_, devB, _ := onlineAgent(t, e, b, agentConfig())
	dir := t.TempDir()
	e.createUser("alpha-tech", "technician", a)
	tok := e.tokenFor("alpha-tech")
	if code, _, _ := e.filesReq(tok, "GET", filesURL(devA, "", "path", dir), nil); code != 200 {
		t.Fatalf("own client's device: %d", code)
	}
	for _, r := range []struct{ method, path string }{
		{"GET", filesURL(devB, "", "path", dir)}, {"GET", filesURL(devB, "download", "path", "/etc/hostname")},
		{"GET", filesURL(devB, "search", "path", dir, "name", "x")},
		{"PUT", filesURL(devB, "upload", "path", filepath.Join(dir, "x"))},
		{"POST", "/api/v1/devices/" + devB + "/files/mkdir"},
	} {
		code, body, _ := e.filesReq(tok, r.method, r.path, strings.NewReader(`{"path":"`+dir+`/y"}`))
		if code != 404 || strings.Contains(string(body), devB) {
			t.Errorf("%s %s as Alpha's technician: %d %s", r.method, r.path, code, body)
		}
	}
	if _, err := os.Lstat(filepath.Join(dir, "x")); !os.IsNotExist(err) {
		t.Error("a scoped user wrote on another client's device")
	}
	// Password only (no second factor): may browse, may not write.
	e.createUser("pat", "technician")
	code, pat, _ := e.loginToken(t, map[string]any{"username": "pat", "password": "pat-password-1"}, "")
	if code != 201 {
		t.Fatalf("pat token: %d", code)
	}
	if code, _, _ := e.filesReq(pat, "GET", filesURL(devA, "", "path", dir), nil); code != 200 {
		t.Errorf("browse without two-factor: %d", code)
	}
	if code, _, _ := e.filesReq(pat, "PUT", filesURL(devA, "upload", "path", filepath.Join(dir, "p")), strings.NewReader("x")); code != 401 && code != 403 {
		t.Errorf("upload without two-factor: %d", code)
	}
	if code, _, _ := e.filesReq(pat, "POST", "/api/v1/devices/"+devA+"/files/mkdir", strings.NewReader(`{"path":"`+dir+`/q"}`)); code != 401 && code != 403 {
		t.Errorf("mkdir without two-factor: %d", code)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("writes without two-factor changed the folder: %v", ents)
	}
	// A read-only user has neither permission.
	e.createUser("ro", "read-only")
	if code, _, _ := e.filesReq(e.tokenFor("ro"), "GET", filesURL(devA, "", "path", dir), nil); code != 403 {
		t.Errorf("read-only user browsed files: %d", code)
	}
	// Offline.
	agA.stop()
	waitFor(t, "agent offline", func() bool { return !e.online(devA) })
	if code, body, _ := e.filesReq(e.token, "GET", filesURL(devA, "", "path", dir), nil); code != 409 || !strings.Contains(string(body), "offline") {
		t.Errorf("offline device: %d %s", code, body)
	}
}

// TestFilesCLI: stewardctl files put, ls, get, find, mv, mkdir, rm against
// the real server and agent.
func TestFilesCLI(t *testing.T) {
	e := startServer(t, serverConfig())
	_, dev, _ := onlineAgent(t, e, e.createClient("Acme"), agentConfig())
	remote, local := t.TempDir(), t.TempDir()
	src := filepath.Join(local, "src.bin")
	data := bytes.Repeat([]byte{7, 0, 255}, 300000)
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		out, errs, code := e.ctl(t, append(args, "--device", dev)...)
		if code != 0 {
			t.Fatalf("stewardctl %v: exit %d %s", args, code, errs)
		}
		return out
	}
	run("files", "put", src, filepath.Join(remote, "up.bin"))
	run("files", "mkdir", filepath.Join(remote, "dir"))
	run("files", "mv", filepath.Join(remote, "up.bin"), filepath.Join(remote, "dir", "moved.bin"))
	if out := run("files", "ls", filepath.Join(remote, "dir"), "--page", "1"); !strings.Contains(out, "moved.bin") || !strings.Contains(out, "900000") {
		t.Errorf("ls: %s", out)
	}
	if out := run("files", "find", remote, "MOVED"); !strings.Contains(out, filepath.Join(remote, "dir", "moved.bin")) {
		t.Errorf("find: %s", out)
	}
	got := filepath.Join(local, "got.bin")
	run("files", "get", filepath.Join(remote, "dir", "moved.bin"), "-O", got)
	if b, _ := os.ReadFile(got); !bytes.Equal(b, data) {
		t.Errorf("get: %d bytes", len(b))
	}
	if _, errs, code := e.ctl(t, "files", "rm", filepath.Join(remote, "dir"), "--device", dev); code == 0 || !strings.Contains(errs, "recursively") {
		t.Errorf("rm of a full folder without -r: %d %s", code, errs)
	}
	run("files", "rm", "-r", filepath.Join(remote, "dir"))
	if _, err := os.Stat(filepath.Join(remote, "dir")); !os.IsNotExist(err) {
		t.Errorf("rm -r left the folder: %v", err)
	}
}
