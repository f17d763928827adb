package devices

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

func (s *Wing) apiClients(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	cs, err := s.st.Clients()
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	out := []api.Client{}
	for _, c := range cs {
		if p.CanSeeClient(c.ID) {
			out = append(out, toAPIClient(c))
		}
	}
	httpx.WriteJSON(w, 200, out)
}

func (s *Wing) apiCreateClient(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	var req api.CreateClientRequest
	if err := httpx.DecodeBody(r, &req, 4096); err != nil {
		httpx.WriteBodyError(w, err)
		return
	}
	// Company names are data ("AT&T / Field Office"): printable text,
	// escaped wherever it is shown.
	name, err := httpx.CleanName("client name", req.Name, httpx.MaxNameRunes)
	if err != nil {
		httpx.WriteError(w, 400, err.Error())
		return
	}
	req.Name = name
	if !p.AllClients {
		httpx.WriteError(w, 403, "only users scoped to all clients can create clients")
		return
	}
	c := store.Client{ID: httpx.NewID("c"), Name: req.Name, CreatedAt: s.now()}
	if err := s.st.CreateClient(c); errors.Is(err, store.ErrExists) {
		httpx.WriteError(w, 409, "a client with that name exists")
		return
	} else if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	s.fleet.SetClientName(c.ID, c.Name)
	s.alog.AuditP(p, "client.create", c.ID, map[string]string{"name": c.Name})
	httpx.WriteJSON(w, 201, toAPIClient(c))
}

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
