package alerts

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// toAPIMonitor is a monitor with its state, read under mu.
func (w *Wing) toAPIMonitor(m *store.NetMonitor, names map[string]string) api.Monitor {
	out := api.Monitor{ID: m.ID, Name: m.Name, ClientID: m.ClientID, ClientName: names[m.ClientID], AgentID: m.AgentID,
		Kind: m.Kind, DeviceType: netDeviceType(m.Kind), Address: m.Address, IntervalSec: m.IntervalSec, TimeoutMS: m.TimeoutMS,
		ExpectStatus: m.ExpectStatus, WarningMS: m.WarningMS, CriticalMS: m.CriticalMS, WarningDays: m.WarningDays,
		CriticalDays: m.CriticalDays, FailAfter: m.FailAfter, PassAfter: m.PassAfter, State: "unknown",
		CreatedBy: m.CreatedBy, CreatedAt: m.CreatedAt}
	w.mu.Lock()
	defer w.mu.Unlock()
	if ns := w.nets[m.ID]; ns != nil && ns.lastKnown {
		r := &ns.last
		out.LastResult, out.LastAt = r.text, ns.at
		switch {
		case r.unknown:
		case r.sev == "":
			out.State = "up"
		case r.sev == SevWarning:
			out.State = "warning"
		default:
			out.State = "down"
		}
		if ns.res.OK {
			out.LatencyMS, out.Status = ns.res.LatencyMS, ns.res.Status
			if m.Kind == store.NetTLS && r.v == 1 {
				d := r.count
				out.DaysLeft = &d
			}
		}
	}
	if st := w.checks[alertKey{m.ID, netProfile.ID, "net", ""}]; st != nil && st.alert != nil {
		out.AlertID = st.alert.ID
	}
	return out
}

func (w *Wing) visibleMonitor(p *httpx.Principal, id string) (store.NetMonitor, bool) {
	m, err := w.d.Store.NetMonitor(id)
	if err != nil || !p.CanSeeClient(m.ClientID) {
		return store.NetMonitor{}, false
	}
	return m, true
}

// apiMonitors lists the monitors the caller can see, of one client with
// ?client=.
func (w *Wing) apiMonitors(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	ms, err := w.d.Store.NetMonitors()
	if err != nil {
		writeStoreError(rw, err)
		return
	}
	only := ""
	if c := r.URL.Query().Get("client"); c != "" {
		cl, ok := w.d.Devices.ResolveClient(p, c)
		if !ok {
			httpx.WriteError(rw, 404, "client not found")
			return
		}
		only = cl.ID
	}
	names := w.clientNames()
	out := []api.Monitor{}
	for i := range ms {
		if p.CanSeeClient(ms[i].ClientID) && (only == "" || ms[i].ClientID == only) {
			out = append(out, w.toAPIMonitor(&ms[i], names))
		}
	}
	httpx.WriteJSON(rw, 200, out)
}

func (w *Wing) apiMonitor(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	m, ok := w.visibleMonitor(p, r.PathValue("monitor"))
	if !ok {
		httpx.WriteError(rw, 404, "monitor not found")
		return
	}
	httpx.WriteJSON(rw, 200, w.toAPIMonitor(&m, w.clientNames()))
}

