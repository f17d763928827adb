package ops

import (
	"bufio"
	"bytes"
	"context"
	"sort"
	"strconv"
	"strings"

	"github.com/steward-rmm/steward/protocol"
)

// ParseSystemdUnits parses `systemctl list-units --type=service --all
// --plain --full --no-legend --no-pager`: UNIT LOAD ACTIVE SUB DESCRIPTION.
func ParseSystemdUnits(b []byte) []protocol.Service {
	var out []protocol.Service
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(strings.TrimLeft(sc.Text(), "●* "))
		if len(f) < 4 || !strings.HasSuffix(f[0], ".service") || f[0] == ".service" {
			continue
		}
		s := protocol.Service{Name: strings.TrimSuffix(f[0], ".service"), State: systemdState(f[2], f[3])}
		if len(f) > 4 {
			s.DisplayName = strings.Join(f[4:], " ")
		}
		if f[1] == "not-found" {
			continue
		}
		out = append(out, s)
	}
	return out
}

func systemdState(active, sub string) string {
	switch {
	case active == "active" && sub == "running":
		return "running"
	case active == "active":
		return "running" // exited oneshots count as started
	case active == "failed":
		return "failed"
	case active == "activating" || sub == "start" || sub == "start-pre":
		return "starting"
	case active == "deactivating":
		return "stopping"
	case active == "inactive":
		return "stopped"
	}
	return "unknown"
}

// ParseSystemdUnitFiles parses `systemctl list-unit-files --type=service
// --no-legend`: UNIT STATE [PRESET], into name -> start type.
func ParseSystemdUnitFiles(b []byte) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || !strings.HasSuffix(f[0], ".service") {
			continue
		}
		st := f[1]
		if st == "enabled" || st == "enabled-runtime" {
			st = "auto"
		}
		out[strings.TrimSuffix(f[0], ".service")] = st
	}
	return out
}

// ParseLaunchctlList parses `launchctl list`: PID Status Label. A job
// without a PID is stopped, or failed when its last exit status is
// positive.
func ParseLaunchctlList(b []byte) []protocol.Service {
	var out []protocol.Service
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 || f[0] == "PID" {
			continue
		}
		s := protocol.Service{Name: f[2], State: "stopped"}
		if pid, err := strconv.Atoi(f[0]); err == nil {
			s.State, s.PID = "running", pid
		} else if st, err := strconv.Atoi(f[1]); err == nil && st > 0 {
			// A negative status is the signal that ended the job (-9,
			// -15; often launchd itself stopping an idle job): stopped.
			// Only a positive exit status is a failure.
			s.State = "failed"
		}
		out = append(out, s)
	}
	return out
}

// ListServices lists services for goos through r.
func ListServices(ctx context.Context, goos string, r Runner) ([]protocol.Service, error) {
	var out []protocol.Service
	switch goos {
	case "linux":
		b, err := r(ctx, "systemctl", "list-units", "--type=service", "--all", "--plain", "--full", "--no-legend", "--no-pager")
		if err != nil {
			return nil, err
		}
		out = ParseSystemdUnits(b)
		if f, err := r(ctx, "systemctl", "list-unit-files", "--type=service", "--no-legend", "--no-pager"); err == nil {
			types := ParseSystemdUnitFiles(f)
			for i := range out {
				out[i].StartType = types[out[i].Name]
			}
		}
	case "darwin":
		b, err := r(ctx, "launchctl", "list")
		if err != nil {
			return nil, err
		}
		out = ParseLaunchctlList(b)
	case "windows":
		return listWindows()
	default:
		return nil, ErrUnsupported
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// ServicePlan returns the commands for a service action on goos (Windows
// uses the service control manager API instead, see ControlService).
func ServicePlan(goos, name, action string) ([][]string, error) {
	if err := ValidServiceName(name); err != nil {
		return nil, err
	}
	switch action {
	case "start", "stop", "restart":
	default:
		return nil, strconvErr(action)
	}
	switch goos {
	case "linux":
		return [][]string{{"systemctl", action, name + ".service"}}, nil
	case "darwin":
		target := "system/" + name
		switch action {
		case "start":
			return [][]string{{"launchctl", "kickstart", target}}, nil
		case "stop":
			return [][]string{{"launchctl", "kill", "SIGTERM", target}}, nil
		default:
			return [][]string{{"launchctl", "kickstart", "-k", target}}, nil
		}
	}
	return nil, ErrUnsupported
}

func strconvErr(action string) error {
	return &actionError{action}
}

type actionError struct{ a string }

func (e *actionError) Error() string {
	return "service action must be start, stop or restart, not " + strconv.Quote(e.a)
}

// ControlService starts, stops or restarts one service.
func ControlService(ctx context.Context, goos, name, action string, r Runner) (string, error) {
	if goos == "windows" {
		if err := ValidServiceName(name); err != nil {
			return "", err
		}
		return controlWindows(ctx, name, action)
	}
	plan, err := ServicePlan(goos, name, action)
	if err != nil {
		return "", err
	}
	return RunPlan(ctx, r, plan)
}
