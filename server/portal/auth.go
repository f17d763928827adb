package portal

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
	"github.com/steward-rmm/steward/server/totpx"
)

var errUnauthorized = errors.New("unauthorized")

// dummyHash keeps a sign-in for an unknown e-mail as slow as for a known
// one, so timing does not reveal which accounts exist.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("not a real password"), bcrypt.DefaultCost)

// lookup finds the live session behind the request's portal cookie and,
// unless it is a technician's view, its account.
func (s *Wing) lookup(r *http.Request) (store.PortalSession, store.PortalAccount, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" || len(c.Value) > 128 {
		return store.PortalSession{}, store.PortalAccount{}, errUnauthorized
	}
	se, err := s.st.PortalSession(httpx.HashSecret(c.Value))
	if err != nil || s.now().After(se.ExpiresAt) {
		return store.PortalSession{}, store.PortalAccount{}, errUnauthorized
	}
	if se.AccountID == "" {
		return se, store.PortalAccount{}, nil
	}
	a, err := s.st.PortalAccount(se.AccountID)
	if err != nil || a.Disabled || se.Epoch < a.Epoch || a.ClientID != se.ClientID {
		return store.PortalSession{}, store.PortalAccount{}, errUnauthorized
	}
	return se, a, nil
}

// Authenticate finds the portal principal of a request: a signed-in
// portal user (password and TOTP passed), or a technician's read-only
// view that the customer's consent still allows. The principal holds no
// operator permission and no client scope; its Session carries the CSRF
// token the server checks on every change.
func (s *Wing) Authenticate(r *http.Request) (*httpx.Principal, error) {
	se, a, err := s.lookup(r)
	if err != nil {
		return nil, err
	}
	p := &httpx.Principal{Via: "session", Session: &store.Session{Hash: se.Hash, UserID: se.AccountID, CSRF: se.CSRF,
		CreatedAt: se.CreatedAt, ExpiresAt: se.ExpiresAt, Epoch: se.Epoch, SecondFactorAt: se.SecondFactorAt},
		SecondFactorAt: se.SecondFactorAt}
	if se.AccountID == "" {
		// A view ends as soon as the technician is gone or the customer's
		// consent no longer allows it.
		if se.ViewedBy == "" || !s.viewAllowed(r, se) {
			return nil, errUnauthorized
		}
		p.UserID, p.Name, p.Role = se.ViewedBy, se.ViewedByName, httpx.RoleCustomerUser
		p.Portal = &httpx.PortalIdentity{ClientID: se.ClientID, ViewedBy: se.ViewedBy}
		return p, nil
	}
	if se.SecondFactorAt.IsZero() || a.TOTPSecret == "" {
		return nil, errUnauthorized // the password alone opens nothing
	}
	p.UserID, p.Name, p.Role = a.ID, a.Email, httpx.RoleCustomerUser
	if a.Admin {
		p.Role = httpx.RoleCustomerAdmin
	}
	p.Portal = &httpx.PortalIdentity{ClientID: a.ClientID, ContactID: a.ContactID, Admin: a.Admin}
	return p, nil
}

// viewAllowed re-checks a view session: its technician still exists and
// is enabled, and consent still allows the help-desk view.
func (s *Wing) viewAllowed(r *http.Request, se store.PortalSession) bool {
	if u, err := s.st.User(se.ViewedBy); err != nil || u.Disabled {
		return false
	}
	if s.consent == nil {
		return false
	}
	ok, _, err := s.consent.HelpdeskViewAllowed(r.Context(), se.ClientID)
	return err == nil && ok
}

// partial finds a signed-in account's session for the sign-in steps and
// checks its CSRF token; it answers the request itself when refused.
func (s *Wing) partial(w http.ResponseWriter, r *http.Request) (store.PortalSession, store.PortalAccount, bool) {
	se, a, err := s.lookup(r)
	if err != nil || se.AccountID == "" {
		httpx.WriteError(w, http.StatusUnauthorized, "sign in first")
		return se, a, false
	}
	if got := r.Header.Get("X-CSRF-Token"); got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(se.CSRF)) != 1 {
		httpx.WriteError(w, http.StatusForbidden, "missing or wrong CSRF token")
		return se, a, false
	}
	return se, a, true
}

