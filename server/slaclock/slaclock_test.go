package slaclock

import (
	"testing"
	"time"
)

var paris, _ = time.LoadLocation("Europe/Paris")

// office is Mon-Fri 09:00-17:00 in Paris with Christmas off.
func office(t *testing.T) *Calendar {
	t.Helper()
	day := []Span{{9 * 60, 17 * 60}}
	c, err := New("Europe/Paris", [7][]Span{nil, day, day, day, day, day, nil}, []string{"2026-12-25"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, paris)
	if err != nil {
		panic(err)
	}
	return t
}

func TestAdd(t *testing.T) {
	c := office(t)
	for _, tc := range []struct {
		name, from string
		d          time.Duration
		want       string
	}{
		{"before opening", "2026-12-07 08:00", time.Hour, "2026-12-07 10:00"},
		{"within the day", "2026-12-07 10:30", 2 * time.Hour, "2026-12-07 12:30"},
		{"exactly to closing", "2026-12-07 16:00", time.Hour, "2026-12-07 17:00"},
		{"over the weekend", "2026-12-04 16:00", 8 * time.Hour, "2026-12-07 16:00"},
		{"from a Saturday", "2026-12-05 11:00", 30 * time.Minute, "2026-12-07 09:30"},
		{"over a holiday", "2026-12-24 16:00", 2 * time.Hour, "2026-12-28 10:00"},
		{"after closing", "2026-12-07 18:00", time.Minute, "2026-12-08 09:01"},
		{"over spring DST", "2026-03-27 16:00", 2 * time.Hour, "2026-03-30 10:00"},
		{"over autumn DST", "2026-10-23 16:30", time.Hour, "2026-10-26 09:30"},
		{"several days", "2026-12-07 09:00", 24 * time.Hour, "2026-12-09 17:00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.Add(at(tc.from), tc.d); !got.Equal(at(tc.want)) {
				t.Fatalf("Add(%s, %v) = %s, want %s", tc.from, tc.d, got.In(paris), tc.want)
			}
		})
	}
	// Across spring DST, 2h of business time is still 10:00 local, which
	// is 08:00 UTC on Monday though the Friday was UTC+1.
	if got := c.Add(at("2026-03-27 16:00"), 2*time.Hour).UTC(); got.Hour() != 8 {
		t.Fatalf("Monday after DST in UTC = %s", got)
	}
	var always *Calendar
	if got := always.Add(at("2026-12-05 23:00"), 2*time.Hour); !got.Equal(at("2026-12-06 01:00")) {
		t.Fatalf("24x7 Add = %s", got)
	}
	none, _ := New("UTC", [7][]Span{}, nil)
	if got := none.Add(at("2026-12-05 23:00"), time.Minute); !got.IsZero() {
		t.Fatalf("a calendar without working hours = %s, want zero", got)
	}
}

func TestBetween(t *testing.T) {
	c := office(t)
	for _, tc := range []struct {
		name, a, b string
		want       time.Duration
	}{
		{"a week", "2026-12-07 00:00", "2026-12-14 00:00", 40 * time.Hour},
		{"Christmas week", "2026-12-21 00:00", "2026-12-28 00:00", 32 * time.Hour},
		{"weekend only", "2026-12-05 08:00", "2026-12-06 20:00", 0},
		{"part of a day", "2026-12-07 08:30", "2026-12-07 09:45", 45 * time.Minute},
		{"backwards", "2026-12-08 00:00", "2026-12-07 00:00", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.Between(at(tc.a), at(tc.b)); got != tc.want {
				t.Fatalf("Between = %v, want %v", got, tc.want)
			}
		})
	}
	// Counting up to a bound stops past it without changing shorter sums.
	if got := c.between(at("2026-01-05 00:00"), at("2026-12-31 00:00"), 10*time.Hour); got < 10*time.Hour || got > 18*time.Hour {
		t.Errorf("between up to 10h = %v", got)
	}
	if got := c.between(at("2026-12-07 00:00"), at("2026-12-14 00:00"), 100*time.Hour); got != 40*time.Hour {
		t.Errorf("a week up to 100h = %v", got)
	}
	// A day that is all working time is 23 hours long on the spring DST
	// Sunday and 25 on the autumn one.
	all := []Span{{0, 1440}}
	c24, err := New("Europe/Paris", [7][]Span{all, all, all, all, all, all, all}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := c24.Between(at("2026-03-29 00:00"), at("2026-03-30 00:00")); got != 23*time.Hour {
		t.Fatalf("spring DST day = %v", got)
	}
	if got := c24.Between(at("2026-10-25 00:00"), at("2026-10-26 00:00")); got != 25*time.Hour {
		t.Fatalf("autumn DST day = %v", got)
	}
}

