package agent

import (
	"context"
	"log/slog"

	"github.com/steward-rmm/steward/protocol"
)

// defaultExecutors maps job kinds to the OS executors.
func defaultExecutors(a *Agent) map[string]Executor {
	return map[string]Executor{
		protocol.KindScript: runScript,
	}
}

// collectHealth runs the OS health collectors.
func collectHealth(ctx context.Context, log *slog.Logger, scanPatches bool, prev protocol.PatchStatus, saw3010 bool) protocol.Health {
	return protocol.Health{Patches: prev}
}
