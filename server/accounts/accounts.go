// Package accounts is the wing for operators and how they prove who they
// are: login with password and two-factor (TOTP, recovery codes), the
// login limiter, sessions and their CSRF tokens, API tokens, the
// caller's own settings, user management within the manager's scope, and
// the first admin made at first start. The wiring asks it to
// authenticate every operator request (Authenticate, FromPartial,
// CheckCSRF, Fresh) before a route's handler runs.
package accounts

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
	"github.com/steward-rmm/steward/server/totpx"
	"golang.org/x/crypto/bcrypt"
)

// Login stages returned to the browser.
const (
	stageDone      = "done"       // fully logged in
	stageTOTP      = "totp"       // password accepted, TOTP code next
	stageTOTPSetup = "totp_setup" // password accepted, must enrol TOTP first
)

const (
	sessionTTL     = 12 * time.Hour
	maxPrefs       = 16 << 10
	minPassword    = 12
	maxPassword    = 72 // bcrypt ignores bytes beyond 72
	recoveryCodes  = 10
	maxTokenLife   = 366 * 24 * time.Hour
	totpIssuer     = "Steward"
	defaultCtlLife = 30 * 24 * time.Hour
)

// dummyHash keeps a login for an unknown user as slow as for a known one,
// so timing does not reveal which account names exist.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("not a real password"), bcrypt.DefaultCost)

// Routes are the account routes: login, two-factor, the caller's own
// settings and tokens, and user management.
func (s *Wing) Routes() []httpx.Route {
	pub := httpx.Public
	partial := httpx.Policy{Partial: true}
	perm := httpx.NeedPerm
	fresh := httpx.NeedFresh
	return []httpx.Route{
		httpx.R("GET", "/api/v1/me", perm(httpx.PermView), s.me),
		httpx.R("POST", "/api/v1/auth/login", pub, s.apiLogin),
		httpx.R("POST", "/api/v1/auth/token", pub, s.apiLoginToken),
		httpx.R("POST", "/api/v1/auth/totp", partial, s.apiTOTP),
		httpx.R("POST", "/api/v1/auth/totp/setup", partial, s.apiTOTPSetup),
		httpx.R("POST", "/api/v1/auth/totp/confirm", partial, s.apiTOTPConfirm),
		httpx.R("POST", "/api/v1/auth/logout", partial, s.apiLogout),
		httpx.R("POST", "/api/v1/auth/logout-all", perm(httpx.PermView), s.apiLogoutAll),
		httpx.R("PUT", "/api/v1/me/password", perm(httpx.PermView), s.apiChangePassword),
		httpx.R("POST", "/api/v1/me/totp/disable", fresh(httpx.PermView), s.apiTOTPDisable),
		httpx.R("GET", "/api/v1/me/prefs", perm(httpx.PermView), s.apiGetPrefs),
		httpx.R("PUT", "/api/v1/me/prefs", perm(httpx.PermView), s.apiPutPrefs),
		httpx.R("GET", "/api/v1/me/tokens", perm(httpx.PermView), s.apiMyTokens),
		httpx.R("POST", "/api/v1/me/tokens", fresh(httpx.PermView), s.apiMintToken),
		httpx.R("DELETE", "/api/v1/me/tokens/{id}", perm(httpx.PermView), s.apiRevokeMyToken),
		httpx.R("GET", "/api/v1/users", perm(httpx.PermUsers), s.apiUsers),
		httpx.R("POST", "/api/v1/users", perm(httpx.PermUsers), s.apiCreateUser),
		httpx.R("GET", "/api/v1/users/{id}", perm(httpx.PermUsers), s.apiUser),
		httpx.R("PATCH", "/api/v1/users/{id}", perm(httpx.PermUsers), s.apiUpdateUser),
		httpx.R("POST", "/api/v1/users/{id}/reset-2fa", fresh(httpx.PermUsers), s.apiResetUser2FA),
		httpx.R("GET", "/api/v1/seats", perm(httpx.PermUsers), s.apiSeats),
		httpx.R("PUT", "/api/v1/seats", fresh(httpx.PermAdmin), s.apiSetPlan),
		httpx.R("PUT", "/api/v1/users/{id}/seats/{module}", perm(httpx.PermUsers), s.apiSetSeat),
	}
}

