package jobs

import (
	"encoding/json"
	"fmt"

	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/store"
)

// The store keeps a job's spec as an opaque document: the protocol job's
// JSON, as the first servers nested it in the record.

// EncodeSpec is the stored form of a job template.
func EncodeSpec(spec protocol.Job) ([]byte, error) {
	b, err := json.Marshal(spec)
	if err != nil {
		return nil, fmt.Errorf("encode job spec: %w", err)
	}
	return b, nil
}

// DecodeSpec decodes a stored job template. The server wrote it, so an error
// means damaged data; the caller decides what to do with it.
func DecodeSpec(j *store.Job) (protocol.Job, error) {
	var spec protocol.Job
	if len(j.Spec) == 0 {
		return spec, nil
	}
	if err := json.Unmarshal(j.Spec, &spec); err != nil {
		return spec, fmt.Errorf("job %s spec: %w", j.ID, err)
	}
	return spec, nil
}
