//go:build windows

package ops

import (
	"context"
	"fmt"
	"time"

	"github.com/steward-rmm/steward/protocol"
	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/mgr"
)

func winState(s svc.State) string {
	switch s {
	case svc.Running:
		return "running"
	case svc.Stopped:
		return "stopped"
	case svc.StartPending, svc.ContinuePending:
		return "starting"
	case svc.StopPending, svc.PausePending:
		return "stopping"
	case svc.Paused:
		return "paused"
	}
	return "unknown"
}

func winStart(c mgr.Config) string {
	switch c.StartType {
	case windows.SERVICE_AUTO_START:
		if c.DelayedAutoStart {
			return "delayed-auto"
		}
		return "auto"
	case windows.SERVICE_DEMAND_START:
		return "manual"
	case windows.SERVICE_DISABLED:
		return "disabled"
	case windows.SERVICE_BOOT_START, windows.SERVICE_SYSTEM_START:
		return "boot"
	}
	return "unknown"
}

func listWindows() ([]protocol.Service, error) {
	m, err := mgr.Connect()
	if err != nil {
		return nil, fmt.Errorf("service manager: %w", err)
	}
	defer m.Disconnect()
	names, err := m.ListServices()
	if err != nil {
		return nil, err
	}
	var out []protocol.Service
	for _, n := range names {
		s, err := m.OpenService(n)
		if err != nil {
			continue
		}
		v := protocol.Service{Name: n, State: "unknown"}
		if st, err := s.Query(); err == nil {
			v.State, v.PID = winState(st.State), int(st.ProcessId)
		}
		if c, err := s.Config(); err == nil {
			v.DisplayName, v.StartType = c.DisplayName, winStart(c)
		}
		s.Close()
		out = append(out, v)
	}
	return out, nil
}

func controlWindows(ctx context.Context, name, action string) (string, error) {
	m, err := mgr.Connect()
	if err != nil {
		return "", fmt.Errorf("service manager: %w", err)
	}
	defer m.Disconnect()
	s, err := m.OpenService(name)
	if err != nil {
		return "", fmt.Errorf("open service %s: %w", name, err)
	}
	defer s.Close()
	wait := func(want svc.State) error {
		for {
			st, err := s.Query()
			if err != nil {
				return err
			}
			if st.State == want {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("waiting for %s: %w", winState(want), ctx.Err())
			case <-time.After(300 * time.Millisecond):
			}
		}
	}
	if action == "stop" || action == "restart" {
		if _, err := s.Control(svc.Stop); err != nil && action == "stop" {
			return "", fmt.Errorf("stop %s: %w", name, err)
		}
		if err := wait(svc.Stopped); err != nil {
			return "", err
		}
	}
	if action == "start" || action == "restart" {
		if err := s.Start(); err != nil {
			return "", fmt.Errorf("start %s: %w", name, err)
		}
		if err := wait(svc.Running); err != nil {
			return "", err
		}
	}
	return action + " " + name + ": done", nil
}