// throttled reports whether logins for this account or from this address
// are blocked, and audits the refusal.
func (s *Wing) throttled(r *http.Request, name string) bool {
	now := s.now()
	ip := s.clientIP(r)
	if s.limit.Blocked("user:"+strings.ToLower(name), now) || s.limit.Blocked("ip:"+ip, now) {
		s.alog.Audit(r, clip(name, 64), "auth.login_throttled", "", map[string]string{"user": clip(name, 64)})
		return true
	}
	return false
}

// loginFailed counts a failure against the account and the address.
func (s *Wing) loginFailed(r *http.Request, name, why string) {
	now := s.now()
	s.limit.Fail("user:"+strings.ToLower(name), now)
	s.limit.Fail("ip:"+s.clientIP(r), now)
	s.alog.Audit(r, clip(name, 64), "auth.login_failed", "", map[string]string{"user": clip(name, 64), "reason": why})
}

// checkPassword verifies name/password, spending the same time whether or
// not the account exists.
func (s *Wing) checkPassword(name, password string) (store.User, bool) {
	u, err := s.st.UserByName(name)
	if err != nil || u.PasswordHash == "" {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return store.User{}, false
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil || u.Disabled {
		return store.User{}, false
	}
	return u, true
}

type loginRequest = api.LoginRequest

// passwordStep checks a login's name and password under the rate limits,
// answering the request itself when they fail.
func (s *Wing) passwordStep(w http.ResponseWriter, r *http.Request, req loginRequest) (store.User, bool) {
	if req.Username == "" || len(req.Username) > 100 || len(req.Password) > 1024 {
		httpx.WriteError(w, 400, "username and password are required")
		return store.User{}, false
	}
	if s.throttled(r, req.Username) {
		httpx.WriteError(w, http.StatusTooManyRequests, "too many failed logins; try again later")
		return store.User{}, false
	}
	u, ok := s.checkPassword(req.Username, req.Password)
	if !ok {
		s.loginFailed(r, req.Username, "bad password")
		httpx.WriteError(w, 401, "wrong username or password")
	}
	return u, ok
}

// jsonOnly refuses a login posted as a form: a cross-site page can send a
// form but not application/json without a CORS preflight (login CSRF).
func jsonOnly(w http.ResponseWriter, r *http.Request) bool {
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		httpx.WriteError(w, http.StatusUnsupportedMediaType, "send the request as application/json")
		return false
	}
	return true
}

func (s *Wing) apiLogin(w http.ResponseWriter, r *http.Request, _ *httpx.Principal) {
	if !jsonOnly(w, r) {
		return
	}
	var req loginRequest
	if err := httpx.DecodeBody(r, &req, 4096); err != nil {
		httpx.WriteBodyError(w, err)
		return
	}
	u, ok := s.passwordStep(w, r, req)
	if !ok {
		return
	}
	s.limit.Reset("user:" + strings.ToLower(u.Name))
	cookie := httpx.NewSecret("ses")
	se := store.Session{Hash: httpx.HashSecret(cookie), UserID: u.ID, CSRF: httpx.NewSecret("csrf"), CreatedAt: s.now().UTC(),
		ExpiresAt: s.now().Add(sessionTTL).UTC(), Epoch: u.Epoch}
	if err := s.st.PutSession(se); err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: cookie, Path: "/", Secure: true, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Expires: se.ExpiresAt})
	stage := stageDone
	switch {
	case u.TOTPSecret != "":
		stage = stageTOTP
	case u.Role == httpx.RoleAdmin && s.cfg.Require2FAForAdmins:
		stage = stageTOTPSetup
	}
	s.alog.Audit(r, u.Name, "auth.login", u.ID, map[string]string{"stage": stage})
	httpx.WriteJSON(w, 200, api.LoginResponse{Stage: stage, CSRF: se.CSRF})
}

