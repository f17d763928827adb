package accounts

import (
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"regexp"
	"slices"
	"strings"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
	"golang.org/x/crypto/bcrypt"
)

var userNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

// canGrant checks that a role and scope are within what p holds.
func (s *Wing) canGrant(p *httpx.Principal, role string, all bool, clients []string) (int, string) {
	if _, ok := httpx.RolePerms[role]; !ok {
		return 400, "role must be one of admin, technician, helpdesk, read-only"
	}
	if !p.HoldsRole(role) {
		return 403, "you cannot grant a role with permissions you do not hold"
	}
	if all && !p.AllClients {
		return 403, "you cannot grant access to all clients"
	}
	if !all && len(clients) == 0 {
		return 400, "give all_clients or at least one client"
	}
	for _, c := range clients {
		if !p.CanSeeClient(c) {
			return 404, "client not found"
		}
		if _, err := s.st.Client(c); err != nil {
			return 404, "client not found"
		}
	}
	return 0, ""
}

// resolveClients maps client IDs or names to IDs within p's scope.
func (s *Wing) resolveClients(p *httpx.Principal, refs []string) ([]string, bool) {
	var ids []string
	for _, ref := range refs {
		c, ok := s.clients.ResolveClient(p, ref)
		if !ok {
			return nil, false
		}
		if !slices.Contains(ids, c.ID) {
			ids = append(ids, c.ID)
		}
	}
	return ids, true
}

func (s *Wing) apiUsers(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	us, err := s.st.Users()
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	out := []api.User{}
	for _, u := range us {
		if p.Manages(&u) {
			out = append(out, toAPIUser(u))
		}
	}
	httpx.WriteJSON(w, 200, out)
}

// userInScope loads a user the caller manages; anything else is not found.
func (s *Wing) userInScope(p *httpx.Principal, id string) (store.User, bool) {
	u, err := s.st.User(id)
	if err != nil || !p.Manages(&u) {
		return store.User{}, false
	}
	return u, true
}

func (s *Wing) apiUser(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	u, ok := s.userInScope(p, r.PathValue("id"))
	if !ok {
		httpx.WriteError(w, 404, "user not found")
		return
	}
	httpx.WriteJSON(w, 200, toAPIUser(u))
}

func (s *Wing) apiCreateUser(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	var req api.CreateUserRequest
	if err := httpx.DecodeBody(r, &req, 16<<10); err != nil {
		httpx.WriteBodyError(w, err)
		return
	}
	if !userNameRE.MatchString(req.Name) {
		httpx.WriteError(w, 400, "user name must be 1-64 letters, digits or . _ @ -, starting with a letter or digit")
		return
	}
	if err := checkNewPassword(req.Password); err != nil {
		httpx.WriteError(w, 400, err.Error())
		return
	}
	email, err := cleanEmail(req.Email)
	if err != nil {
		httpx.WriteError(w, 400, err.Error())
		return
	}
	clients, ok := s.resolveClients(p, req.Clients)
	if !ok {
		httpx.WriteError(w, 404, "client not found")
		return
	}
	if code, msg := s.canGrant(p, req.Role, req.AllClients, clients); code != 0 {
		httpx.WriteError(w, code, msg)
		return
	}
	if req.Role == httpx.RoleAdmin && !s.Fresh(p) {
		httpx.WriteNeedFresh(w, "creating an admin needs a fresh two-factor check")
		return
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(req.Password), bcrypt.DefaultCost)
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	if req.AllClients {
		clients = nil
	}
	u := store.User{ID: httpx.NewID("u"), Name: req.Name, PasswordHash: string(hash), Role: req.Role, AllClients: req.AllClients,
		Clients: clients, CreatedAt: s.now().UTC(), Email: email}
	s.plan.grant.Lock()
	defer s.plan.grant.Unlock()
	if us, err := s.st.Users(); err == nil {
		settleSeats(&u, s.limits(), seatUse(us, ""))
	}
	if err := s.st.CreateUser(u); errors.Is(err, store.ErrExists) {
		httpx.WriteError(w, 409, "a user with that name exists")
		return
	} else if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	s.alog.AuditP(p, "user.create", u.ID, map[string]string{"name": u.Name, "role": u.Role,
		"clients": scopeText(u.AllClients, u.Clients)})
	httpx.WriteJSON(w, 201, toAPIUser(u))
}

func scopeText(all bool, clients []string) string {
	if all {
		return "all"
	}
	return strings.Join(clients, ",")
}

