package boltstore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/steward-rmm/steward/server/store"
	bolt "go.etcd.io/bbolt"
)

// Tickets by ID; numbers (8-byte big endian) -> ticket ID, whose bucket
// sequence hands out numbers; the list index (ticketIndex); comments by
// ticket ID NUL 8-byte sequence; time entries by ID and their index
// (ticket ID NUL entry ID under "t", client NUL 8-byte time NUL entry ID
// under "c"); custom statuses under "statuses" in ticket_meta; SLAs and
// calendars by ID.
var (
	bTickets        = []byte("tickets")
	bTicketNumbers  = []byte("ticket_numbers")
	bTicketIndex    = []byte("ticket_index")
	bTicketComments = []byte("ticket_comments")
	bTimeEntries    = []byte("time_entries")
	bTimeIndex      = []byte("time_index")
	bTicketMeta     = []byte("ticket_meta")
	bSLAs           = []byte("slas")
	bSLACalendars   = []byte("sla_calendars")
)

// migrateTickets creates the service-desk buckets (tickets.go).
func migrateTickets(tx *bolt.Tx) error {
	for _, b := range [][]byte{bTickets, bTicketNumbers, bTicketIndex, bTicketComments, bTimeEntries, bTimeIndex,
		bTicketMeta, bSLAs, bSLACalendars} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	return nil
}

func tput(tx *bolt.Tx, bucket []byte, key []byte, v any) error {
	b, err := encodeTicketRec(v)
	if err != nil {
		return fmt.Errorf("store: marshal %s/%s: %w", bucket, key, err)
	}
	return tx.Bucket(bucket).Put(key, b)
}

func tget(tx *bolt.Tx, bucket []byte, key []byte, v any) error {
	b := tx.Bucket(bucket).Get(key)
	if b == nil {
		return fmt.Errorf("%s %q: %w", bucket, key, store.ErrNotFound)
	}
	if err := decodeTicketRec(b, v); err != nil {
		return fmt.Errorf("store: decode %s/%s: %w", bucket, key, err)
	}
	return nil
}

func u64(n uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	return b[:]
}

// CreateTicket stores a new ticket with the next number.
func (s *DB) CreateTicket(t store.Ticket, maxActive int) (store.Ticket, error) {
	err := s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bClients).Get([]byte(t.ClientID)) == nil {
			return fmt.Errorf("client %q: %w", t.ClientID, store.ErrNotFound)
		}
		if tx.Bucket(bTickets).Get([]byte(t.ID)) != nil {
			return fmt.Errorf("ticket %q: %w", t.ID, store.ErrExists)
		}
		if maxActive > 0 {
			n, err := countActive(tx, t.ClientID)
			if err != nil {
				return err
			}
			if n >= maxActive {
				return fmt.Errorf("the client has %d active tickets, its limit is %d: %w", n, maxActive, store.ErrConflict)
			}
		}
		nb := tx.Bucket(bTicketNumbers)
		seq, err := nb.NextSequence()
		if err != nil {
			return err
		}
		t.Number = int64(seq)
		if err := nb.Put(u64(seq), []byte(t.ID)); err != nil {
			return err
		}
		if err := indexTicket(tx, &t, true); err != nil {
			return err
		}
		return tput(tx, bTickets, []byte(t.ID), t)
	})
	return t, err
}

// countActive counts a client's tickets that are not resolved, closed,
// deleted or spam.
func countActive(tx *bolt.Tx, clientID string) (int, error) {
	q := store.TicketQuery{ClientID: clientID, Statuses: activeStatuses(tx), Spam: new(bool)}
	n := 0
	err := scanTickets(tx, &q, func([]byte, *ticketSummary) bool { n++; return true })
	return n, err
}

func activeStatuses(tx *bolt.Tx) []string {
	var out []string
	for _, st := range seenStatuses(tx) {
		if st != store.TicketResolved && st != store.TicketClosed && st != store.TicketDeleted {
			out = append(out, st)
		}
	}
	return out
}