// apiLoginToken is stewardctl's login: password and TOTP code in, a
// time-limited API token out.
func (s *Wing) apiLoginToken(w http.ResponseWriter, r *http.Request, _ *httpx.Principal) {
	if !jsonOnly(w, r) {
		return
	}
	var req api.LoginTokenRequest
	if err := httpx.DecodeBody(r, &req, 4096); err != nil {
		httpx.WriteBodyError(w, err)
		return
	}
	u, ok := s.passwordStep(w, r, loginRequest{Username: req.Username, Password: req.Password})
	if !ok {
		return
	}
	// The token carries the second factor proved here; without one (a user
	// who neither has nor must have two-factor) it is never fresh.
	var secondFactorAt time.Time
	switch {
	case u.TOTPSecret != "":
		if req.Code == "" {
			httpx.WriteJSON(w, 401, api.Error{Error: "a two-factor code is required", Code: api.CodeTOTPRequired})
			return
		}
		if _, ok := s.checkCode(w, r, u.Name, u.ID, func() (string, error) { return s.verifySecondFactor(u.ID, req.Code) }); !ok {
			return
		}
		secondFactorAt = s.now().UTC()
	case s.needs2FA(&u):
		httpx.WriteJSON(w, 403, api.Error{Error: "this account must enrol two-factor before it can get a token: log in to the " +
			"dashboard and follow the setup, or run `stewardctl 2fa enroll` with a token you have", Code: api.CodeTOTPSetup})
		return
	}
	life := defaultCtlLife
	if req.ExpiresSeconds > 0 {
		life = time.Duration(req.ExpiresSeconds) * time.Second
	}
	if life > maxTokenLife {
		httpx.WriteError(w, 400, "expires_seconds may be at most one year")
		return
	}
	name := strings.TrimSpace(req.Name)
	if name == "" {
		name = "stewardctl login"
	}
	s.limit.Reset("user:" + strings.ToLower(u.Name))
	secret := httpx.NewSecret("stw")
	t := store.APIToken{ID: httpx.NewID("t"), Hash: httpx.HashSecret(secret), UserID: u.ID, Name: clip(name, 100),
		CreatedAt: s.now().UTC(), ExpiresAt: s.now().Add(life).UTC(), Epoch: u.Epoch, SecondFactorAt: secondFactorAt}
	if err := s.st.PutAPIToken(t); err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	s.alog.Audit(r, u.Name, "token.create", t.ID, map[string]string{"name": t.Name, "via": "login",
		"two_factor": fmt.Sprint(!secondFactorAt.IsZero())})
	httpx.WriteJSON(w, 201, api.LoginTokenResponse{Token: secret, ID: t.ID, ExpiresAt: t.ExpiresAt, User: u.Name})
}

// apiTOTPSetup starts enrolment: a new secret, kept pending until a code
// from it is confirmed.
func (s *Wing) apiTOTPSetup(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	u, err := s.st.User(p.UserID)
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	// Replacing an enrolled secret needs the old one: a stolen password
	// alone must not be able to move the second factor.
	if u.TOTPSecret != "" {
		httpx.WriteError(w, 409, "two-factor is already enrolled; disable it first")
		return
	}
	key, err := totpx.NewKey(totpIssuer, u.Name)
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	if err := s.st.SetMeta("totp-pending:"+u.ID, key.Secret()); err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	httpx.WriteJSON(w, 200, totpx.Setup(key))
}

