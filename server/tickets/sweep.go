package tickets

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/steward-rmm/steward/server/events"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// The SLA sweep. A breach used to be stored only at a ticket's next
// change; the sweep finds, through the store's index of each ticket's
// next check (TicketQuery.SLACheckBy), the tickets whose warning or
// deadline has come, records the breach, and notifies each warning and
// each breach once: the mark is committed before the message is queued,
// so a restart (or a crash between the two) never sends one twice.

// SweepConfig tunes the SLA sweep; zero values take the defaults.
type SweepConfig struct {
	// Every is how often the sweep runs (default 30 s).
	Every time.Duration
	// WarnPercent is the share of a target, in percent, after which the
	// technician is warned (default 80; negative: no warnings).
	WarnPercent int
}

// Notifier sends an e-mail to named addresses through the notify wing's
// outbox (stored before it returns, delivered at least once).
type Notifier interface {
	Direct(clientID string, to []string, subject, text string) (string, error)
}

// Metrics counts the SLA breaches the sweep records, by target
// ("first_response", "resolution").
type Metrics interface {
	SLABreach(target string)
}

// warnings are when the warning of each target is due (zero: none).
type warnings struct{ firstResponse, resolution time.Time }

func (w *Wing) warnShare() float64 {
	switch p := w.d.Sweep.WarnPercent; {
	case p < 0 || p >= 100:
		return 0
	case p == 0:
		return 0.8
	default:
		return float64(p) / 100
	}
}

// nextCheck is the earliest warning or deadline of t the sweep has not
// notified (zero: none, e.g. the ticket is resolved or its clock paused).
func nextCheck(t *store.Ticket, wn warnings) time.Time {
	s := &t.SLA
	if stops(t.Status) || t.SLAID == "" {
		return time.Time{}
	}
	var times []time.Time
	if s.FirstResponseNotified.IsZero() {
		switch {
		case !s.FirstResponseBreached.IsZero():
			times = append(times, s.FirstResponseBreached)
		case !s.FirstResponseDue.IsZero() && s.FirstResponseAt.IsZero():
			times = append(times, s.FirstResponseDue)
			if s.FirstResponseWarned.IsZero() && !wn.firstResponse.IsZero() {
				times = append(times, wn.firstResponse)
			}
		}
	}
	if s.ResolutionNotified.IsZero() {
		switch {
		case !s.ResolutionBreached.IsZero():
			times = append(times, s.ResolutionBreached)
		case !s.ResolutionDue.IsZero(): // running (a paused clock has none)
			times = append(times, s.ResolutionDue)
			if s.ResolutionWarned.IsZero() && !wn.resolution.IsZero() {
				times = append(times, wn.resolution)
			}
		}
	}
	if len(times) == 0 {
		return time.Time{}
	}
	return slices.MinFunc(times, func(a, b time.Time) int { return a.Compare(b) })
}

// notice is one warning or breach to tell.
type notice struct {
	kind   string // "warning" or "breach"
	target string // "first_response" or "resolution"
	due    time.Time
}

// due marks and returns the notices of t due at now (t was just
// computed at now).
func due(t *store.Ticket, wn warnings, now time.Time) []notice {
	s := &t.SLA
	if stops(t.Status) {
		return nil
	}
	var out []notice
	for _, g := range []struct {
		target           string
		warn, dl, breach time.Time
		warned, notified *time.Time
		answered         bool
	}{
		{"first_response", wn.firstResponse, s.FirstResponseDue, s.FirstResponseBreached, &s.FirstResponseWarned, &s.FirstResponseNotified, !s.FirstResponseAt.IsZero()},
		{"resolution", wn.resolution, s.ResolutionDue, s.ResolutionBreached, &s.ResolutionWarned, &s.ResolutionNotified, false},
	} {
		switch {
		case !g.notified.IsZero():
		case !g.breach.IsZero():
			out = append(out, notice{"breach", g.target, g.breach})
			*g.notified = now
			if g.warned.IsZero() {
				*g.warned = now // a breach found at once needs no warning after it
			}
		case g.warned.IsZero() && !g.answered && !g.warn.IsZero() && !g.warn.After(now):
			out = append(out, notice{"warning", g.target, g.dl})
			*g.warned = now
		}
	}
	return out
}

