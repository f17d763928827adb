package agentcall

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/steward-rmm/steward/agent/toolbox"
	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/hub"
)

// handler routes the hub's frames to the Caller, as the agent link does,
// and counts heartbeats.
type handler struct {
	cl      *Caller
	started chan string // the "wait" method's starts and cancellations
	mu      sync.Mutex
	hb      []time.Time
}

func (h *handler) Message(c *hub.Conn, env protocol.Envelope) {
	if env.Type == protocol.TypeHeartbeat {
		h.mu.Lock()
		h.hb = append(h.hb, time.Now())
		h.mu.Unlock()
		return
	}
	_ = h.cl.AgentMessage(c, env)
}
func (h *handler) Binary(c *hub.Conn, frame []byte)  { h.cl.AgentBinary(c, frame) }
func (h *handler) Closed(c *hub.Conn, reason string) { h.cl.DeviceGone(c, reason) }

// agentEnd is the agent's side: a websocket served by a real toolbox
// Host, with one writer goroutine as in the agent.
type agentEnd struct {
	ws   *websocket.Conn
	out  chan [2]any
	done chan struct{}
}

func (a *agentEnd) Send(b []byte) bool       { return a.put(websocket.TextMessage, b) }
func (a *agentEnd) SendBinary(b []byte) bool { return a.put(websocket.BinaryMessage, b) }
func (a *agentEnd) put(mt int, b []byte) bool {
	select {
	case a.out <- [2]any{mt, b}:
		return true
	case <-a.done:
		return false
	}
}

// methods are the test agent's methods; "wait" reports its start and its
// cancellation on started.
func methods(started chan string) []toolbox.Method {
	return []toolbox.Method{
		{Name: "echo", Handler: func(_ context.Context, c *toolbox.Call) (any, error) {
			var v map[string]any
			if err := c.Decode(&v); err != nil {
				return nil, err
			}
			return v, nil
		}},
		{Name: "missing", Handler: func(context.Context, *toolbox.Call) (any, error) {
			return nil, toolbox.Errorf(protocol.CallNotFound, "no such file: /x\x1b[31m")
		}},
		{Name: "stream", Handler: func(_ context.Context, c *toolbox.Call) (any, error) {
			var n int
			_ = c.Decode(&n)
			for i := range n {
				if err := c.Send(map[string]int{"i": i}); err != nil {
					return nil, err
				}
			}
			return n, nil
		}},
		{Name: "bytes", Handler: func(_ context.Context, c *toolbox.Call) (any, error) {
			var n int64
			_ = c.Decode(&n)
			buf := bytes.Repeat([]byte("0123456789abcdef"), 4096)
			for n > 0 {
				k := min(n, int64(len(buf)))
				if _, err := c.Write(buf[:k]); err != nil {
					return nil, err
				}
				n -= k
			}
			return nil, nil
		}},
		{Name: "sink", Handler: func(_ context.Context, c *toolbox.Call) (any, error) {
			h := sha256.New()
			n, err := io.Copy(h, c)
			if err != nil {
				return nil, toolbox.Errorf(protocol.CallCanceled, "upload: %v", err)
			}
			return map[string]any{"size": n, "sha256": hex.EncodeToString(h.Sum(nil))}, nil
		}},
		{Name: "wait", Handler: func(ctx context.Context, c *toolbox.Call) (any, error) {
			started <- c.Method
			<-ctx.Done()
			started <- "canceled"
			return nil, ctx.Err()
		}},
	}
}

