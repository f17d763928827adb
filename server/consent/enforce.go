package consent

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// Roles are the roles a grant may hold.
var Roles = []string{api.ConsentManageDevices, api.ConsentHelpdeskView}

// Need returns the grant roles that cover a route (any one of them does)
// and whether consent applies to it at all. Reading (GET with the view
// or sessions permission) is covered by the read-only help-desk view or
// by managing devices; anything else that touches a client's devices or
// data (every other method, every other device permission) needs
// "manage devices". The MSP's own administration (users, server, audit,
// notifications, clients and enrollment) is not the customer's to grant.
func Need(method, perm string) ([]string, bool) {
	switch perm {
	case "", httpx.PermUsers, httpx.PermAdmin, httpx.PermAudit, httpx.PermNotifications, httpx.PermClients:
		return nil, false
	}
	if (method == http.MethodGet || method == http.MethodHead) && (perm == httpx.PermView || perm == httpx.PermSessions) {
		return []string{api.ConsentHelpdeskView, api.ConsentManageDevices}, true
	}
	return []string{api.ConsentManageDevices}, true
}

// covering returns the ID of an active grant of client holding one of
// roles ("" if none). The caller holds w.mu.
func (w *Wing) covering(client string, roles []string, now time.Time) string {
	for i := range w.grants[client] {
		g := &w.grants[client][i]
		for _, r := range roles {
			if g.Covers(r, now) {
				return g.ID
			}
		}
	}
	return ""
}

// refusal is the message naming the missing grant.
func refusal(name string, roles []string) string {
	return fmt.Sprintf("client %q requires consent: no active grant covering '%s' (request access on the client's page)",
		name, api.ConsentRoleLabels[roles[0]])
}

// Narrow removes from p's scope, for one request of method on a route
// needing perm, every client that requires consent and has no active
// grant covering the route, and records on p which were withheld and
// why and which are reached under a grant. A principal with every client
// gets an explicit list of all clients but those, so lists leave them
// out. Nothing changes when no client requires consent.
func (w *Wing) Narrow(p *httpx.Principal, method, perm string) {
	if p.Portal != nil {
		return
	}
	roles, gated := Need(method, perm)
	if !gated {
		return
	}
	now := w.d.Now()
	w.mu.RLock()
	defer w.mu.RUnlock()
	if len(w.required) == 0 {
		return
	}
	var withheld, granted map[string]string
	for id := range w.required {
		if !p.AllClients && !slices.Contains(p.Clients, id) {
			continue
		}
		if g := w.covering(id, roles, now); g != "" {
			if granted == nil {
				granted = map[string]string{}
			}
			granted[id] = g
			continue
		}
		if withheld == nil {
			withheld = map[string]string{}
		}
		withheld[id] = refusal(w.names[id], roles)
	}
	if withheld == nil && granted == nil {
		return
	}
	p.Consent = &httpx.ConsentScope{Withheld: withheld, Granted: granted}
	if withheld == nil {
		return
	}
	from := p.Clients
	if p.AllClients {
		from = w.ids
	}
	keep := make([]string, 0, len(from))
	for _, id := range from {
		if _, out := withheld[id]; !out {
			keep = append(keep, id)
		}
	}
	p.AllClients, p.Clients = false, keep
}

// Done records the uses of grants by one request: an action (any method
// but GET and HEAD) that succeeded and reached a client under a grant
// counts as one use of that grant, audited with the route.
func (w *Wing) Done(p *httpx.Principal, r *http.Request, pattern string, status int) {
	method := r.Method
	if p.Consent == nil || status >= 400 || method == http.MethodGet || method == http.MethodHead {
		return
	}
	now := w.d.Now().UTC()
	used := p.Consent.Used()
	if len(used) == 0 {
		// The handler asked no scope question (a store query did): the
		// client or device named in the path is the one acted on.
		if c := w.pathClient(r); c != "" && p.Consent.Granted[c] != "" {
			used[c] = p.Consent.Granted[c]
		}
	}
	for client, grant := range used {
		if err := w.d.Store.RecordConsentUse(grant, now, p.Name); err != nil {
			w.d.Log.Error("consent: record use", "grant", grant, "err", err)
		}
		w.d.Audit.AuditP(p, "consent.use", grant, map[string]string{"client": client, "grant": grant,
			"action": method + " " + pattern})
	}
}

