package server

import (
	"context"
	"crypto/tls"
	"net"
	"strconv"
	"sync"
	"time"
)

// handshakeListener completes TLS handshakes before handing connections to
// the HTTP server, at most limit at a time. During a reconnect storm this
// keeps thousands of simultaneous handshakes from starving the process of
// CPU; the rest wait in the kernel backlog or here, and agents back off.
type handshakeListener struct {
	net.Listener
	cfg    *tls.Config
	sem    chan struct{}
	queue  time.Duration // how long a connection may wait for a slot
	ready  chan net.Conn
	closed chan struct{}
	once   sync.Once
	m      *metrics
	wg     sync.WaitGroup  // the accept loop and the handshakes
	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
}

// newHandshakeLimiter wraps ln; sem bounds concurrent handshakes and may
// be shared by several listeners. Nothing runs until start.
func newHandshakeLimiter(ln net.Listener, cfg *tls.Config, sem chan struct{}, queue time.Duration, m *metrics) *handshakeListener {
	ctx, cancel := context.WithCancel(context.Background())
	return &handshakeListener{Listener: ln, cfg: cfg, sem: sem, queue: queue,
		ready: make(chan net.Conn), closed: make(chan struct{}), m: m, ctx: ctx, cancel: cancel}
}

// start begins accepting; wait, after Close, waits for what it started.
func (l *handshakeListener) start() {
	l.wg.Add(1)
	go l.acceptLoop()
}

// wait returns once the accept loop and every handshake have ended
// (call after Close).
func (l *handshakeListener) wait() { l.wg.Wait() }

func (l *handshakeListener) acceptLoop() {
	defer l.wg.Done()
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			select {
			case <-l.closed:
				return
			default:
			}
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			// Out of file descriptors and similar: wait a little, keep going.
			time.Sleep(50 * time.Millisecond)
			continue
		}
		// Added by the accept loop while it runs, so before wait returns.
		l.wg.Add(1)
		go l.handshake(c)
	}
}

// defaultQueueWait is how long a connection may wait for a handshake slot. Past
// it the client has likely given up (an agent allows a handshake 30 s);
// dropping it spends no CPU on a handshake nobody will use. Dropping
// sooner cost more than it saved: in a reconnect storm each dropped agent
// backed off further and lost its TLS session to the failed attempt, so
// its next try was a full handshake (a 3,000-agent storm had 2,037 drops
// and 1,750 full handshakes with 5 s).
const defaultQueueWait = 20 * time.Second

func (l *handshakeListener) handshake(c net.Conn) {
	defer l.wg.Done()
	t := time.NewTimer(l.queue)
	select {
	case l.sem <- struct{}{}:
		t.Stop()
	case <-t.C:
		l.m.handshakeErrors.Inc()
		c.Close()
		return
	case <-l.closed:
		t.Stop()
		c.Close()
		return
	}
	l.m.handshakes.Inc()
	tc := tls.Server(c, l.cfg)
	// A listener closing (server shutdown) ends its handshakes too.
	ctx, cancel := context.WithTimeout(l.ctx, 15*time.Second)
	err := tc.HandshakeContext(ctx)
	cancel()
	l.m.handshakes.Dec()
	<-l.sem
	if err != nil {
		l.m.handshakeErrors.Inc()
		c.Close()
		return
	}
	l.m.handshakesDone.WithLabelValues(strconv.FormatBool(tc.ConnectionState().DidResume)).Inc()
	select {
	case l.ready <- tc:
	case <-l.closed:
		tc.Close()
	}
}

func (l *handshakeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ready:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *handshakeListener) Close() error {
	l.once.Do(func() { close(l.closed); l.cancel() })
	return l.Listener.Close()
}
