package protocol

import (
	"testing"
)

// TestDecodeHeartbeatOnePass: a heartbeat as agents encode it decodes in
// one pass to what the envelope path gives; anything the envelope path
// would treat otherwise (another type, a later duplicate type key, no or
// null data, broken JSON, type not first) is left to it.
func TestDecodeHeartbeatOnePass(t *testing.T) {
	want := Heartbeat{Seq: 42, CPUPercent: 12.5, MemPercent: 40, DiskPercent: 91.5, PendingReboot: true, PatchCount: 3,
		SecurityPatches: 1, User: "alice \"<x>\"", UptimeSeconds: 99}
	frame := MustEncode(TypeHeartbeat, "", want)
	got, ok := DecodeHeartbeat(frame)
	if !ok || got != want {
		t.Fatalf("one pass: %+v %v, want %+v", got, ok, want)
	}
	env, err := Decode(frame, MaxAgentFrame)
	var two Heartbeat
	if err != nil || DecodeData(env, &two) != nil || two != got {
		t.Fatalf("envelope path gives %+v (%v), one pass %+v", two, err, got)
	}
	for _, f := range []string{
		`{"type":"job_ack","data":{"run_id":"r"}}`,
		`{"type":"heartbeat","data":{"seq":1},"type":"job_result"}`,
		`{"type":"heartbeat"}`,
		`{"type":"heartbeat","data":null}`,
		`{"type":"heartbeat","data":{"seq":"x"}}`,
		`{"type":"heartbeat","data":{"seq":1}`,
		`{"data":{"seq":1},"type":"heartbeat"}`,
	} {
		if hb, ok := DecodeHeartbeat([]byte(f)); ok {
			t.Errorf("%s: decoded %+v, want it left to the envelope path", f, hb)
		}
	}
}
