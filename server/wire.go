package server

import (
	"github.com/steward-rmm/steward/server/agentcall"
	"github.com/steward-rmm/steward/server/toolbox"
	"log/slog"
	"path/filepath"

	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/accounts"
	"github.com/steward-rmm/steward/server/agentlink"
	"github.com/steward-rmm/steward/server/alerts"
	"github.com/steward-rmm/steward/server/assets"
	"github.com/steward-rmm/steward/server/attachments"
	"github.com/steward-rmm/steward/server/audit"
	"github.com/steward-rmm/steward/server/automation"
	"github.com/steward-rmm/steward/server/clients"
	"github.com/steward-rmm/steward/server/consent"
	"github.com/steward-rmm/steward/server/contracts"
	"github.com/steward-rmm/steward/server/devices"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/helpdesk"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/hub"
	"github.com/steward-rmm/steward/server/install"
	"github.com/steward-rmm/steward/server/invoices"
	"github.com/steward-rmm/steward/server/jobs"
	"github.com/steward-rmm/steward/server/notify"
	"github.com/steward-rmm/steward/server/portal"
	"github.com/steward-rmm/steward/server/scripts"
	"github.com/steward-rmm/steward/server/shell"
	"github.com/steward-rmm/steward/server/store"
	"github.com/steward-rmm/steward/server/tickets"
	"github.com/steward-rmm/steward/server/updates"
	"github.com/steward-rmm/steward/server/vault"
)

// deviceScope gives wings the device and client lookups within a
// caller's scope that the device routes use.
type deviceScope struct{ s *Server }

func (d deviceScope) Device(p *httpx.Principal, id string) (fleet.View, bool) {
	return d.s.devices.Device(p, id)
}

// Hardware reads a device's manufacturer, model and serial from its latest
// inventory, for the assets wing (the caller has found the device in scope).
func (d deviceScope) Hardware(deviceID string) (manufacturer, model, serial string) {
	rec, err := d.s.st.Inventory(deviceID)
	if err != nil {
		return "", "", ""
	}
	inv, err := fleet.DecodeInventory(rec)
	if err != nil {
		return "", "", ""
	}
	return inv.Manufacturer, inv.Model, inv.Serial
}

func (d deviceScope) ResolveClient(p *httpx.Principal, ref string) (store.Client, bool) {
	return d.s.devices.ResolveClient(p, ref)
}

