package alerts

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

const maxBody = 64 << 10

var deviceTypes = []string{"pc", "server", "mac", "linux", "tcp", "http"}

// listParam reads a comma-separated filter whose values must be in allowed.
func listParam(r *http.Request, name string, allowed []string) ([]string, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return nil, nil
	}
	out := strings.Split(v, ",")
	for _, x := range out {
		if !slices.Contains(allowed, x) {
			return nil, errors.New(name + " must be among " + strings.Join(allowed, ", "))
		}
	}
	return out, nil
}

// alertQuery reads the list filters and paging common to the alert lists.
func alertQuery(r *http.Request, p *httpx.Principal) (store.AlertQuery, error) {
	q := store.AlertQuery{Scope: p.Scope(), Limit: 100}
	var err error
	if q.Severities, err = listParam(r, "severity", Severities); err != nil {
		return q, err
	}
	if q.Statuses, err = listParam(r, "status", []string{store.AlertOpen, store.AlertSnoozed, store.AlertResolved}); err != nil {
		return q, err
	}
	if q.Categories, err = listParam(r, "category", Categories); err != nil {
		return q, err
	}
	if q.DeviceTypes, err = listParam(r, "device_type", deviceTypes); err != nil {
		return q, err
	}
	q.Search = r.URL.Query().Get("search")
	if len(q.Search) > 256 {
		return q, errors.New("search longer than 256 characters")
	}
	q.Before = r.URL.Query().Get("before")
	if v := r.URL.Query().Get("limit"); v != "" {
		if q.Limit, err = strconv.Atoi(v); err != nil || q.Limit < 1 || q.Limit > 1000 {
			return q, errors.New("limit must be 1..1000")
		}
	}
	return q, nil
}

func toAPIAlert(a *store.Alert) api.Alert {
	return api.Alert{ID: a.ID, DeviceID: a.DeviceID, DeviceName: a.DeviceName, DeviceType: a.DeviceType, ClientID: a.ClientID,
		ClientName: a.ClientName, ProfileID: a.ProfileID, ProfileName: a.ProfileName, CheckID: a.CheckID, CheckKind: a.CheckKind,
		CheckTarget: a.CheckTarget, Severity: a.Severity, Category: a.Category, Title: a.Title, Detail: a.Detail, Status: a.Status,
		SnoozedUntil: a.SnoozedUntil, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt, ResolvedAt: a.ResolvedAt,
		ResolvedBy: a.ResolvedBy, Reason: a.Reason}
}

// listAlerts answers a query with a page of alerts.
func (w *Wing) listAlerts(rw http.ResponseWriter, q store.AlertQuery) {
	as, err := w.d.Store.Alerts(q)
	if err != nil {
		writeStoreError(rw, err)
		return
	}
	out := api.AlertList{Alerts: make([]api.Alert, 0, len(as))}
	for i := range as {
		out.Alerts = append(out.Alerts, toAPIAlert(&as[i]))
	}
	if q.Limit > 0 && len(as) == q.Limit {
		out.Next = as[len(as)-1].ID
	}
	httpx.WriteJSON(rw, 200, out)
}

// apiAlerts lists alerts in the caller's scope: ?search= (title, device,
// client), ?severity=, ?status=, ?category=, ?device_type= (comma lists),
// ?client=, ?device= (a device or a network monitor), ?before= and
// ?limit=.
func (w *Wing) apiAlerts(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	q, err := alertQuery(r, p)
	if err != nil {
		httpx.WriteError(rw, 400, err.Error())
		return
	}
	if c := r.URL.Query().Get("client"); c != "" {
		cl, ok := w.d.Devices.ResolveClient(p, c)
		if !ok {
			httpx.WriteError(rw, 404, "client not found")
			return
		}
		q.ClientID = cl.ID
	}
	if d := r.URL.Query().Get("device"); d != "" {
		_, ok := w.d.Devices.Device(p, d)
		if !ok {
			_, ok = w.visibleMonitor(p, d) // a network monitor is a device of its own
		}
		if !ok {
			httpx.WriteError(rw, 404, "device not found")
			return
		}
		q.DeviceID = d
	}
	w.listAlerts(rw, q)
}

func (w *Wing) apiDeviceAlerts(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	v, ok := w.d.Devices.Device(p, r.PathValue("id"))
	if !ok {
		httpx.WriteError(rw, 404, "device not found")
		return
	}
	q, err := alertQuery(r, p)
	if err != nil {
		httpx.WriteError(rw, 400, err.Error())
		return
	}
	q.DeviceID = v.ID
	w.listAlerts(rw, q)
}

