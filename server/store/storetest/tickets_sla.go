package storetest

import (
	"testing"
	"time"

	"github.com/steward-rmm/steward/server/store"
)

// testTicketSLAIndex checks the SLA sweep's query (SLACheckBy: tickets
// whose next check is due, soonest first, paged, following every change
// of the SLA fields, whether by UpdateTicket or SetTicketSLAs) and the
// breached and at-risk lists (SLAState, by due time, scoped).
func testTicketSLAIndex(t *testing.T, f Factory) {
	db := f.fresh(t)
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for _, c := range []string{"c1", "c2"} {
		if err := db.CreateClient(store.Client{ID: c, Name: c}); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(q store.TicketQuery) []string {
		t.Helper()
		var out []string
		for {
			p, err := db.Tickets(q)
			if err != nil {
				t.Fatalf("query %+v: %v", q, err)
			}
			for _, tk := range p.Tickets {
				out = append(out, tk.ID)
			}
			if p.Next == "" {
				return out
			}
			q.Cursor = p.Next
		}
	}
	same := func(what string, got []string, want ...string) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s = %v, want %v", what, got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%s = %v, want %v", what, got, want)
			}
		}
	}
	// t1 checked at +30 min, t2 at +10 min, t3 at +50 min (of c2), t4 never.
	checks := map[string]time.Duration{"t1": 30, "t2": 10, "t3": 50, "t4": 0}
	for _, id := range []string{"t1", "t2", "t3", "t4"} {
		client := "c1"
		if id == "t3" {
			client = "c2"
		}
		tk := newTicket(id, client, "open", at)
		tk.SLAID = "s1"
		if m := checks[id]; m > 0 {
			tk.SLA.NextCheck = at.Add(m * time.Minute)
		}
		if _, err := db.CreateTicket(tk, 0); err != nil {
			t.Fatal(err)
		}
	}
	same("due by +40 min", ids(store.TicketQuery{SLACheckBy: at.Add(40 * time.Minute)}), "t2", "t1")
	same("due by +40 min, one a page", ids(store.TicketQuery{SLACheckBy: at.Add(40 * time.Minute), Limit: 1}), "t2", "t1")
	same("due by +10 min (inclusive)", ids(store.TicketQuery{SLACheckBy: at.Add(10 * time.Minute)}), "t2")
	same("due by +1 h of c2", ids(store.TicketQuery{SLACheckBy: at.Add(time.Hour), ClientID: "c2"}), "t3")
	same("due by +1 h, scope c1", ids(store.TicketQuery{SLACheckBy: at.Add(time.Hour), Scope: store.Scope{Only: true, Clients: []string{"c1"}}}), "t2", "t1")
	if n, err := db.CountTickets(store.TicketQuery{SLACheckBy: at.Add(time.Hour)}); err != nil || n != 3 {
		t.Fatalf("count due by +1 h = %d %v", n, err)
	}
	// The sweep moves t2's check later through UpdateTicket, and clears
	// t1's through SetTicketSLAs: the index follows both.
	if _, err := db.UpdateTicket("t2", func(tk *store.Ticket) error {
		tk.SLA.NextCheck = at.Add(45 * time.Minute)
		tk.SLA.FirstResponseWarned = at.Add(10 * time.Minute)
		tk.SLA.FirstResponseDue = at.Add(20 * time.Minute)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	t1, _ := db.Ticket("t1")
	s1 := t1.SLA
	s1.NextCheck, s1.ResolutionBreached, s1.ResolutionDue = time.Time{}, at.Add(25*time.Minute), at.Add(25*time.Minute)
	if err := db.SetTicketSLAs(map[string]store.TicketSLA{"t1": s1}); err != nil {
		t.Fatal(err)
	}
	same("due by +1 h after the changes", ids(store.TicketQuery{SLACheckBy: at.Add(time.Hour)}), "t2", "t3")
	if got, _ := db.Ticket("t1"); !got.SLA.ResolutionBreached.Equal(at.Add(25*time.Minute)) || !got.SLA.NextCheck.IsZero() {
		t.Fatalf("t1's SLA = %+v", got.SLA)
	}
	// t1 breached, t2 at risk; t3 breached too with an earlier due.
	if _, err := db.UpdateTicket("t3", func(tk *store.Ticket) error {
		tk.SLA.FirstResponseBreached, tk.SLA.FirstResponseDue = at.Add(5*time.Minute), at.Add(5*time.Minute)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	same("breached", ids(store.TicketQuery{SLAState: store.SLAStateBreached}), "t3", "t1")
	same("breached of c1", ids(store.TicketQuery{SLAState: store.SLAStateBreached, Scope: store.Scope{Only: true, Clients: []string{"c1"}}}), "t1")
	same("at risk", ids(store.TicketQuery{SLAState: store.SLAStateAtRisk}), "t2")
	same("breached, #3", ids(store.TicketQuery{SLAState: store.SLAStateBreached, Text: "#3"}), "t3")
	// Resolved tickets are neither breached nor at risk any more.
	if _, err := db.UpdateTicket("t3", func(tk *store.Ticket) error { tk.Status = store.TicketResolved; return nil }); err != nil {
		t.Fatal(err)
	}
	same("breached after t3 is resolved", ids(store.TicketQuery{SLAState: store.SLAStateBreached}), "t1")
	same("breached and open", ids(store.TicketQuery{SLAState: store.SLAStateBreached, Statuses: []string{"pending"}}))
	if _, err := db.Tickets(store.TicketQuery{SLAState: "late"}); err == nil {
		t.Fatal("an unknown SLA state was accepted")
	}
}
