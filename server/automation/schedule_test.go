package automation

import (
	"testing"
	"time"

	"github.com/steward-rmm/steward/server/store"
)

func mustCompile(t *testing.T, s store.AutoSchedule) *schedule {
	t.Helper()
	c, err := compile(&s, time.UTC, time.Minute)
	if err != nil {
		t.Fatalf("compile %+v: %v", s, err)
	}
	return c
}

// TestScheduleTimes: due times of each kind, in the schedule's time zone
// across a daylight-saving change, strictly after the time given.
func TestScheduleTimes(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no time zone database")
	}
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct {
		name  string
		s     store.AutoSchedule
		after string
		want  string
	}{
		{"every 15 minutes", store.AutoSchedule{Kind: SchedEvery, Every: 900}, "2026-12-07T10:07:00Z", "2026-12-07T10:15:00Z"},
		{"every hour, exactly on one", store.AutoSchedule{Kind: SchedEvery, Every: 3600}, "2026-12-07T10:00:00Z", "2026-12-07T11:00:00Z"},
		{"daily in Paris, winter", store.AutoSchedule{Kind: SchedDaily, At: "03:00", TimeZone: "Europe/Paris"},
			"2026-12-07T10:00:00Z", "2026-12-08T02:00:00Z"},
		{"daily in Paris, over the spring change", store.AutoSchedule{Kind: SchedDaily, At: "03:30", TimeZone: "Europe/Paris"},
			"2026-03-28T12:00:00Z", "2026-03-29T01:30:00Z"},
		{"daily in Paris, summer", store.AutoSchedule{Kind: SchedDaily, At: "03:30", TimeZone: "Europe/Paris"},
			"2026-03-29T12:00:00Z", "2026-03-30T01:30:00Z"},
		{"weekly Tuesday and Thursday", store.AutoSchedule{Kind: SchedWeekly, At: "22:00", Weekdays: []int{2, 4}, TimeZone: "Europe/Paris"},
			"2026-12-09T10:00:00Z", "2026-12-10T21:00:00Z"}, // Wed -> Thu 22:00 Paris
		{"weekly later the same day", store.AutoSchedule{Kind: SchedWeekly, At: "22:00", Weekdays: []int{1}},
			"2026-12-07T10:00:00Z", "2026-12-07T22:00:00Z"},
		{"cron in Paris", store.AutoSchedule{Kind: SchedCron, Cron: "30 2 * * 1-5", TimeZone: "Europe/Paris"},
			"2026-12-05T10:00:00Z", "2026-12-07T01:30:00Z"}, // Saturday -> Monday 02:30 Paris
		{"cron descriptor", store.AutoSchedule{Kind: SchedCron, Cron: "@daily"}, "2026-12-05T10:00:00Z", "2026-12-06T00:00:00Z"},
	} {
		sc := mustCompile(t, c.s)
		if got := sc.nextBase(utc(c.after), nil); !got.Equal(utc(c.want)) {
			t.Errorf("%s: after %s got %s (%s), want %s", c.name, c.after, got.Format(time.RFC3339), got.In(paris), c.want)
		}
	}
}

// TestScheduleOffset: the spread shifts every due time by the device's
// offset, the offset is the same on every computation (restarts), and a
// device found between its base time and its offset time is due the
// same round.
func TestScheduleOffset(t *testing.T) {
	sc := mustCompile(t, store.AutoSchedule{Kind: SchedEvery, Every: 3600})
	off := offsetOf("dev1", "ap1", "t1", 600)
	if off != offsetOf("dev1", "ap1", "t1", 600) || off < 0 || off >= 600*time.Second {
		t.Fatalf("offset %v not stable or outside the spread", off)
	}
	if offsetOf("dev1", "ap1", "t1", 0) != 0 {
		t.Fatal("no spread, yet an offset")
	}
	base := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	if got := sc.next(base, off, nil); !got.Equal(base.Add(off)) && off > 0 {
		t.Fatalf("next after the base time = %v, want the same round at %v", got, base.Add(off))
	}
	if got := sc.next(base.Add(off), off, nil); !got.Equal(base.Add(time.Hour + off)) {
		t.Fatalf("next after the device's due time = %v, want the next round", got)
	}
	// Spread evenly: 10,000 devices over 600 s, ten buckets.
	var buckets [10]int
	for i := range 10000 {
		o := offsetOf("device-"+string(rune('a'+i%26))+time.Duration(i).String(), "ap1", "t1", 600)
		buckets[int(o/(60*time.Second))]++
	}
	for i, n := range buckets {
		if n < 800 || n > 1200 {
			t.Fatalf("bucket %d has %d of 10000 offsets: not even (%v)", i, n, buckets)
		}
	}
}

// TestScheduleRefused: bad schedules are refused with a reason.
func TestScheduleRefused(t *testing.T) {
	for _, s := range []store.AutoSchedule{
		{Kind: "hourly"},
		{Kind: SchedEvery, Every: 10},
		{Kind: SchedEvery, Every: 40 * 86400},
		{Kind: SchedDaily, At: "25:00"},
		{Kind: SchedDaily, At: "3:7"},
		{Kind: SchedWeekly, At: "03:00"},
		{Kind: SchedWeekly, At: "03:00", Weekdays: []int{7}},
		{Kind: SchedCron, Cron: "61 * * * *"},
		{Kind: SchedCron, Cron: "@every 5m"},
		{Kind: SchedCron, Cron: "* * * * * *"},
		{Kind: SchedDaily, At: "03:00", TimeZone: "Mars/Olympus"},
	} {
		if _, err := compile(&s, time.UTC, time.Minute); err == nil {
			t.Errorf("%+v accepted", s)
		}
	}
}