// jsonOnly refuses a body posted as a form (login CSRF).
func jsonOnly(w http.ResponseWriter, r *http.Request) bool {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		httpx.WriteError(w, http.StatusUnsupportedMediaType, "send the request as application/json")
		return false
	}
	return true
}

// audit writes an event of the portal user's own (customer) action; the
// client is named so the client's log holds it.
func (s *Wing) audit(r *http.Request, a store.PortalAccount, action string, detail map[string]string) {
	if detail == nil {
		detail = map[string]string{}
	}
	detail["client"] = a.ClientID
	s.alog.Audit(r, "portal:"+a.Email, action, a.ID, detail)
}

func (s *Wing) apiLogin(w http.ResponseWriter, r *http.Request, _ *httpx.Principal) {
	if !jsonOnly(w, r) {
		return
	}
	var req api.PortalLoginRequest
	if err := httpx.DecodeBody(r, &req, 4096); err != nil {
		httpx.WriteBodyError(w, err)
		return
	}
	email := strings.ToLower(strings.TrimSpace(req.Email))
	if email == "" || len(email) > 254 || req.Password == "" || len(req.Password) > 1024 {
		httpx.WriteError(w, 400, "e-mail and password are required")
		return
	}
	now := s.now()
	userKey, ipKey := "user:"+email, "ip:"+s.clientIP(r)
	if s.limit.Blocked(userKey, now) || s.limit.Blocked(ipKey, now) {
		s.alog.Audit(r, "portal:"+httpx.CleanText(email, 64), "portal.auth.login_throttled", "", nil)
		httpx.WriteError(w, http.StatusTooManyRequests, "too many failed sign-ins; try again later")
		return
	}
	a, err := s.st.PortalAccountByEmail(email)
	if err != nil || a.PasswordHash == "" {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(req.Password))
		err = errUnauthorized
	} else if bcrypt.CompareHashAndPassword([]byte(a.PasswordHash), []byte(req.Password)) != nil || a.Disabled {
		err = errUnauthorized
	}
	if err != nil {
		s.limit.Fail(userKey, now)
		s.limit.Fail(ipKey, now)
		s.alog.Audit(r, "portal:"+httpx.CleanText(email, 64), "portal.auth.login_failed", a.ID, map[string]string{"client": a.ClientID})
		httpx.WriteError(w, 401, "wrong e-mail or password")
		return
	}
	s.limit.Reset(userKey)
	cookie := httpx.NewSecret("pses")
	se := store.PortalSession{Hash: httpx.HashSecret(cookie), AccountID: a.ID, ClientID: a.ClientID, CSRF: httpx.NewSecret("csrf"),
		CreatedAt: now.UTC(), ExpiresAt: now.Add(sessionTTL).UTC(), Epoch: a.Epoch}
	if err := s.st.PutPortalSession(se); err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	setCookie(w, cookie, se.ExpiresAt)
	stage := stageTOTP
	if a.TOTPSecret == "" {
		stage = stageTOTPSetup // enrolment is mandatory at the first sign-in
	}
	s.audit(r, a, "portal.auth.login", map[string]string{"stage": stage})
	httpx.WriteJSON(w, 200, api.LoginResponse{Stage: stage, CSRF: se.CSRF})
}

func setCookie(w http.ResponseWriter, value string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: value, Path: "/", Secure: true, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Expires: expires})
}

// apiTOTP is the second sign-in step of an enrolled account.
func (s *Wing) apiTOTP(w http.ResponseWriter, r *http.Request, _ *httpx.Principal) {
	se, a, ok := s.partial(w, r)
	if !ok {
		return
	}
	var req api.CodeRequest
	if err := httpx.DecodeBody(r, &req, 1024); err != nil {
		httpx.WriteBodyError(w, err)
		return
	}
	if a.TOTPSecret == "" {
		httpx.WriteJSON(w, 409, api.Error{Error: "two-factor is not enrolled yet: enrol it first", Code: api.CodeTOTPSetup})
		return
	}
	if !s.checkCode(w, r, a, func() error { return s.useCode(a.ID, req.Code, false) }) {
		return
	}
	s.finishSignIn(w, r, se, a)
}

