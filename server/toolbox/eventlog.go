package toolbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/agentcall"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/hub"
)

// Event log calls: a page has a bound; a follow call lasts while its
// client stays, with a keep-alive line on a quiet log.
const (
	eventPageTimeout = 2 * time.Minute
	followIdle       = 12 * time.Hour
	followKeepAlive  = 30 * time.Second
)

// device finds the caller's device and its connection for a tool, or
// answers why not: 404 outside the caller's scope, 409 while pending
// approval or offline (the tool needs the agent connected).
func (t *Wing) device(w http.ResponseWriter, r *http.Request, p *httpx.Principal, tool string) (fleet.View, *hub.Conn, bool) {
	v, ok := t.d.Devices.Device(p, r.PathValue("id"))
	if !ok {
		httpx.WriteError(w, http.StatusNotFound, "device not found")
		return v, nil, false
	}
	if t.d.Fleet.Pending(v.ID) {
		httpx.WriteError(w, http.StatusConflict, "device is pending approval; approve it before using its "+tool)
		return v, nil, false
	}
	c := t.d.Conns.Get(v.ID)
	if c == nil {
		httpx.WriteError(w, http.StatusConflict, "device is offline; its "+tool+" needs the agent connected")
		return v, nil, false
	}
	return v, c, true
}

// eventQuery reads an event log query from the URL.
func eventQuery(q url.Values, follow bool) (protocol.EventLogQuery, error) {
	e := protocol.EventLogQuery{Cursor: q.Get("cursor"), Category: q.Get("category"), Text: q.Get("text"), Follow: follow}
	for key, dst := range map[string]*time.Time{"since": &e.Since, "until": &e.Until} {
		if s := q.Get(key); s != "" {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				return e, fmt.Errorf("%s must be an RFC 3339 time (2026-12-05T04:00:00Z)", key)
			}
			*dst = t
		}
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return e, errors.New("limit must be a positive number")
		}
		e.Limit = min(n, protocol.EventLogMaxLimit)
	}
	list := func(key string) []string {
		var out []string
		for _, v := range q[key] {
			for _, x := range strings.Split(v, ",") {
				if x = strings.TrimSpace(x); x != "" {
					out = append(out, x)
				}
			}
		}
		return out
	}
	e.Levels, e.Units, e.Channels, e.Providers = list("level"), list("unit"), list("channel"), list("provider")
	e.Processes, e.Subsystems = list("process"), list("subsystem")
	for _, s := range list("event_id") {
		n, err := strconv.Atoi(s)
		if err != nil {
			return e, fmt.Errorf("event_id %q is not a number", httpx.CleanText(s, 32))
		}
		e.EventIDs = append(e.EventIDs, n)
	}
	return e, nil
}

// eventDetail is what the audit log keeps of a query.
func eventDetail(q protocol.EventLogQuery) map[string]string {
	d := map[string]string{}
	add := func(k string, v []string) {
		if len(v) > 0 {
			d[k] = httpx.CleanText(strings.Join(v, ","), 256)
		}
	}
	add("levels", q.Levels)
	add("units", q.Units)
	add("channels", q.Channels)
	add("providers", q.Providers)
	add("processes", q.Processes)
	add("subsystems", q.Subsystems)
	if len(q.EventIDs) > 0 {
		d["event_ids"] = httpx.CleanText(strings.Trim(fmt.Sprint(q.EventIDs), "[]"), 256)
	}
	if q.Text != "" {
		d["text"] = httpx.CleanText(q.Text, 256)
	}
	if !q.Since.IsZero() {
		d["since"] = q.Since.UTC().Format(time.RFC3339)
	}
	if !q.Until.IsZero() {
		d["until"] = q.Until.UTC().Format(time.RFC3339)
	}
	return d
}

func (t *Wing) eventLog(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	v, c, ok := t.device(w, r, p, "event log")
	if !ok {
		return
	}
	q, err := eventQuery(r.URL.Query(), false)
	if err != nil {
		httpx.WriteError(w, http.StatusBadRequest, err.Error())
		return
	}
	page := api.EventLogPage{Device: v.ID, Records: []api.EventRecord{}}
	var end protocol.EventLogResult
	page.Records, err = gather[api.EventRecord](r.Context(), t.d.Calls, c, protocol.MethodEventLogQuery, q,
		agentcall.Options{Timeout: eventPageTimeout}, "event records", page.Records, &end)
	if err == nil {
		page.System, page.Cursor, page.NewestFirst = end.System, end.Cursor, end.NewestFirst
	}
	if q.Cursor == "" || err != nil {
		// One audit line per query, not per page.
		d := eventDetail(q)
		d["records"] = strconv.Itoa(len(page.Records))
		t.audit(p, "eventlog.query", v, d, err)
	}
	if err != nil {
		writeCallError(w, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, page)
}

func (t *Wing) eventFollow(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	v, c, ok := t.device(w, r, p, "event log")
	if !ok {
		return
	}
	q, err := eventQuery(r.URL.Query(), true)
	if err != nil {
		httpx.WriteError(w, http.StatusBadRequest, err.Error())
		return
	}
	call, err := t.d.Calls.Start(r.Context(), c, protocol.MethodEventLogQuery, q, agentcall.Options{Idle: followIdle})
	if err != nil {
		t.audit(p, "eventlog.follow", v, eventDetail(q), err)
		writeCallError(w, err)
		return
	}
	defer call.Close()
	d := eventDetail(q)
	t.audit(p, "eventlog.follow", v, d, nil)
	h := w.Header()
	h.Set("Content-Type", "application/x-ndjson")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	_ = rc.Flush()
	items := make(chan json.RawMessage)
	fail := make(chan error, 1)
	go func() {
		for {
			raw, err := call.Next()
			if err != nil {
				fail <- err
				return
			}
			select {
			case items <- raw:
			case <-r.Context().Done():
				return
			}
		}
	}()
	keep := time.NewTicker(followKeepAlive)
	defer keep.Stop()
	for {
		select {
		case raw := <-items:
			var batch []json.RawMessage
			if json.Unmarshal(raw, &batch) != nil {
				continue
			}
			for _, rec := range batch {
				if _, err := w.Write(append(rec, '\n')); err != nil {
					return
				}
			}
			if rc.Flush() != nil {
				return
			}
		case <-keep.C:
			// A blank line: NDJSON readers skip it; a gone client fails it.
			if _, err := w.Write([]byte("\n")); err != nil || rc.Flush() != nil {
				return
			}
		case err := <-fail:
			if err != io.EOF {
				// The stream has started: the error goes in-band, as a
				// line readers tell from a record by its "error" field.
				_, msg := callStatus(err)
				b, _ := json.Marshal(map[string]string{"error": msg})
				_, _ = w.Write(append(b, '\n'))
				_ = rc.Flush()
			}
			return
		case <-r.Context().Done():
			return
		}
	}
}
