//go:build linux

package e2e_test

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/steward-rmm/steward/api"
)

// TestTickets: tickets through the real server: sequential numbers,
// hostile text kept as text, validation (400, 413, 404), the list's
// default open-and-pending view with filters and search, the timeline,
// the client's ticket limit (409 with a clear message), audit, and scope
// (a technician of another client gets 404).
func TestTickets(t *testing.T) {
	e := startServer(t, serverConfig())
	acme, bravo := e.createClient("Acme"), e.createClient("Bravo")
	const hostile = `<img src=x onerror=alert(1)> "quoted" & ' \u202e`
	var t1, t2 api.Ticket
	if code := e.api("POST", "/api/v1/clients/"+acme+"/tickets", map[string]any{"title": "<img src=x onerror=alert(1)> printer",
		"description": hostile, "priority": "high", "impact": "customer down"}, &t1); code != 201 || t1.Number < 1 ||
		t1.Title != "<img src=x onerror=alert(1)> printer" || t1.Status != "open" || t1.Priority != "high" {
		t.Fatalf("create: %d %+v", code, t1)
	}
	if code := e.api("POST", "/api/v1/clients/Acme/tickets", map[string]any{"title": "VPN down", "type": "problem"}, &t2); code != 201 ||
		t2.Number != t1.Number+1 || t2.ClientName != "Acme" {
		t.Fatalf("second ticket: %d %+v", code, t2)
	}
	var er struct{ Error string }
	for _, c := range []struct {
		body any
		want int
		msg  string
	}{
		{map[string]any{"title": "x", "priority": "urgent"}, 400, "priority must be one of"},
		{map[string]any{"title": "x", "status": "nope"}, 400, "not a ticket status"},
		{map[string]any{"title": "  "}, 400, "title is required"},
		{map[string]any{"title": "x", "technician_id": "u_nobody"}, 400, "technician not found"},
		{map[string]any{"title": "x", "contract_id": "k1"}, 400, "contract not found among this client's contracts"},
		{map[string]any{"title": strings.Repeat("x", 100<<10)}, 413, ""},
	} {
		if code := e.api("POST", "/api/v1/clients/"+acme+"/tickets", c.body, &er); code != c.want || !strings.Contains(er.Error, c.msg) {
			t.Errorf("create %v: %d %q, want %d %q", c.msg, code, er.Error, c.want, c.msg)
		}
	}
	if code := e.rawCode("POST", "/api/v1/clients/"+acme+"/tickets", "{not json"); code != 400 {
		t.Errorf("malformed JSON: %d", code)
	}
	for _, p := range []string{"/api/v1/tickets/tk_nope", "/api/v1/tickets/999999"} {
		if code := e.api("GET", p, nil, &er); code != 404 {
			t.Errorf("GET %s: %d", p, code)
		}
	}

	// The list: open and pending by default; filters and search.
	list := func(q string) []int64 {
		t.Helper()
		var l api.TicketList
		if code := e.api("GET", "/api/v1/tickets"+q, nil, &l); code != 200 {
			t.Fatalf("list %s: %d", q, code)
		}
		var out []int64
		for _, tk := range l.Tickets {
			out = append(out, tk.Number)
		}
		return out
	}
	if got := list(""); len(got) != 2 || got[0] != t2.Number {
		t.Fatalf("default list = %v", got)
	}
	if got := list("?priority=high"); len(got) != 1 || got[0] != t1.Number {
		t.Errorf("high priority = %v", got)
	}
	if got := list("?q=%23" + strconv.FormatInt(t2.Number, 10)); len(got) != 1 || got[0] != t2.Number {
		t.Errorf("search by number = %v", got)
	}
	if got := list("?q=vpn"); len(got) != 1 || got[0] != t2.Number {
		t.Errorf("search by title = %v", got)
	}
	if got := list("?status=resolved"); len(got) != 0 {
		t.Errorf("resolved = %v", got)
	}
	if code := e.api("GET", "/api/v1/tickets?priority=urgent", nil, &er); code != 400 {
		t.Errorf("a bad filter: %d", code)
	}
	// Paged by one: the cursor walks both.
	var p1, p2 api.TicketList
	e.api("GET", "/api/v1/clients/"+acme+"/tickets?limit=1", nil, &p1)
	e.api("GET", "/api/v1/clients/"+acme+"/tickets?limit=1&cursor="+p1.Next, nil, &p2)
	if len(p1.Tickets) != 1 || p1.Next == "" || len(p2.Tickets) != 1 || p2.Tickets[0].ID != t1.ID || p2.Next != "" {
		t.Errorf("pages: %+v %+v", p1, p2)
	}

	// Timeline: a public and an internal comment, time recorded and deleted.
	var cm api.TicketComment
	if code := e.api("POST", "/api/v1/tickets/"+t1.ID+"/comments", map[string]any{"body": hostile, "public": true}, &cm); code != 201 || !cm.Public {
		t.Fatalf("comment: %d %+v", code, cm)
	}
	e.api("POST", "/api/v1/tickets/"+strconv.FormatInt(t1.Number, 10)+"/comments", map[string]any{"body": "internal note"}, nil)
	var te api.TimeEntry
	if code := e.api("POST", "/api/v1/tickets/"+t1.ID+"/time", map[string]any{"minutes": 45, "billable": true, "note": "on site"}, &te); code != 201 || te.Minutes != 45 {
		t.Fatalf("time: %d %+v", code, te)
	}
	if code := e.api("POST", "/api/v1/tickets/"+t1.ID+"/time", map[string]any{"minutes": 0}, &er); code != 400 {
		t.Errorf("zero minutes: %d", code)
	}
	var d api.TicketDetail
	if code := e.api("GET", "/api/v1/tickets/"+t1.ID, nil, &d); code != 200 || len(d.Comments) != 2 || d.Comments[0].Body != hostile ||
		d.Comments[1].Public || len(d.Time) != 1 || d.Ticket.Activity != "waiting for requester" {
		t.Fatalf("detail: %d %+v", code, d)
	}
	if code := e.api("DELETE", "/api/v1/tickets/"+t1.ID+"/time/"+te.ID, nil, nil); code != 200 {
		t.Errorf("delete time: %d", code)
	}
	if code := e.api("DELETE", "/api/v1/tickets/"+t2.ID+"/time/"+te.ID, nil, nil); code != 404 {
		t.Errorf("delete a deleted entry through another ticket: %d", code)
	}

	// The client's ticket limit: two active tickets and a limit of two.
	if code := e.api("PATCH", "/api/v1/clients/"+acme, map[string]any{"ticket_limit": 2}, nil); code != 200 {
		t.Fatalf("set limit: %d", code)
	}
	if code := e.api("POST", "/api/v1/clients/"+acme+"/tickets", map[string]any{"title": "third"}, &er); code != 409 ||
		!strings.Contains(er.Error, "ticket limit of 2") {
		t.Fatalf("past the limit: %d %q", code, er.Error)
	}
	var up api.Ticket
	if code := e.api("PATCH", "/api/v1/tickets/"+t2.ID, map[string]any{"status": "resolved"}, &up); code != 200 || up.Status != "resolved" {
		t.Fatalf("resolve: %d %+v", code, up)
	}
	var t3 api.Ticket
	if code := e.api("POST", "/api/v1/clients/"+acme+"/tickets", map[string]any{"title": "third"}, &t3); code != 201 || t3.Number != t2.Number+1 {
		t.Fatalf("after a resolve: %d %+v", code, t3)
	}
	if !e.auditHas("ticket.create", t1.ID, map[string]string{"client": acme}) ||
		!e.auditHas("ticket.update", t2.ID, map[string]string{"changed": "status", "status": "resolved"}) ||
		!e.auditHas("ticket.time.delete", t1.ID, map[string]string{"entry": te.ID}) {
		t.Error("ticket changes not audited")
	}

	// A technician of Bravo sees none of Acme's tickets.
	e.createUser("bravo-tech", "technician", bravo)
	tok := e.tokenFor("bravo-tech")
	for _, p := range []string{"/api/v1/tickets/" + t1.ID, "/api/v1/tickets/" + strconv.FormatInt(t1.Number, 10), "/api/v1/clients/" + acme + "/tickets"} {
		if code := e.apiAs(tok, "GET", p, nil, nil); code != 404 {
			t.Errorf("Bravo's technician GET %s: %d", p, code)
		}
	}
	var bl api.TicketList
	if code := e.apiAs(tok, "GET", "/api/v1/tickets?status=all", nil, &bl); code != 200 || len(bl.Tickets) != 0 {
		t.Errorf("Bravo's technician's list: %d %+v", code, bl)
	}
	if code := e.apiAs(tok, "PATCH", "/api/v1/tickets/"+t1.ID, map[string]any{"title": "mine"}, nil); code != 404 {
		t.Errorf("Bravo's technician changes Acme's ticket: %d", code)
	}
}

