package service

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/steward-rmm/steward/agent/internal/atomicfile"
	"io"
	"os"
	"path/filepath"
	"time"
)

// StatusFile is the file in the config directory where the running agent
// says whether it is connected; `steward-agent status` reads it.
const StatusFile = "status.json"

// maxStatusSize caps what ReadStatus reads: the file is tiny, and a huge
// one is not ours.
const maxStatusSize = 4096

// AgentStatus is the running agent's view of its connection.
type AgentStatus struct {
	Connected bool      `json:"connected"`
	Since     time.Time `json:"since"` // when Connected last changed
	Server    string    `json:"server,omitempty"`
	Version   string    `json:"version,omitempty"`
	PID       int       `json:"pid,omitempty"`
}

// WriteStatus records in dir that the agent (version, talking to server)
// is now connected or not. Call it on every change of connection state,
// not per heartbeat. The write is atomic, so a reader never sees half a
// file.
func WriteStatus(dir string, connected bool, server, version string) error {
	b, _ := json.Marshal(AgentStatus{Connected: connected, Since: time.Now().UTC().Truncate(time.Second),
		Server: server, Version: version, PID: os.Getpid()})
	return atomicfile.Write(filepath.Join(dir, StatusFile), append(b, '\n'), 0o600)
}

// ReadStatus reads the status file of dir. A missing file is an error
// wrapping os.ErrNotExist.
func ReadStatus(dir string) (AgentStatus, error) {
	f, err := os.Open(filepath.Join(dir, StatusFile))
	if err != nil {
		return AgentStatus{}, fmt.Errorf("agent status: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxStatusSize+1))
	if err != nil {
		return AgentStatus{}, fmt.Errorf("agent status: %w", err)
	}
	return ParseStatus(b)
}

// ParseStatus decodes a status file; anything oversized or malformed is an
// error, never a panic.
func ParseStatus(b []byte) (AgentStatus, error) {
	var st AgentStatus
	if len(b) > maxStatusSize {
		return st, errors.New("agent status: file too large")
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return AgentStatus{}, fmt.Errorf("agent status: %w", err)
	}
	if len(st.Server) > 512 || len(st.Version) > 128 {
		return AgentStatus{}, errors.New("agent status: field too long")
	}
	return st, nil
}
