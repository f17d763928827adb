//go:build linux

package e2e_test

import (
	"context"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/steward-rmm/steward/agent"
	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server"
)

// recorder stands in for the OS: it records every command line and
// answers service listings from a captured systemctl output.
type recorder struct {
	mu    sync.Mutex
	calls [][]string
}

func (r *recorder) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	r.mu.Lock()
	r.calls = append(r.calls, append([]string{name}, args...))
	r.mu.Unlock()
	if name == "systemctl" && len(args) > 0 && args[0] == "list-units" {
		return os.ReadFile("../../agent/ops/testdata/list-units.txt")
	}
	return nil, nil
}

func (r *recorder) got() [][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]string(nil), r.calls...)
}

func TestServiceAndPowerJobs(t *testing.T) {
	e := startServer(t, server.Config{})
	rec := &recorder{}
	_, id, _ := onlineAgent(t, e, e.createClient("Acme"), agent.Config{OpsRunner: rec.run, GOOS: "linux"})

	j := e.createJob(map[string]any{"devices": []string{id}, "kind": "service", "service": map[string]any{"name": "nginx", "action": "restart"}})
	e.waitState(j.Runs[0].ID, protocol.StateSucceeded)
	if got := rec.got(); !reflect.DeepEqual(got, [][]string{{"systemctl", "restart", "nginx.service"}}) {
		t.Fatalf("service commands %q", got)
	}
	bad := e.createJob(map[string]any{"devices": []string{id}, "kind": "service", "service": map[string]any{"name": "--force x", "action": "stop"}})
	if r := e.waitState(bad.Runs[0].ID, protocol.StateFailed); !strings.Contains(r.Reason, "invalid service name") {
		t.Fatalf("bad name: %q", r.Reason)
	}

	l := e.createJob(map[string]any{"devices": []string{id}, "kind": "service_list"})
	r := e.waitState(l.Runs[0].ID, protocol.StateSucceeded)
	var svcs []protocol.Service
	if err := json.Unmarshal(r.Data, &svcs); err != nil || len(svcs) < 10 {
		t.Fatalf("service list %d: %v", len(svcs), err)
	}

	p := e.createJob(map[string]any{"devices": []string{id}, "kind": "power",
		"power": map[string]any{"action": "reboot", "delay_seconds": 120, "message": "patching"}})
	r = e.waitState(p.Runs[0].ID, protocol.StateSucceeded)
	var d map[string]any
	_ = json.Unmarshal(r.Data, &d)
	if d["action"] != "reboot" || d["initiated_at"] == nil {
		t.Fatalf("power result data %v", d)
	}
	waitFor(t, "shutdown command run", func() bool {
		calls := rec.got()
		last := calls[len(calls)-1]
		return reflect.DeepEqual(last, []string{"shutdown", "-r", "+2", "patching"})
	})
	var audit []map[string]any
	e.api("GET", "/api/v1/audit?action=job.create", nil, &audit)
	if len(audit) != 4 {
		t.Errorf("%d job audit events, want 4", len(audit))
	}
}

func TestScheduledPowerHeldUntilTime(t *testing.T) {
	e := startServer(t, server.Config{})
	rec := &recorder{}
	_, id, _ := onlineAgent(t, e, e.createClient("Acme"), agent.Config{OpsRunner: rec.run, GOOS: "linux"})
	at := time.Now().Add(2 * time.Second).UTC()
	p := e.createJob(map[string]any{"devices": []string{id}, "kind": "power", "at": at, "power": map[string]any{"action": "shutdown"}})
	if s := e.run(p.Runs[0].ID).State; s != protocol.StateQueued {
		t.Fatalf("scheduled run state %s, want queued", s)
	}
	r := e.waitState(p.Runs[0].ID, protocol.StateSucceeded)
	if r.SentAt.Before(at) {
		t.Fatalf("sent at %v, before its time %v", r.SentAt, at)
	}
	// The result is stored before the OS is told to go down.
	waitFor(t, "shutdown command run", func() bool { return len(rec.got()) > 0 })
	if calls := rec.got(); len(calls) != 1 || !reflect.DeepEqual(calls[0], []string{"shutdown", "-h", "now"}) {
		t.Fatalf("commands %q", calls)
	}
}
