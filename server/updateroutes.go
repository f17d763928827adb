package server

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/hub"
	"github.com/steward-rmm/steward/server/pki"
	"github.com/steward-rmm/steward/server/release"
	"github.com/steward-rmm/steward/server/store"
)

// Agent self-update, server side. Releases are signed offline
// (steward-release) into the release directory; the server checks them
// with the release public key, stores per-scope target versions, offers
// the target to connected agents of the scope (and to agents that connect
// later, after their hello), serves the binaries to enrolled agents only,
// and records each agent's reported outcome. The agent verifies everything
// again with the key pinned at install; the server is not trusted to.

// maxUpdateDownloads bounds concurrent binary downloads in this process;
// past it agents are told to retry, so a fleet-wide update cannot saturate
// the uplink.
const maxUpdateDownloads = 32

var updateDownloads gate

var errUpdatesOff = errors.New("agent updates are not configured on this server (--release-key)")

// updateRoutes serves signed agent releases and the update API.
func (s *Server) updateRoutes() []route {
	return []route{
		{"GET", "/agent/update/{version}/{file}", policy{agent: true}, s.agentUpdateDownload},
		{"GET", "/api/v1/releases", policy{perm: permView}, s.apiReleases},
		{"GET", "/api/v1/updates", policy{perm: permView}, s.apiUpdates},
		{"POST", "/api/v1/updates", policy{perm: permAdmin}, s.apiSetUpdate},
	}
}

// releaseStore opens the release directory with the configured key.
func (s *Server) releaseStore() (*release.Store, error) {
	if s.cfg.ReleaseKey == "" {
		return nil, errUpdatesOff
	}
	key, err := release.ParsePublicKey(s.cfg.ReleaseKey)
	if err != nil {
		return nil, err
	}
	dir := s.cfg.ReleaseDir
	if dir == "" {
		dir = filepath.Join(s.cfg.DataDir, "releases")
	}
	return &release.Store{Dir: dir, Key: key}, nil
}

// agentDevice authenticates an agent by its client certificate, exactly as
// the websocket does: a certificate of our CA naming an enrolled device,
// for the key that device enrolled with, not revoked.
func (s *Server) agentDevice(r *http.Request) (store.Device, int, string) {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return store.Device{}, http.StatusUnauthorized, "client certificate required"
	}
	cert := r.TLS.PeerCertificates[0]
	id := pki.AgentDeviceID(cert)
	d, _, ok := s.fleet.Device(id)
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
func (s *Server) agentUpdateDownload(w http.ResponseWriter, r *http.Request, _ *principal) {
	d, code, msg := s.agentDevice(r)
	if code != 0 {
		writeError(w, code, msg)
		return
	}
	rs, err := s.releaseStore()
	if err != nil {
		writeError(w, http.StatusNotFound, "no such release")
		return
	}
	rel, err := rs.Get(r.PathValue("version"))
	if err != nil {
		writeError(w, http.StatusNotFound, "no such release")
		return
	}
	f, ok := rel.Lookup(r.PathValue("file"))
	if !ok {
		writeError(w, http.StatusNotFound, "no such file in the release")
		return
	}
	if !updateDownloads.tryAcquire(maxUpdateDownloads) {
		w.Header().Set("Retry-After", "30")
		writeError(w, http.StatusServiceUnavailable, "too many update downloads in progress, retry later")
		return
	}
	defer updateDownloads.release()
	file, err := os.Open(rel.Path(f))
	if err != nil {
		s.log.Error("open release file", "file", rel.Path(f), "err", err)
		writeError(w, http.StatusInternalServerError, "internal error")
		return
	}
	defer file.Close()
	s.log.Info("agent downloading update", "device", d.ID, "version", rel.Version, "file", f.Name)
	w.Header().Set("Content-Type", "application/octet-stream")
	http.ServeContent(w, r, f.Name, time.Time{}, file)
}

type releaseView = api.Release

