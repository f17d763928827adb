package tickets

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

const (
	maxBody    = 64 << 10
	maxTitle   = 200
	maxText    = 20000
	defaultTop = 50
	maxPage    = 200
)

var refRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

func (w *Wing) list(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	q := store.TicketQuery{Scope: p.Scope()}
	if ref := r.URL.Query().Get("client"); ref != "" {
		c, ok := w.d.Clients.ResolveClient(p, ref)
		if !ok {
			httpx.WriteError(rw, 404, "client not found")
			return
		}
		q.ClientID = c.ID
	}
	w.writeList(rw, r, p, q)
}

func (w *Wing) listClient(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	c, ok := w.d.Clients.ResolveClient(p, r.PathValue("client"))
	if !ok {
		httpx.WriteError(rw, 404, "client not found")
		return
	}
	w.writeList(rw, r, p, store.TicketQuery{ClientID: c.ID, Scope: p.Scope()})
}

// parseQuery reads the list's query parameters into q: status (comma
// separated; default open,pending; "all" = any), technician (a user ID,
// "me" or "-" for unassigned), priority, impact, type, spam (0 default,
// 1, all), q (title or number), sort (modified, number), order (desc,
// asc), cursor and limit (50, at most 200).
func parseQuery(v map[string][]string, p *httpx.Principal, q *store.TicketQuery) error {
	get := func(k string) string {
		if len(v[k]) == 0 {
			return ""
		}
		return strings.TrimSpace(v[k][0])
	}
	switch q.SLAState = get("sla"); q.SLAState {
	case "", store.SLAStateBreached, store.SLAStateAtRisk:
	default:
		return errors.New("sla must be breached or at-risk")
	}
	switch st := get("status"); st {
	case "":
		// Breached and at-risk tickets are those not resolved, closed or
		// deleted: custom statuses included.
		if q.SLAState == "" {
			q.Statuses = []string{store.TicketOpen, store.TicketPending}
		}
	case "all":
	default:
		for _, s := range strings.Split(st, ",") {
			if s = strings.TrimSpace(s); s != "" {
				q.Statuses = append(q.Statuses, s)
			}
		}
	}
	q.Technician = get("technician")
	if q.Technician == "me" {
		q.Technician = p.UserID
	}
	for _, f := range []struct {
		name, val string
		dst       *string
		set       []string
	}{{"priority", get("priority"), &q.Priority, Priorities}, {"impact", get("impact"), &q.Impact, Impacts},
		{"type", get("type"), &q.Type, Types}} {
		if f.val != "" && !slices.Contains(f.set, f.val) {
			return fmt.Errorf("%s must be one of %s", f.name, strings.Join(f.set, ", "))
		}
		*f.dst = f.val
	}
	switch get("spam") {
	case "", "0":
		q.Spam = new(bool)
	case "1":
		q.Spam = func() *bool { b := true; return &b }()
	case "all":
	default:
		return errors.New("spam must be 0, 1 or all")
	}
	q.Text = httpx.CleanText(get("q"), 200)
	switch get("sort") {
	case "", store.TicketSortModified:
		q.Sort = store.TicketSortModified
	case store.TicketSortNumber:
		q.Sort = store.TicketSortNumber
	default:
		return errors.New("sort must be modified or number")
	}
	switch get("order") {
	case "", "desc":
	case "asc":
		q.Asc = true
	default:
		return errors.New("order must be asc or desc")
	}
	q.Cursor, q.Limit = get("cursor"), defaultTop
	if l := get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > maxPage {
			return fmt.Errorf("limit must be 1 to %d", maxPage)
		}
		q.Limit = n
	}
	return nil
}