// apiUpdateUser changes role, scope, disabled or password. Nobody changes
// their own role or scope, and nobody grants beyond what they hold.
func (s *Wing) apiUpdateUser(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	var req api.UpdateUserRequest
	if err := httpx.DecodeBody(r, &req, 16<<10); err != nil {
		httpx.WriteBodyError(w, err)
		return
	}
	u, ok := s.userInScope(p, r.PathValue("id"))
	if !ok {
		httpx.WriteError(w, 404, "user not found")
		return
	}
	self := u.ID == p.UserID
	if self && (req.Role != nil || req.AllClients != nil || req.Clients != nil || req.Disabled != nil) {
		httpx.WriteError(w, 403, "you cannot change your own role, scope or state")
		return
	}
	// Changing someone who holds more than the caller would be a way to
	// act with their permissions (e.g. reset their password).
	if !p.HoldsRole(u.Role) {
		httpx.WriteError(w, 403, "that user holds permissions you do not")
		return
	}
	role, all, clients := u.Role, u.AllClients, u.Clients
	if req.Role != nil {
		role = *req.Role
	}
	if req.AllClients != nil {
		all = *req.AllClients
	}
	if req.Clients != nil {
		ids, ok := s.resolveClients(p, *req.Clients)
		if !ok {
			httpx.WriteError(w, 404, "client not found")
			return
		}
		clients = ids
	}
	if all {
		clients = nil
	}
	if req.Role != nil || req.AllClients != nil || req.Clients != nil {
		if code, msg := s.canGrant(p, role, all, clients); code != 0 {
			httpx.WriteError(w, code, msg)
			return
		}
		if role == httpx.RoleAdmin && u.Role != httpx.RoleAdmin && !s.Fresh(p) {
			httpx.WriteNeedFresh(w, "making an admin needs a fresh two-factor check")
			return
		}
	}
	var email *string
	if req.Email != nil {
		e, err := cleanEmail(*req.Email)
		if err != nil {
			httpx.WriteError(w, 400, err.Error())
			return
		}
		email = &e
	}
	var hash []byte
	if req.Password != nil {
		if err := checkNewPassword(*req.Password); err != nil {
			httpx.WriteError(w, 400, err.Error())
			return
		}
		var err error
		if hash, err = bcrypt.GenerateFromPassword([]byte(*req.Password), bcrypt.DefaultCost); err != nil {
			httpx.WriteError(w, 500, "internal error")
			return
		}
	}
	// A role change or a re-enabled user takes a seat only if one is free.
	s.plan.grant.Lock()
	defer s.plan.grant.Unlock()
	var seatUseNow map[string]int
	if (req.Role != nil && *req.Role != u.Role) || (req.Disabled != nil && !*req.Disabled && u.Disabled) {
		if us, err := s.st.Users(); err == nil {
			seatUseNow = seatUse(us, u.ID)
		}
	}
	limits := s.limits()
	mut := func(x *store.User) error {
		x.Role, x.AllClients, x.Clients = role, all, clients
		if req.Disabled != nil {
			x.Disabled = *req.Disabled
		}
		if seatUseNow != nil {
			settleSeats(x, limits, seatUseNow)
		}
		if hash != nil {
			x.PasswordHash = string(hash)
		}
		if email != nil {
			x.Email = *email
		}
		return nil
	}
	var err error
	// Any change to who the user is or what they may do ends their
	// sessions, so no open page keeps powers it lost.
	if u, _, err = s.endAllSessions(u.ID, mut); err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	detail := map[string]string{"role": u.Role, "clients": scopeText(u.AllClients, u.Clients)}
	if req.Disabled != nil {
		detail["disabled"] = map[bool]string{true: "true", false: "false"}[*req.Disabled]
	}
	if req.Password != nil {
		detail["password"] = "reset"
	}
	if email != nil {
		detail["email"] = *email
	}
	s.alog.AuditP(p, "user.update", u.ID, detail)
	httpx.WriteJSON(w, 200, toAPIUser(u))
}

// apiResetUser2FA clears another user's second factor (a lost phone);
// they enrol again at their next login.
func (s *Wing) apiResetUser2FA(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	u, ok := s.userInScope(p, r.PathValue("id"))
	if !ok {
		httpx.WriteError(w, 404, "user not found")
		return
	}
	if !p.HoldsRole(u.Role) {
		httpx.WriteError(w, 403, "that user holds permissions you do not")
		return
	}
	u, _, err := s.endAllSessions(u.ID, func(x *store.User) error {
		x.TOTPSecret, x.TOTPLastStep, x.Recovery = "", 0, nil
		return nil
	})
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	s.alog.AuditP(p, "user.2fa_reset", u.ID, nil)
	httpx.WriteJSON(w, 200, toAPIUser(u))
}

func toAPIUser(u store.User) api.User {
	cl := u.Clients
	if cl == nil {
		cl = []string{}
	}
	return api.User{ID: u.ID, Name: u.Name, Role: u.Role, AllClients: u.AllClients, Clients: cl, Disabled: u.Disabled,
		TOTPEnabled: u.TOTPSecret != "", CreatedAt: u.CreatedAt.UTC().Format("2006-01-02T15:04:05Z"), Seats: seatsOf(&u), Email: u.Email}
}

func toAPIToken(t store.APIToken) api.APIToken {
	return api.APIToken{ID: t.ID, Name: t.Name, Perms: t.Perms, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, Revoked: t.Revoked}
}

// cleanEmail checks a user's e-mail address: one bare address (no display
// name, no line breaks that would add a mail header), or "" for none.
func cleanEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" || len(s) > 254 || strings.ContainsAny(s, "\r\n") {
		return "", fmt.Errorf("email must be one address such as tech@example.com")
	}
	return s, nil
}
