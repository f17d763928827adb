// Package shell is the wing for interactive shells: the technician's
// terminal websocket relayed to a PTY on the agent with per-session flow
// control, the one-time tickets that open it, the asciicast recordings of
// each session and their retention, and the recordings' routes.
package shell

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/hub"
	"github.com/steward-rmm/steward/server/store"
)

// Wing joins technicians' terminal websockets to terminal sessions on
// agents. Each session is multiplexed over the agent's one connection by
// its id, with a credit window in each direction: the agent sends output
// only while the relay has granted credit, and the relay grants it back
// only once the technician's socket took the bytes. A flooding shell thus
// holds at most one window of memory here and never delays the agent's
// heartbeats, which travel on the same connection between data frames.
type Wing struct {
	d   Deps
	cfg Config
	// mu guards byID. Lock order: a leaf; session ends, sends and
	// technician writes happen after it is released.
	mu   sync.Mutex
	byID map[uint32]*shellSession
	// tasks are the sessions' goroutines besides their handler (output
	// writer, delayed close, failures from the agent's reader); the
	// server waits for them before it closes the store.
	tasks  sync.WaitGroup
	nextID atomic.Uint32
	// tickets are the one-time credentials of shell websockets.
	tickets *shellTickets
}

type shellSession struct {
	id       uint32
	rec      shellRecord
	conn     *hub.Conn
	tech     *websocket.Conn
	out      chan []byte   // agent output waiting for the technician
	queued   atomic.Int64  // bytes in out: bounded by the credit window
	opened   chan string   // the agent's answer to shell_open ("" = ok)
	inCredit atomic.Int64  // input bytes the agent still accepts
	inMore   chan struct{} // signalled when input credit arrives
	done     chan struct{}
	once     sync.Once
	cast     *castWriter
	bytesIn  atomic.Int64
	bytesOut atomic.Int64
	exitCode int
	reason   string
	user     string
	remote   string // the technician's address, for the audit log
	relay    *Wing
	techMu   sync.Mutex // serialises writes to the technician; lock order: a leaf
}

// shellRecord is the stored metadata of a session and its recording (the
// store's record, also the REST body of the recordings list).
type shellRecord = store.ShellSession

// New builds the shell wing.
func New(d Deps) *Wing {
	return &Wing{d: d, cfg: d.Config, byID: map[uint32]*shellSession{}, tickets: newShellTickets()}
}

var techUpgrader = websocket.Upgrader{
	ReadBufferSize:  4096,
	WriteBufferSize: 32 << 10,
	CheckOrigin:     httpx.SameOrigin,
}