// setup connects a real websocket between a hub with a Caller and an
// agent-side toolbox Host.
func setup(t *testing.T, caps ...string) (*Caller, *hub.Conn, *handler, *agentEnd) {
	t.Helper()
	if caps == nil {
		caps = []string{protocol.CapToolbox}
	}
	log := slog.New(slog.DiscardHandler)
	cl := New(4, log)
	h := &handler{cl: cl, started: make(chan string, 64)}
	hb := hub.New(h, log, time.Hour)
	got := make(chan *hub.Conn, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			t.Error(err)
			return
		}
		got <- hb.Attach(ws, "dev1", "c1", r.RemoteAddr, protocol.Hello{Capabilities: caps})
	}))
	t.Cleanup(srv.Close)
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	ws.SetReadLimit(protocol.MaxServerFrame)
	a := &agentEnd{ws: ws, out: make(chan [2]any, 64), done: make(chan struct{})}
	host := toolbox.NewHost(log, methods(h.started)...)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for {
			select {
			case f := <-a.out:
				if ws.WriteMessage(f[0].(int), f[1].([]byte)) != nil {
					return
				}
			case <-a.done:
				return
			}
		}
	}()
	go func() {
		defer close(a.done)
		defer host.CloseAll()
		for {
			mt, b, err := ws.ReadMessage()
			if err != nil {
				return
			}
			if mt == websocket.BinaryMessage {
				host.Binary(b)
				continue
			}
			env, err := protocol.Decode(b, protocol.MaxServerFrame)
			if err == nil {
				host.Message(ctx, a, env)
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		ws.Close()
		hb.CloseAll("test over")
		hb.Wait()
	})
	return cl, <-got, h, a
}