// HelpdeskViewAllowed reports whether the client has an active grant
// with the read-only help-desk view (for the portal's "view as the
// customer"), and otherwise why not.
func (w *Wing) HelpdeskViewAllowed(ctx context.Context, clientID string) (bool, string, error) {
	if err := ctx.Err(); err != nil {
		return false, "", err
	}
	lookup := func() (string, bool, string) {
		w.mu.RLock()
		defer w.mu.RUnlock()
		name, known := w.names[clientID]
		return name, known, w.covering(clientID, []string{api.ConsentHelpdeskView}, w.d.Now())
	}
	name, known, g := lookup()
	if !known {
		// A client the view has not seen yet (created a moment ago).
		if _, err := w.d.Store.Client(clientID); err != nil {
			return false, "", fmt.Errorf("client %s: %w", clientID, err)
		}
		w.refresh()
		name, _, g = lookup()
	}
	if g != "" {
		return true, "", nil
	}
	return false, fmt.Sprintf("%s has not granted the read-only help-desk view (no active grant covers it; request access on the client's page)", name), nil
}

// sweep applies the end of every grant past its end whose effects were
// not applied yet.
func (w *Wing) sweep() {
	now := w.d.Now()
	gs, err := w.d.Store.ConsentGrants(store.ConsentGrantQuery{})
	if err != nil {
		w.d.Log.Error("consent: sweep", "err", err)
		return
	}
	for _, g := range gs {
		if !g.RevokedAt.IsZero() || !g.EndedAt.IsZero() || now.Before(g.EndsAt) {
			continue
		}
		ended, err := w.d.Store.EndConsentGrant(g.ID, now.UTC())
		if errors.Is(err, store.ErrConflict) {
			continue // another sweep took it
		}
		if err != nil {
			w.d.Log.Error("consent: end grant", "grant", g.ID, "err", err)
			continue
		}
		w.refresh()
		reason := fmt.Sprintf("the customer's grant %s ended at %s", g.ID, g.EndsAt.UTC().Format(time.RFC3339))
		shells, jobs := w.endEffects(ended.ClientID, reason)
		w.d.Audit.AuditSystem("consent.expire", g.ID, map[string]string{"client": g.ClientID, "grant": g.ID,
			"ended": g.EndsAt.UTC().Format(time.RFC3339), "shells_closed": strconv.Itoa(shells), "jobs_cancelled": strconv.Itoa(jobs)})
	}
}

// endEffects closes the client's shells and cancels its queued jobs when
// the client requires consent and no active grant still lets technicians
// act on it. It returns how many of each it ended.
func (w *Wing) endEffects(client, reason string) (shells, jobs int) {
	w.effects.Lock()
	defer w.effects.Unlock()
	w.mu.RLock()
	still := !w.required[client] || w.covering(client, []string{api.ConsentManageDevices}, w.d.Now()) != ""
	w.mu.RUnlock()
	if still {
		return 0, 0
	}
	if w.d.Shells != nil {
		shells = w.d.Shells.CloseForClient(client, reason)
	}
	if w.d.Jobs != nil {
		n, err := w.d.Jobs.CancelQueuedForClient(client, reason)
		if err != nil {
			w.d.Log.Error("consent: cancel queued jobs", "client", client, "err", err)
		}
		jobs = n
	}
	return shells, jobs
}

// Explain finds why a request answered "not found" when its handler
// asked no scope question: a client, or a device of a client, named in
// the path and withheld for lack of consent ("" if none).
func (w *Wing) Explain(p *httpx.Principal, r *http.Request) string {
	if p.Consent == nil || len(p.Consent.Withheld) == 0 {
		return ""
	}
	return p.Consent.Withheld[w.pathClient(r)]
}

// pathClient is the client a request's path names, directly or through a
// device ("" if none).
func (w *Wing) pathClient(r *http.Request) string {
	for _, name := range []string{"id", "client", "device"} {
		v := r.PathValue(name)
		if v == "" {
			continue
		}
		if d, ok := w.d.Fleet.View(v); ok {
			return d.Client
		}
		w.mu.RLock()
		_, known := w.names[v]
		w.mu.RUnlock()
		if known {
			return v
		}
	}
	return ""
}
