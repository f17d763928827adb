package invoices

import (
	"net/http"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// portalStatuses are what a customer sees: never a draft.
var portalStatuses = []string{store.InvoiceSent, store.InvoicePaid, store.InvoiceVoid}

// portalList lists the invoices of the portal principal's client that
// were sent (sent, paid, void), newest first (customer admins only).
func (w *Wing) portalList(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	if p.Portal == nil {
		httpx.WriteError(rw, 404, "not found")
		return
	}
	invs, err := w.d.Store.Invoices(store.InvoiceQuery{ClientID: p.Portal.ClientID, Statuses: portalStatuses,
		Scope: store.Scope{Only: true, Clients: []string{p.Portal.ClientID}}, Limit: maxPage})
	if err != nil {
		httpx.WriteError(rw, 500, "internal error")
		return
	}
	out := api.InvoiceList{Invoices: []api.Invoice{}, Total: len(invs)}
	for i := range invs {
		a := toAPI(&invs[i])
		a.Next, a.CreatedBy, a.UpdatedBy = []string{}, "", ""
		out.Invoices = append(out.Invoices, a)
	}
	httpx.WriteJSON(rw, 200, out)
}

// portalPDF answers the PDF of one of those invoices; a draft or another
// client's invoice is not found.
func (w *Wing) portalPDF(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	if p.Portal == nil {
		httpx.WriteError(rw, 404, "not found")
		return
	}
	inv, err := w.d.Store.Invoice(r.PathValue("invoice"))
	if err != nil || inv.ClientID != p.Portal.ClientID || inv.Status == store.InvoiceDraft {
		httpx.WriteError(rw, 404, "invoice not found")
		return
	}
	if p.Portal.ViewedBy != "" {
		w.d.Audit.AuditP(p, "invoice.portal_view", inv.ID, map[string]string{"client": inv.ClientID, "number": inv.Number,
			"viewed_by": p.Portal.ViewedBy})
	}
	writePDF(rw, &inv)
}
