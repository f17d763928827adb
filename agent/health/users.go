package health

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/steward-rmm/steward/protocol"
)

// Users lists logged-in sessions and the last user to log in, where the OS
// records one. On Linux it asks logind and falls back to who(1); on macOS
// who(1) and the owner of /dev/console; on Windows quser and the LogonUI
// registry key. Times are read in the device's local zone.
func Users(ctx context.Context, e Env) (users []protocol.UserSession, lastUser string, lastAt time.Time, err error) {
	e = e.WithDefaults()
	now := e.Now()
	switch e.GOOS {
	case "linux":
		users, err = linuxUsers(ctx, e, now)
		lastUser, lastAt = lastLogin(ctx, e, now, "last", "-w", "-F", "-n", "20")
	case "darwin":
		users, err = darwinUsers(ctx, e, now)
		lastUser, lastAt = lastLogin(ctx, e, now, "last", "-n", "20")
	case "windows":
		users, err = windowsUsers(ctx, e, now)
		if e.Registry != nil {
			if vals, rerr := e.Registry.Values(`HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Authentication\LogonUI`); rerr == nil {
				lastUser = Clean(regString(vals, "LastLoggedOnUser"), MaxField)
			}
		}
	default:
		return nil, "", time.Time{}, fmt.Errorf("users not supported on %s", e.GOOS)
	}
	slices.SortStableFunc(users, func(a, b protocol.UserSession) int {
		if c := strings.Compare(a.User, b.User); c != 0 {
			return c
		}
		return strings.Compare(a.Session+a.Terminal, b.Session+b.Terminal)
	})
	if len(users) > maxUsers {
		users = users[:maxUsers]
	}
	return users, lastUser, lastAt, err
}

var loginctlProps = []string{"Id", "Name", "State", "Class", "IdleHint", "IdleSinceHint", "LockedHint", "Timestamp", "TTY", "Seat", "Service", "RemoteHost"}

func linuxUsers(ctx context.Context, e Env, now time.Time) ([]protocol.UserSession, error) {
	list, lerr := e.Run(ctx, "loginctl", "list-sessions", "--no-pager")
	if lerr == nil {
		sess := ParseLoginctlSessions(list)
		if len(sess) == 0 {
			return nil, nil
		}
		args := []string{"show-session", "--no-pager"}
		for _, s := range sess {
			args = append(args, s.ID)
		}
		for _, p := range loginctlProps {
			args = append(args, "-p", p)
		}
		out, err := e.Run(ctx, "loginctl", args...)
		if err == nil || len(out) > 0 { // a session that ended meanwhile fails only itself
			var users []protocol.UserSession
			for _, props := range ParseLoginctlShow(out) {
				if u, ok := SessionFromLoginctl(props, now.Location()); ok {
					users = append(users, u)
				}
			}
			return users, nil
		}
		lerr = err
	}
	// No logind (containers, non-systemd distributions): utmp via who.
	out, err := e.Run(ctx, "who")
	if err != nil {
		return nil, errors.Join(fmt.Errorf("loginctl: %w", lerr), fmt.Errorf("who: %w", err))
	}
	return ParseWho(out, now), nil
}

func darwinUsers(ctx context.Context, e Env, now time.Time) ([]protocol.UserSession, error) {
	out, err := e.Run(ctx, "who")
	if err != nil {
		return nil, fmt.Errorf("who: %w", err)
	}
	users := ParseWho(out, now)
	// The console belongs to root at the login window.
	console := ""
	if b, err := e.Run(ctx, "stat", "-f", "%Su", "/dev/console"); err == nil {
		console = strings.TrimSpace(string(b))
	}
	for i := range users {
		if users[i].Terminal == "console" && users[i].User == console {
			users[i].State = "active"
		}
	}
	return users, nil
}

func windowsUsers(ctx context.Context, e Env, now time.Time) ([]protocol.UserSession, error) {
	out, err := e.Run(ctx, "quser")
	if err != nil {
		// quser exits 1 with "No User exists for *" when nobody is logged on.
		if strings.Contains(string(out), "No User exists") {
			return nil, nil
		}
		return nil, fmt.Errorf("quser: %w", err)
	}
	return ParseQuser(out, now), nil
}

