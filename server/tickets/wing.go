// Package tickets is the service-desk wing: tickets of a client with a
// timeline of comments (public or internal) and time entries, custom
// statuses, SLAs on business-hours calendars whose deadlines come from
// each ticket's recorded clock history (server/slaclock), the ticket's
// contract (consumption of tickets and hours through the Contracts
// dependency), the client's ticket limit, tickets opened from alerts,
// and the customer portal's view of a client's own tickets (portal.go).
//
// Reading tickets needs PermView; working them PermTickets, which needs a
// service-desk seat; statuses, SLAs and calendars PermTicketsAdmin.
// Everything is scoped by client: a ticket of a client outside the
// caller's scope is not found.
package tickets

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/auditlog"
	"github.com/steward-rmm/steward/server/events"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// Store is the part of the store the wing uses.
type Store interface {
	store.TicketStore
	Client(id string) (store.Client, error)
	User(id string) (store.User, error)
	Users() ([]store.User, error)
}

// Clients resolves a client by ID or name within the caller's scope.
type Clients interface {
	ResolveClient(p *httpx.Principal, ref string) (store.Client, bool)
}

// Contacts finds a client's contact by ID within the caller's scope;
// nil: a contact ID is checked only for its form.
type Contacts interface {
	Contact(p *httpx.Principal, clientID, id string) (name string, ok bool)
}

// Limits gives a client's ticket limit from its page's overview (0 = no
// limit); nil: no limit.
type Limits interface {
	TicketLimit(clientID string) (int, error)
}

// ContractRef is a client's contract as the contracts wing describes it.
type ContractRef struct {
	ID, ClientID, Name, SLAID string
	Active                    bool
	HourlyRateCents           int64
}

// Consumption is one delivery counted against a contract's entitlement:
// Unit "hours" (a time entry, Quantity in hours) or "tickets" (a ticket
// opened under the contract, Quantity 1).
type Consumption struct {
	ClientID, ContractID, Unit, SourceKind, SourceID, TicketID string
	TicketNumber                                               int64
	Quantity                                                   float64
	UserID, UserName                                           string
	At                                                         time.Time
}

// Contracts is the contracts wing (CONTRACTS7.md); nil: no contracts.
// ContractForTicket with contractID "" gives the client's default
// contract; store.ErrNotFound when none. Consume refuses an
// over-consumption with an error wrapping store.ErrConflict.
type Contracts interface {
	ContractForTicket(ctx context.Context, clientID, contractID string) (ContractRef, error)
	Consume(ctx context.Context, c Consumption) error
	Release(ctx context.Context, sourceKind, sourceID string) error
}

// AlertRef is an alert as the tickets wing needs it.
type AlertRef struct {
	ID, ClientID, DeviceID, Title, Severity, Status string
}

// Alerts finds alerts within the caller's scope and resolves them; nil:
// tickets are not linked to alerts.
type Alerts interface {
	Alert(p *httpx.Principal, id string) (AlertRef, bool)
	ResolveAlert(id, by, reason string) error
}

// Devices finds a managed device within the caller's scope.
type Devices interface {
	Device(p *httpx.Principal, id string) (fleet.View, bool)
}

// Deps are what the tickets wing is built from.
type Deps struct {
	Store     Store
	Clients   Clients
	Devices   Devices
	Contacts  Contacts  // optional
	Limits    Limits    // optional
	Contracts Contracts // optional
	Alerts    Alerts    // optional
	Audit     auditlog.Writer
	Now       httpx.Clock
	Log       *slog.Logger
	Sweep     SweepConfig
	Notifier  Notifier    // optional: SLA notices are audited, not mailed
	Metrics   Metrics     // optional
	Bus       *events.Bus // optional: ticket changes for the dashboard
}

// Wing serves tickets, SLAs and calendars.
type Wing struct{ d Deps }

// New builds the tickets wing.
func New(d Deps) *Wing {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &Wing{d: d}
}

