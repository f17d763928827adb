package tickets

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

func (w *Wing) addTime(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	t, ok := w.find(p, r.PathValue("ticket"))
	if !ok {
		httpx.WriteError(rw, 404, "ticket not found")
		return
	}
	var req api.TimeEntryRequest
	if err := httpx.DecodeBody(r, &req, maxBody); err != nil {
		httpx.WriteBodyError(rw, err)
		return
	}
	if req.Minutes < 1 || req.Minutes > 1440 {
		httpx.WriteError(rw, 400, "minutes must be 1 to 1440")
		return
	}
	now := w.d.Now().UTC()
	at := now
	if d := strings.TrimSpace(req.Date); d != "" {
		day, err := time.Parse(time.DateOnly, d)
		if err != nil || day.After(now.AddDate(0, 0, 1)) || day.Before(now.AddDate(-1, 0, 0)) {
			httpx.WriteError(rw, 400, "date must be YYYY-MM-DD within the last year")
			return
		}
		at = day.Add(12 * time.Hour)
	}
	e := store.TimeEntry{ID: httpx.NewID("te"), TicketID: t.ID, ClientID: t.ClientID, UserID: p.UserID, UserName: p.Name,
		Minutes: req.Minutes, Billable: req.Billable, ContractID: t.ContractID, Note: httpx.CleanText(req.Note, 2000), At: at,
		TicketNumber: t.Number, TicketTitle: t.Title}
	ctx := r.Context()
	if ref := strings.TrimSpace(req.ContractID); ref != "" {
		c, has, code, msg := w.contract(ctx, t.ClientID, ref)
		if code != 0 {
			httpx.WriteError(rw, code, msg)
			return
		}
		if has {
			e.ContractID = c.ID
		}
	}
	if e.ContractID != "" && w.d.Contracts != nil {
		if code, msg := w.consume(ctx, Consumption{ClientID: t.ClientID, ContractID: e.ContractID, Unit: "hours",
			SourceKind: "time_entry", SourceID: e.ID, TicketID: t.ID, TicketNumber: t.Number, Quantity: float64(e.Minutes) / 60,
			UserID: p.UserID, UserName: p.Name, At: at}); code != 0 {
			httpx.WriteError(rw, code, msg)
			return
		}
	}
	if err := w.d.Store.PutTimeEntry(e); err != nil {
		w.release(ctx, "time_entry", e.ID)
		httpx.WriteError(rw, 404, "ticket not found")
		return
	}
	_, _ = w.d.Store.UpdateTicket(t.ID, func(t *store.Ticket) error { t.ModifiedAt = now; return nil })
	w.changed(&t)
	w.d.Audit.AuditP(p, "ticket.time", t.ID, map[string]string{"client": t.ClientID, "number": strconv.FormatInt(t.Number, 10),
		"entry": e.ID, "minutes": strconv.Itoa(e.Minutes), "billable": fmt.Sprint(e.Billable), "contract": e.ContractID})
	httpx.WriteJSON(rw, 201, toAPITime(&e))
}

func (w *Wing) deleteTime(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	t, ok := w.find(p, r.PathValue("ticket"))
	if !ok {
		httpx.WriteError(rw, 404, "ticket not found")
		return
	}
	e, err := w.d.Store.TimeEntry(r.PathValue("entry"))
	if err != nil || e.TicketID != t.ID {
		httpx.WriteError(rw, 404, "time entry not found")
		return
	}
	if err := w.d.Store.DeleteTimeEntry(e.ID); err != nil {
		httpx.WriteError(rw, 404, "time entry not found")
		return
	}
	w.release(r.Context(), "time_entry", e.ID)
	w.changed(&t)
	w.d.Audit.AuditP(p, "ticket.time.delete", t.ID, map[string]string{"client": t.ClientID, "number": strconv.FormatInt(t.Number, 10),
		"entry": e.ID, "minutes": strconv.Itoa(e.Minutes)})
	httpx.WriteJSON(rw, 200, toAPITime(&e))
}