// finishSignIn marks the session as past two-factor.
func (s *Wing) finishSignIn(w http.ResponseWriter, r *http.Request, se store.PortalSession, a store.PortalAccount) {
	now := s.now().UTC()
	se.SecondFactorAt = now
	if err := s.st.PutPortalSession(se); err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	_, _ = s.st.UpdatePortalAccount(a.ID, func(x *store.PortalAccount) error { x.LastLoginAt = now; return nil })
	s.audit(r, a, "portal.auth.totp", nil)
	httpx.WriteJSON(w, 200, api.TOTPResponse{Stage: stageDone, CSRF: se.CSRF})
}

// checkCode runs one two-factor check under the per-account limit,
// answering the request itself when refused.
func (s *Wing) checkCode(w http.ResponseWriter, r *http.Request, a store.PortalAccount, check func() error) bool {
	key := "totp:" + a.ID
	if s.limit.Blocked(key, s.now()) {
		s.audit(r, a, "portal.auth.totp_throttled", nil)
		httpx.WriteError(w, http.StatusTooManyRequests, "too many wrong two-factor codes; try again later")
		return false
	}
	if err := check(); err != nil {
		s.limit.Fail(key, s.now())
		s.audit(r, a, "portal.auth.totp_failed", map[string]string{"reason": err.Error()})
		httpx.WriteError(w, http.StatusUnauthorized, "wrong or already used two-factor code")
		return false
	}
	s.limit.Reset(key)
	return true
}

// useCode checks a code against the enrolled secret (pending=false) or
// the one being enrolled (pending=true, which then becomes enrolled);
// each time step is accepted once.
func (s *Wing) useCode(accountID, code string, pending bool) error {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	_, err := s.st.UpdatePortalAccount(accountID, func(a *store.PortalAccount) error {
		secret := a.TOTPSecret
		if pending {
			secret = a.TOTPPending
		}
		if secret == "" {
			return errors.New("no two-factor secret")
		}
		step, ok := totpx.Match(secret, code, s.now())
		if !ok {
			return errors.New("wrong code")
		}
		if step <= a.TOTPLastStep {
			return errors.New("code already used")
		}
		a.TOTPLastStep = step
		if pending {
			a.TOTPSecret, a.TOTPPending = a.TOTPPending, ""
		}
		return nil
	})
	return err
}

// apiTOTPSetup starts the mandatory enrolment of an account without a
// second factor (its first sign-in, or after an operator reset it).
func (s *Wing) apiTOTPSetup(w http.ResponseWriter, r *http.Request, _ *httpx.Principal) {
	_, a, ok := s.partial(w, r)
	if !ok {
		return
	}
	if a.TOTPSecret != "" {
		httpx.WriteError(w, 409, "two-factor is already enrolled")
		return
	}
	key, err := totpx.NewKey(totpIssuer, a.Email)
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	if _, err := s.st.UpdatePortalAccount(a.ID, func(x *store.PortalAccount) error {
		if x.TOTPSecret != "" {
			return errors.New("already enrolled")
		}
		x.TOTPPending = key.Secret()
		return nil
	}); err != nil {
		httpx.WriteError(w, 409, "two-factor is already enrolled")
		return
	}
	httpx.WriteJSON(w, 200, totpx.Setup(key))
}

