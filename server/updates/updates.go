// Package updates is the wing for agent self-update on the server side.
// Releases are signed offline (steward-release) into the release
// directory; the wing checks them with the release public key, stores
// per-scope target versions, offers the target to connected agents of the
// scope (and to agents that connect later, after their hello), serves the
// binaries to enrolled agents only, and records each agent's reported
// outcome. The agent verifies everything again with the key pinned at
// install; the server is not trusted to.
package updates

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/auditlog"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/hub"
	"github.com/steward-rmm/steward/server/pki"
	"github.com/steward-rmm/steward/server/release"
	"github.com/steward-rmm/steward/server/store"
)

// Devices finds devices and clients within a caller's scope (the devices
// wing).
type Devices interface {
	Device(p *httpx.Principal, id string) (fleet.View, bool)
	ResolveClient(p *httpx.Principal, ref string) (store.Client, bool)
}

// Fleet is what the wing reads of the live fleet.
type Fleet interface {
	Device(id string) (store.Device, bool, bool)
	Pending(id string) bool
}

// Conns are the connected agents.
type Conns interface {
	Get(id string) *hub.Conn
	Each(fn func(*hub.Conn))
}

// Config says where releases are and which key signs them.
type Config struct {
	// ReleaseKey is the release public key ("" = updates off).
	ReleaseKey string
	// ReleaseDir holds signed releases ("" = DATA/releases).
	ReleaseDir string
	DataDir    string
}

// Deps are what the updates wing is built from.
type Deps struct {
	Config  Config
	Store   store.UpdateStore
	Devices Devices
	Fleet   Fleet
	Conns   Conns
	Audit   auditlog.Writer
	Now     httpx.Clock
	Log     *slog.Logger
}

// Wing serves releases and update targets and offers updates to agents.
type Wing struct {
	d   Deps
	cfg Config
	st  store.UpdateStore
	log *slog.Logger
}

// New builds the updates wing.
func New(d Deps) *Wing { return &Wing{d: d, cfg: d.Config, st: d.Store, log: d.Log} }

// maxUpdateDownloads bounds concurrent binary downloads in this process;
// past it agents are told to retry, so a fleet-wide update cannot saturate
// the uplink.
const maxUpdateDownloads = 32

var updateDownloads httpx.Gate

var errUpdatesOff = errors.New("agent updates are not configured on this server (--release-key)")

// Routes serves signed agent releases and the update API.
func (up *Wing) Routes() []httpx.Route {
	return []httpx.Route{
		httpx.R("GET", "/agent/update/{version}/{file}", httpx.Agent, up.agentUpdateDownload),
		httpx.R("GET", "/api/v1/releases", httpx.NeedPerm(httpx.PermView), up.apiReleases),
		httpx.R("GET", "/api/v1/updates", httpx.NeedPerm(httpx.PermView), up.apiUpdates),
		httpx.R("POST", "/api/v1/updates", httpx.NeedPerm(httpx.PermAdmin), up.apiSetUpdate),
	}
}

// releaseStore opens the release directory with the configured key.
func (up *Wing) releaseStore() (*release.Store, error) {
	if up.cfg.ReleaseKey == "" {
		return nil, errUpdatesOff
	}
	key, err := release.ParsePublicKey(up.cfg.ReleaseKey)
	if err != nil {
		return nil, err
	}
	dir := up.cfg.ReleaseDir
	if dir == "" {
		dir = filepath.Join(up.cfg.DataDir, "releases")
	}
	return &release.Store{Dir: dir, Key: key}, nil
}

// agentDevice authenticates an agent by its client certificate, exactly as
// the websocket does: a certificate of our CA naming an enrolled device,
// for the key that device enrolled with, not revoked.
func (up *Wing) agentDevice(r *http.Request) (store.Device, int, string) {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return store.Device{}, http.StatusUnauthorized, "client certificate required"
	}
	cert := r.TLS.PeerCertificates[0]
	id := pki.AgentDeviceID(cert)
	d, _, ok := up.d.Fleet.Device(id)
	if id == "" || !ok {
		return store.Device{}, http.StatusUnauthorized, "unknown device"
	}
	kh, err := pki.PublicKeyFingerprint(cert.PublicKey)
	if err != nil || kh != d.KeyHash {
		return store.Device{}, http.StatusUnauthorized, "certificate key does not match the enrolled device"
	}
	if d.Revoked {
		return store.Device{}, http.StatusForbidden, "device revoked"
	}
	return d, 0, ""
}

