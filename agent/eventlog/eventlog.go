// Package eventlog answers the toolbox's event log calls on the agent:
// journald on Linux (journalctl's JSON output), the Windows Event Log
// (wevtapi: EvtQuery, EvtNext, EvtRender, EvtFormatMessage) and the macOS
// unified log (log show / log stream with an NDJSON style). Each system
// has a pure part, tested on captures (the argv or XPath query built from
// the fields of a query, the parsing of a record), and a thin part that
// runs the command or calls the API.
//
// A page is a stream of []protocol.EventRecord chunks ended by an
// EventLogResult with the cursor of the next page; a follow call streams
// chunks until the server cancels it.
package eventlog

import (
	"context"
	"runtime"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/steward-rmm/steward/agent/toolbox"
	"github.com/steward-rmm/steward/protocol"
)

// reader reads one system's log. Page emits at most q.Limit records and
// returns the cursor of the next page ("" at the end); Follow emits
// records as they arrive until ctx ends.
type reader interface {
	system() string
	newestFirst() bool
	check(q *protocol.EventLogQuery) error
	page(ctx context.Context, q protocol.EventLogQuery, emit func(protocol.EventRecord) error) (string, error)
	follow(ctx context.Context, q protocol.EventLogQuery, emit func(protocol.EventRecord) error) error
}

// Options choose the sources; zero values are the system's own.
type Options struct {
	// Run starts a command (journalctl, log); nil runs it with os/exec.
	Run Runner
	// GOOS picks the reader (default runtime.GOOS).
	GOOS string
}

// Methods returns the event log methods.
func Methods(o Options) []toolbox.Method {
	if o.Run == nil {
		o.Run = execRunner
	}
	if o.GOOS == "" {
		o.GOOS = runtime.GOOS
	}
	return []toolbox.Method{{Name: protocol.MethodEventLogQuery, Handler: func(ctx context.Context, c *toolbox.Call) (any, error) {
		return query(ctx, c, newReader(o))
	}}}
}

func newReader(o Options) reader {
	switch o.GOOS {
	case "windows":
		return windowsReader()
	case "darwin":
		return unified{run: o.Run}
	default:
		return journal{run: o.Run}
	}
}

// Normalize checks the fields every system shares and fills defaults.
func Normalize(q *protocol.EventLogQuery) error {
	bad := func(f string, a ...any) error { return toolbox.Errorf(protocol.CallBadRequest, f, a...) }
	switch {
	case q.Limit < 0:
		return bad("limit must be positive")
	case q.Limit == 0:
		q.Limit = protocol.EventLogDefaultLimit
	case q.Limit > protocol.EventLogMaxLimit:
		q.Limit = protocol.EventLogMaxLimit
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && q.Until.Before(q.Since) {
		return bad("until is before since")
	}
	if q.Follow && !q.Until.IsZero() {
		return bad("follow reads new records: it takes no until")
	}
	for _, l := range q.Levels {
		if !slices.Contains(protocol.EventLevels, l) {
			return bad("unknown level %q (one of %s)", l, strings.Join(protocol.EventLevels, ", "))
		}
	}
	for name, n := range map[string]int{"levels": len(q.Levels), "units": len(q.Units), "channels": len(q.Channels),
		"providers": len(q.Providers), "event_ids": len(q.EventIDs), "processes": len(q.Processes), "subsystems": len(q.Subsystems)} {
		if n > protocol.EventLogMaxFilters {
			return bad("at most %d %s", protocol.EventLogMaxFilters, name)
		}
	}
	if len(q.Text) > 256 || len(q.Category) > 256 || len(q.Cursor) > 4096 {
		return bad("text, category or cursor too long")
	}
	if hasControl(q.Text) || hasControl(q.Category) {
		return bad("text and category cannot hold control characters")
	}
	return nil
}

// refuse names the fields a system does not read, so a query is never
// silently wider than asked.
func refuse(system string, q *protocol.EventLogQuery, fields ...string) error {
	set := map[string]bool{"units": len(q.Units) > 0, "channels": len(q.Channels) > 0, "providers": len(q.Providers) > 0,
		"event_ids": len(q.EventIDs) > 0, "processes": len(q.Processes) > 0, "subsystems": len(q.Subsystems) > 0,
		"category": q.Category != "", "text": q.Text != ""}
	for _, f := range fields {
		if set[f] {
			return toolbox.Errorf(protocol.CallBadRequest, "%s is not a filter of %s", f, system)
		}
	}
	return nil
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 32 || r == 127 })
}