// seenStatuses lists every status a ticket has had ("s" keys of the
// index), so that a query of any status knows which streams to read.
func seenStatuses(tx *bolt.Tx) []string {
	var out []string
	c := tx.Bucket(bTicketIndex).Cursor()
	for k, _ := c.Seek([]byte("s")); k != nil && k[0] == 's'; k, _ = c.Next() {
		out = append(out, string(k[1:]))
	}
	return out
}

// Ticket returns a ticket by ID.
func (s *DB) Ticket(id string) (t store.Ticket, err error) {
	err = s.db.View(func(tx *bolt.Tx) error { return tget(tx, bTickets, []byte(id), &t) })
	return t, err
}

// TicketByNumber returns a ticket by number.
func (s *DB) TicketByNumber(n int64) (t store.Ticket, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		id := tx.Bucket(bTicketNumbers).Get(u64(uint64(n)))
		if n <= 0 || id == nil {
			return fmt.Errorf("ticket #%d: %w", n, store.ErrNotFound)
		}
		return tget(tx, bTickets, id, &t)
	})
	return t, err
}

// UpdateTicket changes a ticket atomically.
func (s *DB) UpdateTicket(id string, fn func(*store.Ticket) error) (t store.Ticket, err error) {
	err = s.db.Update(func(tx *bolt.Tx) error {
		var old store.Ticket
		if err := tget(tx, bTickets, []byte(id), &old); err != nil {
			return err
		}
		if err := tget(tx, bTickets, []byte(id), &t); err != nil {
			return err
		}
		if err := fn(&t); err != nil {
			return err
		}
		t.ID, t.Number, t.ClientID, t.CreatedAt = old.ID, old.Number, old.ClientID, old.CreatedAt
		if err := indexTicket(tx, &old, false); err != nil {
			return err
		}
		if err := indexTicket(tx, &t, true); err != nil {
			return err
		}
		return tput(tx, bTickets, []byte(id), t)
	})
	return t, err
}

// SetTicketSLAs stores computed SLA fields of many tickets.
func (s *DB) SetTicketSLAs(slas map[string]store.TicketSLA) error {
	// In key order: bolt keeps a transaction's changed nodes unsplit
	// until the commit, where inserts in random order cost a copy each.
	ids := make([]string, 0, len(slas))
	for id := range slas {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return s.db.Update(func(tx *bolt.Tx) error {
		for _, id := range ids {
			sla := slas[id]
			var t store.Ticket
			if err := tget(tx, bTickets, []byte(id), &t); err != nil {
				continue
			}
			// The SLA index follows the SLA fields.
			if err := indexTicketSLA(tx, &t, false); err != nil {
				return err
			}
			t.SLA = sla
			if err := indexTicketSLA(tx, &t, true); err != nil {
				return err
			}
			if err := tput(tx, bTickets, []byte(id), t); err != nil {
				return err
			}
		}
		return nil
	})
}

// AddTicketComment appends a comment.
func (s *DB) AddTicketComment(c store.TicketComment) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bTickets).Get([]byte(c.TicketID)) == nil {
			return fmt.Errorf("ticket %q: %w", c.TicketID, store.ErrNotFound)
		}
		b := tx.Bucket(bTicketComments)
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		return tput(tx, bTicketComments, append([]byte(c.TicketID+"\x00"), u64(seq)...), c)
	})
}

// TicketComments lists a ticket's comments oldest first.
func (s *DB) TicketComments(ticketID string) (out []store.TicketComment, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		p := []byte(ticketID + "\x00")
		c := tx.Bucket(bTicketComments).Cursor()
		for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
			var cm store.TicketComment
			if err := decodeTicketRec(v, &cm); err != nil {
				return err
			}
			out = append(out, cm)
		}
		return nil
	})
	return out, err
}

