package server

import (
	"crypto/subtle"
	"net/http"
)

// sessionCookie is the web session cookie's name. The __Host- prefix makes
// browsers refuse it unless Secure, path=/ and without a Domain.
const sessionCookie = "__Host-steward"

// fromSession authenticates a browser by its session cookie.
func (a *authService) fromSession(r *http.Request) (*principal, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, errUnauthorized
	}
	se, err := a.s.st.Session(hashSecret(c.Value))
	if err != nil || a.s.now().After(se.ExpiresAt) {
		return nil, errUnauthorized
	}
	u, err := a.s.st.User(se.UserID)
	if err != nil || u.Disabled || se.Epoch < u.Epoch {
		return nil, errUnauthorized
	}
	// A session that passed the password but not two-factor (when the user
	// has or needs it) is not a login yet: 401 everywhere.
	if (u.TOTPSecret != "" || (u.Role == roleAdmin && a.s.cfg.Require2FAForAdmins)) && se.SecondFactorAt.IsZero() {
		return nil, errUnauthorized
	}
	p := a.principalFor(&u)
	p.Via, p.Session, p.SecondFactorAt = "session", &se, se.SecondFactorAt
	return p, nil
}

// checkCSRF compares the X-CSRF-Token header with the session's token.
func (a *authService) checkCSRF(r *http.Request, p *principal) bool {
	if p.Session == nil {
		return false
	}
	got := r.Header.Get("X-CSRF-Token")
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(p.Session.CSRF)) == 1
}

// fresh reports whether p proved two-factor recently enough for a
// sensitive action.
func (a *authService) fresh(p *principal) bool {
	if p.Via == "token" {
		return true
	}
	return !p.SecondFactorAt.IsZero() && a.s.now().Sub(p.SecondFactorAt) <= a.s.cfg.FreshTOTP
}

// extraRoutes are the account routes (login, users, two-factor).
func (s *Server) extraRoutes() []route { return nil }
