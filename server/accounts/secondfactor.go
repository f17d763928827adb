package accounts

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
	"github.com/steward-rmm/steward/server/totpx"
)

// codeKey is the limiter key of an account's two-factor attempts. It names
// the account only: the source address and the login path do not matter,
// and a correct password never resets it.
func codeKey(userID string) string { return "totp:" + userID }

// checkCode runs one two-factor check (check returns the kind of code that
// matched) under the per-account attempt limit. It answers the request
// itself (429 or 401) and audits when the check is refused or fails. Every
// path that checks a TOTP or recovery code goes through here.
func (s *Wing) checkCode(w http.ResponseWriter, r *http.Request, actor, userID string, check func() (string, error)) (string, bool) {
	key := codeKey(userID)
	if s.limit.Blocked(key, s.now()) {
		s.alog.Audit(r, actor, "auth.totp_throttled", userID, nil)
		httpx.WriteError(w, http.StatusTooManyRequests, "too many wrong two-factor codes; try again later")
		return "", false
	}
	kind, err := check()
	if err != nil {
		s.limit.Fail(key, s.now())
		s.alog.Audit(r, actor, "auth.totp_failed", userID, map[string]string{"reason": err.Error()})
		httpx.WriteError(w, http.StatusUnauthorized, "wrong or already used two-factor code")
		return "", false
	}
	s.limit.Reset(key)
	return kind, true
}

// verifySecondFactor checks a TOTP code (each time step is accepted once)
// or burns a recovery code. It returns which kind matched.
func (s *Wing) verifySecondFactor(userID, code string) (string, error) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if code == "" || len(code) > 64 {
		return "", errors.New("no code")
	}
	kind := ""
	_, err := s.st.UpdateUser(userID, func(u *store.User) error {
		if u.TOTPSecret == "" {
			return errors.New("two-factor is not enrolled")
		}
		if step, ok := totpx.Match(u.TOTPSecret, code, s.now()); ok {
			if step <= u.TOTPLastStep {
				return errors.New("code already used")
			}
			u.TOTPLastStep, kind = step, "totp"
			return nil
		}
		h := httpx.HashSecret(strings.ToLower(code))
		for i, rc := range u.Recovery {
			if subtle.ConstantTimeCompare([]byte(rc), []byte(h)) == 1 {
				u.Recovery, kind = slices.Delete(u.Recovery, i, i+1), "recovery"
				return nil
			}
		}
		return errors.New("wrong code")
	})
	return kind, err
}

// apiTOTP is the second step of a web login, and the re-check before a
// sensitive action for sessions and API tokens alike: a token re-checked
// here is fresh again for the freshness window (stewardctl asks for the
// code and calls this when a request answers fresh_2fa).
func (s *Wing) apiTOTP(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	var req api.CodeRequest
	if err := httpx.DecodeBody(r, &req, 1024); err != nil {
		httpx.WriteBodyError(w, err)
		return
	}
	if u, err := s.st.User(p.UserID); err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	} else if u.TOTPSecret == "" {
		httpx.WriteJSON(w, 409, api.Error{Error: "two-factor is not enrolled for this account: enrol it first " +
			"(stewardctl 2fa enroll, or the dashboard)", Code: api.CodeTOTPSetup})
		return
	}
	kind, ok := s.checkCode(w, r, p.Name, p.UserID, func() (string, error) { return s.verifySecondFactor(p.UserID, req.Code) })
	if !ok {
		return
	}
	now := s.now().UTC()
	out := api.TOTPResponse{Stage: stageDone, FreshUntil: now.Add(s.cfg.FreshTOTP)}
	if p.Session != nil {
		se := *p.Session
		se.SecondFactorAt = now
		if err := s.st.PutSession(se); err != nil {
			httpx.WriteError(w, 500, "internal error")
			return
		}
		out.CSRF = se.CSRF
	} else if err := s.st.StampAPIToken(p.TokenID, p.UserID, now); err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	s.alog.Audit(r, p.Name, "auth.totp", p.UserID, map[string]string{"kind": kind, "via": p.Via})
	httpx.WriteJSON(w, 200, out)
}