func (w *Wing) apiClientAlerts(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	cl, ok := w.d.Devices.ResolveClient(p, r.PathValue("client"))
	if !ok {
		httpx.WriteError(rw, 404, "client not found")
		return
	}
	q, err := alertQuery(r, p)
	if err != nil {
		httpx.WriteError(rw, 400, err.Error())
		return
	}
	q.ClientID = cl.ID
	w.listAlerts(rw, q)
}

// visibleAlert loads an alert the caller may see.
func (w *Wing) visibleAlert(p *httpx.Principal, id string) (store.Alert, bool) {
	a, err := w.d.Store.Alert(id)
	if err != nil || !p.CanSeeClient(a.ClientID) {
		return store.Alert{}, false
	}
	return a, true
}

func (w *Wing) apiAlert(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	a, ok := w.visibleAlert(p, r.PathValue("alert"))
	if !ok {
		httpx.WriteError(rw, 404, "alert not found")
		return
	}
	evs, err := w.d.Store.AlertEvents(a.ID)
	if err != nil {
		writeStoreError(rw, err)
		return
	}
	out := api.AlertDetail{Alert: toAPIAlert(&a), Events: make([]api.AlertEvent, 0, len(evs))}
	for _, e := range evs {
		out.Events = append(out.Events, api.AlertEvent{Kind: e.Kind, Severity: e.Severity, Detail: e.Detail, By: e.By,
			Reason: e.Reason, At: e.At})
	}
	httpx.WriteJSON(rw, 200, out)
}

// answerManual answers a snooze or resolve.
func (w *Wing) answerManual(rw http.ResponseWriter, a store.Alert, err error) {
	switch {
	case errors.Is(err, errResolved):
		httpx.WriteError(rw, 409, "the alert is already resolved")
	case errors.Is(err, errNoAlert):
		httpx.WriteError(rw, 404, "alert not found")
	case err != nil:
		writeStoreError(rw, err)
	default:
		httpx.WriteJSON(rw, 200, toAPIAlert(&a))
	}
}

func (w *Wing) apiSnooze(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	a, ok := w.visibleAlert(p, r.PathValue("alert"))
	if !ok {
		httpx.WriteError(rw, 404, "alert not found")
		return
	}
	var req api.SnoozeRequest
	if err := httpx.DecodeBody(r, &req, maxBody); err != nil {
		httpx.WriteBodyError(rw, err)
		return
	}
	now := w.d.Now()
	until := req.Until
	switch {
	case req.Minutes != 0 && !until.IsZero():
		httpx.WriteError(rw, 400, "give until or minutes, not both")
		return
	case req.Minutes != 0:
		if req.Minutes < 1 || req.Minutes > 30*24*60 {
			httpx.WriteError(rw, 400, "minutes must be 1..43200 (30 days)")
			return
		}
		until = now.Add(time.Duration(req.Minutes) * time.Minute)
	case until.IsZero():
		httpx.WriteError(rw, 400, "give until (a time) or minutes")
		return
	case !until.After(now) || until.After(now.AddDate(0, 0, 30)):
		httpx.WriteError(rw, 400, "until must be in the next 30 days")
		return
	}
	reason := httpx.CleanText(req.Reason, 500)
	got, err := w.Snooze(a.ID, p.Name, reason, until.UTC())
	if err == nil {
		w.d.Audit.AuditP(p, "alert.snooze", a.ID, map[string]string{"client": a.ClientID, "device": a.DeviceID,
			"until": until.UTC().Format(time.RFC3339), "reason": reason})
	}
	w.answerManual(rw, got, err)
}

func (w *Wing) apiResolve(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	a, ok := w.visibleAlert(p, r.PathValue("alert"))
	if !ok {
		httpx.WriteError(rw, 404, "alert not found")
		return
	}
	var req api.ResolveRequest
	if err := httpx.DecodeBody(r, &req, maxBody); err != nil {
		httpx.WriteBodyError(rw, err)
		return
	}
	reason := strings.TrimSpace(httpx.CleanText(req.Reason, 500))
	if reason == "" {
		httpx.WriteError(rw, 400, "say why in reason")
		return
	}
	got, err := w.Resolve(a.ID, p.Name, reason)
	if err == nil {
		w.d.Audit.AuditP(p, "alert.resolve", a.ID, map[string]string{"client": a.ClientID, "device": a.DeviceID, "reason": reason})
	}
	w.answerManual(rw, got, err)
}
