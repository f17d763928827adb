// Verifying a caller: a one-time code e-mailed to the contact, which the
// caller reads back. The code is random (crypto/rand), stored only as a
// salted hash, valid for Config.CodeTTL, used once, with
// Config.MaxAttempts tries; sends are limited per contact. Every send,
// success and failure is audited.

package helpdesk

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/mail"
	"github.com/steward-rmm/steward/server/store"
)

// CodeDigits is how many digits a caller code has.
const CodeDigits = 6

// newCode returns a random code of CodeDigits digits.
func newCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%0*d", CodeDigits, n.Int64()), nil
}

// hashCode is the stored form of a code: SHA-256 of salt and code, hex.
func hashCode(salt, code string) string {
	sum := sha256.Sum256([]byte(salt + "\x00" + code))
	return hex.EncodeToString(sum[:])
}

// maskEmail shows enough of an address to recognise it: a***@example.com.
func maskEmail(s string) string {
	user, dom, ok := strings.Cut(s, "@")
	if !ok || user == "" {
		return "***"
	}
	r := []rune(user)
	return string(r[0]) + "***@" + dom
}

// contactInScope finds a contact p may see; ok false answers 404.
func (w *Wing) contactInScope(rw http.ResponseWriter, p *httpx.Principal, id string) (store.Contact, bool) {
	c, err := w.d.Store.Contact(id)
	if err != nil || !p.CanSeeClient(c.ClientID) {
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			httpx.WriteError(rw, 500, "internal error")
			return c, false
		}
		httpx.WriteError(rw, 404, "contact not found")
		return c, false
	}
	return c, true
}

// allowSend records a send to contactID if fewer than SendsPerWindow were
// made in the window.
func (w *Wing) allowSend(contactID string, now time.Time) (bool, time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	cut := now.Add(-w.d.Config.SendWindow)
	recent := w.sends[contactID][:0]
	for _, t := range w.sends[contactID] {
		if t.After(cut) {
			recent = append(recent, t)
		}
	}
	if len(recent) >= w.d.Config.SendsPerWindow {
		w.sends[contactID] = recent
		return false, recent[0].Add(w.d.Config.SendWindow).Sub(now)
	}
	w.sends[contactID] = append(recent, now)
	// Forget contacts whose window has passed, so the map stays small.
	for id, ts := range w.sends {
		if len(ts) == 0 || !ts[len(ts)-1].After(cut) {
			delete(w.sends, id)
		}
	}
	return true, 0
}

