//go:build linux

package e2e_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/steward-rmm/steward/api"
)

// TestScriptCheck: a profile's script check runs a pinned library script
// as jobs on a real agent; exit 2 raises a critical script-based alert
// holding the output's first line, exit 1 turns it to a warning, exit 0
// resolves it. The runs are jobs named by the check, and never two of
// them overlap although the script outlasts the check's interval.
func TestScriptCheck(t *testing.T) {
	cfg := serverConfig()
	cfg.AlertInterval = 100 * time.Millisecond
	cfg.ScriptCheckMinute = 100 * time.Millisecond // "every 1 minute" = every 100 ms
	e := startServer(t, cfg)
	acme := e.createClient("Acme")
	_, id, _ := onlineAgent(t, e, acme, agentConfig())
	codeFile := filepath.Join(t.TempDir(), "code")
	setCode := func(c string) {
		if err := os.WriteFile(codeFile, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	setCode("2")
	body := "sleep 0.4; c=$(cat '" + codeFile + "'); echo \"scan says $c\"; echo second line; exit $c"
	if code := e.api("POST", "/api/v1/scripts", map[string]any{"name": "scan", "interpreter": "sh", "body": body}, nil); code != 201 {
		t.Fatalf("script: %d", code)
	}
	for _, bad := range []map[string]any{{"kind": "script", "target": "scan"}, {"kind": "script", "target": "scan@0"},
		{"kind": "script", "target": "scan@1", "warning": 1.5}, {"kind": "script", "target": "scan@1", "window": 5000}} {
		if code := e.api("POST", "/api/v1/profiles", map[string]any{"name": "bad", "checks": []any{bad}}, nil); code != 400 {
			t.Errorf("profile with %v: %d, want 400", bad, code)
		}
	}
	var pr api.Profile
	if code := e.api("POST", "/api/v1/profiles", map[string]any{"name": "Scan", "client": "Acme", "checks": []any{
		map[string]any{"kind": "script", "target": "scan@1", "window": 1, "fail_after": 1, "pass_after": 1}}}, &pr); code != 201 {
		t.Fatalf("profile: %d", code)
	}
	if c := pr.Checks[0]; c.Warning != 1 || c.Critical != 2 {
		t.Fatalf("defaults = %+v", c)
	}
	if code := e.api("POST", "/api/v1/profile-assignments", api.AssignRequest{Level: "client", Client: acme, Profile: "Scan"}, nil); code != 200 {
		t.Fatalf("assign: %d", code)
	}
	var al api.Alert
	waitFor(t, "the critical script alert", func() bool {
		l := e.alerts("status=open&device=" + id)
		if len(l.Alerts) == 1 {
			al = l.Alerts[0]
		}
		return len(l.Alerts) == 1
	})
	if al.Severity != "critical" || al.Category != "script-based" || al.Detail != "exit 2: scan says 2" || !strings.Contains(al.Title, "scan@1") {
		t.Fatalf("alert = %+v", al)
	}
	setCode("1")
	waitFor(t, "the warning", func() bool {
		var d api.AlertDetail
		e.api("GET", "/api/v1/alerts/"+al.ID, nil, &d)
		return d.Alert.Severity == "warning" && d.Alert.Detail == "exit 1: scan says 1"
	})
	setCode("0")
	waitFor(t, "the alert resolved", func() bool {
		var d api.AlertDetail
		e.api("GET", "/api/v1/alerts/"+al.ID, nil, &d)
		return d.Alert.Status == "resolved"
	})

	// The runs: jobs targeting the check, pinned, never overlapping.
	var jobs []api.Job
	e.api("GET", "/api/v1/jobs?limit=500", nil, &jobs)
	type span struct{ from, to time.Time }
	var spans []span
	for _, j := range jobs {
		if j.Target != "check scan@1" {
			continue
		}
		if j.Library != "scan@1" {
			t.Errorf("job %s library %q", j.ID, j.Library)
		}
		var jr api.JobResponse
		e.api("GET", "/api/v1/jobs/"+j.ID, nil, &jr)
		for _, r := range jr.Runs {
			end := r.EndedAt
			if end.IsZero() {
				end = time.Now().Add(time.Hour)
			}
			spans = append(spans, span{r.CreatedAt, end})
		}
	}
	if len(spans) < 3 {
		t.Fatalf("%d script check runs, want at least 3", len(spans))
	}
	slices.SortFunc(spans, func(a, b span) int { return a.from.Compare(b.from) })
	for i := 1; i < len(spans); i++ {
		if spans[i].from.Before(spans[i-1].to) {
			t.Fatalf("runs overlap: %v and %v", spans[i-1], spans[i])
		}
	}
}