func (w *Wing) writeList(rw http.ResponseWriter, r *http.Request, p *httpx.Principal, q store.TicketQuery) {
	if err := parseQuery(r.URL.Query(), p, &q); err != nil {
		httpx.WriteError(rw, 400, err.Error())
		return
	}
	page, err := w.d.Store.Tickets(q)
	if errors.Is(err, store.ErrNotFound) {
		httpx.WriteError(rw, 400, "cursor is not one this list gave")
		return
	}
	if err != nil {
		writeStoreError(rw, w.d.Log, err)
		return
	}
	ptrs := make([]*store.Ticket, len(page.Tickets))
	for i := range page.Tickets {
		ptrs[i] = &page.Tickets[i]
	}
	n, now := w.names(ptrs...), w.d.Now()
	out := api.TicketList{Tickets: make([]api.Ticket, 0, len(page.Tickets)), Next: page.Next}
	for i := range page.Tickets {
		out.Tickets = append(out.Tickets, w.toAPI(&page.Tickets[i], n, now))
	}
	httpx.WriteJSON(rw, 200, out)
}

func (w *Wing) show(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	t, ok := w.find(p, r.PathValue("ticket"))
	if !ok {
		httpx.WriteError(rw, 404, "ticket not found")
		return
	}
	out, err := w.detail(&t, false)
	if err != nil {
		writeStoreError(rw, w.d.Log, err)
		return
	}
	httpx.WriteJSON(rw, 200, out)
}

// detail is a ticket with its timeline; the portal's (public) has only
// public comments and no time entries.
func (w *Wing) detail(t *store.Ticket, public bool) (api.TicketDetail, error) {
	out := api.TicketDetail{Ticket: w.toAPI(t, w.names(t), w.d.Now()), Comments: []api.TicketComment{}}
	cs, err := w.d.Store.TicketComments(t.ID)
	if err != nil {
		return out, err
	}
	for _, c := range cs {
		if public && !c.Public {
			continue
		}
		out.Comments = append(out.Comments, api.TicketComment{ID: c.ID, AuthorID: c.AuthorID, AuthorName: c.AuthorName,
			Public: c.Public, Body: c.Body, At: c.At})
	}
	if public {
		return out, nil
	}
	es, err := w.d.Store.TimeEntries(t.ID)
	if err != nil {
		return out, err
	}
	out.Time = []api.TimeEntry{}
	for _, e := range es {
		out.Time = append(out.Time, toAPITime(&e))
	}
	return out, nil
}

func toAPITime(e *store.TimeEntry) api.TimeEntry {
	return api.TimeEntry{ID: e.ID, TicketID: e.TicketID, UserID: e.UserID, UserName: e.UserName, Minutes: e.Minutes,
		Billable: e.Billable, ContractID: e.ContractID, Note: e.Note, At: e.At}
}

// oneOf checks an optional vocabulary field.
func oneOf(field string, v *string, set []string, dst *string) error {
	if v == nil {
		return nil
	}
	if !slices.Contains(set, *v) {
		return fmt.Errorf("%s must be one of %s", field, strings.Join(set, ", "))
	}
	*dst = *v
	return nil
}

// fill checks req and applies it to t (a new ticket or a copy of the
// stored one); it returns a message for a 400. Contract and SLA are
// checked by the caller.
func (w *Wing) fill(p *httpx.Principal, t *store.Ticket, req *api.TicketRequest, defs []store.TicketStatusDef) error {
	var err error
	if req.Title != nil {
		if t.Title, err = httpx.CleanName("title", *req.Title, maxTitle); err != nil {
			return err
		}
	}
	if req.Description != nil {
		t.Description = httpx.CleanText(*req.Description, maxText)
	}
	for _, f := range []struct {
		field string
		v     *string
		set   []string
		dst   *string
	}{{"priority", req.Priority, Priorities, &t.Priority}, {"impact", req.Impact, Impacts, &t.Impact},
		{"type", req.Type, Types, &t.Type}, {"activity", req.Activity, Activities, &t.Activity}} {
		if err := oneOf(f.field, f.v, f.set, f.dst); err != nil {
			return err
		}
	}
	if req.Status != nil {
		if _, ok := statusDef(defs, *req.Status); !ok {
			return fmt.Errorf("status %q is not a ticket status (an admin adds custom ones)", *req.Status)
		}
		t.Status = *req.Status
	}
	if req.Spam != nil {
		t.Spam = *req.Spam
	}
	if req.ContactID != nil {
		id := strings.TrimSpace(*req.ContactID)
		if id != "" && !refRE.MatchString(id) {
			return errors.New("contact_id must be 1-64 letters, digits, _ or -")
		}
		if id != "" && w.d.Contacts != nil {
			if _, ok := w.d.Contacts.Contact(p, t.ClientID, id); !ok {
				return errors.New("contact not found among this client's contacts")
			}
		}
		t.ContactID = id
	}
	if req.DeviceIDs != nil {
		if len(*req.DeviceIDs) > 50 {
			return errors.New("at most 50 devices")
		}
		t.DeviceIDs = nil
		for _, id := range *req.DeviceIDs {
			v, ok := w.d.Devices.Device(p, id)
			if !ok || v.Client != t.ClientID {
				return errors.New("device not found among this client's devices")
			}
			if !slices.Contains(t.DeviceIDs, v.ID) {
				t.DeviceIDs = append(t.DeviceIDs, v.ID)
			}
		}
	}
	if req.TechnicianID != nil {
		id := strings.TrimSpace(*req.TechnicianID)
		if id != "" {
			u, err := w.d.Store.User(id)
			if err != nil || u.Disabled || (!u.AllClients && !slices.Contains(u.Clients, t.ClientID)) {
				return errors.New("technician not found among the users who see this client")
			}
		}
		t.TechnicianID = id
	}
	if req.SLAID != nil {
		if id := *req.SLAID; id != "" {
			if _, err := w.d.Store.SLA(id); err != nil {
				return errors.New("SLA not found")
			}
		}
		t.SLAID = *req.SLAID
	}
	return nil
}

