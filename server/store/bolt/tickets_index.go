package boltstore

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/steward-rmm/steward/server/store"
	bolt "go.etcd.io/bbolt"
)

// The ticket list index, in bTicketIndex, so that a page of the default
// "open and pending" view among hundreds of thousands of tickets reads a
// page worth of keys rather than every ticket:
//
//	"g" sort status NUL key           every ticket, by status
//	"c" sort client NUL status NUL key  a client's tickets, by status
//	"s" status                          every status a ticket has had
//
// where sort is 'm' (by modification time) or 'n' (by number) and key is
// the 8-byte sort value then the ticket ID. The value of each entry is a
// ticketSummary, so the filters of a query run on the index alone; only
// the tickets of the page are decoded. A query merges one stream per
// status (and per client of a narrow scope) in sort order.

// ticketSummary is what a query filters on, kept in each index entry;
// its fields point into the entry (read in the transaction, without
// copies: a filtered page may read thousands).
type ticketSummary struct {
	client, contact, tech, priority, impact, typ, sla, spam, number, title []byte
}

const sumSep = "\x1f"

func summaryOf(t *store.Ticket) []byte {
	spam := ""
	if t.Spam {
		spam = "1"
	}
	title := strings.ReplaceAll(strings.ToLower(t.Title), sumSep, " ")
	return []byte(strings.Join([]string{t.ClientID, t.ContactID, t.TechnicianID, t.Priority, t.Impact, t.Type, t.SLAID,
		spam, strconv.FormatInt(t.Number, 10), title}, sumSep))
}

func parseSummary(v []byte) (s ticketSummary, ok bool) {
	for _, f := range []*[]byte{&s.client, &s.contact, &s.tech, &s.priority, &s.impact, &s.typ, &s.sla, &s.spam, &s.number} {
		if *f, v, ok = bytes.Cut(v, []byte(sumSep)); !ok {
			return s, false
		}
	}
	s.title = v
	return s, true
}

func sortVal(t *store.Ticket, sort byte) []byte {
	if sort == 'n' {
		return u64(uint64(t.Number))
	}
	return u64(uint64(t.ModifiedAt.UnixNano()))
}

// indexTicket adds (or removes) a ticket's index entries.
func indexTicket(tx *bolt.Tx, t *store.Ticket, add bool) error {
	b := tx.Bucket(bTicketIndex)
	sum := summaryOf(t)
	for _, sort := range []byte{'m', 'n'} {
		key := append(sortVal(t, sort), t.ID...)
		for _, k := range [][]byte{
			append([]byte("g"+string(sort)+t.Status+"\x00"), key...),
			append([]byte("c"+string(sort)+t.ClientID+"\x00"+t.Status+"\x00"), key...),
		} {
			var err error
			if add {
				err = b.Put(k, sum)
			} else {
				err = b.Delete(k)
			}
			if err != nil {
				return err
			}
		}
	}
	if err := indexTicketSLA(tx, t, add); err != nil {
		return err
	}
	if add {
		return b.Put([]byte("s"+t.Status), nil)
	}
	return nil
}

// stream walks one prefix of the index in sort order.
type stream struct {
	c      *bolt.Cursor
	prefix []byte
	asc    bool
	k, v   []byte
}

func (s *stream) start(cursor []byte) {
	if s.asc {
		target := append(slices.Clip(s.prefix), cursor...)
		s.k, s.v = s.c.Seek(target)
		if cursor != nil && bytes.Equal(s.k, target) {
			s.k, s.v = s.c.Next()
		}
	} else {
		target := append(slices.Clip(s.prefix), cursor...)
		if cursor == nil {
			target = append(target, bytes.Repeat([]byte{0xff}, 9)...)
		}
		if k, _ := s.c.Seek(target); k == nil {
			s.k, s.v = s.c.Last()
		} else {
			s.k, s.v = s.c.Prev()
		}
	}
	s.check()
}

func (s *stream) next() {
	if s.asc {
		s.k, s.v = s.c.Next()
	} else {
		s.k, s.v = s.c.Prev()
	}
	s.check()
}

func (s *stream) check() {
	if s.k != nil && !bytes.HasPrefix(s.k, s.prefix) {
		s.k, s.v = nil, nil
	}
}

func (s *stream) sortKey() []byte { return s.k[len(s.prefix):] }

// narrowScope is the most clients of a scope read one stream each; a
// wider scope reads the global streams and filters.
const narrowScope = 64

