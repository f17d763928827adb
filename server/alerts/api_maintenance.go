package alerts

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

func (w *Wing) toAPIWindow(mw *store.MaintenanceWindow, names map[string]string, now time.Time) api.MaintenanceWindow {
	var loc *time.Location
	if l, err := time.LoadLocation(mw.TimeZone); err == nil {
		loc = l
	}
	return api.MaintenanceWindow{ID: mw.ID, Name: mw.Name, Level: mw.Level, ClientID: mw.ClientID, ClientName: names[mw.ClientID],
		Folder: mw.Folder, DeviceID: mw.DeviceID, Start: mw.Start, Minutes: mw.Minutes, Recur: mw.Recur, Weekdays: mw.Weekdays,
		TimeZone: mw.TimeZone, Active: windowActive(mw, loc, now), CreatedBy: mw.CreatedBy, CreatedAt: mw.CreatedAt}
}

func (w *Wing) visibleWindow(p *httpx.Principal, id string) (store.MaintenanceWindow, bool) {
	mw, err := w.d.Store.Window(id)
	if err != nil || !p.CanSeeClient(mw.ClientID) {
		return store.MaintenanceWindow{}, false
	}
	return mw, true
}

func (w *Wing) apiWindows(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	ws, err := w.d.Store.Windows()
	if err != nil {
		writeStoreError(rw, err)
		return
	}
	names, now := w.clientNames(), w.d.Now()
	out := []api.MaintenanceWindow{}
	for i := range ws {
		if p.CanSeeClient(ws[i].ClientID) {
			out = append(out, w.toAPIWindow(&ws[i], names, now))
		}
	}
	httpx.WriteJSON(rw, 200, out)
}

func (w *Wing) apiWindow(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	mw, ok := w.visibleWindow(p, r.PathValue("window"))
	if !ok {
		httpx.WriteError(rw, 404, "maintenance window not found")
		return
	}
	sp, err := w.d.Store.Suppressed(mw.ID, p.Scope(), 500)
	if err != nil {
		writeStoreError(rw, err)
		return
	}
	out := api.WindowDetail{Window: w.toAPIWindow(&mw, w.clientNames(), w.d.Now()), Suppressed: []api.SuppressedAlert{}}
	for _, s := range sp {
		out.Suppressed = append(out.Suppressed, api.SuppressedAlert{WindowID: s.WindowID, DeviceID: s.DeviceID,
			DeviceName: s.DeviceName, CheckKind: s.CheckKind, Severity: s.Severity, Title: s.Title, At: s.At})
	}
	httpx.WriteJSON(rw, 200, out)
}

// apiCreateWindow makes a maintenance window for a device (Device), a
// client's folder (Client and Folder) or a client (Client).
func (w *Wing) apiCreateWindow(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	w.saveWindow(rw, r, p, store.MaintenanceWindow{ID: httpx.NewID("mw"), CreatedBy: p.Name, CreatedAt: w.d.Now().UTC()})
}

// apiUpdateWindow replaces a window's target, name and times.
func (w *Wing) apiUpdateWindow(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	old, ok := w.visibleWindow(p, r.PathValue("window"))
	if !ok {
		httpx.WriteError(rw, 404, "maintenance window not found")
		return
	}
	w.saveWindow(rw, r, p, store.MaintenanceWindow{ID: old.ID, CreatedBy: old.CreatedBy, CreatedAt: old.CreatedAt})
}