func (sr *Wing) open(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	if !httpx.SameOrigin(r) {
		httpx.WriteError(w, http.StatusForbidden, "origin not allowed")
		return
	}
	v, ok := sr.d.Devices.Device(p, r.PathValue("id"))
	if !ok {
		httpx.WriteError(w, 404, "device not found")
		return
	}
	if v.Retired {
		httpx.WriteError(w, http.StatusConflict, "device is retired; restore it before opening a shell")
		return
	}
	if sr.d.Fleet.Pending(v.ID) {
		httpx.WriteError(w, http.StatusConflict, "device is pending approval; approve it before opening a shell")
		return
	}
	// The cookie or bearer token got the caller this far; the websocket
	// itself needs a ticket that this credential minted for this device.
	if !sr.tickets.redeem(r.URL.Query().Get("ticket"), p, v.ID, sr.d.Now()) {
		httpx.WriteError(w, http.StatusForbidden, "a valid shell ticket is required (POST /api/v1/devices/{id}/shell/ticket)")
		return
	}
	c := sr.d.Conns.Get(v.ID)
	if c == nil {
		httpx.WriteError(w, http.StatusConflict, "device is offline")
		return
	}
	q := r.URL.Query()
	cols, _ := strconv.Atoi(q.Get("cols"))
	rows, _ := strconv.Atoi(q.Get("rows"))
	if cols <= 0 || cols > 1000 {
		cols = 80
	}
	if rows <= 0 || rows > 1000 {
		rows = 24
	}
	shellName := q.Get("shell")
	if len(shellName) > 256 {
		httpx.WriteError(w, 400, "shell name too long")
		return
	}
	if err := sr.admit(v.ID, p.Name); err != nil {
		httpx.WriteError(w, http.StatusTooManyRequests, err.Error())
		return
	}
	ws, err := techUpgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	ss := &shellSession{id: sr.nextID.Add(1), conn: c, tech: ws, out: make(chan []byte, 4096), opened: make(chan string, 1),
		inMore: make(chan struct{}, 1), done: make(chan struct{}), user: p.Name, remote: p.Remote, relay: sr, exitCode: -1,
		rec: shellRecord{ID: httpx.NewID("sh"), DeviceID: v.ID, ClientID: v.Client, User: p.Name, Shell: shellName, Started: sr.d.Now().UTC(),
			InputRecorded: sr.cfg.RecordShellInput}}
	if cw, err := newCastWriter(sr.recordingsDir(), ss.rec.ID, cols, rows, v.Hostname, sr.cfg.RecordShellInput); err == nil {
		ss.cast, ss.rec.Recording = cw, ss.rec.ID+".cast"
	} else {
		sr.d.Log.Error("shell recording", "err", err)
	}
	sr.mu.Lock()
	sr.byID[ss.id] = ss
	sr.mu.Unlock()
	defer sr.d.OpConns.Add(p, func() { ss.fail("signed out") })()
	sr.d.Audit.AuditP(p, "shell.open", v.ID, map[string]string{"session": ss.rec.ID, "shell": shellName})
	if !c.Send(protocol.MustEncode(protocol.TypeShellOpen, "", protocol.ShellOpen{Session: ss.id, Shell: shellName,
		Cols: uint16(cols), Rows: uint16(rows)})) {
		ss.end(-1, "device went offline")
		return
	}
	select {
	case msg := <-ss.opened:
		if msg != "" {
			ss.fail("the device could not start a shell: " + msg)
			return
		}
	case <-ss.done:
		return
	case <-time.After(20 * time.Second):
		ss.fail("the device did not answer")
		return
	}
	// The agent starts with one window of output credit.
	sr.spawn(ss.writeLoop)
	ss.readLoop()
}

func (sr *Wing) admit(deviceID, user string) error {
	sr.mu.Lock()
	defer sr.mu.Unlock()
	nd, nu := 0, 0
	for _, ss := range sr.byID {
		if ss.rec.DeviceID == deviceID {
			nd++
		}
		if ss.user == user {
			nu++
		}
	}
	if nd >= sr.cfg.MaxShellsPerDevice {
		return fmt.Errorf("this device already has %d open shell sessions", nd)
	}
	if nu >= sr.cfg.MaxShellsPerUser {
		return fmt.Errorf("you already have %d open shell sessions", nu)
	}
	return nil
}

type techControl = api.ShellControl

func (ss *shellSession) control(v techControl) {
	ss.techMu.Lock()
	defer ss.techMu.Unlock()
	_ = ss.tech.SetWriteDeadline(time.Now().Add(5 * time.Second))
	b, _ := json.Marshal(v)
	_ = ss.tech.WriteMessage(websocket.TextMessage, b)
}

// fail tells the technician why and ends the session.
func (ss *shellSession) fail(msg string) {
	ss.control(techControl{Type: "error", Message: msg})
	ss.end(-1, msg)
}