// TestTicketSeat: a technician without a service-desk seat reads tickets
// but cannot work them (403 naming the seat).
func TestTicketSeat(t *testing.T) {
	e := startServer(t, serverConfig())
	acme := e.createClient("Acme")
	tech := e.createUser("tech", "technician")
	tok := e.tokenFor("tech")
	var tk api.Ticket
	if code := e.apiAs(tok, "POST", "/api/v1/clients/"+acme+"/tickets", map[string]any{"title": "with a seat"}, &tk); code != 201 {
		t.Fatalf("with a seat: %d", code)
	}
	if code := e.api("PUT", "/api/v1/users/"+tech+"/seats/service_desk", map[string]any{"enabled": false}, nil); code != 200 {
		t.Fatalf("take the seat away: %d", code)
	}
	var er struct{ Error string }
	for _, c := range []struct{ method, path string }{{"POST", "/api/v1/clients/" + acme + "/tickets"},
		{"PATCH", "/api/v1/tickets/" + tk.ID}, {"POST", "/api/v1/tickets/" + tk.ID + "/comments"}, {"POST", "/api/v1/tickets/" + tk.ID + "/time"}} {
		if code := e.apiAs(tok, c.method, c.path, map[string]any{"title": "x", "body": "x", "minutes": 5}, &er); code != 403 ||
			!strings.Contains(er.Error, "service desk seat") {
			t.Errorf("%s %s without a seat: %d %q", c.method, c.path, code, er.Error)
		}
	}
	if code := e.apiAs(tok, "GET", "/api/v1/tickets/"+tk.ID, nil, nil); code != 200 {
		t.Errorf("reading without a seat: %d", code)
	}
	// Statuses, SLAs and calendars are for admins.
	if code := e.apiAs(tok, "POST", "/api/v1/slas", map[string]any{"name": "x"}, nil); code != 403 {
		t.Errorf("a technician creates an SLA: %d", code)
	}
}

