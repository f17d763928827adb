package hub

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/steward-rmm/steward/protocol"
)

type recorder struct {
	mu     sync.Mutex
	closed map[string]string
	msgs   []string
}

func (r *recorder) Message(c *Conn, env protocol.Envelope) {
	r.mu.Lock()
	r.msgs = append(r.msgs, env.Type)
	r.mu.Unlock()
}
func (r *recorder) Binary(c *Conn, frame []byte) {}
func (r *recorder) Closed(c *Conn, reason string) {
	r.mu.Lock()
	r.closed[c.DeviceID] = reason
	r.mu.Unlock()
}
func (r *recorder) reason(id string) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.closed[id]
	return s, ok
}

// pair attaches a real websocket to the hub and returns the client end.
func pair(t *testing.T, h *Hub, id string) (*Conn, *websocket.Conn) {
	t.Helper()
	got := make(chan *Conn, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			t.Error(err)
			return
		}
		got <- h.Attach(ws, id, "c1", r.RemoteAddr, protocol.Hello{})
	}))
	t.Cleanup(srv.Close)
	cl, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	return <-got, cl
}

func TestSweepUsesStaleLimit(t *testing.T) {
	rec := &recorder{closed: map[string]string{}}
	interval := 10 * time.Second
	h := New(rec, slog.New(slog.NewTextHandler(io.Discard, nil)), interval*7/4)
	c, _ := pair(t, h, "d1")
	last := time.Unix(0, c.lastSeen.Load())
	if n := h.Sweep(last.Add(interval * 17 / 10)); n != 0 {
		t.Fatalf("closed %d connections at 1.7 intervals of silence", n)
	}
	if _, closed := rec.reason("d1"); closed || h.Count() != 1 {
		t.Fatal("connection closed too early")
	}
	if n := h.Sweep(last.Add(interval * 18 / 10)); n != 1 {
		t.Fatalf("closed %d connections at 1.8 intervals, want 1", n)
	}
	if r, _ := rec.reason("d1"); r != "heartbeat timeout" || h.Count() != 0 {
		t.Fatalf("reason %q, count %d", r, h.Count())
	}
}

func TestSlowConsumerClosedHubNotBlocked(t *testing.T) {
	rec := &recorder{closed: map[string]string{}}
	h := New(rec, slog.New(slog.NewTextHandler(io.Discard, nil)), time.Hour)
	slow, _ := pair(t, h, "slow") // the client never reads
	fast, fastClient := pair(t, h, "fast")
	frame := make([]byte, 64<<10)
	sent := 0
	for i := 0; i < 10000 && slow.Send(frame); i++ {
		sent++
	}
	if r, ok := rec.reason("slow"); !ok || !strings.Contains(r, "slow consumer") {
		t.Fatalf("slow agent not disconnected (sent %d frames): %q", sent, r)
	}
	if h.Metrics.OutboxDrops.Load() != 1 {
		t.Errorf("outbox drops = %d", h.Metrics.OutboxDrops.Load())
	}
	// Others are unaffected.
	if !fast.Send([]byte(`{"type":"x"}`)) {
		t.Fatal("send to healthy agent failed")
	}
	_ = fastClient.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, b, err := fastClient.ReadMessage(); err != nil || string(b) != `{"type":"x"}` {
		t.Fatalf("healthy agent read %q %v", b, err)
	}
}

func TestReplacedConnection(t *testing.T) {
	rec := &recorder{closed: map[string]string{}}
	h := New(rec, slog.New(slog.NewTextHandler(io.Discard, nil)), time.Hour)
	first, _ := pair(t, h, "d1")
	second, _ := pair(t, h, "d1")
	if h.Get("d1") != second || h.Count() != 1 {
		t.Fatal("newest connection should win")
	}
	<-first.Done()
	if r := first.Reason(); !strings.Contains(r, "replaced") {
		t.Fatalf("reason %q", r)
	}
}