// Routes lists the wing's routes.
func (w *Wing) Routes() []httpx.Route {
	view, work, admin := httpx.NeedPerm(httpx.PermView), httpx.NeedPerm(httpx.PermTickets), httpx.NeedPerm(httpx.PermTicketsAdmin)
	return []httpx.Route{
		httpx.R("GET", "/api/v1/tickets", view, w.list),
		httpx.R("GET", "/api/v1/clients/{client}/tickets", view, w.listClient),
		httpx.R("POST", "/api/v1/clients/{client}/tickets", work, w.create),
		httpx.R("GET", "/api/v1/tickets/{ticket}", view, w.show),
		httpx.R("PATCH", "/api/v1/tickets/{ticket}", work, w.update),
		httpx.R("POST", "/api/v1/tickets/{ticket}/comments", work, w.comment),
		httpx.R("POST", "/api/v1/tickets/{ticket}/time", work, w.addTime),
		httpx.R("DELETE", "/api/v1/tickets/{ticket}/time/{entry}", work, w.deleteTime),
		httpx.R("POST", "/api/v1/alerts/{alert}/ticket", work, w.fromAlert),
		httpx.R("GET", "/api/v1/ticket-statuses", view, w.statuses),
		httpx.R("PUT", "/api/v1/ticket-statuses", admin, w.setStatuses),
		httpx.R("GET", "/api/v1/slas", view, w.slas),
		httpx.R("POST", "/api/v1/slas", admin, w.createSLA),
		httpx.R("PUT", "/api/v1/slas/{sla}", admin, w.updateSLA),
		httpx.R("DELETE", "/api/v1/slas/{sla}", admin, w.deleteSLA),
		httpx.R("POST", "/api/v1/sla-calendars", admin, w.createCalendar),
		httpx.R("PUT", "/api/v1/sla-calendars/{calendar}", admin, w.updateCalendar),
		httpx.R("DELETE", "/api/v1/sla-calendars/{calendar}", admin, w.deleteCalendar),
		httpx.R("GET", "/api/v1/portal/tickets", httpx.PortalUser, w.portalList),
		httpx.R("POST", "/api/v1/portal/tickets", httpx.PortalUser, w.portalCreate),
		httpx.R("GET", "/api/v1/portal/tickets/{ticket}", httpx.PortalUser, w.portalShow),
		httpx.R("POST", "/api/v1/portal/tickets/{ticket}/comments", httpx.PortalUser, w.portalComment),
	}
}

// The fixed vocabularies of a ticket.
var (
	Priorities = []string{"low", "medium", "high", "critical"}
	Impacts    = []string{"none", "customer down", "server issue", "minor", "major", "crisis"}
	Types      = []string{"incident", "problem", "request", "change"}
	Activities = []string{"unread", "read", "waiting for requester", "waiting for technician"}
)

// builtinPauses says which built-in statuses pause the resolution clock
// (pending: waiting on someone else).
var builtinPauses = map[string]bool{store.TicketPending: true}

// stops reports whether a status ends the SLA clock.
func stops(status string) bool {
	return status == store.TicketResolved || status == store.TicketClosed || status == store.TicketDeleted
}

// find returns a ticket p may see, by ID or number ("123" or "#123");
// anything else is not found.
func (w *Wing) find(p *httpx.Principal, ref string) (store.Ticket, bool) {
	t, err := w.d.Store.Ticket(ref)
	if err != nil {
		if n, perr := strconv.ParseInt(strings.TrimPrefix(ref, "#"), 10, 64); perr == nil {
			t, err = w.d.Store.TicketByNumber(n)
		}
	}
	if err != nil || !p.CanSeeClient(t.ClientID) {
		return store.Ticket{}, false
	}
	return t, true
}

// names are the client and user names of the tickets of one answer,
// looked up one by one (a page names a few, the server may have
// thousands).
type names struct{ clients, users map[string]string }

func (w *Wing) names(ts ...*store.Ticket) names {
	n := names{map[string]string{}, map[string]string{}}
	for _, t := range ts {
		if _, ok := n.clients[t.ClientID]; !ok {
			c, _ := w.d.Store.Client(t.ClientID)
			n.clients[t.ClientID] = c.Name
		}
		if _, ok := n.users[t.TechnicianID]; !ok && t.TechnicianID != "" {
			u, _ := w.d.Store.User(t.TechnicianID)
			n.users[t.TechnicianID] = u.Name
		}
	}
	return n
}