// apiTOTPConfirm finishes enrolment with a code from the pending secret
// and returns single-use recovery codes, shown once.
func (s *Wing) apiTOTPConfirm(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	var req api.CodeRequest
	if err := httpx.DecodeBody(r, &req, 1024); err != nil {
		httpx.WriteBodyError(w, err)
		return
	}
	secret, err := s.st.Meta("totp-pending:" + p.UserID)
	if err != nil || secret == "" {
		httpx.WriteError(w, 409, "start two-factor setup first")
		return
	}
	var step int64
	if _, ok := s.checkCode(w, r, p.Name, p.UserID, func() (string, error) {
		st, ok := totpx.Match(secret, strings.TrimSpace(req.Code), s.now())
		if !ok {
			return "", errors.New("wrong setup code")
		}
		step = st
		return "totp", nil
	}); !ok {
		return
	}
	codes := make([]string, recoveryCodes)
	hashes := make([]string, recoveryCodes)
	for i := range codes {
		codes[i] = strings.ToLower(httpx.NewSecret("rc")[3:19])
		hashes[i] = httpx.HashSecret(codes[i])
	}
	if _, err := s.st.UpdateUser(p.UserID, func(u *store.User) error {
		if u.TOTPSecret != "" {
			return errors.New("already enrolled")
		}
		u.TOTPSecret, u.TOTPLastStep, u.Recovery = secret, step, hashes
		return nil
	}); err != nil {
		httpx.WriteError(w, 409, "two-factor is already enrolled")
		return
	}
	_ = s.st.SetMeta("totp-pending:"+p.UserID, "")
	out := api.TOTPConfirmResponse{Stage: stageDone, RecoveryCodes: codes}
	if p.Session != nil {
		se := *p.Session
		se.SecondFactorAt = s.now().UTC()
		if err := s.st.PutSession(se); err != nil {
			httpx.WriteError(w, 500, "internal error")
			return
		}
		out.CSRF = se.CSRF
	}
	s.alog.Audit(r, p.Name, "auth.totp_enrolled", p.UserID, nil)
	httpx.WriteJSON(w, 200, out)
}

// apiTOTPDisable removes the caller's own second factor (fresh check
// required); admins that must have one cannot.
func (s *Wing) apiTOTPDisable(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	if p.Role == httpx.RoleAdmin && s.cfg.Require2FAForAdmins {
		httpx.WriteError(w, 403, "admins must keep two-factor on this server")
		return
	}
	if _, err := s.st.UpdateUser(p.UserID, func(u *store.User) error {
		u.TOTPSecret, u.TOTPLastStep, u.Recovery = "", 0, nil
		return nil
	}); err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	s.alog.AuditP(p, "user.2fa_disabled", p.UserID, nil)
	httpx.WriteJSON(w, 200, api.TOTPDisableResponse{TOTPEnabled: false})
}

func clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", Secure: true, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, MaxAge: -1})
}

// apiLogout ends this session (or revokes this API token) and closes its
// streams and shells.
func (s *Wing) apiLogout(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	switch {
	case p.Session != nil:
		_ = s.st.DeleteSession(p.Session.Hash)
		s.conns.CloseSession(p.Session.Hash)
		clearCookie(w)
	case p.TokenID != "":
		_ = s.st.RevokeAPIToken(p.TokenID, p.UserID)
		s.conns.CloseToken(p.TokenID)
	}
	s.alog.AuditP(p, "auth.logout", p.UserID, nil)
	httpx.WriteJSON(w, 200, api.OK{OK: true})
}

// endAllSessions makes every session and token of the user stale and
// closes its live connections.
func (s *Wing) endAllSessions(userID string, mut func(*store.User) error) (store.User, int, error) {
	u, err := s.st.UpdateUser(userID, func(u *store.User) error {
		if mut != nil {
			if err := mut(u); err != nil {
				return err
			}
		}
		u.Epoch++
		return nil
	})
	if err != nil {
		return u, 0, err
	}
	return u, s.conns.CloseUser(userID), nil
}

func (s *Wing) apiLogoutAll(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	if _, n, err := s.endAllSessions(p.UserID, nil); err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	} else {
		s.alog.AuditP(p, "auth.logout_all", p.UserID, map[string]string{"closed": fmt.Sprint(n)})
	}
	clearCookie(w)
	httpx.WriteJSON(w, 200, api.OK{OK: true})
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

func (s *Wing) apiChangePassword(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	var req api.PasswordChange
	if err := httpx.DecodeBody(r, &req, 4096); err != nil {
		httpx.WriteBodyError(w, err)
		return
	}
	if s.throttled(r, p.Name) {
		httpx.WriteError(w, http.StatusTooManyRequests, "too many failed attempts; try again later")
		return
	}
	if _, ok := s.checkPassword(p.Name, req.Current); !ok {
		s.loginFailed(r, p.Name, "bad current password")
		httpx.WriteError(w, 403, "current password is wrong")
		return
	}
	if err := checkNewPassword(req.New); err != nil {
		httpx.WriteError(w, 400, err.Error())
		return
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(req.New), bcrypt.DefaultCost)
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	_, n, err := s.endAllSessions(p.UserID, func(u *store.User) error { u.PasswordHash = string(hash); return nil })
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	s.alog.AuditP(p, "user.password_changed", p.UserID, map[string]string{"closed": fmt.Sprint(n)})
	clearCookie(w)
	httpx.WriteJSON(w, 200, api.PasswordChanged{OK: true, Relogin: true})
}

