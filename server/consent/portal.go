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

// portalClient is the customer's own client, or false (answered) when the
// principal is a technician viewing as the customer: grants are the
// customer's alone to see and give.
func (w *Wing) portalClient(rw http.ResponseWriter, p *httpx.Principal) (store.Client, bool) {
	if p.Portal == nil || p.Portal.ViewedBy != "" {
		httpx.WriteError(rw, http.StatusForbidden, "grants are shown only to the customer's admins, not when viewing as the customer")
		return store.Client{}, false
	}
	c, err := w.d.Store.Client(p.Portal.ClientID)
	if err != nil {
		httpx.WriteError(rw, http.StatusNotFound, "not found")
		return store.Client{}, false
	}
	return c, true
}

// portalAudit writes a customer's consent action, on their client.
func (w *Wing) portalAudit(p *httpx.Principal, action, target string, detail map[string]string) {
	detail["client"] = p.Portal.ClientID
	detail["contact"] = p.Portal.ContactID
	w.d.Audit.AuditP(p, action, target, detail)
}

func (w *Wing) apiPortalGrants(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	c, ok := w.portalClient(rw, p)
	if !ok {
		return
	}
	out, err := w.consentView(c)
	if err != nil {
		w.d.Log.Error("consent: portal view", "client", c.ID, "err", err)
		httpx.WriteError(rw, http.StatusInternalServerError, "internal error")
		return
	}
	httpx.WriteJSON(rw, http.StatusOK, out)
}

// request finds a request of the customer's client; another client's is
// not found.
func (w *Wing) request(rw http.ResponseWriter, c store.Client, id string) (store.ConsentRequest, bool) {
	cr, err := w.d.Store.ConsentRequest(id)
	if err != nil || cr.ClientID != c.ID {
		httpx.WriteError(rw, http.StatusNotFound, "request not found")
		return cr, false
	}
	return cr, true
}

func (w *Wing) apiPortalRequest(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	c, ok := w.portalClient(rw, p)
	if !ok {
		return
	}
	if cr, ok := w.request(rw, c, r.PathValue("request")); ok {
		httpx.WriteJSON(rw, http.StatusOK, w.toAPIRequest(cr, c.Name, w.d.Now()))
	}
}

// checkEnd validates a grant's end: in the future, at most two years away.
func checkEnd(end, now time.Time) error {
	if end.IsZero() {
		return errors.New("ends_at is required")
	}
	if !end.After(now) {
		return errors.New("ends_at must be in the future")
	}
	if end.After(now.AddDate(0, 0, maxDays)) {
		return errors.New("ends_at must be at most two years away")
	}
	return nil
}

// answerError answers a store error of answering or changing.
func answerError(rw http.ResponseWriter, err error, what string) {
	switch {
	case errors.Is(err, store.ErrConflict):
		httpx.WriteError(rw, http.StatusConflict, what)
	case errors.Is(err, store.ErrNotFound):
		httpx.WriteError(rw, http.StatusNotFound, "not found")
	default:
		httpx.WriteError(rw, http.StatusInternalServerError, "internal error")
	}
}

func (w *Wing) apiPortalAccept(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	c, ok := w.portalClient(rw, p)
	if !ok {
		return
	}
	cr, ok := w.request(rw, c, r.PathValue("request"))
	if !ok {
		return
	}
	var req api.ConsentAcceptRequest
	if err := httpx.DecodeBody(r, &req, bodyLimit); err != nil {
		httpx.WriteBodyError(rw, err)
		return
	}
	roles, err := checkRoles(req.Roles)
	if err != nil {
		httpx.WriteError(rw, http.StatusBadRequest, err.Error())
		return
	}
	for _, role := range roles {
		if !slices.Contains(cr.Roles, role) {
			httpx.WriteError(rw, http.StatusBadRequest, fmt.Sprintf("roles: %q was not asked for", role))
			return
		}
	}
	now := w.d.Now().UTC()
	if err := checkEnd(req.EndsAt, now); err != nil {
		httpx.WriteError(rw, http.StatusBadRequest, err.Error())
		return
	}
	g := store.ConsentGrant{ID: httpx.NewID("cg"), ClientID: c.ID, RequestID: cr.ID, Roles: roles, StartsAt: now,
		EndsAt: req.EndsAt.UTC(), GrantedByID: p.Portal.ContactID, GrantedBy: p.Name}
	if _, err := w.d.Store.AnswerConsentRequest(cr.ID, store.ConsentAccepted, now, p.Portal.ContactID, p.Name, &g); err != nil {
		answerError(rw, err, "this request was answered already or has expired")
		return
	}
	w.refresh()
	w.portalAudit(p, "consent.grant", g.ID, map[string]string{"request": cr.ID, "grant": g.ID,
		"roles": strings.Join(roles, ","), "ends": g.EndsAt.Format(time.RFC3339)})
	httpx.WriteJSON(rw, http.StatusCreated, toAPIGrant(g, c.Name, now))
}

