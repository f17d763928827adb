// Package sessions answers the toolbox's user activity call on the agent:
// who is logged in, in which state (active, online, disconnected,
// closing), idle for how long, locked or not, with the time of the last
// input. It reads the system's own records, on demand:
//
//   - Linux: logind's session files (/run/systemd/sessions/*: state,
//     type, tty, remote host), utmp for systems without logind, the
//     access time of each session's terminal for its idle time (as w
//     does), and logind's IdleHint, IdleSinceHint and LockedHint over
//     D-Bus (kept in memory only; without a bus they stay unknown).
//   - Windows: WTSEnumerateSessions and WTSQuerySessionInformation's
//     WTSSessionInfoEx (state, lock flag, last input and current time).
//   - macOS: utmpx for the sessions, `ioreg -c IOHIDSystem` for the
//     console's idle time (HIDIdleTime) and the IOConsoleUsers of
//     `ioreg -n Root -d1 -a` for the screen lock (CGSSessionScreenIsLocked).
//
// The decoders are pure and tested on captures; the thin readers stat
// files, call the API or run ioreg.
package sessions

import (
	"context"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/steward-rmm/steward/agent/toolbox"
	"github.com/steward-rmm/steward/protocol"
)

// Options choose the sources.
type Options struct {
	// Root is the filesystem root the Linux and macOS readers read ("" =
	// "/"); tests point it at a prepared tree.
	Root string
	// GOOS picks the reader (default runtime.GOOS).
	GOOS string
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Command runs ioreg on macOS (nil = os/exec).
	Command func(ctx context.Context, argv ...string) ([]byte, error)
}

// Methods returns the user activity method.
func Methods(o Options) []toolbox.Method {
	return []toolbox.Method{{Name: protocol.MethodSessionsList, Handler: func(ctx context.Context, _ *toolbox.Call) (any, error) {
		return List(ctx, o)
	}}}
}

// List reads the sessions of the system.
func List(ctx context.Context, o Options) (protocol.SessionsResult, error) {
	if o.Root == "" {
		o.Root = "/"
	}
	if o.GOOS == "" {
		o.GOOS = runtime.GOOS
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Command == nil {
		o.Command = runCommand
	}
	now := o.Now()
	var res protocol.SessionsResult
	var err error
	switch o.GOOS {
	case "windows":
		res, err = windowsSessions(now)
	case "darwin":
		res, err = darwinSessions(ctx, o, now)
	default:
		res, err = linuxSessions(o.Root, now)
	}
	if err != nil {
		return res, err
	}
	res.Time = now.UTC()
	if res.Sessions == nil {
		res.Sessions = []protocol.UserActivity{}
	}
	slices.SortStableFunc(res.Sessions, func(a, b protocol.UserActivity) int {
		if c := strings.Compare(a.User, b.User); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return res, nil
}

// setIdle fills a session's idle time and last activity from the time of
// its last input.
func setIdle(s *protocol.UserActivity, last, now time.Time) {
	if last.IsZero() {
		return
	}
	idle := int64(now.Sub(last) / time.Second)
	if idle < 0 {
		idle = 0
	}
	s.IdleSeconds = &idle
	s.LastActivity = last.UTC()
}

func under(root, p string) string { return filepath.Join(root, filepath.FromSlash(p)) }
