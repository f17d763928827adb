package toolbox

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/steward-rmm/steward/protocol"
)

// sink records what the host sends.
type sink struct{ text chan protocol.Envelope }

func (s *sink) Send(b []byte) bool {
	env, err := protocol.Decode(b, protocol.MaxAgentFrame)
	if err != nil {
		panic(err)
	}
	s.text <- env
	return true
}
func (s *sink) SendBinary([]byte) bool { return true }

func (s *sink) end(t *testing.T) protocol.CallEnd {
	t.Helper()
	for {
		select {
		case env := <-s.text:
			if env.Type != protocol.TypeCallEnd {
				continue
			}
			var e protocol.CallEnd
			if err := protocol.DecodeData(env, &e); err != nil {
				t.Fatal(err)
			}
			return e
		case <-time.After(30 * time.Second):
			t.Fatal("no call_end")
		}
	}
}

func call(id uint32, method string, params any) protocol.Envelope {
	raw, _ := json.Marshal(params)
	b := protocol.MustEncode(protocol.TypeCall, "", protocol.CallRequest{Call: id, Method: method, Params: raw})
	env, _ := protocol.Decode(b, protocol.MaxServerFrame)
	return env
}

func TestHostErrorsPanicsAndBusy(t *testing.T) {
	block := make(chan struct{})
	h := NewHost(slog.New(slog.DiscardHandler),
		Method{Name: "boom", Handler: func(context.Context, *Call) (any, error) { panic("bad") }},
		Method{Name: "block", Handler: func(ctx context.Context, _ *Call) (any, error) {
			select {
			case <-block:
			case <-ctx.Done():
			}
			return nil, ctx.Err()
		}},
		Method{Name: "params", Handler: func(_ context.Context, c *Call) (any, error) {
			var v struct{ N int }
			if err := c.Decode(&v); err != nil {
				return nil, err
			}
			return v.N * 2, nil
		}})
	s := &sink{text: make(chan protocol.Envelope, 64)}
	ctx := context.Background()

	h.Message(ctx, s, call(1, "boom", nil))
	if e := s.end(t); e.Code != protocol.CallFailed || e.Call != 1 {
		t.Errorf("panic: %+v", e)
	}
	h.Message(ctx, s, call(2, "nope", nil))
	if e := s.end(t); e.Code != protocol.CallUnknown {
		t.Errorf("unknown: %+v", e)
	}
	h.Message(ctx, s, call(3, "params", "not an object"))
	if e := s.end(t); e.Code != protocol.CallBadRequest {
		t.Errorf("bad params: %+v", e)
	}
	h.Message(ctx, s, call(4, "params", map[string]int{"N": 21}))
	if e := s.end(t); e.Error != "" || string(e.Result) != "42" {
		t.Errorf("result: %+v", e)
	}
	// MaxCalls in flight; one more is refused as busy.
	for i := range MaxCalls {
		h.Message(ctx, s, call(uint32(100+i), "block", nil))
	}
	waitCalls := func(n int) {
		for range 1000 {
			h.mu.Lock()
			k := len(h.calls)
			h.mu.Unlock()
			if k == n {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Fatalf("calls in flight never reached %d", n)
	}
	waitCalls(MaxCalls)
	h.Message(ctx, s, call(999, "block", nil))
	if e := s.end(t); e.Code != protocol.CallBusy || e.Call != 999 {
		t.Errorf("busy: %+v", e)
	}
	// A cancel ends one; the connection's end ends the rest.
	b := protocol.MustEncode(protocol.TypeCallCancel, "", protocol.CallCancel{Call: 100})
	env, _ := protocol.Decode(b, protocol.MaxServerFrame)
	h.Message(ctx, s, env)
	if e := s.end(t); e.Call != 100 || e.Code != protocol.CallCanceled {
		t.Errorf("cancel: %+v", e)
	}
	h.CloseAll()
	for range MaxCalls - 1 {
		if e := s.end(t); e.Code != protocol.CallCanceled {
			t.Errorf("close all: %+v", e)
		}
	}
	waitCalls(0)
	close(block)
}
