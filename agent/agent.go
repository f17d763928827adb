// Package agent is the Steward endpoint agent: it keeps one websocket to the
// server, reports inventory, health and heartbeats, runs jobs exactly once
// with durable results, and hosts terminal sessions.
package agent

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/steward-rmm/steward/agent/health"
	"github.com/steward-rmm/steward/agent/identity"
	"github.com/steward-rmm/steward/agent/inventory"
	"github.com/steward-rmm/steward/agent/ops"
	"github.com/steward-rmm/steward/agent/spool"
	"github.com/steward-rmm/steward/protocol"
)

// Executor runs one job. out streams output; it is never called
// concurrently for one job.
type Executor func(ctx context.Context, j protocol.Job, out func(stream string, b []byte)) protocol.JobResult

// Config configures an agent.
type Config struct {
	Dir     string // config directory holding the identity and spool
	Version string
	// Executors by job kind; nil entries fall back to the defaults.
	Executors map[string]Executor
	// Health collects the health report; nil = the OS collectors.
	Health func(ctx context.Context) protocol.Health
	// Inventory collects the inventory; nil = gopsutil.
	Inventory func(ctx context.Context) protocol.Inventory
	// MaxBackoff caps the reconnect delay (default one minute).
	MaxBackoff time.Duration
	// OutputCap bounds spooled output per run and stream.
	OutputCap int64
	// Dial overrides how the TCP connection is made (the simulator binds
	// each agent to a loopback source address); nil = net.Dialer.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// HealthAtStart collects health once at start (real agents do; the
	// simulator skips it).
	SkipInitialHealth bool
	// SpoolNoSync skips fsync in the job spool (simulator only).
	SpoolNoSync bool
	// Live samples the heartbeat figures; nil = gopsutil. The simulator
	// passes fixed figures: 20,000 simulated agents reading /proc at every
	// heartbeat would measure the simulator, not the server.
	Live func(ctx context.Context) inventory.Live
	// Server overrides the enrolled server URL (a server that moved).
	Server string
	// OpsRunner runs service and power commands; nil = the real OS. Tests
	// pass a recorder so nothing is restarted or rebooted.
	OpsRunner ops.Runner
	// GOOS overrides the OS whose commands service and power jobs use
	// (tests of other OSes' plans); "" = runtime.GOOS.
	GOOS string
	// UpdateExe is the agent binary self-update replaces; "" = this
	// executable. Self-update runs only when the identity pins an
	// update_key (see selfupdate.go).
	UpdateExe string
	// HealthRoot is the filesystem root the health collectors read
	// ("" = "/"); tests point it at a prepared tree.
	HealthRoot string
	// OnConnection, when set, hears each time the connection to the
	// server comes up or goes down (the service's status file).
	OnConnection func(up bool, server string)
	// HealthRunner runs the health collectors' and patch installs' OS
	// tools; nil = the real OS. Tests stand in for apt and friends.
	HealthRunner ops.Runner
}

// Agent is a running agent.
type Agent struct {
	cfg   Config
	log   *slog.Logger
	id    *identity.Identity
	spool *spool.Spool
	ctx   context.Context

	mu       sync.Mutex
	sess     *session
	active   map[string]*activeRun
	health   protocol.Health
	hHash    string
	invHash  string
	welcome  protocol.Welcome
	saw3010  bool
	shells   *shellHost
	acks     map[string]chan struct{}
	hbSeq    uint64
	execs    map[string]Executor
	bootTime time.Time
	tlsConf  *tls.Config
	upd      *selfUpdate // nil: self-update disabled (selfupdate.go)
	hEnv     healthEnv
}

type activeRun struct {
	cancel context.CancelFunc
	out    *spool.Output
}

// ErrRevoked is returned when the server says this device was revoked.
var ErrRevoked = errors.New("this device was revoked by the server; re-enroll to manage it again")

// New loads the identity and spool from cfg.Dir.
func New(cfg Config, log *slog.Logger) (*Agent, error) {
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = time.Minute
	}
	if cfg.OutputCap == 0 {
		cfg.OutputCap = 1 << 20
	}
	id, err := identity.Load(cfg.Dir)
	if err != nil {
		return nil, err
	}
	sp, err := spool.Open(filepath.Join(cfg.Dir, "spool"), cfg.OutputCap)
	if err != nil {
		return nil, err
	}
	sp.NoSync = cfg.SpoolNoSync
	a := &Agent{cfg: cfg, log: log, id: id, spool: sp, active: map[string]*activeRun{}, acks: map[string]chan struct{}{}}
	a.execs = defaultExecutors(a)
	for k, e := range cfg.Executors {
		a.execs[k] = e
	}
	a.shells = newShellHost(a)
	a.initUpdate() // self-update, when the identity pins a release key
	return a, nil
}