// apiReleases lists the release directory, newest first, with why any
// entry is not a valid release.
func (s *Server) apiReleases(w http.ResponseWriter, r *http.Request, p *principal) {
	rs, err := s.releaseStore()
	if errors.Is(err, errUpdatesOff) {
		writeJSON(w, 200, api.Releases{Enabled: false, Releases: []releaseView{}})
		return
	} else if err != nil {
		s.log.Error("release key", "err", err)
		writeError(w, 500, "the release key is unusable; see the server log")
		return
	}
	l, err := rs.List()
	if err != nil {
		s.log.Error("list releases", "err", err)
		writeError(w, 500, "internal error")
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
	writeJSON(w, 200, api.Releases{Enabled: true, Releases: out})
}

// apiUpdates shows the stored targets and the devices' latest outcomes,
// within the caller's scope.
func (s *Server) apiUpdates(w http.ResponseWriter, r *http.Request, p *principal) {
	ts, err := s.st.UpdateTargets()
	if err != nil {
		writeError(w, 500, "internal error")
		return
	}
	rs, err := s.st.UpdateResults()
	if err != nil {
		writeError(w, 500, "internal error")
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
			if !p.canSeeClient(t.ID) {
				continue
			}
		case store.UpdateScopeDevice:
			if _, ok := s.device(p, t.ID); !ok {
				continue
			}
		}
		targets = append(targets, t)
	}
	results := []api.UpdateResult{}
	for _, x := range rs {
		if v, ok := s.device(p, x.DeviceID); ok {
			results = append(results, api.UpdateResult{DeviceID: x.DeviceID, UpdateResult: protocolUpdateResult(x),
				ReceivedAt: x.ReceivedAt, Hostname: v.Hostname, AgentVersion: v.AgentVersion})
		}
	}
	writeJSON(w, 200, api.Updates{Targets: toAPIUpdateTargets(targets), Results: results})
}

// apiSetUpdate sets the target version of a scope (every device, a
// client's, or listed devices) and offers it to the scope's connected
// agents at once. An empty version clears the scope's target.
func (s *Server) apiSetUpdate(w http.ResponseWriter, r *http.Request, p *principal) {
	var req struct {
		Version string   `json:"version"`
		Client  string   `json:"client,omitempty"`
		Devices []string `json:"devices,omitempty"`
	}
	if err := decodeBody(r, &req, 64<<10); err != nil {
		writeError(w, 400, err.Error())
		return
	}
	if req.Client != "" && len(req.Devices) > 0 {
		writeError(w, 400, "give client or devices, not both")
		return
	}
	if len(req.Devices) > 10000 {
		writeError(w, 400, "at most 10000 devices at once")
		return
	}
	rs, err := s.releaseStore()
	if err != nil {
		writeError(w, 409, errUpdatesOff.Error())
		return
	}
	var rel *release.Release
	if req.Version != "" {
		if rel, err = rs.Get(req.Version); err != nil {
			writeError(w, 400, fmt.Sprintf("release %q is not available: %v", cleanText(req.Version, 64), errors.Unwrap(err)))
			return
		}
	}
	now := s.now().UTC()
	var targets []store.UpdateTarget
	switch {
	case len(req.Devices) > 0:
		for _, id := range req.Devices {
			v, ok := s.device(p, id)
			if !ok {
				writeError(w, 404, "device not found: "+cleanText(id, 64))
				return
			}
			targets = append(targets, store.UpdateTarget{Scope: store.UpdateScopeDevice, ID: v.ID})
		}
	case req.Client != "":
		c, ok := s.resolveClient(p, req.Client)
		if !ok {
			writeError(w, 404, "client not found")
			return
		}
		targets = append(targets, store.UpdateTarget{Scope: store.UpdateScopeClient, ID: c.ID})
	default:
		if !p.AllClients {
			writeError(w, 403, "only users scoped to all clients can target every device; name a client")
			return
		}
		targets = append(targets, store.UpdateTarget{Scope: store.UpdateScopeAll})
	}
	for i := range targets {
		targets[i].Version, targets[i].SetBy, targets[i].SetAt = req.Version, p.Name, now
		if err := s.st.SetUpdateTarget(targets[i]); err != nil {
			s.log.Error("store update target", "err", err)
			writeError(w, 500, "internal error")
			return
		}
		action := "update.target"
		if req.Version == "" {
			action = "update.clear"
		}
		s.auditP(p, action, targets[i].Scope+":"+targets[i].ID, map[string]string{"version": req.Version})
	}
	counts := map[string]int{}
	offered := []string{}
	if rel != nil {
		for _, c := range s.updateScopeConns(p, req.Devices, targets[0]) {
			// A device whose own narrower target differs keeps it.
			if t, ok, err := s.st.UpdateTargetFor(c.DeviceID, c.ClientID); err != nil || !ok || t.Version != rel.Version {
				counts["other_target"]++
				continue
			}
			what := s.offerUpdate(c, rel)
			counts[what]++
			if what == "offered" && len(offered) < 1000 {
				offered = append(offered, c.DeviceID)
			}
		}
		s.auditP(p, "update.offer", targets[0].Scope+":"+targets[0].ID, map[string]string{"version": rel.Version,
			"offered": strconv.Itoa(counts["offered"])})
	}
	writeJSON(w, 200, api.SetUpdateResponse{Version: req.Version, Targets: toAPIUpdateTargets(targets), Counts: counts, Offered: offered})
}

