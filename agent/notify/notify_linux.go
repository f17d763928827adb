package notify

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"syscall"
	"time"

	"github.com/steward-rmm/steward/agent/inventory"
	"github.com/steward-rmm/steward/protocol"
)

func send(ctx context.Context, m protocol.MessageJob) ([]protocol.MessageAnswer, error) {
	logins, err := inventory.Users()
	if err != nil && len(logins) == 0 {
		return nil, fmt.Errorf("logged-in users: %w", err)
	}
	var out []protocol.MessageAnswer
	banner := TTYBanner(m, time.Now())
	seen := map[string]bool{}
	for _, l := range logins {
		if l.Terminal == "" || seen[l.Terminal] || !ttyRE.MatchString(l.Terminal) {
			continue
		}
		seen[l.Terminal] = true
		a := protocol.MessageAnswer{User: l.User, Session: l.Terminal, Answer: "shown"}
		if err := WriteTTY("/dev/"+l.Terminal, banner); err != nil {
			a.Answer, a.Error = "failed", err.Error()
		}
		out = append(out, a)
	}
	// Desktop sessions get a notification too (logind knows which).
	if ss, err := inventory.LogindSessions(); err == nil {
		for _, s := range ss {
			if !s.Graphical || s.UID == "" {
				continue
			}
			a := protocol.MessageAnswer{User: s.User, Session: "desktop", Answer: "shown"}
			if err := desktopNotify(ctx, s.UID, m); err != nil {
				a.Answer, a.Error = "failed", err.Error()
			}
			out = append(out, a)
		}
	}
	return out, nil
}

// ttyRE is a terminal line utmp may name: anything else (a hostile
// "../../etc/shadow") is never opened.
var ttyRE = regexp.MustCompile(`^(pts/[0-9]{1,6}|tty[A-Za-z0-9]{1,8}|console|hvc[0-9]{1,3}|ttyS[0-9]{1,3})$`)

// WriteTTY writes b to a terminal the way wall(1) does: opened without
// becoming its controlling terminal and without blocking, and only if it
// is a character device; a terminal that does not drain in two seconds
// (a stopped session) is given up.
func WriteTTY(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NOCTTY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if fi.Mode()&os.ModeCharDevice == 0 {
		return errors.New("not a terminal")
	}
	_ = f.SetWriteDeadline(time.Now().Add(2 * time.Second))
	_, err = f.Write(b)
	return err
}

// NotifySendArgv is the desktop notification command.
func NotifySendArgv(m protocol.MessageJob) []string {
	return []string{"notify-send", "--urgency=critical", "--app-name=Steward", "--", Title(m), Text(m.Text)}
}

// desktopNotify runs notify-send as the session's user on its bus.
func desktopNotify(ctx context.Context, uid string, m protocol.MessageJob) error {
	n, err := strconv.ParseUint(uid, 10, 32)
	if err != nil {
		return err
	}
	argv := NotifySendArgv(m)
	exe, err := exec.LookPath(argv[0])
	if err != nil {
		return fmt.Errorf("no notify-send: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, argv[1:]...)
	run := "/run/user/" + uid
	cmd.Env = []string{"DBUS_SESSION_BUS_ADDRESS=unix:path=" + run + "/bus", "XDG_RUNTIME_DIR=" + run, "PATH=/usr/bin:/bin"}
	if os.Getuid() != int(n) {
		if os.Getuid() != 0 {
			return errors.New("cannot reach another user's desktop without root")
		}
		fi, err := os.Stat(run)
		if err != nil {
			return err
		}
		gid := fi.Sys().(*syscall.Stat_t).Gid
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(n), Gid: gid}}
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("notify-send: %w: %s", err, Text(string(out)))
	}
	return nil
}
