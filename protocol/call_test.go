package protocol

import (
	"bytes"
	"errors"
	"testing"
)

func TestCallFrames(t *testing.T) {
	data := bytes.Repeat([]byte{0xab}, MaxCallData)
	kind, id, payload, err := ParseFrame(AppendFrame(nil, FrameCallData, 7, data))
	if err != nil || kind != FrameCallData || id != 7 || !bytes.Equal(payload, data) {
		t.Fatalf("data frame: %d %d %d %v", kind, id, len(payload), err)
	}
	if _, _, _, err := ParseFrame(AppendFrame(nil, FrameCallData, 7, append(data, 1))); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversize call data: %v", err)
	}
	kind, id, payload, err = ParseFrame(CallCreditFrame(9, 123456789))
	if err != nil || kind != FrameCallCredit || id != 9 || Credit(payload) != 123456789 {
		t.Fatalf("credit frame: %d %d %v", kind, id, err)
	}
	if _, _, _, err := ParseFrame(AppendFrame(nil, FrameCallCredit, 9, []byte{1, 2})); !errors.Is(err, ErrMalformed) {
		t.Fatalf("short credit: %v", err)
	}
	if kind, _, _, err := ParseFrame(AppendFrame(nil, FrameCallEOF, 9, nil)); err != nil || kind != FrameCallEOF {
		t.Fatalf("eof: %d %v", kind, err)
	}
	if _, _, _, err := ParseFrame(AppendFrame(nil, FrameCallEOF, 9, []byte{0})); !errors.Is(err, ErrMalformed) {
		t.Fatalf("eof with payload: %v", err)
	}
	for _, k := range []byte{FrameCallData, FrameCallCredit, FrameCallEOF} {
		if !IsCallFrame(k) {
			t.Errorf("kind %d is a call frame", k)
		}
	}
	if IsCallFrame(FrameShellData) || IsCallFrame(FrameShellCredit) {
		t.Error("shell frames are not call frames")
	}
}

func TestCallRequestValidate(t *testing.T) {
	ok := CallRequest{Call: 1, Method: "files.list"}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]CallRequest{
		"zero id":          {Method: "files.list"},
		"no method":        {Call: 1},
		"long method":      {Call: 1, Method: string(bytes.Repeat([]byte("m"), MaxCallMethod+1))},
		"negative timeout": {Call: 1, Method: "x", TimeoutMS: -1},
	} {
		if err := r.Validate(); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// FuzzCallMessages checks call envelopes and frames never panic the
// decoders, and that an accepted request survives a round trip.
func FuzzCallMessages(f *testing.F) {
	for _, typ := range []string{TypeCall, TypeCallChunk, TypeCallEnd, TypeCallCancel} {
		b, _ := Encode(typ, "", samples()[typ])
		f.Add(b)
	}
	f.Add(AppendFrame(nil, FrameCallData, 1, []byte("abc")))
	f.Add(CallCreditFrame(1, 5))
	f.Fuzz(func(t *testing.T, frame []byte) {
		_, _, _, _ = ParseFrame(frame)
		env, err := Decode(frame, 1<<16)
		if err != nil {
			return
		}
		var r CallRequest
		if DecodeData(env, &r) == nil && r.Validate() == nil {
			b, err := Encode(TypeCall, "", r)
			if err != nil {
				t.Fatal(err)
			}
			var r2 CallRequest
			env2, err := Decode(b, 1<<20)
			if err != nil || DecodeData(env2, &r2) != nil || r2.Call != r.Call || r2.Method != r.Method {
				t.Fatalf("round trip: %+v %+v %v", r, r2, err)
			}
		}
		var c CallChunk
		_ = DecodeData(env, &c)
		var e CallEnd
		_ = DecodeData(env, &e)
	})
}
