//go:build linux

package e2e_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/steward-rmm/steward/server"
)

// postRaw sends body as it is to path, as admin, and returns the status
// and the body of the answer.
func (e *env) postRaw(t *testing.T, path string, body []byte) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", e.url+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+e.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestRealCompanyNames: client names are data. Real company names are
// accepted through the API and stewardctl and come back exactly; markup
// and formula text is stored but stays text wherever it is shown; what
// could restyle or reorder a reader's text is refused, naming the rule.
func TestRealCompanyNames(t *testing.T) {
	e := startServer(t, server.Config{})
	apiNames := []string{"Smith, Jones & Co", "A+B Plumbing", "AT&T / Field Office", "Café #2"}
	for _, name := range apiNames {
		var c struct{ ID, Name string }
		if code := e.api("POST", "/api/v1/clients", map[string]any{"name": "  " + name + " "}, &c); code != 201 || c.Name != name {
			t.Errorf("create client %q over the API: %d %+v", name, code, c)
		}
	}
	ctlNames := []string{"Smith, Jones & Co (CLI)", "A+B Plumbing (CLI)", "AT&T / Field Office (CLI)", "Café #2 (CLI)"}
	for _, name := range ctlNames {
		out, errs, code := e.ctl(t, "-o", "json", "clients", "create", name)
		var c struct{ Name string }
		if code != 0 || json.Unmarshal([]byte(out), &c) != nil || c.Name != name {
			t.Errorf("stewardctl clients create %q: exit %d %q %q", name, code, out, errs)
		}
	}
	var list []struct{ ID, Name string }
	e.api("GET", "/api/v1/clients", nil, &list)
	got := map[string]string{}
	for _, c := range list {
		got[c.Name] = c.ID
	}
	for _, name := range append(apiNames, ctlNames...) {
		if got[name] == "" {
			t.Errorf("client %q did not round-trip; have %v", name, got)
		}
	}
	if out, _, code := e.ctl(t, "clients", "list"); code != 0 || !strings.Contains(out, "AT&T / Field Office (CLI)") || !strings.Contains(out, "Café #2") {
		t.Errorf("clients list table: exit %d\n%s", code, out)
	}

	// Hostile but printable: stored, and shown as text.
	script, formula := "<script>alert(1)</script>", "=cmd|' /C calc'!A0"
	scriptID, formulaID := e.createClient(script), e.createClient(formula)
	raw := e.rawGet(t, "/api/v1/clients")
	if strings.Contains(raw, "<script>") || !strings.Contains(raw, `\u003cscript\u003ealert(1)\u003c/script\u003e`) {
		t.Errorf("API JSON does not escape the markup in a client name: %s", raw)
	}
	_, dev := e.enroll(e.enrollToken(formulaID, 1, 0))
	e.enroll(e.enrollToken(scriptID, 1, 0))
	rows, err := csv.NewReader(strings.NewReader(e.rawGet(t, "/api/v1/devices?format=csv"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	seen := false
	for _, row := range rows[1:] {
		if row[0] == dev {
			seen = true
			if row[4] != "'"+formula {
				t.Errorf("CSV client cell %q: a formula must be neutralised", row[4])
			}
		}
	}
	if !seen {
		t.Errorf("device %s missing from the CSV export: %v", dev, rows)
	}
	if out, _, code := e.ctl(t, "clients", "list"); code != 0 || !strings.Contains(out, script) || !strings.Contains(out, formula) {
		t.Errorf("clients list does not show the names as text: exit %d\n%s", code, out)
	}

	// Refused, with the rule named: text that could reorder or restyle
	// what a reader sees, and invalid UTF-8.
	for _, bad := range []struct{ body, want string }{
		{`{"name":"invoice\u202Egpj.exe"}`, "no control, formatting or bidi characters (found U+202E)"},
		{`{"name":"red\u001b[31m"}`, "(found U+001B)"},
		{"{\"name\":\"a\xffb\"}", "client name must be valid UTF-8"},
		{`{"name":"   "}`, "client name is required"},
	} {
		code, body := e.postRaw(t, "/api/v1/clients", []byte(bad.body))
		if code != 400 || !strings.Contains(body, bad.want) {
			t.Errorf("POST %s: %d %s, want 400 naming %q", bad.body, code, body, bad.want)
		}
	}
	// The CLI shows the server's rule.
	if _, errs, code := e.ctl(t, "clients", "create", "evil\u202Etxt"); code == 0 || !strings.Contains(errs, "U+202E") {
		t.Errorf("stewardctl clients create with a bidi override: exit %d %q", code, errs)
	}
}

// TestOversizedBodySaysTooLarge: a body over a route's limit is 413 naming
// the limit, not a JSON syntax error; a field too long within the limit
// names the field and its limit; malformed JSON is still 400.
func TestOversizedBodySaysTooLarge(t *testing.T) {
	e := startServer(t, server.Config{})
	code, body := e.postRaw(t, "/api/v1/clients", []byte(`{"name":"`+strings.Repeat("a", 5<<10)+`"}`))
	if code != 413 || !strings.Contains(body, "request body too large: limit 4096 bytes") {
		t.Errorf("5 KB client name: %d %s, want 413 naming the limit", code, body)
	}
	code, body = e.postRaw(t, "/api/v1/clients", []byte(`{"name":"`+strings.Repeat("é", 300)+`"}`))
	if code != 400 || !strings.Contains(body, "client name is too long: at most 200 characters (got 300)") {
		t.Errorf("300-character client name: %d %s, want 400 naming the field limit", code, body)
	}
	code, body = e.postRaw(t, "/api/v1/clients", []byte(`{"name":"Acme"`))
	if code != 400 || !strings.Contains(body, "malformed JSON body") {
		t.Errorf("truncated JSON: %d %s, want 400 malformed JSON body", code, body)
	}
	// Every route that decodes a body says the same.
	for _, path := range []string{"/api/v1/tokens", "/api/v1/users", "/api/v1/me/tokens", "/api/v1/jobs", "/api/v1/scripts"} {
		code, body := e.postRaw(t, path, []byte(`{"name":"`+strings.Repeat("a", 3<<20)+`"}`))
		if code != 413 || !strings.Contains(body, "request body too large: limit ") {
			t.Errorf("POST %s with 3 MB: %d %.200s, want 413 naming the limit", path, code, body)
		}
	}
	// A token name is a display name too: named, limited, and no bidi.
	code, body = e.postRaw(t, "/api/v1/me/tokens", []byte(`{"name":"ci \u202Egnp","expires_seconds":3600}`))
	if code != 400 || !strings.Contains(body, "name must be printable text") {
		t.Errorf("token name with a bidi override: %d %s", code, body)
	}
}