func (w *Wing) apiPortalDecline(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	c, ok := w.portalClient(rw, p)
	if !ok {
		return
	}
	cr, ok := w.request(rw, c, r.PathValue("request"))
	if !ok {
		return
	}
	now := w.d.Now().UTC()
	out, err := w.d.Store.AnswerConsentRequest(cr.ID, store.ConsentDeclined, now, p.Portal.ContactID, p.Name, nil)
	if err != nil {
		answerError(rw, err, "this request was answered already or has expired")
		return
	}
	w.portalAudit(p, "consent.decline", cr.ID, map[string]string{"request": cr.ID})
	httpx.WriteJSON(rw, http.StatusOK, w.toAPIRequest(out, c.Name, now))
}

// grant finds a grant of the customer's client.
func (w *Wing) grant(rw http.ResponseWriter, c store.Client, id string) (store.ConsentGrant, bool) {
	g, err := w.d.Store.ConsentGrant(id)
	if err != nil || g.ClientID != c.ID {
		httpx.WriteError(rw, http.StatusNotFound, "grant not found")
		return g, false
	}
	return g, true
}

func (w *Wing) apiPortalRevoke(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	c, ok := w.portalClient(rw, p)
	if !ok {
		return
	}
	g, ok := w.grant(rw, c, r.PathValue("grant"))
	if !ok {
		return
	}
	var req api.ConsentRevokeRequest
	if r.ContentLength != 0 { // the reason is optional, and so the body
		if err := httpx.DecodeBody(r, &req, bodyLimit); err != nil {
			httpx.WriteBodyError(rw, err)
			return
		}
	}
	if len(req.Reason) > maxReason {
		httpx.WriteError(rw, http.StatusBadRequest, fmt.Sprintf("reason longer than %d bytes", maxReason))
		return
	}
	reason := httpx.CleanText(req.Reason, maxReason)
	now := w.d.Now().UTC()
	out, err := w.d.Store.RevokeConsentGrant(g.ID, now, p.Name, reason)
	if err != nil {
		answerError(rw, err, "this grant was revoked already")
		return
	}
	// The view first, so no new action passes; then what is under way.
	w.refresh()
	why := fmt.Sprintf("the customer revoked grant %s", g.ID)
	if reason != "" {
		why += ": " + reason
	}
	shells, jobs := w.endEffects(c.ID, why)
	if _, err := w.d.Store.EndConsentGrant(g.ID, now); err != nil && !errors.Is(err, store.ErrConflict) {
		w.d.Log.Error("consent: end revoked grant", "grant", g.ID, "err", err)
	}
	w.portalAudit(p, "consent.revoke", g.ID, map[string]string{"grant": g.ID, "reason": reason,
		"shells_closed": strconv.Itoa(shells), "jobs_cancelled": strconv.Itoa(jobs)})
	httpx.WriteJSON(rw, http.StatusOK, toAPIGrant(out, c.Name, now))
}

func (w *Wing) apiPortalRenew(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	c, ok := w.portalClient(rw, p)
	if !ok {
		return
	}
	g, ok := w.grant(rw, c, r.PathValue("grant"))
	if !ok {
		return
	}
	var req api.ConsentRenewRequest
	if err := httpx.DecodeBody(r, &req, bodyLimit); err != nil {
		httpx.WriteBodyError(rw, err)
		return
	}
	now := w.d.Now().UTC()
	if err := checkEnd(req.EndsAt, now); err != nil {
		httpx.WriteError(rw, http.StatusBadRequest, err.Error())
		return
	}
	out, err := w.d.Store.RenewConsentGrant(g.ID, req.EndsAt.UTC(), now, p.Name)
	if err != nil {
		answerError(rw, err, "a revoked grant cannot be renewed; the provider sends a new request")
		return
	}
	w.refresh()
	w.portalAudit(p, "consent.renew", g.ID, map[string]string{"grant": g.ID, "ends": out.EndsAt.Format(time.RFC3339),
		"was": g.EndsAt.Format(time.RFC3339)})
	httpx.WriteJSON(rw, http.StatusOK, toAPIGrant(out, c.Name, now))
}