// readLoop forwards the technician's keystrokes and resizes to the agent.
func (ss *shellSession) readLoop() {
	ss.tech.SetReadLimit(64 << 10)
	ss.inCredit.Store(protocol.ShellWindow)
	for {
		mt, b, err := ss.tech.ReadMessage()
		if err != nil {
			ss.end(-1, "technician closed the session")
			return
		}
		if mt == websocket.TextMessage {
			var c techControl
			if json.Unmarshal(b, &c) == nil && c.Type == "resize" && c.Cols > 0 && c.Rows > 0 && c.Cols <= 1000 && c.Rows <= 1000 {
				ss.conn.Send(protocol.MustEncode(protocol.TypeShellResize, "", protocol.ShellResize{Session: ss.id,
					Cols: uint16(c.Cols), Rows: uint16(c.Rows)}))
				ss.cast.resize(c.Cols, c.Rows)
			}
			continue
		}
		for len(b) > 0 {
			// Input needs credit too, so a pasted flood cannot overflow the
			// agent's connection.
			for ss.inCredit.Load() <= 0 {
				select {
				case <-ss.inMore:
				case <-ss.done:
					return
				}
			}
			n := int(min(int64(len(b)), ss.inCredit.Load(), protocol.MaxShellData))
			if !ss.conn.SendBinary(protocol.AppendFrame(nil, protocol.FrameShellData, ss.id, b[:n])) {
				ss.end(-1, "device went offline")
				return
			}
			ss.cast.keys(b[:n])
			ss.bytesIn.Add(int64(n))
			ss.inCredit.Add(-int64(n))
			b = b[n:]
		}
	}
}

// writeLoop delivers agent output to the technician, granting credit back
// as chunks are taken: in quarter windows, or at once when nothing else is
// queued, so credit frames never crowd the agent's outbox.
func (ss *shellSession) writeLoop() {
	var owed uint32
	for {
		select {
		case <-ss.done:
			return
		case b := <-ss.out:
			ss.queued.Add(-int64(len(b)))
			ss.techMu.Lock()
			_ = ss.tech.SetWriteDeadline(time.Now().Add(30 * time.Second))
			err := ss.tech.WriteMessage(websocket.BinaryMessage, b)
			ss.techMu.Unlock()
			if err != nil {
				ss.end(-1, "technician connection lost")
				return
			}
			ss.cast.output(b)
			owed += uint32(len(b))
			if owed >= protocol.ShellWindow/4 || len(ss.out) == 0 {
				ss.conn.SendBinary(protocol.CreditFrame(ss.id, owed))
				owed = 0
			}
		}
	}
}

// end closes the session once: tells the agent, records and audits it.
func (ss *shellSession) end(code int, reason string) {
	ss.once.Do(func() {
		ss.exitCode, ss.reason = code, reason
		close(ss.done)
		sr := ss.relay
		sr.mu.Lock()
		delete(sr.byID, ss.id)
		sr.mu.Unlock()
		ss.conn.Send(protocol.MustEncode(protocol.TypeShellClose, "", protocol.ShellClose{Session: ss.id, Reason: reason}))
		ss.control(techControl{Type: "exit", Code: code, Reason: reason})
		ss.techMu.Lock()
		_ = ss.tech.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""),
			time.Now().Add(time.Second))
		ss.techMu.Unlock()
		ss.tech.Close()
		ss.cast.close()
		ss.rec.Ended, ss.rec.BytesIn, ss.rec.BytesOut = sr.d.Now().UTC(), ss.bytesIn.Load(), ss.bytesOut.Load()
		ss.rec.ExitCode, ss.rec.Reason = code, reason
		if err := sr.d.Store.PutShellSession(ss.rec); err != nil {
			sr.d.Log.Error("store shell session", "err", err)
		}
		sr.d.Audit.Append(store.AuditEvent{At: sr.d.Now().UTC(), Actor: ss.user, Action: "shell.close", Target: ss.rec.DeviceID,
			Client: ss.rec.ClientID, Source: ss.remote,
			Detail: map[string]string{"session": ss.rec.ID, "bytes_in": strconv.FormatInt(ss.rec.BytesIn, 10),
				"bytes_out": strconv.FormatInt(ss.rec.BytesOut, 10), "exit_code": strconv.Itoa(code), "reason": reason,
				"duration": ss.rec.Ended.Sub(ss.rec.Started).Round(time.Millisecond).String()}})
	})
}

func (sr *Wing) get(c *hub.Conn, id uint32) *shellSession {
	sr.mu.Lock()
	defer sr.mu.Unlock()
	ss := sr.byID[id]
	if ss == nil || ss.conn != c {
		return nil // a session id of another device: ignore
	}
	return ss
}

