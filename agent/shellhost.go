package agent

import "github.com/steward-rmm/steward/protocol"

// shellHost runs the terminal sessions the server opens.
type shellHost struct{ a *Agent }

func newShellHost(a *Agent) *shellHost                         { return &shellHost{a: a} }
func (h *shellHost) closeAll(reason string)                    {}
func (h *shellHost) binary(s *session, b []byte)               {}
func (h *shellHost) message(s *session, env protocol.Envelope) {}
