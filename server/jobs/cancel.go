package jobs

import (
	"fmt"

	"github.com/steward-rmm/steward/protocol"
)

// CancelQueuedForClient cancels, with reason, the runs of a client's
// devices that were not sent yet (a customer revoked the grant they were
// created under) and returns how many it cancelled. Runs already sent
// finish as they would.
func (j *Wing) CancelQueuedForClient(clientID, reason string) (int, error) {
	runs, err := j.st.PendingRuns("")
	if err != nil {
		return 0, fmt.Errorf("pending runs: %w", err)
	}
	n := 0
	for _, r := range runs {
		if r.ClientID != clientID || r.State != protocol.StateQueued {
			continue
		}
		changed, err := j.finish(r.ID, protocol.StateCancelled, reason, -1, nil)
		if err != nil {
			return n, fmt.Errorf("cancel run %s: %w", r.ID, err)
		}
		if changed {
			n++
		}
	}
	return n, nil
}
