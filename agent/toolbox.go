package agent

import (
	"context"
	"slices"

	"github.com/steward-rmm/steward/agent/eventlog"
	"github.com/steward-rmm/steward/agent/files"
	"github.com/steward-rmm/steward/agent/netprobe"
	"github.com/steward-rmm/steward/agent/procs"
	"github.com/steward-rmm/steward/agent/registry"
	"github.com/steward-rmm/steward/agent/sessions"
	"github.com/steward-rmm/steward/agent/toolbox"
)

// toolboxMethods lists the toolbox methods this agent answers: one line
// per method family (each a package or file of its own), then the
// configured extras.
func (a *Agent) toolboxMethods() []toolbox.Method {
	return slices.Concat(
		[]toolbox.Method{{Name: "toolbox.ping", Handler: ping}},
		files.Methods(),
		procs.Methods(),
		eventlog.Methods(eventlog.Options{}),
		registry.Methods(),
		sessions.Methods(sessions.Options{Root: a.cfg.HealthRoot}),
		netprobe.Methods(),
		a.cfg.ToolboxMethods,
	)
}

// ping answers with the agent's toolbox methods: a cheap check that the
// channel works end to end.
func ping(_ context.Context, c *toolbox.Call) (any, error) {
	return map[string]string{"pong": c.Method}, nil
}

// toolboxSender is the session as the toolbox sees it.
type toolboxSender struct{ s *session }

func (t toolboxSender) Send(b []byte) bool       { return t.s.send(b) }
func (t toolboxSender) SendBinary(b []byte) bool { return t.s.sendBinary(b) }
