package eventlog

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/steward-rmm/steward/protocol"
)

// winResults is an open query's result set: the XML of each event in
// turn, io.EOF at its end.
type winResults interface {
	next(ctx context.Context) ([]byte, error)
	close()
}

// winSource runs a structured query (wevtapi on Windows).
type winSource interface {
	query(ctx context.Context, queryXML string, newestFirst bool) (winResults, error)
}

// winReader pages and follows the Windows event log through a winSource.
type winReader struct{ src winSource }

func (winReader) system() string                        { return "windows" }
func (winReader) newestFirst() bool                     { return true }
func (winReader) check(q *protocol.EventLogQuery) error { return checkWindows(q) }

// pollEvery is how often a follow call looks for new events.
var pollEvery = 2 * time.Second

func (w winReader) page(ctx context.Context, q protocol.EventLogQuery, emit func(protocol.EventRecord) error) (string, error) {
	c, _ := decodeWinCursor(q.Cursor)
	until := q.Until
	if !c.T.IsZero() && (until.IsZero() || c.T.Before(until)) {
		until = c.T
	}
	rs, err := w.src.query(ctx, QueryXML(q, q.Since, until), true)
	if err != nil {
		return "", err
	}
	defer rs.close()
	p := newWinPager(c)
	n := 0
	for {
		b, err := rs.next(ctx)
		if errors.Is(err, io.EOF) {
			return "", nil
		}
		if err != nil {
			return "", err
		}
		r, err := ParseEventXML(b)
		if err != nil {
			continue
		}
		if n == q.Limit {
			if p.skip[winKey(r)] {
				continue
			}
			return p.cursor(), nil
		}
		if !p.take(r) {
			continue
		}
		n++
		if err := emit(r); err != nil {
			return "", err
		}
	}
}

// follow polls: each round reads, from old to new, the events at or after
// the newest one seen, less those already sent.
func (w winReader) follow(ctx context.Context, q protocol.EventLogQuery, emit func(protocol.EventRecord) error) error {
	since := q.Since
	if since.IsZero() {
		since = time.Now()
	}
	sent := map[string]time.Time{}
	for {
		rs, err := w.src.query(ctx, QueryXML(q, since, time.Time{}), false)
		if err != nil {
			return err
		}
		for {
			b, err := rs.next(ctx)
			if err != nil {
				rs.close()
				if !errors.Is(err, io.EOF) {
					return err
				}
				break
			}
			r, err := ParseEventXML(b)
			if err != nil || !sent[winKey(r)].IsZero() {
				continue
			}
			sent[winKey(r)] = r.Time
			if r.Time.After(since) {
				since = r.Time
			}
			if err := emit(r); err != nil {
				rs.close()
				return err
			}
		}
		// Only the keys at the newest instant can come back.
		for k, t := range sent {
			if t.Before(since) {
				delete(sent, k)
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pollEvery):
		}
	}
}
