package agent

// Self-update glue: how the agent drives agent/update. The hooks in
// agent.go are one line each: updateStartup and updateExit in Run,
// onUpdateOffer in handle, updateConnected in afterConnect, and the update
// capability in hello.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/steward-rmm/steward/agent/update"
	"github.com/steward-rmm/steward/protocol"
)

// idleWait bounds how long an update waits for running jobs to finish
// before it gives up (and is offered again on the next connection).
const idleWait = 15 * time.Minute

// selfUpdate is the agent's update state; nil on Agent when disabled.
type selfUpdate struct {
	u       *update.Updater
	exe     string
	mu      sync.Mutex
	pending *update.Pending
	cancel  context.CancelFunc // ends Run for a restart
	exitErr error
	hello   *protocol.UpdateResult // the outcome the last hello carried
}

// initUpdate enables self-update when the identity pins a release key.
// The binary to replace is Config.UpdateExe, or this executable.
func (a *Agent) initUpdate() {
	if a.id.Config.UpdateKey == "" {
		return
	}
	key, err := update.ParseKey(a.id.Config.UpdateKey)
	if err != nil {
		a.log.Warn("self-update disabled: bad update_key in the identity", "err", err)
		return
	}
	exe := a.cfg.UpdateExe
	if exe == "" {
		if exe, err = os.Executable(); err == nil {
			exe, err = filepath.EvalSymlinks(exe)
		}
		if err != nil {
			a.log.Warn("self-update disabled: cannot find the agent binary", "err", err)
			return
		}
	}
	if exe, err = filepath.Abs(exe); err != nil {
		a.log.Warn("self-update disabled", "err", err)
		return
	}
	server := a.serverURL()
	// The download uses the same pins and client certificate as the
	// websocket: the server must prove it is ours, the agent who it is.
	tlsConf, err := a.id.TLSConfig(server)
	if err != nil {
		a.log.Warn("self-update disabled", "err", err)
		return
	}
	hc := &http.Client{Timeout: 30 * time.Minute, Transport: &http.Transport{
		TLSClientConfig: tlsConf,
		Proxy:           http.ProxyFromEnvironment,
		DialContext:     a.cfg.Dial,
	}}
	a.upd = &selfUpdate{exe: exe, u: &update.Updater{Key: key, Dir: a.cfg.Dir, Exe: exe, Version: a.cfg.Version,
		Server: server, HTTP: hc, Args: os.Args[1:], RebootPending: a.rebootPending, Idle: a.waitIdle, Log: a.log}}
}

