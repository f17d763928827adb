package eventlog

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/steward-rmm/steward/protocol"
)

// unified reads the macOS unified log with `log show` (pages, from old to
// new) and `log stream` (follow), both with --style ndjson and a
// predicate built from the query's fields.
type unified struct{ run Runner }

func (unified) system() string    { return "unified" }
func (unified) newestFirst() bool { return false }

// identRe is what a process, subsystem or category name may hold.
var identRe = regexp.MustCompile(`^[A-Za-z0-9 ._+@:/()-]{1,256}$`)

func (unified) check(q *protocol.EventLogQuery) error {
	if err := refuse("the unified log", q, "units", "channels", "providers", "event_ids"); err != nil {
		return err
	}
	for _, s := range slices.Concat(q.Processes, q.Subsystems) {
		if !identRe.MatchString(s) {
			return errf(protocol.CallBadRequest, "invalid process or subsystem name %q", s)
		}
	}
	if q.Category != "" && !identRe.MatchString(q.Category) {
		return errf(protocol.CallBadRequest, "invalid category %q", q.Category)
	}
	if len(q.Levels) > 0 && len(unifiedTypes(q.Levels)) == 0 {
		return errf(protocol.CallBadRequest, "the unified log has no warning level; choose critical, error, info or debug")
	}
	if _, err := decodeUnifiedCursor(q.Cursor); err != nil {
		return err
	}
	return nil
}

// unifiedTypes are the message types of the levels: fault is critical,
// default and info are info, there is no warning.
func unifiedTypes(levels []string) []string {
	var out []string
	for _, l := range levels {
		switch l {
		case protocol.LevelCritical:
			out = append(out, "fault")
		case protocol.LevelError:
			out = append(out, "error")
		case protocol.LevelInfo:
			out = append(out, "default", "info")
		case protocol.LevelDebug:
			out = append(out, "debug")
		}
	}
	return out
}

// quote makes an NSPredicate string literal of s: in double quotes with
// backslash and quote escaped, so a value stays one literal whatever it
// holds (control characters were refused before).
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

func anyOf(field string, vals []string) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = field + " == " + quote(v)
	}
	return "(" + strings.Join(parts, " OR ") + ")"
}

// Predicate builds the log predicate of a query from its fields: only
// field names and operators of its own, values as quoted literals.
func Predicate(q protocol.EventLogQuery) string {
	var and []string
	if len(q.Processes) > 0 {
		and = append(and, anyOf("process", q.Processes))
	}
	if len(q.Subsystems) > 0 {
		and = append(and, anyOf("subsystem", q.Subsystems))
	}
	if q.Category != "" {
		and = append(and, "category == "+quote(q.Category))
	}
	if ts := unifiedTypes(q.Levels); len(ts) > 0 {
		parts := make([]string, len(ts))
		for i, t := range ts {
			parts[i] = "messageType == " + t // keywords of our own table
		}
		and = append(and, "("+strings.Join(parts, " OR ")+")")
	}
	if q.Text != "" {
		and = append(and, "eventMessage CONTAINS[c] "+quote(q.Text))
	}
	return strings.Join(and, " AND ")
}

// unifiedTime is log's --start/--end format.
const unifiedTime = "2006-01-02 15:04:05-0700"

// DefaultWindow is how far back a page of the unified log starts without
// since (reading the whole archive takes minutes).
const DefaultWindow = time.Hour

// UnifiedArgs is the argv of a page (log show) or a follow (log stream).
// now is the time a page without since counts back from.
func UnifiedArgs(q protocol.EventLogQuery, now time.Time) []string {
	levels := q.Levels
	wantInfo := len(levels) == 0 || slices.Contains(levels, protocol.LevelInfo)
	wantDebug := slices.Contains(levels, protocol.LevelDebug)
	var a []string
	if q.Follow {
		a = []string{"log", "stream", "--style", "ndjson"}
		switch {
		case wantDebug:
			a = append(a, "--level", "debug")
		case wantInfo:
			a = append(a, "--level", "info")
		}
	} else {
		a = []string{"log", "show", "--style", "ndjson"}
		if wantInfo || wantDebug {
			a = append(a, "--info")
		}
		if wantDebug {
			a = append(a, "--debug")
		}
		start := q.Since
		if c, _ := decodeUnifiedCursor(q.Cursor); !c.T.IsZero() {
			start = c.T
		}
		if start.IsZero() {
			start = now.Add(-DefaultWindow)
		}
		a = append(a, "--start", start.UTC().Format(unifiedTime))
		if !q.Until.IsZero() {
			a = append(a, "--end", q.Until.UTC().Format(unifiedTime))
		}
	}
	if p := Predicate(q); p != "" {
		a = append(a, "--predicate", p)
	}
	return a
}

