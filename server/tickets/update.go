package tickets

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

func (w *Wing) update(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	cur, ok := w.find(p, r.PathValue("ticket"))
	if !ok {
		httpx.WriteError(rw, 404, "ticket not found")
		return
	}
	var req api.TicketRequest
	if err := httpx.DecodeBody(r, &req, maxBody); err != nil {
		httpx.WriteBodyError(rw, err)
		return
	}
	defs, err := w.statusDefs()
	if err != nil {
		writeStoreError(rw, w.d.Log, err)
		return
	}
	want := cur
	if err := w.fill(p, &want, &req, defs); err != nil {
		httpx.WriteError(rw, 400, err.Error())
		return
	}
	ctx := r.Context()
	if req.ContractID != nil && strings.TrimSpace(*req.ContractID) != cur.ContractID {
		ref := strings.TrimSpace(*req.ContractID)
		want.ContractID = ""
		if ref != "" {
			c, has, code, msg := w.contract(ctx, cur.ClientID, ref)
			if code != 0 {
				httpx.WriteError(rw, code, msg)
				return
			}
			if has {
				want.ContractID = c.ID
			}
		}
		if code, msg := w.moveTicketConsumption(ctx, p, &cur, want.ContractID); code != 0 {
			httpx.WriteError(rw, code, msg)
			return
		}
	}
	clk, err := w.clockFor(want.SLAID)
	if err != nil {
		writeStoreError(rw, w.d.Log, err)
		return
	}
	now := w.d.Now().UTC()
	changed := diff(&cur, &want)
	got, err := w.d.Store.UpdateTicket(cur.ID, func(t *store.Ticket) error {
		if len(changed) == 0 {
			return nil
		}
		// Only the fields this request changed are written: a comment
		// stored meanwhile keeps its activity and first response.
		before := *t
		apply(t, &want, changed)
		if t.Status != before.Status || t.Priority != before.Priority || t.SLAID != before.SLAID {
			t.Clock = append(t.Clock, clockEvent(t, defs, now))
			clk.compute(t, now)
		}
		t.ModifiedAt = now
		return nil
	})
	if err != nil {
		httpx.WriteError(rw, 404, "ticket not found")
		return
	}
	if len(changed) > 0 {
		d := auditOf(&got)
		d["changed"] = strings.Join(changed, ",")
		w.d.Audit.AuditP(p, "ticket.update", got.ID, d)
		w.changed(&got)
	}
	if req.ResolveAlerts && (got.Status == store.TicketResolved || got.Status == store.TicketClosed) && w.d.Alerts != nil {
		for _, id := range got.AlertIDs {
			if err := w.d.Alerts.ResolveAlert(id, p.Name, "ticket #"+strconv.FormatInt(got.Number, 10)+" "+got.Status); err == nil {
				w.d.Audit.AuditP(p, "alert.resolve", id, map[string]string{"client": got.ClientID, "ticket": got.ID})
			}
		}
	}
	httpx.WriteJSON(rw, 200, w.toAPI(&got, w.names(&got), now))
}

// diff names the fields that differ.
func diff(a, b *store.Ticket) []string {
	var out []string
	for _, f := range []struct {
		name string
		same bool
	}{{"title", a.Title == b.Title}, {"description", a.Description == b.Description}, {"contact", a.ContactID == b.ContactID},
		{"devices", slices.Equal(a.DeviceIDs, b.DeviceIDs)}, {"technician", a.TechnicianID == b.TechnicianID},
		{"priority", a.Priority == b.Priority}, {"impact", a.Impact == b.Impact}, {"type", a.Type == b.Type},
		{"activity", a.Activity == b.Activity}, {"status", a.Status == b.Status}, {"spam", a.Spam == b.Spam},
		{"contract", a.ContractID == b.ContractID}, {"sla", a.SLAID == b.SLAID}, {"alerts", slices.Equal(a.AlertIDs, b.AlertIDs)}} {
		if !f.same {
			out = append(out, f.name)
		}
	}
	return out
}

