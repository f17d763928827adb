package devices

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// ResolveClient accepts a client ID or name, within scope.
func (s *Wing) ResolveClient(p *httpx.Principal, ref string) (store.Client, bool) {
	cs, _ := s.st.Clients()
	for _, c := range cs {
		if (c.ID == ref || strings.EqualFold(c.Name, ref)) && p.CanSeeClient(c.ID) {
			return c, true
		}
	}
	return store.Client{}, false
}

func (s *Wing) apiTokens(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	ts, err := s.st.EnrollTokens("")
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	out := []api.EnrollToken{}
	for _, t := range ts {
		if p.CanSeeClient(t.ClientID) {
			out = append(out, toAPIEnrollToken(t))
		}
	}
	httpx.WriteJSON(w, 200, out)
}

func (s *Wing) apiCreateToken(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	var req api.CreateEnrollTokenRequest
	if err := httpx.DecodeBody(r, &req, 4096); err != nil {
		httpx.WriteBodyError(w, err)
		return
	}
	c, ok := s.ResolveClient(p, req.Client)
	if !ok {
		httpx.WriteError(w, 404, "client not found")
		return
	}
	if req.ExpiresSeconds <= 0 {
		req.ExpiresSeconds = 7 * 24 * 3600
	}
	if req.ExpiresSeconds > 365*24*3600 || req.MaxUses < 0 || req.MaxUses > 1_000_000 {
		httpx.WriteError(w, 400, "expires_seconds must be at most a year and max_uses at most 1000000")
		return
	}
	secret := httpx.NewSecret("enr")
	t := store.EnrollToken{ID: httpx.NewID("et"), ClientID: c.ID, Hash: httpx.HashSecret(secret), Note: httpx.CleanText(req.Note, 200),
		CreatedAt: s.now(), CreatedBy: p.Name, ExpiresAt: s.now().Add(time.Duration(req.ExpiresSeconds) * time.Second),
		MaxUses: req.MaxUses, RequireApproval: req.RequireApproval || s.cfg.RequireApproval}
	if err := s.st.CreateEnrollToken(t); err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	s.alog.AuditP(p, "token.create", t.ID, map[string]string{"client": c.ID, "max_uses": fmt.Sprint(t.MaxUses),
		"expires": t.ExpiresAt.Format(time.RFC3339), "require_approval": fmt.Sprint(t.RequireApproval)})
	builds := s.install.Builds()
	httpx.WriteJSON(w, 201, api.EnrollTokenCreated{EnrollToken: toAPIEnrollToken(t), Token: secret, Install: s.install.Commands(secret),
		AgentBuilds: &builds})
}

func (s *Wing) apiRevokeToken(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	ts, _ := s.st.EnrollTokens("")
	for _, t := range ts {
		if t.ID == r.PathValue("id") && p.CanSeeClient(t.ClientID) {
			t, err := s.st.RevokeEnrollToken(t.ID)
			if err != nil {
				httpx.WriteError(w, 500, "internal error")
				return
			}
			s.alog.AuditP(p, "token.revoke", t.ID, map[string]string{"client": t.ClientID})
			httpx.WriteJSON(w, 200, toAPIEnrollToken(t))
			return
		}
	}
	httpx.WriteError(w, 404, "token not found")
}
