package tickets

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// The customer portal's tickets: a portal user sees the tickets of their
// client they are the contact of (a customer admin sees all of the
// client's), opens tickets and adds public comments; never internal
// comments, time entries, contracts or spam. A technician viewing the
// portal as the customer (ViewedBy) reads only.

// portalFind returns a ticket the portal user may see.
func (w *Wing) portalFind(p *httpx.Principal, ref string) (store.Ticket, bool) {
	id := p.Portal
	t, err := w.d.Store.Ticket(ref)
	if err != nil {
		if n, perr := strconv.ParseInt(strings.TrimPrefix(ref, "#"), 10, 64); perr == nil {
			t, err = w.d.Store.TicketByNumber(n)
		}
	}
	if err != nil || t.ClientID != id.ClientID || (!id.Admin && (id.ContactID == "" || t.ContactID != id.ContactID)) ||
		t.Spam || t.Status == store.TicketDeleted {
		return store.Ticket{}, false
	}
	return t, true
}

// portalView is what the customer sees of a ticket.
func (w *Wing) portalView(t *store.Ticket) api.Ticket {
	a := w.toAPI(t, w.names(t), w.d.Now())
	a.ContractID, a.SLAID, a.AlertIDs, a.Spam, a.TechnicianID, a.Activity, a.SLAState = "", "", nil, false, "", "", ""
	return a
}

func (w *Wing) portalList(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	q := store.TicketQuery{ClientID: p.Portal.ClientID, Spam: new(bool), Limit: defaultTop, Cursor: r.URL.Query().Get("cursor"),
		Text: httpx.CleanText(strings.TrimSpace(r.URL.Query().Get("q")), 200)}
	if !p.Portal.Admin {
		q.ContactID = p.Portal.ContactID
		if q.ContactID == "" {
			httpx.WriteJSON(rw, 200, api.TicketList{Tickets: []api.Ticket{}})
			return
		}
	}
	defs, err := w.statusDefs()
	if err != nil {
		writeStoreError(rw, w.d.Log, err)
		return
	}
	switch st := r.URL.Query().Get("status"); st {
	case "", "all":
		for _, d := range defs {
			if d.Name != store.TicketDeleted {
				q.Statuses = append(q.Statuses, d.Name)
			}
		}
	case "open":
		for _, d := range defs {
			if !stops(d.Name) {
				q.Statuses = append(q.Statuses, d.Name)
			}
		}
	default:
		httpx.WriteError(rw, 400, "status must be all or open")
		return
	}
	page, err := w.d.Store.Tickets(q)
	if err != nil {
		httpx.WriteError(rw, 400, "cursor is not one this list gave")
		return
	}
	out := api.TicketList{Tickets: []api.Ticket{}, Next: page.Next}
	for i := range page.Tickets {
		out.Tickets = append(out.Tickets, w.portalView(&page.Tickets[i]))
	}
	httpx.WriteJSON(rw, 200, out)
}

func (w *Wing) portalShow(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	t, ok := w.portalFind(p, r.PathValue("ticket"))
	if !ok {
		httpx.WriteError(rw, 404, "ticket not found")
		return
	}
	out, err := w.detail(&t, true)
	if err != nil {
		writeStoreError(rw, w.d.Log, err)
		return
	}
	out.Ticket = w.portalView(&t)
	if p.Portal.ViewedBy != "" {
		w.d.Audit.AuditP(p, "portal.view_ticket", t.ID, map[string]string{"client": t.ClientID, "viewed_by": p.Portal.ViewedBy})
	}
	httpx.WriteJSON(rw, 200, out)
}

// portalActor names a portal user in records and the audit log.
func portalActor(p *httpx.Principal) string { return "contact:" + p.Portal.ContactID }

func refuseViewer(rw http.ResponseWriter, p *httpx.Principal) bool {
	if p.Portal.ViewedBy != "" {
		httpx.WriteError(rw, 403, "read only: you are viewing the portal as the customer")
		return true
	}
	return false
}

func (w *Wing) portalCreate(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	if refuseViewer(rw, p) {
		return
	}
	var req api.PortalTicketRequest
	if err := httpx.DecodeBody(r, &req, maxBody); err != nil {
		httpx.WriteBodyError(rw, err)
		return
	}
	t := w.newTicket(p.Portal.ClientID, portalActor(p), "unread")
	var err error
	if t.Title, err = httpx.CleanName("title", req.Title, maxTitle); err != nil {
		httpx.WriteError(rw, 400, err.Error())
		return
	}
	t.Description, t.ContactID, t.Type = httpx.CleanText(req.Description, maxText), p.Portal.ContactID, "request"
	got, code, msg := w.open(r.Context(), t, "", "", portalActor(p))
	if code != 0 {
		httpx.WriteError(rw, code, msg)
		return
	}
	w.d.Audit.AuditP(p, "ticket.create", got.ID, auditOf(&got))
	httpx.WriteJSON(rw, 201, w.portalView(&got))
}

func (w *Wing) portalComment(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	t, ok := w.portalFind(p, r.PathValue("ticket"))
	if !ok {
		httpx.WriteError(rw, 404, "ticket not found")
		return
	}
	if refuseViewer(rw, p) {
		return
	}
	var req api.TicketCommentRequest
	if err := httpx.DecodeBody(r, &req, maxBody); err != nil {
		httpx.WriteBodyError(rw, err)
		return
	}
	body := strings.TrimSpace(httpx.CleanText(req.Body, maxText))
	if body == "" {
		httpx.WriteError(rw, 400, "body is required")
		return
	}
	c := store.TicketComment{ID: httpx.NewID("tc"), TicketID: t.ID, AuthorID: portalActor(p), AuthorName: p.Name, Public: true,
		Body: body, At: w.d.Now().UTC()}
	if _, code := w.addComment(t.ID, c, func(t *store.Ticket) { t.Activity = "waiting for technician" }); code != 0 {
		httpx.WriteError(rw, code, "ticket not found")
		return
	}
	w.d.Audit.AuditP(p, "ticket.comment", t.ID, map[string]string{"client": t.ClientID, "number": strconv.FormatInt(t.Number, 10),
		"public": "true", "comment": c.ID})
	httpx.WriteJSON(rw, 201, api.TicketComment{ID: c.ID, AuthorID: c.AuthorID, AuthorName: c.AuthorName, Public: true, Body: c.Body, At: c.At})
}
