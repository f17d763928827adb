package server

import (
	"context"
	"fmt"
	"net/http"
	"sync"

	"github.com/steward-rmm/steward/server/httpx"
)

// group runs the server's long-lived goroutines: the first one to fail
// cancels the group's context, and wait returns once every one of them
// has returned, with that first error.
type group struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
	err    error
}

func newGroup(parent context.Context) *group {
	ctx, cancel := context.WithCancel(parent)
	return &group{ctx: ctx, cancel: cancel}
}

// run starts fn under the group; name labels its error.
func (g *group) run(name string, fn func() error) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		if err := fn(); err != nil {
			g.once.Do(func() {
				g.err = fmt.Errorf("%s: %w", name, err)
				g.cancel()
			})
		}
	}()
}

// wait waits for every goroutine and returns the first error.
func (g *group) wait() error {
	g.wg.Wait()
	g.cancel()
	return g.err
}

// inflight counts running HTTP handlers, hijacked ones (agent and shell
// websockets) included, which http.Server.Shutdown neither tracks nor
// waits for. Once closed it admits no new handler.
type inflight struct {
	mu     sync.Mutex // guards n and closed; lock order: a leaf
	n      int
	closed bool
	zero   *sync.Cond
}

func newInflight() *inflight {
	f := &inflight{}
	f.zero = sync.NewCond(&f.mu)
	return f
}

func (f *inflight) enter() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return false
	}
	f.n++
	return true
}

func (f *inflight) leave() {
	f.mu.Lock()
	f.n--
	if f.n == 0 {
		f.zero.Broadcast()
	}
	f.mu.Unlock()
}

// closeWait refuses new handlers and waits for the running ones.
func (f *inflight) closeWait() {
	f.mu.Lock()
	f.closed = true
	for f.n > 0 {
		f.zero.Wait()
	}
	f.mu.Unlock()
}

// wrap counts h's calls; a request arriving after closeWait began gets 503.
func (f *inflight) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !f.enter() {
			httpx.WriteError(w, http.StatusServiceUnavailable, "server shutting down")
			return
		}
		defer f.leave()
		h.ServeHTTP(w, r)
	})
}
