//go:build linux

package e2e_test

import (
	netmail "net/mail"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server"
	"github.com/steward-rmm/steward/server/mail"
	"github.com/steward-rmm/steward/server/mail/mailtest"
)

// TestSLASweepMails: the SLA sweep, on a server whose clock the test
// moves forward, through a real SMTP server. A high-priority ticket
// assigned to a technician with an e-mail gets its first-response warning
// (80 % of 1 minute) and then its breach, each mailed to that technician
// once, the breach stored, audited and counted; a pending (paused) ticket
// does not breach however long it waits; resumed and overdue, the
// unassigned ticket's breach goes to every technician of its client with
// an address. After a restart, with the clock moved on again, none of
// them is sent again (a new ticket's warning shows the sweep ran).
func TestSLASweepMails(t *testing.T) {
	smtpd := mailtest.Start(t, "steward", "smtp-pass")
	pw := filepath.Join(t.TempDir(), "smtp-password")
	must(t, os.WriteFile(pw, []byte("smtp-pass\n"), 0o600))
	var offset atomic.Int64
	advance := func(d time.Duration) { offset.Store(int64(d)) }
	cfg := serverConfig()
	cfg.Clock = func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	cfg.Mail = mail.Config{Host: smtpd.Host, Port: smtpd.Port, User: "steward", PasswordFile: pw, From: "Steward <rmm@example.com>", RootCAs: smtpd.CAs}
	cfg.Notify = server.NotifyConfig{Tick: 50 * time.Millisecond, BackoffBase: 200 * time.Millisecond, BackoffMax: 400 * time.Millisecond}
	cfg.SLASweep = 50 * time.Millisecond
	e := startServer(t, cfg)
	acme, bravo := e.createClient("Acme"), e.createClient("Bravo")
	const pass = "correct horse battery staple 42"
	for _, u := range []map[string]any{
		{"name": "tina", "password": pass, "role": "technician", "all_clients": true, "email": "tina@example.com"},
		{"name": "theo", "password": pass, "role": "technician", "clients": []string{acme}, "email": "theo@example.com"},
		{"name": "bert", "password": pass, "role": "technician", "clients": []string{bravo}, "email": "bert@example.com"},
	} {
		var got api.User
		if code := e.api("POST", "/api/v1/users", u, &got); code != 201 || got.Email != u["email"] {
			t.Fatalf("user %v: %d %+v", u["name"], code, got)
		}
	}
	if code := e.api("POST", "/api/v1/users", map[string]any{"name": "evil", "password": pass, "role": "technician",
		"all_clients": true, "email": "a@example.com\r\nBcc: x@example.com"}, nil); code != 400 {
		t.Errorf("an e-mail with a header in it: %d", code)
	}
	var users []api.User
	e.api("GET", "/api/v1/users", nil, &users)
	tina := users[slices.IndexFunc(users, func(u api.User) bool { return u.Name == "tina" })].ID
	var sla api.SLAChange
	if code := e.api("POST", "/api/v1/slas", map[string]any{"name": "Tight", "targets": []map[string]any{
		{"priority": "high", "first_response_minutes": 1, "resolution_minutes": 10},
		{"priority": "medium", "resolution_minutes": 2}}}, &sla); code != 201 {
		t.Fatalf("SLA: %d", code)
	}
	var a, b api.Ticket
	if code := e.api("POST", "/api/v1/clients/"+acme+"/tickets", map[string]any{"title": "Mail down <b>now</b>", "priority": "high",
		"sla_id": sla.SLA.ID, "technician_id": tina}, &a); code != 201 {
		t.Fatalf("ticket A: %d", code)
	}
	if code := e.api("POST", "/api/v1/clients/"+acme+"/tickets", map[string]any{"title": "New laptop", "priority": "medium",
		"sla_id": sla.SLA.ID, "status": "pending"}, &b); code != 201 || b.SLA == nil || !b.SLA.Paused {
		t.Fatalf("ticket B (pending): %d %+v", code, b.SLA)
	}
	type mailed struct{ subject, to string }
	got := func(n int) []mailed {
		t.Helper()
		msgs := smtpd.Wait(n, 60*time.Second)
		var out []mailed
		for _, m := range msgs {
			p, err := netmail.ReadMessage(strings.NewReader(string(m.Data)))
			if err != nil {
				t.Fatal(err)
			}
			to := slices.Clone(m.To)
			slices.Sort(to)
			out = append(out, mailed{p.Header.Get("Subject"), strings.Join(to, ",")})
		}
		if len(out) != n {
			t.Fatalf("%d messages, want %d: %+v", len(out), n, out)
		}
		return out
	}
	num := func(tk api.Ticket) string { return "#" + strconv.FormatInt(tk.Number, 10) }

	// 50 s in: 80 % of A's first-response minute.
	advance(50 * time.Second)
	m := got(1)
	if want := (mailed{"SLA at risk: first response of ticket " + num(a) + " Mail down <b>now</b>", "tina@example.com"}); m[0] != want {
		t.Fatalf("warning = %+v, want %+v", m[0], want)
	}
	list := func(sla string) []string {
		t.Helper()
		var l api.TicketList
		if code := e.api("GET", "/api/v1/tickets?sla="+sla, nil, &l); code != 200 {
			t.Fatalf("list sla=%s: %d", sla, code)
		}
		var out []string
		for _, x := range l.Tickets {
			out = append(out, x.ID+"/"+x.SLAState)
		}
		return out
	}
	if at, br := list("at-risk"), list("breached"); !slices.Equal(at, []string{a.ID + "/at-risk"}) || len(br) != 0 {
		t.Errorf("at risk %v, breached %v after the warning", at, br)
	}
	// 61 s in: A's first response is breached.
	advance(61 * time.Second)
	m = got(2)
	if want := (mailed{"SLA breached: first response of ticket " + num(a) + " Mail down <b>now</b>", "tina@example.com"}); m[1] != want {
		t.Fatalf("breach = %+v, want %+v", m[1], want)
	}
	var d api.TicketDetail
	e.api("GET", "/api/v1/tickets/"+a.ID, nil, &d)
	if d.Ticket.SLA == nil || d.Ticket.SLA.FirstResponseBreached == nil {
		t.Fatalf("A's breach not stored: %+v", d.Ticket.SLA)
	}
	// The audit follows the mail's queueing (it names the delivery).
	waitFor(t, "the breach audited", func() bool {
		return e.auditHas("ticket.sla_breach", a.ID, map[string]string{"target": "first_response", "to": "tina"})
	})
	// 9 min in: A's resolution warning (8 of 10 minutes). B, pending all
	// along with a 2-minute target, has not breached.
	advance(9 * time.Minute)
	m = got(3)
	if !strings.HasPrefix(m[2].subject, "SLA at risk: resolution of ticket "+num(a)) {
		t.Fatalf("third mail = %+v", m[2])
	}
	e.api("GET", "/api/v1/tickets/"+b.ID, nil, &d)
	if d.Ticket.SLA == nil || d.Ticket.SLA.ResolutionBreached != nil || !d.Ticket.SLA.Paused {
		t.Fatalf("paused B: %+v", d.Ticket.SLA)
	}
	// B resumed: 2 minutes later both A (10 min) and B are breached; B,
	// unassigned, goes to Acme's technicians (not Bravo's).
	if code := e.api("PATCH", "/api/v1/tickets/"+b.ID, map[string]any{"status": "open"}, nil); code != 200 {
		t.Fatalf("resume B: %d", code)
	}
	advance(11*time.Minute + 30*time.Second)
	m = got(5)
	rest := map[mailed]bool{m[3]: true, m[4]: true}
	for _, want := range []mailed{
		{"SLA breached: resolution of ticket " + num(a) + " Mail down <b>now</b>", "tina@example.com"},
		{"SLA breached: resolution of ticket " + num(b) + " New laptop", "theo@example.com,tina@example.com"},
	} {
		if !rest[want] {
			t.Errorf("missing %+v among %+v", want, m[3:])
		}
	}
	// The breached list, by due time: A's first response came first.
	if br := list("breached"); !slices.Equal(br, []string{a.ID + "/breached", b.ID + "/breached"}) {
		t.Errorf("breached list %v", br)
	}
	if code := e.api("GET", "/api/v1/tickets?sla=late", nil, nil); code != 400 {
		t.Errorf("sla=late: %d", code)
	}
	if met := e.rawGet(t, "/metrics"); !strings.Contains(met, `steward_tickets_sla_breaches_total{target="first_response"} 1`) ||
		!strings.Contains(met, `steward_tickets_sla_breaches_total{target="resolution"} 2`) {
		t.Errorf("breach metric:\n%s", grepLines(met, "sla_breaches"))
	}
	// Restart, move on: a new ticket's warning comes, nothing else.
	e.restart()
	var c api.Ticket
	if code := e.api("POST", "/api/v1/clients/"+acme+"/tickets", map[string]any{"title": "After restart", "priority": "high",
		"sla_id": sla.SLA.ID, "technician_id": tina}, &c); code != 201 {
		t.Fatalf("ticket C: %d", code)
	}
	advance(11*time.Minute + 30*time.Second + 55*time.Second)
	m = got(6)
	if !strings.HasPrefix(m[5].subject, "SLA at risk: first response of ticket "+num(c)) {
		t.Fatalf("after the restart = %+v", m[5])
	}
	seen := map[string]int{}
	for _, x := range m {
		seen[x.subject]++
	}
	for s, n := range seen {
		if n != 1 {
			t.Errorf("%q sent %d times", s, n)
		}
	}
}
