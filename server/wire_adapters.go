package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/agentcall"

	"github.com/steward-rmm/steward/server/alerts"
	"github.com/steward-rmm/steward/server/contracts"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/invoices"
	"github.com/steward-rmm/steward/server/notify"
	"github.com/steward-rmm/steward/server/store"
	"github.com/steward-rmm/steward/server/tickets"
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

// ticketLimits gives the tickets wing a client's ticket limit from its
// page's overview (no profile: no limit).
type ticketLimits struct{ st store.ClientPageStore }

func (l ticketLimits) TicketLimit(clientID string) (int, error) {
	pr, err := l.st.ClientProfile(clientID)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil
	}
	return pr.TicketLimit, err
}

// ticketAlerts lets the tickets wing open tickets from alerts, link them
// and resolve a resolved ticket's alerts.
type ticketAlerts struct{ s *Server }

func (a ticketAlerts) Alert(p *httpx.Principal, id string) (tickets.AlertRef, bool) {
	al, err := a.s.st.Alert(id)
	if err != nil || !p.CanSeeClient(al.ClientID) {
		return tickets.AlertRef{}, false
	}
	return tickets.AlertRef{ID: al.ID, ClientID: al.ClientID, DeviceID: al.DeviceID, Title: al.Title, Severity: al.Severity,
		Status: al.Status}, true
}

func (a ticketAlerts) ResolveAlert(id, by, reason string) error {
	_, err := a.s.alerts.Resolve(id, by, reason)
	return err
}

// ticketContracts gives the tickets wing the contracts wing: the contract
// (and SLA) of a ticket and the consumption of its time and tickets.
type ticketContracts struct{ c *contracts.Wing }

func (a ticketContracts) ContractForTicket(ctx context.Context, clientID, contractID string) (tickets.ContractRef, error) {
	r, err := a.c.ContractForTicket(ctx, clientID, contractID)
	return tickets.ContractRef(r), err
}

func (a ticketContracts) Consume(ctx context.Context, c tickets.Consumption) error {
	return a.c.Consume(ctx, contracts.Consumption(c))
}

func (a ticketContracts) Release(ctx context.Context, sourceKind, sourceID string) error {
	return a.c.Release(ctx, sourceKind, sourceID)
}

// invoiceWork gives the invoices wing the tickets wing's billable time.
type invoiceWork struct{ t *tickets.Wing }

func (a invoiceWork) BillableTimeEntries(ctx context.Context, clientID string, from, to time.Time) ([]invoices.BillableEntry, error) {
	es, err := a.t.BillableTimeEntries(ctx, clientID, from, to)
	out := make([]invoices.BillableEntry, len(es))
	for i, e := range es {
		out[i] = invoices.BillableEntry(e)
	}
	return out, err
}

// invoiceContracts gives the invoices wing the contracts' fees and rates.
type invoiceContracts struct{ c *contracts.Wing }

func (a invoiceContracts) ContractCharges(ctx context.Context, clientID string, from, to time.Time) ([]invoices.ContractCharge, error) {
	cs, err := a.c.ContractCharges(ctx, clientID, from, to)
	out := make([]invoices.ContractCharge, len(cs))
	for i, c := range cs {
		out[i] = invoices.ContractCharge(c)
	}
	return out, err
}

func (a invoiceContracts) HourlyRate(ctx context.Context, clientID, contractID string) (int64, bool, error) {
	return a.c.HourlyRate(ctx, clientID, contractID)
}

// consentClients tells the consent wing of new clients. The consent wing
// is built after the clients wing, so it is looked up at call time.
type consentClients struct{ s *Server }

func (c consentClients) ClientCreated(p *httpx.Principal, id, name string) {
	if c.s.consent != nil {
		c.s.consent.ClientCreated(p, id, name)
	}
}

// portalConsent asks the consent wing (built after the portal) whether a
// customer allows the read-only help-desk view.
type portalConsent struct{ s *Server }

func (c portalConsent) HelpdeskViewAllowed(ctx context.Context, clientID string) (bool, string, error) {
	if c.s.consent == nil {
		return false, "consent is not available", nil
	}
	return c.s.consent.HelpdeskViewAllowed(ctx, clientID)
}

// attachmentOwners finds the client of a ticket, asset or contact a file
// is attached to.
type attachmentOwners struct{ st store.Store }

func (o attachmentOwners) OwnerOf(kind, id string) (string, bool) {
	var client string
	var err error
	switch kind {
	case "ticket":
		var t store.Ticket
		t, err = o.st.Ticket(id)
		client = t.ClientID
	case "asset":
		var a store.Asset
		a, err = o.st.Asset(id)
		client = a.ClientID
	case "contact":
		var c store.Contact
		c, err = o.st.Contact(id)
		client = c.ClientID
	default:
		return "", false
	}
	return client, err == nil
}

// ticketNotifier sends the SLA sweep's notices through the notify wing's
// outbox.
type ticketNotifier struct{ n *notify.Wing }

func (a ticketNotifier) Direct(clientID string, to []string, subject, text string) (string, error) {
	return a.n.Direct(notify.DirectMail{ClientID: clientID, To: to, Subject: subject, Text: text})
}