func timeKeys(e *store.TimeEntry) [][]byte {
	return [][]byte{[]byte("t" + e.TicketID + "\x00" + e.ID),
		append(append([]byte("c"+e.ClientID+"\x00"), u64(uint64(e.At.UnixNano()))...), []byte("\x00"+e.ID)...)}
}

// PutTimeEntry creates or replaces a time entry.
func (s *DB) PutTimeEntry(e store.TimeEntry) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		var t store.Ticket
		if err := tget(tx, bTickets, []byte(e.TicketID), &t); err != nil {
			return err
		}
		e.ClientID = t.ClientID
		var old store.TimeEntry
		if err := tget(tx, bTimeEntries, []byte(e.ID), &old); err == nil {
			if old.TicketID != e.TicketID {
				return fmt.Errorf("time entry %q belongs to another ticket: %w", e.ID, store.ErrConflict)
			}
			for _, k := range timeKeys(&old) {
				if err := tx.Bucket(bTimeIndex).Delete(k); err != nil {
					return err
				}
			}
		}
		for _, k := range timeKeys(&e) {
			if err := tx.Bucket(bTimeIndex).Put(k, nil); err != nil {
				return err
			}
		}
		return tput(tx, bTimeEntries, []byte(e.ID), e)
	})
}

// TimeEntry returns a time entry by ID.
func (s *DB) TimeEntry(id string) (e store.TimeEntry, err error) {
	err = s.db.View(func(tx *bolt.Tx) error { return tget(tx, bTimeEntries, []byte(id), &e) })
	return e, err
}

// TimeEntries lists a ticket's time entries oldest first.
func (s *DB) TimeEntries(ticketID string) (out []store.TimeEntry, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		p := []byte("t" + ticketID + "\x00")
		c := tx.Bucket(bTimeIndex).Cursor()
		for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
			var e store.TimeEntry
			if err := tget(tx, bTimeEntries, k[len(p):], &e); err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	slices.SortStableFunc(out, func(a, b store.TimeEntry) int { return a.At.Compare(b.At) })
	return out, err
}

// ClientTimeEntries lists a client's time entries in [from, to).
func (s *DB) ClientTimeEntries(clientID string, from, to time.Time) (out []store.TimeEntry, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		p := []byte("c" + clientID + "\x00")
		end := append(slices.Clip(p), u64(uint64(to.UnixNano()))...)
		c := tx.Bucket(bTimeIndex).Cursor()
		for k, _ := c.Seek(append(slices.Clip(p), u64(uint64(max(from.UnixNano(), 0)))...)); k != nil && bytes.HasPrefix(k, p) &&
			bytes.Compare(k, end) < 0; k, _ = c.Next() {
			var e store.TimeEntry
			if err := tget(tx, bTimeEntries, k[len(p)+9:], &e); err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// DeleteTimeEntry removes a time entry.
func (s *DB) DeleteTimeEntry(id string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		var e store.TimeEntry
		if err := tget(tx, bTimeEntries, []byte(id), &e); err != nil {
			return err
		}
		for _, k := range timeKeys(&e) {
			if err := tx.Bucket(bTimeIndex).Delete(k); err != nil {
				return err
			}
		}
		return tx.Bucket(bTimeEntries).Delete([]byte(id))
	})
}

// TicketStatuses lists the custom statuses.
func (s *DB) TicketStatuses() (defs []store.TicketStatusDef, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		err := tget(tx, bTicketMeta, []byte("statuses"), &defs)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	})
	return defs, err
}

// SetTicketStatuses replaces the custom statuses.
func (s *DB) SetTicketStatuses(defs []store.TicketStatusDef) error {
	return s.db.Update(func(tx *bolt.Tx) error { return tput(tx, bTicketMeta, []byte("statuses"), defs) })
}

// PutSLACalendar creates or replaces a calendar.
func (s *DB) PutSLACalendar(c store.SLACalendar) error {
	return s.db.Update(func(tx *bolt.Tx) error { return tput(tx, bSLACalendars, []byte(c.ID), c) })
}

