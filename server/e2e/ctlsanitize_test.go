//go:build linux

package e2e_test

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/creack/pty"
	"github.com/gorilla/websocket"
	"github.com/steward-rmm/steward/agent"
	"github.com/steward-rmm/steward/ctl"
	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server"
	"golang.org/x/term"
)

// ctlTo runs stewardctl as admin with stdout and stderr going to out.
func (e *env) ctlTo(t *testing.T, out *os.File, args ...string) int {
	t.Helper()
	env := map[string]string{"STEWARD_SERVER": e.url, "STEWARD_TOKEN": e.token, "STEWARD_CA_FINGERPRINT": e.fp}
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	return ctl.Execute(args, strings.NewReader(""), out, out, func(k string) string { return env[k] })
}

// ctlOnPTY runs stewardctl with stdout and stderr on a real terminal and
// returns every byte the terminal received. The terminal is in raw mode,
// so what arrives is exactly what stewardctl wrote.
func (e *env) ctlOnPTY(t *testing.T, args ...string) (string, int) {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx.Close()
	if _, err := term.MakeRaw(int(tty.Fd())); err != nil {
		t.Fatal(err)
	}
	got := make(chan []byte, 1)
	go func() {
		var b bytes.Buffer
		_, _ = io.Copy(&b, ptmx) // ends with EIO once the terminal is closed and drained
		got <- b.Bytes()
	}()
	code := e.ctlTo(t, tty, args...)
	tty.Close()
	return string(<-got), code
}

// ctlPiped runs stewardctl with stdout and stderr on a pipe.
func (e *env) ctlPiped(t *testing.T, args ...string) (string, int) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(r)
		got <- b
	}()
	code := e.ctlTo(t, w, args...)
	w.Close()
	return string(<-got), code
}

// TestStewardctlSanitisesDeviceOutputOnATerminal: a device's output that
// sets the clipboard (OSC 52), clears the screen, holds a NUL and reverses
// text reaches the technician's terminal as visible escapes; --raw and a
// pipe get the exact bytes.
func TestStewardctlSanitisesDeviceOutputOnATerminal(t *testing.T) {
	e := startServer(t, server.Config{})
	_, id, _ := onlineAgent(t, e, e.createClient("Acme"), agent.Config{})
	const hostile = `printf '\033]52;c;ZXZpbA==\a'; printf '\033[2J'; printf 'A\000B'; printf '\342\200\256gnp.exe\n'; printf 'err\033[5m\r\n' >&2`
	const exact = "\x1b]52;c;ZXZpbA==\a\x1b[2JA\x00B\u202egnp.exe\n"
	const shown = `\x1b]52;c;ZXZpbA==\x07\x1b[2JA\x00B\u202egnp.exe` + "\n"
	check := func(what, got string) {
		t.Helper()
		if strings.ContainsAny(got, "\x1b\x00\a\u202e") || !strings.Contains(got, shown) || !strings.Contains(got, `err\x1b[5m`+"\n") {
			t.Errorf("%s on a terminal: %q, want %q and the stderr line escaped", what, got, shown)
		}
	}
	got, code := e.ctlOnPTY(t, "run", id, "--wait", "--", "sh", "-c", hostile)
	if code != 0 {
		t.Fatalf("run --wait: exit %d: %q", code, got)
	}
	check("run --wait", got)

	j := e.createJob(script([]string{id}, hostile))
	e.waitState(j.Runs[0].ID, protocol.StateSucceeded)
	got, _ = e.ctlOnPTY(t, "jobs", "output", j.Runs[0].ID)
	check("jobs output", got)
	got, _ = e.ctlOnPTY(t, "jobs", "output", "--follow", j.Runs[0].ID)
	check("jobs output --follow", got)

	// The technician who wants the bytes asks for them.
	if got, _ = e.ctlOnPTY(t, "--raw", "jobs", "output", j.Runs[0].ID); !strings.Contains(got, exact) {
		t.Errorf("--raw on a terminal: %q, want %q", got, exact)
	}
	if got, _ = e.ctlOnPTY(t, "--raw", "run", id, "--wait", "--", "sh", "-c", hostile); !strings.Contains(got, exact) {
		t.Errorf("--raw run --wait on a terminal: %q, want %q", got, exact)
	}
	// A pipe gets the exact bytes without asking.
	if got, _ = e.ctlPiped(t, "jobs", "output", j.Runs[0].ID); got != exact+"err\x1b[5m\r\n" {
		t.Errorf("jobs output piped: %q", got)
	}
}

// TestBidiControlsNeutralisedInTablesAndCSV: a hostname with a
// right-to-left override shows the override as \u202e in stewardctl's
// tables and in the server's CSV export, instead of reversing the text.
func TestBidiControlsNeutralisedInTablesAndCSV(t *testing.T) {
	e := startServer(t, server.Config{})
	dir, id := e.enroll(e.enrollToken(e.createClient("Acme"), 1, 0))
	ws, _ := rawAgent(t, e, dir, protocol.Version)
	host := "invoice\u202efdp.exe\u2066x\u2069"
	inv := protocol.Inventory{Hostname: host, OS: "linux", Platform: "debian"}
	if err := ws.WriteMessage(websocket.TextMessage, protocol.MustEncode(protocol.TypeInventory, "", inv)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "hostname stored", func() bool {
		d, _, _ := e.device(id)
		return d.Hostname == host
	})
	want := `invoice\u202efdp.exe\u2066x\u2069`
	out, _, code := e.ctl(t, "devices", "list")
	if code != 0 || strings.ContainsAny(out, "\u202e\u2066\u2069") || !strings.Contains(out, want) {
		t.Errorf("devices list: %q, want %q", out, want)
	}
	out, _, _ = e.ctl(t, "devices", "show", id)
	if strings.ContainsAny(out, "\u202e\u2066\u2069") || !strings.Contains(out, want) {
		t.Errorf("devices show: %q", out)
	}
	csv := e.rawGet(t, "/api/v1/devices?format=csv")
	if strings.ContainsAny(csv, "\u202e\u2066\u2069") || !strings.Contains(csv, want) {
		t.Errorf("CSV export: %q", csv)
	}
}