func lastLogin(ctx context.Context, e Env, now time.Time, name string, args ...string) (string, time.Time) {
	out, err := e.Run(ctx, name, args...)
	if err != nil {
		e.Log.Debug("last login unavailable", "err", err)
		return "", time.Time{}
	}
	return ParseLast(out, now)
}

// LoginctlSession is one row of `loginctl list-sessions`.
type LoginctlSession struct {
	ID   string
	UID  int
	User string
}

var sessionIDRE = regexp.MustCompile(`^[A-Za-z0-9]{1,32}$`)

// ParseLoginctlSessions parses `loginctl list-sessions` in the old (SESSION
// UID USER SEAT TTY) and new (… LEADER CLASS TTY IDLE SINCE) layouts. Only
// the first three columns are used: empty SEAT and TTY cells collapse, so
// later columns cannot be told apart without the per-session query.
func ParseLoginctlSessions(b []byte) []LoginctlSession {
	var out []LoginctlSession
	scanLines(b, func(l string) bool {
		f := strings.Fields(l)
		if len(f) < 3 || f[0] == "SESSION" || !sessionIDRE.MatchString(f[0]) {
			return true
		}
		uid, err := strconv.Atoi(f[1])
		if err != nil || uid < 0 || !userNameOK(f[2]) {
			return true
		}
		out = append(out, LoginctlSession{ID: f[0], UID: uid, User: f[2]})
		return len(out) < maxUsers
	})
	return out
}

// userNameOK accepts a user name that is already clean device text: no
// control characters, blanks or slashes, valid UTF-8, not an option.
func userNameOK(u string) bool {
	if u == "" || len(u) > 64 || strings.HasPrefix(u, "-") || Clean(u, 64) != u {
		return false
	}
	return !strings.ContainsAny(u, " /")
}

// ParseLoginctlShow parses `loginctl show-session ID... -p ...`: KEY=VALUE
// lines, one blank-line-separated block per session.
func ParseLoginctlShow(b []byte) []map[string]string {
	var out []map[string]string
	cur := map[string]string{}
	flush := func() {
		if len(cur) > 0 && len(out) < maxUsers {
			out = append(out, cur)
		}
		cur = map[string]string{}
	}
	scanLines(b, func(l string) bool {
		if strings.TrimSpace(l) == "" {
			flush()
			return true
		}
		k, v, ok := strings.Cut(l, "=")
		if ok && k != "" && len(cur) < 64 {
			cur[k] = Clean(v, MaxField)
		}
		return true
	})
	flush()
	return out
}

// SessionFromLoginctl turns one show-session block into a session. Blocks
// without a user name (the logind manager's own properties, printed when
// no id is given) and non-user classes (greeter, lock screen, the per-user
// service manager, background jobs) are skipped.
func SessionFromLoginctl(p map[string]string, loc *time.Location) (protocol.UserSession, bool) {
	name := p["Name"]
	if !userNameOK(name) {
		return protocol.UserSession{}, false
	}
	switch c := p["Class"]; {
	case c == "greeter", c == "lock-screen", strings.HasPrefix(c, "manager"), strings.HasPrefix(c, "background"):
		return protocol.UserSession{}, false
	}
	u := protocol.UserSession{User: name, Session: p["Id"], Host: p["RemoteHost"]}
	for _, t := range []string{p["TTY"], p["Seat"], p["Service"]} {
		if t != "" {
			u.Terminal = t
			break
		}
	}
	switch {
	case p["LockedHint"] == "yes":
		u.State = "locked"
	case p["IdleHint"] == "yes":
		u.State = "idle"
	case p["State"] == "active":
		u.State = "active"
	case p["State"] == "closing":
		u.State = "disconnected" // logged out, processes linger (tmux, screen)
	default:
		u.State = "online"
	}
	u.Since = parseSystemdTime(p["Timestamp"], loc)
	if p["IdleHint"] == "yes" {
		if us, err := strconv.ParseInt(p["IdleSinceHint"], 10, 64); err == nil && us > 0 {
			u.IdleSince = time.UnixMicro(us).In(loc)
		}
	}
	return u, true
}

