//go:build linux

package e2e_test

import (
	"strings"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server"
)

// TestContentHashSurvivesSanitising: a device whose inventory and health
// carry text the server sanitises (over-long, invalid UTF-8, control
// characters) must get back, in the next welcome, the hash it computes
// itself; otherwise the agent resends an unchanged report at every
// connection, forever. Before protocol.ContentHash the server hashed what
// it had sanitised and the agent what it sent.
func TestContentHashSurvivesSanitising(t *testing.T) {
	e := startServer(t, server.Config{})
	dir, id := e.enroll(e.enrollToken(e.createClient("Acme"), 1, 0))
	ws, _ := rawAgent(t, e, dir, protocol.Version)
	long := "host-\xff\xfe\x1b[31m" + strings.Repeat("é", 400)
	inv := protocol.Inventory{Hostname: long, OS: "linux", CPUModel: "cpu\xc3" + strings.Repeat("x", 2000),
		Users: []string{"u\xff"}}
	h := protocol.Health{LastUser: long, Errors: []string{strings.Repeat("e", 5000)}}
	h.Reboot.Pending = true
	h.Reboot.Reasons = []protocol.RebootReason{{Code: "x\xff", Detail: strings.Repeat("d", 10000)}}
	for typ, v := range map[string]any{protocol.TypeInventory: inv, protocol.TypeHealth: h} {
		if err := ws.WriteMessage(websocket.TextMessage, protocol.MustEncode(typ, "", v)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "inventory and health stored", func() bool {
		d, _, _ := e.device(id)
		return strings.HasPrefix(d.Hostname, "host-") && d.PendingReboot
	})
	if d, _, _ := e.device(id); len(d.Hostname) > 255 {
		t.Fatalf("hostname not sanitised: %d bytes", len(d.Hostname))
	}
	ws.Close()
	_, env := rawAgent(t, e, dir, protocol.Version)
	var w protocol.Welcome
	if env.Type != protocol.TypeWelcome || protocol.DecodeData(env, &w) != nil {
		t.Fatalf("expected welcome, got %q", env.Type)
	}
	if want := protocol.ContentHash(inv); w.InventoryHash != want {
		t.Fatalf("welcome inventory hash %q, the agent computes %q: it would resend forever", w.InventoryHash, want)
	}
	if want := protocol.ContentHash(h); w.HealthHash != want {
		t.Fatalf("welcome health hash %q, the agent computes %q: it would resend forever", w.HealthHash, want)
	}
}
