package agent

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/steward-rmm/steward/protocol"
)

// TestRetireMessagePausesReports: told it is retired (the live message),
// the agent collects and sends no inventory or health, not even when asked;
// told it is restored, it collects and sends both at once.
func TestRetireMessagePausesReports(t *testing.T) {
	var inv, hl atomic.Int64
	a := &Agent{ctx: context.Background(), log: slog.New(slog.NewTextHandler(io.Discard, nil)), cfg: Config{
		Inventory: func(context.Context) protocol.Inventory { inv.Add(1); return protocol.Inventory{Hostname: "h"} },
		Health:    func(context.Context) protocol.Health { hl.Add(1); return protocol.Health{LastUser: "u"} },
	}}
	s := newSession(nil) // frames queue up unsent: the test reads them
	a.sess = s
	env := func(retired bool) protocol.Envelope {
		e, err := protocol.Decode(protocol.MustEncode(protocol.TypeRetire, "", protocol.Retire{Retired: retired}), protocol.MaxServerFrame)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	if err := a.handle(s, env(true)); err != nil || !a.retired.Load() {
		t.Fatalf("retire: %v, retired %v", err, a.retired.Load())
	}
	a.refresh(s, "")
	a.collectHealth(context.Background(), true, true)
	if inv.Load() != 0 || hl.Load() != 0 || len(s.out) != 0 {
		t.Fatalf("a retired agent collected %d inventories, %d health reports and queued %d frames", inv.Load(), hl.Load(), len(s.out))
	}
	if err := a.handle(s, env(false)); err != nil || a.retired.Load() {
		t.Fatalf("restore: %v, retired %v", err, a.retired.Load())
	}
	seen := map[string]bool{}
	deadline := time.After(30 * time.Second)
	for !seen[protocol.TypeInventory] || !seen[protocol.TypeHealth] {
		select {
		case f := <-s.out:
			e, err := protocol.Decode(f.b, protocol.MaxAgentFrame)
			if err != nil {
				t.Fatal(err)
			}
			seen[e.Type] = true
		case <-deadline:
			t.Fatalf("after the restore the agent sent only %v", seen)
		}
	}
}
