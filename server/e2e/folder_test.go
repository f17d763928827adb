//go:build linux

package e2e_test

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/steward-rmm/steward/api"
)

// folderView is the part of a device view these tests read.
type folderView struct {
	ID    string `json:"id"`
	Group string `json:"group"`
}

// patchRaw sends body as is, so tests can send bytes json.Marshal would
// have repaired (invalid UTF-8).
func (e *env) patchRaw(t *testing.T, token, path string, body []byte) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("PATCH", e.url+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (e *env) group(t *testing.T, id string) string {
	t.Helper()
	var out struct{ Device folderView }
	if code := e.api("GET", "/api/v1/devices/"+id, nil, &out); code != 200 {
		t.Fatalf("GET device %s: %d", id, code)
	}
	return out.Device.Group
}

func (e *env) inGroup(t *testing.T, token, group string) []string {
	t.Helper()
	var out struct{ Devices []folderView }
	if code := e.apiAs(token, "GET", "/api/v1/devices?group="+url.QueryEscape(group), nil, &out); code != 200 {
		t.Fatalf("list group %q: %d", group, code)
	}
	var got []string
	for _, d := range out.Devices {
		got = append(got, d.ID)
	}
	return got
}

func TestDeviceFolderSetFilterAndPersist(t *testing.T) {
	e := startServer(t, serverConfig())
	_, devA := e.enroll(e.enrollToken(e.createClient("Alpha"), 1, 0))
	_, devB := e.enroll(e.enrollToken(e.createClient("Bravo"), 1, 0))

	tests := []struct {
		name      string
		group     string
		wantGroup string
	}{
		{"trimmed", "  Lab 1\u00a0 ", "Lab 1"},
		{"128 bytes", strings.Repeat("é", 64), strings.Repeat("é", 64)},
		{"markup is only text", "<img src=x onerror=alert(1)>", "<img src=x onerror=alert(1)>"},
		{"cleared", "", ""},
		{"set again", "Lab 1", "Lab 1"},
	}
	for _, tt := range tests {
		var out struct{ Device folderView }
		if code := e.api("PATCH", "/api/v1/devices/"+devA, map[string]any{"group": tt.group}, &out); code != 200 {
			t.Fatalf("%s: PATCH %d", tt.name, code)
		}
		if out.Device.Group != tt.wantGroup {
			t.Errorf("%s: answer group = %q, want %q", tt.name, out.Device.Group, tt.wantGroup)
		}
		if got := e.group(t, devA); got != tt.wantGroup {
			t.Errorf("%s: stored group = %q, want %q", tt.name, got, tt.wantGroup)
		}
	}
	e.api("PATCH", "/api/v1/devices/"+devB, map[string]any{"group": "Bravo site"}, nil)

	// The filter is an exact match.
	for _, tt := range []struct {
		group string
		want  string
	}{
		{"Lab 1", "[" + devA + "]"},
		{"Bravo site", "[" + devB + "]"},
		{"Lab", "[]"},
		{"lab 1", "[]"},
	} {
		if got := strings.Join(e.inGroup(t, e.token, tt.group), " "); "["+got+"]" != tt.want {
			t.Errorf("group=%q lists [%s], want %s", tt.group, got, tt.want)
		}
	}
	var groups []struct {
		Group   string
		Devices int
	}
	e.api("GET", "/api/v1/groups", nil, &groups)
	if len(groups) != 2 || groups[0].Group != "Bravo site" || groups[1].Group != "Lab 1" || groups[1].Devices != 1 {
		t.Errorf("groups = %+v", groups)
	}

	// A folder is kept across a restart (it is in the store, not only in memory).
	e.restart()
	if got := e.group(t, devA); got != "Lab 1" {
		t.Errorf("after restart: group = %q", got)
	}
	if got := e.inGroup(t, e.token, "Lab 1"); len(got) != 1 || got[0] != devA {
		t.Errorf("after restart: group filter = %v", got)
	}
}

func TestDeviceFolderRefusesHostileInput(t *testing.T) {
	e := startServer(t, serverConfig())
	_, dev := e.enroll(e.enrollToken(e.createClient("Acme"), 1, 0))
	if code := e.api("PATCH", "/api/v1/devices/"+dev, map[string]any{"group": "Safe"}, nil); code != 200 {
		t.Fatalf("PATCH: %d", code)
	}
	tests := []struct {
		name string
		body string
	}{
		{"escape sequence", `{"group":"\u001b[31mred"}`},
		{"newline", `{"group":"a\nb"}`},
		{"NUL", `{"group":"a\u0000b"}`},
		{"DEL", `{"group":"a\u007fb"}`},
		{"C1 control", `{"group":"a\u009bb"}`},
		{"bidi override", `{"group":"abc\u202egpj.exe"}`},
		{"zero width space", `{"group":"a\u200bb"}`},
		{"line separator", `{"group":"a\u2028b"}`},
		{"lone surrogate", `{"group":"a\ud800b"}`},
		{"invalid UTF-8", "{\"group\":\"a\xff\xfeb\"}"},
		{"129 bytes", `{"group":"` + strings.Repeat("é", 64) + `x"}`},
		{"missing group", `{}`},
		{"unknown field", `{"group":"x","client_id":"c_other"}`},
		{"not a string", `{"group":5}`},
		{"null", `{"group":null}`},
		{"not JSON", `group=x`},
		{"huge body", `{"group":"` + strings.Repeat("a", 8192) + `"}`},
	}
	for _, tt := range tests {
		code, body := e.patchRaw(t, e.token, "/api/v1/devices/"+dev, []byte(tt.body))
		want := 400
		if tt.name == "huge body" { // too large, not malformed (issue 20)
			want = 413
		}
		if code != want {
			t.Errorf("%s: %d %s, want %d", tt.name, code, body, want)
		}
	}
	if got := e.group(t, dev); got != "Safe" {
		t.Fatalf("group changed by refused requests: %q", got)
	}
	if code, _ := e.patchRaw(t, e.token, "/api/v1/devices/d_nosuchdevice", []byte(`{"group":"x"}`)); code != 404 {
		t.Errorf("unknown device: %d, want 404", code)
	}
}

func TestDeviceFolderScopeAuditAndCLI(t *testing.T) {
	e := startServer(t, serverConfig())
	alpha, bravo := e.createClient("Alpha"), e.createClient("Bravo")
	_, devA := e.enroll(e.enrollToken(alpha, 1, 0))
	_, devB := e.enroll(e.enrollToken(bravo, 1, 0))
	e.api("PATCH", "/api/v1/devices/"+devB, map[string]any{"group": "Bravo secret site"}, nil)
	e.createUser("alpha-tech", "technician", alpha)
	e.createUser("alpha-help", "helpdesk", alpha)
	tech, help := e.tokenFor("alpha-tech"), e.tokenFor("alpha-help")

	tests := []struct {
		name, token, dev string
		want             int
	}{
		{"scoped technician, own client", tech, devA, 200},
		{"scoped technician, other client", tech, devB, 404},
		{"scoped technician, unknown device", tech, "d_nosuchdevice", 404},
		{"helpdesk lacks the clients permission", help, devA, 403},
		{"no credentials", "", devA, 401},
	}
	for _, tt := range tests {
		code, body := e.patchRaw(t, tt.token, "/api/v1/devices/"+tt.dev, []byte(`{"group":"Alpha office"}`))
		if code != tt.want {
			t.Errorf("%s: %d %s, want %d", tt.name, code, body, tt.want)
		}
		if strings.Contains(body, "Bravo") {
			t.Errorf("%s: answer shows Bravo data: %s", tt.name, body)
		}
	}
	if got := e.group(t, devB); got != "Bravo secret site" {
		t.Errorf("another client's device was changed: %q", got)
	}
	if got := e.group(t, devA); got != "Alpha office" {
		t.Errorf("own device: group %q", got)
	}
	// Filters and the folder list stay within scope.
	if got := e.inGroup(t, tech, "Bravo secret site"); len(got) != 0 {
		t.Errorf("scoped user sees another client's folder members: %v", got)
	}
	var groups []struct{ Group string }
	e.apiAs(tech, "GET", "/api/v1/groups", nil, &groups)
	if len(groups) != 1 || groups[0].Group != "Alpha office" {
		t.Errorf("scoped user's folders = %+v", groups)
	}

	// The change is audited with who, what and the old value.
	var evs []api.AuditEvent
	e.api("GET", "/api/v1/audit?action=device.update", nil, &evs)
	var mine *api.AuditEvent
	for i := range evs {
		if evs[i].Actor == "alpha-tech" {
			mine = &evs[i]
		}
	}
	if len(evs) != 2 || mine == nil || mine.Target != devA || mine.Detail["group"] != "Alpha office" ||
		mine.Detail["previous_group"] != "" || mine.Detail["client"] != alpha {
		t.Fatalf("audit = %+v", evs)
	}

	// stewardctl devices set-folder.
	out, errs, code := e.ctl(t, "devices", "set-folder", devA, "From the CLI")
	if code != 0 || !strings.Contains(out, "From the CLI") || !strings.Contains(out, devA) {
		t.Fatalf("set-folder: %d %q %q", code, out, errs)
	}
	if got := e.group(t, devA); got != "From the CLI" {
		t.Errorf("after set-folder: %q", got)
	}
	if _, errs, code := e.ctl(t, "devices", "set-folder", devA, "bad\x1bfolder"); code == 0 || !strings.Contains(errs, "HTTP 400") {
		t.Errorf("set-folder with a control character: %d %q", code, errs)
	}
	if _, errs, code := e.ctl(t, "devices", "set-folder", "d_nosuchdevice", "x"); code != 1 || !strings.Contains(errs, "HTTP 404") {
		t.Errorf("set-folder on an unknown device: %d %q", code, errs)
	}
	if out, _, code := e.ctl(t, "devices", "set-folder", devA, ""); code != 0 || e.group(t, devA) != "" {
		t.Errorf("set-folder \"\": %d %q, group %q", code, out, e.group(t, devA))
	}
}
