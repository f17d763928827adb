// Package ops carries out service and power actions on the device: list,
// start, stop and restart services (systemd, the Windows service control
// manager, launchd) and shut down, reboot or log off. Every OS command goes
// through a Runner, so tests assert the exact command lines and never touch
// the machine; parsers of OS output are pure and tested on real captures.
package ops

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Runner runs a command (no shell) and returns its combined output.
type Runner func(ctx context.Context, name string, args ...string) ([]byte, error)

// Exec is the real Runner: LANG=C, output capped at 4 MiB.
func Exec(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(cmd.Environ(), "LANG=C", "LC_ALL=C")
	out, err := cmd.CombinedOutput()
	if len(out) > 4<<20 {
		out = out[:4<<20]
	}
	if err != nil {
		return out, fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(string(tail(out, 512))))
	}
	return out, nil
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

var serviceNameRE = regexp.MustCompile(`^[A-Za-z0-9@._:\\-]{1,256}$`)

// ValidServiceName checks a service name from a technician: a strict
// character set, never an option.
func ValidServiceName(name string) error {
	if !serviceNameRE.MatchString(name) || strings.HasPrefix(name, "-") {
		return fmt.Errorf("invalid service name %q", truncate(name, 64))
	}
	return nil
}

var userRE = regexp.MustCompile(`^[A-Za-z0-9._@\\-]{1,64}$`)

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// PowerAction is what a power job asks for.
type PowerAction struct {
	Kind    string        // shutdown, reboot, logoff
	Delay   time.Duration // 0 = now
	Message string
	User    string // logoff: one user, "" = all
}

// cleanMessage strips control characters and caps the length.
func cleanMessage(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	return truncate(s, 512)
}

// ErrUnsupported is returned for actions an OS does not offer.
var ErrUnsupported = errors.New("not supported on this OS")

// PowerPlan returns the commands that carry out a for goos. sessions
// lists logged-in users' session ids (Windows logoff) or user names.
func PowerPlan(goos string, a PowerAction, sessions map[string][]string) ([][]string, error) {
	if a.User != "" && (!userRE.MatchString(a.User) || strings.HasPrefix(a.User, "-")) {
		return nil, fmt.Errorf("invalid user name %q", truncate(a.User, 64))
	}
	msg := cleanMessage(a.Message)
	switch a.Kind {
	case "shutdown", "reboot":
	case "logoff":
		return logoffPlan(goos, a.User, sessions)
	default:
		return nil, fmt.Errorf("unknown power action %q", a.Kind)
	}
	switch goos {
	case "windows":
		flag := "/s"
		if a.Kind == "reboot" {
			flag = "/r"
		}
		cmd := []string{"shutdown.exe", flag, "/t", fmt.Sprint(int(a.Delay.Seconds())), "/d", "p:0:0"}
		if msg != "" {
			cmd = append(cmd, "/c", msg)
		}
		return [][]string{cmd}, nil
	case "linux", "darwin":
		flag := "-h"
		if a.Kind == "reboot" {
			flag = "-r"
		}
		// shutdown(8) takes whole minutes; a delay is rounded up.
		when := "now"
		if a.Delay > 0 {
			when = fmt.Sprintf("+%d", int((a.Delay+time.Minute-1)/time.Minute))
		}
		cmd := []string{"shutdown", flag, when}
		if msg != "" && goos == "linux" {
			cmd = append(cmd, msg)
		}
		return [][]string{cmd}, nil
	}
	return nil, ErrUnsupported
}

func logoffPlan(goos, user string, sessions map[string][]string) ([][]string, error) {
	var users []string
	if user != "" {
		users = []string{user}
	} else {
		for u := range sessions {
			users = append(users, u)
		}
	}
	var plan [][]string
	for _, u := range users {
		switch goos {
		case "linux":
			plan = append(plan, []string{"loginctl", "terminate-user", u})
		case "darwin":
			plan = append(plan, []string{"launchctl", "bootout", "user/" + u})
		case "windows":
			ids, ok := sessions[u]
			if !ok {
				return nil, fmt.Errorf("user %q has no session", u)
			}
			for _, id := range ids {
				plan = append(plan, []string{"logoff.exe", id})
			}
		default:
			return nil, ErrUnsupported
		}
	}
	if len(plan) == 0 {
		return nil, errors.New("nobody is logged in")
	}
	return plan, nil
}

// RunPlan runs each command in order, stopping at the first failure.
func RunPlan(ctx context.Context, r Runner, plan [][]string) (string, error) {
	var out bytes.Buffer
	for _, c := range plan {
		b, err := r(ctx, c[0], c[1:]...)
		out.Write(b)
		if err != nil {
			return out.String(), err
		}
	}
	return out.String(), nil
}