// contract resolves the contract a ticket is under: ref "" is the
// client's default (none is fine), else that contract of the client.
// code is 0 on success, else the status for msg.
func (w *Wing) contract(ctx context.Context, clientID, ref string) (c ContractRef, ok bool, code int, msg string) {
	if w.d.Contracts == nil {
		if ref != "" {
			return c, false, 400, "contracts are not available on this server"
		}
		return c, false, 0, ""
	}
	c, err := w.d.Contracts.ContractForTicket(ctx, clientID, ref)
	switch {
	case errors.Is(err, store.ErrNotFound) && ref == "":
		return c, false, 0, ""
	case errors.Is(err, store.ErrNotFound):
		return c, false, 400, "contract not found among this client's contracts"
	case err != nil:
		w.d.Log.Error("tickets: contract", "err", err)
		return c, false, 500, "internal error"
	}
	return c, true, 0, ""
}

func (w *Wing) create(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	c, ok := w.d.Clients.ResolveClient(p, r.PathValue("client"))
	if !ok {
		httpx.WriteError(rw, 404, "client not found")
		return
	}
	var req api.TicketRequest
	if err := httpx.DecodeBody(r, &req, maxBody); err != nil {
		httpx.WriteBodyError(rw, err)
		return
	}
	if req.Title == nil {
		httpx.WriteError(rw, 400, "title is required")
		return
	}
	t := w.newTicket(c.ID, p.UserID, "read")
	defs, err := w.statusDefs()
	if err != nil {
		writeStoreError(rw, w.d.Log, err)
		return
	}
	if err := w.fill(p, &t, &req, defs); err != nil {
		httpx.WriteError(rw, 400, err.Error())
		return
	}
	cref := ""
	if req.ContractID != nil {
		cref = strings.TrimSpace(*req.ContractID)
	}
	got, code, msg := w.open(r.Context(), t, cref, p.UserID, p.Name)
	if code != 0 {
		httpx.WriteError(rw, code, msg)
		return
	}
	w.d.Audit.AuditP(p, "ticket.create", got.ID, auditOf(&got))
	httpx.WriteJSON(rw, 201, w.toAPI(&got, w.names(&got), w.d.Now()))
}

func auditOf(t *store.Ticket) map[string]string {
	return map[string]string{"client": t.ClientID, "number": strconv.FormatInt(t.Number, 10), "title": t.Title,
		"status": t.Status, "priority": t.Priority, "contract": t.ContractID, "sla": t.SLAID}
}

// newTicket is a ticket with the defaults.
func (w *Wing) newTicket(clientID, by, activity string) store.Ticket {
	now := w.d.Now().UTC()
	return store.Ticket{ID: httpx.NewID("tk"), ClientID: clientID, CreatedAt: now, ModifiedAt: now, CreatedBy: by,
		Priority: "medium", Impact: "none", Type: "incident", Activity: activity, Status: store.TicketOpen}
}

