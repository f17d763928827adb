package store

import "time"

// Ticket statuses every server has; admins add custom ones
// (TicketStatusDef), each saying whether it pauses the SLA clock.
const (
	TicketOpen     = "open"
	TicketPending  = "pending"
	TicketResolved = "resolved"
	TicketClosed   = "closed"
	TicketDeleted  = "deleted"
)

// TicketBuiltinStatuses lists the built-in statuses in their usual order.
var TicketBuiltinStatuses = []string{TicketOpen, TicketPending, TicketResolved, TicketClosed, TicketDeleted}

// Ticket is one service-desk ticket of a client. Number is sequential per
// server and never reused. TechnicianID is the assigned user ("" = none).
// Clock is the SLA clock history: one event per change of status,
// priority or SLA, oldest first, from which the deadlines in SLA are
// computed (and recomputed when the SLA or priority changes).
type Ticket struct {
	ID           string
	Number       int64
	Title        string
	Description  string
	ClientID     string
	ContactID    string
	DeviceIDs    []string
	CreatedAt    time.Time
	ModifiedAt   time.Time
	CreatedBy    string
	TechnicianID string
	Priority     string
	Impact       string
	Type         string
	Activity     string
	Status       string
	Spam         bool
	ContractID   string
	SLAID        string
	AlertIDs     []string
	Clock        []TicketClockEvent
	SLA          TicketSLA
}

// TicketClockEvent is the ticket's state from At on: its status, whether
// that status pauses the resolution clock, its priority and its SLA.
type TicketClockEvent struct {
	At       time.Time
	Status   string
	Paused   bool
	Stopped  bool // resolved, closed or deleted: the clock has ended
	Priority string
	SLAID    string
}

// TicketSLA holds the deadlines computed from the clock history (zero =
// none, or paused for ResolutionDue), when the first public reply came,
// and when each target was breached (kept once set: a breach stays).
type TicketSLA struct {
	FirstResponseDue      time.Time
	ResolutionDue         time.Time
	FirstResponseAt       time.Time
	FirstResponseBreached time.Time
	ResolutionBreached    time.Time
	// ResolutionLeft is the business time left when the clock is paused
	// (ResolutionDue is then zero), in minutes.
	ResolutionLeft int
	ComputedAt     time.Time
	// When the SLA sweep warned (the configured share of a target used)
	// and notified each breach: each is sent once, so a restarted
	// server repeats none of them.
	FirstResponseWarned   time.Time
	ResolutionWarned      time.Time
	FirstResponseNotified time.Time
	ResolutionNotified    time.Time
	// NextCheck is when the sweep must look at the ticket next (the
	// earliest warning or deadline not yet notified; zero = never): the
	// sweep's query (TicketQuery.SLACheckBy) reads tickets by it.
	NextCheck time.Time
}

// SLA states a ticket list can be narrowed to (TicketQuery.SLAState),
// for tickets that are not resolved, closed or deleted: breached (a
// first-response or resolution breach is recorded) or at risk (warned,
// not breached).
const (
	SLAStateBreached = "breached"
	SLAStateAtRisk   = "at-risk"
)

// SLADue is the deadline a ticket list sorts at-risk and breached tickets
// by: the first-response deadline while no response was given, else the
// resolution deadline (zero when neither applies).
func SLADue(t *Ticket) time.Time {
	s := &t.SLA
	fr := s.FirstResponseDue
	if !s.FirstResponseAt.IsZero() {
		fr = time.Time{}
	}
	switch {
	case fr.IsZero():
		return s.ResolutionDue
	case s.ResolutionDue.IsZero() || fr.Before(s.ResolutionDue):
		return fr
	}
	return s.ResolutionDue
}

// TicketSLAState is a ticket's SLA state for TicketQuery.SLAState ("" =
// neither breached nor at risk, or the ticket is resolved, closed or
// deleted).
func TicketSLAState(t *Ticket) string {
	s := &t.SLA
	switch {
	case t.Status == TicketResolved || t.Status == TicketClosed || t.Status == TicketDeleted:
		return ""
	case !s.FirstResponseBreached.IsZero() || !s.ResolutionBreached.IsZero():
		return SLAStateBreached
	case !s.FirstResponseWarned.IsZero() || !s.ResolutionWarned.IsZero():
		return SLAStateAtRisk
	}
	return ""
}

// TicketComment is a comment on a ticket's timeline; Public ones are
// shown to the customer, internal ones never are. AuthorID is a user ID,
// or "contact:<id>" for a portal contact.
type TicketComment struct {
	ID         string
	TicketID   string
	AuthorID   string
	AuthorName string
	Public     bool
	Body       string
	At         time.Time
}

// TimeEntry is time worked on a ticket, billable or not, against a
// contract ("" = none).
type TimeEntry struct {
	ID           string
	TicketID     string
	ClientID     string
	UserID       string
	UserName     string
	Minutes      int
	Billable     bool
	ContractID   string
	Note         string
	At           time.Time
	TicketNumber int64
	TicketTitle  string
}

// TicketStatusDef is a custom ticket status an admin added.
type TicketStatusDef struct {
	Name   string
	Pauses bool
}

