package boltstore

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/steward-rmm/steward/server/store"
)

// The disk types of the service-desk records (see codec.go for why the
// store has its own): tickets with their clock history and SLA state,
// comments, time entries, custom statuses, SLAs and calendars. They have
// their own encoder so the ticket buckets stay one self-contained part of
// the format.

type diskClockEvent struct {
	At       time.Time `json:"at"`
	Status   string    `json:"status"`
	Paused   bool      `json:"paused,omitempty"`
	Stopped  bool      `json:"stopped,omitempty"`
	Priority string    `json:"priority"`
	SLAID    string    `json:"sla_id,omitempty"`
}

type diskTicketSLA struct {
	FirstResponseDue      time.Time `json:"first_response_due,omitzero"`
	ResolutionDue         time.Time `json:"resolution_due,omitzero"`
	FirstResponseAt       time.Time `json:"first_response_at,omitzero"`
	FirstResponseBreached time.Time `json:"first_response_breached,omitzero"`
	ResolutionBreached    time.Time `json:"resolution_breached,omitzero"`
	ResolutionLeft        int       `json:"resolution_left,omitempty"`
	ComputedAt            time.Time `json:"computed_at,omitzero"`
	FirstResponseWarned   time.Time `json:"first_response_warned,omitzero"`
	ResolutionWarned      time.Time `json:"resolution_warned,omitzero"`
	FirstResponseNotified time.Time `json:"first_response_notified,omitzero"`
	ResolutionNotified    time.Time `json:"resolution_notified,omitzero"`
	NextCheck             time.Time `json:"next_check,omitzero"`
}

type diskTicket struct {
	ID           string           `json:"id"`
	Number       int64            `json:"number"`
	Title        string           `json:"title"`
	Description  string           `json:"description,omitempty"`
	ClientID     string           `json:"client_id"`
	ContactID    string           `json:"contact_id,omitempty"`
	DeviceIDs    []string         `json:"device_ids,omitempty"`
	CreatedAt    time.Time        `json:"created_at"`
	ModifiedAt   time.Time        `json:"modified_at"`
	CreatedBy    string           `json:"created_by,omitempty"`
	TechnicianID string           `json:"technician_id,omitempty"`
	Priority     string           `json:"priority"`
	Impact       string           `json:"impact,omitempty"`
	Type         string           `json:"type"`
	Activity     string           `json:"activity"`
	Status       string           `json:"status"`
	Spam         bool             `json:"spam,omitempty"`
	ContractID   string           `json:"contract_id,omitempty"`
	SLAID        string           `json:"sla_id,omitempty"`
	AlertIDs     []string         `json:"alert_ids,omitempty"`
	Clock        []diskClockEvent `json:"clock,omitempty"`
	SLA          diskTicketSLA    `json:"sla"`
}

type diskTicketComment struct {
	ID         string    `json:"id"`
	TicketID   string    `json:"ticket_id"`
	AuthorID   string    `json:"author_id"`
	AuthorName string    `json:"author_name,omitempty"`
	Public     bool      `json:"public,omitempty"`
	Body       string    `json:"body"`
	At         time.Time `json:"at"`
}

type diskTimeEntry struct {
	ID           string    `json:"id"`
	TicketID     string    `json:"ticket_id"`
	ClientID     string    `json:"client_id"`
	UserID       string    `json:"user_id"`
	UserName     string    `json:"user_name,omitempty"`
	Minutes      int       `json:"minutes"`
	Billable     bool      `json:"billable,omitempty"`
	ContractID   string    `json:"contract_id,omitempty"`
	Note         string    `json:"note,omitempty"`
	At           time.Time `json:"at"`
	TicketNumber int64     `json:"ticket_number"`
	TicketTitle  string    `json:"ticket_title,omitempty"`
}

type diskTicketStatus struct {
	Name   string `json:"name"`
	Pauses bool   `json:"pauses,omitempty"`
}

type diskBusinessHours struct {
	Weekday int `json:"weekday"`
	Start   int `json:"start"`
	End     int `json:"end"`
}

type diskSLACalendar struct {
	ID        string              `json:"id"`
	Name      string              `json:"name"`
	TimeZone  string              `json:"time_zone"`
	Hours     []diskBusinessHours `json:"hours,omitempty"`
	Holidays  []string            `json:"holidays,omitempty"`
	UpdatedAt time.Time           `json:"updated_at,omitzero"`
}

type diskSLATarget struct {
	Priority      string `json:"priority"`
	FirstResponse int    `json:"first_response,omitempty"`
	Resolution    int    `json:"resolution,omitempty"`
}

type diskSLA struct {
	ID         string          `json:"id"`
	Name       string          `json:"name"`
	CalendarID string          `json:"calendar_id,omitempty"`
	Targets    []diskSLATarget `json:"targets,omitempty"`
	UpdatedAt  time.Time       `json:"updated_at,omitzero"`
}

