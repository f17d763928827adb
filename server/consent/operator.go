package consent

import (
	"errors"
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

const (
	// maxDays is the longest grant: two years.
	maxDays = 730
	// requestTTL is how long a request waits for its answer.
	requestTTL = 90 * 24 * time.Hour
	bodyLimit  = 16 << 10
	maxMessage = 2000
	maxReason  = 500
	// historyMax caps the history a consent view returns.
	historyMax = 200
)

// Routes lists the wing's routes: the operator's (exempt from consent
// narrowing: they are how consent is asked for) and the portal's.
func (w *Wing) Routes() []httpx.Route {
	view := httpx.Policy{Perm: httpx.PermView, NoConsent: true}
	ask := httpx.Policy{Perm: httpx.PermClients, NoConsent: true}
	set := httpx.Policy{Perm: httpx.PermUsers, Fresh: true, NoConsent: true}
	portal := httpx.PortalAdmin
	return []httpx.Route{
		httpx.R("GET", "/api/v1/clients/{id}/consent", view, w.apiClientConsent),
		httpx.R("PUT", "/api/v1/clients/{id}/consent", set, w.apiSetRequired),
		httpx.R("POST", "/api/v1/clients/{id}/consent/requests", ask, w.apiCreateRequest),
		httpx.R("GET", "/api/v1/customers", view, w.apiCustomers),
		httpx.R("GET", "/api/v1/portal/grants", portal, w.apiPortalGrants),
		httpx.R("GET", "/api/v1/portal/grants/requests/{request}", portal, w.apiPortalRequest),
		httpx.R("POST", "/api/v1/portal/grants/requests/{request}/accept", portal, w.apiPortalAccept),
		httpx.R("POST", "/api/v1/portal/grants/requests/{request}/decline", portal, w.apiPortalDecline),
		httpx.R("POST", "/api/v1/portal/grants/{grant}/revoke", portal, w.apiPortalRevoke),
		httpx.R("POST", "/api/v1/portal/grants/{grant}/renew", portal, w.apiPortalRenew),
	}
}

// link is the portal page of a request.
func (w *Wing) link(id string) string {
	base := ""
	if w.d.Config.PublicURL != nil {
		base = strings.TrimRight(w.d.Config.PublicURL(), "/")
	}
	return base + "/portal/grants/" + id
}

func (w *Wing) toAPIRequest(r store.ConsentRequest, clientName string, now time.Time) api.ConsentRequest {
	status := r.Status
	if r.Expired(now) {
		status = "expired"
	}
	return api.ConsentRequest{ID: r.ID, ClientID: r.ClientID, ClientName: clientName, Roles: nonNil(r.Roles), Days: r.Days,
		Message: r.Message, CreatedAt: r.CreatedAt, CreatedBy: r.CreatedBy, ExpiresAt: r.ExpiresAt, Status: status,
		AnsweredAt: r.AnsweredAt, AnsweredBy: r.AnsweredBy, GrantID: r.GrantID, Link: w.link(r.ID)}
}

func toAPIGrant(g store.ConsentGrant, clientName string, now time.Time) api.ConsentGrant {
	status := "active"
	switch {
	case !g.RevokedAt.IsZero():
		status = "revoked"
	case !now.Before(g.EndsAt):
		status = "expired"
	case now.Before(g.StartsAt):
		status = "pending"
	}
	return api.ConsentGrant{ID: g.ID, ClientID: g.ClientID, ClientName: clientName, RequestID: g.RequestID, Roles: nonNil(g.Roles),
		StartsAt: g.StartsAt, EndsAt: g.EndsAt, GrantedBy: g.GrantedBy, Status: status, RenewedAt: g.RenewedAt,
		RenewedBy: g.RenewedBy, Renewals: g.Renewals, RevokedAt: g.RevokedAt, RevokedBy: g.RevokedBy,
		RevokedReason: g.RevokedReason, Uses: g.Uses, LastUsedAt: g.LastUsedAt, LastUsedBy: g.LastUsedBy}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// consentView is a client's settings, requests, grants and history.
func (w *Wing) consentView(c store.Client) (api.ClientConsent, error) {
	now := w.d.Now()
	out := api.ClientConsent{ClientID: c.ID, ClientName: c.Name, Covered: []string{}, Requests: []api.ConsentRequest{},
		Grants: []api.ConsentGrant{}, History: []api.ConsentEvent{}}
	w.mu.RLock()
	out.Required = w.required[c.ID]
	for _, r := range Roles {
		if w.covering(c.ID, []string{r}, now) != "" {
			out.Covered = append(out.Covered, r)
		}
	}
	w.mu.RUnlock()
	rs, err := w.d.Store.ConsentRequests(store.ConsentRequestQuery{ClientID: c.ID})
	if err != nil {
		return out, err
	}
	for _, r := range rs {
		out.Requests = append(out.Requests, w.toAPIRequest(r, c.Name, now))
	}
	gs, err := w.d.Store.ConsentGrants(store.ConsentGrantQuery{ClientID: c.ID})
	if err != nil {
		return out, err
	}
	for _, g := range gs {
		out.Grants = append(out.Grants, toAPIGrant(g, c.Name, now))
	}
	evs, err := w.d.Store.Audit(store.AuditQuery{Action: "consent.", Client: c.ID})
	if err != nil {
		return out, err
	}
	for i := len(evs) - 1; i >= 0 && len(out.History) < historyMax; i-- {
		e := evs[i]
		out.History = append(out.History, api.ConsentEvent{At: e.At, Actor: e.Actor, Action: e.Action, Target: e.Target, Detail: e.Detail})
	}
	return out, nil
}

func (w *Wing) client(rw http.ResponseWriter, p *httpx.Principal, ref string) (store.Client, bool) {
	c, ok := w.d.Clients.ResolveClient(p, ref)
	if !ok {
		httpx.WriteError(rw, http.StatusNotFound, "client not found")
	}
	return c, ok
}

func (w *Wing) apiClientConsent(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	c, ok := w.client(rw, p, r.PathValue("id"))
	if !ok {
		return
	}
	out, err := w.consentView(c)
	if err != nil {
		w.d.Log.Error("consent: view", "client", c.ID, "err", err)
		httpx.WriteError(rw, http.StatusInternalServerError, "internal error")
		return
	}
	httpx.WriteJSON(rw, http.StatusOK, out)
}

func (w *Wing) apiSetRequired(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	c, ok := w.client(rw, p, r.PathValue("id"))
	if !ok {
		return
	}
	var req api.ConsentSettingRequest
	if err := httpx.DecodeBody(r, &req, bodyLimit); err != nil {
		httpx.WriteBodyError(rw, err)
		return
	}
	s := store.ConsentSetting{ClientID: c.ID, Required: req.Required, UpdatedAt: w.d.Now().UTC(), UpdatedBy: p.Name}
	if err := w.d.Store.SetConsentRequired(s); err != nil {
		w.d.Log.Error("consent: setting", "client", c.ID, "err", err)
		httpx.WriteError(rw, http.StatusInternalServerError, "internal error")
		return
	}
	w.refresh()
	w.d.Audit.AuditP(p, "consent.setting", c.ID, map[string]string{"client": c.ID, "required": strconv.FormatBool(req.Required)})
	out, err := w.consentView(c)
	if err != nil {
		httpx.WriteError(rw, http.StatusInternalServerError, "internal error")
		return
	}
	httpx.WriteJSON(rw, http.StatusOK, out)
}

// checkRoles validates roles: known, at least one, no repeats; sorted.
func checkRoles(roles []string) ([]string, error) {
	if len(roles) == 0 {
		return nil, errors.New("roles: give at least one of " + strings.Join(Roles, ", "))
	}
	out := []string{}
	for _, r := range roles {
		if !slices.Contains(Roles, r) {
			return nil, fmt.Errorf("roles: %q is not one of %s", r, strings.Join(Roles, ", "))
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	slices.Sort(out)
	return out, nil
}

func (w *Wing) apiCreateRequest(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	c, ok := w.client(rw, p, r.PathValue("id"))
	if !ok {
		return
	}
	var req api.ConsentRequestCreate
	if err := httpx.DecodeBody(r, &req, bodyLimit); err != nil {
		httpx.WriteBodyError(rw, err)
		return
	}
	roles, err := checkRoles(req.Roles)
	if err != nil {
		httpx.WriteError(rw, http.StatusBadRequest, err.Error())
		return
	}
	if req.Days < 1 || req.Days > maxDays {
		httpx.WriteError(rw, http.StatusBadRequest, fmt.Sprintf("days must be 1 to %d (two years)", maxDays))
		return
	}
	if len(req.Message) > maxMessage {
		httpx.WriteError(rw, http.StatusBadRequest, fmt.Sprintf("message longer than %d bytes", maxMessage))
		return
	}
	now := w.d.Now().UTC()
	cr := store.ConsentRequest{ID: httpx.NewID("cr"), ClientID: c.ID, Roles: roles, Days: req.Days,
		Message: httpx.CleanText(req.Message, maxMessage), CreatedAt: now, CreatedBy: p.Name, ExpiresAt: now.Add(requestTTL),
		Status: store.ConsentPending}
	if err := w.d.Store.CreateConsentRequest(cr); err != nil {
		w.d.Log.Error("consent: create request", "client", c.ID, "err", err)
		httpx.WriteError(rw, http.StatusInternalServerError, "internal error")
		return
	}
	w.d.Audit.AuditP(p, "consent.request", cr.ID, map[string]string{"client": c.ID, "roles": strings.Join(roles, ","),
		"days": strconv.Itoa(cr.Days)})
	httpx.WriteJSON(rw, http.StatusCreated, w.toAPIRequest(cr, c.Name, now))
}
