package agent

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/steward-rmm/steward/agent/shell"
	"github.com/steward-rmm/steward/protocol"
)

// MaxShells is how many terminal sessions one agent hosts at once.
const MaxShells = 8

// shellHost runs the terminal sessions the server opens. Output is sent
// only while the server has granted credit, so a flooding shell waits here
// (in the PTY's buffer) instead of filling the connection.
type shellHost struct {
	a  *Agent
	mu sync.Mutex
	m  map[uint32]*hostedShell
}

type hostedShell struct {
	id     uint32
	t      shell.Session
	sess   *session
	credit atomic.Int64  // output bytes the relay still accepts
	more   chan struct{} // signalled when credit arrives
	input  chan []byte
	done   chan struct{}
	once   sync.Once
}

func newShellHost(a *Agent) *shellHost { return &shellHost{a: a, m: map[uint32]*hostedShell{}} }

// IdleShellTimeout ends a terminal nobody typed in or read from.
var IdleShellTimeout = 30 * time.Minute

func (h *shellHost) message(s *session, env protocol.Envelope) {
	switch env.Type {
	case protocol.TypeShellOpen:
		var m protocol.ShellOpen
		if protocol.DecodeData(env, &m) != nil {
			return
		}
		h.open(s, m)
	case protocol.TypeShellResize:
		var m protocol.ShellResize
		if protocol.DecodeData(env, &m) == nil {
			if hs := h.get(m.Session); hs != nil {
				_ = hs.t.Resize(m.Cols, m.Rows)
			}
		}
	case protocol.TypeShellClose:
		var m protocol.ShellClose
		if protocol.DecodeData(env, &m) == nil {
			if hs := h.get(m.Session); hs != nil {
				hs.close()
			}
		}
	}
}

func (h *shellHost) get(id uint32) *hostedShell {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.m[id]
}

func (h *shellHost) open(s *session, m protocol.ShellOpen) {
	reply := func(err string) {
		s.send(protocol.MustEncode(protocol.TypeShellOpened, "", protocol.ShellOpened{Session: m.Session, Error: err}))
	}
	h.mu.Lock()
	n := len(h.m)
	_, dup := h.m[m.Session]
	h.mu.Unlock()
	if n >= MaxShells || dup {
		reply("too many terminal sessions on this device")
		return
	}
	t, err := shell.Start(h.a.ctx, shell.Options{Shell: m.Shell, Cols: m.Cols, Rows: m.Rows, IdleTimeout: IdleShellTimeout}, h.a.log)
	if err != nil {
		reply(err.Error())
		return
	}
	hs := &hostedShell{id: m.Session, t: t, sess: s, more: make(chan struct{}, 1), input: make(chan []byte, 1024),
		done: make(chan struct{})}
	h.mu.Lock()
	h.m[m.Session] = hs
	h.mu.Unlock()
	reply("")
	h.a.log.Info("terminal session opened", "session", m.Session)
	go h.pump(hs)
	go hs.typeLoop()
}

// typeLoop writes keystrokes to the terminal and returns their credit, off
// the connection's reader so a shell that stops reading input cannot stall
// the connection.
func (hs *hostedShell) typeLoop() {
	for {
		select {
		case <-hs.done:
			return
		case b := <-hs.input:
			if _, err := hs.t.Write(b); err != nil {
				hs.close()
				return
			}
			hs.sess.sendBinary(protocol.CreditFrame(hs.id, uint32(len(b))))
		}
	}
}

// pump sends terminal output within the credit window, then the exit.
func (h *shellHost) pump(hs *hostedShell) {
	hs.credit.Store(protocol.ShellWindow)
	buf := make([]byte, protocol.MaxShellData)
	for {
		for hs.credit.Load() <= 0 {
			select {
			case <-hs.more:
			case <-hs.done:
				h.finish(hs)
				return
			}
		}
		n, err := hs.t.Read(buf[:min(int64(len(buf)), hs.credit.Load())])
		if n > 0 {
			hs.credit.Add(-int64(n))
			if !hs.sess.sendBinary(protocol.AppendFrame(nil, protocol.FrameShellData, hs.id, buf[:n])) {
				hs.close()
			}
		}
		if err != nil {
			h.finish(hs)
			return
		}
	}
}

func (h *shellHost) finish(hs *hostedShell) {
	type exit struct {
		code int
		err  error
	}
	ch := make(chan exit, 1)
	go func() { c, err := hs.t.Wait(); ch <- exit{c, err} }()
	var x exit
	select {
	case x = <-ch: // the shell ended by itself
	case <-time.After(2 * time.Second):
		hs.close()
		x = <-ch
	}
	hs.close()
	code, werr := x.code, x.err
	h.mu.Lock()
	delete(h.m, hs.id)
	h.mu.Unlock()
	reason := ""
	if werr != nil {
		reason = werr.Error()
	}
	hs.sess.send(protocol.MustEncode(protocol.TypeShellClose, "", protocol.ShellClose{Session: hs.id, ExitCode: code, Reason: reason}))
	h.a.log.Info("terminal session ended", "session", hs.id, "exit_code", code)
}

func (hs *hostedShell) close() {
	hs.once.Do(func() {
		close(hs.done)
		_ = hs.t.Close()
	})
}

func (h *shellHost) binary(s *session, b []byte) {
	kind, id, payload, err := protocol.ParseFrame(b)
	if err != nil {
		return
	}
	hs := h.get(id)
	if hs == nil {
		return
	}
	switch kind {
	case protocol.FrameShellData:
		select {
		case hs.input <- append([]byte(nil), payload...):
		default:
			hs.close() // the relay ignored its credit window
		}
	case protocol.FrameShellCredit:
		// Credit adds up; it is never dropped, or the window would shrink.
		if hs.credit.Add(int64(protocol.Credit(payload))) > 4*protocol.ShellWindow {
			hs.close() // a relay granting far more than it ever lent is broken
			return
		}
		select {
		case hs.more <- struct{}{}:
		default:
		}
	}
}

// closeAll ends every session (connection lost): their shells die with it.
func (h *shellHost) closeAll(reason string) {
	h.mu.Lock()
	all := make([]*hostedShell, 0, len(h.m))
	for _, hs := range h.m {
		all = append(all, hs)
	}
	h.mu.Unlock()
	for _, hs := range all {
		hs.close()
	}
}
