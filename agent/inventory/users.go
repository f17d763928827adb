// Logged-in users from the OS's own records, without starting a process:
// heartbeats carry the current user, and a process per heartbeat (as
// gopsutil's loginctl fallback was) cost an idle fleet more CPU than the
// agents themselves.

package inventory

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"github.com/steward-rmm/steward/agent/internal/utmp"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Login is one logged-in session.
type Login struct {
	User, Terminal, Host string
	Started              time.Time
	// UID and Graphical are known from logind's records only ("" and
	// false elsewhere): a desktop notification needs them.
	UID       string
	Graphical bool
}

// Users lists the logged-in sessions, oldest first. Records are re-read
// only when they changed (Linux and macOS: the file's size and
// modification time).
func Users() ([]Login, error) { return systemUsers.read() }

// userNames returns the distinct user names, sorted.
func userNames(ls []Login) []string {
	var out []string
	for _, l := range ls {
		if l.User != "" && !slices.Contains(out, l.User) {
			out = append(out, l.User)
		}
	}
	slices.Sort(out)
	return out
}

// latestUser is the user of the most recent session ("" for none).
func latestUser(ls []Login) string {
	var u string
	var at time.Time
	for _, l := range ls {
		if u == "" || !l.Started.Before(at) {
			u, at = l.User, l.Started
		}
	}
	return u
}

// recordCache keeps the parsed records of one file or directory and
// re-reads them only when its stat key changed.
type recordCache struct {
	mu    sync.Mutex
	key   string
	users []Login
	err   error
	reads int // parses done (tests: nothing re-read while unchanged)
	// load finds the current source: its stat key and a parser of it.
	load func() (key string, parse func() ([]Login, error))
}

func (c *recordCache) read() ([]Login, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	key, parse := c.load()
	if key != "" && key == c.key {
		return c.users, c.err
	}
	c.users, c.err = parse()
	c.key = key
	c.reads++
	return c.users, c.err
}

// statKey identifies a file's or directory's version.
func statKey(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return ""
	}
	return path + "|" + strconv.FormatInt(fi.Size(), 10) + "|" + strconv.FormatInt(fi.ModTime().UnixNano(), 10)
}

// UtmpSize is the size of glibc's struct utmp (see package utmp).
const UtmpSize = utmp.Size

// UtmpxSize is the size of macOS's on-disk struct utmpx.
const UtmpxSize = utmp.XSize

// ParseUtmp reads Linux utmp records (in the device's byte order bo) as
// logins; a trailing partial record (a file being written) is ignored.
func ParseUtmp(b []byte, bo binary.ByteOrder) []Login { return logins(utmp.Parse(b, bo)) }

// ParseUtmpx reads macOS /var/run/utmpx as logins.
func ParseUtmpx(b []byte) []Login { return logins(utmp.ParseX(b)) }

// logins are utmp records as logins, started to the second.
func logins(rs []utmp.Record) []Login {
	var out []Login
	for _, r := range rs {
		l := Login{User: r.User, Terminal: r.Line, Host: r.Host}
		if !r.Time.IsZero() {
			l.Started = r.Time.Truncate(time.Second)
		}
		out = append(out, l)
	}
	return out
}

// maxLogins bounds what a damaged record file can make the agent hold.
const maxLogins = utmp.MaxRecords

// cstr is a field as clean text (utmp.Clean).
func cstr(b []byte) string { return utmp.Clean(b) }

// ParseLogindSession reads one systemd-logind session record
// (/run/systemd/sessions/ID: KEY=VALUE lines), the record logind keeps
// where utmp is no longer written (Debian 13 and others). Greeters, lock
// screens and background sessions are not logins.
func ParseLogindSession(b []byte) (Login, bool) {
	kv := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			kv[k] = v
		}
	}
	switch c := kv["CLASS"]; {
	case c == "greeter", c == "lock-screen", strings.HasPrefix(c, "background"), strings.HasPrefix(c, "manager"):
		return Login{}, false
	}
	l := Login{User: cstr([]byte(kv["USER"])), Host: cstr([]byte(kv["REMOTE_HOST"]))}
	if _, err := strconv.ParseUint(kv["UID"], 10, 32); err == nil {
		l.UID = kv["UID"]
	}
	l.Graphical = kv["TYPE"] == "x11" || kv["TYPE"] == "wayland" || kv["TYPE"] == "mir"
	for _, t := range []string{kv["TTY"], kv["SEAT"], kv["SERVICE"]} {
		if t != "" {
			l.Terminal = cstr([]byte(t))
			break
		}
	}
	if us, err := strconv.ParseInt(kv["REALTIME"], 10, 64); err == nil && us > 0 {
		l.Started = time.UnixMicro(us).UTC()
	}
	return l, l.User != ""
}

// LogindSessions reads systemd-logind's session records (the desktop
// sessions a notification can reach); nil where logind keeps none.
func LogindSessions() ([]Login, error) { return readLogindSessions("/run/systemd/sessions") }

// readLogindSessions reads every session record under dir.
func readLogindSessions(dir string) ([]Login, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []Login
	for _, e := range ents {
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") || len(out) >= maxLogins {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil || len(b) > 64<<10 {
			continue // ended meanwhile
		}
		if l, ok := ParseLogindSession(b); ok {
			out = append(out, l)
		}
	}
	sortLogins(out)
	return out, nil
}

func sortLogins(ls []Login) {
	slices.SortStableFunc(ls, func(a, b Login) int { return a.Started.Compare(b.Started) })
}

// WTSSession is what the Windows Terminal Services API says of a session.
type WTSSession struct {
	ID            uint32
	State         uint32 // WTS_CONNECTSTATE_CLASS
	Station       string // "Console", "RDP-Tcp#3", "Services"
	User, Domain  string
	LogonUnixTime int64 // 0 unknown
}

// WTS connect states (WTS_CONNECTSTATE_CLASS).
const (
	WTSActive       = 0
	WTSConnected    = 1
	WTSDisconnected = 4
	WTSListen       = 6
)

// WTSLogins keeps the sessions that have a user (session 0 and listeners
// have none).
func WTSLogins(ss []WTSSession) []Login {
	var out []Login
	for _, s := range ss {
		u := cstr([]byte(s.User))
		if u == "" || s.State == WTSListen {
			continue
		}
		l := Login{User: u, Terminal: cstr([]byte(s.Station))}
		if s.LogonUnixTime > 0 {
			l.Started = time.Unix(s.LogonUnixTime, 0).UTC()
		}
		out = append(out, l)
		if len(out) >= maxLogins {
			break
		}
	}
	return out
}
