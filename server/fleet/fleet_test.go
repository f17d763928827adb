package fleet

import (
	"testing"
	"time"

	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/events"
	"github.com/steward-rmm/steward/server/store"
	boltstore "github.com/steward-rmm/steward/server/store/bolt"
)

func TestSearchAndFilters(t *testing.T) {
	st, err := boltstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	f, err := New(st, events.New())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"a", "b"} {
		if err := st.CreateClient(store.Client{ID: c, Name: c}); err != nil {
			t.Fatal(err)
		}
		if err := st.CreateEnrollToken(store.EnrollToken{ID: "t" + c, ClientID: c, Hash: "h" + c}); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []store.Device{{ID: "d1", Hostname: "WEB-01", OS: "linux", KeyHash: "k1"},
		{ID: "d2", Hostname: "desk-7", OS: "windows", KeyHash: "k2"}} {
		tok := "ha"
		if d.ID == "d2" {
			tok = "hb"
		}
		d, _, err := st.Enroll(tok, time.Now(), d)
		if err != nil {
			t.Fatal(err)
		}
		f.Add(d)
	}
	f.SetInventory("d1", &protocol.Inventory{Hostname: "WEB-01", Interfaces: []protocol.Interface{{Name: "eth0",
		MAC: "52:54:00:AB:CD:EF", Addresses: []string{"10.1.2.3/24", "127.0.0.1/8"}}}})
	f.SetOnline("d2", protocol.Hello{}, "x")
	f.SetHealth("d2", &protocol.Health{Reboot: protocol.RebootStatus{Pending: true},
		Patches: protocol.PatchStatus{Available: []protocol.Patch{{ID: "KB1", Security: true}}}})
	yes := true
	cases := []struct {
		name string
		f    Filter
		want []string
	}{
		{"mac colons", Filter{Search: "52:54:00:ab:cd:ef"}, []string{"d1"}},
		{"mac bare upper", Filter{Search: "525400ABCDEF"}, []string{"d1"}},
		{"mac dashes", Filter{Search: "52-54-00-ab-cd-ef"}, []string{"d1"}},
		{"ip", Filter{Search: "10.1.2.3"}, []string{"d1"}},
		{"loopback not indexed", Filter{Search: "127.0.0.1"}, nil},
		{"name any case", Filter{Search: "web"}, []string{"d1"}},
		{"online", Filter{Online: &yes}, []string{"d2"}},
		{"pending reboot", Filter{PendingReboot: &yes}, []string{"d2"}},
		{"has patches", Filter{HasPatches: &yes}, []string{"d2"}},
		{"scope", Filter{Clients: []string{"a"}}, []string{"d1"}},
		{"empty scope", Filter{Clients: []string{}}, nil},
		{"os", Filter{OS: "WINDOWS"}, []string{"d2"}},
		{"type", Filter{DeviceType: "pc"}, []string{"d2"}},
	}
	for _, c := range cases {
		got, total := f.List(c.f)
		var ids []string
		for _, v := range got {
			ids = append(ids, v.ID)
		}
		if len(ids) != len(c.want) || total != len(c.want) || (len(ids) > 0 && ids[0] != c.want[0]) {
			t.Errorf("%s: got %v (total %d), want %v", c.name, ids, total, c.want)
		}
	}
	// Flush persists presence and heartbeat figures in one write.
	if err := f.Flush(); err != nil {
		t.Fatal(err)
	}
	d, _ := st.Device("d2")
	if !d.Heartbeat.PendingReboot || len(d.Transitions) != 1 || !d.Transitions[0].Online {
		t.Fatalf("flushed device %+v", d)
	}
	// A heartbeat alone waits for FlushAll; any other change takes the
	// heartbeat's figures along at the next Flush.
	f.Heartbeat("d1", protocol.Heartbeat{Seq: 7, CPUPercent: 42})
	if err := f.Flush(); err != nil {
		t.Fatal(err)
	}
	if d, _ := st.Device("d1"); d.Heartbeat.Seq == 7 {
		t.Fatal("heartbeat-only change written by Flush")
	}
	if err := f.FlushAll(); err != nil {
		t.Fatal(err)
	}
	if d, _ := st.Device("d1"); d.Heartbeat.Seq != 7 || d.LastSeen.IsZero() {
		t.Fatalf("FlushAll did not write the heartbeat: %+v", d.Heartbeat)
	}
	f.Heartbeat("d1", protocol.Heartbeat{Seq: 8})
	f.SetOnline("d1", protocol.Hello{}, "y")
	if err := f.Flush(); err != nil {
		t.Fatal(err)
	}
	if d, _ := st.Device("d1"); d.Heartbeat.Seq != 8 {
		t.Fatalf("dirty device flushed without its heartbeat: %+v", d.Heartbeat)
	}
}
