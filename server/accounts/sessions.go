package accounts

import (
	"crypto/subtle"
	"net/http"
	"slices"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// sessionCookie is the web session cookie's name. The __Host- prefix makes
// browsers refuse it unless Secure, path=/ and without a Domain.
const sessionCookie = "__Host-steward"

// lookupSession finds the live session and its user behind the request's
// cookie, whether or not it has passed two-factor yet.
func (a *Wing) lookupSession(r *http.Request) (store.Session, store.User, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" || len(c.Value) > 128 {
		return store.Session{}, store.User{}, errUnauthorized
	}
	se, err := a.st.Session(httpx.HashSecret(c.Value))
	if err != nil || a.now().After(se.ExpiresAt) {
		return store.Session{}, store.User{}, errUnauthorized
	}
	u, err := a.st.User(se.UserID)
	if err != nil || u.Disabled || se.Epoch < u.Epoch {
		return store.Session{}, store.User{}, errUnauthorized
	}
	return se, u, nil
}

// needs2FA reports whether u must pass a second factor to use a session.
func (a *Wing) needs2FA(u *store.User) bool {
	return u.TOTPSecret != "" || (u.Role == httpx.RoleAdmin && a.cfg.Require2FAForAdmins)
}

// fromSession authenticates a browser by its session cookie.
func (a *Wing) fromSession(r *http.Request) (*httpx.Principal, error) {
	se, u, err := a.lookupSession(r)
	if err != nil {
		return nil, err
	}
	// A session that passed the password but not two-factor (when the user
	// has or needs it) is not a login yet: 401 everywhere.
	if a.needs2FA(&u) && se.SecondFactorAt.IsZero() {
		return nil, errUnauthorized
	}
	p := a.principalFor(&u)
	p.Via, p.Session, p.SecondFactorAt = "session", &se, se.SecondFactorAt
	return p, nil
}

// FromPartial authenticates the two-factor and logout routes: a bearer
// token, a full session, or a session that has passed only the password.
// A partial session carries no permissions at all.
func (a *Wing) FromPartial(r *http.Request) (*httpx.Principal, error) {
	if r.Header.Get("Authorization") != "" {
		return a.Authenticate(r)
	}
	se, u, err := a.lookupSession(r)
	if err != nil {
		return nil, err
	}
	p := a.principalFor(&u)
	p.Via, p.Session, p.SecondFactorAt = "session", &se, se.SecondFactorAt
	if a.needs2FA(&u) && se.SecondFactorAt.IsZero() {
		p.Perms, p.Partial = nil, true
	}
	return p, nil
}

// CheckCSRF compares the X-CSRF-Token header with the session's token.
func (a *Wing) CheckCSRF(r *http.Request, p *httpx.Principal) bool {
	if p.Session == nil {
		return false
	}
	got := r.Header.Get("X-CSRF-Token")
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(p.Session.CSRF)) == 1
}

// Fresh reports whether p proved two-factor recently enough for a
// sensitive action.
// Sessions and tokens alike carry the time of their last check.
func (a *Wing) Fresh(p *httpx.Principal) bool {
	return !p.SecondFactorAt.IsZero() && a.now().Sub(p.SecondFactorAt) <= a.cfg.FreshTOTP
}

// me describes the caller: who, with which permissions and scope, and
// the session's CSRF token and freshness.
func (s *Wing) me(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	// The permissions the caller can use now: those needing a seat it
	// lacks are left out, so the dashboard offers no action bound to fail.
	perms := slices.DeleteFunc(slices.Clone(p.Perms), func(x string) bool { return !p.Has(x) })
	out := api.Me{ID: p.UserID, Name: p.Name, Role: p.Role, Perms: perms,
		AllClients: p.AllClients, Clients: p.Clients, Via: p.Via}
	out.Seats = []string{}
	if u, err := s.st.User(p.UserID); err == nil {
		out.TOTPEnabled = u.TOTPSecret != ""
		out.Seats = seatsOf(&u)
	}
	if p.Session != nil {
		out.CSRF = p.Session.CSRF
		out.SessionExpires = p.Session.ExpiresAt
		if !p.SecondFactorAt.IsZero() {
			out.FreshUntil = p.SecondFactorAt.Add(s.cfg.FreshTOTP).UTC()
		}
	}
	httpx.WriteJSON(w, 200, out)
}
