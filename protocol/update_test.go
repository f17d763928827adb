package protocol

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// updateSamples pins the self-update messages' wire format, like samples
// does for the others (kept apart so the two lists can be edited apart).
func updateSamples() map[string]any {
	m, _ := json.Marshal(ReleaseManifest{Version: "1.1.0", Created: t0, Files: []ReleaseFile{{OS: "linux", Arch: "amd64",
		Name: "steward-agent-linux-amd64", SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", Size: 4}}})
	return map[string]any{
		TypeUpdateOffer: &UpdateOffer{Version: "1.1.0", Manifest: m, Signature: bytes.Repeat([]byte{0xab}, 64),
			URL: "/agent/update/1.1.0/steward-agent-linux-amd64"},
		TypeUpdateResult: &UpdateResult{Version: "1.1.0", From: "1.0.0", State: UpdateRolledBack,
			Reason: "new version did not reach the server after 3 starts", At: t0},
	}
}

func TestUpdateGolden(t *testing.T) {
	for typ, v := range updateSamples() {
		t.Run(typ, func(t *testing.T) {
			frame, err := Encode(typ, "", v)
			if err != nil {
				t.Fatal(err)
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, frame, "", "  "); err != nil {
				t.Fatal(err)
			}
			pretty.WriteByte('\n')
			path := filepath.Join("testdata", typ+".json")
			if *update {
				if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("missing golden file (run go test -update): %v", err)
			}
			if !bytes.Equal(pretty.Bytes(), want) {
				t.Errorf("wire format changed for %s:\n got %s\nwant %s", typ, pretty.Bytes(), want)
			}
			env, err := Decode(want, MaxServerFrame)
			if err != nil || env.Type != typ {
				t.Fatalf("decode golden: %v %q", err, env.Type)
			}
			got := reflect.New(reflect.TypeOf(v).Elem()).Interface()
			if err := DecodeData(env, got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, v) {
				t.Errorf("round trip:\n got %+v\nwant %+v", got, v)
			}
		})
	}
}
