// Package invoices is the wing for invoices: numbered bills to a client
// made by hand or from a period's billable work (the tickets wing's time
// entries and the contracts wing's fees, both through narrow interfaces),
// in batches for many clients at once, moved through draft, sent, paid and
// void, searched, exported as CSV, rendered as PDF, and shown to the
// customer's admins in the portal (sent, paid and void only).
//
// A time entry is never billed twice: the store keeps an index of billed
// entries written in the same transaction as the invoice. Voiding or
// deleting an invoice releases its entries, so they can be billed again.
package invoices

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/auditlog"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// Store is the part of the store the wing uses.
type Store interface {
	store.InvoiceStore
	Clients() ([]store.Client, error)
	Client(id string) (store.Client, error)
}

// Clients resolves a client by ID or name within the caller's scope.
type Clients interface {
	ResolveClient(p *httpx.Principal, ref string) (store.Client, bool)
}

// BillableEntry is a billable time entry of the tickets wing.
type BillableEntry struct {
	ID, TicketID                            string
	TicketNumber                            int64
	TicketTitle, UserName, Note, ContractID string
	Minutes                                 int
	At                                      time.Time
}

// Work is the tickets wing's side: every billable time entry of the
// client with At in [from, to), invoiced or not.
type Work interface {
	BillableTimeEntries(ctx context.Context, clientID string, from, to time.Time) ([]BillableEntry, error)
}

// ContractCharge is a recurring fee of a client's contract due in a
// period.
type ContractCharge struct {
	ContractID, ContractName, Description string
	AmountCents                           int64
}

// Contracts is the contracts wing's side: the fees due in a period and a
// contract's hourly rate (ok false: none, the settings' rate applies).
type Contracts interface {
	ContractCharges(ctx context.Context, clientID string, from, to time.Time) ([]ContractCharge, error)
	HourlyRate(ctx context.Context, clientID, contractID string) (cents int64, ok bool, err error)
}

// Deps are what the invoices wing is built from. Work and Contracts may
// be nil (their wings not wired): then billing from work is refused with
// a clear error (Work nil), or bills no contract fees and uses the
// default rate (Contracts nil).
type Deps struct {
	Store     Store
	Clients   Clients
	Work      Work
	Contracts Contracts
	Audit     auditlog.Writer
	Now       httpx.Clock
}

// Wing serves invoices.
type Wing struct{ d Deps }

// New builds the invoices wing.
func New(d Deps) *Wing { return &Wing{d: d} }

// Routes lists the wing's routes. Invoices are billing: PermInvoices,
// which only admins hold; the settings need PermAdmin to change.
func (w *Wing) Routes() []httpx.Route {
	inv := httpx.NeedPerm(httpx.PermInvoices)
	return []httpx.Route{
		httpx.R("GET", "/api/v1/invoices", inv, w.search),
		httpx.R("POST", "/api/v1/invoices/batch", inv, w.batch),
		httpx.R("GET", "/api/v1/clients/{client}/invoices", inv, w.clientList),
		httpx.R("POST", "/api/v1/clients/{client}/invoices", inv, w.create),
		httpx.R("GET", "/api/v1/invoices/{invoice}", inv, w.show),
		httpx.R("PUT", "/api/v1/invoices/{invoice}", inv, w.update),
		httpx.R("DELETE", "/api/v1/invoices/{invoice}", inv, w.remove),
		httpx.R("POST", "/api/v1/invoices/{invoice}/status", inv, w.setStatus),
		httpx.R("GET", "/api/v1/invoices/{invoice}/pdf", inv, w.pdf),
		httpx.R("GET", "/api/v1/invoice-settings", inv, w.settings),
		httpx.R("PUT", "/api/v1/invoice-settings", httpx.NeedPerm(httpx.PermAdmin), w.setSettings),
		httpx.R("GET", "/api/v1/portal/invoices", httpx.PortalAdmin, w.portalList),
		httpx.R("GET", "/api/v1/portal/invoices/{invoice}/pdf", httpx.PortalAdmin, w.portalPDF),
	}
}

// find returns an invoice p may see; anything else is not found.
func (w *Wing) find(p *httpx.Principal, id string) (store.Invoice, bool) {
	inv, err := w.d.Store.Invoice(id)
	if err != nil {
		inv, err = w.d.Store.InvoiceByNumber(id)
	}
	if err != nil || !p.CanSeeClient(inv.ClientID) {
		return store.Invoice{}, false
	}
	return inv, true
}

func (w *Wing) show(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	inv, ok := w.find(p, r.PathValue("invoice"))
	if !ok {
		httpx.WriteError(rw, 404, "invoice not found")
		return
	}
	httpx.WriteJSON(rw, 200, toAPI(&inv))
}

func (w *Wing) remove(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	inv, ok := w.find(p, r.PathValue("invoice"))
	if !ok {
		httpx.WriteError(rw, 404, "invoice not found")
		return
	}
	if inv.Status != store.InvoiceDraft {
		httpx.WriteError(rw, 409, "only a draft can be deleted; void a "+inv.Status+" invoice instead")
		return
	}
	if err := w.d.Store.DeleteInvoice(inv.ID); err != nil {
		httpx.WriteError(rw, 404, "invoice not found")
		return
	}
	w.d.Audit.AuditP(p, "invoice.delete", inv.ID, map[string]string{"client": inv.ClientID, "number": inv.Number})
	httpx.WriteJSON(rw, 200, api.InvoiceDeleted{Deleted: inv.ID, Number: inv.Number})
}

// setStatus moves an invoice along store.InvoiceTransitions. Voiding
// releases its time entries (the store does it in the same commit).
func (w *Wing) setStatus(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	inv, ok := w.find(p, r.PathValue("invoice"))
	if !ok {
		httpx.WriteError(rw, 404, "invoice not found")
		return
	}
	var req api.InvoiceStatusRequest
	if err := httpx.DecodeBody(r, &req, 4<<10); err != nil {
		httpx.WriteBodyError(rw, err)
		return
	}
	if !allowed(inv.Status, req.Status) {
		httpx.WriteError(rw, 409, "an invoice cannot go from "+inv.Status+" to "+quoteStatus(req.Status))
		return
	}
	from := inv.Status
	inv.Status, inv.UpdatedAt, inv.UpdatedBy = req.Status, w.d.Now().UTC(), p.Name
	if err := w.d.Store.UpdateInvoice(inv); err != nil {
		writeStoreError(rw, err)
		return
	}
	w.d.Audit.AuditP(p, "invoice.status", inv.ID, map[string]string{"client": inv.ClientID, "number": inv.Number, "from": from, "to": inv.Status})
	httpx.WriteJSON(rw, 200, toAPI(&inv))
}

func writeStoreError(rw http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, store.ErrConflict):
		httpx.WriteError(rw, 409, err.Error())
	case errors.Is(err, store.ErrNotFound):
		httpx.WriteError(rw, 404, "invoice not found")
	default:
		httpx.WriteError(rw, 500, "internal error")
	}
}
