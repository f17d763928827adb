//go:build linux

package e2e_test

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/store"
	boltstore "github.com/steward-rmm/steward/server/store/bolt"
)

// rewriteAuditDB replaces the stopped server's audit log with fn's version,
// renumbered, with every hash recomputed, and every MAC too when key is
// given: what someone with the database file (and perhaps the key) can do.
func rewriteAuditDB(t *testing.T, dir string, key []byte, fn func([]store.AuditEvent) []store.AuditEvent) {
	t.Helper()
	err := boltstore.TamperAudit(dir, func(recs [][]byte) [][]byte {
		var evs []store.AuditEvent
		for _, v := range recs {
			var e store.AuditEvent
			if err := json.Unmarshal(v, &e); err != nil {
				t.Fatal(err)
			}
			evs = append(evs, e)
		}
		evs = fn(evs)
		var out [][]byte
		prev, link := "", ""
		for i := range evs {
			e := &evs[i]
			e.Seq, e.Prev = uint64(i+1), prev // without the key, MACs stay as they were
			e.Hash = store.AuditHash(*e)
			if key != nil {
				e.MAC = store.AuditMAC(key, link, *e)
			}
			prev, link = e.Hash, e.MAC
			if link == "" {
				link = e.Hash
			}
			v, _ := json.Marshal(e)
			out = append(out, v)
		}
		return out
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestAuditRewriteReportedByVerify performs the finding's attack on a real
// server's database (a record removed and every later hash recomputed),
// the same with the audit key in hand, and a cut-off tail; stewardctl
// audit verify reports each, naming the first bad record.
func TestAuditRewriteReportedByVerify(t *testing.T) {
	e := startServer(t, serverConfig())
	for _, name := range []string{"Alpha", "Bravo", "Charlie", "Delta"} {
		e.createClient(name)
	}
	if out, _, code := e.ctl(t, "audit", "verify"); code != 0 || !strings.Contains(out, "intact") {
		t.Fatalf("verify before tampering: %d %s", code, out)
	}
	for _, f := range []string{"audit.key", "audit-anchor.log"} {
		if st, err := os.Stat(filepath.Join(e.dir, f)); err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v", f, st, err)
		}
	}
	hexKey, err := os.ReadFile(filepath.Join(e.dir, "audit.key"))
	if err != nil {
		t.Fatal(err)
	}
	key, _ := hex.DecodeString(strings.TrimSpace(string(hexKey)))
	e.stop()
	pristine, err := os.ReadFile(filepath.Join(e.dir, "steward.db"))
	if err != nil {
		t.Fatal(err)
	}
	firstMissing := 0
	remove3 := func(evs []store.AuditEvent) []store.AuditEvent { return append(evs[:2:2], evs[3:]...) }
	for _, c := range []struct {
		what string
		key  []byte
		fn   func([]store.AuditEvent) []store.AuditEvent
		want string
	}{
		{"record 3 removed, later hashes recomputed", nil, remove3, "record 3 "},
		{"record 3 removed, later hashes and MACs recomputed with the key", key, remove3, "record 3 "},
		{"records 2 and 4 swapped", nil, func(evs []store.AuditEvent) []store.AuditEvent {
			evs[1], evs[3] = evs[3], evs[1]
			return evs
		}, "record 2 "},
		{"last two records deleted", key, func(evs []store.AuditEvent) []store.AuditEvent {
			firstMissing = len(evs) - 1
			return evs[:len(evs)-2]
		}, ""},
	} {
		rewriteAuditDB(t, e.dir, c.key, c.fn)
		if c.want == "" {
			c.want = fmt.Sprintf("record %d ", firstMissing)
		}
		e.start()
		out, _, code := e.ctl(t, "audit", "verify")
		if code != 1 || !strings.Contains(out, "BROKEN at "+c.want) {
			t.Errorf("%s: verify %d %s", c.what, code, out)
		}
		e.stop()
		if err := os.WriteFile(filepath.Join(e.dir, "steward.db"), pristine, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// TestAuditEventsNameClientAndSource walks a technician's day (enrol,
// jobs, a cancel, a shell, a folder move, enrollment tokens, a revoke) and
// checks every event names a source, and every event about a device, job,
// run, shell or enrollment token names its client; the API filters by it.
func TestAuditEventsNameClientAndSource(t *testing.T) {
	e := startServer(t, serverConfig())
	acme, other := e.createClient("Acme"), e.createClient("Other")
	_, dev, _ := onlineAgent(t, e, acme, agentConfig())
	j := e.createJob(script([]string{dev}, "true"))
	e.waitState(j.Runs[0].ID, "succeeded")
	later := e.createJob(map[string]any{"devices": []string{dev}, "kind": "script", "at": time.Now().Add(time.Hour).UTC(),
		"script": map[string]any{"interpreter": "sh", "body": "true"}})
	e.api("POST", "/api/v1/runs/"+later.Runs[0].ID+"/cancel", nil, nil)
	tc, _, err := e.dialShell(e.token, dev, e.url, "shell=sh")
	if err != nil {
		t.Fatal(err)
	}
	tc.send("exit\n")
	<-tc.done
	e.api("PATCH", "/api/v1/devices/"+dev, map[string]any{"group": "Lab"}, nil)
	var tok struct{ ID string }
	e.api("POST", "/api/v1/tokens", map[string]any{"client": other, "max_uses": 1}, &tok)
	e.api("DELETE", "/api/v1/tokens/"+tok.ID, nil, nil)
	var evs []api.AuditEvent
	waitFor(t, "shell.close audited", func() bool {
		evs = nil
		e.api("GET", "/api/v1/audit?limit=5000", nil, &evs)
		for _, ev := range evs {
			if ev.Action == "shell.close" {
				return true
			}
		}
		return false
	})
	wantClient := map[string]string{"device.enroll": acme, "job.create": acme, "run.cancel": acme, "shell.open": acme,
		"shell.close": acme, "device.update": acme, "client.create": "", "token.create": "", "token.revoke": other}
	seen := map[string]bool{}
	for _, ev := range evs {
		seen[ev.Action] = true
		if ev.Source == "" {
			t.Errorf("%s (record %d) has no source", ev.Action, ev.Seq)
		}
		if ev.Actor == "system" && ev.Source != "system" {
			t.Errorf("system event %s has source %q", ev.Action, ev.Source)
		}
		if want, ok := wantClient[ev.Action]; ok && want != "" && ev.Client != want {
			t.Errorf("%s (record %d) names client %q, want %q", ev.Action, ev.Seq, ev.Client, want)
		}
		if ev.Action == "client.create" && ev.Client != ev.Target {
			t.Errorf("client.create names client %q for %s", ev.Client, ev.Target)
		}
		if strings.HasPrefix(ev.Target, "d_") && ev.Client != acme {
			t.Errorf("%s on device %s names client %q", ev.Action, ev.Target, ev.Client)
		}
	}
	for a := range wantClient {
		if !seen[a] {
			t.Errorf("no %s event", a)
		}
	}
	// The API and stewardctl filter by client (name or ID).
	out, _, code := e.ctl(t, "audit", "list", "--client", "Other", "-o", "json")
	var listed []api.AuditEvent
	if code != 0 || json.Unmarshal([]byte(out), &listed) != nil || len(listed) < 2 {
		t.Fatalf("audit list --client Other: %d %s", code, out)
	}
	for _, ev := range listed {
		if ev.Client != other {
			t.Errorf("filtered list has %s for client %q", ev.Action, ev.Client)
		}
	}
}
