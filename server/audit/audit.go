// Package audit is the wing that shows the audit log: the events within
// the caller's clients, and the verification of the chain against its
// anchors. Writing events is auditlog's, below every wing.
package audit

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// Log is the audit log the wing reads.
type Log interface {
	Query(q store.AuditQuery) ([]store.AuditEvent, error)
	Verify() (int, error)
}

// Clients resolves a client by ID or name within the caller's scope.
type Clients interface {
	ResolveClient(p *httpx.Principal, ref string) (store.Client, bool)
}

// Deps are what the audit wing is built from.
type Deps struct {
	Log     Log
	Clients Clients
}

// Wing serves the audit routes.
type Wing struct{ d Deps }

// New builds the audit wing.
func New(d Deps) *Wing { return &Wing{d: d} }

// Routes lists the wing's routes.
func (a *Wing) Routes() []httpx.Route {
	return []httpx.Route{
		httpx.R("GET", "/api/v1/audit", httpx.NeedPerm(httpx.PermAudit), a.list),
		httpx.R("GET", "/api/v1/audit/verify", httpx.NeedPerm(httpx.PermAudit), a.verify),
	}
}

// list serves the log, filtered and paged, within the caller's clients.
func (a *Wing) list(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	q := r.URL.Query()
	after, _ := strconv.ParseUint(q.Get("after"), 10, 64)
	limit, _ := strconv.Atoi(q.Get("limit"))
	if limit <= 0 || limit > 5000 {
		limit = 500
	}
	action, actor, client := q.Get("action"), q.Get("actor"), q.Get("client")
	if client != "" {
		c, ok := a.d.Clients.ResolveClient(p, client)
		if !ok {
			httpx.WriteError(w, 404, "client not found")
			return
		}
		client = c.ID
	}
	evs, err := a.d.Log.Query(store.AuditQuery{After: after, Action: action, Actor: actor, Client: client, Limit: limit})
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	httpx.WriteJSON(w, 200, toAPIAuditEvents(evs))
}

// verify checks the chain against the anchors and names the first
// record that breaks it.
func (a *Wing) verify(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	n, err := a.d.Log.Verify()
	if err != nil {
		out := api.AuditVerify{OK: false, Records: n, Error: err.Error()}
		var br *store.AuditBreak
		if errors.As(err, &br) {
			out.FirstBad = &br.Seq
		}
		httpx.WriteJSON(w, 200, out)
		return
	}
	httpx.WriteJSON(w, 200, api.AuditVerify{OK: true, Records: n})
}

func toAPIAuditEvents(evs []store.AuditEvent) []api.AuditEvent {
	out := make([]api.AuditEvent, 0, len(evs))
	for _, e := range evs {
		out = append(out, api.AuditEvent{Seq: e.Seq, At: e.At, Actor: e.Actor, Action: e.Action, Target: e.Target,
			Detail: e.Detail, Source: e.Source, Prev: e.Prev, Hash: e.Hash, MAC: e.MAC, Client: e.Client})
	}
	return out
}