// scanTickets calls fn with the sort key and summary of every ticket q
// selects, in order from q.Cursor, until fn returns false.
func scanTickets(tx *bolt.Tx, q *store.TicketQuery, fn func(key []byte, s *ticketSummary) bool) error {
	if q.SLAState != "" || !q.SLACheckBy.IsZero() {
		return scanTicketsSLA(tx, q, fn)
	}
	var cursor []byte
	if q.Cursor != "" {
		c, err := hex.DecodeString(q.Cursor)
		if err != nil || len(c) < 8 {
			return fmt.Errorf("ticket cursor %q: %w", q.Cursor, store.ErrNotFound)
		}
		cursor = c
	}
	statuses := q.Statuses
	if statuses == nil {
		statuses = seenStatuses(tx)
	}
	sort := "m"
	if q.Sort == store.TicketSortNumber {
		sort = "n"
	}
	var clients []string
	var inScope map[string]bool
	switch {
	case q.ClientID != "":
		if !q.Scope.Has(q.ClientID) {
			return nil
		}
		clients = []string{q.ClientID}
	case q.Scope.Only && len(q.Scope.Clients) == 0:
		return nil
	case q.Scope.Only && len(q.Scope.Clients) <= narrowScope:
		clients = q.Scope.Clients
	case q.Scope.Only:
		inScope = map[string]bool{}
		for _, c := range q.Scope.Clients {
			inScope[c] = true
		}
	}
	if n, ok := strings.CutPrefix(strings.TrimSpace(q.Text), "#"); ok {
		return scanNumber(tx, q, n, statuses, inScope, clients, cursor, fn)
	}
	b := tx.Bucket(bTicketIndex)
	var streams []*stream
	for _, st := range statuses {
		if clients == nil {
			streams = append(streams, &stream{c: b.Cursor(), prefix: []byte("g" + sort + st + "\x00"), asc: q.Asc})
		}
		for _, c := range clients {
			streams = append(streams, &stream{c: b.Cursor(), prefix: []byte("c" + sort + c + "\x00" + st + "\x00"), asc: q.Asc})
		}
	}
	for _, s := range streams {
		s.start(cursor)
	}
	text, num := strings.ToLower(strings.TrimSpace(q.Text)), ""
	if n, err := strconv.ParseInt(strings.TrimPrefix(text, "#"), 10, 64); err == nil && n > 0 {
		num = strconv.FormatInt(n, 10)
	}
	for {
		var best *stream
		for _, s := range streams {
			if s.k == nil {
				continue
			}
			if best == nil {
				best = s
				continue
			}
			c := bytes.Compare(s.sortKey(), best.sortKey())
			if (q.Asc && c < 0) || (!q.Asc && c > 0) {
				best = s
			}
		}
		if best == nil {
			return nil
		}
		sum, ok := parseSummary(best.v)
		if ok && (inScope == nil || inScope[string(sum.client)]) && matchSummary(q, &sum, text, num) {
			if !fn(best.sortKey(), &sum) {
				return nil
			}
		}
		best.next()
	}
}

// scanNumber answers a search for "#N": the one ticket of that number,
// looked up rather than searched, when q selects it.
func scanNumber(tx *bolt.Tx, q *store.TicketQuery, num string, statuses []string, inScope map[string]bool, clients []string,
	cursor []byte, fn func(key []byte, s *ticketSummary) bool) error {
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 || cursor != nil {
		return nil
	}
	id := tx.Bucket(bTicketNumbers).Get(u64(uint64(n)))
	if id == nil {
		return nil
	}
	var t store.Ticket
	if err := tget(tx, bTickets, id, &t); err != nil {
		return err
	}
	sum, _ := parseSummary(summaryOf(&t))
	if !slices.Contains(statuses, t.Status) || (inScope != nil && !inScope[t.ClientID]) ||
		(clients != nil && !slices.Contains(clients, t.ClientID)) || !matchSummary(q, &sum, "", "") {
		return nil
	}
	sort := byte('m')
	if q.Sort == store.TicketSortNumber {
		sort = 'n'
	}
	fn(append(sortVal(&t, sort), t.ID...), &sum)
	return nil
}

func matchSummary(q *store.TicketQuery, s *ticketSummary, text, num string) bool {
	switch {
	case q.ContactID != "" && string(s.contact) != q.ContactID,
		q.Technician == "-" && len(s.tech) != 0,
		q.Technician != "" && q.Technician != "-" && string(s.tech) != q.Technician,
		q.Priority != "" && string(s.priority) != q.Priority,
		q.Impact != "" && string(s.impact) != q.Impact,
		q.Type != "" && string(s.typ) != q.Type,
		q.SLAIDs != nil && !slices.Contains(q.SLAIDs, string(s.sla)),
		q.Spam != nil && *q.Spam != (string(s.spam) == "1"):
		return false
	}
	return text == "" || (num != "" && string(s.number) == num) || strings.Contains(string(s.title), text)
}

// Tickets lists one page of the tickets q selects.
func (s *DB) Tickets(q store.TicketQuery) (page store.TicketPage, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		var ids []string
		var last []byte
		more := false
		err := scanTickets(tx, &q, func(key []byte, _ *ticketSummary) bool {
			if q.Limit > 0 && len(ids) == q.Limit {
				more = true
				return false
			}
			ids = append(ids, string(key[8:]))
			last = slices.Clone(key)
			return true
		})
		if err != nil {
			return err
		}
		page.Tickets = make([]store.Ticket, 0, len(ids))
		for _, id := range ids {
			var t store.Ticket
			if err := tget(tx, bTickets, []byte(id), &t); err != nil {
				return err
			}
			page.Tickets = append(page.Tickets, t)
		}
		if more {
			page.Next = hex.EncodeToString(last)
		}
		return nil
	})
	return page, err
}

// CountTickets counts the tickets q selects.
func (s *DB) CountTickets(q store.TicketQuery) (n int, err error) {
	q.Cursor, q.Limit = "", 0
	err = s.db.View(func(tx *bolt.Tx) error {
		return scanTickets(tx, &q, func([]byte, *ticketSummary) bool { n++; return true })
	})
	return n, err
}