// parseSystemdTime reads systemd's "Tue 2021-02-09 05:39:02 UTC". The zone
// abbreviation is resolved in loc, which is how systemd printed it.
func parseSystemdTime(s string, loc *time.Location) time.Time {
	for _, layout := range []string{"Mon 2006-01-02 15:04:05 MST", "Mon 2006-01-02 15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t
		}
	}
	return time.Time{}
}

// ParseWho parses who(1) output in the C locale (GNU "2024-01-15 09:30"
// and BSD "Jan 15 09:30" dates); a date in another locale is left zero.
// Boot and run-level records of `who -a` are skipped.
func ParseWho(b []byte, now time.Time) []protocol.UserSession {
	var out []protocol.UserSession
	scanLines(b, func(l string) bool {
		if strings.Contains(l, "system boot") || strings.Contains(l, "run-level") {
			return true
		}
		f := strings.Fields(l)
		if len(f) < 2 || f[0] == "LOGIN" || !userNameOK(f[0]) || f[0] == "." {
			return true
		}
		u := protocol.UserSession{User: Clean(f[0], 64), Terminal: Clean(f[1], 64), State: "online"}
		if last := f[len(f)-1]; len(f) > 2 && strings.HasPrefix(last, "(") && strings.HasSuffix(last, ")") {
			if h := strings.Trim(last, "()"); h != "" && !strings.HasPrefix(h, ":") {
				u.Host = Clean(h, MaxField)
			}
			f = f[:len(f)-1]
		}
		if len(f) >= 4 {
			u.Since = parseWhoTime(f[2:], now)
		}
		out = append(out, u)
		return len(out) < maxUsers
	})
	return out
}

func parseWhoTime(f []string, now time.Time) time.Time {
	loc := now.Location()
	if len(f) >= 2 {
		if t, err := time.ParseInLocation("2006-01-02 15:04", f[0]+" "+f[1], loc); err == nil {
			return t
		}
	}
	if len(f) >= 3 {
		if t, err := time.ParseInLocation("Jan 2 15:04 2006", strings.Join(f[:3], " ")+" "+strconv.Itoa(now.Year()), loc); err == nil {
			return notFuture(t, now)
		}
	}
	return time.Time{}
}

// notFuture moves a year-less date that lands after now into last year.
func notFuture(t, now time.Time) time.Time {
	if t.After(now.Add(24 * time.Hour)) {
		return t.AddDate(-1, 0, 0)
	}
	return t
}

var lastTimeRE = regexp.MustCompile(`\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ((?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +[0-9]{1,2} [0-9]{2}:[0-9]{2})(:[0-9]{2})?(?: ([0-9]{4}))?`)

// ParseLast returns the most recent login in last(1) output (newest
// first): the first record that is not a reboot, shutdown or run-level
// change. The time is read from the C-locale date (with or without -F);
// a localised date leaves it zero.
func ParseLast(b []byte, now time.Time) (string, time.Time) {
	var user string
	var at time.Time
	scanLines(b, func(l string) bool {
		f := strings.Fields(l)
		if len(f) < 2 {
			return true
		}
		switch f[0] {
		case "reboot", "shutdown", "runlevel", "wtmp", "btmp", "wtmpdb":
			return true
		}
		if !userNameOK(f[0]) {
			return true
		}
		user = Clean(f[0], 64)
		if m := lastTimeRE.FindStringSubmatch(l); m != nil {
			s := strings.Join(strings.Fields(m[1]), " ") + m[2]
			layout := "Jan 2 15:04"
			if m[2] != "" {
				layout += ":05"
			}
			if m[3] != "" {
				if t, err := time.ParseInLocation(layout+" 2006", s+" "+m[3], now.Location()); err == nil {
					at = t
				}
			} else if t, err := time.ParseInLocation(layout+" 2006", s+" "+strconv.Itoa(now.Year()), now.Location()); err == nil {
				at = notFuture(t, now)
			}
		}
		return false
	})
	return user, at
}