func TestNewRejects(t *testing.T) {
	for name, fn := range map[string]func() error{
		"zone":    func() error { _, err := New("Mars/Olympus", [7][]Span{}, nil); return err },
		"span":    func() error { _, err := New("UTC", [7][]Span{{{600, 500}}}, nil); return err },
		"past 24": func() error { _, err := New("UTC", [7][]Span{{{600, 1500}}}, nil); return err },
		"overlap": func() error { _, err := New("UTC", [7][]Span{{{0, 600}, {500, 700}}}, nil); return err },
		"holiday": func() error { _, err := New("UTC", [7][]Span{}, []string{"25/12/2026"}); return err },
	} {
		if fn() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func ev(s string, paused, stopped bool) Event {
	return Event{At: at(s), Paused: paused, Stopped: stopped}
}

func TestCompute(t *testing.T) {
	c := office(t)
	open := ev("2026-12-07 09:00", false, false)
	for _, tc := range []struct {
		name         string
		in           Input
		due, breach  string // "" = zero
		frDue, frBr  string
		left         time.Duration
		paused, stop bool
	}{
		{name: "running, in time", in: Input{Resolution: 4 * time.Hour, FirstResponse: time.Hour, Events: []Event{open},
			Now: at("2026-12-07 10:00"), RespondedAt: at("2026-12-07 09:30")},
			due: "2026-12-07 13:00", frDue: "2026-12-07 10:00"},
		{name: "pause and resume", in: Input{Resolution: 4 * time.Hour, Events: []Event{open,
			ev("2026-12-07 10:00", true, false), ev("2026-12-07 14:00", false, false)}, Now: at("2026-12-07 15:00")},
			due: "2026-12-07 17:00"},
		{name: "paused now", in: Input{Resolution: 4 * time.Hour, Events: []Event{open, ev("2026-12-07 10:00", true, false)},
			Now: at("2026-12-09 10:00")}, left: 3 * time.Hour, paused: true},
		{name: "first response never pauses", in: Input{FirstResponse: 2 * time.Hour, Resolution: 8 * time.Hour, Events: []Event{open,
			ev("2026-12-07 09:30", true, false)}, Now: at("2026-12-07 12:00")},
			frDue: "2026-12-07 11:00", frBr: "2026-12-07 11:00", left: 7*time.Hour + 30*time.Minute, paused: true},
		{name: "answered late", in: Input{FirstResponse: time.Hour, Events: []Event{open}, RespondedAt: at("2026-12-07 10:30"),
			Now: at("2026-12-07 11:00")}, frDue: "2026-12-07 10:00", frBr: "2026-12-07 10:00"},
		{name: "overdue", in: Input{Resolution: 2 * time.Hour, Events: []Event{open}, Now: at("2026-12-07 12:00")},
			due: "2026-12-07 11:00", breach: "2026-12-07 11:00"},
		{name: "priority raised mid-way breaches at the history's point", in: Input{Resolution: 2 * time.Hour, Events: []Event{open,
			ev("2026-12-07 12:00", false, false)}, Now: at("2026-12-07 12:00")},
			due: "2026-12-07 11:00", breach: "2026-12-07 11:00"},
		{name: "SLA changed after waiting keeps the wait", in: Input{Resolution: 4 * time.Hour, Events: []Event{open,
			ev("2026-12-07 09:30", true, false), ev("2026-12-07 16:00", false, false)}, Now: at("2026-12-07 16:00")},
			due: "2026-12-08 11:30"},
		{name: "resolved in time", in: Input{Resolution: 4 * time.Hour, Events: []Event{open, ev("2026-12-07 11:00", false, true)},
			Now: at("2026-12-09 11:00")}, left: 2 * time.Hour, stop: true},
		{name: "reopened resumes", in: Input{Resolution: 4 * time.Hour, Events: []Event{open, ev("2026-12-07 11:00", false, true),
			ev("2026-12-08 09:00", false, false)}, Now: at("2026-12-08 09:00")}, due: "2026-12-08 11:00"},
		{name: "breach stays breached under a looser target", in: Input{Resolution: 40 * time.Hour, Events: []Event{open},
			Now: at("2026-12-07 12:00"), ResolutionBreached: at("2026-12-07 11:00"), FirstResponseBreached: at("2026-12-07 10:00")},
			due: "2026-12-11 17:00", breach: "2026-12-07 11:00", frBr: "2026-12-07 10:00"},
		{name: "over a weekend and a holiday with a pause", in: Input{Resolution: 8 * time.Hour, Events: []Event{
			ev("2026-12-24 15:00", false, false), ev("2026-12-24 16:00", true, false), ev("2026-12-28 10:00", false, false)},
			Now: at("2026-12-28 10:00")}, due: "2026-12-28 17:00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.in.Calendar = c
			got := Compute(tc.in)
			check := func(what string, g time.Time, want string) {
				t.Helper()
				if want == "" && !g.IsZero() || want != "" && !g.Equal(at(want)) {
					t.Errorf("%s = %s, want %q", what, g.In(paris).Format("2006-01-02 15:04"), want)
				}
			}
			check("resolution due", got.ResolutionDue, tc.due)
			check("resolution breached", got.ResolutionBreached, tc.breach)
			check("first response due", got.FirstResponseDue, tc.frDue)
			check("first response breached", got.FirstResponseBreached, tc.frBr)
			if got.ResolutionLeft != tc.left || got.Paused != tc.paused || got.Stopped != tc.stop {
				t.Errorf("left %v paused %v stopped %v, want %v %v %v", got.ResolutionLeft, got.Paused, got.Stopped, tc.left, tc.paused, tc.stop)
			}
		})
	}
}

// TestComputeWarn: the warning falls at the share of each target in
// business time; a pause moves the resolution warning by the time paused;
// a paused clock short of the share has none; one crossed before a pause
// keeps when it was crossed; no share, no warnings.
func TestComputeWarn(t *testing.T) {
	c := office(t)
	open := Event{At: at("2026-12-07 16:00")} // Monday
	in := Input{Calendar: c, FirstResponse: time.Hour, Resolution: 10 * time.Hour, Events: []Event{open},
		Now: at("2026-12-07 16:10"), WarnShare: 0.8}
	out := Compute(in)
	if want := at("2026-12-07 16:48"); !out.FirstResponseWarn.Equal(want) {
		t.Errorf("first-response warning = %v, want %v", out.FirstResponseWarn, want)
	}
	// 8 h of business time: 1 h on Monday, 7 h on Tuesday.
	if want := at("2026-12-08 16:00"); !out.ResolutionWarn.Equal(want) {
		t.Errorf("resolution warning = %v, want %v", out.ResolutionWarn, want)
	}
	// Paused on Tuesday 10:00 (2 h used) and resumed on Wednesday 09:00:
	// 6 h more are needed from then.
	in.Events = []Event{open, {At: at("2026-12-08 10:00"), Paused: true}, {At: at("2026-12-09 09:00")}}
	in.Now = at("2026-12-09 09:30")
	if got, want := Compute(in).ResolutionWarn, at("2026-12-09 15:00"); !got.Equal(want) {
		t.Errorf("resolution warning after a pause = %v, want %v", got, want)
	}
	in.Events = in.Events[:2]
	in.Now = at("2026-12-08 12:00")
	if got := Compute(in).ResolutionWarn; !got.IsZero() {
		t.Errorf("paused short of the share: warning %v", got)
	}
	// Paused on Wednesday 12:00, long past the share: the warning stays
	// when the share was reached.
	in.Events = []Event{open, {At: at("2026-12-09 12:00"), Paused: true}}
	in.Now = at("2026-12-09 13:00")
	if got, want := Compute(in).ResolutionWarn, at("2026-12-08 16:00"); !got.Equal(want) {
		t.Errorf("warning crossed before the pause = %v, want %v", got, want)
	}
	in.WarnShare = 0
	if out := Compute(in); !out.FirstResponseWarn.IsZero() || !out.ResolutionWarn.IsZero() {
		t.Errorf("no share, warnings %v %v", out.FirstResponseWarn, out.ResolutionWarn)
	}
}
