package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/agentcall"

	"github.com/steward-rmm/steward/server/alerts"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/notify"
	"github.com/steward-rmm/steward/server/store"
)

// alertNotifier hands the alerts wing's changes to notifications. The
// notify wing is built after the alerts wing, so it is looked up at call
// time; notify stores the deliveries of one batch in one commit.
type alertNotifier struct {
	s   *Server
	log *slog.Logger
}

func (a alertNotifier) AlertsChanged(cs []alerts.Change) {
	if a.s.notify == nil || len(cs) == 0 {
		return
	}
	evs := make([]notify.AlertEvent, 0, len(cs))
	for _, c := range cs {
		if c.Kind == "deescalated" {
			// Critical back to warning: the alert stays open and was
			// notified already; nobody is paged for things getting better.
			continue
		}
		evs = append(evs, notify.AlertEvent{Kind: c.Kind, AlertID: c.AlertID, ClientID: c.ClientID,
			ClientName: c.ClientName, DeviceID: c.DeviceID, DeviceName: c.DeviceName, Severity: c.Severity,
			Category: c.Category, Check: c.Check, Title: c.Title, Detail: c.Detail, ProfileID: c.ProfileID,
			ProfileName: c.ProfileName, At: c.At, By: c.By, Reason: c.Reason})
	}
	if len(evs) == 0 {
		return
	}
	if err := a.s.notify.Alerts(evs); err != nil {
		// The changes themselves are stored; only their notifications
		// are lost, which the log must say.
		a.log.Error("notifications: alert changes not queued", "changes", len(evs), "err", err)
	}
}

// fleetAlerts counts open alerts per client from the fleet's in-memory
// per-device counts (which the alerts wing keeps), for the clients list.
type fleetAlerts struct{ f *fleet.Fleet }

func (a fleetAlerts) OpenAlertsBySeverity(clients []string) map[string]map[string]int {
	out := map[string]map[string]int{}
	for id, s := range a.f.Summarize(clients) {
		if id == "" {
			continue
		}
		out[id] = map[string]int{"information": s.Alerts.Information, "warning": s.Alerts.Warning,
			"critical": s.Alerts.Critical}
	}
	return out
}

// alertsMonitoring says which devices monitoring watches. The devices wing
// is built before the alerts wing, so the wing is looked up at call time.
type alertsMonitoring struct{ s *Server }

func (m alertsMonitoring) Monitored(id string) bool {
	return m.s.alerts == nil || m.s.alerts.Monitored(id)
}

// contactLookup names a client's contact for the assets wing: a contact of
// another client, or of a client the caller may not see, does not exist.
type contactLookup struct{ st store.ClientPageStore }

func (c contactLookup) Contact(p *httpx.Principal, clientID, id string) (string, bool) {
	ct, err := c.st.Contact(id)
	if err != nil || ct.ClientID != clientID || !p.CanSeeClient(clientID) {
		return "", false
	}
	return ct.Name, true
}

// netProber runs network monitors' probes on agents over the toolbox
// channel, for the alerts wing.
type netProber struct{ s *Server }

// Probe calls the probe method on the device's current connection.
func (n netProber) Probe(ctx context.Context, deviceID, method string, p protocol.NetProbeParams) (protocol.NetProbeResult, error) {
	var res protocol.NetProbeResult
	conn := n.s.hub.Get(deviceID)
	if conn == nil {
		return res, errors.New("the agent is offline")
	}
	c, err := n.s.calls.Start(ctx, conn, method, p, agentcall.Options{})
	if err != nil {
		return res, fmt.Errorf("probe %s: %w", method, err)
	}
	defer c.Close()
	if err := c.Result(&res); err != nil {
		return res, fmt.Errorf("probe %s: %w", method, err)
	}
	return res, nil
}

// consentClients tells the consent wing of new clients. The consent wing
// is built after the clients wing, so it is looked up at call time.
type consentClients struct{ s *Server }

func (c consentClients) ClientCreated(p *httpx.Principal, id, name string) {
	if c.s.consent != nil {
		c.s.consent.ClientCreated(p, id, name)
	}
}
