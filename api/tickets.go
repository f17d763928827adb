package api

import "time"

// Ticket is a service-desk ticket. Times are RFC 3339; SLA deadlines
// and breaches are empty when there are none. DueIn is the business-clock
// view the list shows: "3h 20m left", "overdue 1h 5m", "paused (2h left)"
// or "" (no SLA target).
type Ticket struct {
	ID             string     `json:"id"`
	Number         int64      `json:"number"`
	Title          string     `json:"title"`
	Description    string     `json:"description,omitempty"`
	ClientID       string     `json:"client_id"`
	ClientName     string     `json:"client_name,omitempty"`
	ContactID      string     `json:"contact_id,omitempty"`
	DeviceIDs      []string   `json:"device_ids,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	ModifiedAt     time.Time  `json:"modified_at"`
	TechnicianID   string     `json:"technician_id,omitempty"`
	TechnicianName string     `json:"technician_name,omitempty"`
	Priority       string     `json:"priority"`
	Impact         string     `json:"impact"`
	Type           string     `json:"type"`
	Activity       string     `json:"activity"`
	Status         string     `json:"status"`
	Spam           bool       `json:"spam,omitempty"`
	ContractID     string     `json:"contract_id,omitempty"`
	SLAID          string     `json:"sla_id,omitempty"`
	AlertIDs       []string   `json:"alert_ids,omitempty"`
	SLA            *TicketSLA `json:"sla,omitempty"`
	DueIn          string     `json:"due_in,omitempty"`
	Overdue        bool       `json:"overdue,omitempty"`
	// SLAState is "breached" (a target was missed) or "at-risk" (warned:
	// the configured share of a target is used) while the ticket is not
	// resolved, closed or deleted; "" otherwise.
	SLAState string `json:"sla_state,omitempty"`
}

// TicketSLA is a ticket's service-level state. ResolutionLeftMinutes is
// set while the resolution clock is paused or stopped.
type TicketSLA struct {
	FirstResponseDue      *time.Time `json:"first_response_due,omitempty"`
	FirstResponseAt       *time.Time `json:"first_response_at,omitempty"`
	FirstResponseBreached *time.Time `json:"first_response_breached,omitempty"`
	ResolutionDue         *time.Time `json:"resolution_due,omitempty"`
	ResolutionBreached    *time.Time `json:"resolution_breached,omitempty"`
	ResolutionLeftMinutes int        `json:"resolution_left_minutes,omitempty"`
	Paused                bool       `json:"paused,omitempty"`
}

// TicketList is one page of tickets; Next is the cursor of the next page
// ("" = last page).
type TicketList struct {
	Tickets []Ticket `json:"tickets"`
	Next    string   `json:"next,omitempty"`
}

// TicketRequest creates a ticket (POST; Title required) or changes one
// (PATCH; only the fields sent change). Priority: low, medium, high,
// critical; Impact: none, customer down, server issue, minor, major,
// crisis; Type: incident, problem, request, change; Activity: unread,
// read, waiting for requester, waiting for technician; Status: a built-in
// or custom status. TechnicianID "" unassigns (PATCH). ContractID "" on
// create picks the client's default contract when there is one.
type TicketRequest struct {
	Title        *string   `json:"title,omitempty"`
	Description  *string   `json:"description,omitempty"`
	ContactID    *string   `json:"contact_id,omitempty"`
	DeviceIDs    *[]string `json:"device_ids,omitempty"`
	TechnicianID *string   `json:"technician_id,omitempty"`
	Priority     *string   `json:"priority,omitempty"`
	Impact       *string   `json:"impact,omitempty"`
	Type         *string   `json:"type,omitempty"`
	Activity     *string   `json:"activity,omitempty"`
	Status       *string   `json:"status,omitempty"`
	Spam         *bool     `json:"spam,omitempty"`
	ContractID   *string   `json:"contract_id,omitempty"`
	SLAID        *string   `json:"sla_id,omitempty"`
	// ResolveAlerts, with a change to resolved or closed, resolves the
	// ticket's linked alerts too.
	ResolveAlerts bool `json:"resolve_alerts,omitempty"`
}

// TicketComment is a comment of a ticket's timeline; internal ones
// (Public false) are never shown to the customer.
type TicketComment struct {
	ID         string    `json:"id"`
	AuthorID   string    `json:"author_id"`
	AuthorName string    `json:"author_name,omitempty"`
	Public     bool      `json:"public"`
	Body       string    `json:"body"`
	At         time.Time `json:"at"`
}

// TicketCommentRequest adds a comment.
type TicketCommentRequest struct {
	Body   string `json:"body"`
	Public bool   `json:"public,omitempty"`
}

// TimeEntry is time worked on a ticket.
type TimeEntry struct {
	ID         string    `json:"id"`
	TicketID   string    `json:"ticket_id"`
	UserID     string    `json:"user_id"`
	UserName   string    `json:"user_name,omitempty"`
	Minutes    int       `json:"minutes"`
	Billable   bool      `json:"billable"`
	ContractID string    `json:"contract_id,omitempty"`
	Note       string    `json:"note,omitempty"`
	At         time.Time `json:"at"`
}

// TimeEntryRequest records time on a ticket: Minutes 1 to 1440; Date
// YYYY-MM-DD ("" = today); ContractID "" = the ticket's contract.
type TimeEntryRequest struct {
	Minutes    int    `json:"minutes"`
	Billable   bool   `json:"billable,omitempty"`
	ContractID string `json:"contract_id,omitempty"`
	Note       string `json:"note,omitempty"`
	Date       string `json:"date,omitempty"`
}

// TicketDetail is a ticket with its timeline (comments and time entries,
// each oldest first; the portal gets public comments only and no time).
type TicketDetail struct {
	Ticket   Ticket          `json:"ticket"`
	Comments []TicketComment `json:"comments"`
	Time     []TimeEntry     `json:"time,omitempty"`
}

// TicketStatus is a ticket status; Builtin ones cannot be removed; Pauses
// says whether time in it stops the SLA resolution clock.
type TicketStatus struct {
	Name    string `json:"name"`
	Pauses  bool   `json:"pauses"`
	Builtin bool   `json:"builtin,omitempty"`
}

// TicketStatuses are every status; PUT sets the custom ones (built-ins
// sent are ignored).
type TicketStatuses struct {
	Statuses []TicketStatus `json:"statuses"`
}

// BusinessHours is one working span of a weekday (0 = Sunday), as
// "09:00"-"17:00" local time ("24:00" ends at midnight).
type BusinessHours struct {
	Weekday int    `json:"weekday"`
	Start   string `json:"start"`
	End     string `json:"end"`
}

// SLACalendar is a business-hours calendar: working hours per weekday in
// an IANA time zone, and holidays (YYYY-MM-DD).
type SLACalendar struct {
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	TimeZone  string          `json:"time_zone"`
	Hours     []BusinessHours `json:"hours"`
	Holidays  []string        `json:"holidays"`
	UpdatedAt time.Time       `json:"updated_at"`
}

// SLATarget is one priority's targets in business minutes (0 = none).
type SLATarget struct {
	Priority             string `json:"priority"`
	FirstResponseMinutes int    `json:"first_response_minutes"`
	ResolutionMinutes    int    `json:"resolution_minutes"`
}

// SLA is a service level: a calendar ("" = every minute counts) and
// targets per priority.
type SLA struct {
	ID         string      `json:"id"`
	Name       string      `json:"name"`
	CalendarID string      `json:"calendar_id,omitempty"`
	Targets    []SLATarget `json:"targets"`
	UpdatedAt  time.Time   `json:"updated_at"`
}

// SLAChange answers a change of an SLA or calendar: the open tickets
// whose deadlines were recomputed.
type SLAChange struct {
	SLA        *SLA         `json:"sla,omitempty"`
	Calendar   *SLACalendar `json:"calendar,omitempty"`
	Recomputed int          `json:"recomputed"`
	DeletedID  string       `json:"deleted_id,omitempty"`
}

// SLAList lists SLAs and calendars.
type SLAList struct {
	SLAs      []SLA         `json:"slas"`
	Calendars []SLACalendar `json:"calendars"`
}

// AlertTicketRequest opens a ticket from an alert (Title "" = the
// alert's message) or links it to an existing ticket (TicketID set).
type AlertTicketRequest struct {
	TicketID string `json:"ticket_id,omitempty"`
	Title    string `json:"title,omitempty"`
	Priority string `json:"priority,omitempty"`
}

// PortalTicketRequest opens a ticket from the customer portal.
type PortalTicketRequest struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}