// agentUpdateDownload serves one binary of a release to an enrolled agent.
func (up *Wing) agentUpdateDownload(w http.ResponseWriter, r *http.Request, _ *httpx.Principal) {
	d, code, msg := up.agentDevice(r)
	if code != 0 {
		httpx.WriteError(w, code, msg)
		return
	}
	rs, err := up.releaseStore()
	if err != nil {
		httpx.WriteError(w, http.StatusNotFound, "no such release")
		return
	}
	rel, err := rs.Get(r.PathValue("version"))
	if err != nil {
		httpx.WriteError(w, http.StatusNotFound, "no such release")
		return
	}
	f, ok := rel.Lookup(r.PathValue("file"))
	if !ok {
		httpx.WriteError(w, http.StatusNotFound, "no such file in the release")
		return
	}
	if !updateDownloads.TryAcquire(maxUpdateDownloads) {
		w.Header().Set("Retry-After", "30")
		httpx.WriteError(w, http.StatusServiceUnavailable, "too many update downloads in progress, retry later")
		return
	}
	defer updateDownloads.Release()
	file, err := os.Open(rel.Path(f))
	if err != nil {
		up.log.Error("open release file", "file", rel.Path(f), "err", err)
		httpx.WriteError(w, http.StatusInternalServerError, "internal error")
		return
	}
	defer file.Close()
	up.log.Info("agent downloading update", "device", d.ID, "version", rel.Version, "file", f.Name)
	w.Header().Set("Content-Type", "application/octet-stream")
	http.ServeContent(w, r, f.Name, time.Time{}, file)
}

type releaseView = api.Release

// apiReleases lists the release directory, newest first, with why any
// entry is not a valid release.
func (up *Wing) apiReleases(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	rs, err := up.releaseStore()
	if errors.Is(err, errUpdatesOff) {
		httpx.WriteJSON(w, 200, api.Releases{Enabled: false, Releases: []releaseView{}})
		return
	} else if err != nil {
		up.log.Error("release key", "err", err)
		httpx.WriteError(w, 500, "the release key is unusable; see the server log")
		return
	}
	l, err := rs.List()
	if err != nil {
		up.log.Error("list releases", "err", err)
		httpx.WriteError(w, 500, "internal error")
		return
	}
	out := []releaseView{}
	for _, x := range l {
		v := releaseView{Version: x.Version, Valid: x.Release != nil}
		if x.Err != nil {
			v.Error = x.Err.Error()
		} else {
			v.Created, v.Files = x.Release.Manifest.Created, x.Release.Manifest.Files
		}
		out = append(out, v)
	}
	httpx.WriteJSON(w, 200, api.Releases{Enabled: true, Releases: out})
}

// apiUpdates shows the stored targets and the devices' latest outcomes,
// within the caller's scope.
func (up *Wing) apiUpdates(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	ts, err := up.st.UpdateTargets()
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	rs, err := up.st.UpdateResults()
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	targets := []store.UpdateTarget{}
	for _, t := range ts {
		switch t.Scope {
		case store.UpdateScopeAll:
			if !p.AllClients {
				continue
			}
		case store.UpdateScopeClient:
			if !p.CanSeeClient(t.ID) {
				continue
			}
		case store.UpdateScopeDevice:
			if _, ok := up.d.Devices.Device(p, t.ID); !ok {
				continue
			}
		}
		targets = append(targets, t)
	}
	results := []api.UpdateResult{}
	for _, x := range rs {
		if v, ok := up.d.Devices.Device(p, x.DeviceID); ok {
			results = append(results, api.UpdateResult{DeviceID: x.DeviceID, UpdateResult: ProtocolResult(x),
				ReceivedAt: x.ReceivedAt, Hostname: v.Hostname, AgentVersion: v.AgentVersion})
		}
	}
	httpx.WriteJSON(w, 200, api.Updates{Targets: toAPIUpdateTargets(targets), Results: results})
}