// apiCreateMonitor makes a network monitor of a client, probed by one of
// the client's agents.
func (w *Wing) apiCreateMonitor(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	var req api.MonitorRequest
	if err := httpx.DecodeBody(r, &req, maxBody); err != nil {
		httpx.WriteBodyError(rw, err)
		return
	}
	cl, ok := w.d.Devices.ResolveClient(p, req.Client)
	if !ok {
		httpx.WriteError(rw, 404, "client not found")
		return
	}
	v, ok := w.d.Devices.Device(p, req.Agent)
	if !ok || v.Client != cl.ID {
		httpx.WriteError(rw, 404, "agent not found: give a device of the monitor's client")
		return
	}
	now := w.d.Now().UTC()
	m := store.NetMonitor{ID: httpx.NewID("nm"), ClientID: cl.ID, AgentID: v.ID, Kind: req.Kind, Address: req.Address,
		IntervalSec: req.IntervalSec, TimeoutMS: req.TimeoutMS, ExpectStatus: req.ExpectStatus, WarningMS: req.WarningMS,
		CriticalMS: req.CriticalMS, WarningDays: req.WarningDays, CriticalDays: req.CriticalDays, FailAfter: req.FailAfter,
		PassAfter: req.PassAfter, CreatedBy: p.Name, CreatedAt: now, UpdatedAt: now}
	var err error
	if m.Name, err = httpx.CleanName("name", req.Name, 100); err != nil {
		httpx.WriteError(rw, 400, err.Error())
		return
	}
	if err := checkMonitor(&m); err != nil {
		httpx.WriteError(rw, 400, err.Error())
		return
	}
	if err := w.d.Store.PutNetMonitor(m); err != nil {
		writeStoreError(rw, err)
		return
	}
	w.d.Audit.AuditP(p, "monitor.create", m.ID, map[string]string{"client": m.ClientID, "name": m.Name, "kind": m.Kind,
		"address": m.Address, "agent": m.AgentID, "interval_sec": strconv.Itoa(m.IntervalSec)})
	w.afterChange(rw, 201, w.toAPIMonitor(&m, w.clientNames()))
}

// checkMonitor validates a monitor's kind, address and figures, filling
// defaults.
func checkMonitor(m *store.NetMonitor) error {
	var err error
	switch m.Kind {
	case store.NetTCP:
		m.Address, err = protocol.NetHostPort(m.Address, 0)
	case store.NetTLS:
		m.Address, err = protocol.NetHostPort(m.Address, 443)
	case store.NetHTTP:
		_, err = protocol.NetURL(m.Address)
	default:
		return errors.New("kind must be tcp, http or tls")
	}
	if err != nil {
		return err
	}
	if m.IntervalSec == 0 {
		m.IntervalSec = 60
	}
	switch {
	case m.IntervalSec < 5 || m.IntervalSec > 86400:
		return errors.New("interval_sec must be 5..86400")
	case m.TimeoutMS < 0 || m.TimeoutMS > protocol.MaxNetProbeTimeoutMS:
		return errors.New("timeout_ms must be 0..30000")
	case m.ExpectStatus != 0 && (m.ExpectStatus < 100 || m.ExpectStatus > 599):
		return errors.New("expect_status must be an HTTP status (100..599)")
	case m.WarningMS < 0 || m.CriticalMS < 0 || m.WarningMS > 600000 || m.CriticalMS > 600000:
		return errors.New("warning_ms and critical_ms must be 0..600000")
	case m.WarningDays < 0 || m.CriticalDays < 0 || m.WarningDays > 3650 || m.CriticalDays > 3650:
		return errors.New("warning_days and critical_days must be 0..3650")
	case m.FailAfter < 0 || m.FailAfter > 100 || m.PassAfter < 0 || m.PassAfter > 100:
		return errors.New("fail_after and pass_after must be 0..100")
	case m.Kind != store.NetHTTP && (m.ExpectStatus != 0 || m.WarningMS != 0 || m.CriticalMS != 0):
		return errors.New("expect_status, warning_ms and critical_ms are for http monitors")
	case m.Kind != store.NetTLS && (m.WarningDays != 0 || m.CriticalDays != 0):
		return errors.New("warning_days and critical_days are for tls monitors")
	}
	return nil
}

func (w *Wing) apiDeleteMonitor(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	m, ok := w.visibleMonitor(p, r.PathValue("monitor"))
	if !ok {
		httpx.WriteError(rw, 404, "monitor not found")
		return
	}
	if err := w.d.Store.DeleteNetMonitor(m.ID); err != nil {
		writeStoreError(rw, err)
		return
	}
	w.d.Audit.AuditP(p, "monitor.delete", m.ID, map[string]string{"client": m.ClientID, "name": m.Name})
	w.afterChange(rw, 200, api.Deleted{ID: m.ID, Deleted: true})
}