// buildWings builds the wings from their narrow dependencies; the store,
// audit log, fleet, hub and operator connections exist already.
func (s *Server) buildWings(cfg Config, log *slog.Logger) {
	s.calls = agentcall.New(0, log)
	s.install = install.New(install.Deps{Anchor: s.tls.anchor, Leaf: s.tls.cert.Certificate[0], Pin: s.Fingerprint(),
		PublicURL: s.publicURL, AgentBinDir: cfg.AgentBinDir, ReleaseKey: cfg.ReleaseKey, Log: log})
	s.updates = updates.New(updates.Deps{Config: updates.Config{ReleaseKey: cfg.ReleaseKey, ReleaseDir: cfg.ReleaseDir,
		DataDir: cfg.DataDir}, Store: s.st, Devices: deviceScope{s}, Fleet: s.fleet, Conns: s.hub, Audit: s.alog,
		Now: s.now, Log: log})
	s.shell = shell.New(shell.Deps{Config: shell.Config{DataDir: cfg.DataDir, RecordShellInput: cfg.RecordShellInput,
		RecordingRetention: cfg.RecordingRetention, ShellTicketTTL: cfg.ShellTicketTTL,
		MaxShellsPerDevice: cfg.MaxShellsPerDevice, MaxShellsPerUser: cfg.MaxShellsPerUser}, Store: s.st, Devices: deviceScope{s},
		Fleet: s.fleet, Conns: s.hub, OpConns: s.conns, Audit: s.alog, Now: s.now, Log: log})
	s.scripts = scripts.New(scripts.Deps{Store: s.st, Clients: deviceScope{s}, Audit: s.alog, Now: s.now})
	s.audit = audit.New(audit.Deps{Log: s.alog, Clients: deviceScope{s}})
	s.accounts = accounts.New(accounts.Deps{Config: accounts.Config{DataDir: cfg.DataDir, FreshTOTP: cfg.FreshTOTP,
		Require2FAForAdmins: cfg.Require2FAForAdmins, TrustedProxies: cfg.TrustedProxies, FixedPlan: cfg.fixedPlan()}, Store: s.st,
		Clients: deviceScope{s}, Conns: s.conns, Audit: s.alog, Now: s.now, Log: log, Devices: s.fleet})
	s.devices = devices.New(devices.Deps{Config: devices.Config{RequireApproval: cfg.RequireApproval}, Store: s.st,
		Fleet: s.fleet, Conns: s.hub, Install: s.install, Approved: s.deviceApproved, Audit: s.alog, Now: s.now,
		DeviceLimit: s.accounts.DeviceLimit, Monitoring: alertsMonitoring{s}})
	s.jobs = jobs.New(jobs.Deps{Config: jobs.Config{OutputCap: cfg.OutputCap, JobExpiry: cfg.JobExpiry, LargeJob: cfg.LargeJob},
		Store: s.st, Fleet: s.fleet, Conns: s.hub, Bus: s.bus, Devices: s.devices, Library: s.scripts, Fresh: s.accounts,
		Metrics: s.metric, Audit: s.alog, Now: s.now, Log: log})
	s.alerts = alerts.New(alerts.Deps{Config: alerts.Config{Interval: cfg.AlertInterval, ScriptMinute: cfg.ScriptCheckMinute}, Store: s.st, Fleet: s.fleet,
		Devices: deviceScope{s}, Bus: s.bus, Notifier: alertNotifier{s, log}, Audit: s.alog, Now: s.now, Log: log,
		Prober: netProber{s}, Scripts: s.jobs})
	s.link = agentlink.New(agentlink.Deps{Config: agentlink.Config{MaxEnrolls: cfg.MaxEnrolls,
		RequireApproval: cfg.RequireApproval, Heartbeat: cfg.Heartbeat, Inventory: cfg.Inventory,
		HealthInterval: cfg.HealthInterval, PatchScan: cfg.PatchScan, Version: cfg.Version}, Store: s.st, CA: s.ca,
		Pins: s.tls.advertised, Fleet: s.fleet, Hub: s.hub, Jobs: s.jobs, Shells: s.shell, Updates: s.updates,
		Metrics: s.metric, Audit: s.alog, Now: s.now, Log: log, DeviceLimit: s.accounts.DeviceLimit, Monitor: s.alerts, Calls: s.calls})
	s.notify = notify.New(notify.Deps{Config: cfg.Notify, Store: s.st, Mail: s.mail, Metrics: s.metric, Audit: s.alog,
		Now: s.now, Log: log})
	s.clients = clients.New(clients.Deps{Config: clients.Config{DefaultPhoneRegion: cfg.DefaultPhoneRegion}, Store: s.st,
		Fleet: s.fleet, Alerts: fleetAlerts{s.fleet}, Audit: s.alog, Now: s.now, Log: log, Consent: consentClients{s}})
	s.vault = vault.New(vault.Deps{Config: vault.Config{Master: s.vaultKey, Unconfigured: s.vaultOff,
		RevealsPerMinute: cfg.VaultRevealsPerMinute, BurstPerHour: cfg.VaultBurstPerHour, RequireReason: cfg.VaultRequireReason},
		Store: s.st, Clients: deviceScope{s}, Audit: s.alog, Now: s.now, Log: log})
	s.attach = attachments.New(attachments.Deps{Config: attachments.Config{Dir: filepath.Join(cfg.DataDir, "attachments"),
		MaxSize: cfg.AttachmentMaxSize}, Store: s.st, Clients: deviceScope{s}, Owners: attachmentOwners{s.st}, Audit: s.alog, Now: s.now, Log: log})
	s.assets = assets.New(assets.Deps{Store: s.st, Clients: deviceScope{s}, Devices: deviceScope{s}, Contacts: contactLookup{s.st},
		Audit: s.alog, Now: s.now})
	s.toolbox = toolbox.New(toolbox.Deps{Config: toolbox.Config{MaxUpload: cfg.MaxUpload}, Devices: deviceScope{s},
		Fleet: s.fleet, Conns: s.hub, Calls: s.calls, Audit: s.alog, Log: log})
	s.contract = contracts.New(contracts.Deps{Store: s.st, Clients: deviceScope{s}, Audit: s.alog, Now: s.now})
	// The consent wing (built last) says whether the customer allows the
	// read-only help-desk view ("view as the customer").
	s.portal = portal.New(portal.Deps{Config: portal.Config{BaseURL: cfg.PortalURL, TrustedProxies: cfg.TrustedProxies},
		Store: s.st, Clients: deviceScope{s}, Fleet: s.fleet, Mail: s.mail, Consent: portalConsent{s}, Audit: s.alog, Now: s.now, Log: log})
	s.auto = automation.New(automation.Deps{Config: automation.Config{Reconcile: cfg.AutomationReconcile,
		MinEvery: cfg.AutomationMinEvery, LargeJob: cfg.LargeJob, TimeZone: cfg.AutomationTimeZone}, Store: s.st, Fleet: s.fleet, Devices: deviceScope{s},
		Runner: s.jobs, Library: s.scripts, Fresh: s.accounts, Metrics: s.metric, Audit: s.alog, Now: s.now, Log: log,
		Clients: s.clients})
	s.tickets = tickets.New(tickets.Deps{Store: s.st, Clients: deviceScope{s}, Devices: deviceScope{s}, Contacts: contactLookup{s.st},
		Limits: ticketLimits{s.st}, Contracts: ticketContracts{s.contract}, Alerts: ticketAlerts{s}, Audit: s.alog, Now: s.now, Log: log,
		Sweep: tickets.SweepConfig{Every: cfg.SLASweep, WarnPercent: cfg.SLAWarnPercent}, Notifier: ticketNotifier{s.notify}, Metrics: s.metric, Bus: s.bus})
	s.invoices = invoices.New(invoices.Deps{Store: s.st, Work: invoiceWork{s.tickets}, Contracts: invoiceContracts{s.contract}, Clients: deviceScope{s}, Audit: s.alog, Now: s.now})
	s.helpdesk = helpdesk.New(helpdesk.Deps{Config: helpdesk.Config{DefaultPhoneRegion: cfg.DefaultPhoneRegion}, Store: s.st,
		Fleet: s.fleet, Mail: s.mail, Audit: s.alog, Now: s.now, Log: log})
	s.consent = consent.New(consent.Deps{Config: consent.Config{DefaultRequired: cfg.RequireConsentDefault,
		PublicURL: s.publicURL, Sweep: cfg.ConsentSweep}, Store: s.st, Clients: deviceScope{s}, Fleet: s.fleet,
		Shells: s.shell, Jobs: s.jobs, Audit: s.alog, Now: s.now, Log: log})
}

