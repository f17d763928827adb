// The connection: dial, hello and welcome, the read loop, reconnects with
// backoff. Pin adoption is in pins.go, the writer goroutine in session.go.

package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/gorilla/websocket"
	"github.com/shirou/gopsutil/v4/host"
	"github.com/steward-rmm/steward/agent/inventory"
	"github.com/steward-rmm/steward/protocol"
)

// connectLoop connects, serves, and reconnects with jittered exponential
// backoff (or as the server asks) until ctx ends.
func (a *Agent) connectLoop(ctx context.Context) {
	backoff := time.Second
	var lost time.Time // when the last connection that lived ended
	for {
		start := time.Now()
		err := a.connectOnce(ctx)
		a.connectionChanged(false)
		a.shells.closeAll("connection to server lost")
		a.toolbox.CloseAll()
		if ctx.Err() != nil {
			return
		}
		wait := backoff
		var ra *retryAfterError
		switch {
		case errors.As(err, &ra):
			wait = ra.d
		case errors.Is(err, ErrRevoked):
			wait = a.cfg.MaxBackoff
		}
		lived := time.Since(start) > time.Minute
		if lived {
			lost = time.Now()
		}
		backoff = nextBackoff(backoff, err, lived, time.Since(lost), a.cfg.MaxBackoff)
		// Full jitter spreads a reconnect storm over the whole window.
		wait = wait/2 + time.Duration(rand.Int64N(int64(wait/2)+1))
		a.log.Warn("disconnected from server; retrying", "err", err, "in", wait.Round(time.Millisecond))
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// restartWindow is how long after losing a connection that lived the
// agent treats a refused connection as a server restart, and
// refusedBackoff the longest it then waits between attempts.
const (
	restartWindow  = 2 * time.Minute
	refusedBackoff = 4 * time.Second
)

// nextBackoff is the backoff after an attempt that ended with err. A
// connection that lived resets it. Otherwise it doubles up to max, except
// that shortly after a connection that lived was lost, a refused connection
// (nothing listens: the server is restarting) keeps it at refusedBackoff:
// a refusal costs the server nothing, and a server restarted after a crash
// is usually back within seconds, when agents that backed off to 30 or 60 s
// would leave it idle. A server that accepts but is busy still gets the
// full backoff.
func nextBackoff(cur time.Duration, err error, lived bool, sinceLost, max time.Duration) time.Duration {
	if lived {
		return time.Second
	}
	next := min(cur*2, max)
	if errors.Is(err, errRefused) && sinceLost < restartWindow {
		next = min(next, refusedBackoff)
	}
	return next
}

type retryAfterError struct {
	d   time.Duration
	msg string
}

func (e *retryAfterError) Error() string { return e.msg }

// serverURL is the server's https:// URL: the enrolled one, unless
// Config.Server overrides it.
func (a *Agent) serverURL() string {
	if a.cfg.Server != "" {
		return strings.TrimRight(a.cfg.Server, "/")
	}
	return a.id.Config.Server
}

func (a *Agent) wsURL() string {
	return strings.Replace(a.serverURL(), "https://", "wss://", 1) + "/agent/ws"
}

func (a *Agent) hello() protocol.Hello {
	h := protocol.Hello{ProtocolVersion: protocol.Version, AgentVersion: a.cfg.Version, OS: runtime.GOOS, Arch: runtime.GOARCH,
		Capabilities: []string{protocol.CapScript, protocol.CapShell, protocol.CapService, protocol.CapPower,
			protocol.CapPatch, protocol.CapHealth, protocol.CapToolbox}}
	a.updateHello(&h) // update capability and a waiting update outcome
	h.Hostname, _ = os.Hostname()
	h.BootTime = bootTime()
	return h
}

// connectOnce dials, exchanges hello and welcome, and serves the
// connection until it ends.
func (a *Agent) connectOnce(ctx context.Context) error {
	ws, err := a.dial(ctx)
	if err != nil {
		return err
	}
	defer ws.Close()
	w, err := a.handshake(ws)
	if err != nil {
		return err
	}
	a.log.Info("connected", "server", a.id.Config.Server, "device", w.DeviceID)
	a.adoptPins(ws, w.Pins)
	a.connectionChanged(true)
	return a.serve(ctx, ws, w)
}

// dial opens the websocket with the pinned TLS configuration; a refusal
// by the server becomes ErrRevoked or a retryAfterError.
func (a *Agent) dial(ctx context.Context) (*websocket.Conn, error) {
	if a.tlsConf == nil {
		conf, err := a.id.TLSConfig(a.serverURL())
		if err != nil {
			return nil, fmt.Errorf("connect: %w", err)
		}
		a.tlsConf = conf
		// Reconnects resume the TLS session: after a server restart,
		// 20,000 agents cost far less than 20,000 full handshakes. The
		// cache keeps the session across a few failed attempts.
		a.tlsConf.ClientSessionCache = &sessionCache{}
	}
	d := websocket.Dialer{
		TLSClientConfig:  a.tlsConf,
		HandshakeTimeout: 30 * time.Second,
		ReadBufferSize:   4096,
		// A client connection writes a message in frames of this size: one
		// toolbox data frame (64 KB) goes out as one frame, not sixteen.
		WriteBufferSize: protocol.MaxCallData + 1024,
		Proxy:           http.ProxyFromEnvironment,
		NetDialContext:  a.cfg.Dial,
	}
	ws, resp, err := d.DialContext(ctx, a.wsURL(), nil)
	if err == nil {
		ws.SetReadLimit(protocol.MaxServerFrame)
		return ws, nil
	}
	if resp != nil {
		var e struct {
			Error string `json:"error"`
		}
		_ = json.NewDecoder(http.MaxBytesReader(nil, resp.Body, 4096)).Decode(&e)
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			a.log.Error("server refused this device", "status", resp.StatusCode, "error", e.Error)
			return nil, fmt.Errorf("%w (%s)", ErrRevoked, e.Error)
		case http.StatusServiceUnavailable, http.StatusTooManyRequests:
			return nil, &retryAfterError{d: parseRetry(resp.Header.Get("Retry-After")), msg: "server busy"}
		}
	}
	return nil, fmt.Errorf("connect: %w", err)
}

// handshake sends hello and reads the welcome (or the server's refusal).
func (a *Agent) handshake(ws *websocket.Conn) (protocol.Welcome, error) {
	var w protocol.Welcome
	if err := ws.WriteMessage(websocket.TextMessage, protocol.MustEncode(protocol.TypeHello, "", a.hello())); err != nil {
		return w, fmt.Errorf("send hello: %w", err)
	}
	_ = ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	_, b, err := ws.ReadMessage()
	if err != nil {
		return w, fmt.Errorf("read welcome: %w", err)
	}
	env, err := protocol.Decode(b, protocol.MaxServerFrame)
	if err != nil {
		return w, fmt.Errorf("read welcome: %w", err)
	}
	if env.Type == protocol.TypeError {
		var e protocol.Error
		_ = protocol.DecodeData(env, &e)
		if e.Code == protocol.CodeUnsupportedVersion {
			a.log.Error("the server does not speak this agent's protocol version; update the agent or the server",
				"agent_protocol", protocol.Version, "server_says", e.Message)
		}
		if e.RetryAfterSeconds > 0 {
			return w, &retryAfterError{d: time.Duration(e.RetryAfterSeconds) * time.Second, msg: e.Message}
		}
		return w, fmt.Errorf("server refused connection: %s: %s", e.Code, e.Message)
	}
	if env.Type != protocol.TypeWelcome || protocol.DecodeData(env, &w) != nil {
		return w, fmt.Errorf("expected welcome, got %q", env.Type)
	}
	if w.HeartbeatSeconds <= 0 {
		w.HeartbeatSeconds = 60
	}
	return w, nil
}

// serve runs one welcomed connection: the writer, heartbeats and the read
// loop, until the socket or ctx ends.
func (a *Agent) serve(ctx context.Context, ws *websocket.Conn, w protocol.Welcome) error {
	s := newSession(ws)
	a.mu.Lock()
	a.sess, a.welcome = s, w
	a.mu.Unlock()
	a.setRetired(w.Retired)
	defer func() {
		a.mu.Lock()
		if a.sess == s {
			a.sess = nil
		}
		a.mu.Unlock()
		s.close()
	}()
	go s.writeLoop()
	go func() {
		// Reads do not watch ctx; closing the socket ends them.
		select {
		case <-ctx.Done():
			_ = ws.WriteControl(websocket.CloseMessage,
				websocket.FormatCloseMessage(websocket.CloseGoingAway, "agent stopping"), time.Now().Add(time.Second))
			s.close()
		case <-s.done:
		}
	}()
	hb := time.Duration(w.HeartbeatSeconds) * time.Second
	// The heartbeat pings only after a silence of 1.5 heartbeats
	// (pingSilence in collect.go), so a pong arrives at least every 2.6 heartbeats (the
	// intervals are jittered ±10 %) while the server is alive.
	readWait := hb*3 + 10*time.Second
	_ = ws.SetReadDeadline(time.Now().Add(readWait))
	ws.SetPongHandler(func(string) error {
		s.heardNow()
		return ws.SetReadDeadline(time.Now().Add(readWait))
	})
	go a.afterConnect(s, w)
	go a.heartbeatLoop(s, hb)
	for {
		mt, b, err := ws.ReadMessage()
		if err != nil {
			return fmt.Errorf("read: %w", err)
		}
		_ = ws.SetReadDeadline(time.Now().Add(readWait))
		s.heardNow()
		if mt == websocket.BinaryMessage {
			if len(b) > 0 && protocol.IsCallFrame(b[0]) {
				a.toolbox.Binary(b)
				continue
			}
			a.shells.binary(s, b)
			continue
		}
		env, err := protocol.Decode(b, protocol.MaxServerFrame)
		if err != nil {
			a.log.Warn("malformed message from server", "err", err)
			continue
		}
		if err := a.handle(s, env); errors.Is(err, ErrRevoked) {
			return err
		}
	}
}

func parseRetry(h string) time.Duration {
	var n int
	if _, err := fmt.Sscan(h, &n); err != nil || n <= 0 || n > 600 {
		n = 5
	}
	return time.Duration(n) * time.Second
}

// setRetired records whether the device is retired and reports whether
// that changed.
func (a *Agent) setRetired(retired bool) bool {
	if a.retired.Swap(retired) == retired {
		return false
	}
	if retired {
		a.log.Info("device retired by the server: reporting paused, heartbeats only")
	} else {
		a.log.Info("device restored by the server: reporting resumed")
	}
	return true
}

// afterConnect sends what the server may lack: results it has not
// acknowledged (with their output), then the inventory and health.
func (a *Agent) afterConnect(s *session, w protocol.Welcome) {
	a.updateConnected(s) // confirm a new version, report an update outcome
	recs, err := a.spool.Pending()
	if err != nil {
		a.log.Error("read spool", "err", err)
	}
	for _, r := range recs {
		a.resend(s, r)
	}
	if a.retired.Load() {
		return // a retired device reports nothing but heartbeats
	}
	inv := a.collectInventory(a.ctx)
	h := inventory.Hash(inv)
	a.mu.Lock()
	a.invHash = h
	a.mu.Unlock()
	if protocol.ContentHash(inv) != w.InventoryHash {
		s.send(protocol.MustEncode(protocol.TypeInventory, "", inv))
	}
	a.mu.Lock()
	hl, hh := a.health, a.hHash
	a.mu.Unlock()
	if hh != "" && hh != w.HealthHash {
		s.send(protocol.MustEncode(protocol.TypeHealth, "", hl))
	}
}

func (a *Agent) handle(s *session, env protocol.Envelope) error {
	switch env.Type {
	case protocol.TypeJob:
		var j protocol.Job
		if err := protocol.DecodeData(env, &j); err != nil {
			a.log.Warn("bad job message", "err", err)
			return nil
		}
		a.onJob(s, j)
	case protocol.TypeResultAck:
		var ack protocol.ResultAck
		if protocol.DecodeData(env, &ack) == nil {
			if err := a.spool.Ack(ack.RunID); err != nil && !errors.Is(err, os.ErrNotExist) {
				a.log.Debug("ack", "run", ack.RunID, "err", err)
			}
			a.mu.Lock()
			if ch := a.acks[ack.RunID]; ch != nil {
				close(ch)
				delete(a.acks, ack.RunID)
			}
			a.mu.Unlock()
		}
	case protocol.TypeJobCancel:
		var c protocol.JobCancel
		if protocol.DecodeData(env, &c) == nil {
			a.mu.Lock()
			if r := a.active[c.RunID]; r != nil {
				r.cancel()
			}
			a.mu.Unlock()
		}
	case protocol.TypeRetire:
		var r protocol.Retire
		if protocol.DecodeData(env, &r) == nil && a.setRetired(r.Retired) && !r.Retired {
			go a.refresh(s, "") // restored: the server's reports are stale
		}
	case protocol.TypeRefresh:
		var r protocol.Refresh
		_ = protocol.DecodeData(env, &r)
		go a.refresh(s, r.What)
	case protocol.TypeShellOpen, protocol.TypeShellResize, protocol.TypeShellClose:
		a.shells.message(s, env)
	case protocol.TypeCall, protocol.TypeCallCancel:
		a.toolbox.Message(a.ctx, toolboxSender{s}, env)
	case protocol.TypeUpdateOffer:
		a.onUpdateOffer(s, env) // applies in its own goroutine
	case protocol.TypeError:
		var e protocol.Error
		_ = protocol.DecodeData(env, &e)
		a.log.Warn("server error", "code", e.Code, "message", e.Message)
		if e.Code == protocol.CodeRevoked {
			return ErrRevoked
		}
	default:
		a.log.Debug("ignored message", "type", env.Type)
	}
	return nil
}

// send queues a frame on the current connection, if any.
func (a *Agent) send(b []byte) bool {
	a.mu.Lock()
	s := a.sess
	a.mu.Unlock()
	if s == nil {
		return false
	}
	return s.send(b)
}

// bootTime is the OS boot time hello reports.
func bootTime() time.Time {
	bt, err := host.BootTime()
	if err != nil {
		return time.Time{}
	}
	return time.Unix(int64(bt), 0).UTC()
}
