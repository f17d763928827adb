package agentlink

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/hub"
	"github.com/steward-rmm/steward/server/pki"
	"github.com/steward-rmm/steward/server/store"
)

// handleEnroll turns a token and an agent-made public key into a device.
func (s *Wing) handleEnroll(w http.ResponseWriter, r *http.Request) {
	if !s.enrolls.TryAcquire(s.cfg.MaxEnrolls) {
		w.Header().Set("Retry-After", "2")
		httpx.WriteError(w, http.StatusTooManyRequests, "too many enrollments in progress, retry later")
		return
	}
	defer s.enrolls.Release()
	var req protocol.EnrollRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, protocol.MaxEnrollBody)).Decode(&req); err != nil {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			httpx.WriteBodyError(w, &httpx.BodyTooLargeError{Limit: mbe.Limit})
			return
		}
		httpx.WriteError(w, http.StatusBadRequest, "malformed enrollment request")
		return
	}
	pub, err := x509.ParsePKIXPublicKey(req.PublicKey)
	if err != nil {
		httpx.WriteError(w, http.StatusBadRequest, "public_key is not a PKIX public key")
		return
	}
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			httpx.WriteError(w, http.StatusBadRequest, "only ECDSA P-256 or Ed25519 keys are accepted")
			return
		}
	case ed25519.PublicKey:
	default:
		httpx.WriteError(w, http.StatusBadRequest, "only ECDSA P-256 or Ed25519 keys are accepted")
		return
	}
	keyHash, err := pki.PublicKeyFingerprint(pub)
	if err != nil {
		httpx.WriteError(w, http.StatusBadRequest, "bad public key")
		return
	}
	mid, ok := cleanMachineID(req.MachineID)
	if !ok {
		httpx.WriteError(w, http.StatusBadRequest, "machine_id must be at most 128 printable ASCII characters")
		return
	}
	d := store.Device{ID: httpx.NewID("d"), Hostname: httpx.CleanText(req.Hostname, 255), OS: httpx.CleanText(req.OS, 32),
		Arch: httpx.CleanText(req.Arch, 32), KeyHash: keyHash, EnrolledAt: s.now(), MachineID: mid, Pending: s.cfg.RequireApproval}
	limit := s.deviceLimit()
	d, existing, err := s.st.EnrollWithin(httpx.HashSecret(req.Token), s.now(), d, limit)
	switch {
	case errors.Is(err, store.ErrDeviceLimit):
		// The installer prints this as it is; the token keeps its uses.
		msg := fmt.Sprintf("device limit of %d reached: retire a device or raise the limit", limit)
		s.alog.Audit(r, "agent", "enroll.refused", "", map[string]string{"reason": msg})
		httpx.WriteError(w, http.StatusForbidden, msg)
		return
	case errors.Is(err, store.ErrNotFound):
		s.alog.Audit(r, "agent", "enroll.refused", "", map[string]string{"reason": "unknown token"})
		httpx.WriteError(w, http.StatusUnauthorized, "enrollment token not recognised")
		return
	case errors.Is(err, store.ErrTokenExpired), errors.Is(err, store.ErrTokenRevoked), errors.Is(err, store.ErrTokenUsedUp):
		s.alog.Audit(r, "agent", "enroll.refused", "", map[string]string{"reason": err.Error()})
		httpx.WriteError(w, http.StatusUnauthorized, err.Error())
		return
	case errors.Is(err, store.ErrExists):
		httpx.WriteError(w, http.StatusConflict, "this key is already bound to another device")
		return
	case err != nil:
		s.log.Error("enroll", "err", err)
		httpx.WriteError(w, http.StatusInternalServerError, "enrollment failed")
		return
	}
	cert, err := s.ca.SignAgent(d.ID, pub)
	if err != nil {
		s.log.Error("sign agent certificate", "err", err)
		httpx.WriteError(w, http.StatusInternalServerError, "enrollment failed")
		return
	}
	if !existing {
		s.fleet.Add(d)
		s.metric.Enrolled()
	}
	detail := map[string]string{"client": d.ClientID, "hostname": d.Hostname, "reenroll": fmt.Sprint(existing),
		"pending": fmt.Sprint(d.Pending)}
	if d.MachineID != "" {
		detail["machine_id"] = d.MachineID
	}
	if d.DuplicateOf != "" {
		detail["duplicate_of"] = d.DuplicateOf
	}
	s.alog.Audit(r, "agent", "device.enroll", d.ID, detail)
	httpx.WriteJSON(w, http.StatusOK, protocol.EnrollResponse{DeviceID: d.ID, Certificate: cert, CA: s.ca.PEM, ClientID: d.ClientID})
}

// cleanMachineID trims the machine ID an agent reports and refuses one
// that is not short printable ASCII (it becomes part of an index key).
func cleanMachineID(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if len(s) > 128 {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return "", false
		}
	}
	return strings.ToLower(s), true
}

