//go:build linux

package e2e_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/steward-rmm/steward/agent"
	"github.com/steward-rmm/steward/ctl"
	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server"
)

func (e *env) ctl(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	env := map[string]string{"STEWARD_SERVER": e.url, "STEWARD_TOKEN": e.token, "STEWARD_CA_FINGERPRINT": e.fp,
		"HOME": t.TempDir()}
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	code := ctl.Execute(args, strings.NewReader(""), &out, &errb, func(k string) string { return env[k] })
	return out.String(), errb.String(), code
}

func TestStewardctlAgainstRealServer(t *testing.T) {
	e := startServer(t, server.Config{})
	_, id, _ := onlineAgent(t, e, e.createClient("Acme"), agent.Config{})
	out, errs, code := e.ctl(t, "devices", "list", "--online")
	if code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "true") {
		t.Fatalf("devices list: %d %q %q", code, out, errs)
	}
	out, _, code = e.ctl(t, "run", id, "--wait", "--", "sh", "-c", `echo "$1"; exit 4`, "x", "$(id)")
	if code != 4 || out != "$(id)\n" {
		t.Fatalf("run --wait: exit %d output %q", code, out)
	}
	out, _, code = e.ctl(t, "-o", "json", "run", id, "--wait", "--", "true")
	var runs []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &runs) != nil || len(runs) != 1 || runs[0]["state"] != "succeeded" {
		t.Fatalf("json run: %d %q", code, out)
	}
	_, errs, code = e.ctl(t, "devices", "show", "d_doesnotexist")
	if code != 1 || !strings.Contains(errs, "device not found (HTTP 404)") {
		t.Fatalf("unknown device: %d %q", code, errs)
	}
	out, _, code = e.ctl(t, "audit", "verify")
	if code != 0 || !strings.Contains(out, "intact") {
		t.Fatalf("audit verify: %d %q", code, out)
	}
	// A wrong pin is refused.
	var o, eb bytes.Buffer
	bad := map[string]string{"STEWARD_SERVER": e.url, "STEWARD_TOKEN": e.token, "STEWARD_CA_FINGERPRINT": strings.Repeat("0", 64)}
	if c := ctl.Execute([]string{"devices", "list"}, nil, &o, &eb, func(k string) string { return bad[k] }); c != 1 ||
		!strings.Contains(eb.String(), "matches no pin") {
		t.Fatalf("wrong pin: %d %q", c, eb.String())
	}
}

func TestHostileDeviceDataIsData(t *testing.T) {
	e := startServer(t, server.Config{})
	dir, id := e.enroll(e.enrollToken(e.createClient("Acme"), 1, 0))
	ws, _ := rawAgent(t, e, dir, protocol.Version)
	hostile := "\x1b[31m<img src=x onerror=alert(1)>\x1b]0;pwned\x07=cmd|' /C calc'!A0\x00" + strings.Repeat("A", 64<<10)
	inv := protocol.Inventory{Hostname: hostile, OS: "linux", Platform: "<script>alert(1)</script>", CPUModel: hostile}
	if err := ws.WriteMessage(websocket.TextMessage, protocol.MustEncode(protocol.TypeInventory, "", inv)); err != nil {
		t.Fatal(err)
	}
	var d deviceView
	waitFor(t, "hostile inventory stored", func() bool {
		d, _, _ = e.device(id)
		return strings.Contains(d.Hostname, "<img")
	})
	if len(d.Hostname) > 255 || !strings.HasPrefix(d.Hostname, "\x1b[31m<img src=x onerror=alert(1)>") {
		t.Fatalf("hostname not capped or altered: %d bytes", len(d.Hostname))
	}
	out, _, code := e.ctl(t, "devices", "list")
	if code != 0 || strings.ContainsAny(out, "\x1b\x00\x07") || !strings.Contains(out, "<img src=x onerror=alert(1)>") {
		t.Fatalf("CLI table not cleaned: %q", out)
	}
	csv := e.rawGet(t, "/api/v1/devices?format=csv")
	if !strings.Contains(csv, "'") || strings.Contains(csv, ",=cmd") || strings.Contains(csv, "\x1b") {
		t.Fatalf("CSV not neutralised: %q", csv[:200])
	}
	// JSON escapes '<' so it can never become markup in a page.
	js := e.rawGet(t, "/api/v1/devices/"+id)
	if strings.Contains(js, "<img") || !strings.Contains(js, `\u003cimg`) {
		t.Fatalf("JSON not escaped: %q", js[:200])
	}
}