// apply copies the named fields (see diff) from src to dst.
func apply(dst, src *store.Ticket, fields []string) {
	for _, f := range fields {
		switch f {
		case "title":
			dst.Title = src.Title
		case "description":
			dst.Description = src.Description
		case "contact":
			dst.ContactID = src.ContactID
		case "devices":
			dst.DeviceIDs = src.DeviceIDs
		case "technician":
			dst.TechnicianID = src.TechnicianID
		case "priority":
			dst.Priority = src.Priority
		case "impact":
			dst.Impact = src.Impact
		case "type":
			dst.Type = src.Type
		case "activity":
			dst.Activity = src.Activity
		case "status":
			dst.Status = src.Status
		case "spam":
			dst.Spam = src.Spam
		case "contract":
			dst.ContractID = src.ContractID
		case "sla":
			dst.SLAID = src.SLAID
		case "alerts":
			dst.AlertIDs = src.AlertIDs
		}
	}
}

// moveTicketConsumption counts the ticket against its new contract's
// ticket entitlement instead of the old one's.
func (w *Wing) moveTicketConsumption(ctx context.Context, p *httpx.Principal, t *store.Ticket, contractID string) (int, string) {
	if w.d.Contracts == nil {
		return 0, ""
	}
	if contractID == "" {
		w.release(ctx, "ticket", t.ID)
		return 0, ""
	}
	return w.consume(ctx, Consumption{ClientID: t.ClientID, ContractID: contractID, Unit: "tickets", SourceKind: "ticket",
		SourceID: t.ID, TicketID: t.ID, TicketNumber: t.Number, Quantity: 1, UserID: p.UserID, UserName: p.Name, At: w.d.Now().UTC()})
}

func (w *Wing) comment(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	t, ok := w.find(p, r.PathValue("ticket"))
	if !ok {
		httpx.WriteError(rw, 404, "ticket not found")
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
	c := store.TicketComment{ID: httpx.NewID("tc"), TicketID: t.ID, AuthorID: p.UserID, AuthorName: p.Name, Public: req.Public,
		Body: body, At: w.d.Now().UTC()}
	_, code := w.addComment(t.ID, c, func(t *store.Ticket) {
		if c.Public {
			t.Activity = "waiting for requester"
			if t.SLA.FirstResponseAt.IsZero() {
				t.SLA.FirstResponseAt = c.At
			}
		}
	})
	if code != 0 {
		httpx.WriteError(rw, code, "ticket not found")
		return
	}
	w.d.Audit.AuditP(p, "ticket.comment", t.ID, map[string]string{"client": t.ClientID, "number": strconv.FormatInt(t.Number, 10),
		"public": fmt.Sprint(c.Public), "comment": c.ID})
	httpx.WriteJSON(rw, 201, api.TicketComment{ID: c.ID, AuthorID: c.AuthorID, AuthorName: c.AuthorName, Public: c.Public,
		Body: c.Body, At: c.At})
}

// addComment stores a comment and applies touch to the ticket (its
// activity, first response) with its SLA recomputed.
func (w *Wing) addComment(id string, c store.TicketComment, touch func(*store.Ticket)) (store.Ticket, int) {
	if err := w.d.Store.AddTicketComment(c); err != nil {
		return store.Ticket{}, 404
	}
	cur, err := w.d.Store.Ticket(id)
	if err != nil {
		return store.Ticket{}, 404
	}
	clk, err := w.clockFor(cur.SLAID)
	if err != nil {
		w.d.Log.Error("tickets: SLA", "err", err)
	}
	got, err := w.d.Store.UpdateTicket(id, func(t *store.Ticket) error {
		touch(t)
		t.ModifiedAt = c.At
		clk.compute(t, c.At)
		return nil
	})
	if err != nil {
		return got, 404
	}
	w.changed(&got)
	return got, 0
}
