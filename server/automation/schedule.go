package automation

import (
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/steward-rmm/steward/server/store"
)

// Schedule kinds.
const (
	SchedEvery  = "every"
	SchedDaily  = "daily"
	SchedWeekly = "weekly"
	SchedCron   = "cron"
)

// cronParser reads standard five-field cron expressions and the
// descriptors (@daily, @hourly...); @every is refused (use kind every).
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// schedule is a task's schedule compiled for computing due times.
type schedule struct {
	kind     string
	every    time.Duration
	hour     int
	minute   int
	weekdays [7]bool
	cron     cron.Schedule
	loc      *time.Location
	// zone is ZoneDevice or ZoneClient when each device's due times are
	// in its own (or its client's) zone; loc is then only the fallback.
	zone   string
	anchor time.Time
}

// compile checks a schedule and compiles it; def is the time zone of
// schedules that name none, minEvery the shortest interval allowed.
func compile(s *store.AutoSchedule, def *time.Location, minEvery time.Duration) (*schedule, error) {
	c := &schedule{kind: s.Kind, loc: def}
	switch s.TimeZone {
	case "":
	case ZoneDevice, ZoneClient:
		c.zone = s.TimeZone
	default:
		loc, err := LoadZone(s.TimeZone)
		if err != nil {
			return nil, fmt.Errorf("%w (or \"device\", \"client\", or empty for the server's zone)", err)
		}
		c.loc = loc
	}
	switch s.Kind {
	case SchedEvery:
		c.every = time.Duration(s.Every) * time.Second
		if c.every < minEvery || c.every > 31*24*time.Hour {
			return nil, fmt.Errorf("every must be between %d seconds and 31 days", int(minEvery/time.Second))
		}
		c.anchor = s.Start
	case SchedDaily, SchedWeekly:
		h, m, err := parseClock(s.At)
		if err != nil {
			return nil, err
		}
		c.hour, c.minute = h, m
		if s.Kind == SchedWeekly {
			if len(s.Weekdays) == 0 {
				return nil, errors.New("a weekly schedule needs weekdays (0 = Sunday .. 6)")
			}
			for _, d := range s.Weekdays {
				if d < 0 || d > 6 {
					return nil, errors.New("weekdays are 0 (Sunday) .. 6")
				}
				c.weekdays[d] = true
			}
		}
	case SchedCron:
		if strings.HasPrefix(strings.TrimSpace(s.Cron), "@every") {
			return nil, errors.New("cron: use kind every for intervals")
		}
		cs, err := cronParser.Parse(s.Cron)
		if err != nil {
			return nil, fmt.Errorf("cron: %w", err)
		}
		c.cron = cs
	default:
		return nil, errors.New("schedule kind must be every, daily, weekly or cron")
	}
	if s.Kind != SchedEvery && !s.Start.IsZero() {
		return nil, errors.New("start applies to every schedules only")
	}
	return c, nil
}

// parseClock reads HH:MM.
func parseClock(at string) (int, int, error) {
	hs, ms, ok := strings.Cut(at, ":")
	h, err1 := strconv.Atoi(hs)
	m, err2 := strconv.Atoi(ms)
	if !ok || err1 != nil || err2 != nil || h < 0 || h > 23 || m < 0 || m > 59 || len(ms) != 2 {
		return 0, 0, errors.New("at must be a time of day HH:MM")
	}
	return h, m, nil
}

// nextBase returns the first due time of the schedule strictly after t,
// before any spread, daily, weekly and cron times read in loc (nil = the
// schedule's own zone). A time of day a DST change skips (02:30 on a
// spring-forward day) is normalised by time.Date to an instant
// an hour off (New York's 02:30 becomes 01:30 EST), so it still runs
// once that day; one the change repeats runs at its first instant only.
func (c *schedule) nextBase(t time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = c.loc
	}
	switch c.kind {
	case SchedEvery:
		if c.anchor.IsZero() { // saved before anchors: aligned to the epoch
			k := t.UnixNano() / int64(c.every)
			return time.Unix(0, (k+1)*int64(c.every)).UTC()
		}
		// anchor + k*every with k >= 0: a future anchor is the first
		// occurrence. Interval arithmetic on instants, so DST never
		// shifts it.
		if t.Before(c.anchor) {
			return c.anchor.UTC()
		}
		k := t.Sub(c.anchor) / c.every
		return c.anchor.Add((k + 1) * c.every).UTC()
	case SchedDaily, SchedWeekly:
		lt := t.In(loc)
		for d := 0; d <= 8; d++ {
			// Calendar days by date, not by 24 h steps (days of 23 or 25 h).
			day := time.Date(lt.Year(), lt.Month(), lt.Day()+d, 12, 0, 0, 0, loc)
			occ := time.Date(day.Year(), day.Month(), day.Day(), c.hour, c.minute, 0, 0, loc)
			if occ.After(t) && (c.kind == SchedDaily || c.weekdays[occ.Weekday()]) {
				return occ.UTC()
			}
		}
	case SchedCron:
		if n := c.cron.Next(t.In(loc)); !n.IsZero() {
			return n.UTC()
		}
	}
	// Unreachable for a compiled schedule; far away rather than a loop.
	return t.Add(365 * 24 * time.Hour).UTC()
}

// next returns a device's first due time strictly after t: the
// schedule's due times in loc (nil = the schedule's own zone) shifted by
// the device's offset.
func (c *schedule) next(t time.Time, offset time.Duration, loc *time.Location) time.Time {
	return c.nextBase(t.Add(-offset), loc).Add(offset)
}

// offsetOf is a device's fixed start offset within a task's spread: a
// hash of device and task, so every server restart computes the same
// and devices spread evenly.
func offsetOf(deviceID, profileID, taskID string, spread int) time.Duration {
	if spread <= 0 {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(deviceID + "\x00" + profileID + "\x00" + taskID))
	return time.Duration(h.Sum64()%uint64(spread)) * time.Second
}

// sigOf is a task's schedule signature: due times computed for another
// signature are recomputed.
func sigOf(t *store.AutoTask) string {
	s := t.Schedule
	sig := fmt.Sprintf("%s|%d|%s|%v|%s|%s|%d", s.Kind, s.Every, s.At, s.Weekdays, s.Cron, s.TimeZone, t.Spread)
	if !s.Start.IsZero() { // only then: states stored before anchors keep their signature
		sig += "|" + s.Start.UTC().Format(time.RFC3339Nano)
	}
	return sig
}
