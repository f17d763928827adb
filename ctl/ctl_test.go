package ctl

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/steward-rmm/steward/api"
)

func TestClean(t *testing.T) {
	cases := map[string]string{
		"\x1b[31mred\x1b[0m":              `\x1b[31mred\x1b[0m`,
		"title\x1b]0;pwned\x07 after":     `title\x1b]0;pwned\x07 after`,
		"nul\x00bell\x07del\x7f":          `nul\x00bell\x07del\x7f`,
		"<img src=x onerror=1>":           "<img src=x onerror=1>",
		"tab\there\nline\r":               `tab\there\nline\r`,
		"invoice\u202efdp.exe":            `invoice\u202efdp.exe`,
		"\u2066x\u2069\u200e\u200f\u061c": `\u2066x\u2069\u200e\u200f\u061c`,
		"c1\u009b31m":                     `c1\u009b31m`,
		"bad\xffutf8":                     `bad\xffutf8`,
		"héllo wörld ✓":                   "héllo wörld ✓",
	}
	for in, want := range cases {
		if got := Clean(in); got != want {
			t.Errorf("Clean(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSanitizerSplitWrites(t *testing.T) {
	in := "a\r\nb\rc\x1b]52;c;ZXZpbA==\x07\x00d\u202e\xe2\x9c\x93\tend\xff\n\r"
	want := "a\nb\nc" + `\x1b]52;c;ZXZpbA==\x07\x00d\u202e` + "\u2713\tend" + `\xff` + "\n\n"
	// Every split point: characters and CR LF cut across writes.
	for cut := 0; cut <= len(in); cut++ {
		var b bytes.Buffer
		s := NewSanitizer(&b)
		s.Write([]byte(in[:cut]))
		s.Write([]byte(in[cut:]))
		s.Close()
		if b.String() != want {
			t.Fatalf("cut %d: %q, want %q", cut, b.String(), want)
		}
	}
	var b bytes.Buffer
	s := NewSanitizer(&b)
	s.Write([]byte("x\xe2\x9c"))
	s.Close()
	if b.String() != `x\xe2\x9c` {
		t.Fatalf("a character cut at the end: %q", b.String())
	}
}

func TestParseAtAndDuration(t *testing.T) {
	now := time.Date(2026, 11, 23, 22, 0, 0, 0, time.UTC)
	if at, err := ParseAt("23:30", now); err != nil || !at.Equal(now.Add(90*time.Minute)) {
		t.Errorf("23:30 -> %v %v", at, err)
	}
	if at, err := ParseAt("21:00", now); err != nil || !at.Equal(now.Add(23*time.Hour)) {
		t.Errorf("past time should be tomorrow: %v %v", at, err)
	}
	if _, err := ParseAt("soon", now); err == nil {
		t.Error("bad --at accepted")
	}
	if d, err := ParseDuration("7d"); err != nil || d != 7*24*time.Hour {
		t.Errorf("7d -> %v %v", d, err)
	}
}

// fakeAPI records requests and answers with canned JSON.
func fakeAPI(t *testing.T, answers map[string]string) (*httptest.Server, *[]string, string) {
	var seen []string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		seen = append(seen, r.Method+" "+r.URL.RequestURI()+" "+string(body))
		if r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(401)
			w.Write([]byte(`{"error":"authentication required"}`))
			return
		}
		a, ok := answers[r.Method+" "+r.URL.Path]
		if !ok {
			w.WriteHeader(404)
			w.Write([]byte(`{"error":"device not found"}`))
			return
		}
		if st, rest, ok := strings.Cut(a, " "); ok && len(st) == 3 && st[0] >= '4' && st[0] <= '5' {
			// "400 {...}": an error answer with that status.
			code := 0
			fmt.Sscan(st, &code)
			w.WriteHeader(code)
			a = rest
		}
		w.Write([]byte(a))
	}))
	t.Cleanup(srv.Close)
	sum := sha256.Sum256(srv.Certificate().Raw)
	return srv, &seen, hex.EncodeToString(sum[:])
}

func runCtl(t *testing.T, srv *httptest.Server, fp string, args ...string) (string, string, int) {
	var out, errb bytes.Buffer
	env := map[string]string{"STEWARD_SERVER": srv.URL, "STEWARD_TOKEN": "tok", "STEWARD_CA_FINGERPRINT": fp}
	code := Execute(args, strings.NewReader(""), &out, &errb, func(k string) string { return env[k] })
	return out.String(), errb.String(), code
}

func TestRequestsAndTables(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	srv, seen, fp := fakeAPI(t, map[string]string{
		"GET /api/v1/devices": `{"devices":[{"id":"d_1","hostname":"\u001b[31mevil<img src=x>","online":true}],"total":1}`,
		"POST /api/v1/jobs":   `{"job":{"id":"j_1"},"runs":[{"id":"r_1","device_id":"d_1","state":"sent"}]}`,
	})
	out, _, code := runCtl(t, srv, fp, "devices", "list", "--online", "--search", "52:54")
	if code != 0 || strings.Contains(out, "\x1b") || !strings.Contains(out, "evil<img src=x>") {
		t.Fatalf("table %q (exit %d)", out, code)
	}
	if want := "GET /api/v1/devices?limit=500&online=true&search=52%3A54 "; (*seen)[0] != want {
		t.Fatalf("request %q, want %q", (*seen)[0], want)
	}
	out, _, code = runCtl(t, srv, fp, "-o", "json", "run", "d_1", "--", "echo", "$(id)")
	var v struct {
		Job  string    `json:"job"`
		Runs []api.Run `json:"runs"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &v) != nil || v.Job != "j_1" || len(v.Runs) != 1 {
		t.Fatalf("json output %q", out)
	}
	last := (*seen)[len(*seen)-1]
	if !strings.Contains(last, `"command":["echo","$(id)"]`) || !strings.Contains(last, `"devices":["d_1"]`) {
		t.Fatalf("job body %q", last)
	}
	_, errs, code := runCtl(t, srv, fp, "devices", "show", "d_x")
	if code != 1 || !strings.Contains(errs, "device not found (HTTP 404)") {
		t.Fatalf("error %q %d", errs, code)
	}
	_, errs, code = runCtl(t, srv, strings.Repeat("ab", 32), "devices", "list")
	if code != 1 || !strings.Contains(errs, "matches no pin") {
		t.Fatalf("wrong pin: %q %d", errs, code)
	}
	// The pin in any form steward-server or a browser shows it: upper
	// case, separated by dashes or spaces, with a sha256: prefix.
	var dashed []string
	for i := 0; i < len(fp); i += 2 {
		dashed = append(dashed, strings.ToUpper(fp[i:i+2]))
	}
	for _, form := range []string{strings.Join(dashed, "-"), "sha256:" + strings.Join(dashed, " "), "ca:" + strings.Join(dashed, ":")} {
		if _, errs, code := runCtl(t, srv, form, "devices", "list"); code != 0 {
			t.Errorf("pin %q refused: %q %d", form, errs, code)
		}
	}
}

func TestSaveConfigMode(t *testing.T) {
	p := filepath.Join(t.TempDir(), "steward", "ctl.json")
	if err := SaveConfig(p, Config{Server: "https://x", Token: "secret"}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v %v", fi.Mode(), err)
	}
	c, err := LoadConfig(p)
	if err != nil || c.Token != "secret" {
		t.Fatalf("%+v %v", c, err)
	}
}