// SLACalendar returns a calendar by ID.
func (s *DB) SLACalendar(id string) (c store.SLACalendar, err error) {
	err = s.db.View(func(tx *bolt.Tx) error { return tget(tx, bSLACalendars, []byte(id), &c) })
	return c, err
}

// SLACalendars lists calendars by name.
func (s *DB) SLACalendars() (out []store.SLACalendar, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bSLACalendars).ForEach(func(_, v []byte) error {
			var c store.SLACalendar
			err := decodeTicketRec(v, &c)
			out = append(out, c)
			return err
		})
	})
	slices.SortFunc(out, func(a, b store.SLACalendar) int { return strings.Compare(a.Name+"\x00"+a.ID, b.Name+"\x00"+b.ID) })
	return out, err
}

// DeleteSLACalendar removes a calendar no SLA uses.
func (s *DB) DeleteSLACalendar(id string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bSLACalendars).Get([]byte(id)) == nil {
			return fmt.Errorf("calendar %q: %w", id, store.ErrNotFound)
		}
		err := tx.Bucket(bSLAs).ForEach(func(_, v []byte) error {
			var sl store.SLA
			if err := decodeTicketRec(v, &sl); err != nil {
				return err
			}
			if sl.CalendarID == id {
				return fmt.Errorf("SLA %q uses calendar %q: %w", sl.Name, id, store.ErrConflict)
			}
			return nil
		})
		if err != nil {
			return err
		}
		return tx.Bucket(bSLACalendars).Delete([]byte(id))
	})
}

// PutSLA creates or replaces an SLA.
func (s *DB) PutSLA(sl store.SLA) error {
	return s.db.Update(func(tx *bolt.Tx) error { return tput(tx, bSLAs, []byte(sl.ID), sl) })
}

// SLA returns an SLA by ID.
func (s *DB) SLA(id string) (sl store.SLA, err error) {
	err = s.db.View(func(tx *bolt.Tx) error { return tget(tx, bSLAs, []byte(id), &sl) })
	return sl, err
}

// SLAs lists SLAs by name.
func (s *DB) SLAs() (out []store.SLA, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bSLAs).ForEach(func(_, v []byte) error {
			var sl store.SLA
			err := decodeTicketRec(v, &sl)
			out = append(out, sl)
			return err
		})
	})
	slices.SortFunc(out, func(a, b store.SLA) int { return strings.Compare(a.Name+"\x00"+a.ID, b.Name+"\x00"+b.ID) })
	return out, err
}

// DeleteSLA removes an SLA.
func (s *DB) DeleteSLA(id string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bSLAs).Get([]byte(id)) == nil {
			return fmt.Errorf("SLA %q: %w", id, store.ErrNotFound)
		}
		return tx.Bucket(bSLAs).Delete([]byte(id))
	})
}

// ImportTickets stores many new tickets in one commit, numbering them in
// order: for bulk loads (the ticket benchmark's seed, importers), where
// one commit per ticket would take minutes. Clients must exist. Batches
// of about a thousand are best: bolt keeps a commit's changed nodes
// unsplit, so a huge batch slows down quadratically.
func (s *DB) ImportTickets(ts []store.Ticket) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		nb := tx.Bucket(bTicketNumbers)
		for i := range ts {
			t := &ts[i]
			if tx.Bucket(bClients).Get([]byte(t.ClientID)) == nil {
				return fmt.Errorf("client %q: %w", t.ClientID, store.ErrNotFound)
			}
			seq, err := nb.NextSequence()
			if err != nil {
				return err
			}
			t.Number = int64(seq)
			if err := nb.Put(u64(seq), []byte(t.ID)); err != nil {
				return err
			}
			if err := indexTicket(tx, t, true); err != nil {
				return err
			}
			if err := tput(tx, bTickets, []byte(t.ID), *t); err != nil {
				return err
			}
		}
		return nil
	})
}
