package portal

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/mail"
	"github.com/steward-rmm/steward/server/store"
)

// The operators' side: a client's portal accounts, given to its contacts.

// client resolves the {client} of an operator route within the caller's
// scope, answering 404 itself otherwise.
func (s *Wing) client(w http.ResponseWriter, r *http.Request, p *httpx.Principal) (store.Client, bool) {
	c, ok := s.clients.ResolveClient(p, r.PathValue("client"))
	if !ok {
		httpx.WriteError(w, http.StatusNotFound, "client not found")
	}
	return c, ok
}

// account finds {portaluser} of the route's client.
func (s *Wing) account(w http.ResponseWriter, r *http.Request, p *httpx.Principal) (store.Client, store.PortalAccount, bool) {
	c, ok := s.client(w, r, p)
	if !ok {
		return c, store.PortalAccount{}, false
	}
	a, err := s.st.PortalAccount(r.PathValue("portaluser"))
	if err != nil || a.ClientID != c.ID {
		httpx.WriteError(w, http.StatusNotFound, "portal user not found")
		return c, a, false
	}
	return c, a, true
}

func (s *Wing) toAPIUser(a store.PortalAccount) api.PortalUser {
	out := api.PortalUser{ID: a.ID, ClientID: a.ClientID, ContactID: a.ContactID, Email: a.Email, Admin: a.Admin,
		TOTPEnabled: a.TOTPSecret != "", CreatedAt: a.CreatedAt, CreatedBy: a.CreatedBy, LastLoginAt: a.LastLoginAt}
	switch {
	case a.Disabled:
		out.Status = api.PortalDisabled
	case a.PasswordHash == "":
		out.Status = api.PortalInvited
		out.InviteExpires = a.InviteExpires
	default:
		out.Status = api.PortalActive
	}
	if c, err := s.st.Contact(a.ContactID); err == nil && c.ClientID == a.ClientID {
		out.ContactName = c.Name
	}
	return out
}

// auditOp writes an operator's change to a client's portal accounts; the
// client is named, so the customer sees it in their activity.
func (s *Wing) auditOp(p *httpx.Principal, action string, a store.PortalAccount, detail map[string]string) {
	if detail == nil {
		detail = map[string]string{}
	}
	detail["client"], detail["email"] = a.ClientID, a.Email
	s.alog.AuditP(p, action, a.ID, detail)
}

func (s *Wing) apiUsers(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	c, ok := s.client(w, r, p)
	if !ok {
		return
	}
	as, err := s.st.PortalAccounts(c.ID)
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	out := make([]api.PortalUser, 0, len(as))
	for _, a := range as {
		out = append(out, s.toAPIUser(a))
	}
	httpx.WriteJSON(w, 200, out)
}

func (s *Wing) apiCreateUser(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	c, ok := s.client(w, r, p)
	if !ok {
		return
	}
	var req api.PortalUserCreate
	if err := httpx.DecodeBody(r, &req, 4096); err != nil {
		httpx.WriteBodyError(w, err)
		return
	}
	ct, err := s.st.Contact(strings.TrimSpace(req.Contact))
	if err != nil || ct.ClientID != c.ID {
		httpx.WriteError(w, http.StatusNotFound, "contact not found in this client")
		return
	}
	if ct.Disabled {
		httpx.WriteError(w, 409, "the contact is disabled")
		return
	}
	if ct.Email == "" {
		httpx.WriteError(w, 400, "the contact has no e-mail address: portal users sign in with their e-mail")
		return
	}
	now := s.now().UTC()
	secret := httpx.NewSecret("inv")
	a := store.PortalAccount{ID: httpx.NewID("pu"), ClientID: c.ID, ContactID: ct.ID, Email: strings.ToLower(ct.Email),
		Admin: req.Admin, InviteHash: httpx.HashSecret(secret), InviteExpires: now.Add(inviteTTL), CreatedAt: now, CreatedBy: p.Name}
	if err := s.st.CreatePortalAccount(a); errors.Is(err, store.ErrExists) {
		httpx.WriteError(w, 409, "this contact, or another with the same e-mail, already has a portal account")
		return
	} else if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	role := "customer user"
	if a.Admin {
		role = "customer admin"
	}
	s.auditOp(p, "portal.user_create", a, map[string]string{"role": role, "contact": ct.ID})
	out := s.invite(r, p, a, c, ct, secret, req.SendEmail)
	httpx.WriteJSON(w, 201, out)
}