// apiSetUpdate sets the target version of a scope (every device, a
// client's, or listed devices) and offers it to the scope's connected
// agents at once. An empty version clears the scope's target.
func (up *Wing) apiSetUpdate(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	var req struct {
		Version string   `json:"version"`
		Client  string   `json:"client,omitempty"`
		Devices []string `json:"devices,omitempty"`
	}
	if err := httpx.DecodeBody(r, &req, 64<<10); err != nil {
		httpx.WriteBodyError(w, err)
		return
	}
	if req.Client != "" && len(req.Devices) > 0 {
		httpx.WriteError(w, 400, "give client or devices, not both")
		return
	}
	if len(req.Devices) > 10000 {
		httpx.WriteError(w, 400, "at most 10000 devices at once")
		return
	}
	rs, err := up.releaseStore()
	if err != nil {
		httpx.WriteError(w, 409, errUpdatesOff.Error())
		return
	}
	var rel *release.Release
	if req.Version != "" {
		if rel, err = rs.Get(req.Version); err != nil {
			httpx.WriteError(w, 400, fmt.Sprintf("release %q is not available: %v", httpx.CleanText(req.Version, 64), errors.Unwrap(err)))
			return
		}
	}
	now := up.d.Now().UTC()
	var targets []store.UpdateTarget
	switch {
	case len(req.Devices) > 0:
		for _, id := range req.Devices {
			v, ok := up.d.Devices.Device(p, id)
			if !ok {
				httpx.WriteError(w, 404, "device not found: "+httpx.CleanText(id, 64))
				return
			}
			targets = append(targets, store.UpdateTarget{Scope: store.UpdateScopeDevice, ID: v.ID})
		}
	case req.Client != "":
		c, ok := up.d.Devices.ResolveClient(p, req.Client)
		if !ok {
			httpx.WriteError(w, 404, "client not found")
			return
		}
		targets = append(targets, store.UpdateTarget{Scope: store.UpdateScopeClient, ID: c.ID})
	default:
		if !p.AllClients {
			httpx.WriteError(w, 403, "only users scoped to all clients can target every device; name a client")
			return
		}
		targets = append(targets, store.UpdateTarget{Scope: store.UpdateScopeAll})
	}
	for i := range targets {
		targets[i].Version, targets[i].SetBy, targets[i].SetAt = req.Version, p.Name, now
		if err := up.st.SetUpdateTarget(targets[i]); err != nil {
			up.log.Error("store update target", "err", err)
			httpx.WriteError(w, 500, "internal error")
			return
		}
		action := "update.target"
		if req.Version == "" {
			action = "update.clear"
		}
		up.d.Audit.AuditP(p, action, targets[i].Scope+":"+targets[i].ID, map[string]string{"version": req.Version})
	}
	counts := map[string]int{}
	offered := []string{}
	if rel != nil {
		for _, c := range up.updateScopeConns(p, req.Devices, targets[0]) {
			// A device whose own narrower target differs keeps it.
			if t, ok, err := up.st.UpdateTargetFor(c.DeviceID, c.ClientID); err != nil || !ok || t.Version != rel.Version {
				counts["other_target"]++
				continue
			}
			what := up.offerUpdate(c, rel)
			counts[what]++
			if what == "offered" && len(offered) < 1000 {
				offered = append(offered, c.DeviceID)
			}
		}
		up.d.Audit.AuditP(p, "update.offer", targets[0].Scope+":"+targets[0].ID, map[string]string{"version": rel.Version,
			"offered": strconv.Itoa(counts["offered"])})
	}
	httpx.WriteJSON(w, 200, api.SetUpdateResponse{Version: req.Version, Targets: toAPIUpdateTargets(targets), Counts: counts, Offered: offered})
}

// updateScopeConns returns the connected agents a target covers and the
// caller may see.
func (up *Wing) updateScopeConns(p *httpx.Principal, devices []string, t store.UpdateTarget) []*hub.Conn {
	var out []*hub.Conn
	if t.Scope == store.UpdateScopeDevice {
		for _, id := range devices {
			if c := up.d.Conns.Get(id); c != nil {
				out = append(out, c)
			}
		}
		return out
	}
	up.d.Conns.Each(func(c *hub.Conn) {
		if p.CanSeeClient(c.ClientID) && (t.Scope == store.UpdateScopeAll || c.ClientID == t.ID) {
			out = append(out, c)
		}
	})
	return out
}

