// Package contracts is the wing for what clients bought and what was
// delivered to them: contracts (dates, type, the tickets wing's SLA by ID,
// renewal, fees), their entitlements (consumable ones with a quantity
// sold, benefits that are only listed), the consumption recorded against
// them (from tickets and time entries through Consume, or entered by hand
// for visits and training days), and the customer activity page that
// shows a client what it bought, used and has left (activity.go), for
// operators and, in the portal, for the customer's own admins.
//
// Other wings reach it through the methods of provider.go (the tickets
// wing: ContractForTicket, Consume, Release; the invoices wing:
// ContractCharges, HourlyRate), never through its routes.
package contracts

import (
	"errors"
	"math"
	"regexp"
	"strings"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/auditlog"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// Store is the part of the store the wing uses.
type Store interface {
	store.ContractStore
	Client(id string) (store.Client, error)
	Clients() ([]store.Client, error)
}

// Clients resolves a client by ID or name within the caller's scope.
type Clients interface {
	ResolveClient(p *httpx.Principal, ref string) (store.Client, bool)
}

// Config tunes the wing.
type Config struct {
	// SoonDays is how many days ahead the activity page shows what
	// expires (0 = 30); ?days= overrides it per request.
	SoonDays int
}

// Deps are what the contracts wing is built from.
type Deps struct {
	Config  Config
	Store   Store
	Clients Clients
	Audit   auditlog.Writer
	Now     httpx.Clock
}

// Wing serves contracts, entitlements, consumption and customer activity.
type Wing struct{ d Deps }

// New builds the contracts wing.
func New(d Deps) *Wing {
	if d.Config.SoonDays <= 0 {
		d.Config.SoonDays = 30
	}
	return &Wing{d: d}
}

// Routes lists the wing's routes. Reading contracts needs PermView,
// changing them PermClients (those who manage clients), the activity
// page PermCustomerActivity; the portal's copy is for customer admins.
func (w *Wing) Routes() []httpx.Route {
	view, edit := httpx.NeedPerm(httpx.PermView), httpx.NeedPerm(httpx.PermClients)
	return []httpx.Route{
		httpx.R("GET", "/api/v1/clients/{client}/contracts", view, w.list),
		httpx.R("POST", "/api/v1/clients/{client}/contracts", edit, w.create),
		httpx.R("GET", "/api/v1/contracts/{contracts}", view, w.show),
		httpx.R("PUT", "/api/v1/contracts/{contracts}", edit, w.update),
		httpx.R("POST", "/api/v1/contracts/{contracts}/end", edit, w.end),
		httpx.R("POST", "/api/v1/contracts/{contracts}/entitlements", edit, w.addEntitlement),
		httpx.R("PUT", "/api/v1/contracts/{contracts}/entitlements/{entitlements}", edit, w.updateEntitlement),
		httpx.R("DELETE", "/api/v1/contracts/{contracts}/entitlements/{entitlements}", edit, w.deleteEntitlement),
		httpx.R("GET", "/api/v1/contracts/{contracts}/entitlements/{entitlements}/consumptions", view, w.consumptions),
		httpx.R("POST", "/api/v1/contracts/{contracts}/entitlements/{entitlements}/consumptions", edit, w.deliver),
		httpx.R("DELETE", "/api/v1/contracts/{contracts}/consumptions/{consumptions}", edit, w.deleteConsumption),
		httpx.R("GET", "/api/v1/clients/{client}/activity", httpx.NeedPerm(httpx.PermCustomerActivity), w.activity),
		httpx.R("GET", "/api/v1/portal/usage", httpx.PortalAdmin, w.portalActivity),
	}
}

const dateFmt = "2006-01-02"

func date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(dateFmt)
}

func parseDate(field, s string) (time.Time, error) {
	if s = strings.TrimSpace(s); s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(dateFmt, s)
	if err != nil {
		return t, errors.New(field + " must be a date YYYY-MM-DD")
	}
	return t, nil
}

// day is t's date at midnight UTC.
func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func (w *Wing) today() time.Time { return day(w.d.Now()) }

// renewalTerm is a contract's renewal term in months (12 unless set).
func renewalTerm(c *store.Contract) int {
	if c.RenewalMonths > 0 {
		return c.RenewalMonths
	}
	return 12
}

