package updates

import (
	"time"

	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/store"
)

// ResultRecord is the store record of an update outcome a device
// reported.
func ResultRecord(deviceID string, r protocol.UpdateResult, at time.Time) store.UpdateResult {
	return store.UpdateResult{DeviceID: deviceID, Version: r.Version, From: r.From, State: r.State, Reason: r.Reason,
		At: r.At, ReceivedAt: at}
}

// ProtocolResult is the protocol form of a stored update outcome.
func ProtocolResult(r store.UpdateResult) protocol.UpdateResult {
	return protocol.UpdateResult{Version: r.Version, From: r.From, State: r.State, Reason: r.Reason, At: r.At}
}