// open stores a new ticket: under its contract (the client's default
// when cref is ""), whose SLA it takes unless one is set, counted as one
// ticket of the contract's ticket entitlement, within the client's
// ticket limit. code is 0 on success, else the status for msg.
func (w *Wing) open(ctx context.Context, t store.Ticket, cref, userID, userName string) (store.Ticket, int, string) {
	c, has, code, msg := w.contract(ctx, t.ClientID, cref)
	if code != 0 {
		return t, code, msg
	}
	if has {
		t.ContractID = c.ID
		if t.SLAID == "" {
			t.SLAID = c.SLAID
		}
	}
	defs, err := w.statusDefs()
	if err != nil {
		return t, 500, "internal error"
	}
	clk, err := w.clockFor(t.SLAID)
	if err != nil {
		w.d.Log.Error("tickets: SLA", "err", err)
		return t, 500, "internal error"
	}
	now := t.CreatedAt
	t.Clock = []store.TicketClockEvent{clockEvent(&t, defs, now)}
	clk.compute(&t, now)
	limit := 0
	if w.d.Limits != nil {
		if limit, err = w.d.Limits.TicketLimit(t.ClientID); err != nil {
			w.d.Log.Error("tickets: limit", "err", err)
			return t, 500, "internal error"
		}
	}
	cons := Consumption{ClientID: t.ClientID, ContractID: t.ContractID, Unit: "tickets", SourceKind: "ticket", SourceID: t.ID,
		TicketID: t.ID, Quantity: 1, UserID: userID, UserName: userName, At: now}
	if has {
		if code, msg := w.consume(ctx, cons); code != 0 {
			return t, code, msg
		}
	}
	got, err := w.d.Store.CreateTicket(t, limit)
	if err != nil {
		if has {
			w.release(ctx, "ticket", t.ID)
		}
		if errors.Is(err, store.ErrConflict) {
			name := t.ClientID
			if cl, err := w.d.Store.Client(t.ClientID); err == nil {
				name = cl.Name
			}
			return t, 409, fmt.Sprintf("%s has reached its ticket limit of %d open tickets (set on the client page's overview): "+
				"resolve or close one, or raise the limit", strconv.Quote(name), limit)
		}
		if errors.Is(err, store.ErrNotFound) {
			return t, 404, "client not found"
		}
		w.d.Log.Error("tickets: create", "err", err)
		return t, 500, "internal error"
	}
	if has {
		cons.TicketNumber = got.Number
		if code, _ := w.consume(ctx, cons); code != 0 {
			w.d.Log.Warn("tickets: recording the ticket's number with its consumption failed", "ticket", got.ID)
		}
	}
	return got, 0, ""
}

// consume records a consumption; a refused over-consumption is a 409
// with the contracts wing's message.
func (w *Wing) consume(ctx context.Context, c Consumption) (int, string) {
	err := w.d.Contracts.Consume(ctx, c)
	switch {
	case err == nil:
		return 0, ""
	case errors.Is(err, store.ErrConflict):
		return 409, err.Error()
	case errors.Is(err, store.ErrNotFound):
		return 400, "contract not found among this client's contracts"
	}
	w.d.Log.Error("tickets: consume", "err", err)
	return 500, "internal error"
}

func (w *Wing) release(ctx context.Context, kind, id string) {
	if w.d.Contracts == nil {
		return
	}
	if err := w.d.Contracts.Release(ctx, kind, id); err != nil {
		w.d.Log.Error("tickets: release", "kind", kind, "id", id, "err", err)
	}
}

// clockEvent is the ticket's clock state from at on.
func clockEvent(t *store.Ticket, defs []store.TicketStatusDef, at time.Time) store.TicketClockEvent {
	d, _ := statusDef(defs, t.Status)
	return store.TicketClockEvent{At: at, Status: t.Status, Paused: d.Pauses, Stopped: stops(t.Status), Priority: t.Priority, SLAID: t.SLAID}
}
