package service

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	kservice "github.com/kardianos/service"

	"github.com/steward-rmm/steward/agent/internal/atomicfile"
)

// Manager registers and controls the agent's service with the OS service
// manager. OSManager is the real one; Recorder stands in for it when an
// install is staged under a root directory.
type Manager interface {
	// State reports whether the service is registered and running.
	State() (installed, running bool, err error)
	// Install registers the service; it must not be registered yet.
	Install() error
	Uninstall() error
	Start() error
	Stop() error
	// Platform names the service manager (e.g. linux-systemd).
	Platform() string
}

// OSManager controls def through the OS service manager kardianos detects:
// systemd (SysV, OpenRC or upstart where systemd is absent), the Windows
// SCM, or launchd.
func OSManager(def *kservice.Config) (Manager, error) {
	s, err := kservice.New(noProgram{}, def)
	if err != nil {
		return nil, fmt.Errorf("service manager: %w", err)
	}
	return osManager{s: s, name: def.Name}, nil
}

type noProgram struct{}

func (noProgram) Start(kservice.Service) error { return nil }
func (noProgram) Stop(kservice.Service) error  { return nil }

type osManager struct {
	s    kservice.Service
	name string
}

func (m osManager) State() (bool, bool, error) {
	st, err := m.s.Status()
	switch {
	case errors.Is(err, kservice.ErrNotInstalled):
		return false, false, nil
	case err != nil && strings.Contains(err.Error(), "failed state"):
		// systemd: registered, but its last run failed.
		return true, false, nil
	case err != nil && (m.s.Platform() == "unix-systemv" || m.s.Platform() == "linux-openrc"):
		// SysV and OpenRC scripts exit non-zero when stopped or absent:
		// the script file tells which.
		_, serr := os.Stat("/etc/init.d/" + m.name)
		return serr == nil, false, nil
	case err != nil:
		return false, false, fmt.Errorf("service status: %w", err)
	}
	return st != kservice.StatusUnknown, st == kservice.StatusRunning, nil
}

func (m osManager) Install() error   { return wrap("install", m.s.Install()) }
func (m osManager) Uninstall() error { return wrap("uninstall", m.s.Uninstall()) }
func (m osManager) Start() error     { return wrap("start", m.s.Start()) }
func (m osManager) Stop() error      { return wrap("stop", m.s.Stop()) }
func (m osManager) Platform() string { return m.s.Platform() }

func wrap(op string, err error) error {
	if err != nil {
		return fmt.Errorf("service %s: %w", op, err)
	}
	return nil
}

// RecordFile is where a staged install (RootEnv) records the service it
// would have registered, relative to the root.
const RecordFile = "service-record.json"

// Record is the content of a Recorder's file.
type Record struct {
	Installed   bool              `json:"installed"`
	Running     bool              `json:"running"`
	Name        string            `json:"name,omitempty"`
	Executable  string            `json:"executable,omitempty"`
	Arguments   []string          `json:"arguments,omitempty"`
	Options     map[string]string `json:"options,omitempty"`
	Actions     []string          `json:"actions"`
	Description string            `json:"description,omitempty"`
}

// Recorder is a Manager that registers nothing: it writes what it was asked
// to do to Path (a Record), so staged installs and tests can check it.
type Recorder struct {
	Path string
	Def  *kservice.Config
}

// Read returns the current record (empty when none was written yet).
func (r *Recorder) Read() (Record, error) {
	var rec Record
	b, err := os.ReadFile(r.Path)
	if errors.Is(err, os.ErrNotExist) {
		return rec, nil
	} else if err != nil {
		return rec, fmt.Errorf("service record: %w", err)
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		return rec, fmt.Errorf("service record: %w", err)
	}
	return rec, nil
}

func (r *Recorder) update(action string, f func(*Record) error) error {
	rec, err := r.Read()
	if err != nil {
		return err
	}
	if err := f(&rec); err != nil {
		return fmt.Errorf("service %s: %w", action, err)
	}
	rec.Actions = append(rec.Actions, action)
	b, _ := json.MarshalIndent(rec, "", "  ")
	return atomicfile.Write(r.Path, b, 0o600)
}

// State implements Manager.
func (r *Recorder) State() (bool, bool, error) {
	rec, err := r.Read()
	return rec.Installed, rec.Running, err
}

// Install implements Manager.
func (r *Recorder) Install() error {
	return r.update("install", func(rec *Record) error {
		if rec.Installed {
			return errors.New("already installed")
		}
		rec.Installed, rec.Name, rec.Executable, rec.Description = true, r.Def.Name, r.Def.Executable, r.Def.Description
		rec.Arguments = append([]string(nil), r.Def.Arguments...)
		rec.Options = map[string]string{}
		for k, v := range r.Def.Option {
			if s, ok := v.(string); ok && strings.Contains(s, "\n") {
				continue // unit files and plists are golden-tested, not recorded
			}
			rec.Options[k] = fmt.Sprint(v)
		}
		return nil
	})
}

// Uninstall implements Manager.
func (r *Recorder) Uninstall() error {
	return r.update("uninstall", func(rec *Record) error {
		if !rec.Installed {
			return kservice.ErrNotInstalled
		}
		*rec = Record{Actions: rec.Actions}
		return nil
	})
}

// Start implements Manager.
func (r *Recorder) Start() error {
	return r.update("start", func(rec *Record) error {
		if !rec.Installed {
			return kservice.ErrNotInstalled
		}
		rec.Running = true
		return nil
	})
}

// Stop implements Manager.
func (r *Recorder) Stop() error {
	return r.update("stop", func(rec *Record) error {
		rec.Running = false
		return nil
	})
}

// Platform implements Manager.
func (r *Recorder) Platform() string { return "recorded" }