// BusinessHours is one working span of a weekday, in minutes from local
// midnight: [Start, End).
type BusinessHours struct {
	Weekday int // 0 = Sunday
	Start   int
	End     int
}

// SLACalendar is a business-hours calendar: working spans per weekday in
// a time zone, and holidays (dates "2006-01-02" in that zone).
type SLACalendar struct {
	ID        string
	Name      string
	TimeZone  string
	Hours     []BusinessHours
	Holidays  []string
	UpdatedAt time.Time
}

// SLATarget is the first-response and resolution target of one priority,
// in business minutes (0 = no target).
type SLATarget struct {
	Priority      string
	FirstResponse int
	Resolution    int
}

// SLA is a service level: a calendar ("" = every minute counts) and a
// target per priority.
type SLA struct {
	ID         string
	Name       string
	CalendarID string
	Targets    []SLATarget
	UpdatedAt  time.Time
}

// Ticket query sorts.
const (
	TicketSortModified = "modified" // last modified first
	TicketSortNumber   = "number"   // newest (highest number) first
)

// TicketQuery selects tickets: of one of Statuses (nil = any), of
// ClientID ("" = any) inside Scope, assigned to Technician ("" = any;
// "-" = unassigned), of Priority, Impact, Type, SLAIDs when set, Spam
// (nil = any), whose title contains Text (any case) or whose number is
// Text ("#N" selects ticket N only, looked up rather than searched); ContactID narrows to one contact's tickets. Sorted by Sort
// (descending, or ascending when Asc), after the ticket at Cursor (an
// opaque string from TicketPage.Next), at most Limit (0 = all).
//
// SLAState ("breached" or "at-risk"), when set, narrows to tickets in
// that state (TicketSLAState) and sorts them by SLADue, soonest (most
// overdue) first, whatever Sort and Asc say. SLACheckBy, when set,
// narrows to tickets whose SLA.NextCheck is set and not after it, sorted
// by NextCheck, soonest first (the SLA sweep's query). The other filters
// apply to both.
type TicketQuery struct {
	Statuses   []string
	ClientID   string
	ContactID  string
	Scope      Scope
	Technician string
	Priority   string
	Impact     string
	Type       string
	SLAIDs     []string
	Spam       *bool
	Text       string
	Sort       string
	Asc        bool
	Cursor     string
	Limit      int
	SLAState   string
	SLACheckBy time.Time
}

// TicketPage is one page of tickets and the cursor of the next ("" = the
// last page).
type TicketPage struct {
	Tickets []Ticket
	Next    string
}

// TicketStore holds tickets, their timelines, custom statuses, SLAs and
// business-hours calendars.
type TicketStore interface {
	// CreateTicket stores a new ticket of an existing client (else
	// ErrNotFound) with the next number (never reused) and returns it.
	// When maxActive > 0 and the client has that many tickets that are
	// not resolved, closed, deleted or spam, it stores nothing and
	// returns ErrConflict; the count and the creation are atomic.
	CreateTicket(t Ticket, maxActive int) (Ticket, error)
	Ticket(id string) (Ticket, error)
	TicketByNumber(n int64) (Ticket, error)
	// UpdateTicket changes a ticket atomically: fn sees the current record
	// (its ID, Number, ClientID and CreatedAt cannot change); an error from
	// fn leaves it unchanged.
	UpdateTicket(id string, fn func(*Ticket) error) (Ticket, error)
	Tickets(q TicketQuery) (TicketPage, error)
	// CountTickets counts what q selects (Cursor and Limit ignored).
	CountTickets(q TicketQuery) (int, error)
	// SetTicketSLAs stores computed SLA fields of many tickets in one
	// commit, changing nothing else (unknown IDs are skipped).
	SetTicketSLAs(slas map[string]TicketSLA) error

	// AddTicketComment appends a comment to an existing ticket.
	AddTicketComment(c TicketComment) error
	// TicketComments lists a ticket's comments oldest first.
	TicketComments(ticketID string) ([]TicketComment, error)
	// PutTimeEntry creates or replaces a time entry of an existing ticket.
	PutTimeEntry(e TimeEntry) error
	TimeEntry(id string) (TimeEntry, error)
	// TimeEntries lists a ticket's time entries oldest first.
	TimeEntries(ticketID string) ([]TimeEntry, error)
	// ClientTimeEntries lists a client's time entries with At in
	// [from, to), oldest first.
	ClientTimeEntries(clientID string, from, to time.Time) ([]TimeEntry, error)
	DeleteTimeEntry(id string) error

	// TicketStatuses lists custom statuses (nil until set).
	TicketStatuses() ([]TicketStatusDef, error)
	SetTicketStatuses(defs []TicketStatusDef) error

	PutSLACalendar(c SLACalendar) error
	SLACalendar(id string) (SLACalendar, error)
	SLACalendars() ([]SLACalendar, error)
	// DeleteSLACalendar refuses (ErrConflict) while an SLA uses it.
	DeleteSLACalendar(id string) error
	PutSLA(s SLA) error
	SLA(id string) (SLA, error)
	SLAs() ([]SLA, error)
	DeleteSLA(id string) error
}
