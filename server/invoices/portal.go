package invoices

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// portalStatuses are what a customer sees: never a draft.
var portalStatuses = []string{store.InvoiceSent, store.InvoicePaid, store.InvoiceVoid}

// portalList lists a page of the invoices of the portal principal's
// client that were sent (sent, paid, void), newest first (customer admins
// only), with ?cursor= and ?limit= as the operators' list.
func (w *Wing) portalList(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	if p.Portal == nil {
		httpx.WriteError(rw, 404, "not found")
		return
	}
	q := store.InvoiceQuery{ClientID: p.Portal.ClientID, Statuses: portalStatuses,
		Scope: store.Scope{Only: true, Clients: []string{p.Portal.ClientID}}, Limit: 50}
	v := r.URL.Query()
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxPage {
			httpx.WriteError(rw, 400, fmt.Sprintf("limit must be 1 to %d", maxPage))
			return
		}
		q.Limit = n
	}
	q.Cursor = v.Get("cursor")
	out, err := w.page(q, func(inv *store.Invoice) api.Invoice {
		a := toAPI(inv)
		a.Next, a.CreatedBy, a.UpdatedBy = []string{}, "", ""
		return a
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		httpx.WriteError(rw, 400, "cursor is not one this server gave")
	case err != nil:
		httpx.WriteError(rw, 500, "internal error")
	default:
		httpx.WriteJSON(rw, 200, out)
	}
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