func (s *Wing) apiGetPrefs(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	u, err := s.st.User(p.UserID)
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if len(u.Prefs) == 0 {
		_, _ = w.Write([]byte("{}\n"))
		return
	}
	_, _ = w.Write(u.Prefs)
}

func (s *Wing) apiPutPrefs(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	var raw json.RawMessage
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxPrefs))
	if err := dec.Decode(&raw); err != nil {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			httpx.WriteBodyError(w, &httpx.BodyTooLargeError{Limit: maxPrefs})
			return
		}
		httpx.WriteError(w, 400, fmt.Sprintf("preferences must be a JSON object of at most %d bytes", maxPrefs))
		return
	}
	var obj map[string]any
	if json.Unmarshal(raw, &obj) != nil {
		httpx.WriteError(w, 400, "preferences must be a JSON object")
		return
	}
	// Re-encoding escapes any markup in stored strings.
	b, _ := json.Marshal(obj)
	if _, err := s.st.UpdateUser(p.UserID, func(u *store.User) error { u.Prefs = b; return nil }); err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	httpx.WriteJSON(w, 200, api.Prefs(obj))
}

func (s *Wing) apiMyTokens(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	ts, err := s.st.APITokens(p.UserID)
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	out := []api.APIToken{}
	for _, t := range ts {
		out = append(out, toAPIToken(t))
	}
	httpx.WriteJSON(w, 200, out)
}

// apiMintToken creates an API token for the caller, never wider than the
// caller and always expiring.
func (s *Wing) apiMintToken(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	var req api.MintTokenRequest
	if err := httpx.DecodeBody(r, &req, 4096); err != nil {
		httpx.WriteBodyError(w, err)
		return
	}
	name, err := httpx.CleanName("name", req.Name, 100)
	if err != nil {
		httpx.WriteError(w, 400, err.Error())
		return
	}
	req.Name = name
	life := time.Duration(req.ExpiresSeconds) * time.Second
	if life <= 0 || life > maxTokenLife {
		httpx.WriteError(w, 400, "expires_seconds is required, at most one year")
		return
	}
	for _, pm := range req.Perms {
		if !p.Has(pm) {
			httpx.WriteError(w, 403, "a token cannot hold a permission you do not have: "+clip(pm, 40))
			return
		}
	}
	u, err := s.st.User(p.UserID)
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	perms := slices.Clone(req.Perms)
	if len(perms) == 0 {
		perms = slices.Clone(p.Perms) // a token from a narrowed token stays narrow
	}
	secret := httpx.NewSecret("stw")
	// The new token is exactly as fresh as its minter, never fresher.
	t := store.APIToken{ID: httpx.NewID("t"), Hash: httpx.HashSecret(secret), UserID: p.UserID, Name: req.Name, Perms: perms,
		CreatedAt: s.now().UTC(), ExpiresAt: s.now().Add(life).UTC(), Epoch: u.Epoch, SecondFactorAt: p.SecondFactorAt.UTC()}
	if err := s.st.PutAPIToken(t); err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	s.alog.AuditP(p, "token.create", t.ID, map[string]string{"name": t.Name, "perms": strings.Join(perms, ",")})
	httpx.WriteJSON(w, 201, api.CreatedAPIToken{Token: secret, ID: t.ID, Perms: perms, ExpiresAt: t.ExpiresAt})
}

func (s *Wing) apiRevokeMyToken(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	id := r.PathValue("id")
	if err := s.st.RevokeAPIToken(id, p.UserID); errors.Is(err, store.ErrNotFound) {
		httpx.WriteError(w, 404, "token not found")
		return
	} else if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	s.conns.CloseToken(id)
	s.alog.AuditP(p, "token.revoke", id, nil)
	httpx.WriteJSON(w, 200, api.Revoked{Revoked: id})
}

// clip shortens untrusted text for logs and audit details.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