func toDiskTicket(t store.Ticket) diskTicket {
	d := diskTicket{ID: t.ID, Number: t.Number, Title: t.Title, Description: t.Description, ClientID: t.ClientID,
		ContactID: t.ContactID, DeviceIDs: t.DeviceIDs, CreatedAt: t.CreatedAt, ModifiedAt: t.ModifiedAt, CreatedBy: t.CreatedBy,
		TechnicianID: t.TechnicianID, Priority: t.Priority, Impact: t.Impact, Type: t.Type, Activity: t.Activity,
		Status: t.Status, Spam: t.Spam, ContractID: t.ContractID, SLAID: t.SLAID, AlertIDs: t.AlertIDs, SLA: diskTicketSLA(t.SLA)}
	for _, e := range t.Clock {
		d.Clock = append(d.Clock, diskClockEvent(e))
	}
	return d
}

func fromDiskTicket(d diskTicket) store.Ticket {
	t := store.Ticket{ID: d.ID, Number: d.Number, Title: d.Title, Description: d.Description, ClientID: d.ClientID,
		ContactID: d.ContactID, DeviceIDs: d.DeviceIDs, CreatedAt: d.CreatedAt, ModifiedAt: d.ModifiedAt, CreatedBy: d.CreatedBy,
		TechnicianID: d.TechnicianID, Priority: d.Priority, Impact: d.Impact, Type: d.Type, Activity: d.Activity,
		Status: d.Status, Spam: d.Spam, ContractID: d.ContractID, SLAID: d.SLAID, AlertIDs: d.AlertIDs, SLA: store.TicketSLA(d.SLA)}
	for _, e := range d.Clock {
		t.Clock = append(t.Clock, store.TicketClockEvent(e))
	}
	return t
}

// encodeTicketRec returns a service-desk record's stored form.
func encodeTicketRec(v any) ([]byte, error) {
	switch x := v.(type) {
	case store.Ticket:
		return json.Marshal(toDiskTicket(x))
	case store.TicketComment:
		return json.Marshal(diskTicketComment(x))
	case store.TimeEntry:
		return json.Marshal(diskTimeEntry(x))
	case store.SLACalendar:
		d := diskSLACalendar{ID: x.ID, Name: x.Name, TimeZone: x.TimeZone, Holidays: x.Holidays, UpdatedAt: x.UpdatedAt}
		for _, h := range x.Hours {
			d.Hours = append(d.Hours, diskBusinessHours(h))
		}
		return json.Marshal(d)
	case store.SLA:
		d := diskSLA{ID: x.ID, Name: x.Name, CalendarID: x.CalendarID, UpdatedAt: x.UpdatedAt}
		for _, tg := range x.Targets {
			d.Targets = append(d.Targets, diskSLATarget(tg))
		}
		return json.Marshal(d)
	case []store.TicketStatusDef:
		d := []diskTicketStatus{}
		for _, s := range x {
			d = append(d, diskTicketStatus(s))
		}
		return json.Marshal(d)
	}
	return nil, fmt.Errorf("store: no disk encoding for %T", v)
}

// decodeTicketRec reads a stored service-desk record into v, a pointer.
func decodeTicketRec(b []byte, v any) error {
	switch x := v.(type) {
	case *store.Ticket:
		var d diskTicket
		err := json.Unmarshal(b, &d)
		*x = fromDiskTicket(d)
		return err
	case *store.TicketComment:
		return json.Unmarshal(b, (*diskTicketComment)(x))
	case *store.TimeEntry:
		return json.Unmarshal(b, (*diskTimeEntry)(x))
	case *store.SLACalendar:
		var d diskSLACalendar
		err := json.Unmarshal(b, &d)
		*x = store.SLACalendar{ID: d.ID, Name: d.Name, TimeZone: d.TimeZone, Holidays: d.Holidays, UpdatedAt: d.UpdatedAt}
		for _, h := range d.Hours {
			x.Hours = append(x.Hours, store.BusinessHours(h))
		}
		return err
	case *store.SLA:
		var d diskSLA
		err := json.Unmarshal(b, &d)
		*x = store.SLA{ID: d.ID, Name: d.Name, CalendarID: d.CalendarID, UpdatedAt: d.UpdatedAt}
		for _, tg := range d.Targets {
			x.Targets = append(x.Targets, store.SLATarget(tg))
		}
		return err
	case *[]store.TicketStatusDef:
		var d []diskTicketStatus
		err := json.Unmarshal(b, &d)
		*x = nil
		for _, s := range d {
			*x = append(*x, store.TicketStatusDef(s))
		}
		return err
	}
	return fmt.Errorf("store: no disk encoding for %T", v)
}
