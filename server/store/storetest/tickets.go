package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/steward-rmm/steward/server/store"
)

// Tickets checks the service-desk store: numbers never reused, the active
// ticket limit, atomic updates that keep the list index right, the
// query's filters, sorts and cursor paging, timelines, custom statuses,
// SLAs and calendars.
func Tickets(t *testing.T, f Factory) {
	subtests(t, f, map[string]func(*testing.T, Factory){
		"Records":  testTicketRecords,
		"Query":    testTicketQuery,
		"Timeline": testTicketTimeline,
		"SLAs":     testTicketSLAs,
		"SLAIndex": testTicketSLAIndex,
	})
}

func newTicket(id, client, status string, at time.Time) store.Ticket {
	return store.Ticket{ID: id, Title: "Printer " + id, ClientID: client, Status: status, Priority: "medium", Type: "incident",
		Activity: "unread", CreatedAt: at, ModifiedAt: at}
}

func testTicketRecords(t *testing.T, f Factory) {
	db := f.fresh(t)
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	if _, err := db.CreateTicket(newTicket("t1", "nope", "open", at), 0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("ticket of an unknown client: %v", err)
	}
	for _, c := range []string{"c1", "c2"} {
		if err := db.CreateClient(store.Client{ID: c, Name: c}); err != nil {
			t.Fatal(err)
		}
	}
	t1, err := db.CreateTicket(newTicket("t1", "c1", "open", at), 2)
	if err != nil || t1.Number != 1 {
		t.Fatalf("first ticket = %+v %v", t1, err)
	}
	t2, err := db.CreateTicket(newTicket("t2", "c1", "open", at), 2)
	if err != nil || t2.Number != 2 {
		t.Fatalf("second ticket = %+v %v", t2, err)
	}
	if _, err := db.CreateTicket(newTicket("t1", "c1", "open", at), 0); !errors.Is(err, store.ErrExists) {
		t.Fatalf("same ID again: %v", err)
	}
	if _, err := db.CreateTicket(newTicket("t3", "c1", "open", at), 2); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("third active ticket under a limit of 2: %v", err)
	}
	// A resolved ticket and a spam one no longer count.
	if _, err := db.UpdateTicket("t1", func(tk *store.Ticket) error { tk.Status = store.TicketResolved; return nil }); err != nil {
		t.Fatal(err)
	}
	t3, err := db.CreateTicket(newTicket("t3", "c1", "pending", at), 2)
	if err != nil || t3.Number != 3 {
		t.Fatalf("after a resolve: %+v %v (a refused creation stores nothing, its number included)", t3, err)
	}
	if _, err := db.UpdateTicket("t3", func(tk *store.Ticket) error { tk.Spam = true; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateTicket(newTicket("t4", "c1", "open", at), 2); err != nil {
		t.Fatalf("spam does not count: %v", err)
	}
	if n, err := db.CountTickets(store.TicketQuery{ClientID: "c1", Statuses: []string{"open", "pending"}, Spam: new(bool)}); err != nil || n != 2 {
		t.Fatalf("active count = %d %v", n, err)
	}
	// An update cannot move a ticket or renumber it; an error changes nothing.
	up, err := db.UpdateTicket("t2", func(tk *store.Ticket) error {
		tk.ClientID, tk.Number, tk.Title = "c2", 99, "Changed"
		tk.Clock = append(tk.Clock, store.TicketClockEvent{At: at, Status: "open", Priority: "high", SLAID: "s1"})
		tk.SLA.ResolutionDue = at.Add(time.Hour)
		return nil
	})
	if err != nil || up.ClientID != "c1" || up.Number != 2 || up.Title != "Changed" {
		t.Fatalf("update = %+v %v", up, err)
	}
	if _, err := db.UpdateTicket("t2", func(tk *store.Ticket) error { tk.Title = "Lost"; return errors.New("no") }); err == nil {
		t.Fatal("fn's error not returned")
	}
	got, err := db.TicketByNumber(2)
	if err != nil || got.Title != "Changed" || len(got.Clock) != 1 || got.Clock[0].Priority != "high" || !got.SLA.ResolutionDue.Equal(at.Add(time.Hour)) {
		t.Fatalf("by number = %+v %v", got, err)
	}
	if _, err := db.TicketByNumber(9); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an unused number: %v", err)
	}
	if _, err := db.Ticket("nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown ticket: %v", err)
	}
	if _, err := db.UpdateTicket("nope", func(*store.Ticket) error { return nil }); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update of an unknown ticket: %v", err)
	}
	if err := db.SetTicketSLAs(map[string]store.TicketSLA{"t2": {ResolutionLeft: 42}, "nope": {}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.Ticket("t2"); got.SLA.ResolutionLeft != 42 || got.Title != "Changed" {
		t.Fatalf("SetTicketSLAs = %+v", got)
	}
}

func testTicketQuery(t *testing.T, f Factory) {
	db := f.fresh(t)
	for _, c := range []string{"c1", "c2", "c3"} {
		if err := db.CreateClient(store.Client{ID: c, Name: c}); err != nil {
			t.Fatal(err)
		}
	}
	base := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	statuses := []string{"open", "pending", "resolved", "waiting on vendor"}
	for i := range 60 {
		tk := newTicket(fmt.Sprintf("t%02d", i), []string{"c1", "c2", "c3"}[i%3], statuses[i%4], base.Add(time.Duration(i)*time.Minute))
		tk.Priority = []string{"low", "high"}[i%2]
		tk.TechnicianID = []string{"", "u1", "u2"}[i%3]
		tk.Spam = i == 7
		tk.ContactID = map[bool]string{true: "k1"}[i%6 == 0]
		if i == 33 {
			tk.Title = "VPN down at HQ"
		}
		if _, err := db.CreateTicket(tk, 0); err != nil {
			t.Fatal(err)
		}
	}
	// Touching t00 makes it the most recently modified.
	if _, err := db.UpdateTicket("t00", func(tk *store.Ticket) error { tk.ModifiedAt = base.Add(time.Hour); return nil }); err != nil {
		t.Fatal(err)
	}
	ids := func(q store.TicketQuery) []string {
		t.Helper()
		var out []string
		for {
			p, err := db.Tickets(q)
			if err != nil {
				t.Fatal(err)
			}
			for _, tk := range p.Tickets {
				out = append(out, tk.ID)
			}
			if p.Next == "" {
				return out
			}
			if q.Limit == 0 || len(p.Tickets) != q.Limit {
				t.Fatalf("a page of %d with a next cursor, limit %d", len(p.Tickets), q.Limit)
			}
			q.Cursor = p.Next
		}
	}
	all := ids(store.TicketQuery{Limit: 7})
	if len(all) != 60 || all[0] != "t00" || all[1] != "t59" || all[59] != "t01" {
		t.Fatalf("every ticket by modification, paged by 7: %v", all)
	}
	open := ids(store.TicketQuery{Statuses: []string{"open", "pending"}, Limit: 4})
	if len(open) != 30 || open[0] != "t00" || open[1] != "t57" || open[2] != "t56" {
		t.Fatalf("open and pending: %v", open)
	}
	if got := ids(store.TicketQuery{Statuses: []string{"open"}, Sort: store.TicketSortNumber, Asc: true, Limit: 5}); len(got) != 15 || got[0] != "t00" || got[1] != "t04" {
		t.Fatalf("open by number ascending: %v", got)
	}
	if got := ids(store.TicketQuery{ClientID: "c2", Priority: "high", Limit: 3}); len(got) != 10 || got[0] != "t55" {
		t.Fatalf("c2's high priority: %v", got)
	}
	if got := ids(store.TicketQuery{Scope: store.Scope{Only: true, Clients: []string{"c1"}}, Technician: "-"}); len(got) != 20 || got[0] != "t00" {
		t.Fatalf("scoped to c1, unassigned: %v", got)
	}
	if got := ids(store.TicketQuery{ClientID: "c2", Scope: store.Scope{Only: true, Clients: []string{"c1"}}}); got != nil {
		t.Fatalf("a client outside the scope: %v", got)
	}
	if got := ids(store.TicketQuery{Scope: store.Scope{Only: true}}); got != nil {
		t.Fatalf("an empty scope: %v", got)
	}
	if got := ids(store.TicketQuery{Spam: func() *bool { b := true; return &b }()}); len(got) != 1 || got[0] != "t07" {
		t.Fatalf("spam: %v", got)
	}
	if got := ids(store.TicketQuery{Text: "vpn"}); len(got) != 1 || got[0] != "t33" {
		t.Fatalf("text vpn: %v", got)
	}
	if got := ids(store.TicketQuery{Text: "#12"}); len(got) != 1 || got[0] != "t11" {
		t.Fatalf("number 12: %v", got)
	}
	if got := ids(store.TicketQuery{ContactID: "k1", Statuses: []string{"open"}}); len(got) != 5 {
		t.Fatalf("contact k1's open: %v", got)
	}
	if got := ids(store.TicketQuery{Statuses: []string{"waiting on vendor"}, Technician: "u1", Type: "incident"}); len(got) != 5 {
		t.Fatalf("custom status, u1: %v", got)
	}
	if got := ids(store.TicketQuery{SLAIDs: []string{"x"}}); got != nil {
		t.Fatalf("SLA x: %v", got)
	}
	// A status change moves the ticket between streams.
	if _, err := db.UpdateTicket("t57", func(tk *store.Ticket) error { tk.Status = store.TicketClosed; return nil }); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.CountTickets(store.TicketQuery{Statuses: []string{"open", "pending"}}); n != 29 {
		t.Fatalf("open and pending after a close: %d", n)
	}
	if n, _ := db.CountTickets(store.TicketQuery{Statuses: []string{store.TicketClosed}}); n != 1 {
		t.Fatalf("closed: %d", n)
	}
	if _, err := db.Tickets(store.TicketQuery{Cursor: "zz"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a bad cursor: %v", err)
	}
}

func testTicketTimeline(t *testing.T, f Factory) {
	db := f.fresh(t)
	if err := db.CreateClient(store.Client{ID: "c1", Name: "c1"}); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	tk, err := db.CreateTicket(newTicket("t1", "c1", "open", at), 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.AddTicketComment(store.TicketComment{ID: "x", TicketID: "nope", Body: "b"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("comment on an unknown ticket: %v", err)
	}
	for i, pub := range []bool{true, false} {
		if err := db.AddTicketComment(store.TicketComment{ID: fmt.Sprint("m", i), TicketID: "t1", AuthorID: "u1", Public: pub,
			Body: "<b>hi</b>", At: at.Add(time.Duration(i) * time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	cs, err := db.TicketComments("t1")
	if err != nil || len(cs) != 2 || cs[0].ID != "m0" || !cs[0].Public || cs[1].Public || cs[0].Body != "<b>hi</b>" {
		t.Fatalf("comments = %+v %v", cs, err)
	}
	if err := db.PutTimeEntry(store.TimeEntry{ID: "e1", TicketID: "nope"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("time on an unknown ticket: %v", err)
	}
	for i := range 3 {
		e := store.TimeEntry{ID: fmt.Sprint("e", i), TicketID: "t1", UserID: "u1", Minutes: 30 * (i + 1), Billable: i != 1,
			ContractID: "k", At: at.AddDate(0, 0, i), TicketNumber: tk.Number, TicketTitle: tk.Title}
		if err := db.PutTimeEntry(e); err != nil {
			t.Fatal(err)
		}
	}
	es, err := db.TimeEntries("t1")
	if err != nil || len(es) != 3 || es[0].ClientID != "c1" || es[2].Minutes != 90 {
		t.Fatalf("time entries = %+v %v", es, err)
	}
	es, err = db.ClientTimeEntries("c1", at.AddDate(0, 0, 1), at.AddDate(0, 0, 3))
	if err != nil || len(es) != 2 || es[0].ID != "e1" || es[1].ID != "e2" {
		t.Fatalf("client entries of days 2-3 = %+v %v", es, err)
	}
	// Moving an entry's date moves it in the client index.
	if err := db.PutTimeEntry(store.TimeEntry{ID: "e2", TicketID: "t1", Minutes: 5, At: at.AddDate(0, 1, 0)}); err != nil {
		t.Fatal(err)
	}
	if es, _ := db.ClientTimeEntries("c1", at.AddDate(0, 0, 1), at.AddDate(0, 0, 3)); len(es) != 1 {
		t.Fatalf("after moving e2: %+v", es)
	}
	if err := db.DeleteTimeEntry("e1"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.TimeEntry("e1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted entry: %v", err)
	}
	if e, err := db.TimeEntry("e0"); err != nil || e.Minutes != 30 {
		t.Fatalf("entry e0 = %+v %v", e, err)
	}
	if es, _ := db.TimeEntries("t1"); len(es) != 2 {
		t.Fatalf("after delete: %+v", es)
	}
	if err := db.DeleteTimeEntry("e1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
}

func testTicketSLAs(t *testing.T, f Factory) {
	db := f.fresh(t)
	if defs, err := db.TicketStatuses(); err != nil || defs != nil {
		t.Fatalf("statuses before any = %v %v", defs, err)
	}
	defs := []store.TicketStatusDef{{Name: "waiting on vendor", Pauses: true}, {Name: "scheduled"}}
	if err := db.SetTicketStatuses(defs); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.TicketStatuses(); len(got) != 2 || !got[0].Pauses || got[1].Name != "scheduled" {
		t.Fatalf("statuses = %+v", got)
	}
	cal := store.SLACalendar{ID: "cal1", Name: "Office", TimeZone: "Europe/Paris",
		Hours: []store.BusinessHours{{Weekday: 1, Start: 540, End: 1080}}, Holidays: []string{"2026-12-25"}}
	if err := db.PutSLACalendar(cal); err != nil {
		t.Fatal(err)
	}
	if got, err := db.SLACalendar("cal1"); err != nil || got.TimeZone != "Europe/Paris" || len(got.Hours) != 1 || got.Hours[0].End != 1080 || got.Holidays[0] != "2026-12-25" {
		t.Fatalf("calendar = %+v %v", got, err)
	}
	sla := store.SLA{ID: "s1", Name: "Gold", CalendarID: "cal1", Targets: []store.SLATarget{{Priority: "high", FirstResponse: 60, Resolution: 480}}}
	if err := db.PutSLA(sla); err != nil {
		t.Fatal(err)
	}
	if err := db.PutSLA(store.SLA{ID: "s0", Name: "Bronze"}); err != nil {
		t.Fatal(err)
	}
	if got, err := db.SLA("s1"); err != nil || got.Targets[0].Resolution != 480 || got.CalendarID != "cal1" {
		t.Fatalf("SLA = %+v %v", got, err)
	}
	if all, _ := db.SLAs(); len(all) != 2 || all[0].Name != "Bronze" {
		t.Fatalf("SLAs by name = %+v", all)
	}
	if all, _ := db.SLACalendars(); len(all) != 1 {
		t.Fatalf("calendars = %+v", all)
	}
	if err := db.DeleteSLACalendar("cal1"); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("delete a calendar in use: %v", err)
	}
	if err := db.DeleteSLA("s1"); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteSLA("s1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if err := db.DeleteSLACalendar("cal1"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SLACalendar("cal1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted calendar: %v", err)
	}
}