// apiTOTPEnable finishes enrolment with a code of the pending secret,
// which also completes the sign-in.
func (s *Wing) apiTOTPEnable(w http.ResponseWriter, r *http.Request, _ *httpx.Principal) {
	se, a, ok := s.partial(w, r)
	if !ok {
		return
	}
	var req api.CodeRequest
	if err := httpx.DecodeBody(r, &req, 1024); err != nil {
		httpx.WriteBodyError(w, err)
		return
	}
	if a.TOTPSecret != "" {
		httpx.WriteError(w, 409, "two-factor is already enrolled")
		return
	}
	if a.TOTPPending == "" {
		httpx.WriteError(w, 409, "start two-factor setup first")
		return
	}
	if !s.checkCode(w, r, a, func() error { return s.useCode(a.ID, req.Code, true) }) {
		return
	}
	s.audit(r, a, "portal.auth.totp_enrolled", nil)
	s.finishSignIn(w, r, se, a)
}

// checkNewPassword enforces length; bcrypt cannot use more than 72 bytes.
func checkNewPassword(pw string) error {
	if utf8.RuneCountInString(pw) < minPassword {
		return fmt.Errorf("password must have at least %d characters", minPassword)
	}
	if len(pw) > maxPassword {
		return fmt.Errorf("password must be at most %d bytes", maxPassword)
	}
	return nil
}

// apiSetPassword uses an invite's one-time secret to set the password.
func (s *Wing) apiSetPassword(w http.ResponseWriter, r *http.Request, _ *httpx.Principal) {
	if !jsonOnly(w, r) {
		return
	}
	var req api.PortalSetPasswordRequest
	if err := httpx.DecodeBody(r, &req, 4096); err != nil {
		httpx.WriteBodyError(w, err)
		return
	}
	if err := checkNewPassword(req.Password); err != nil {
		httpx.WriteError(w, 400, err.Error())
		return
	}
	ipKey := "ip:" + s.clientIP(r)
	if s.limit.Blocked(ipKey, s.now()) {
		httpx.WriteError(w, http.StatusTooManyRequests, "too many failed attempts; try again later")
		return
	}
	tok := strings.TrimSpace(req.Token)
	var a store.PortalAccount
	err := errUnauthorized
	if tok != "" && len(tok) <= 128 {
		a, err = s.st.PortalAccountByInvite(httpx.HashSecret(tok))
	}
	if err == nil && (a.Disabled || s.now().After(a.InviteExpires)) {
		err = errUnauthorized
	}
	if err != nil {
		s.limit.Fail(ipKey, s.now())
		httpx.WriteError(w, http.StatusNotFound, "this link is not valid any more: ask your service provider for a new one")
		return
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(req.Password), bcrypt.DefaultCost)
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	want := a.InviteHash
	a, err = s.st.UpdatePortalAccount(a.ID, func(x *store.PortalAccount) error {
		if x.InviteHash != want { // used by a racing request
			return errUnauthorized
		}
		x.PasswordHash, x.InviteHash, x.InviteExpires = string(hash), "", time.Time{}
		x.Epoch++
		return nil
	})
	if err != nil {
		httpx.WriteError(w, http.StatusNotFound, "this link is not valid any more: ask your service provider for a new one")
		return
	}
	s.audit(r, a, "portal.auth.password_set", nil)
	httpx.WriteJSON(w, 200, api.OK{OK: true})
}

// apiLogout ends the portal session of the request (a sign-in or a view).
func (s *Wing) apiLogout(w http.ResponseWriter, r *http.Request, _ *httpx.Principal) {
	c, err := r.Cookie(sessionCookie)
	if err == nil && c.Value != "" && len(c.Value) <= 128 {
		if se, err := s.st.PortalSession(httpx.HashSecret(c.Value)); err == nil {
			if got := r.Header.Get("X-CSRF-Token"); got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(se.CSRF)) != 1 {
				httpx.WriteError(w, http.StatusForbidden, "missing or wrong CSRF token")
				return
			}
			_ = s.st.DeletePortalSession(se.Hash)
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", Secure: true, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, MaxAge: -1})
	httpx.WriteJSON(w, 200, api.OK{OK: true})
}

// bcryptMismatch reports whether password does not match hash.
func bcryptMismatch(hash, password string) bool {
	return hash == "" || bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil
}

func hashPassword(pw string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	return string(h), err
}