// clipMessage bounds a message and keeps it valid UTF-8.
func clipMessage(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= protocol.EventLogMaxMessage {
		return s
	}
	cut := protocol.EventLogMaxMessage
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + " …[cut]"
}

// batchBytes bounds one chunk of records (under protocol.MaxCallChunk).
const batchBytes = 128 << 10

// flushEvery sends a follow call's pending records after this long.
const flushEvery = 250 * time.Millisecond

// batcher gathers records into chunks.
type batcher struct {
	send  func([]protocol.EventRecord) error
	recs  []protocol.EventRecord
	size  int
	count int
}

func recSize(r protocol.EventRecord) int {
	n := 200 + len(r.Message) + len(r.Source) + len(r.Unit) + len(r.RecordID) + len(r.Channel) + len(r.Subsystem) + len(r.Category)
	for k, v := range r.Data {
		n += len(k) + len(v) + 8
	}
	// JSON escaping may grow text up to six times (\u00XX).
	return n * 6
}

func (b *batcher) add(r protocol.EventRecord) error {
	s := recSize(r)
	if b.size+s > batchBytes {
		if err := b.flush(); err != nil {
			return err
		}
	}
	b.recs = append(b.recs, r)
	b.size += s
	b.count++
	return nil
}

func (b *batcher) flush() error {
	if len(b.recs) == 0 {
		return nil
	}
	err := b.send(b.recs)
	b.recs, b.size = nil, 0
	return err
}

func query(ctx context.Context, c *toolbox.Call, rd reader) (any, error) {
	var q protocol.EventLogQuery
	if err := c.Decode(&q); err != nil {
		return nil, err
	}
	if err := Normalize(&q); err != nil {
		return nil, err
	}
	if err := rd.check(&q); err != nil {
		return nil, err
	}
	b := &batcher{send: func(r []protocol.EventRecord) error { return c.Send(r) }}
	if q.Follow {
		return nil, follow(ctx, rd, q, b)
	}
	next, err := rd.page(ctx, q, b.add)
	if err == nil {
		err = b.flush()
	}
	if err != nil {
		return nil, err
	}
	return protocol.EventLogResult{System: rd.system(), Count: b.count, Cursor: next, NewestFirst: rd.newestFirst()}, nil
}

// follow runs the reader in its own goroutine and sends what it found at
// least every flushEvery, so a quiet log still shows each record soon.
func follow(ctx context.Context, rd reader, q protocol.EventLogQuery, b *batcher) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	recs := make(chan protocol.EventRecord, 256)
	done := make(chan error, 1)
	go func() {
		done <- rd.follow(ctx, q, func(r protocol.EventRecord) error {
			select {
			case recs <- r:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	t := time.NewTicker(flushEvery)
	defer t.Stop()
	for {
		select {
		case r := <-recs:
			if err := b.add(r); err != nil {
				return err
			}
		case <-t.C:
			if err := b.flush(); err != nil {
				return err
			}
		case err := <-done:
			for len(recs) > 0 {
				if e := b.add(<-recs); e != nil {
					return e
				}
			}
			if e := b.flush(); e != nil {
				return e
			}
			if err == nil {
				err = ctx.Err()
			}
			return err
		}
	}
}

// levelFromPriority maps a syslog priority (journald) to a level.
func levelFromPriority(p int) string {
	switch {
	case p <= 2:
		return protocol.LevelCritical
	case p == 3:
		return protocol.LevelError
	case p == 4:
		return protocol.LevelWarning
	case p <= 6:
		return protocol.LevelInfo
	}
	return protocol.LevelDebug
}

func errf(code, f string, a ...any) error { return toolbox.Errorf(code, f, a...) }
