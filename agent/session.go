package agent

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// session is one connection to the server with its writer goroutine.
// Senders block while the outbox is full (backpressure on job output) but
// never past the connection's end.
type session struct {
	ws   *websocket.Conn
	out  chan outFrame
	done chan struct{}
	once sync.Once
	// heard is when the server was last heard from (a message or a
	// pong), in unix nanoseconds: the heartbeat pings only after a
	// silence.
	heard atomic.Int64
}

type outFrame struct {
	b      []byte
	binary bool
	ping   bool
}

func newSession(ws *websocket.Conn) *session {
	s := &session{ws: ws, out: make(chan outFrame, 64), done: make(chan struct{})}
	s.heardNow()
	return s
}

// heardNow records that the server was just heard from.
func (s *session) heardNow() { s.heard.Store(time.Now().UnixNano()) }

// silence is how long the server has not been heard from.
func (s *session) silence() time.Duration {
	return time.Duration(time.Now().UnixNano() - s.heard.Load())
}

func (s *session) close() {
	s.once.Do(func() {
		close(s.done)
		s.ws.Close()
	})
}

func (s *session) enqueue(f outFrame) bool {
	select {
	case s.out <- f:
		return true
	case <-s.done:
		return false
	}
}

func (s *session) send(b []byte) bool       { return s.enqueue(outFrame{b: b}) }
func (s *session) sendBinary(b []byte) bool { return s.enqueue(outFrame{b: b, binary: true}) }
func (s *session) ping() bool               { return s.enqueue(outFrame{ping: true}) }

func (s *session) writeLoop() {
	for {
		select {
		case <-s.done:
			return
		case f := <-s.out:
			var err error
			_ = s.ws.SetWriteDeadline(time.Now().Add(30 * time.Second))
			switch {
			case f.ping:
				err = s.ws.WriteMessage(websocket.PingMessage, nil)
			case f.binary:
				err = s.ws.WriteMessage(websocket.BinaryMessage, f.b)
			default:
				err = s.ws.WriteMessage(websocket.TextMessage, f.b)
			}
			if err != nil {
				s.close()
				return
			}
		}
	}
}