// poolAdapter satisfies websocket.BufferPool with a sync.Pool.
type poolAdapter struct{ p sync.Pool }

func (a *poolAdapter) Get() any  { return a.p.Get() }
func (a *poolAdapter) Put(v any) { a.p.Put(v) }

var agentUpgrader = websocket.Upgrader{
	ReadBufferSize:  1024,
	WriteBufferSize: 1024,
	// A pooled write buffer is held only while a message is written, which
	// keeps idle connections small.
	WriteBufferPool: &poolAdapter{},
	// Agents send no Origin; a browser always does. Refusing any Origin
	// stops a web page from ever reaching the agent endpoint.
	CheckOrigin: func(r *http.Request) bool { return r.Header.Get("Origin") == "" },
}

// handleAgentWS authenticates an agent by its client certificate, checks
// its hello and attaches it to the hub.
func (s *Wing) handleAgentWS(w http.ResponseWriter, r *http.Request) {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		httpx.WriteError(w, http.StatusUnauthorized, "client certificate required")
		return
	}
	cert := r.TLS.PeerCertificates[0]
	id := pki.AgentDeviceID(cert)
	d, _, ok := s.fleet.Device(id)
	if id == "" || !ok {
		httpx.WriteError(w, http.StatusUnauthorized, "unknown device")
		return
	}
	kh, err := pki.PublicKeyFingerprint(cert.PublicKey)
	if err != nil || kh != d.KeyHash {
		httpx.WriteError(w, http.StatusUnauthorized, "certificate key does not match the enrolled device")
		return
	}
	if d.Revoked {
		httpx.WriteError(w, http.StatusForbidden, "device revoked")
		return
	}
	ws, err := agentUpgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader wrote the error
	}
	ws.SetReadLimit(protocol.MaxAgentFrame)
	_ = ws.SetReadDeadline(time.Now().Add(15 * time.Second))
	fail := func(code, msg string) {
		_ = ws.WriteMessage(websocket.TextMessage, protocol.MustEncode(protocol.TypeError, "", protocol.Error{Code: code, Message: msg}))
		_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.ClosePolicyViolation, code), time.Now().Add(time.Second))
		ws.Close()
	}
	// A server shutting down ends the wait for the hello (the request's
	// context is cancelled then), so the wait never holds up Run.
	helloWait := context.AfterFunc(r.Context(), func() { ws.Close() })
	mt, b, err := ws.ReadMessage()
	if !helloWait() || err != nil || mt != websocket.TextMessage {
		ws.Close()
		return
	}
	env, err := protocol.Decode(b, protocol.MaxAgentFrame)
	var hello protocol.Hello
	if err == nil && env.Type == protocol.TypeHello {
		err = protocol.DecodeData(env, &hello)
	} else if err == nil {
		err = fmt.Errorf("first message must be hello, got %q", env.Type)
	}
	if err != nil {
		fail(protocol.CodeBadRequest, "expected a valid hello")
		return
	}
	if hello.ProtocolVersion < protocol.MinVersion || hello.ProtocolVersion > protocol.Version {
		s.log.Warn("agent protocol version refused", "device", id, "version", hello.ProtocolVersion)
		fail(protocol.CodeUnsupportedVersion, fmt.Sprintf("protocol version %d not supported; this server speaks %d to %d",
			hello.ProtocolVersion, protocol.MinVersion, protocol.Version))
		return
	}
	hello.Hostname = httpx.CleanText(hello.Hostname, 255)
	hello.AgentVersion = httpx.CleanText(hello.AgentVersion, 64)
	_ = ws.SetReadDeadline(time.Time{})
	prevBoot := s.fleet.SetOnline(id, hello, r.RemoteAddr)
	invHash, healthHash := s.fleet.ReportHashes(id)
	welcome := protocol.Welcome{DeviceID: id, ServerTime: s.now().UTC(), ProtocolVersion: protocol.Version,
		HeartbeatSeconds: int(s.cfg.Heartbeat / time.Second), InventorySeconds: int(s.cfg.Inventory / time.Second),
		HealthSeconds: int(s.cfg.HealthInterval / time.Second), PatchScanSeconds: int(s.cfg.PatchScan / time.Second),
		ServerVersion: s.cfg.Version, InventoryHash: invHash, HealthHash: healthHash, Pins: s.pins(), Retired: s.fleet.Retired(id)}
	if err := ws.WriteMessage(websocket.TextMessage, protocol.MustEncode(protocol.TypeWelcome, "", welcome)); err != nil {
		s.fleet.SetOffline(id, "welcome failed")
		ws.Close()
		return
	}
	c := s.hub.Attach(ws, id, d.ClientID, r.RemoteAddr, hello)
	s.jobs.DeviceConnected(c, prevBoot, hello.BootTime)
	s.updates.AfterHello(c) // offer the device's target agent version (the updates wing)
}