// lastDay is the last day a contract covers as of today: End, carried
// forward by whole renewal terms while it auto-renews (up to today, or to
// an early end), cut by an early end (EndedOn is the first day not
// covered). Zero: open-ended.
func lastDay(c *store.Contract, today time.Time) time.Time {
	end, asOf := c.End, today
	var cut time.Time
	if !c.EndedOn.IsZero() {
		if cut = c.EndedOn.AddDate(0, 0, -1); cut.Before(asOf) {
			asOf = cut
		}
	}
	if c.AutoRenew && !end.IsZero() {
		term := renewalTerm(c)
		for i := 0; end.Before(asOf) && i < 1200; i++ {
			end = end.AddDate(0, term, 0)
		}
	}
	if !cut.IsZero() && (end.IsZero() || cut.Before(end)) {
		end = cut
	}
	return end
}

// status is a contract's computed status as of today.
func status(c *store.Contract, today time.Time) string {
	if today.Before(c.Start) {
		return "upcoming"
	}
	if end := lastDay(c, today); !end.IsZero() && today.After(end) {
		return "expired"
	}
	return "active"
}

// active reports whether a contract covers today.
func active(c *store.Contract, today time.Time) bool { return status(c, today) == "active" }

// expiry is when an entitlement stops counting: its own date, else its
// contract's last day (zero: never).
func expiry(e *store.Entitlement, c *store.Contract, today time.Time) time.Time {
	if !e.Expiry.IsZero() {
		return e.Expiry
	}
	return lastDay(c, today)
}

// qty rounds a quantity for display and arithmetic (hours to the
// micro-hour), so 0.1+0.2 shows as 0.3.
func qty(q float64) float64 { return math.Round(q*1e6) / 1e6 }

func (w *Wing) contractAPI(c *store.Contract, clientName string, today time.Time) api.Contract {
	out := api.Contract{ID: c.ID, ClientID: c.ClientID, ClientName: clientName, Name: c.Name, Type: c.Type,
		Start: date(c.Start), End: date(c.End), EndedOn: date(c.EndedOn), Status: status(c, today), SLAID: c.SLAID,
		AutoRenew: c.AutoRenew, RenewalMonths: c.RenewalMonths, NoticeDays: c.NoticeDays, Default: c.Default,
		MonthlyFeeCents: c.MonthlyFeeCents, HourlyRateCents: c.HourlyRateCents, Currency: c.Currency, Notes: c.Notes,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, UpdatedBy: c.UpdatedBy}
	out.Active = out.Status == "active"
	if end := lastDay(c, today); !end.IsZero() {
		out.EffectiveEnd = date(end)
		if c.NoticeDays > 0 && c.EndedOn.IsZero() {
			out.NoticeBy = date(end.AddDate(0, 0, -c.NoticeDays))
		}
	}
	return out
}

func entitlementAPI(e *store.Entitlement, c *store.Contract, today time.Time, soonDays int) api.Entitlement {
	out := api.Entitlement{ID: e.ID, ContractID: e.ContractID, Name: e.Name, Consumable: e.Consumable, AllowOver: e.AllowOver}
	if !e.Consumable {
		return out
	}
	out.Unit, out.Sold, out.Used = e.Unit, qty(e.Quantity), qty(e.Used)
	out.Remaining = qty(e.Quantity - e.Used)
	out.OverConsumed = e.Used > e.Quantity
	if x := expiry(e, c, today); !x.IsZero() {
		out.Expiry = date(x)
		out.Expired = today.After(x)
		out.ExpiresSoon = !out.Expired && !x.After(today.AddDate(0, 0, soonDays))
	}
	return out
}

// withEntitlements fills a contract's entitlements.
func (w *Wing) withEntitlements(out *api.Contract, c *store.Contract, today time.Time) error {
	es, err := w.d.Store.Entitlements(c.ID)
	if err != nil {
		return err
	}
	out.Entitlements = make([]api.Entitlement, 0, len(es))
	for i := range es {
		out.Entitlements = append(out.Entitlements, entitlementAPI(&es[i], c, today, w.d.Config.SoonDays))
	}
	return nil
}

func consumptionAPI(c *store.Consumption, contracts map[string]string, ents map[string]string) api.Consumption {
	return api.Consumption{ID: c.ID, ContractID: c.ContractID, ContractName: contracts[c.ContractID], EntitlementID: c.EntitlementID,
		EntitlementName: ents[c.EntitlementID], Unit: c.Unit, Quantity: qty(c.Quantity), At: c.At, SourceKind: c.SourceKind,
		SourceID: c.SourceID, TicketID: c.TicketID, TicketNumber: c.TicketNumber, UserName: c.UserName, Note: c.Note, Over: c.Over}
}

var (
	refRE      = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,64}$`)
	currencyRE = regexp.MustCompile(`^[A-Z]{3}$`)
	unitRE     = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)
)
