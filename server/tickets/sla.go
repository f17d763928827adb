package tickets

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/slaclock"
	"github.com/steward-rmm/steward/server/store"
)

// clock is an SLA ready to compute with: its targets and calendar.
type clock struct {
	sla  *store.SLA // nil: no SLA
	cal  *slaclock.Calendar
	warn float64 // the share of a target at which the sweep warns (0: never)
}

// clockFor loads SLA id ("" = none) and its calendar.
func (w *Wing) clockFor(id string) (clock, error) {
	if id == "" {
		return clock{}, nil
	}
	sl, err := w.d.Store.SLA(id)
	if errors.Is(err, store.ErrNotFound) {
		return clock{}, nil // deleted since: the ticket keeps its ID, no target
	}
	if err != nil {
		return clock{}, err
	}
	c := clock{sla: &sl, warn: w.warnShare()}
	if sl.CalendarID != "" {
		cal, err := w.d.Store.SLACalendar(sl.CalendarID)
		if err != nil {
			return clock{}, fmt.Errorf("calendar of SLA %s: %w", sl.ID, err)
		}
		if c.cal, err = calendarOf(&cal); err != nil {
			return clock{}, err
		}
	}
	return c, nil
}

func calendarOf(c *store.SLACalendar) (*slaclock.Calendar, error) {
	var week [7][]slaclock.Span
	for _, h := range c.Hours {
		if h.Weekday < 0 || h.Weekday > 6 {
			return nil, fmt.Errorf("weekday %d: want 0 (Sunday) to 6", h.Weekday)
		}
		week[h.Weekday] = append(week[h.Weekday], slaclock.Span{Start: h.Start, End: h.End})
	}
	return slaclock.New(c.TimeZone, week, c.Holidays)
}

// compute sets t.SLA from its clock history and the SLA's targets for
// its priority, keeping the first response, any breach recorded and what
// the sweep notified, and sets when the sweep must look at it next. It
// returns when the warnings are due (zero: none).
func (c clock) compute(t *store.Ticket, now time.Time) warnings {
	prev := t.SLA
	t.SLA = store.TicketSLA{FirstResponseAt: prev.FirstResponseAt, FirstResponseBreached: prev.FirstResponseBreached,
		ResolutionBreached: prev.ResolutionBreached, ComputedAt: now,
		FirstResponseWarned: prev.FirstResponseWarned, ResolutionWarned: prev.ResolutionWarned,
		FirstResponseNotified: prev.FirstResponseNotified, ResolutionNotified: prev.ResolutionNotified}
	if c.sla == nil {
		return warnings{}
	}
	var tg store.SLATarget
	if i := slices.IndexFunc(c.sla.Targets, func(x store.SLATarget) bool { return x.Priority == t.Priority }); i >= 0 {
		tg = c.sla.Targets[i]
	}
	in := slaclock.Input{Calendar: c.cal, FirstResponse: time.Duration(tg.FirstResponse) * time.Minute,
		Resolution: time.Duration(tg.Resolution) * time.Minute, RespondedAt: prev.FirstResponseAt, Now: now,
		FirstResponseBreached: prev.FirstResponseBreached, ResolutionBreached: prev.ResolutionBreached, WarnShare: c.warn}
	for _, e := range t.Clock {
		in.Events = append(in.Events, slaclock.Event{At: e.At, Paused: e.Paused, Stopped: e.Stopped})
		// A ticket resolved before anyone answered needs no answer any more.
		if e.Stopped && in.RespondedAt.IsZero() {
			in.RespondedAt = e.At
		}
	}
	out := slaclock.Compute(in)
	t.SLA.FirstResponseDue, t.SLA.ResolutionDue = out.FirstResponseDue, out.ResolutionDue
	t.SLA.FirstResponseBreached, t.SLA.ResolutionBreached = out.FirstResponseBreached, out.ResolutionBreached
	t.SLA.ResolutionLeft = int(out.ResolutionLeft / time.Minute)
	wn := warnings{firstResponse: out.FirstResponseWarn, resolution: out.ResolutionWarn}
	t.SLA.NextCheck = nextCheck(t, wn)
	return wn
}

