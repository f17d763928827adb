package sessions

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"time"

	"howett.net/plist"

	"github.com/steward-rmm/steward/protocol"
)

func runCommand(ctx context.Context, argv ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).Output()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", argv[0], err)
	}
	return out, nil
}

var hidIdleRe = regexp.MustCompile(`"HIDIdleTime" = (\d+)`)

// ParseHIDIdle reads the console's idle time from `ioreg -c IOHIDSystem`
// (HIDIdleTime is in nanoseconds); ok is false when absent.
func ParseHIDIdle(out []byte) (time.Duration, bool) {
	m := hidIdleRe.FindSubmatch(out)
	if m == nil {
		return 0, false
	}
	ns, err := strconv.ParseInt(string(m[1]), 10, 64)
	if err != nil || ns < 0 {
		return 0, false
	}
	return time.Duration(ns), true
}

// ConsoleUser is one entry of IOConsoleUsers.
type ConsoleUser struct {
	User      string
	UID       int
	OnConsole bool
	Locked    bool
}

// ParseConsoleUsers reads IOConsoleUsers from `ioreg -n Root -d1 -a`
// (a plist): who has a graphical session, which one is on the console,
// and whether its screen is locked (CGSSessionScreenIsLocked, present
// only while locked).
func ParseConsoleUsers(out []byte) ([]ConsoleUser, error) {
	var root any
	if _, err := plist.Unmarshal(out, &root); err != nil {
		return nil, fmt.Errorf("ioreg plist: %w", err)
	}
	// -a prints the root entry as a dict (some versions wrap it in an array).
	if a, ok := root.([]any); ok && len(a) > 0 {
		root = a[0]
	}
	d, _ := root.(map[string]any)
	list, _ := d["IOConsoleUsers"].([]any)
	var users []ConsoleUser
	for _, e := range list {
		m, _ := e.(map[string]any)
		u := ConsoleUser{}
		u.User, _ = m["kCGSSessionUserNameKey"].(string)
		u.OnConsole, _ = m["kCGSSessionOnConsoleKey"].(bool)
		u.Locked, _ = m["CGSSessionScreenIsLocked"].(bool)
		switch v := m["kCGSSessionUserIDKey"].(type) {
		case uint64:
			u.UID = int(v)
		case int64:
			u.UID = int(v)
		}
		if u.User != "" {
			users = append(users, u)
		}
	}
	return users, nil
}

// MacSessions merges utmpx's logins with the console's users: the
// console session gets the HID idle time and the lock state, terminals
// the access time of their tty (ttyAt).
func MacSessions(logins []utmpEntry, console []ConsoleUser, hidIdle time.Duration, hidOK bool, ttyAt func(string) time.Time, now time.Time) []protocol.UserActivity {
	var out []protocol.UserActivity
	seen := map[string]bool{}
	cons := map[string]ConsoleUser{}
	for _, c := range console {
		cons[c.User] = c
	}
	graphical := func(s *protocol.UserActivity, c ConsoleUser) {
		s.Type = "console"
		s.State = protocol.SessionOnline
		if c.OnConsole {
			s.State = protocol.SessionActive
			locked := c.Locked
			s.Locked = &locked
			if hidOK {
				setIdle(s, now.Add(-hidIdle), now)
			}
		}
	}
	for _, l := range logins {
		s := protocol.UserActivity{User: l.User, ID: l.Line, Terminal: l.Line, Host: l.Host, LoginTime: l.Time, State: protocol.SessionActive, Type: "tty"}
		if l.Line == "console" {
			c, ok := cons[l.User]
			if !ok {
				c = ConsoleUser{User: l.User}
			}
			graphical(&s, c)
			seen[l.User] = true
		} else {
			if l.Host != "" {
				s.Remote, s.Type = true, "ssh"
			}
			setIdle(&s, ttyAt(l.Line), now)
		}
		out = append(out, s)
	}
	for _, c := range console {
		if !seen[c.User] {
			s := protocol.UserActivity{User: c.User, ID: "console"}
			graphical(&s, c)
			out = append(out, s)
		}
	}
	return out
}

func darwinSessions(ctx context.Context, o Options, now time.Time) (protocol.SessionsResult, error) {
	var res protocol.SessionsResult
	b, err := os.ReadFile(under(o.Root, "/var/run/utmpx"))
	if err != nil {
		res.Notes = append(res.Notes, "utmpx: "+err.Error())
	}
	var console []ConsoleUser
	if out, err := o.Command(ctx, "ioreg", "-n", "Root", "-d1", "-a"); err == nil {
		if console, err = ParseConsoleUsers(out); err != nil {
			res.Notes = append(res.Notes, err.Error())
		}
	} else {
		res.Notes = append(res.Notes, "console users: "+err.Error())
	}
	var idle time.Duration
	hidOK := false
	if out, err := o.Command(ctx, "ioreg", "-c", "IOHIDSystem", "-r", "-d", "1", "-k", "HIDIdleTime"); err == nil {
		idle, hidOK = ParseHIDIdle(out)
	}
	res.Sessions = MacSessions(ParseUtmpx(b), console, idle, hidOK, func(tty string) time.Time { return ttyInput(o.Root, tty) }, now)
	return res, nil
}
