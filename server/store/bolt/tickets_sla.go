package boltstore

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/steward-rmm/steward/server/store"
	bolt "go.etcd.io/bbolt"
)

// The SLA parts of the ticket index (bTicketIndex), so that neither the
// sweep nor the "breached" and "at risk" lists read every ticket:
//
//	"x" next-check key                 tickets the SLA sweep must look at
//	"r" state NUL due key              breached and at-risk tickets, by due time
//
// where key is the 8-byte time then the ticket ID (a zero due sorts
// last). The value is the ticket's status, slaSep, then its summary, so
// the query's other filters run on the index alone.

const slaSep = "\x1e"

// timeKey is a time as an 8-byte big-endian key; zero sorts last.
func timeKey(t time.Time) []byte {
	if t.IsZero() {
		return u64(math.MaxUint64)
	}
	return u64(uint64(max(t.UnixNano(), 0)))
}

// slaIndexKeys are the SLA index keys of a ticket (none when it needs no
// sweep and is neither breached nor at risk).
func slaIndexKeys(t *store.Ticket) [][]byte {
	var out [][]byte
	if !t.SLA.NextCheck.IsZero() {
		out = append(out, append(append([]byte("x"), timeKey(t.SLA.NextCheck)...), t.ID...))
	}
	if st := store.TicketSLAState(t); st != "" {
		out = append(out, append(append([]byte("r"+st+"\x00"), timeKey(store.SLADue(t))...), t.ID...))
	}
	return out
}

// indexTicketSLA adds (or removes) a ticket's SLA index entries.
func indexTicketSLA(tx *bolt.Tx, t *store.Ticket, add bool) error {
	b := tx.Bucket(bTicketIndex)
	val := append([]byte(t.Status+slaSep), summaryOf(t)...)
	for _, k := range slaIndexKeys(t) {
		var err error
		if add {
			err = b.Put(k, val)
		} else {
			err = b.Delete(k)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// scanTicketsSLA answers a query with SLAState or SLACheckBy: one walk of
// its part of the index in time order, filtered like scanTickets.
func scanTicketsSLA(tx *bolt.Tx, q *store.TicketQuery, fn func(key []byte, s *ticketSummary) bool) error {
	prefix, end := []byte("x"), []byte(nil)
	if !q.SLACheckBy.IsZero() {
		end = u64(uint64(max(q.SLACheckBy.UnixNano(), 0)))
	}
	if q.SLAState != "" {
		if q.SLAState != store.SLAStateBreached && q.SLAState != store.SLAStateAtRisk {
			return fmt.Errorf("ticket SLA state %q: %w", q.SLAState, store.ErrNotFound)
		}
		if !q.SLACheckBy.IsZero() {
			return fmt.Errorf("ticket query: SLAState and SLACheckBy together are not supported: %w", store.ErrConflict)
		}
		prefix = []byte("r" + q.SLAState + "\x00")
	}
	var inScope map[string]bool
	switch {
	case q.ClientID != "":
		if !q.Scope.Has(q.ClientID) {
			return nil
		}
		inScope = map[string]bool{q.ClientID: true}
	case q.Scope.Only:
		inScope = map[string]bool{}
		for _, c := range q.Scope.Clients {
			inScope[c] = true
		}
	}
	seek := prefix
	if q.Cursor != "" {
		c, err := hex.DecodeString(q.Cursor)
		if err != nil || len(c) < 8 {
			return fmt.Errorf("ticket cursor %q: %w", q.Cursor, store.ErrNotFound)
		}
		seek = append(slices.Clip(prefix), c...)
	}
	text, num := strings.ToLower(strings.TrimSpace(q.Text)), ""
	if n, ok := strings.CutPrefix(text, "#"); ok {
		text, num = "", n
	}
	c := tx.Bucket(bTicketIndex).Cursor()
	k, v := c.Seek(seek)
	if q.Cursor != "" && bytes.Equal(k, seek) {
		k, v = c.Next()
	}
	for ; k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		key := k[len(prefix):]
		if end != nil && bytes.Compare(key[:8], end) > 0 {
			return nil
		}
		status, rest, ok := bytes.Cut(v, []byte(slaSep))
		if !ok || (q.Statuses != nil && !slices.Contains(q.Statuses, string(status))) {
			continue
		}
		sum, ok := parseSummary(rest)
		if !ok || (inScope != nil && !inScope[string(sum.client)]) || !matchSummary(q, &sum, text, num) ||
			(num != "" && string(sum.number) != num) {
			continue
		}
		if !fn(key, &sum) {
			return nil
		}
	}
	return nil
}

// migrateTicketSLAIndex indexes the stored tickets for the SLA sweep
// (tickets_sla.go). A ticket stored before has no NextCheck: every one
// that is not resolved, closed or deleted and has an SLA is checked at
// the sweep's first run, which computes its own; breaches recorded before
// count as notified, so an upgrade does not mail every old breach.
func migrateTicketSLAIndex(tx *bolt.Tx) error {
	var ts []store.Ticket
	err := tx.Bucket(bTickets).ForEach(func(k, v []byte) error {
		var t store.Ticket
		if err := decodeTicketRec(v, &t); err != nil {
			return fmt.Errorf("ticket %q: %w", k, err)
		}
		ts = append(ts, t)
		return nil
	})
	if err != nil {
		return err
	}
	for i := range ts {
		t := &ts[i]
		s := &t.SLA
		stopped := t.Status == store.TicketResolved || t.Status == store.TicketClosed || t.Status == store.TicketDeleted
		if s.FirstResponseNotified.IsZero() && !s.FirstResponseBreached.IsZero() {
			s.FirstResponseNotified = s.FirstResponseBreached
		}
		if s.ResolutionNotified.IsZero() && !s.ResolutionBreached.IsZero() {
			s.ResolutionNotified = s.ResolutionBreached
		}
		if !stopped && t.SLAID != "" && s.NextCheck.IsZero() {
			s.NextCheck = time.Unix(0, 1).UTC()
		}
		if err := indexTicketSLA(tx, t, true); err != nil {
			return err
		}
		if err := tput(tx, bTickets, []byte(t.ID), *t); err != nil {
			return err
		}
	}
	return nil
}
