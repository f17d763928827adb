package automation

import (
	"strings"
	"testing"
	"time"

	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/store"
)

// testClientZones is the clients' zones as the wiring gives them.
type testClientZones map[string]string

func (z testClientZones) ClientTimeZones() map[string]string { return z }

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Skipf("no time zone database: %v", err)
	}
	return loc
}

// TestScheduleDeviceZone: "daily 09:00 device" is 09:00 in each
// device's own zone: two devices in different zones get different UTC
// due times, each 09:00 local.
func TestScheduleDeviceZone(t *testing.T) {
	paris, tokyo := mustZone(t, "Europe/Paris"), mustZone(t, "Asia/Tokyo")
	sc := mustCompile(t, store.AutoSchedule{Kind: SchedDaily, At: "09:00", TimeZone: ZoneDevice})
	after := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	p, k := sc.next(after, 0, paris), sc.next(after, 0, tokyo)
	if !p.Equal(time.Date(2026, 12, 8, 8, 0, 0, 0, time.UTC)) || !k.Equal(time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("Paris %v, Tokyo %v: want 08:00Z and 00:00Z on Dec 8", p, k)
	}
	if h, m, _ := p.In(paris).Clock(); h != 9 || m != 0 {
		t.Fatalf("Paris due at %v local", p.In(paris))
	}
	// No zone given: the schedule's fallback (the server's, UTC here).
	if d := sc.next(after, 0, nil); !d.Equal(time.Date(2026, 12, 8, 9, 0, 0, 0, time.UTC)) {
		t.Fatalf("fallback due %v, want 09:00Z", d)
	}
	for _, z := range []string{ZoneDevice, ZoneClient, "America/New_York", ""} {
		if _, err := compile(&store.AutoSchedule{Kind: SchedDaily, At: "09:00", TimeZone: z}, time.UTC, time.Minute); err != nil {
			t.Errorf("zone %q refused: %v", z, err)
		}
	}
	for _, z := range []string{"Local", "Mars/Olympus", "device ", "../../etc/passwd"} {
		_, err := compile(&store.AutoSchedule{Kind: SchedDaily, At: "09:00", TimeZone: z}, time.UTC, time.Minute)
		if err == nil || !strings.Contains(err.Error(), "unknown time zone") {
			t.Errorf("zone %q: err %v, want unknown time zone", z, err)
		}
	}
}

// TestScheduleDST: a daily 02:30 task in New York runs exactly once on
// the spring-forward day (02:30 does not exist: time.Date makes it
// 01:30 EST, an hour off)
// and exactly once on the fall-back day (01:30 happens twice; 02:30
// once), stepping due time to due time as the scheduler does.
func TestScheduleDST(t *testing.T) {
	ny := mustZone(t, "America/New_York")
	for _, at := range []string{"02:30", "01:30"} {
		sc := mustCompile(t, store.AutoSchedule{Kind: SchedDaily, At: at, TimeZone: ZoneDevice})
		for _, span := range []struct{ from, to time.Time }{
			{time.Date(2026, 3, 6, 12, 0, 0, 0, ny), time.Date(2026, 3, 10, 12, 0, 0, 0, ny)},   // spring forward Mar 8
			{time.Date(2026, 10, 30, 12, 0, 0, 0, ny), time.Date(2026, 11, 3, 12, 0, 0, 0, ny)}, // fall back Nov 1
		} {
			perDay := map[string]int{}
			for tm := sc.next(span.from, 0, ny); tm.Before(span.to); tm = sc.next(tm, 0, ny) {
				perDay[tm.In(ny).Format(time.DateOnly)]++
			}
			if len(perDay) != 4 {
				t.Fatalf("daily %s from %v: ran on %v, want 4 days", at, span.from, perDay)
			}
			for d, n := range perDay {
				if n != 1 {
					t.Fatalf("daily %s: %d runs on %s (%v), want 1", at, n, d, perDay)
				}
			}
		}
	}
	// The skipped 02:30 runs an hour off (01:30 EST, 06:30Z) that day.
	sc := mustCompile(t, store.AutoSchedule{Kind: SchedDaily, At: "02:30"})
	if got := sc.next(time.Date(2026, 3, 8, 0, 0, 0, 0, ny), 0, ny); !got.Equal(time.Date(2026, 3, 8, 6, 30, 0, 0, time.UTC)) {
		t.Fatalf("spring-forward 02:30 due %v, want 06:30Z", got)
	}
}

// TestSchedulerDSTRunsOnce: the scheduler itself, on a device in New
// York over both change days: one start per day, on the right day.
func TestSchedulerDSTRunsOnce(t *testing.T) {
	mustZone(t, "America/New_York")
	for _, from := range []time.Time{time.Date(2026, 3, 6, 12, 0, 0, 0, time.UTC), time.Date(2026, 10, 30, 12, 0, 0, 0, time.UTC)} {
		r := newRig(t, 1)
		r.now = from
		r.fleet.set("d00000", func(s *fleet.Sample) { s.TimeZone = "America/New_York" })
		r.profile(store.AutoProfile{ID: "ap1", Name: "Nightly", Tasks: []store.AutoTask{{ID: "t1", Name: "scan", Action: ActionPatchScan,
			Schedule: store.AutoSchedule{Kind: SchedDaily, At: "02:30", TimeZone: ZoneDevice}}}}, store.ProfileAssignment{Level: store.LevelDefault})
		r.until(from.Add(4 * 24 * time.Hour))
		perDay := map[string]int{}
		ny := mustZone(t, "America/New_York")
		for _, s := range r.runner.taken() {
			perDay[s.at.In(ny).Format(time.DateOnly)]++
		}
		if len(perDay) != 4 {
			t.Fatalf("from %v: started on %v, want 4 days", from, perDay)
		}
		for d, n := range perDay {
			if n != 1 {
				t.Fatalf("from %v: %d starts on %s, want 1", from, n, d)
			}
		}
	}
}