// updateScopeConns returns the connected agents a target covers and the
// caller may see.
func (s *Server) updateScopeConns(p *principal, devices []string, t store.UpdateTarget) []*hub.Conn {
	var out []*hub.Conn
	if t.Scope == store.UpdateScopeDevice {
		for _, id := range devices {
			if c := s.hub.Get(id); c != nil {
				out = append(out, c)
			}
		}
		return out
	}
	s.hub.Each(func(c *hub.Conn) {
		if p.canSeeClient(c.ClientID) && (t.Scope == store.UpdateScopeAll || c.ClientID == t.ID) {
			out = append(out, c)
		}
	})
	return out
}

// offerUpdate sends rel to one connected agent when it can and should take
// it, and says what it did: offered, up_to_date, no_capability, no_build,
// pending_approval.
func (s *Server) offerUpdate(c *hub.Conn, rel *release.Release) string {
	h := c.Hello
	if s.fleet.Pending(c.DeviceID) {
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

// updateAfterHello offers a device that just connected its target version,
// unless it runs it already or refused or rolled back that very version
// (it would again; an operator's new POST offers it regardless). Deferred
// and failed offers are made again: a reboot or a reconnect may have
// cleared their cause.
func (s *Server) updateAfterHello(c *hub.Conn) {
	if c.Hello.UpdateResult != nil {
		// An outcome the previous connection could not carry (a rollback is
		// reported by the version that comes back).
		if err := s.recordUpdateResult(c, *c.Hello.UpdateResult); err != nil {
			s.log.Warn("agent update outcome in hello", "device", c.DeviceID, "err", err)
		}
	}
	s.offerTargetVersion(c)
}

// offerTargetVersion offers a connected device its target version (see
// updateAfterHello); approving a pending device calls it too.
func (s *Server) offerTargetVersion(c *hub.Conn) {
	if s.cfg.ReleaseKey == "" || !slices.Contains(c.Hello.Capabilities, protocol.CapUpdate) {
		return
	}
	t, ok, err := s.st.UpdateTargetFor(c.DeviceID, c.ClientID)
	if err != nil || !ok || t.Version == c.Hello.AgentVersion {
		return
	}
	if last, err := s.st.UpdateResultOf(c.DeviceID); err == nil && last.Version == t.Version &&
		(last.State == protocol.UpdateRefused || last.State == protocol.UpdateRolledBack) {
		return
	}
	rs, err := s.releaseStore()
	if err != nil {
		return
	}
	rel, err := rs.Get(t.Version)
	if err != nil {
		s.log.Warn("update target is not a valid release", "version", t.Version, "err", err)
		return
	}
	if what := s.offerUpdate(c, rel); what == "offered" {
		s.log.Info("offered agent update", "device", c.DeviceID, "version", rel.Version, "from", c.Hello.AgentVersion)
	}
}

// agentUpdateResult records an outcome an agent reported.
func (s *Server) agentUpdateResult(c *hub.Conn, env protocol.Envelope) error {
	var r protocol.UpdateResult
	if err := protocol.DecodeData(env, &r); err != nil {
		return err
	}
	return s.recordUpdateResult(c, r)
}

// recordUpdateResult stores and audits one reported outcome.
func (s *Server) recordUpdateResult(c *hub.Conn, r protocol.UpdateResult) error {
	switch r.State {
	case protocol.UpdateInstalled, protocol.UpdateRefused, protocol.UpdateDeferred, protocol.UpdateFailed,
		protocol.UpdateRolledBack:
	default:
		return fmt.Errorf("%w: update_result state %q", protocol.ErrMalformed, cleanText(r.State, 32))
	}
	r.Version, r.From, r.Reason = cleanText(r.Version, 64), cleanText(r.From, 64), cleanText(r.Reason, maxField)
	if err := s.st.PutUpdateResult(updateResultRecord(c.DeviceID, r, s.now().UTC())); err != nil {
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
	s.appendAudit(store.AuditEvent{At: s.now().UTC(), Actor: "agent", Action: "update." + r.State, Target: c.DeviceID,
		Detail: detail, Source: host})
	s.log.Info("agent update outcome", "device", c.DeviceID, "version", r.Version, "state", r.State, "reason", r.Reason)
	return nil
}