// Run connects and serves until ctx ends.
func (a *Agent) Run(ctx context.Context) error {
	// Self-update first: a trial start or a rollback ends here, and a
	// restart an update needs cancels the returned context.
	ctx, done, err := a.updateStartup(ctx)
	if done {
		return err
	}
	a.ctx = ctx
	a.recoverSpool()
	go a.collectLoop(ctx)
	backoff := time.Second
	for {
		start := time.Now()
		err := a.connectOnce(ctx)
		a.connectionChanged(false)
		a.shells.closeAll("connection to server lost")
		if ctx.Err() != nil {
			return a.updateExit() // nil unless an update needs a restart
		}
		wait := backoff
		var ra *retryAfterError
		switch {
		case errors.As(err, &ra):
			wait = ra.d
		case errors.Is(err, ErrRevoked):
			wait = a.cfg.MaxBackoff
		}
		if time.Since(start) > time.Minute {
			backoff = time.Second // a connection that lived resets the backoff
		} else {
			backoff = min(backoff*2, a.cfg.MaxBackoff)
		}
		// Full jitter spreads a reconnect storm over the whole window.
		wait = wait/2 + time.Duration(rand.Int64N(int64(wait/2)+1))
		a.log.Warn("disconnected from server; retrying", "err", err, "in", wait.Round(time.Millisecond))
		select {
		case <-ctx.Done():
			return a.updateExit()
		case <-time.After(wait):
		}
	}
}

type retryAfterError struct {
	d   time.Duration
	msg string
}

func (e *retryAfterError) Error() string { return e.msg }

// recoverSpool ends runs that were executing when the agent stopped: they
// can not be resumed, and must not dangle.
func (a *Agent) recoverSpool() {
	recs, err := a.spool.Pending()
	if err != nil {
		a.log.Error("read spool", "err", err)
		return
	}
	for _, r := range recs {
		if r.State == spool.Running {
			res := protocol.JobResult{RunID: r.RunID, State: protocol.StateFailed, ExitCode: -1,
				Reason: "agent restarted", Ended: time.Now().UTC()}
			if err := a.spool.Finish(res); err != nil {
				a.log.Error("spool finish", "run", r.RunID, "err", err)
			}
		}
	}
	a.spool.Prune(8 * 24 * time.Hour)
}

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
			protocol.CapPatch, protocol.CapHealth}}
	a.updateHello(&h) // update capability and a waiting update outcome
	h.Hostname, _ = os.Hostname()
	h.BootTime = bootTime()
	return h
}