// unifiedCursor continues a page: log show's --start has whole seconds,
// so the next page starts at the second of the last record and skips the
// records up to it (Skip of them had its exact time).
type unifiedCursor struct {
	T    time.Time `json:"t"`
	Skip int       `json:"n"`
}

func encodeUnifiedCursor(c unifiedCursor) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeUnifiedCursor(s string) (unifiedCursor, error) {
	var c unifiedCursor
	if s == "" {
		return c, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || c.Skip < 0 {
		return c, errf(protocol.CallBadRequest, "invalid cursor")
	}
	return c, nil
}

// unifiedEntry is one NDJSON line of log show/stream.
type unifiedEntry struct {
	Timestamp        string `json:"timestamp"`
	EventMessage     string `json:"eventMessage"`
	EventType        string `json:"eventType"`
	MessageType      string `json:"messageType"`
	Subsystem        string `json:"subsystem"`
	Category         string `json:"category"`
	ProcessImagePath string `json:"processImagePath"`
	ProcessID        int    `json:"processID"`
	TraceID          uint64 `json:"traceID"`
	UserID           *int   `json:"userID"`
}

// ParseUnified decodes one NDJSON line; ok is false for lines that are
// not log events (the stream's banner, the show's closing count, activity
// and signpost events).
func ParseUnified(line []byte) (r protocol.EventRecord, ok bool) {
	var e unifiedEntry
	if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil || e.Timestamp == "" {
		return r, false
	}
	if e.EventType != "" && e.EventType != "logEvent" {
		return r, false
	}
	t, err := time.Parse("2006-01-02 15:04:05.000000-0700", e.Timestamp)
	if err != nil {
		return r, false
	}
	r = protocol.EventRecord{Time: t.UTC(), Message: clipMessage(e.EventMessage), Subsystem: e.Subsystem, Category: e.Category,
		PID: e.ProcessID, Source: path.Base(e.ProcessImagePath)}
	if e.ProcessImagePath == "" {
		r.Source = ""
	}
	if e.TraceID != 0 {
		r.RecordID = strconv.FormatUint(e.TraceID, 10)
	}
	if e.UserID != nil {
		r.User = strconv.Itoa(*e.UserID)
	}
	switch strings.ToLower(e.MessageType) {
	case "fault":
		r.Level = protocol.LevelCritical
	case "error":
		r.Level = protocol.LevelError
	case "debug":
		r.Level = protocol.LevelDebug
	default:
		r.Level = protocol.LevelInfo
	}
	return r, true
}

func (u unified) page(ctx context.Context, q protocol.EventLogQuery, emit func(protocol.EventRecord) error) (string, error) {
	c, _ := decodeUnifiedCursor(q.Cursor)
	n, atLast := 0, 0
	var last time.Time
	next := ""
	seen := 0 // records of the cursor's instant met so far
	err := lines(ctx, u.run, UnifiedArgs(q, time.Now()), func(line []byte) (bool, error) {
		r, ok := ParseUnified(line)
		if !ok {
			return false, nil
		}
		if !c.T.IsZero() {
			if r.Time.Before(c.T) {
				return false, nil
			}
			if r.Time.Equal(c.T) && seen < c.Skip {
				seen++
				last, atLast = c.T, seen
				return false, nil
			}
		}
		if n == q.Limit {
			next = encodeUnifiedCursor(unifiedCursor{T: last, Skip: atLast})
			return true, nil
		}
		if r.Time.Equal(last) {
			atLast++
		} else {
			last, atLast = r.Time, 1
		}
		n++
		return false, emit(r)
	})
	return next, err
}

func (u unified) follow(ctx context.Context, q protocol.EventLogQuery, emit func(protocol.EventRecord) error) error {
	return lines(ctx, u.run, UnifiedArgs(q, time.Now()), func(line []byte) (bool, error) {
		if r, ok := ParseUnified(line); ok {
			return false, emit(r)
		}
		return false, nil
	})
}