// offerUpdate sends rel to one connected agent when it can and should take
// it, and says what it did: offered, up_to_date, no_capability, no_build,
// pending_approval.
func (up *Wing) offerUpdate(c *hub.Conn, rel *release.Release) string {
	h := c.Hello
	if up.d.Fleet.Pending(c.DeviceID) {
		return "pending_approval" // nothing reaches a device before approval
	}
	if !slices.Contains(h.Capabilities, protocol.CapUpdate) {
		return "no_capability"
	}
	if h.AgentVersion == rel.Version {
		return "up_to_date"
	}
	o, ok := rel.Offer(h.OS, h.Arch)
	if !ok {
		return "no_build"
	}
	if !c.Send(protocol.MustEncode(protocol.TypeUpdateOffer, "", o)) {
		return "disconnected"
	}
	return "offered"
}

// AfterHello offers a device that just connected its target version,
// unless it runs it already or refused or rolled back that very version
// (it would again; an operator's new POST offers it regardless). Deferred
// and failed offers are made again: a reboot or a reconnect may have
// cleared their cause.
func (up *Wing) AfterHello(c *hub.Conn) {
	if c.Hello.UpdateResult != nil {
		// An outcome the previous connection could not carry (a rollback is
		// reported by the version that comes back).
		if err := up.recordUpdateResult(c, *c.Hello.UpdateResult); err != nil {
			up.log.Warn("agent update outcome in hello", "device", c.DeviceID, "err", err)
		}
	}
	up.OfferTargetVersion(c)
}

// OfferTargetVersion offers a connected device its target version (see
// AfterHello); approving a pending device calls it too.
func (up *Wing) OfferTargetVersion(c *hub.Conn) {
	if up.cfg.ReleaseKey == "" || !slices.Contains(c.Hello.Capabilities, protocol.CapUpdate) {
		return
	}
	t, ok, err := up.st.UpdateTargetFor(c.DeviceID, c.ClientID)
	if err != nil || !ok || t.Version == c.Hello.AgentVersion {
		return
	}
	if last, err := up.st.UpdateResultOf(c.DeviceID); err == nil && last.Version == t.Version &&
		(last.State == protocol.UpdateRefused || last.State == protocol.UpdateRolledBack) {
		return
	}
	rs, err := up.releaseStore()
	if err != nil {
		return
	}
	rel, err := rs.Get(t.Version)
	if err != nil {
		up.log.Warn("update target is not a valid release", "version", t.Version, "err", err)
		return
	}
	if what := up.offerUpdate(c, rel); what == "offered" {
		up.log.Info("offered agent update", "device", c.DeviceID, "version", rel.Version, "from", c.Hello.AgentVersion)
	}
}

// AgentUpdateResult records an outcome an agent reported.
func (up *Wing) AgentUpdateResult(c *hub.Conn, env protocol.Envelope) error {
	var r protocol.UpdateResult
	if err := protocol.DecodeData(env, &r); err != nil {
		return err
	}
	return up.recordUpdateResult(c, r)
}

// recordUpdateResult stores and audits one reported outcome.
func (up *Wing) recordUpdateResult(c *hub.Conn, r protocol.UpdateResult) error {
	switch r.State {
	case protocol.UpdateInstalled, protocol.UpdateRefused, protocol.UpdateDeferred, protocol.UpdateFailed,
		protocol.UpdateRolledBack:
	default:
		return fmt.Errorf("%w: update_result state %q", protocol.ErrMalformed, httpx.CleanText(r.State, 32))
	}
	r.Version, r.From, r.Reason = httpx.CleanText(r.Version, 64), httpx.CleanText(r.From, 64), httpx.CleanText(r.Reason, httpx.MaxField)
	if err := up.st.PutUpdateResult(ResultRecord(c.DeviceID, r, up.d.Now().UTC())); err != nil {
		return err
	}
	detail := map[string]string{"version": r.Version, "from": r.From}
	if r.Reason != "" {
		detail["reason"] = r.Reason
	}
	host, _, err := net.SplitHostPort(c.Remote)
	if err != nil {
		host = c.Remote
	}
	up.d.Audit.Append(store.AuditEvent{At: up.d.Now().UTC(), Actor: "agent", Action: "update." + r.State, Target: c.DeviceID,
		Detail: detail, Source: host})
	up.log.Info("agent update outcome", "device", c.DeviceID, "version", r.Version, "state", r.State, "reason", r.Reason)
	return nil
}

func toAPIUpdateTargets(ts []store.UpdateTarget) []api.UpdateTarget {
	out := make([]api.UpdateTarget, 0, len(ts))
	for _, t := range ts {
		out = append(out, api.UpdateTarget{Scope: t.Scope, ID: t.ID, Version: t.Version, SetBy: t.SetBy, SetAt: t.SetAt})
	}
	return out
}