// saveWindow fills mw (its ID and creation set) from the request and
// stores it.
func (w *Wing) saveWindow(rw http.ResponseWriter, r *http.Request, p *httpx.Principal, mw store.MaintenanceWindow) {
	var req api.WindowRequest
	if err := httpx.DecodeBody(r, &req, maxBody); err != nil {
		httpx.WriteBodyError(rw, err)
		return
	}
	mw.Start, mw.Minutes, mw.Recur, mw.Weekdays, mw.TimeZone = req.Start.UTC(), req.Minutes, req.Recur, req.Weekdays, req.TimeZone
	switch {
	case req.Device != "":
		v, ok := w.d.Devices.Device(p, req.Device)
		if !ok {
			httpx.WriteError(rw, 404, "device not found")
			return
		}
		mw.Level, mw.ClientID, mw.DeviceID = store.LevelDevice, v.Client, v.ID
	case req.Client != "":
		cl, ok := w.d.Devices.ResolveClient(p, req.Client)
		if !ok {
			httpx.WriteError(rw, 404, "client not found")
			return
		}
		mw.Level, mw.ClientID = store.LevelClient, cl.ID
		if req.Folder != "" {
			f, err := httpx.CleanName("folder", req.Folder, 100)
			if err != nil {
				httpx.WriteError(rw, 400, err.Error())
				return
			}
			mw.Level, mw.Folder = store.LevelFolder, f
		}
	default:
		httpx.WriteError(rw, 400, "give a device, or a client (with a folder for a folder's window)")
		return
	}
	var err error
	if mw.Name, err = httpx.CleanName("name", req.Name, 100); err != nil {
		httpx.WriteError(rw, 400, err.Error())
		return
	}
	if err := checkWindow(&mw); err != nil {
		httpx.WriteError(rw, 400, err.Error())
		return
	}
	if err := w.d.Store.PutWindow(mw); err != nil {
		writeStoreError(rw, err)
		return
	}
	action, code := "maintenance.update", 200
	if r.Method == http.MethodPost {
		action, code = "maintenance.create", 201
	}
	w.d.Audit.AuditP(p, action, mw.ID, map[string]string{"client": mw.ClientID, "name": mw.Name, "level": mw.Level,
		"device": mw.DeviceID, "folder": mw.Folder, "start": mw.Start.Format(time.RFC3339), "recur": mw.Recur,
		"minutes": strconv.Itoa(mw.Minutes)})
	w.afterChange(rw, code, w.toAPIWindow(&mw, w.clientNames(), w.d.Now()))
}

// checkWindow validates a window's times.
func checkWindow(mw *store.MaintenanceWindow) error {
	switch {
	case mw.Start.IsZero():
		return errors.New("start is required")
	case mw.Minutes < 1 || mw.Minutes > 14*24*60:
		return errors.New("minutes must be 1..20160 (14 days)")
	}
	if mw.TimeZone == "" {
		mw.TimeZone = "UTC"
	}
	if _, err := time.LoadLocation(mw.TimeZone); err != nil || len(mw.TimeZone) > 64 {
		return errors.New("time_zone must be an IANA zone such as Europe/Paris")
	}
	switch mw.Recur {
	case "":
		if len(mw.Weekdays) > 0 {
			return errors.New("weekdays need recur weekly")
		}
	case "daily":
		if len(mw.Weekdays) > 0 {
			return errors.New("weekdays need recur weekly")
		}
		if mw.Minutes > 24*60 {
			return errors.New("a daily window lasts at most 1440 minutes")
		}
	case "weekly":
		if len(mw.Weekdays) == 0 || len(mw.Weekdays) > 7 {
			return errors.New("a weekly window needs weekdays (0 = Sunday .. 6)")
		}
		for _, d := range mw.Weekdays {
			if d < 0 || d > 6 {
				return errors.New("weekdays are 0 (Sunday) .. 6 (Saturday)")
			}
		}
		slices.Sort(mw.Weekdays)
		mw.Weekdays = slices.Compact(mw.Weekdays)
	default:
		return errors.New("recur must be empty (one-off), daily or weekly")
	}
	return nil
}

func (w *Wing) apiDeleteWindow(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	mw, ok := w.visibleWindow(p, r.PathValue("window"))
	if !ok {
		httpx.WriteError(rw, 404, "maintenance window not found")
		return
	}
	if err := w.d.Store.DeleteWindow(mw.ID); err != nil {
		writeStoreError(rw, err)
		return
	}
	w.d.Audit.AuditP(p, "maintenance.delete", mw.ID, map[string]string{"client": mw.ClientID, "name": mw.Name})
	w.afterChange(rw, 200, api.Deleted{ID: mw.ID, Deleted: true})
}