func tp(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func (w *Wing) toAPI(t *store.Ticket, n names, now time.Time) api.Ticket {
	out := api.Ticket{ID: t.ID, Number: t.Number, Title: t.Title, Description: t.Description, ClientID: t.ClientID,
		ClientName: n.clients[t.ClientID], ContactID: t.ContactID, DeviceIDs: t.DeviceIDs, CreatedAt: t.CreatedAt,
		ModifiedAt: t.ModifiedAt, TechnicianID: t.TechnicianID, TechnicianName: n.users[t.TechnicianID], Priority: t.Priority,
		Impact: t.Impact, Type: t.Type, Activity: t.Activity, Status: t.Status, Spam: t.Spam, ContractID: t.ContractID,
		SLAID: t.SLAID, AlertIDs: t.AlertIDs}
	s := t.SLA
	if t.SLAID != "" {
		out.SLA = &api.TicketSLA{FirstResponseDue: tp(s.FirstResponseDue), FirstResponseAt: tp(s.FirstResponseAt),
			FirstResponseBreached: tp(s.FirstResponseBreached), ResolutionDue: tp(s.ResolutionDue),
			ResolutionBreached: tp(s.ResolutionBreached), ResolutionLeftMinutes: s.ResolutionLeft,
			Paused: s.ResolutionDue.IsZero() && s.ResolutionLeft > 0 && !stops(t.Status)}
		out.DueIn, out.Overdue = dueIn(t, now)
		out.SLAState = store.TicketSLAState(t)
	}
	return out
}

// dueIn is the list's view of the SLA: time left or overdue on the
// resolution target (or, before it, the first response).
func dueIn(t *store.Ticket, now time.Time) (string, bool) {
	s := t.SLA
	switch {
	case stops(t.Status):
		if !s.ResolutionBreached.IsZero() {
			return "breached", false
		}
		return "", false
	case !s.ResolutionDue.IsZero():
		if left := s.ResolutionDue.Sub(now); left >= 0 {
			return span(left) + " left", false
		}
		return "overdue " + span(now.Sub(s.ResolutionDue)), true
	case s.ResolutionLeft > 0:
		return "paused (" + span(time.Duration(s.ResolutionLeft)*time.Minute) + " left)", false
	case !s.FirstResponseDue.IsZero() && s.FirstResponseAt.IsZero():
		if left := s.FirstResponseDue.Sub(now); left >= 0 {
			return "response " + span(left) + " left", false
		}
		return "response overdue " + span(now.Sub(s.FirstResponseDue)), true
	}
	return "", false
}

// span writes a duration as "2d 3h", "3h 20m" or "5m".
func span(d time.Duration) string {
	m := int(d.Round(time.Minute) / time.Minute)
	switch {
	case m >= 24*60:
		return strconv.Itoa(m/(24*60)) + "d " + strconv.Itoa(m%(24*60)/60) + "h"
	case m >= 60:
		return strconv.Itoa(m/60) + "h " + strconv.Itoa(m%60) + "m"
	}
	return strconv.Itoa(m) + "m"
}

// statusDefs are every status with whether it pauses the clock.
func (w *Wing) statusDefs() ([]store.TicketStatusDef, error) {
	custom, err := w.d.Store.TicketStatuses()
	if err != nil {
		return nil, err
	}
	var out []store.TicketStatusDef
	for _, s := range store.TicketBuiltinStatuses {
		out = append(out, store.TicketStatusDef{Name: s, Pauses: builtinPauses[s]})
	}
	return append(out, custom...), nil
}

func statusDef(defs []store.TicketStatusDef, name string) (store.TicketStatusDef, bool) {
	i := slices.IndexFunc(defs, func(d store.TicketStatusDef) bool { return d.Name == name })
	if i < 0 {
		return store.TicketStatusDef{}, false
	}
	return defs[i], true
}

func writeStoreError(rw http.ResponseWriter, log *slog.Logger, err error) {
	log.Error("tickets: store", "err", err)
	httpx.WriteError(rw, 500, "internal error")
}
