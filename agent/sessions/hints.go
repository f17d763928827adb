package sessions

import (
	"time"

	"github.com/steward-rmm/steward/protocol"
)

// hints are what logind keeps in memory about a session (over D-Bus):
// whether it is idle and since when, and whether its screen is locked.
type hints struct {
	Idle      bool
	IdleSince time.Time
	Locked    bool
}

// hintsFrom reads the properties of org.freedesktop.login1.Session.
func hintsFrom(props map[string]any) (hints, bool) {
	var h hints
	idle, ok1 := props["IdleHint"].(bool)
	locked, ok2 := props["LockedHint"].(bool)
	if !ok1 || !ok2 {
		return h, false
	}
	h.Idle, h.Locked = idle, locked
	if us, ok := props["IdleSinceHint"].(uint64); ok && us > 0 {
		h.IdleSince = time.UnixMicro(int64(us)).UTC()
	}
	return h, true
}

// applyHints adds logind's lock state to a session, and its idle time
// when logind says the session is idle (a desktop that reports no idle
// state leaves the terminal's figure, or none).
func applyHints(s *protocol.UserActivity, h hints, now time.Time) {
	locked := h.Locked
	s.Locked = &locked
	if h.Idle && !h.IdleSince.IsZero() {
		setIdle(s, h.IdleSince, now)
	}
}