func (a *Agent) connectOnce(ctx context.Context) error {
	if a.tlsConf == nil {
		conf, err := a.id.TLSConfig(a.serverURL())
		if err != nil {
			return fmt.Errorf("connect: %w", err)
		}
		a.tlsConf = conf
		// Reconnects resume the TLS session: after a server restart,
		// 20,000 agents cost far less than 20,000 full handshakes.
		a.tlsConf.ClientSessionCache = tls.NewLRUClientSessionCache(1)
	}
	d := websocket.Dialer{
		TLSClientConfig:  a.tlsConf,
		HandshakeTimeout: 30 * time.Second,
		ReadBufferSize:   4096,
		WriteBufferSize:  4096,
		Proxy:            http.ProxyFromEnvironment,
		NetDialContext:   a.cfg.Dial,
	}
	ws, resp, err := d.DialContext(ctx, a.wsURL(), nil)
	if err != nil {
		if resp != nil {
			var e struct {
				Error string `json:"error"`
			}
			_ = json.NewDecoder(http.MaxBytesReader(nil, resp.Body, 4096)).Decode(&e)
			resp.Body.Close()
			switch resp.StatusCode {
			case http.StatusUnauthorized, http.StatusForbidden:
				a.log.Error("server refused this device", "status", resp.StatusCode, "error", e.Error)
				return fmt.Errorf("%w (%s)", ErrRevoked, e.Error)
			case http.StatusServiceUnavailable, http.StatusTooManyRequests:
				return &retryAfterError{d: parseRetry(resp.Header.Get("Retry-After")), msg: "server busy"}
			}
		}
		return fmt.Errorf("connect: %w", err)
	}
	defer ws.Close()
	ws.SetReadLimit(protocol.MaxServerFrame)
	if err := ws.WriteMessage(websocket.TextMessage, protocol.MustEncode(protocol.TypeHello, "", a.hello())); err != nil {
		return fmt.Errorf("send hello: %w", err)
	}
	_ = ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	_, b, err := ws.ReadMessage()
	if err != nil {
		return fmt.Errorf("read welcome: %w", err)
	}
	env, err := protocol.Decode(b, protocol.MaxServerFrame)
	if err != nil {
		return fmt.Errorf("read welcome: %w", err)
	}
	if env.Type == protocol.TypeError {
		var e protocol.Error
		_ = protocol.DecodeData(env, &e)
		if e.Code == protocol.CodeUnsupportedVersion {
			a.log.Error("the server does not speak this agent's protocol version; update the agent or the server",
				"agent_protocol", protocol.Version, "server_says", e.Message)
		}
		if e.RetryAfterSeconds > 0 {
			return &retryAfterError{d: time.Duration(e.RetryAfterSeconds) * time.Second, msg: e.Message}
		}
		return fmt.Errorf("server refused connection: %s: %s", e.Code, e.Message)
	}
	var w protocol.Welcome
	if env.Type != protocol.TypeWelcome || protocol.DecodeData(env, &w) != nil {
		return fmt.Errorf("expected welcome, got %q", env.Type)
	}
	if w.HeartbeatSeconds <= 0 {
		w.HeartbeatSeconds = 60
	}
	a.log.Info("connected", "server", a.id.Config.Server, "device", w.DeviceID)
	a.adoptPins(ws, w.Pins)
	a.connectionChanged(true)
	s := newSession(ws)
	a.mu.Lock()
	a.sess, a.welcome = s, w
	a.mu.Unlock()
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
	readWait := hb*5/2 + 10*time.Second
	_ = ws.SetReadDeadline(time.Now().Add(readWait))
	ws.SetPongHandler(func(string) error { return ws.SetReadDeadline(time.Now().Add(readWait)) })
	go a.afterConnect(s, w)
	go a.heartbeatLoop(s, hb)
	for {
		mt, b, err := ws.ReadMessage()
		if err != nil {
			return fmt.Errorf("read: %w", err)
		}
		_ = ws.SetReadDeadline(time.Now().Add(readWait))
		if mt == websocket.BinaryMessage {
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

// resend sends a spooled run's output and, when finished, its result.
func (a *Agent) resend(s *session, r spool.Record) {
	a.mu.Lock()
	act := a.active[r.RunID]
	a.mu.Unlock()
	send := func() {
		for _, stream := range []string{"stdout", "stderr"} {
			b := a.spool.ReadOutput(r.RunID, stream)
			for off := 0; off < len(b); off += protocol.MaxChunk {
				end := min(off+protocol.MaxChunk, len(b))
				s.send(protocol.MustEncode(protocol.TypeJobOutput, "", protocol.JobOutput{RunID: r.RunID, Stream: stream,
					Offset: int64(off), Data: b[off:end]}))
			}
		}
	}
	if act != nil {
		act.out.Locked(send) // no live chunk may interleave with the resend
	} else {
		send()
	}
	if r.State == spool.Done && r.Result != nil {
		s.send(protocol.MustEncode(protocol.TypeJobResult, "", r.Result))
	}
}

func (a *Agent) heartbeatLoop(s *session, every time.Duration) {
	for {
		// ±10 % jitter keeps a fleet's heartbeats from marching in step.
		j := every/10 - time.Duration(rand.Int64N(int64(every/5)+1))
		select {
		case <-s.done:
			return
		case <-time.After(every + j):
		}
		a.mu.Lock()
		a.hbSeq++
		hb := protocol.Heartbeat{Seq: a.hbSeq, PendingReboot: a.health.Reboot.Pending, PatchCount: len(a.health.Patches.Available)}
		for _, p := range a.health.Patches.Available {
			if p.Security {
				hb.SecurityPatches++
			}
		}
		a.mu.Unlock()
		sample := inventory.Sample
		if a.cfg.Live != nil {
			sample = a.cfg.Live
		}
		l := sample(a.ctx)
		hb.CPUPercent, hb.MemPercent, hb.DiskPercent, hb.UptimeSeconds, hb.User = round1(l.CPUPercent),
			round1(l.MemPercent), round1(l.DiskPercent), l.Uptime, l.User
		s.send(protocol.MustEncode(protocol.TypeHeartbeat, "", hb))
		s.ping()
	}
}

func round1(f float64) float64 { return float64(int(f*10+0.5)) / 10 }

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
	case protocol.TypeRefresh:
		var r protocol.Refresh
		_ = protocol.DecodeData(env, &r)
		go a.refresh(s, r.What)
	case protocol.TypeShellOpen, protocol.TypeShellResize, protocol.TypeShellClose:
		a.shells.message(s, env)
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

func (a *Agent) onJob(s *session, j protocol.Job) {
	rec, dup, err := a.spool.Begin(j)
	if err != nil {
		s.send(protocol.MustEncode(protocol.TypeJobAck, "", protocol.JobAck{RunID: j.RunID, Refused: err.Error()}))
		return
	}
	if dup {
		s.send(protocol.MustEncode(protocol.TypeJobAck, "", protocol.JobAck{RunID: j.RunID, Duplicate: true}))
		if rec.Result != nil {
			a.resend(s, rec)
		}
		return
	}
	if !j.Expires.IsZero() && time.Now().After(j.Expires) {
		res := protocol.JobResult{RunID: j.RunID, State: protocol.StateFailed, ExitCode: -1, Reason: "expired before it could start"}
		_ = a.spool.Finish(res)
		s.send(protocol.MustEncode(protocol.TypeJobAck, "", protocol.JobAck{RunID: j.RunID}))
		a.sendResult(res)
		return
	}
	go a.execute(j)
}

// ackDelay is how long a run may take before the agent acknowledges it
// separately; a run that ends sooner is reported by one result message
// carrying its output (protocol 2), which is most of a fleet-wide fan-out.
const ackDelay = 50 * time.Millisecond

func (a *Agent) execute(j protocol.Job) {
	ctx, cancel := context.WithCancel(a.ctx)
	defer cancel()
	if j.Timeout > 0 {
		var c2 context.CancelFunc
		ctx, c2 = context.WithTimeout(ctx, time.Duration(j.Timeout)*time.Second+5*time.Second)
		defer c2()
	}
	out := a.spool.Writer(j.RunID)
	a.mu.Lock()
	a.active[j.RunID] = &activeRun{cancel: cancel, out: out}
	inline := a.welcome.ProtocolVersion >= 2
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		delete(a.active, j.RunID)
		a.mu.Unlock()
	}()
	// Until acked, output is only spooled; held chunks go out with the ack
	// or inline with the result.
	type held struct {
		stream string
		off    int64
		data   []byte
	}
	var pending []held
	acked := !inline
	truncated := false
	sendChunk := func(stream string, off int64, data []byte) {
		a.send(protocol.MustEncode(protocol.TypeJobOutput, "", protocol.JobOutput{RunID: j.RunID, Stream: stream,
			Offset: off, Data: data}))
	}
	ack := func() {
		out.Locked(func() {
			if acked {
				return
			}
			acked = true
			a.send(protocol.MustEncode(protocol.TypeJobAck, "", protocol.JobAck{RunID: j.RunID}))
			for _, h := range pending {
				sendChunk(h.stream, h.off, h.data)
			}
			pending = nil
		})
	}
	if acked {
		a.send(protocol.MustEncode(protocol.TypeJobAck, "", protocol.JobAck{RunID: j.RunID}))
	}
	timer := time.AfterFunc(ackDelay, ack)
	emit := func(stream string, b []byte) {
		out.Append(stream, b, func(off int64, kept []byte, trunc bool) {
			truncated = truncated || trunc
			if len(kept) == 0 {
				return
			}
			if !acked {
				pending = append(pending, held{stream, off, append([]byte(nil), kept...)})
				return
			}
			sendChunk(stream, off, kept)
		})
	}
	started := time.Now().UTC()
	var res protocol.JobResult
	if ex := a.execs[j.Kind]; ex == nil {
		res = protocol.JobResult{State: protocol.StateFailed, ExitCode: -1,
			Reason: fmt.Sprintf("job kind %q is not supported on %s", j.Kind, runtime.GOOS)}
	} else {
		res = ex(ctx, j, emit)
	}
	res.RunID = j.RunID
	if res.Started.IsZero() {
		res.Started = started
	}
	if res.Ended.IsZero() {
		res.Ended = time.Now().UTC()
	}
	res.Truncated = res.Truncated || truncated
	if res.ExitCode == 3010 && runtime.GOOS == "windows" {
		a.mu.Lock()
		a.saw3010 = true
		a.mu.Unlock()
	}
	if err := a.spool.Finish(res); err != nil {
		a.log.Error("spool result", "run", j.RunID, "err", err)
	}
	timer.Stop()
	// Inline the held output when it is small; otherwise ack and stream it.
	out.Locked(func() {
		if acked {
			return
		}
		size := map[string]int{}
		for _, h := range pending {
			size[h.stream] += len(h.data)
		}
		if size["stdout"] > protocol.MaxChunk || size["stderr"] > protocol.MaxChunk {
			return
		}
		for _, h := range pending {
			if h.stream == "stdout" {
				res.Stdout = append(res.Stdout, h.data...)
			} else {
				res.Stderr = append(res.Stderr, h.data...)
			}
		}
		pending, acked = nil, true
	})
	ack() // no-op when inlined
	a.sendResult(res)
}

// sendResult sends a stored result; without a connection it waits in the
// spool for the next one.
func (a *Agent) sendResult(res protocol.JobResult) {
	a.send(protocol.MustEncode(protocol.TypeJobResult, "", res))
}

// waitAck waits until the server acknowledged a result, or d passes.
func (a *Agent) waitAck(runID string, d time.Duration) bool {
	a.mu.Lock()
	ch := make(chan struct{})
	a.acks[runID] = ch
	a.mu.Unlock()
	select {
	case <-ch:
		return true
	case <-time.After(d):
		a.mu.Lock()
		delete(a.acks, runID)
		a.mu.Unlock()
		return false
	}
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

func (a *Agent) refresh(s *session, what string) {
	switch what {
	case "inventory", "":
		inv := a.collectInventory(a.ctx)
		s.send(protocol.MustEncode(protocol.TypeInventory, "", inv))
		if what != "" {
			return
		}
		fallthrough
	case "health", "patches":
		a.collectHealth(a.ctx, what == "patches", true)
	}
}

func (a *Agent) collectInventory(ctx context.Context) protocol.Inventory {
	if a.cfg.Inventory != nil {
		return a.cfg.Inventory(ctx)
	}
	return inventory.Collect(ctx)
}

// cacheRefreshEvery is how often a scheduled patch scan first refreshes
// the package manager's cache.
const cacheRefreshEvery = 24 * time.Hour

// collectLoop refreshes inventory and health on the server's intervals.
// Between collections the agent sleeps: nothing wakes it but its timers
// and the connection.
func (a *Agent) collectLoop(ctx context.Context) {
	if !a.cfg.SkipInitialHealth {
		a.collectHealth(ctx, true, false)
	}
	lastPatch, lastRefresh := time.Now(), time.Time{}
	for {
		a.mu.Lock()
		w := a.welcome
		a.mu.Unlock()
		every := time.Duration(w.HealthSeconds) * time.Second
		if every <= 0 {
			every = 15 * time.Minute
		}
		patchEvery := time.Duration(w.PatchScanSeconds) * time.Second
		if patchEvery <= 0 {
			patchEvery = 4 * time.Hour
		}
		jit := time.Duration(rand.Int64N(int64(every/10) + 1))
		select {
		case <-ctx.Done():
			return
		case <-time.After(every + jit):
		}
		scan := time.Since(lastPatch) > patchEvery
		if scan {
			lastPatch = time.Now()
		}
		if scan && a.cfg.Health == nil && time.Since(lastRefresh) > cacheRefreshEvery {
			// Once a day a scheduled scan also refreshes the package
			// manager's cache (apt-get update, ...), so "no patches" does
			// not just mean "stale lists".
			lastRefresh = time.Now()
			st := health.Patches(ctx, a.healthEnvironment(), true)
			a.mu.Lock()
			a.health.Patches = st
			a.mu.Unlock()
			scan = false
		}
		a.collectHealth(ctx, scan, false)
		inv := a.collectInventory(ctx)
		if h := inventory.Hash(inv); h != a.invHash {
			a.mu.Lock()
			a.invHash = h
			a.mu.Unlock()
			a.send(protocol.MustEncode(protocol.TypeInventory, "", inv))
		}
	}
}

// collectHealth gathers a health report and sends it when it changed (or
// always when force). Patch scans are slow and run only when asked.
func (a *Agent) collectHealth(ctx context.Context, scanPatches, force bool) {
	var h protocol.Health
	if a.cfg.Health != nil {
		h = a.cfg.Health(ctx)
	} else {
		a.mu.Lock()
		prev := a.health.Patches
		saw := a.saw3010
		a.mu.Unlock()
		h = health.Collect(ctx, a.healthEnvironment(), scanPatches, prev, saw)
	}
	hash := protocol.ContentHash(h)
	a.mu.Lock()
	changed := hash != a.hHash
	a.health, a.hHash = h, hash
	a.mu.Unlock()
	if changed || force {
		a.send(protocol.MustEncode(protocol.TypeHealth, "", h))
	}
}

func (a *Agent) connectionChanged(up bool) {
	if a.cfg.OnConnection != nil {
		server := a.cfg.Server
		if server == "" {
			server = a.id.Config.Server
		}
		a.cfg.OnConnection(up, server)
	}
}