// BillableEntry is a billable time entry as the invoices wing needs it.
type BillableEntry struct {
	ID, TicketID          string
	TicketNumber          int64
	TicketTitle, UserName string
	Note, ContractID      string
	Minutes               int
	At                    time.Time
}

// BillableTimeEntries lists every billable time entry of a client with At
// in [from, to), invoiced or not (the invoices wing keeps which are).
func (w *Wing) BillableTimeEntries(_ context.Context, clientID string, from, to time.Time) ([]BillableEntry, error) {
	es, err := w.d.Store.ClientTimeEntries(clientID, from, to)
	if err != nil {
		return nil, err
	}
	out := []BillableEntry{}
	for _, e := range es {
		if e.Billable {
			out = append(out, BillableEntry{ID: e.ID, TicketID: e.TicketID, TicketNumber: e.TicketNumber, TicketTitle: e.TicketTitle,
				UserName: e.UserName, Note: e.Note, ContractID: e.ContractID, Minutes: e.Minutes, At: e.At})
		}
	}
	return out, nil
}

// fromAlert opens a ticket from an alert or links the alert to a ticket.
func (w *Wing) fromAlert(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	if w.d.Alerts == nil {
		httpx.WriteError(rw, 404, "alert not found")
		return
	}
	a, ok := w.d.Alerts.Alert(p, r.PathValue("alert"))
	if !ok {
		httpx.WriteError(rw, 404, "alert not found")
		return
	}
	var req api.AlertTicketRequest
	if err := httpx.DecodeBody(r, &req, maxBody); err != nil {
		httpx.WriteBodyError(rw, err)
		return
	}
	if req.TicketID != "" {
		t, ok := w.find(p, req.TicketID)
		if !ok || t.ClientID != a.ClientID {
			httpx.WriteError(rw, 404, "ticket not found among the alert's client's tickets")
			return
		}
		got, err := w.d.Store.UpdateTicket(t.ID, func(t *store.Ticket) error {
			if !slices.Contains(t.AlertIDs, a.ID) {
				t.AlertIDs = append(t.AlertIDs, a.ID)
				t.ModifiedAt = w.d.Now().UTC()
			}
			return nil
		})
		if err != nil {
			httpx.WriteError(rw, 404, "ticket not found")
			return
		}
		w.d.Audit.AuditP(p, "ticket.link_alert", got.ID, map[string]string{"client": got.ClientID, "alert": a.ID})
		httpx.WriteJSON(rw, 200, w.toAPI(&got, w.names(&got), w.d.Now()))
		return
	}
	t := w.newTicket(a.ClientID, p.UserID, "read")
	title := req.Title
	if title == "" {
		title = "Alert: " + a.Title
	}
	var err error
	if t.Title, err = httpx.CleanName("title", truncate(title, maxTitle), maxTitle); err != nil {
		httpx.WriteError(rw, 400, err.Error())
		return
	}
	if req.Priority != "" {
		if err := oneOf("priority", &req.Priority, Priorities, &t.Priority); err != nil {
			httpx.WriteError(rw, 400, err.Error())
			return
		}
	} else if a.Severity == "critical" {
		t.Priority = "high"
	}
	t.AlertIDs = []string{a.ID}
	if a.DeviceID != "" {
		t.DeviceIDs = []string{a.DeviceID}
	}
	got, code, msg := w.open(r.Context(), t, "", p.UserID, p.Name)
	if code != 0 {
		httpx.WriteError(rw, code, msg)
		return
	}
	d := auditOf(&got)
	d["alert"] = a.ID
	w.d.Audit.AuditP(p, "ticket.create", got.ID, d)
	httpx.WriteJSON(rw, 201, w.toAPI(&got, w.names(&got), w.d.Now()))
}

// truncate cuts s to at most n characters.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
