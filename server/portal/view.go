package portal

import (
	"net/http"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// "View as the customer": a technician sees a client's portal pages,
// read only, while the customer's consent allows the help-desk view.
// The view is a portal session of its own (the portal cookie), so the
// technician's dashboard session is untouched; it is re-checked against
// consent on every request, audited when it starts, and the customer
// sees it in their activity.

// noConsent is why viewing is unavailable without a consent wing.
const noConsent = "consent is not available"

// viewStatus asks consent whether the client may be viewed now.
func (s *Wing) viewStatus(r *http.Request, clientID string) api.PortalViewStatus {
	if s.consent == nil {
		return api.PortalViewStatus{Reason: noConsent}
	}
	ok, why, err := s.consent.HelpdeskViewAllowed(r.Context(), clientID)
	switch {
	case err != nil:
		s.log.Warn("consent check failed", "client", clientID, "err", err)
		return api.PortalViewStatus{Reason: "consent could not be checked"}
	case !ok:
		if why == "" {
			why = "the customer has not granted the read-only help-desk view"
		}
		return api.PortalViewStatus{Reason: why}
	}
	return api.PortalViewStatus{Available: true}
}

func (s *Wing) apiViewStatus(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	c, ok := s.client(w, r, p)
	if !ok {
		return
	}
	httpx.WriteJSON(w, 200, s.viewStatus(r, c.ID))
}

func (s *Wing) apiStartView(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	c, ok := s.client(w, r, p)
	if !ok {
		return
	}
	if st := s.viewStatus(r, c.ID); !st.Available {
		httpx.WriteError(w, http.StatusForbidden, "viewing as the customer is not available: "+st.Reason)
		return
	}
	now := s.now().UTC()
	cookie := httpx.NewSecret("pview")
	se := store.PortalSession{Hash: httpx.HashSecret(cookie), ClientID: c.ID, ViewedBy: p.UserID, ViewedByName: p.Name,
		CSRF: httpx.NewSecret("csrf"), CreatedAt: now, ExpiresAt: now.Add(viewTTL), SecondFactorAt: now}
	if err := s.st.PutPortalSession(se); err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	setCookie(w, cookie, se.ExpiresAt)
	// Named for the client, so the customer's activity shows the view.
	s.alog.AuditP(p, "portal.view", c.ID, map[string]string{"client": c.ID, "until": se.ExpiresAt.Format("2006-01-02 15:04 MST")})
	httpx.WriteJSON(w, 200, api.PortalView{URL: "/portal/", ExpiresAt: se.ExpiresAt})
}
