package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// samples holds one representative value per message type; the golden file
// pins its exact JSON so a change to the wire format is a visible diff.
func samples() map[string]any {
	return map[string]any{
		TypeHello: &Hello{ProtocolVersion: Version, AgentVersion: "1.0.0", OS: "linux", Arch: "amd64",
			Hostname: "web-01", BootTime: t0, Capabilities: []string{CapScript, CapShell}},
		TypeWelcome: &Welcome{DeviceID: "d_abc", ServerTime: t0, HeartbeatSeconds: 60, InventorySeconds: 3600,
			HealthSeconds: 900, PatchScanSeconds: 14400, ProtocolVersion: Version,
			Pins: []string{"spki:" + strings.Repeat("ab", 32), "spki:" + strings.Repeat("cd", 32)}},
		TypeHeartbeat: &Heartbeat{Seq: 7, CPUPercent: 12.5, MemPercent: 40, DiskPercent: 71.2, PendingReboot: true,
			PatchCount: 3, SecurityPatches: 1, User: "alice", UptimeSeconds: 3600},
		TypeInventory: &Inventory{Hostname: "web-01", OS: "linux", Platform: "debian", OSVersion: "12.7",
			Kernel: "6.1.0", Arch: "amd64", CPUModel: "Xeon", CPUCores: 2, CPUThreads: 4, MemoryTotal: 8 << 30,
			Disks:      []Disk{{Mount: "/", Filesystem: "ext4", Total: 100, Free: 40}},
			Interfaces: []Interface{{Name: "eth0", MAC: "52:54:00:12:34:56", Addresses: []string{"10.0.0.5/24"}}},
			BootTime:   t0, Users: []string{"alice"}, Manufacturer: "Dell Inc.", Model: "PowerEdge R650", Serial: "7XK2Q53"},
		TypeHealth: &Health{Reboot: RebootStatus{Pending: true, Reasons: []RebootReason{{Code: "linux.reboot-required", Detail: "linux-image"}}},
			Patches: PatchStatus{CheckedAt: t0, Source: "apt", Available: []Patch{{ID: "openssl", Name: "openssl",
				InstalledVersion: "3.0.1", AvailableVersion: "3.0.2", Security: true}}}},
		TypeError: &Error{Code: CodeUnsupportedVersion, Message: "protocol version 9 not supported (server speaks 1..1)"},
		TypeJob: &Job{RunID: "r_1", JobID: "j_1", Kind: KindScript, Timeout: 60, Expires: t0,
			Script: &ScriptSpec{Interpreter: "sh", Body: "echo hi", Args: []string{"$(id)"}}},
		TypeJobAck:      &JobAck{RunID: "r_1"},
		TypeJobOutput:   &JobOutput{RunID: "r_1", Stream: "stdout", Offset: 0, Data: []byte("hi\n\x00\xff")},
		TypeJobResult:   &JobResult{RunID: "r_1", State: StateSucceeded, ExitCode: 0, Started: t0, Ended: t0.Add(time.Second)},
		TypeResultAck:   &ResultAck{RunID: "r_1"},
		TypeJobCancel:   &JobCancel{RunID: "r_1"},
		TypeShellOpen:   &ShellOpen{Session: 1, Shell: "bash", Cols: 80, Rows: 24},
		TypeShellOpened: &ShellOpened{Session: 1},
		TypeShellResize: &ShellResize{Session: 1, Cols: 100, Rows: 40},
		TypeShellClose:  &ShellClose{Session: 1, ExitCode: 0, Reason: "exited"},
		TypeRefresh:     &Refresh{What: "health"},
		TypeCall: &CallRequest{Call: 3, Method: "files.list", Params: json.RawMessage(`"/etc"`), // scalars: the golden file is indented
			TimeoutMS: 30000},
		TypeCallChunk:  &CallChunk{Call: 3, Data: json.RawMessage(`"hosts"`)},
		TypeCallEnd:    &CallEnd{Call: 3, Error: "no such directory", Code: CallNotFound},
		TypeCallCancel: &CallCancel{Call: 3, Reason: "technician closed the page"},
	}
}