func (sr *Wing) AgentMessage(c *hub.Conn, env protocol.Envelope) error {
	switch env.Type {
	case protocol.TypeShellOpened:
		var m protocol.ShellOpened
		if err := protocol.DecodeData(env, &m); err != nil {
			return err
		}
		if ss := sr.get(c, m.Session); ss != nil {
			select {
			case ss.opened <- httpx.CleanText(m.Error, 512):
			default:
			}
		}
	case protocol.TypeShellClose:
		var m protocol.ShellClose
		if err := protocol.DecodeData(env, &m); err != nil {
			return err
		}
		if ss := sr.get(c, m.Session); ss != nil {
			// Let queued output reach the technician before the exit.
			sr.spawn(func() {
				deadline := time.After(5 * time.Second)
				for len(ss.out) > 0 {
					select {
					case <-deadline:
						ss.end(m.ExitCode, "shell exited")
						return
					case <-ss.done:
						return
					case <-time.After(10 * time.Millisecond):
					}
				}
				reason := "shell exited"
				if m.Reason != "" {
					reason = httpx.CleanText(m.Reason, 256)
				}
				ss.end(m.ExitCode, reason)
			})
		}
	}
	return nil
}

// AgentBinary takes shell frames from the agent's reader goroutine. It
// never blocks: output beyond the granted window closes the session.
func (sr *Wing) AgentBinary(c *hub.Conn, frame []byte) {
	kind, id, payload, err := protocol.ParseFrame(frame)
	if err != nil {
		return
	}
	ss := sr.get(c, id)
	if ss == nil {
		return
	}
	switch kind {
	case protocol.FrameShellData:
		ss.bytesOut.Add(int64(len(payload)))
		// The window bounds bytes, not frames: a PTY under load hands out
		// many small reads.
		if ss.queued.Add(int64(len(payload))) > 2*protocol.ShellWindow {
			sr.spawn(func() { ss.fail("the device sent more than its flow-control window") })
			return
		}
		select {
		case ss.out <- append([]byte(nil), payload...):
		default:
			sr.spawn(func() { ss.fail("the device sent more than its flow-control window") })
		}
	case protocol.FrameShellCredit:
		ss.inCredit.Add(int64(protocol.Credit(payload)))
		select {
		case ss.inMore <- struct{}{}:
		default:
		}
	}
}

// DeviceGone ends the device's sessions with a clear message.
func (sr *Wing) DeviceGone(c *hub.Conn, reason string) {
	sr.mu.Lock()
	var gone []*shellSession
	for _, ss := range sr.byID {
		if ss.conn == c {
			gone = append(gone, ss)
		}
	}
	sr.mu.Unlock()
	for _, ss := range gone {
		sr.spawn(func() { ss.fail("the device went offline (" + reason + "); session ended") })
	}
}

func (sr *Wing) CloseAll(reason string) {
	sr.mu.Lock()
	all := make([]*shellSession, 0, len(sr.byID))
	for _, ss := range sr.byID {
		all = append(all, ss)
	}
	sr.mu.Unlock()
	for _, ss := range all {
		ss.fail(reason)
	}
}

// spawn runs fn as one of the relay's tasks. It is called only from HTTP
// handlers and the agents' readers, which the server waits for before it
// waits for the tasks.
func (sr *Wing) spawn(fn func()) {
	sr.tasks.Add(1)
	go func() {
		defer sr.tasks.Done()
		fn()
	}()
}

// CloseForClient ends the open shells of a client's devices with reason
// (a customer revoked the grant they ran under) and returns how many.
func (sr *Wing) CloseForClient(clientID, reason string) int {
	sr.mu.Lock()
	var gone []*shellSession
	for _, ss := range sr.byID {
		if ss.rec.ClientID == clientID {
			gone = append(gone, ss)
		}
	}
	sr.mu.Unlock()
	for _, ss := range gone {
		ss.fail(reason)
	}
	return len(gone)
}