// ParseQuser parses `quser` / `query user`. Columns are read from the
// right, because an empty SESSIONNAME (disconnected sessions) shifts the
// rest left. Active maps to active and Disc to disconnected; the idle
// column ("." none, "7" minutes, "1:05", "2+04:29") sets IdleSince.
func ParseQuser(b []byte, now time.Time) []protocol.UserSession {
	var out []protocol.UserSession
	scanLines(b, func(l string) bool {
		if strings.Contains(l, "USERNAME") && strings.Contains(l, "SESSIONNAME") {
			return true
		}
		l = strings.TrimLeft(l, " ")
		l = strings.TrimPrefix(l, ">")
		f := strings.Fields(l)
		if len(f) < 6 {
			return true
		}
		n := len(f)
		ampm := ""
		if up := strings.ToUpper(f[n-1]); up == "AM" || up == "PM" {
			ampm = up
			n--
		}
		if n < 6 {
			return true
		}
		date, clock, idle, state, id := f[n-2], f[n-1], f[n-3], f[n-4], f[n-5]
		if _, err := strconv.Atoi(id); err != nil || !userNameOK(f[0]) {
			return true
		}
		u := protocol.UserSession{User: Clean(f[0], 64), Session: id}
		if n-5 > 1 {
			u.Terminal = Clean(strings.Join(f[1:n-5], " "), 64)
		}
		switch strings.ToLower(state) {
		case "active":
			u.State = "active"
		case "disc":
			u.State = "disconnected"
		default:
			u.State = "online"
		}
		u.Since = parseQuserTime(date, clock, ampm, now.Location())
		if d, ok := parseQuserIdle(idle); ok && d > 0 {
			u.IdleSince = now.Add(-d).Truncate(time.Minute)
		}
		out = append(out, u)
		return len(out) < maxUsers
	})
	return out
}

func parseQuserIdle(s string) (time.Duration, bool) {
	if s == "." || strings.EqualFold(s, "none") {
		return 0, true
	}
	var days, hours, mins int
	var err error
	rest := s
	if d, r, ok := strings.Cut(rest, "+"); ok {
		if days, err = strconv.Atoi(d); err != nil {
			return 0, false
		}
		rest = r
	}
	if h, m, ok := strings.Cut(rest, ":"); ok {
		if hours, err = strconv.Atoi(h); err != nil {
			return 0, false
		}
		rest = m
	}
	if mins, err = strconv.Atoi(rest); err != nil || days < 0 || hours < 0 || mins < 0 {
		return 0, false
	}
	d := time.Duration(days)*24*time.Hour + time.Duration(hours)*time.Hour + time.Duration(mins)*time.Minute
	if days > 366 || d < 0 {
		return 0, false // quser glitches ("24692+13:29") are not real idle times
	}
	return d, true
}

// parseQuserTime reads the logon time in the locale quser used: "8/25/2021
// 1:23 AM" (US), "16/11/2020 08:58" (day first with a 24-hour clock),
// "04.07.2024 23:24" (dotted, day first). A slash date with a 24-hour
// clock is taken as day first unless that cannot be.
func parseQuserTime(date, clock, ampm string, loc *time.Location) time.Time {
	var layouts []string
	switch {
	case ampm != "":
		layouts = []string{"1/2/2006 3:04 PM", "2/1/2006 3:04 PM"}
		clock += " " + ampm
	case strings.Contains(date, "."):
		layouts = []string{"2.1.2006 15:04"}
	case strings.Contains(date, "-"):
		layouts = []string{"2006-01-02 15:04"}
	default:
		layouts = []string{"2/1/2006 15:04", "1/2/2006 15:04"}
	}
	for _, layout := range layouts {
		if t, err := time.ParseInLocation(layout, date+" "+clock, loc); err == nil {
			return t
		}
	}
	return time.Time{}
}
