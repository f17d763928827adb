// Package slaclock computes service-level deadlines in business time: a
// Calendar says which minutes count (working hours per weekday in a time
// zone, minus holidays), and Compute turns a ticket's recorded clock
// history (each change of status, with whether it pauses or stops the
// clock) into its first-response and resolution deadlines and breaches.
//
// Deadlines are always recomputed from the whole history with the current
// targets, so changing a ticket's SLA or priority keeps the time it spent
// paused (recomputing from the open date instead is a known bug class of
// service desks: the waiting time is lost and the ticket looks breached).
// The package is pure: no store, no clock of its own.
package slaclock

import (
	"fmt"
	"slices"
	"time"
)

// Span is a working span of a day, in minutes from local midnight:
// [Start, End), End at most 1440.
type Span struct{ Start, End int }

// Calendar is a business-hours calendar. The zero value (and nil) counts
// every minute.
type Calendar struct {
	loc      *time.Location
	week     [7][]Span
	holidays map[int]bool // y*10000 + m*100 + d
	working  bool         // some weekday has a span
	set      bool
}

// maxDays bounds the search for working time (a calendar whose only
// working days are holidays would otherwise never end).
const maxDays = 3 * 366

// New builds a calendar of time zone tz ("" = UTC), the working spans of
// each weekday (index 0 = Sunday) and holidays as dates "2006-01-02" in
// that zone.
func New(tz string, week [7][]Span, holidays []string) (*Calendar, error) {
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, fmt.Errorf("time zone %q: %w", tz, err)
	}
	c := &Calendar{loc: loc, holidays: map[int]bool{}, set: true}
	for d, spans := range week {
		for _, s := range spans {
			if s.Start < 0 || s.End > 1440 || s.Start >= s.End {
				return nil, fmt.Errorf("working span %d-%d of weekday %d: minutes must satisfy 0 <= start < end <= 1440", s.Start, s.End, d)
			}
		}
		sorted := slices.Clone(spans)
		slices.SortFunc(sorted, func(a, b Span) int { return a.Start - b.Start })
		for i := 1; i < len(sorted); i++ {
			if sorted[i].Start < sorted[i-1].End {
				return nil, fmt.Errorf("working spans of weekday %d overlap", d)
			}
		}
		c.week[d] = sorted
		c.working = c.working || len(sorted) > 0
	}
	for _, h := range holidays {
		d, err := time.Parse(time.DateOnly, h)
		if err != nil {
			return nil, fmt.Errorf("holiday %q: want YYYY-MM-DD", h)
		}
		c.holidays[dateKey(d)] = true
	}
	return c, nil
}

// dateKey is a date as an integer, to look holidays up without
// formatting.
func dateKey(t time.Time) int {
	y, m, d := t.Date()
	return y*10000 + int(m)*100 + d
}

func (c *Calendar) always() bool { return c == nil || !c.set }

// dayStart is local midnight of t's day.
func (c *Calendar) dayStart(t time.Time) time.Time {
	y, m, d := t.In(c.loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, c.loc)
}

// spans calls fn with the working intervals of the local day starting at
// day (midnight), in order, until fn returns false.
func (c *Calendar) spans(day time.Time, fn func(s, e time.Time) bool) bool {
	y, m, d := day.Date()
	if c.holidays[y*10000+int(m)*100+d] {
		return true
	}
	for _, sp := range c.week[day.Weekday()] {
		// time.Date places wall times in the zone, so a span keeps its
		// local hours across a daylight-saving change.
		s := time.Date(y, m, d, 0, sp.Start, 0, 0, c.loc)
		e := time.Date(y, m, d, 0, sp.End, 0, 0, c.loc)
		if !fn(s, e) {
			return false
		}
	}
	return true
}

func nextDay(day time.Time) time.Time {
	y, m, d := day.Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, day.Location())
}

// Add returns the instant d of business time after from (from itself for
// d <= 0), or the zero time when the calendar has no working time within
// maxDays.
func (c *Calendar) Add(from time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return from
	}
	if c.always() {
		return from.Add(d)
	}
	if !c.working {
		return time.Time{}
	}
	var out time.Time
	day := c.dayStart(from)
	for i := 0; i < maxDays && out.IsZero(); i++ {
		c.spans(day, func(s, e time.Time) bool {
			if !e.After(from) {
				return true
			}
			if s.Before(from) {
				s = from
			}
			if avail := e.Sub(s); d <= avail {
				out = s.Add(d)
				return false
			} else {
				d -= avail
			}
			return true
		})
		day = nextDay(day)
	}
	return out
}

// Between returns the business time in [a, b).
func (c *Calendar) Between(a, b time.Time) time.Duration { return c.between(a, b, -1) }

