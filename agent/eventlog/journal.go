package eventlog

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/steward-rmm/steward/protocol"
)

// journal reads journald through journalctl's JSON output: one object per
// line, fields as strings, or arrays of bytes for binary values.
type journal struct{ run Runner }

func (journal) system() string    { return "journald" }
func (journal) newestFirst() bool { return true }

// unitRe is what a systemd unit name (or glob) may hold.
var unitRe = regexp.MustCompile(`^[A-Za-z0-9:_.@\\*?\[\]-]{1,256}$`)

func (journal) check(q *protocol.EventLogQuery) error {
	if err := refuse("journald", q, "channels", "providers", "event_ids", "processes", "subsystems", "category"); err != nil {
		return err
	}
	for _, u := range q.Units {
		if !unitRe.MatchString(u) || strings.HasPrefix(u, "-") {
			return errf(protocol.CallBadRequest, "invalid unit name %q", u)
		}
	}
	if q.Cursor != "" && (hasControl(q.Cursor) || !strings.Contains(q.Cursor, "=")) {
		return errf(protocol.CallBadRequest, "invalid cursor")
	}
	return nil
}

// priorityRange is journalctl's --priority range covering the levels
// (the most to the least severe listed); levels between them that were not
// asked for are filtered out by the agent.
func priorityRange(levels []string) string {
	lo, hi, _ := priorities(levels)
	if lo < 0 {
		return ""
	}
	return fmt.Sprintf("%d..%d", lo, hi)
}

// priorities is the span of syslog priorities of the levels, and whether
// the levels cover all of it (then journalctl filters exactly).
func priorities(levels []string) (lo, hi int, exact bool) {
	if len(levels) == 0 {
		return -1, -1, true
	}
	lo, hi = 7, 0
	span := map[string][2]int{protocol.LevelCritical: {0, 2}, protocol.LevelError: {3, 3}, protocol.LevelWarning: {4, 4},
		protocol.LevelInfo: {5, 6}, protocol.LevelDebug: {7, 7}}
	covered := map[int]bool{}
	for _, l := range levels {
		s := span[l]
		lo, hi = min(lo, s[0]), max(hi, s[1])
		for p := s[0]; p <= s[1]; p++ {
			covered[p] = true
		}
	}
	return lo, hi, len(covered) == hi-lo+1
}

// JournalArgs is the journalctl argv of a query: every value is passed as
// --option=value, so nothing from the query can become an option.
func JournalArgs(q protocol.EventLogQuery) []string {
	a := []string{"journalctl", "--output=json", "--no-pager", "--quiet"}
	if q.Follow {
		a = append(a, "--follow")
		if q.Cursor == "" && q.Since.IsZero() {
			a = append(a, "--lines=0")
		}
	} else {
		// One more than the page, to know whether another page follows.
		a = append(a, "--reverse", "--lines="+strconv.Itoa(q.Limit+1))
	}
	if q.Cursor != "" {
		a = append(a, "--after-cursor="+q.Cursor)
	}
	if !q.Since.IsZero() {
		a = append(a, "--since=@"+strconv.FormatInt(q.Since.Unix(), 10))
	}
	if !q.Until.IsZero() {
		a = append(a, "--until=@"+strconv.FormatInt(q.Until.Unix(), 10))
	}
	if p := priorityRange(q.Levels); p != "" {
		a = append(a, "--priority="+p)
	}
	for _, u := range q.Units {
		a = append(a, "--unit="+u)
	}
	return a
}

// jfield decodes one journal field: a string, an array of bytes (binary
// or invalid UTF-8) or an array of strings (a field given more than once).
func jfield(raw json.RawMessage) string {
	if len(raw) == 0 || raw[0] == 'n' {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var b []byte
	var nums []int
	if json.Unmarshal(raw, &nums) == nil {
		for _, n := range nums {
			b = append(b, byte(n))
		}
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	var ss []string
	if json.Unmarshal(raw, &ss) == nil {
		return strings.Join(ss, "\n")
	}
	return ""
}

// ParseJournal decodes one line of journalctl -o json.
func ParseJournal(line []byte) (protocol.EventRecord, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(line, &m); err != nil {
		return protocol.EventRecord{}, fmt.Errorf("journal entry: %w", err)
	}
	f := func(k string) string { return jfield(m[k]) }
	r := protocol.EventRecord{Message: clipMessage(f("MESSAGE")), Unit: f("_SYSTEMD_UNIT"), Host: f("_HOSTNAME"),
		RecordID: f("__CURSOR"), User: f("_UID")}
	if us, err := strconv.ParseInt(f("__REALTIME_TIMESTAMP"), 10, 64); err == nil {
		r.Time = time.UnixMicro(us).UTC()
	}
	prio := 6
	if p, err := strconv.Atoi(f("PRIORITY")); err == nil && p >= 0 && p <= 7 {
		prio = p
	}
	r.Level = levelFromPriority(prio)
	if r.Unit == "" || r.Unit == "init.scope" {
		// systemd's own messages about a unit name it in UNIT.
		if u := f("UNIT"); u != "" {
			r.Unit = u
		}
	}
	r.Source = f("SYSLOG_IDENTIFIER")
	if r.Source == "" {
		r.Source = f("_COMM")
	}
	if r.Source == "" {
		r.Source = r.Unit
	}
	r.PID, _ = strconv.Atoi(f("_PID"))
	if r.RecordID == "" {
		return r, fmt.Errorf("journal entry without a cursor")
	}
	return r, nil
}

// keep applies the filters journalctl cannot: exact levels and text.
func keep(q protocol.EventLogQuery, r protocol.EventRecord) bool {
	if len(q.Levels) > 0 && !slices.Contains(q.Levels, r.Level) {
		return false
	}
	return q.Text == "" || strings.Contains(strings.ToLower(r.Message), strings.ToLower(q.Text))
}

// maxScan bounds the records read for one page when filters the agent
// applies skip most of them; the page then ends early with a cursor.
const maxScan = 100_000

func (j journal) page(ctx context.Context, q protocol.EventLogQuery, emit func(protocol.EventRecord) error) (string, error) {
	argv := JournalArgs(q)
	if _, _, exact := priorities(q.Levels); q.Text != "" || !exact {
		// Filtered records do not count: read until the page is full.
		argv = slices.DeleteFunc(argv, func(a string) bool { return strings.HasPrefix(a, "--lines=") })
	}
	n, scanned := 0, 0
	last, next := "", ""
	err := lines(ctx, j.run, argv, func(line []byte) (bool, error) {
		r, err := ParseJournal(line)
		if err != nil {
			return false, nil // a line we cannot read is skipped, not fatal
		}
		scanned++
		if n == q.Limit || scanned > maxScan {
			// A record beyond the page (or the scan): a next page follows
			// the last record read.
			next = last
			return true, nil
		}
		last = r.RecordID
		if !keep(q, r) {
			return false, nil
		}
		n++
		return false, emit(r)
	})
	return next, err
}

func (j journal) follow(ctx context.Context, q protocol.EventLogQuery, emit func(protocol.EventRecord) error) error {
	return lines(ctx, j.run, JournalArgs(q), func(line []byte) (bool, error) {
		r, err := ParseJournal(line)
		if err != nil || !keep(q, r) {
			return false, nil
		}
		return false, emit(r)
	})
}