// Run sweeps at once and then every SweepConfig.Every until ctx ends.
func (w *Wing) Run(ctx context.Context) {
	every := w.d.Sweep.Every
	if every <= 0 {
		every = 30 * time.Second
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		if _, err := w.Sweep(ctx); err != nil {
			w.d.Log.Error("tickets: SLA sweep", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Sweep looks at every ticket whose next check has come: it recomputes
// its SLA, records a breach, and tells each warning and breach once. It
// returns how many notices it sent.
func (w *Wing) Sweep(ctx context.Context) (int, error) {
	now := w.d.Now().UTC()
	clocks := map[string]clock{}
	sent := 0
	q := store.TicketQuery{SLACheckBy: now, Limit: 500}
	for ctx.Err() == nil {
		page, err := w.d.Store.Tickets(q)
		if err != nil {
			return sent, fmt.Errorf("tickets due for the SLA sweep: %w", err)
		}
		for i := range page.Tickets {
			id, slaID := page.Tickets[i].ID, page.Tickets[i].SLAID
			clk, ok := clocks[slaID]
			if !ok {
				if clk, err = w.clockFor(slaID); err != nil {
					return sent, err
				}
				clocks[slaID] = clk
			}
			var notes []notice
			t, err := w.d.Store.UpdateTicket(id, func(t *store.Ticket) error {
				wn := clk.compute(t, now)
				notes = due(t, wn, now)
				t.SLA.NextCheck = nextCheck(t, wn)
				return nil
			})
			if err != nil {
				w.d.Log.Error("tickets: SLA sweep of a ticket", "ticket", id, "err", err)
				continue
			}
			for _, n := range notes {
				w.tell(&t, n)
				sent++
			}
		}
		if page.Next == "" {
			break
		}
		q.Cursor = page.Next
	}
	return sent, nil
}

var targetNames = map[string]string{"first_response": "first response", "resolution": "resolution"}

// changed tells the dashboard that ticket t changed (its page reloads).
func (w *Wing) changed(t *store.Ticket) {
	if w.d.Bus != nil {
		w.d.Bus.Publish(events.Event{Type: "ticket", ID: t.ID, ClientID: t.ClientID, State: t.Status})
	}
}

// tell audits, publishes, counts and mails one notice.
func (w *Wing) tell(t *store.Ticket, n notice) {
	to, names := w.recipients(t)
	detail := map[string]string{"client": t.ClientID, "number": strconv.FormatInt(t.Number, 10), "target": n.target,
		"due": n.due.UTC().Format(time.RFC3339), "to": strings.Join(names, ", ")}
	action := "ticket.sla_" + n.kind
	if w.d.Bus != nil {
		w.d.Bus.Publish(events.Event{Type: "ticket", ID: t.ID, ClientID: t.ClientID, State: "sla-" + n.kind})
	}
	if n.kind == "breach" && w.d.Metrics != nil {
		w.d.Metrics.SLABreach(n.target)
	}
	switch {
	case w.d.Notifier == nil:
		detail["mail"] = "no notifier"
	case len(to) == 0:
		detail["mail"] = "no technician with an e-mail address"
	default:
		c, _ := w.d.Store.Client(t.ClientID)
		subject, text := noticeMail(t, c.Name, n)
		id, err := w.d.Notifier.Direct(t.ClientID, to, subject, text)
		if err != nil {
			w.d.Log.Error("tickets: SLA notice", "ticket", t.ID, "err", err)
			detail["mail"] = "not queued: " + err.Error()
		} else {
			detail["delivery"] = id
		}
	}
	w.d.Audit.AuditSystem(action, t.ID, detail)
}

// noticeMail writes a notice's subject and text.
func noticeMail(t *store.Ticket, client string, n notice) (subject, text string) {
	what := targetNames[n.target]
	if n.kind == "breach" {
		subject = fmt.Sprintf("SLA breached: %s of ticket #%d %s", what, t.Number, truncate(t.Title, 120))
		text = fmt.Sprintf("The %s target of ticket #%d was breached at %s.\n", what, t.Number, n.due.UTC().Format(time.RFC1123))
	} else {
		subject = fmt.Sprintf("SLA at risk: %s of ticket #%d %s", what, t.Number, truncate(t.Title, 120))
		text = fmt.Sprintf("The %s of ticket #%d is due at %s.\n", what, t.Number, n.due.UTC().Format(time.RFC1123))
	}
	text += fmt.Sprintf("\nTicket: #%d %s\nClient: %s\nPriority: %s\nStatus: %s\n", t.Number, t.Title, client, t.Priority, t.Status)
	return subject, text
}

// recipients are the e-mail addresses (and user names, for the audit) a
// notice of t goes to: its technician's, or, when it has none (or no
// address), every enabled user who works tickets of its client.
func (w *Wing) recipients(t *store.Ticket) (to, names []string) {
	if t.TechnicianID != "" {
		if u, err := w.d.Store.User(t.TechnicianID); err == nil && !u.Disabled && u.Email != "" {
			return []string{u.Email}, []string{u.Name}
		}
	}
	us, err := w.d.Store.Users()
	if err != nil {
		w.d.Log.Error("tickets: users for an SLA notice", "err", err)
		return nil, nil
	}
	for _, u := range us {
		seat, decided := u.Seats[httpx.SeatServiceDesk]
		if u.Disabled || u.Email == "" || !slices.Contains(httpx.RolePerms[u.Role], httpx.PermTickets) ||
			(decided && !seat) || !(u.AllClients || slices.Contains(u.Clients, t.ClientID)) {
			continue
		}
		to, names = append(to, u.Email), append(names, u.Name)
	}
	return to, names
}
