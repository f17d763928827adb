package protocol

import (
	"testing"
)

// FuzzDecode checks the decoder never panics and that whatever it accepts
// re-encodes to something it accepts again with the same type and id.
func FuzzDecode(f *testing.F) {
	for typ, v := range samples() {
		b, _ := Encode(typ, "id1", v)
		f.Add(b)
	}
	f.Add([]byte(`{"type":"x"}`))
	f.Add([]byte(`{`))
	f.Add([]byte("\x00\xff"))
	f.Fuzz(func(t *testing.T, frame []byte) {
		env, err := Decode(frame, 1<<16)
		if err != nil {
			return
		}
		if env.Type == "" {
			t.Fatal("accepted an envelope without type")
		}
		b, err := Encode(env.Type, env.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		env2, err := Decode(b, 1<<16)
		if err != nil || env2.Type != env.Type || env2.ID != env.ID {
			t.Fatalf("re-decode: %+v %v", env2, err)
		}
		// Typed decoding of arbitrary data must not panic either.
		var hb Heartbeat
		_ = DecodeData(env, &hb)
		var job Job
		_ = DecodeData(env, &job)
		_, _, _, _ = ParseFrame(frame)
	})
}