func (w *Wing) apiSendCode(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	c, ok := w.contactInScope(rw, p, r.PathValue("contact"))
	if !ok {
		return
	}
	if c.Email == "" {
		httpx.WriteError(rw, 409, "the contact has no e-mail address to send a code to")
		return
	}
	if c.Disabled {
		httpx.WriteError(rw, 409, "the contact is disabled")
		return
	}
	if w.d.Mail == nil || !w.d.Mail.Configured() {
		httpx.WriteError(rw, 503, "e-mail is not configured on this server (--smtp-host), so no code can be sent")
		return
	}
	now := w.d.Now()
	if ok, wait := w.allowSend(c.ID, now); !ok {
		rw.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		httpx.WriteError(rw, 429, fmt.Sprintf("%d codes were sent to this contact in the last %s; try again in %s",
			w.d.Config.SendsPerWindow, w.d.Config.SendWindow, wait.Round(time.Second)))
		return
	}
	code, err := newCode()
	if err != nil {
		httpx.WriteError(rw, 500, "internal error")
		return
	}
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	rec := store.CallerCode{ContactID: c.ID, ClientID: c.ClientID, Salt: hex.EncodeToString(salt), SentTo: c.Email,
		SentBy: p.UserID, SentAt: now, ExpiresAt: now.Add(w.d.Config.CodeTTL)}
	rec.Hash = hashCode(rec.Salt, code)
	if err := w.d.Store.PutCallerCode(rec); err != nil {
		httpx.WriteError(rw, 500, "internal error")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), time.Minute)
	defer cancel()
	msg := mail.Message{To: []string{c.Email}, Subject: "Your verification code",
		Text: fmt.Sprintf("Hello %s,\n\nYour verification code is: %s\n\nRead it to the person you are speaking with at your IT "+
			"support. It is valid for %d minutes and can be used once.\nIf you are not on a call with them, ignore this message "+
			"and do not share the code.\n", c.Name, code, int(w.d.Config.CodeTTL.Minutes())),
		Headers: map[string]string{"X-Steward-Contact": c.ID}}
	if err := w.d.Mail.Send(ctx, msg); err != nil {
		w.d.Log.Warn("caller code not sent", "contact", c.ID, "err", err)
		w.d.Audit.AuditP(p, "contact.verify.send_failed", c.ID, map[string]string{"client": c.ClientID, "to": c.Email})
		httpx.WriteError(rw, 502, "the code could not be sent: the mail server refused it")
		return
	}
	w.d.Audit.AuditP(p, "contact.verify.sent", c.ID, map[string]string{"client": c.ClientID, "name": c.Name, "to": c.Email})
	httpx.WriteJSON(rw, 200, api.VerifySent{ContactID: c.ID, SentTo: maskEmail(c.Email), ExpiresAt: rec.ExpiresAt,
		Attempts: w.d.Config.MaxAttempts})
}

var outcomeText = map[string]string{
	store.CodeVerified: "verified: the caller read back the code sent to the contact's e-mail",
	store.CodeWrong:    "wrong code",
	store.CodeExpired:  "the code expired: send a new one",
	store.CodeLocked:   "too many wrong codes: send a new one",
	store.CodeNone:     "no code is outstanding for this contact: send one first",
}

func (w *Wing) apiCheckCode(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	c, ok := w.contactInScope(rw, p, r.PathValue("contact"))
	if !ok {
		return
	}
	var req api.VerifyCheckRequest
	if err := httpx.DecodeBody(r, &req, 4<<10); err != nil {
		httpx.WriteBodyError(rw, err)
		return
	}
	code := strings.Join(strings.Fields(req.Code), "") // "123 456" as read aloud
	if len(code) != CodeDigits || strings.Trim(code, "0123456789") != "" {
		httpx.WriteError(rw, 400, fmt.Sprintf("code must be %d digits", CodeDigits))
		return
	}
	// The salt is read first; the check and its attempt count are one
	// atomic step in the store, so racing checks never exceed the limit.
	hash := hashCode("", code)
	if rec, err := w.d.Store.CallerCode(c.ID); err == nil {
		hash = hashCode(rec.Salt, code)
	} else if !errors.Is(err, store.ErrNotFound) {
		httpx.WriteError(rw, 500, "internal error")
		return
	}
	outcome, rec, err := w.d.Store.CheckCallerCode(c.ID, hash, w.d.Now(), w.d.Config.MaxAttempts)
	if err != nil {
		httpx.WriteError(rw, 500, "internal error")
		return
	}
	res := api.VerifyResult{ContactID: c.ID, Verified: outcome == store.CodeVerified, Outcome: outcome, Message: outcomeText[outcome]}
	if outcome == store.CodeWrong {
		res.AttemptsLeft = max(0, w.d.Config.MaxAttempts-rec.Attempts)
		res.Message = fmt.Sprintf("wrong code: %d attempt(s) left", res.AttemptsLeft)
	}
	detail := map[string]string{"client": c.ClientID, "name": c.Name, "outcome": outcome}
	if res.Verified {
		w.d.Audit.AuditP(p, "contact.verify.verified", c.ID, detail)
	} else {
		w.d.Audit.AuditP(p, "contact.verify.failed", c.ID, detail)
	}
	httpx.WriteJSON(rw, 200, res)
}