func TestCallResultAndErrors(t *testing.T) {
	cl, conn, _, _ := setup(t)
	ctx := context.Background()
	c, err := cl.Start(ctx, conn, "echo", map[string]string{"a": "b"}, Options{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	if err := c.Result(&got); err != nil || got["a"] != "b" {
		t.Fatalf("echo: %v %v", got, err)
	}
	c.Close()

	c, _ = cl.Start(ctx, conn, "missing", nil, Options{Timeout: 10 * time.Second})
	err = c.Result(nil)
	var re *RemoteError
	if !errors.As(err, &re) || re.Code != protocol.CallNotFound || !strings.HasPrefix(re.Msg, "no such file: /x") {
		t.Fatalf("remote error: %#v", err)
	}
	c.Close()

	c, _ = cl.Start(ctx, conn, "no.such.method", nil, Options{Timeout: 10 * time.Second})
	if err := c.Result(nil); !errors.As(err, &re) || re.Code != protocol.CallUnknown {
		t.Fatalf("unknown method: %v", err)
	}
	c.Close()
	if n := cl.InFlight(); n != 0 {
		t.Fatalf("%d calls left in flight", n)
	}
}

func TestCallUnsupportedAgent(t *testing.T) {
	cl, conn, _, _ := setup(t, protocol.CapShell)
	if _, err := cl.Start(context.Background(), conn, "echo", nil, Options{}); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("old agent: %v", err)
	}
	if _, err := cl.Start(context.Background(), nil, "echo", nil, Options{}); !errors.Is(err, ErrOffline) {
		t.Fatalf("no connection: %v", err)
	}
}

func TestCallStreamChunks(t *testing.T) {
	cl, conn, _, _ := setup(t)
	const n = 5000 // about 40 KB of chunks: several credit round trips
	c, err := cl.Start(context.Background(), conn, "stream", n, Options{Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := 0; ; i++ {
		raw, err := c.Next()
		if err == io.EOF {
			if i != n {
				t.Fatalf("got %d chunks, want %d", i, n)
			}
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var v struct{ I int }
		if json.Unmarshal(raw, &v) != nil || v.I != i {
			t.Fatalf("chunk %d: %s", i, raw)
		}
	}
	var total int
	if err := c.Result(&total); err != nil || total != n {
		t.Fatalf("result %d %v", total, err)
	}
}

// TestCallDownloadBounded streams 64 MB from the agent through a slow
// reader: the bytes queued on the server never exceed the window, and
// heartbeats sent meanwhile on the same connection arrive.
func TestCallDownloadBounded(t *testing.T) {
	cl, conn, h, a := setup(t)
	const size = 64 << 20
	c, err := cl.Start(context.Background(), conn, "bytes", size, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
				a.Send(protocol.MustEncode(protocol.TypeHeartbeat, "", protocol.Heartbeat{}))
			}
		}
	}()
	var maxQueued int64
	buf := make([]byte, 32<<10)
	var n int64
	for {
		k, err := c.Read(buf)
		n += int64(k)
		maxQueued = max(maxQueued, c.queued.Load())
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if n%(8<<20) < 32<<10 {
			time.Sleep(30 * time.Millisecond) // a slow consumer now and then
		}
	}
	close(stop)
	if n != size {
		t.Fatalf("read %d bytes, want %d", n, size)
	}
	if maxQueued > protocol.CallWindow {
		t.Fatalf("queued %d bytes on the server, window is %d", maxQueued, protocol.CallWindow)
	}
	h.mu.Lock()
	beats := len(h.hb)
	h.mu.Unlock()
	if beats == 0 {
		t.Fatal("no heartbeat arrived during the transfer")
	}
}

func TestCallUpload(t *testing.T) {
	cl, conn, _, _ := setup(t)
	c, err := cl.Start(context.Background(), conn, "sink", nil, Options{Upload: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	data := bytes.Repeat([]byte("steward!"), 3<<20) // 24 MB: many windows
	if _, err := io.Copy(c, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if err := c.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	var res struct {
		Size   int64
		SHA256 string
	}
	if err := c.Result(&res); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if res.Size != int64(len(data)) || res.SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("agent received %d bytes %s", res.Size, res.SHA256)
	}
}

// TestCallUploadInterrupted: an upload closed without its end mark is
// reported incomplete on the agent, never as a complete file.
func TestCallUploadInterrupted(t *testing.T) {
	cl, conn, _, _ := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	c, err := cl.Start(ctx, conn, "sink", nil, Options{Upload: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write(make([]byte, 100<<10)); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := c.Result(nil); !errors.Is(err, ErrCanceled) {
		t.Fatalf("interrupted upload: %v", err)
	}
	c.Close()
}

func TestCallCancelTimeoutAndBusy(t *testing.T) {
	cl, conn, h, _ := setup(t)
	started := h.started
	ctx, cancel := context.WithCancel(context.Background())
	c, err := cl.Start(ctx, conn, "wait", nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	<-started
	cancel()
	if err := c.Result(nil); !errors.Is(err, ErrCanceled) {
		t.Fatalf("cancel: %v", err)
	}
	if s := <-started; s != "canceled" {
		t.Fatalf("the agent's method was not canceled: %s", s)
	}
	c.Close()

	c, _ = cl.Start(context.Background(), conn, "wait", nil, Options{Timeout: 200 * time.Millisecond})
	<-started
	if err := c.Result(nil); !errors.Is(err, ErrTimeout) {
		t.Fatalf("timeout: %v", err)
	}
	<-started
	c.Close()

	c, _ = cl.Start(context.Background(), conn, "wait", nil, Options{Idle: 200 * time.Millisecond})
	<-started
	if err := c.Result(nil); !errors.Is(err, ErrTimeout) {
		t.Fatalf("idle: %v", err)
	}
	<-started
	c.Close()

	// The Caller allows 4 calls per device here.
	var calls []*Call
	for range 4 {
		c, err := cl.Start(context.Background(), conn, "wait", nil, Options{})
		if err != nil {
			t.Fatal(err)
		}
		<-started
		calls = append(calls, c)
	}
	if _, err := cl.Start(context.Background(), conn, "wait", nil, Options{}); !errors.Is(err, ErrBusy) {
		t.Fatalf("fifth call: %v", err)
	}
	calls[0].Close()
	<-started
	c, err = cl.Start(context.Background(), conn, "echo", map[string]int{}, Options{})
	if err != nil {
		t.Fatalf("a freed slot: %v", err)
	}
	c.Close()
	// The connection ends: every call fails as offline.
	conn.Close("test")
	for _, c := range calls[1:] {
		if err := c.Result(nil); !errors.Is(err, ErrOffline) {
			t.Fatalf("device gone: %v", err)
		}
		c.Close()
	}
}

// TestCallConcurrentUploads: uploads sharing one connection never fill its
// outbox (which would close the device's connection as a slow consumer).
func TestCallConcurrentUploads(t *testing.T) {
	cl, conn, _, _ := setup(t)
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<19) // 8 MB each
	sum := sha256.Sum256(data)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			c, err := cl.Start(context.Background(), conn, "sink", nil, Options{Upload: true})
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			if _, err := io.Copy(c, bytes.NewReader(data)); err != nil {
				errs <- err
				return
			}
			if err := c.CloseWrite(); err != nil {
				errs <- err
				return
			}
			var res struct{ SHA256 string }
			if err := c.Result(&res); err != nil {
				errs <- err
				return
			}
			if res.SHA256 != hex.EncodeToString(sum[:]) {
				errs <- errors.New("upload arrived altered")
				return
			}
			errs <- nil
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if r := conn.Reason(); r != "" {
		t.Fatalf("connection closed: %s", r)
	}
}