// TestSchedulerZonesPerDevice: "daily 09:00 device" is due at 09:00 in
// each device's zone, a device with no zone falls back to its client's
// then the server's; "client" uses the client's; a changed zone
// recomputes the due time at the next reconcile; zones are loaded once
// (entries share one *time.Location).
func TestSchedulerZonesPerDevice(t *testing.T) {
	paris, tokyo, ny := mustZone(t, "Europe/Paris"), mustZone(t, "Asia/Tokyo"), mustZone(t, "America/New_York")
	r := newRig(t, 4)
	r.czones["c1"] = "America/New_York"
	r.fleet.set("d00000", func(s *fleet.Sample) { s.TimeZone = "Europe/Paris" })
	r.fleet.set("d00001", func(s *fleet.Sample) { s.TimeZone = "Asia/Tokyo" })
	r.fleet.set("d00002", func(s *fleet.Sample) { s.TimeZone = "Not/AZone" }) // falls back to the client's
	r.fleet.set("d00003", func(s *fleet.Sample) { s.ClientID = "c2" })        // nothing: the server's (UTC)
	r.profile(store.AutoProfile{ID: "ap1", Name: "Morning", Tasks: []store.AutoTask{
		{ID: "dev", Name: "scan", Action: ActionPatchScan, Schedule: store.AutoSchedule{Kind: SchedDaily, At: "09:00", TimeZone: ZoneDevice}},
		{ID: "cli", Name: "scan", Action: ActionPatchScan, Schedule: store.AutoSchedule{Kind: SchedDaily, At: "09:00", TimeZone: ZoneClient}},
	}}, store.ProfileAssignment{Level: store.LevelDefault})
	r.w.tick(r.now)
	next := func(task, dev string) time.Time {
		r.w.mu.Lock()
		defer r.w.mu.Unlock()
		return r.w.entries[key{"ap1", task, dev}].st.NextRun
	}
	for _, c := range []struct {
		task, dev string
		loc       *time.Location
	}{
		{"dev", "d00000", paris}, {"dev", "d00001", tokyo}, {"dev", "d00002", ny}, {"dev", "d00003", time.UTC},
		{"cli", "d00000", ny}, {"cli", "d00001", ny}, {"cli", "d00003", time.UTC},
	} {
		got := next(c.task, c.dev).In(c.loc)
		if h, m, _ := got.Clock(); h != 9 || m != 0 || !got.After(r.now) || got.Sub(r.now) > 24*time.Hour {
			t.Errorf("task %s on %s due %v, want the next 09:00 in %s", c.task, c.dev, got, c.loc)
		}
	}
	if a, b := next("dev", "d00000"), next("dev", "d00001"); a.Equal(b) {
		t.Fatalf("devices in Paris and Tokyo both due at %v", a)
	}
	r.w.mu.Lock()
	same := r.w.entries[key{"ap1", "cli", "d00000"}].loc == r.w.entries[key{"ap1", "cli", "d00001"}].loc
	r.w.mu.Unlock()
	if !same {
		t.Fatal("two devices of one client hold different locations: zones not cached")
	}
	// The device moves to Tokyo and the client to Paris: recomputed at
	// the next reconcile.
	r.fleet.set("d00000", func(s *fleet.Sample) { s.TimeZone = "Asia/Tokyo" })
	r.czones["c1"] = "Europe/Paris"
	r.now = r.now.Add(time.Minute)
	r.w.tick(r.now) // reconcile due: Reconcile is a minute in the rig
	if got := next("dev", "d00000"); !got.Equal(next("dev", "d00001")) {
		t.Fatalf("after moving to Tokyo due %v, want Tokyo's %v", got, next("dev", "d00001"))
	}
	if got := next("cli", "d00001").In(paris); got.Hour() != 9 {
		t.Fatalf("after the client moved to Paris due %v", got)
	}
}

// TestPatchWindowInClientZone: a patch policy whose window is in the
// "client" zone opens at its start time in each device's client's zone.
func TestPatchWindowInClientZone(t *testing.T) {
	tokyo := mustZone(t, "Asia/Tokyo")
	r := newRig(t, 2)
	r.czones["c1"] = "Asia/Tokyo"
	r.fleet.set("d00001", func(s *fleet.Sample) { s.ClientID = "c2" }) // no zone: the server's (UTC)
	r.profile(store.AutoProfile{ID: "ap1", Name: "Patch", Tasks: []store.AutoTask{}, Patch: &store.PatchPolicy{Auto: AutoSecurity,
		Weekdays: []int{0, 1, 2, 3, 4, 5, 6}, Start: "02:00", Minutes: 60, TimeZone: ZoneClient, Reboot: RebootNever}},
		store.ProfileAssignment{Level: store.LevelDefault})
	r.w.tick(r.now)
	r.w.mu.Lock()
	a, b := r.w.entries[key{"ap1", PatchTaskID, "d00000"}], r.w.entries[key{"ap1", PatchTaskID, "d00001"}]
	r.w.mu.Unlock()
	if a == nil || b == nil {
		t.Fatal("patch policy not scheduled on both devices")
	}
	// Each at its offset in the window's first half (30 min).
	if base := a.st.NextRun.Add(-a.offset).In(tokyo); base.Hour() != 2 || base.Minute() != 0 {
		t.Fatalf("Tokyo client's window opens %v, want 02:00 Tokyo", base)
	}
	if base := b.st.NextRun.Add(-b.offset).UTC(); base.Hour() != 2 || base.Minute() != 0 {
		t.Fatalf("zone-less client's window opens %v, want 02:00 UTC", base)
	}
}