func TestGolden(t *testing.T) {
	for typ, v := range samples() {
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
			// The golden file decodes back to the same value.
			env, err := Decode(want, MaxAgentFrame)
			if err != nil {
				t.Fatal(err)
			}
			if env.Type != typ {
				t.Fatalf("type %q, want %q", env.Type, typ)
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

func TestDecodeRejects(t *testing.T) {
	cases := []struct {
		name  string
		frame string
		limit int
		want  error
	}{
		{"too large", `{"type":"heartbeat","data":{}}`, 10, ErrTooLarge},
		{"not json", `{"type":`, 100, ErrMalformed},
		{"array", `[1,2]`, 100, ErrMalformed},
		{"no type", `{"data":{}}`, 100, ErrMalformed},
		{"long type", `{"type":"` + strings.Repeat("x", 65) + `"}`, 1000, ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode([]byte(c.frame), c.limit)
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
}

func TestUnknownFieldsAndTypesTolerated(t *testing.T) {
	env, err := Decode([]byte(`{"type":"from_the_future","id":"x","data":{"a":1},"extra":true}`), 1000)
	if err != nil {
		t.Fatal(err)
	}
	if env.Type != "from_the_future" || env.ID != "x" {
		t.Fatalf("got %+v", env)
	}
	env, err = Decode([]byte(`{"type":"heartbeat","data":{"seq":3,"new_field":[1,2]}}`), 1000)
	if err != nil {
		t.Fatal(err)
	}
	var hb Heartbeat
	if err := DecodeData(env, &hb); err != nil {
		t.Fatal(err)
	}
	if hb.Seq != 3 {
		t.Fatalf("seq = %d", hb.Seq)
	}
}

func TestDecodeDataWrongShape(t *testing.T) {
	env, err := Decode([]byte(`{"type":"heartbeat","data":{"seq":"seven"}}`), 1000)
	if err != nil {
		t.Fatal(err)
	}
	var hb Heartbeat
	if err := DecodeData(env, &hb); !errors.Is(err, ErrMalformed) {
		t.Fatalf("err = %v, want ErrMalformed", err)
	}
	if err := DecodeData(Envelope{Type: "heartbeat"}, &hb); !errors.Is(err, ErrMalformed) {
		t.Fatalf("missing data: err = %v", err)
	}
}

func TestBinaryFrames(t *testing.T) {
	f := AppendFrame(nil, FrameShellData, 0xdeadbeef, []byte("ls\r"))
	kind, sid, p, err := ParseFrame(f)
	if err != nil || kind != FrameShellData || sid != 0xdeadbeef || string(p) != "ls\r" {
		t.Fatalf("got %d %x %q %v", kind, sid, p, err)
	}
	kind, sid, p, err = ParseFrame(CreditFrame(7, 4096))
	if err != nil || kind != FrameShellCredit || sid != 7 || Credit(p) != 4096 {
		t.Fatalf("credit: got %d %d %v %v", kind, sid, p, err)
	}
	bad := [][]byte{nil, {1, 0, 0}, {9, 0, 0, 0, 1}, {2, 0, 0, 0, 1, 5}, AppendFrame(nil, 1, 1, make([]byte, MaxShellData+1))}
	for i, b := range bad {
		if _, _, _, err := ParseFrame(b); err == nil {
			t.Errorf("bad frame %d accepted", i)
		}
	}
}

func TestTerminal(t *testing.T) {
	for _, s := range []string{StateSucceeded, StateFailed, StateTimedOut, StateCancelled, StateExpired} {
		if !Terminal(s) {
			t.Errorf("%s should be terminal", s)
		}
	}
	for _, s := range []string{StateQueued, StateSent, StateRunning, ""} {
		if Terminal(s) {
			t.Errorf("%s should not be terminal", s)
		}
	}
}
