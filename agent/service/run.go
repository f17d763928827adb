package service

import (
	"context"
	"fmt"
	"sync"
	"time"

	kservice "github.com/kardianos/service"
)

// stopWait bounds how long a stop request waits for the agent to finish;
// systemd and the SCM give about 30 s before they kill.
const stopWait = 25 * time.Second

// Interactive reports whether the process was started from a terminal
// rather than by the OS service manager.
func Interactive() bool { return kservice.Interactive() }

// Run runs fn under the OS service manager when it started this process
// (the Windows SCM needs its dispatcher; systemd and launchd just send
// SIGTERM), or directly when started from a terminal. fn's context ends on
// a stop request or when ctx does. Run returns fn's error; when fn ends by
// itself with an error the caller should exit non-zero, so the service
// manager restarts the agent.
func Run(ctx context.Context, def *kservice.Config, fn func(context.Context) error) error {
	p := &program{parent: ctx, fn: fn, done: make(chan struct{})}
	s, err := kservice.New(p, def)
	if err != nil {
		return fmt.Errorf("service: %w", err)
	}
	stopped := make(chan error, 1)
	go func() { stopped <- s.Run() }()
	select {
	case err := <-stopped:
		// Stopped by the service manager or a signal; Stop waited for fn.
		if err != nil {
			return fmt.Errorf("service: %w", err)
		}
		return p.result()
	case <-p.done:
		return p.result()
	}
}

// program adapts fn to kardianos's Start/Stop.
type program struct {
	parent context.Context
	fn     func(context.Context) error

	mu     sync.Mutex
	cancel context.CancelFunc
	err    error
	done   chan struct{}
	once   sync.Once
}

// Start must not block: fn runs in its own goroutine.
func (p *program) Start(kservice.Service) error {
	ctx, cancel := context.WithCancel(p.parent)
	p.mu.Lock()
	p.cancel = cancel
	p.mu.Unlock()
	go func() {
		err := p.fn(ctx)
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
		p.once.Do(func() { close(p.done) })
	}()
	return nil
}

// Stop cancels fn and waits (bounded) for it to return.
func (p *program) Stop(kservice.Service) error {
	p.mu.Lock()
	cancel := p.cancel
	p.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	select {
	case <-p.done:
	case <-time.After(stopWait):
	}
	return nil
}

func (p *program) result() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}