// TestTicketSLA: an SLA on a calendar gives a ticket its deadlines; a
// pausing status pauses the resolution clock (not the first response);
// raising the priority recomputes from the clock history; a calendar
// change recomputes the open tickets.
func TestTicketSLA(t *testing.T) {
	e := startServer(t, serverConfig())
	acme := e.createClient("Acme")
	allDay := []map[string]any{}
	for d := range 7 {
		allDay = append(allDay, map[string]any{"weekday": d, "start": "00:00", "end": "24:00"})
	}
	var cal, sla api.SLAChange
	if code := e.api("POST", "/api/v1/sla-calendars", map[string]any{"name": "24x7", "time_zone": "UTC", "hours": allDay}, &cal); code != 201 {
		t.Fatalf("calendar: %d", code)
	}
	if code := e.api("POST", "/api/v1/sla-calendars", map[string]any{"name": "bad", "time_zone": "Mars/Base", "hours": allDay}, nil); code != 400 {
		t.Errorf("a bad time zone: %d", code)
	}
	if code := e.api("POST", "/api/v1/slas", map[string]any{"name": "Gold", "calendar_id": cal.Calendar.ID, "targets": []map[string]any{
		{"priority": "medium", "first_response_minutes": 60, "resolution_minutes": 48 * 60},
		{"priority": "critical", "first_response_minutes": 15, "resolution_minutes": 120}}}, &sla); code != 201 {
		t.Fatalf("SLA: %d", code)
	}
	var tk api.Ticket
	if code := e.api("POST", "/api/v1/clients/"+acme+"/tickets", map[string]any{"title": "slow", "sla_id": sla.SLA.ID}, &tk); code != 201 ||
		tk.SLA == nil || tk.SLA.ResolutionDue == nil || tk.SLA.FirstResponseDue == nil || !strings.HasSuffix(tk.DueIn, "left") {
		t.Fatalf("ticket with an SLA: %d %+v", code, tk)
	}
	if d := tk.SLA.ResolutionDue.Sub(tk.CreatedAt); d < 47*time.Hour || d > 49*time.Hour {
		t.Errorf("resolution due %v after opening, want 48h", d)
	}
	// Pending pauses the resolution clock.
	var up api.Ticket
	e.api("PATCH", "/api/v1/tickets/"+tk.ID, map[string]any{"status": "pending"}, &up)
	if up.SLA == nil || !up.SLA.Paused || up.SLA.ResolutionDue != nil || up.SLA.ResolutionLeftMinutes < 47*60 || !strings.HasPrefix(up.DueIn, "paused") ||
		up.SLA.FirstResponseDue == nil {
		t.Fatalf("paused: %+v %+v", up, up.SLA)
	}
	// Back to open and critical: 2h from the history, not from now.
	e.api("PATCH", "/api/v1/tickets/"+tk.ID, map[string]any{"status": "open", "priority": "critical"}, &up)
	if up.SLA == nil || up.SLA.ResolutionDue == nil || time.Until(*up.SLA.ResolutionDue) > 2*time.Hour || time.Until(*up.SLA.ResolutionDue) < time.Hour {
		t.Fatalf("critical: %+v", up.SLA)
	}
	// A calendar change recomputes: the ticket's deadline moves.
	var ch api.SLAChange
	weekdays := []map[string]any{{"weekday": 1, "start": "09:00", "end": "17:00"}}
	if code := e.api("PUT", "/api/v1/sla-calendars/"+cal.Calendar.ID, map[string]any{"name": "Mondays", "time_zone": "Europe/Paris",
		"hours": weekdays, "holidays": []string{"2026-12-25"}}, &ch); code != 200 || ch.Recomputed != 1 {
		t.Fatalf("calendar change: %d %+v", code, ch)
	}
	var d api.TicketDetail
	e.api("GET", "/api/v1/tickets/"+tk.ID, nil, &d)
	if d.Ticket.SLA == nil || d.Ticket.SLA.ResolutionDue == nil || d.Ticket.SLA.ResolutionDue.Equal(*up.SLA.ResolutionDue) {
		t.Fatalf("after the calendar change: %+v", d.Ticket.SLA)
	}
	if loc, _ := time.LoadLocation("Europe/Paris"); d.Ticket.SLA.ResolutionDue.In(loc).Weekday() != time.Monday {
		t.Errorf("due on a %s, want a Monday", d.Ticket.SLA.ResolutionDue.In(loc).Weekday())
	}
	if code := e.api("DELETE", "/api/v1/sla-calendars/"+cal.Calendar.ID, nil, nil); code != 409 {
		t.Errorf("delete a calendar in use: %d", code)
	}
	// Custom statuses: one that pauses.
	var sts api.TicketStatuses
	if code := e.api("PUT", "/api/v1/ticket-statuses", map[string]any{"statuses": []map[string]any{{"name": "Waiting on vendor", "pauses": true}}}, &sts); code != 200 ||
		len(sts.Statuses) != 6 || sts.Statuses[5].Name != "waiting on vendor" || !sts.Statuses[5].Pauses {
		t.Fatalf("statuses: %d %+v", code, sts)
	}
	e.api("PATCH", "/api/v1/tickets/"+tk.ID, map[string]any{"status": "waiting on vendor"}, &up)
	if up.SLA == nil || !up.SLA.Paused {
		t.Errorf("custom pausing status: %+v", up.SLA)
	}
	if !e.auditHas("sla.calendar.save", cal.Calendar.ID, map[string]string{"name": "Mondays"}) {
		t.Error("calendar change not audited")
	}
}