// between is Between, but stops counting at upTo when upTo >= 0: a
// ticket open for a year needs its days walked only until its target
// is used up.
func (c *Calendar) between(a, b time.Time, upTo time.Duration) time.Duration {
	if !b.After(a) {
		return 0
	}
	if c.always() {
		return b.Sub(a)
	}
	var sum time.Duration
	for day := c.dayStart(a); day.Before(b) && (upTo < 0 || sum < upTo); day = nextDay(day) {
		c.spans(day, func(s, e time.Time) bool {
			if s.Before(a) {
				s = a
			}
			if e.After(b) {
				e = b
			}
			if e.After(s) {
				sum += e.Sub(s)
			}
			return true
		})
	}
	return sum
}

// Event is a ticket's clock state from At on: Paused (a status that
// pauses the resolution clock) or Stopped (resolved, closed, deleted).
type Event struct {
	At      time.Time
	Paused  bool
	Stopped bool
}

// Input is what Compute needs: the calendar, the targets (0 = none), the
// clock history oldest first (its first event is the opening), when the
// first response was given (zero = not yet), now, and the breaches
// recorded before, which are kept.
type Input struct {
	Calendar              *Calendar
	FirstResponse         time.Duration
	Resolution            time.Duration
	Events                []Event
	RespondedAt           time.Time
	Now                   time.Time
	FirstResponseBreached time.Time
	ResolutionBreached    time.Time
	// WarnShare is the share of each target (0 to 1, exclusive) after
	// which a warning is due; 0: no warnings.
	WarnShare float64
}

// Output is the computed state. ResolutionDue is zero while the clock is
// paused or stopped (ResolutionLeft then says what remains) or when there
// is no target.
type Output struct {
	FirstResponseDue      time.Time
	ResolutionDue         time.Time
	ResolutionLeft        time.Duration
	Paused, Stopped       bool
	FirstResponseBreached time.Time
	ResolutionBreached    time.Time
	// FirstResponseWarn and ResolutionWarn are when WarnShare of each
	// target is (or was) used: zero without a target or a share, and for
	// the resolution while the clock is paused or stopped short of it.
	FirstResponseWarn time.Time
	ResolutionWarn    time.Time
}

// share is the WarnShare part of target d, or 0 without a valid share.
func share(d time.Duration, s float64) time.Duration {
	if s <= 0 || s >= 1 {
		return 0
	}
	return time.Duration(float64(d) * s)
}

// Compute computes deadlines and breaches from the clock history. The
// first-response clock never pauses; the resolution clock runs only
// while the state is neither paused nor stopped. A breach recorded in in
// stays, whatever the new targets.
func Compute(in Input) Output {
	out := Output{FirstResponseBreached: in.FirstResponseBreached, ResolutionBreached: in.ResolutionBreached}
	if len(in.Events) == 0 {
		return out
	}
	opened := in.Events[0].At
	if in.FirstResponse > 0 {
		out.FirstResponseDue = in.Calendar.Add(opened, in.FirstResponse)
		if w := share(in.FirstResponse, in.WarnShare); w > 0 {
			out.FirstResponseWarn = in.Calendar.Add(opened, w)
		}
		due := out.FirstResponseDue
		if !due.IsZero() && out.FirstResponseBreached.IsZero() &&
			((in.RespondedAt.IsZero() && !in.Now.Before(due)) || in.RespondedAt.After(due)) {
			out.FirstResponseBreached = due
		}
	}
	if in.Resolution <= 0 {
		return out
	}
	var used time.Duration
	breach := time.Time{}
	warnAt := share(in.Resolution, in.WarnShare)
	for i, ev := range in.Events {
		if ev.Paused || ev.Stopped {
			continue
		}
		end := in.Now
		if i+1 < len(in.Events) {
			end = in.Events[i+1].At
		}
		// Past the target only the fact of the breach matters, so the
		// segment is counted up to what remains.
		seg := in.Calendar.between(ev.At, end, max(in.Resolution-used, 0))
		if breach.IsZero() && used+seg >= in.Resolution {
			breach = in.Calendar.Add(ev.At, in.Resolution-used)
		}
		// The warning is when the share was used, or, in the running last
		// segment, when it will be.
		if warnAt > 0 && out.ResolutionWarn.IsZero() && (used+seg >= warnAt || i+1 == len(in.Events)) {
			out.ResolutionWarn = in.Calendar.Add(ev.At, max(warnAt-used, 0))
		}
		if i+1 == len(in.Events) {
			if used >= in.Resolution {
				out.ResolutionDue = breach // overdue since then
			} else {
				out.ResolutionDue = in.Calendar.Add(ev.At, in.Resolution-used)
			}
		}
		used += seg
	}
	last := in.Events[len(in.Events)-1]
	out.Paused, out.Stopped = last.Paused && !last.Stopped, last.Stopped
	if out.Paused || out.Stopped {
		out.ResolutionLeft = max(in.Resolution-used, 0)
	}
	if !breach.IsZero() && breach.After(in.Now) {
		breach = time.Time{} // not reached yet (Now inside the last segment's end)
	}
	if out.ResolutionBreached.IsZero() {
		out.ResolutionBreached = breach
	}
	return out
}
