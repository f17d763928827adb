package jobs

import (
	"bytes"

	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/store"
)

// jobMessage is a job's wire message encoded once for all its runs: the
// runs of one job differ only in their run ID (the first field), so a
// fan-out to thousands of devices decodes the stored spec and encodes the
// message once and then only splices each run's ID in.
type jobMessage struct {
	job        *store.Job
	head, tail []byte // the message around the run ID's (empty) value
	expires    int64  // the expiry encoded in it (unix nanoseconds)
	ok         bool   // head and tail hold a usable template
}

// runIDField is how the encoder writes an empty run ID as the data's first
// field; the first match is that field, as nothing before it in the
// envelope can contain it.
var runIDField = []byte(`"data":{"run_id":""`)

// newJobMessage encodes a job's message template.
func (j *Wing) newJobMessage(job *store.Job) *jobMessage {
	m := &jobMessage{job: job}
	spec, err := DecodeSpec(job)
	if err != nil {
		j.log.Error("job spec", "job", job.ID, "err", err)
	}
	spec.RunID, spec.JobID, spec.Expires = "", job.ID, job.Expires
	b := protocol.MustEncode(protocol.TypeJob, "", spec)
	i := bytes.Index(b, runIDField)
	if i < 0 {
		return m // every run encodes its own message
	}
	cut := i + len(runIDField) - 1 // just before the closing quote
	m.head, m.tail, m.expires, m.ok = b[:cut], b[cut:], job.Expires.UnixNano(), true
	return m
}

// forRun returns a run's message: the template with its ID spliced in, or
// a message of its own when the run differs from the template (another
// expiry) or its ID would need escaping.
func (m *jobMessage) forRun(j *Wing, r *store.Run) []byte {
	if !m.ok || r.Expires.UnixNano() != m.expires || !plainID(r.ID) {
		return j.message(m.job, r)
	}
	b := make([]byte, 0, len(m.head)+len(r.ID)+len(m.tail))
	b = append(b, m.head...)
	b = append(b, r.ID...)
	return append(b, m.tail...)
}

// plainID reports whether an ID needs no escaping in a JSON string.
func plainID(id string) bool {
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}
