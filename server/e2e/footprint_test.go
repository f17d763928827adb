//go:build linux

package e2e_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/steward-rmm/steward/agent"
	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server"
)

// heartbeatSeq is the sequence number of the device's latest heartbeat.
func (e *env) heartbeatSeq(id string) uint64 {
	var out struct {
		Device struct {
			Heartbeat protocol.Heartbeat `json:"heartbeat"`
		} `json:"device"`
	}
	e.api("GET", "/api/v1/devices/"+id, nil, &out)
	return out.Device.Heartbeat.Seq
}

// TestIdleAgentStartsNoProcessPerHeartbeat: the user listing of every
// heartbeat used to run `loginctl list-sessions` (gopsutil's fallback where
// utmp is not written, as on this machine). The tools that could list
// users are replaced by recorders first on PATH; over several heartbeats of
// a real agent none may be started, and the full health collection waits
// for its delay while the connection, heartbeats and inventory go first.
func TestIdleAgentStartsNoProcessPerHeartbeat(t *testing.T) {
	bin := t.TempDir()
	log := filepath.Join(bin, "ran.log")
	for _, name := range []string{"loginctl", "who", "w", "users", "last", "ps"} {
		script := "#!/bin/sh\necho \"" + name + " $*\" >> " + log + "\n"
		if err := os.WriteFile(filepath.Join(bin, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", bin+":"+os.Getenv("PATH"))
	e := startServer(t, server.Config{})
	var collected atomic.Int32
	_, id, _ := onlineAgent(t, e, e.createClient("Acme"), agent.Config{
		HealthDelay: time.Hour,
		Health: func(context.Context) protocol.Health {
			collected.Add(1)
			return protocol.Health{}
		},
	})
	start := e.heartbeatSeq(id)
	waitFor(t, "four heartbeats", func() bool { return e.heartbeatSeq(id) >= start+4 })
	if _, inv, _ := e.device(id); !strings.Contains(string(inv), `"hostname"`) {
		t.Fatalf("no inventory before the first health collection: %s", inv)
	}
	if b, err := os.ReadFile(log); err == nil {
		t.Fatalf("processes started while idle:\n%s", b)
	}
	if n := collected.Load(); n != 0 {
		t.Fatalf("full health collected %d times before its delay", n)
	}
}