// invite hands out the set-password link: by e-mail to the contact, or in
// the answer when asked so or when mail is not set up (shown once).
func (s *Wing) invite(r *http.Request, p *httpx.Principal, a store.PortalAccount, c store.Client, ct store.Contact, secret string,
	email bool) api.PortalInvite {
	link := s.baseURL(r) + "/portal/set-password#token=" + secret
	out := api.PortalInvite{User: s.toAPIUser(a)}
	if email && s.mail != nil && s.mail.Configured() {
		ctx, cancel := context.WithTimeout(r.Context(), 45*time.Second)
		defer cancel()
		body := fmt.Sprintf("Hello %s,\n\nyour service provider has given you access to the customer portal of %s.\n"+
			"Set your password here (the link works once, until %s):\n\n%s\n\n"+
			"You will then set up a second factor (an authenticator app) at your first sign-in.\n",
			httpx.CleanText(ct.Name, 100), httpx.CleanText(c.Name, 100), a.InviteExpires.Format("2 Jan 2006 15:04 MST"), link)
		err := s.mail.Send(ctx, mail.Message{To: []string{a.Email}, Subject: "Your customer portal account", Text: body})
		if err == nil {
			out.Emailed = true
			s.auditOp(p, "portal.user_invite_sent", a, nil)
			return out
		}
		s.log.Warn("portal invite mail failed", "account", a.ID, "err", err)
	}
	out.SetPasswordURL = link
	return out
}

// baseURL is where links in mail point: the configured URL, else the
// URL the operator's request came to.
func (s *Wing) baseURL(r *http.Request) string {
	if s.cfg.BaseURL != "" {
		return strings.TrimRight(s.cfg.BaseURL, "/")
	}
	return "https://" + r.Host
}

func (s *Wing) apiReinvite(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	c, a, ok := s.account(w, r, p)
	if !ok {
		return
	}
	var req api.PortalInviteRequest
	if err := httpx.DecodeBody(r, &req, 1024); err != nil {
		httpx.WriteBodyError(w, err)
		return
	}
	ct, _ := s.st.Contact(a.ContactID)
	secret := httpx.NewSecret("inv")
	a, err := s.st.UpdatePortalAccount(a.ID, func(x *store.PortalAccount) error {
		// A new link sets a new password: the old one and every session end.
		x.InviteHash, x.InviteExpires = httpx.HashSecret(secret), s.now().UTC().Add(inviteTTL)
		x.PasswordHash = ""
		x.Epoch++
		return nil
	})
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	s.auditOp(p, "portal.user_reinvite", a, nil)
	httpx.WriteJSON(w, 200, s.invite(r, p, a, c, ct, secret, req.SendEmail))
}

func (s *Wing) apiUpdateUser(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	_, a, ok := s.account(w, r, p)
	if !ok {
		return
	}
	var req api.PortalUserUpdate
	if err := httpx.DecodeBody(r, &req, 1024); err != nil {
		httpx.WriteBodyError(w, err)
		return
	}
	detail := map[string]string{}
	a, err := s.st.UpdatePortalAccount(a.ID, func(x *store.PortalAccount) error {
		if req.Disabled != nil && *req.Disabled != x.Disabled {
			x.Disabled = *req.Disabled
			x.Epoch++ // disabling ends its sessions; enabling starts afresh
			detail["disabled"] = fmt.Sprint(x.Disabled)
		}
		if req.Admin != nil && *req.Admin != x.Admin {
			x.Admin = *req.Admin
			x.Epoch++
			detail["admin"] = fmt.Sprint(x.Admin)
		}
		return nil
	})
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	if len(detail) > 0 {
		s.auditOp(p, "portal.user_update", a, detail)
	}
	httpx.WriteJSON(w, 200, s.toAPIUser(a))
}

func (s *Wing) apiReset2FA(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	_, a, ok := s.account(w, r, p)
	if !ok {
		return
	}
	a, err := s.st.UpdatePortalAccount(a.ID, func(x *store.PortalAccount) error {
		x.TOTPSecret, x.TOTPPending = "", ""
		x.Epoch++ // the next sign-in enrols again
		return nil
	})
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	s.auditOp(p, "portal.user_2fa_reset", a, nil)
	httpx.WriteJSON(w, 200, s.toAPIUser(a))
}

func (s *Wing) apiDeleteUser(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	_, a, ok := s.account(w, r, p)
	if !ok {
		return
	}
	if err := s.st.DeletePortalAccount(a.ID); err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	s.auditOp(p, "portal.user_delete", a, nil)
	httpx.WriteJSON(w, 200, api.Deleted{ID: a.ID, Deleted: true})
}