// Recompute recomputes the SLA state of every ticket that is not
// resolved, closed or deleted and is under one of slaIDs, in pages, and
// returns how many it stored. Run after an SLA or calendar changes.
func (w *Wing) Recompute(slaIDs []string) (int, error) {
	defs, err := w.statusDefs()
	if err != nil {
		return 0, err
	}
	var active []string
	for _, d := range defs {
		if !stops(d.Name) {
			active = append(active, d.Name)
		}
	}
	clocks := map[string]clock{}
	for _, id := range slaIDs {
		if clocks[id], err = w.clockFor(id); err != nil {
			return 0, err
		}
	}
	// Read in pages, stored in one commit: each commit of the store waits
	// for the disk, and rewriting records in key order in one go is what
	// it does fastest.
	now := w.d.Now().UTC()
	all := map[string]store.TicketSLA{}
	q := store.TicketQuery{Statuses: active, SLAIDs: slaIDs, Sort: store.TicketSortNumber, Asc: true, Limit: 2000}
	for {
		page, err := w.d.Store.Tickets(q)
		if err != nil {
			return 0, err
		}
		for i := range page.Tickets {
			t := &page.Tickets[i]
			clocks[t.SLAID].compute(t, now)
			all[t.ID] = t.SLA
		}
		if page.Next == "" {
			break
		}
		q.Cursor = page.Next
	}
	if err := w.d.Store.SetTicketSLAs(all); err != nil {
		return 0, err
	}
	return len(all), nil
}

func (w *Wing) statuses(rw http.ResponseWriter, _ *http.Request, _ *httpx.Principal) {
	defs, err := w.statusDefs()
	if err != nil {
		writeStoreError(rw, w.d.Log, err)
		return
	}
	httpx.WriteJSON(rw, 200, toAPIStatuses(defs))
}

func toAPIStatuses(defs []store.TicketStatusDef) api.TicketStatuses {
	out := api.TicketStatuses{Statuses: []api.TicketStatus{}}
	for _, d := range defs {
		out.Statuses = append(out.Statuses, api.TicketStatus{Name: d.Name, Pauses: d.Pauses, Builtin: slices.Contains(store.TicketBuiltinStatuses, d.Name)})
	}
	return out
}

func (w *Wing) setStatuses(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	var req api.TicketStatuses
	if err := httpx.DecodeBody(r, &req, maxBody); err != nil {
		httpx.WriteBodyError(rw, err)
		return
	}
	var defs []store.TicketStatusDef
	for _, s := range req.Statuses {
		if slices.Contains(store.TicketBuiltinStatuses, s.Name) {
			continue
		}
		name, err := httpx.CleanName("status name", s.Name, 40)
		if err != nil {
			httpx.WriteError(rw, 400, err.Error())
			return
		}
		name = strings.ToLower(name)
		if slices.ContainsFunc(defs, func(d store.TicketStatusDef) bool { return d.Name == name }) || slices.Contains(store.TicketBuiltinStatuses, name) {
			httpx.WriteError(rw, 400, "status "+name+" is listed twice")
			return
		}
		defs = append(defs, store.TicketStatusDef{Name: name, Pauses: s.Pauses})
	}
	if len(defs) > 30 {
		httpx.WriteError(rw, 400, "at most 30 custom statuses")
		return
	}
	if err := w.d.Store.SetTicketStatuses(defs); err != nil {
		writeStoreError(rw, w.d.Log, err)
		return
	}
	names := make([]string, 0, len(defs))
	for _, d := range defs {
		names = append(names, fmt.Sprintf("%s (pauses %v)", d.Name, d.Pauses))
	}
	w.d.Audit.AuditP(p, "ticket.statuses", "ticket-statuses", map[string]string{"statuses": strings.Join(names, ", ")})
	all, _ := w.statusDefs()
	httpx.WriteJSON(rw, 200, toAPIStatuses(all))
}

func (w *Wing) slas(rw http.ResponseWriter, _ *http.Request, _ *httpx.Principal) {
	sls, err := w.d.Store.SLAs()
	if err != nil {
		writeStoreError(rw, w.d.Log, err)
		return
	}
	cals, err := w.d.Store.SLACalendars()
	if err != nil {
		writeStoreError(rw, w.d.Log, err)
		return
	}
	out := api.SLAList{SLAs: []api.SLA{}, Calendars: []api.SLACalendar{}}
	for i := range sls {
		out.SLAs = append(out.SLAs, toAPISLA(&sls[i]))
	}
	for i := range cals {
		out.Calendars = append(out.Calendars, toAPICalendar(&cals[i]))
	}
	httpx.WriteJSON(rw, 200, out)
}

