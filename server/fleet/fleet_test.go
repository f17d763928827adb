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

// TestRetiredFavoritesMonitoredAndTypes: retired devices are hidden unless
// asked for or named by ID, favourites and exclusions filter, monitoring
// defaults to "in service", "workstation" means pc, and the overview
// counts leave retired devices out.
func TestRetiredFavoritesMonitoredAndTypes(t *testing.T) {
	st, err := boltstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	f, err := New(st, events.New())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateClient(store.Client{ID: "a", Name: "a"}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateEnrollToken(store.EnrollToken{ID: "t", ClientID: "a", Hash: "h"}); err != nil {
		t.Fatal(err)
	}
	for _, d := range []store.Device{{ID: "d1", Hostname: "ws", OS: "windows", KeyHash: "k1"}, {ID: "d2", Hostname: "srv", OS: "linux", KeyHash: "k2"}} {
		d, _, err := st.Enroll("h", time.Now(), d)
		if err != nil {
			t.Fatal(err)
		}
		f.Add(d)
	}
	f.SetRetired("d2", true, "admin", time.Now())
	ids := func(fl Filter) string {
		vs, total := f.List(fl)
		s := ""
		for _, v := range vs {
			s += v.ID + " "
		}
		if total != len(vs) {
			t.Errorf("total %d for %d views", total, len(vs))
		}
		return s
	}
	yes, no := true, false
	for _, c := range []struct {
		f    Filter
		want string
	}{
		{Filter{}, "d1 "},
		{Filter{Retired: &yes}, "d2 "},
		{Filter{WithRetired: true}, "d2 d1 "}, // by hostname: srv, ws
		{Filter{IDs: []string{"d2"}}, "d2 "},
		{Filter{Favorites: map[string]bool{"d2": true}, WithRetired: true}, "d2 "},
		{Filter{Excluded: map[string]bool{"d1": true}}, ""},
		{Filter{Monitored: &yes, WithRetired: true}, "d1 "},
		{Filter{Monitored: &no, WithRetired: true}, "d2 "},
		{Filter{Monitored: &yes, IsMonitored: func(id string) bool { return id == "d2" }, WithRetired: true}, "d2 "},
		{Filter{DeviceType: "workstation"}, "d1 "},
		{Filter{DeviceType: "server"}, ""},
	} {
		if got := ids(c.f); got != c.want {
			t.Errorf("%+v lists %q, want %q", c.f, got, c.want)
		}
	}
	if !f.Pending("d2") || !f.Retired("d2") || f.Pending("d1") || f.Active() != 1 {
		t.Errorf("retired d2: pending %v retired %v; d1 pending %v; active %d", f.Pending("d2"), f.Retired("d2"), f.Pending("d1"), f.Active())
	}
	if s := f.Summarize(nil)[""]; s.Total != 1 {
		t.Errorf("overview counts %d devices, want the one in service", s.Total)
	}
	if !f.Move("d1", "b", "g") {
		t.Fatal("move")
	}
	if d, _, _ := f.Device("d1"); d.ClientID != "b" || d.Group != "g" {
		t.Errorf("moved: %+v", d)
	}
}

// TestReportHashesLoadedAndKept checks the hashes a welcome carries: loaded
// with the devices at start (no storage read per connection) and replaced
// when a new report is stored.
func TestReportHashesLoadedAndKept(t *testing.T) {
	st, err := boltstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.CreateClient(store.Client{ID: "a", Name: "a"}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateEnrollToken(store.EnrollToken{ID: "ta", ClientID: "a", Hash: "ha"}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"d1", "d2"} {
		if _, _, err := st.Enroll("ha", time.Now(), store.Device{ID: id, Hostname: id, OS: "linux", KeyHash: "k" + id}); err != nil {
			t.Fatal(err)
		}
	}
	inv, err := InventoryRecord("d1", "inv-1", time.Now(), &protocol.Inventory{Hostname: "d1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.PutInventory(inv); err != nil {
		t.Fatal(err)
	}
	hl, err := HealthRecord("d1", "health-1", time.Now(), &protocol.Health{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.PutHealth(hl); err != nil {
		t.Fatal(err)
	}
	f, err := New(st, events.New())
	if err != nil {
		t.Fatal(err)
	}
	if i, h := f.ReportHashes("d1"); i != "inv-1" || h != "health-1" {
		t.Fatalf("loaded hashes %q %q, want inv-1 health-1", i, h)
	}
	if i, h := f.ReportHashes("d2"); i != "" || h != "" {
		t.Fatalf("a device without reports has hashes %q %q", i, h)
	}
	f.SetReportHashes("d1", "inv-2", "")
	if i, h := f.ReportHashes("d1"); i != "inv-2" || h != "health-1" {
		t.Fatalf("after a new inventory: %q %q", i, h)
	}
	f.SetReportHashes("d1", "", "health-2")
	if i, h := f.ReportHashes("d1"); i != "inv-2" || h != "health-2" {
		t.Fatalf("after a new health report: %q %q", i, h)
	}
	if i, _ := f.ReportHashes("unknown"); i != "" {
		t.Fatal("an unknown device has a hash")
	}
}