// NotifyConfig tunes notifications (the notify wing's Config).
type NotifyConfig = notify.Config

// AlertEvent is one alert change as notifications take it.
type AlertEvent = notify.AlertEvent

// NotifyAlert hands one alert change to notifications, which store the
// deliveries it causes before returning. The alert lifecycle calls it
// for every change (and tests do).
func (s *Server) NotifyAlert(ev AlertEvent) error { return s.notify.Alert(ev) }

// NotifyAlerts is NotifyAlert for many changes at once, in one commit.
func (s *Server) NotifyAlerts(evs []AlertEvent) error { return s.notify.Alerts(evs) }

// hubHandler hands the hub's calls to the agent link, which is built
// after the hub it needs.
type hubHandler struct{ s *Server }

func (h hubHandler) Message(c *hub.Conn, env protocol.Envelope) { h.s.link.Message(c, env) }
func (h hubHandler) Binary(c *hub.Conn, frame []byte)           { h.s.link.Binary(c, frame) }
func (h hubHandler) Closed(c *hub.Conn, reason string)          { h.s.link.Closed(c, reason) }

// deviceApproved sends a device just approved what was held for it: runs
// cannot have been queued for a pending device, but if any were (held by
// an older server), they go now; and its target agent version.
func (s *Server) deviceApproved(c *hub.Conn) {
	s.jobs.DeviceConnected(c, c.Hello.BootTime, c.Hello.BootTime)
	s.updates.OfferTargetVersion(c)
}