func toAPISLA(s *store.SLA) api.SLA {
	out := api.SLA{ID: s.ID, Name: s.Name, CalendarID: s.CalendarID, Targets: []api.SLATarget{}, UpdatedAt: s.UpdatedAt}
	for _, t := range s.Targets {
		out.Targets = append(out.Targets, api.SLATarget{Priority: t.Priority, FirstResponseMinutes: t.FirstResponse, ResolutionMinutes: t.Resolution})
	}
	return out
}

func hhmm(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

func parseHHMM(field, s string) (int, error) {
	var h, m int
	if n, err := fmt.Sscanf(s, "%d:%d", &h, &m); err != nil || n != 2 || len(s) != 5 || h < 0 || m < 0 || m > 59 || h*60+m > 1440 {
		return 0, fmt.Errorf("%s must be HH:MM from 00:00 to 24:00", field)
	}
	return h*60 + m, nil
}

func toAPICalendar(c *store.SLACalendar) api.SLACalendar {
	out := api.SLACalendar{ID: c.ID, Name: c.Name, TimeZone: c.TimeZone, Hours: []api.BusinessHours{}, Holidays: c.Holidays, UpdatedAt: c.UpdatedAt}
	if out.Holidays == nil {
		out.Holidays = []string{}
	}
	for _, h := range c.Hours {
		out.Hours = append(out.Hours, api.BusinessHours{Weekday: h.Weekday, Start: hhmm(h.Start), End: hhmm(h.End)})
	}
	return out
}

func (w *Wing) createSLA(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	w.saveSLA(rw, r, p, store.SLA{ID: httpx.NewID("sla")}, 201)
}

func (w *Wing) updateSLA(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	sl, err := w.d.Store.SLA(r.PathValue("sla"))
	if err != nil {
		httpx.WriteError(rw, 404, "SLA not found")
		return
	}
	w.saveSLA(rw, r, p, sl, 200)
}

func (w *Wing) saveSLA(rw http.ResponseWriter, r *http.Request, p *httpx.Principal, sl store.SLA, code int) {
	var req api.SLA
	if err := httpx.DecodeBody(r, &req, maxBody); err != nil {
		httpx.WriteBodyError(rw, err)
		return
	}
	var err error
	if sl.Name, err = httpx.CleanName("name", req.Name, httpx.MaxNameRunes); err != nil {
		httpx.WriteError(rw, 400, err.Error())
		return
	}
	if req.CalendarID != "" {
		if _, err := w.d.Store.SLACalendar(req.CalendarID); err != nil {
			httpx.WriteError(rw, 400, "calendar not found")
			return
		}
	}
	sl.CalendarID, sl.Targets, sl.UpdatedAt = req.CalendarID, nil, w.d.Now().UTC()
	for _, t := range req.Targets {
		if !slices.Contains(Priorities, t.Priority) {
			httpx.WriteError(rw, 400, "target priority must be one of "+strings.Join(Priorities, ", "))
			return
		}
		if t.FirstResponseMinutes < 0 || t.ResolutionMinutes < 0 || t.FirstResponseMinutes > 525600 || t.ResolutionMinutes > 525600 {
			httpx.WriteError(rw, 400, "targets must be 0 (none) to 525600 business minutes")
			return
		}
		if slices.ContainsFunc(sl.Targets, func(x store.SLATarget) bool { return x.Priority == t.Priority }) {
			httpx.WriteError(rw, 400, "priority "+t.Priority+" has two targets")
			return
		}
		sl.Targets = append(sl.Targets, store.SLATarget{Priority: t.Priority, FirstResponse: t.FirstResponseMinutes, Resolution: t.ResolutionMinutes})
	}
	if err := w.d.Store.PutSLA(sl); err != nil {
		writeStoreError(rw, w.d.Log, err)
		return
	}
	n, err := w.Recompute([]string{sl.ID})
	if err != nil {
		writeStoreError(rw, w.d.Log, err)
		return
	}
	w.d.Audit.AuditP(p, "sla.save", sl.ID, map[string]string{"name": sl.Name, "calendar": sl.CalendarID, "recomputed": fmt.Sprint(n)})
	out := toAPISLA(&sl)
	httpx.WriteJSON(rw, code, api.SLAChange{SLA: &out, Recomputed: n})
}

func (w *Wing) deleteSLA(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	id := r.PathValue("sla")
	if err := w.d.Store.DeleteSLA(id); err != nil {
		httpx.WriteError(rw, 404, "SLA not found")
		return
	}
	n, err := w.Recompute([]string{id})
	if err != nil {
		writeStoreError(rw, w.d.Log, err)
		return
	}
	w.d.Audit.AuditP(p, "sla.delete", id, nil)
	httpx.WriteJSON(rw, 200, api.SLAChange{DeletedID: id, Recomputed: n})
}

func (w *Wing) createCalendar(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	w.saveCalendar(rw, r, p, store.SLACalendar{ID: httpx.NewID("cal")}, 201)
}

func (w *Wing) updateCalendar(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	c, err := w.d.Store.SLACalendar(r.PathValue("calendar"))
	if err != nil {
		httpx.WriteError(rw, 404, "calendar not found")
		return
	}
	w.saveCalendar(rw, r, p, c, 200)
}

func (w *Wing) saveCalendar(rw http.ResponseWriter, r *http.Request, p *httpx.Principal, c store.SLACalendar, code int) {
	var req api.SLACalendar
	if err := httpx.DecodeBody(r, &req, maxBody); err != nil {
		httpx.WriteBodyError(rw, err)
		return
	}
	var err error
	if c.Name, err = httpx.CleanName("name", req.Name, httpx.MaxNameRunes); err != nil {
		httpx.WriteError(rw, 400, err.Error())
		return
	}
	c.TimeZone, c.Hours, c.Holidays, c.UpdatedAt = strings.TrimSpace(req.TimeZone), nil, nil, w.d.Now().UTC()
	if c.TimeZone == "" || c.TimeZone == "Local" {
		httpx.WriteError(rw, 400, "time_zone must be an IANA zone such as Europe/Paris")
		return
	}
	if len(req.Hours) > 70 || len(req.Holidays) > 1000 {
		httpx.WriteError(rw, 400, "at most 70 working spans and 1000 holidays")
		return
	}
	for _, h := range req.Hours {
		s, err := parseHHMM("start", h.Start)
		if err == nil {
			var e int
			e, err = parseHHMM("end", h.End)
			c.Hours = append(c.Hours, store.BusinessHours{Weekday: h.Weekday, Start: s, End: e})
		}
		if err != nil {
			httpx.WriteError(rw, 400, err.Error())
			return
		}
	}
	for _, d := range req.Holidays {
		c.Holidays = append(c.Holidays, strings.TrimSpace(d))
	}
	if _, err := calendarOf(&c); err != nil {
		httpx.WriteError(rw, 400, err.Error())
		return
	}
	if err := w.d.Store.PutSLACalendar(c); err != nil {
		writeStoreError(rw, w.d.Log, err)
		return
	}
	n, err := w.recomputeCalendar(c.ID)
	if err != nil {
		writeStoreError(rw, w.d.Log, err)
		return
	}
	w.d.Audit.AuditP(p, "sla.calendar.save", c.ID, map[string]string{"name": c.Name, "time_zone": c.TimeZone, "recomputed": fmt.Sprint(n)})
	out := toAPICalendar(&c)
	httpx.WriteJSON(rw, code, api.SLAChange{Calendar: &out, Recomputed: n})
}

// recomputeCalendar recomputes the open tickets of every SLA on calendar id.
func (w *Wing) recomputeCalendar(id string) (int, error) {
	sls, err := w.d.Store.SLAs()
	if err != nil {
		return 0, err
	}
	var ids []string
	for _, s := range sls {
		if s.CalendarID == id {
			ids = append(ids, s.ID)
		}
	}
	if ids == nil {
		return 0, nil
	}
	return w.Recompute(ids)
}

// RecomputeCalendar recomputes the SLA state of the open tickets of
// every SLA on calendar id (the benchmark times it).
func (w *Wing) RecomputeCalendar(id string) (int, error) { return w.recomputeCalendar(id) }

func (w *Wing) deleteCalendar(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	id := r.PathValue("calendar")
	err := w.d.Store.DeleteSLACalendar(id)
	switch {
	case errors.Is(err, store.ErrConflict):
		httpx.WriteError(rw, 409, "an SLA uses this calendar: give it another calendar first")
		return
	case err != nil:
		httpx.WriteError(rw, 404, "calendar not found")
		return
	}
	w.d.Audit.AuditP(p, "sla.calendar.delete", id, nil)
	httpx.WriteJSON(rw, 200, api.SLAChange{DeletedID: id})
}