// Message routes one agent message to the wing that handles it (the hub
// calls it).
func (s *Wing) Message(c *hub.Conn, env protocol.Envelope) {
	var err error
	switch env.Type {
	case protocol.TypeHeartbeat:
		var hb protocol.Heartbeat
		if err = protocol.DecodeData(env, &hb); err == nil {
			s.Heartbeat(c, hb)
		}
	case protocol.TypeInventory, protocol.TypeHealth:
		if s.fleet.Retired(c.DeviceID) {
			// A retired device reports nothing; an agent too old to know
			// the retire message still sends, and is not listened to.
			return
		}
		err = s.report(c, env)
	case protocol.TypeJobAck, protocol.TypeJobOutput, protocol.TypeJobResult:
		err = s.jobs.AgentMessage(c, env)
	case protocol.TypeShellOpened, protocol.TypeShellClose:
		err = s.shell.AgentMessage(c, env)
	case protocol.TypeUpdateResult:
		err = s.updates.AgentUpdateResult(c, env)
	case protocol.TypeCallChunk, protocol.TypeCallEnd:
		if s.calls != nil {
			err = s.calls.AgentMessage(c, env)
		}
	case protocol.TypeError:
		var e protocol.Error
		_ = protocol.DecodeData(env, &e)
		s.log.Warn("agent reported an error", "device", c.DeviceID, "code", httpx.CleanText(e.Code, 64), "message", httpx.CleanText(e.Message, 512))
	default:
		// Forward compatibility: newer agents may send types we do not know.
		s.log.Debug("ignored unknown message type", "device", c.DeviceID, "type", httpx.CleanText(env.Type, 64))
	}
	if errors.Is(err, protocol.ErrMalformed) {
		s.hub.Metrics.BadFrames.Add(1)
		c.CloseWithError(protocol.CodeBadRequest, "malformed "+env.Type)
	} else if err != nil {
		s.log.Error("agent message", "device", c.DeviceID, "type", env.Type, "err", err)
	}
}

// Heartbeat records a heartbeat (the hub decodes it in one pass; see
// hub.HeartbeatHandler).
func (s *Wing) Heartbeat(c *hub.Conn, hb protocol.Heartbeat) {
	hb.User = httpx.CleanText(hb.User, 256)
	s.fleet.Heartbeat(c.DeviceID, hb)
}

// Binary hands a binary frame to the shell wing, or to the toolbox calls
// for call frames.
func (s *Wing) Binary(c *hub.Conn, frame []byte) {
	if len(frame) > 0 && protocol.IsCallFrame(frame[0]) {
		if s.calls != nil {
			s.calls.AgentBinary(c, frame)
		}
		return
	}
	s.shell.AgentBinary(c, frame)
}

// Closed marks the device offline and tells the shell and jobs wings.
func (s *Wing) Closed(c *hub.Conn, reason string) {
	// A replaced connection must not mark the device offline: its successor
	// is already attached.
	if s.hub.Get(c.DeviceID) == nil {
		s.fleet.SetOffline(c.DeviceID, reason)
	}
	s.shell.DeviceGone(c, reason)
	s.jobs.DeviceGone(c)
	if s.calls != nil {
		s.calls.DeviceGone(c, reason)
	}
}

// report stores an inventory or health report.
func (s *Wing) report(c *hub.Conn, env protocol.Envelope) error {
	if env.Type == protocol.TypeInventory {
		var inv protocol.Inventory
		if err := protocol.DecodeData(env, &inv); err != nil {
			return err
		}
		return s.storeInventory(c.DeviceID, &inv)
	}
	var hl protocol.Health
	if err := protocol.DecodeData(env, &hl); err != nil {
		return err
	}
	return s.storeHealth(c.DeviceID, &hl)
}

func (s *Wing) storeInventory(id string, inv *protocol.Inventory) error {
	hash := protocol.ContentHash(inv) // what the agent hashed: before sanitising
	sanitizeInventory(inv)
	if old, _ := s.fleet.ReportHashes(id); old == hash {
		if s.monitor != nil {
			s.monitor.InventoryReported(id, nil) // unchanged: only its time
		}
		return nil
	}
	rec, err := fleet.InventoryRecord(id, hash, s.now(), inv)
	if err != nil {
		return err
	}
	if err := s.st.PutInventory(rec); err != nil {
		return err
	}
	s.fleet.SetInventory(id, inv)
	s.fleet.SetReportHashes(id, hash, "")
	if s.monitor != nil {
		s.monitor.InventoryReported(id, inv)
	}
	return nil
}

func (s *Wing) storeHealth(id string, h *protocol.Health) error {
	hash := protocol.ContentHash(h) // what the agent hashed: before sanitising
	sanitizeHealth(h)
	rec, err := fleet.HealthRecord(id, hash, s.now(), h)
	if err != nil {
		return err
	}
	if err := s.st.PutHealth(rec); err != nil {
		return err
	}
	s.fleet.SetHealth(id, h)
	s.fleet.SetReportHashes(id, "", hash)
	if s.monitor != nil {
		s.monitor.HealthReported(id, h)
	}
	return nil
}
