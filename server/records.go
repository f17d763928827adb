package server

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/store"
)

// Conversions between the protocol's types and the store's records that
// the jobs and updates code needs (the fleet package has those of
// inventories and health reports). The store keeps a job's spec as an
// opaque document: the protocol job's JSON, as the first servers nested it
// in the record.

// encodeJobSpec is the stored form of a job template.
func encodeJobSpec(spec protocol.Job) ([]byte, error) {
	b, err := json.Marshal(spec)
	if err != nil {
		return nil, fmt.Errorf("encode job spec: %w", err)
	}
	return b, nil
}

// jobSpec decodes a stored job template. The server wrote it, so an error
// means damaged data; the caller decides what to do with it.
func jobSpec(j *store.Job) (protocol.Job, error) {
	var spec protocol.Job
	if len(j.Spec) == 0 {
		return spec, nil
	}
	if err := json.Unmarshal(j.Spec, &spec); err != nil {
		return spec, fmt.Errorf("job %s spec: %w", j.ID, err)
	}
	return spec, nil
}

// updateResultRecord is the store record of an update outcome a device
// reported.
func updateResultRecord(deviceID string, r protocol.UpdateResult, at time.Time) store.UpdateResult {
	return store.UpdateResult{DeviceID: deviceID, Version: r.Version, From: r.From, State: r.State, Reason: r.Reason,
		At: r.At, ReceivedAt: at}
}

// protocolUpdateResult is the protocol form of a stored update outcome.
func protocolUpdateResult(r store.UpdateResult) protocol.UpdateResult {
	return protocol.UpdateResult{Version: r.Version, From: r.From, State: r.State, Reason: r.Reason, At: r.At}
}