// updateStartup runs before anything else in Run. done means Run must
// return err at once: this process was a trial start of a new binary, or
// it rolled back an update and must exit for the previous version.
func (a *Agent) updateStartup(ctx context.Context) (_ context.Context, done bool, _ error) {
	if ok, err := update.HandleTrial(a.cfg.Version); ok {
		return ctx, true, err
	}
	if a.upd == nil {
		return ctx, false, nil
	}
	p, err := update.Startup(a.cfg.Dir, a.upd.exe, a.cfg.Version, a.log)
	if errors.Is(err, update.ErrRestart) {
		return ctx, true, err
	} else if err != nil {
		a.log.Error("self-update state", "err", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	a.upd.mu.Lock()
	a.upd.cancel, a.upd.pending = cancel, p
	a.upd.mu.Unlock()
	if p != nil {
		go a.updateWatchdog(ctx, p)
	}
	return ctx, false, nil
}

// updateWatchdog rolls a new version back when it has not reached the
// server by its deadline.
func (a *Agent) updateWatchdog(ctx context.Context, p *update.Pending) {
	t := time.NewTimer(time.Until(p.Deadline()))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return
	case <-p.Done():
		return
	case <-t.C:
	}
	err := p.Rollback(fmt.Sprintf("version %s did not reach the server by %s", p.Version(), p.Deadline().Format(time.RFC3339)))
	if errors.Is(err, update.ErrRestart) {
		a.requestRestart()
	} else if err != nil {
		a.log.Error("self-update rollback", "err", err)
	}
}

// requestRestart ends Run with update.ErrRestart.
func (a *Agent) requestRestart() {
	a.upd.mu.Lock()
	a.upd.exitErr = update.ErrRestart
	cancel := a.upd.cancel
	a.upd.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// updateExit is what Run returns once its context ended: update.ErrRestart
// when an update needs the process to exit, else nil.
func (a *Agent) updateExit() error {
	if a.upd == nil {
		return nil
	}
	a.upd.mu.Lock()
	defer a.upd.mu.Unlock()
	return a.upd.exitErr
}

// updateHello puts a waiting update outcome into hello, so the server
// knows it before deciding whether to offer an update again.
func (a *Agent) updateHello(h *protocol.Hello) {
	if a.upd == nil {
		return
	}
	h.Capabilities = append(h.Capabilities, protocol.CapUpdate)
	r, err := update.PeekReport(a.cfg.Dir)
	if err != nil {
		a.log.Warn("read update report", "err", err)
	}
	h.UpdateResult = r
	a.upd.mu.Lock()
	a.upd.hello = r
	a.upd.mu.Unlock()
}

// updateConnected runs once the server welcomed this connection: the
// outcome hello carried is delivered, and a new version on trial is now
// confirmed and says so.
func (a *Agent) updateConnected(s *session) {
	if a.upd == nil {
		return
	}
	a.upd.mu.Lock()
	p, sent := a.upd.pending, a.upd.hello
	a.upd.pending, a.upd.hello = nil, nil
	a.upd.mu.Unlock()
	if sent != nil {
		if err := update.ClearReport(a.cfg.Dir, *sent); err != nil {
			a.log.Warn("clear update report", "err", err)
		}
	}
	if p == nil {
		return
	}
	if err := p.Confirm(); err != nil {
		a.log.Error("confirm agent update", "err", err)
		return
	}
	if r, err := update.TakeReport(a.cfg.Dir); err == nil && r != nil {
		s.send(protocol.MustEncode(protocol.TypeUpdateResult, "", r))
	}
}

// onUpdateOffer starts an offered update without blocking the read loop.
func (a *Agent) onUpdateOffer(s *session, env protocol.Envelope) {
	var o protocol.UpdateOffer
	if err := protocol.DecodeData(env, &o); err != nil {
		a.log.Warn("bad update offer", "err", err)
		return
	}
	if a.upd == nil {
		r := update.Result(a.cfg.Version, o, fmt.Errorf("%w: self-update is not enabled on this device", update.ErrRefused), time.Now())
		s.send(protocol.MustEncode(protocol.TypeUpdateResult, "", r))
		return
	}
	go func() {
		err := a.upd.u.Apply(a.ctx, o)
		if errors.Is(err, update.ErrRestart) {
			a.requestRestart()
			return
		}
		a.log.Warn("agent update not applied", "version", o.Version, "err", err)
		a.send(protocol.MustEncode(protocol.TypeUpdateResult, "", update.Result(a.cfg.Version, o, err, time.Now())))
	}()
}

// rebootPending defers updates while Windows waits for a reboot (pending
// file renames would run over the swap). An offer can arrive before the
// first health report is collected; then it waits for that report, bounded,
// rather than guess.
func (a *Agent) rebootPending() bool {
	if runtime.GOOS != "windows" {
		return false
	}
	deadline := time.Now().Add(idleWait)
	for {
		a.mu.Lock()
		known, pending := a.hHash != "", a.health.Reboot.Pending
		a.mu.Unlock()
		if known {
			return pending
		}
		if time.Now().After(deadline) {
			return true
		}
		select {
		case <-a.ctx.Done():
			return true
		case <-time.After(time.Second):
		}
	}
}

// waitIdle lets running jobs finish before the agent restarts.
func (a *Agent) waitIdle(ctx context.Context) error {
	deadline := time.Now().Add(idleWait)
	for {
		a.mu.Lock()
		n := len(a.active)
		a.mu.Unlock()
		if n == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d jobs still running after %s", n, idleWait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}
