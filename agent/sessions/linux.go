package sessions

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/steward-rmm/steward/protocol"
)

// ParseLogindSession decodes one /run/systemd/sessions/<id> file
// (KEY=value lines written by systemd-logind).
func ParseLogindSession(b []byte) map[string]string {
	m := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok {
			m[k] = v
		}
	}
	return m
}

// fromLogind makes a session of a logind session file; the tty's access
// time is read by the caller.
func fromLogind(id string, m map[string]string) (protocol.UserActivity, bool) {
	if m["CLASS"] != "" && m["CLASS"] != "user" {
		return protocol.UserActivity{}, false // greeters, lock screens, background
	}
	s := protocol.UserActivity{User: m["USER"], ID: id, Terminal: m["TTY"], Host: m["REMOTE_HOST"], Type: m["TYPE"], Remote: m["REMOTE"] == "1"}
	if s.Terminal == "" {
		s.Terminal = m["DISPLAY"]
	}
	if s.Type == "tty" && s.Remote {
		s.Type = "ssh" // sshd registers its sessions as remote ttys
		if svc := m["SERVICE"]; svc != "" && svc != "sshd" {
			s.Type = svc
		}
	}
	switch m["STATE"] {
	case "active":
		s.State = protocol.SessionActive
	case "closing":
		s.State = protocol.SessionClosing
	default:
		s.State = protocol.SessionOnline
	}
	if us, err := strconv.ParseInt(m["REALTIME"], 10, 64); err == nil && us > 0 {
		s.LoginTime = time.UnixMicro(us).UTC()
	}
	return s, s.User != ""
}

// ttyInput is the time a terminal last had input: its access time.
func ttyInput(root, tty string) time.Time {
	if tty == "" || strings.Contains(tty, "..") || strings.HasPrefix(tty, ":") {
		return time.Time{}
	}
	fi, err := os.Stat(under(root, "/dev/"+strings.TrimPrefix(tty, "/dev/")))
	if err != nil {
		return time.Time{}
	}
	return accessTime(fi)
}

// linuxSessions merges logind's sessions with utmp's (logins that logind
// does not track, on systems without it).
func linuxSessions(root string, now time.Time) (protocol.SessionsResult, error) {
	var res protocol.SessionsResult
	dir := under(root, "/run/systemd/sessions")
	ents, err := os.ReadDir(dir)
	logind := err == nil
	ttys := map[string]bool{}
	var ids []string // logind's sessions
	sort.Slice(ents, func(i, j int) bool { return ents[i].Name() < ents[j].Name() })
	for _, e := range ents {
		if e.IsDir() || strings.Contains(e.Name(), ".") {
			continue // *.ref and temporary files
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		s, ok := fromLogind(e.Name(), ParseLogindSession(b))
		if !ok {
			continue
		}
		setIdle(&s, ttyInput(root, s.Terminal), now)
		ttys[s.Terminal] = true
		ids = append(ids, s.ID)
		res.Sessions = append(res.Sessions, s)
	}
	var b []byte
	for _, p := range []string{"/run/utmp", "/var/run/utmp"} {
		if b, err = os.ReadFile(under(root, p)); err == nil {
			break
		}
	}
	if err != nil && !logind {
		res.Notes = append(res.Notes, "no logind sessions and no utmp: logins cannot be read")
	}
	for _, u := range ParseUtmp(b) {
		if ttys[u.Line] {
			continue
		}
		s := protocol.UserActivity{User: u.User, ID: u.Line, Terminal: u.Line, Host: u.Host, Remote: u.Host != "" && !strings.HasPrefix(u.Host, ":"),
			State: protocol.SessionActive, LoginTime: u.Time, Type: "tty"}
		if s.Remote {
			s.Type = "remote"
		}
		if u.Session > 0 {
			s.ID = u.Line
		}
		setIdle(&s, ttyInput(root, u.Line), now)
		ttys[u.Line] = true
		res.Sessions = append(res.Sessions, s)
	}
	if logind && len(ids) > 0 {
		// logind keeps idle and lock hints in memory: ask it over D-Bus,
		// on the live system only (a test root is not what logind knows).
		if root != "/" {
			res.Notes = append(res.Notes, "idle and lock hints of logind not read (not the live root)")
		} else if hs, err := logindHints(ids); err != nil {
			res.Notes = append(res.Notes, "logind over D-Bus: "+err.Error()+"; graphical sessions show no lock state")
		} else {
			for i := range res.Sessions {
				if h, ok := hs[res.Sessions[i].ID]; ok {
					applyHints(&res.Sessions[i], h, now)
				}
			}
		}
	}
	return res, nil
}