// rawCode sends a raw body as the admin and returns the status.
func (e *env) rawCode(method, path, body string) int {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.url+path, bytes.NewReader([]byte(body)))
	req.Header.Set("Authorization", "Bearer "+e.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.hc.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestTicketFromAlert: an alert opens a ticket (its device attached) or is
// linked to one; resolving the ticket with resolve_alerts resolves it.
func TestTicketFromAlert(t *testing.T) {
	cfg := serverConfig()
	cfg.AlertInterval = 100 * time.Millisecond
	e := startServer(t, cfg)
	acme := e.createClient("Acme")
	_, dev, _ := onlineAgent(t, e, acme, agentConfig())
	var pf struct{ ID string }
	if code := e.api("POST", "/api/v1/profiles", map[string]any{"client": acme, "name": "disks",
		"checks": []map[string]any{{"kind": "disk", "warning": 100, "fail_after": 1}}}, &pf); code != 201 {
		t.Fatalf("profile: %d", code)
	}
	e.api("POST", "/api/v1/profile-assignments", map[string]any{"level": "client", "client": acme, "profile": pf.ID}, nil)
	var al struct{ Alerts []struct{ ID, Status string } }
	waitFor(t, "an alert", func() bool {
		e.api("GET", "/api/v1/alerts?device="+dev, nil, &al)
		return len(al.Alerts) >= 1
	})
	a := al.Alerts[0].ID
	var tk api.Ticket
	if code := e.api("POST", "/api/v1/alerts/"+a+"/ticket", map[string]any{}, &tk); code != 201 || len(tk.AlertIDs) != 1 ||
		tk.AlertIDs[0] != a || len(tk.DeviceIDs) != 1 || tk.DeviceIDs[0] != dev || !strings.HasPrefix(tk.Title, "Alert: ") {
		t.Fatalf("ticket from an alert: %d %+v", code, tk)
	}
	if len(al.Alerts) > 1 {
		var linked api.Ticket
		if code := e.api("POST", "/api/v1/alerts/"+al.Alerts[1].ID+"/ticket", map[string]any{"ticket_id": tk.ID}, &linked); code != 200 || len(linked.AlertIDs) != 2 {
			t.Errorf("link a second alert: %d %+v", code, linked)
		}
	}
	if code := e.api("POST", "/api/v1/alerts/al_nope/ticket", map[string]any{}, nil); code != 404 {
		t.Errorf("an unknown alert: %d", code)
	}
	var up api.Ticket
	if code := e.api("PATCH", "/api/v1/tickets/"+tk.ID, map[string]any{"status": "resolved", "resolve_alerts": true}, &up); code != 200 {
		t.Fatalf("resolve: %d", code)
	}
	var got struct {
		Alert struct{ Status, Reason string }
	}
	e.api("GET", "/api/v1/alerts/"+a, nil, &got)
	if got.Alert.Status != "resolved" || !strings.Contains(got.Alert.Reason, "ticket #") {
		t.Fatalf("the ticket's alert after resolving: %+v", got.Alert)
	}
	if !e.auditHas("alert.resolve", a, map[string]string{"ticket": tk.ID}) {
		t.Error("the alert's resolution is not audited with its ticket")
	}
}
