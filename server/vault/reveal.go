package vault

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// reveal answers an entry's password and notes; copy answers its password
// alone, for the clipboard. Both are audited apart (vault.reveal,
// vault.copy) with who, which entry, from where and the reason, and
// counted against the caller's rate limit.
func (vw *Wing) reveal(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	vw.disclose(w, r, p, "vault.reveal", true)
}

func (vw *Wing) copy(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	vw.disclose(w, r, p, "vault.copy", false)
}

func (vw *Wing) disclose(w http.ResponseWriter, r *http.Request, p *httpx.Principal, action string, notes bool) {
	e, ok := vw.entry(p, r.PathValue("vault"))
	if !ok {
		httpx.WriteError(w, 404, "vault entry not found")
		return
	}
	var req api.VaultRevealRequest
	if r.ContentLength != 0 {
		if err := httpx.DecodeBody(r, &req, 4<<10); err != nil {
			httpx.WriteBodyError(w, err)
			return
		}
	}
	reason := strings.TrimSpace(httpx.CleanText(req.Reason, 500))
	if reason == "" {
		s, err := vw.d.Store.VaultSettings(e.ClientID)
		if err != nil {
			httpx.WriteError(w, 500, "internal error")
			return
		}
		if s.RequireReason || vw.d.RequireReason {
			httpx.WriteError(w, 400, "a reason is required to reveal or copy a password of this client")
			return
		}
	}
	now := vw.d.Now()
	detail := map[string]string{"client": e.ClientID, "name": e.Name, "reason": reason}
	wait, burst := vw.limits.take(p.UserID, e.ID, now)
	if wait > 0 {
		secs := int(wait.Round(time.Second) / time.Second)
		if secs < 1 {
			secs = 1
		}
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		vw.d.Audit.AuditP(p, action+"_limited", e.ID, detail)
		httpx.WriteError(w, http.StatusTooManyRequests, "too many reveals: at most "+strconv.Itoa(vw.d.RevealsPerMinute)+
			" a minute; try again in "+strconv.Itoa(secs)+" s")
		return
	}
	sec, ok := vw.openEntry(w, p, &e)
	if !ok {
		return
	}
	vw.d.Audit.AuditP(p, action, e.ID, detail)
	if burst > 0 {
		vw.d.Audit.AuditP(p, "vault.reveal_burst", e.ID, map[string]string{"client": e.ClientID,
			"entries": strconv.Itoa(burst), "window": "1h", "limit": strconv.Itoa(vw.d.BurstPerHour)})
		if vw.d.Alerts != nil {
			vw.d.Alerts.VaultRevealBurst(p.Name, e.ClientID, burst, now)
		}
	}
	out := api.VaultSecret{ID: e.ID, Name: e.Name, Username: e.Username, Password: sec.Password,
		HideAfter: int(vw.d.HideAfter / time.Second)}
	if notes {
		out.Notes = sec.Notes
	}
	httpx.WriteJSON(w, 200, out)
}

// openEntry opens an entry's secret. A secret that does not authenticate
// under its client's key and its own entry ID (altered, or copied from
// another entry or client) is refused and audited.
func (vw *Wing) openEntry(w http.ResponseWriter, p *httpx.Principal, e *store.VaultEntry) (secret, bool) {
	dk, err := vw.dataKey(e.ClientID, false)
	if err == nil {
		var sec secret
		sec, err = openSecret(dk, e.ClientID, e.ID, e.Sealed)
		clear(dk)
		if err == nil {
			return sec, true
		}
	}
	vw.d.Audit.AuditP(p, "vault.open_failed", e.ID, map[string]string{"client": e.ClientID, "name": e.Name})
	if vw.d.Log != nil {
		vw.d.Log.Error("vault entry does not open", "entry", e.ID, "client", e.ClientID, "err", err)
	}
	httpx.WriteError(w, http.StatusConflict, "this entry's secret does not open under its client and entry (altered or moved): nothing is revealed")
	return secret{}, false
}

// limiter counts each user's reveals: at most perMinute in any minute,
// and a report once an hour when more than perHour distinct entries were
// revealed in the last hour.
type limiter struct {
	mu                 sync.Mutex
	perMinute, perHour int
	users              map[string]*userCount
}

type userCount struct {
	recent    []time.Time          // reveals of the last minute
	entries   map[string]time.Time // entry -> last reveal, within the hour
	lastBurst time.Time
}

func newLimiter(perMinute, perHour int) *limiter {
	return &limiter{perMinute: perMinute, perHour: perHour, users: map[string]*userCount{}}
}

// take counts one reveal of entry by user at now: wait > 0 refuses it
// (try again after wait); burst > 0 is the number of distinct entries
// revealed in the hour when it just went past the hourly threshold.
func (l *limiter) take(user, entry string, now time.Time) (wait time.Duration, burst int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	u := l.users[user]
	if u == nil {
		u = &userCount{entries: map[string]time.Time{}}
		l.users[user] = u
	}
	keep := u.recent[:0]
	for _, t := range u.recent {
		if now.Sub(t) < time.Minute {
			keep = append(keep, t)
		}
	}
	u.recent = keep
	if len(u.recent) >= l.perMinute {
		return u.recent[0].Add(time.Minute).Sub(now), 0
	}
	u.recent = append(u.recent, now)
	for id, t := range u.entries {
		if now.Sub(t) >= time.Hour {
			delete(u.entries, id)
		}
	}
	u.entries[entry] = now
	if len(u.entries) > l.perHour && now.Sub(u.lastBurst) >= time.Hour {
		u.lastBurst = now
		return 0, len(u.entries)
	}
	return 0, 0
}
