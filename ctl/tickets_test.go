package ctl

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/steward-rmm/steward/api"
)

// TestTicketTables: tickets list, show, create, comment, time, status and
// assign print people's tables (numbers with #, SLA time left or overdue,
// hostile titles and comments escaped), compared with
// testdata/tickets.golden; the requests are the API's.
func TestTicketTables(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	now := time.Date(2026, 12, 5, 4, 0, 0, 0, time.UTC)
	clock = func() time.Time { return now }
	t.Cleanup(func() { clock = time.Now })
	js := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	at := now.Add(-90 * time.Minute)
	tk := api.Ticket{ID: "tk_1", Number: 42, Title: "Printer \x1b[31mon fire\u202e", ClientID: "c_1", ClientName: "Smith, Jones & Co",
		CreatedAt: at, ModifiedAt: at, TechnicianName: "tech", Priority: "high", Impact: "customer down", Type: "incident",
		Activity: "waiting for requester", Status: "open", DueIn: "overdue 1h 5m", Overdue: true, Description: "line one\nline two"}
	tk2 := api.Ticket{ID: "tk_2", Number: 43, Title: "<script>alert(1)</script>", ClientName: "A+B Plumbing", CreatedAt: at, ModifiedAt: at,
		Priority: "low", Impact: "none", Type: "request", Activity: "unread", Status: "pending", DueIn: "paused (2h 0m left)"}
	srv, seen, fp := fakeAPI(t, map[string]string{
		"GET /api/v1/tickets": js(api.TicketList{Tickets: []api.Ticket{tk, tk2}, Next: "00ab"}),
		"GET /api/v1/tickets/42": js(api.TicketDetail{Ticket: tk, Comments: []api.TicketComment{
			{ID: "tc_1", AuthorName: "tech", Public: true, Body: "On my way =cmd|' /C calc'!A0", At: at},
			{ID: "tc_2", AuthorName: "tech", Body: "internal \x1b[2J note", At: at}},
			Time: []api.TimeEntry{{ID: "te_1", UserName: "tech", Minutes: 45, Billable: true, ContractID: "k_1", Note: "on site", At: at}}}),
		"POST /api/v1/clients/Acme/tickets": js(api.Ticket{ID: "tk_3", Number: 44, Title: "New\x1b[31m"}),
		"POST /api/v1/tickets/42/comments":  js(api.TicketComment{ID: "tc_3"}),
		"POST /api/v1/tickets/42/time":      js(api.TimeEntry{ID: "te_2", Minutes: 30}),
		"PATCH /api/v1/tickets/42":          js(tk),
		"POST /api/v1/clients/Over/tickets": `409 {"error":"\"Over\" has reached its ticket limit of 2 open tickets"}`,
	})
	var got strings.Builder
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"tickets", "list", "--priority", "high", "--search", "#42"}, 0},
		{[]string{"tickets", "show", "#42"}, 0},
		{[]string{"tickets", "create", "New", "--client", "Acme", "--priority", "critical"}, 0},
		{[]string{"tickets", "create", "Past the limit", "--client", "Over"}, 1},
		{[]string{"tickets", "comment", "42", "Hello", "--public"}, 0},
		{[]string{"tickets", "time", "42", "30", "--billable", "--note", "remote"}, 0},
		{[]string{"tickets", "status", "42", "resolved", "--resolve-alerts"}, 0},
		{[]string{"tickets", "assign", "42", "-"}, 0},
	} {
		out, errs, code := runCtl(t, srv, fp, c.args...)
		if code != c.code {
			t.Fatalf("%v: exit %d %q", c.args, code, errs)
		}
		got.WriteString("$ stewardctl " + strings.Join(c.args, " ") + "\n" + out + errs + "\n")
	}
	golden := filepath.Join("testdata", "tickets.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got.String() != string(want) {
		t.Errorf("tables differ from %s (go test ./ctl -run TestTicketTables -update to accept):\n%s", golden, got.String())
	}
	if strings.ContainsAny(got.String(), "\x1b\u202e") {
		t.Error("control or bidi characters reached the terminal")
	}
	reqs := strings.Join(*seen, "\n")
	for _, w := range []string{"GET /api/v1/tickets?priority=high&q=%2342", `"priority":"critical"`, `{"body":"Hello","public":true}`,
		`"minutes":30,"billable":true,"note":"remote"`, `{"status":"resolved","resolve_alerts":true}`, `{"technician_id":""}`} {
		if !strings.Contains(reqs, w) {
			t.Errorf("no request with %s in:\n%s", w, reqs)
		}
	}
}
