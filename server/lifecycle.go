package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// Run serves until ctx is cancelled or one of its parts fails, and returns
// only when everything it started has stopped and the store is closed.
//
// It binds every listener first (a failure returns before anything runs),
// then starts under one group: the jobs writer, the presence loop, the
// jobs sweep, the shell recordings' retention, the API server, the agent
// server (--agent-listen) and the metrics server. The first error of any
// of them stops the others and is returned. Shutdown runs in dependency
// order: the HTTP servers stop taking requests; long polls and event
// streams are released; agent connections and shell sessions are closed;
// the server waits for every handler (websockets included), agent reader
// and shell task; the loops end; the jobs writer commits its queue; the
// presence is flushed; the audit anchor and then the store close last.
func (s *Server) Run(ctx context.Context) (err error) {
	defer s.st.Close()
	defer s.alog.Close()
	lns, err := s.listen()
	if err != nil {
		return err
	}
	s.addrMu.Lock()
	s.addr = lns.api.Addr().String()
	if lns.agent != nil {
		s.agentAddr = lns.agent.Addr().String()
	}
	s.addrMu.Unlock()
	s.setPublicURL(s.Addr(), s.AgentAddr())
	s.start.mark("listen")
	tlsConf := s.TLSConfig()
	s.start.mark("ticket keys")
	// One handshake budget for both listeners: a reconnect storm on the
	// agent port and a burst on the API port share the CPU.
	sem := make(chan struct{}, s.cfg.MaxHandshakes)
	// Requests see reqCtx: cancelled at shutdown, it ends long polls and
	// event streams instead of letting them hold the shutdown.
	reqCtx, endRequests := context.WithCancel(context.Background())
	defer endRequests()
	handlers := newInflight()
	newHTTP := func(h http.Handler) *http.Server {
		return &http.Server{
			Handler:           handlers.wrap(h),
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       120 * time.Second,
			MaxHeaderBytes:    64 << 10,
			ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
			BaseContext:       func(net.Listener) context.Context { return reqCtx },
		}
	}
	servers := []*http.Server{}
	serve := func(g *group, name string, srv *http.Server, ln net.Listener) {
		servers = append(servers, srv)
		g.run(name, func() error {
			err := srv.Serve(ln)
			if hl, ok := ln.(*handshakeListener); ok {
				hl.Close()
				hl.wait()
			}
			if errors.Is(err, http.ErrServerClosed) {
				return nil
			}
			return err
		})
	}
	handshakes := func(ln net.Listener) *handshakeListener {
		hl := newHandshakeLimiter(ln, tlsConf, sem, s.cfg.HandshakeQueue, s.metric)
		hl.start()
		return hl
	}

	g := newGroup(ctx)
	g.run("jobs writer", s.jobs.RunWriter)
	// The ticker loops end with g.ctx; the writer is stopped only after
	// them, since the sweep submits to it.
	var loops sync.WaitGroup
	loop := func(name string, fn func(context.Context)) {
		loops.Add(1)
		g.run(name, func() error { defer loops.Done(); fn(g.ctx); return nil })
	}
	loop("presence", s.presenceLoop)
	loop("jobs sweep", func(ctx context.Context) { _ = s.jobs.Run(ctx) })
	loop("shell retention", func(ctx context.Context) { _ = s.shell.Run(ctx) })
	loop("notifications", s.notify.Run)
	loop("alerts", s.alerts.Run)
	loop("automation", func(ctx context.Context) {
		if err := s.auto.Run(ctx); err != nil {
			s.log.Error("automation scheduler", "err", err)
		}
	})
	loop("consent", func(ctx context.Context) { _ = s.consent.Run(ctx) })
	loop("ticket keys", s.ticketKeyLoop(tlsConf))
	loop("SLA sweep", s.tickets.Run)
	if lns.agent == nil {
		serve(g, "serve "+s.Addr(), newHTTP(s.routes(func(string) bool { return true }, true)), handshakes(lns.api))
	} else {
		serve(g, "serve "+s.Addr(), newHTTP(s.routes(func(p string) bool { return !deviceRoute(p) }, true)), handshakes(lns.api))
		serve(g, "serve "+s.AgentAddr()+" (--agent-listen)",
			newHTTP(s.routes(func(p string) bool { return deviceRoute(p) || p == "/healthz" }, false)), handshakes(lns.agent))
	}
	s.http = servers[0]
	if lns.metrics != nil {
		serve(g, "serve metrics "+s.cfg.MetricsAddr, &http.Server{Handler: handlers.wrap(s.metric.handler()),
			ReadHeaderTimeout: 10 * time.Second}, lns.metrics)
	}
	close(s.ready)
	s.start.log(s.log)
	s.log.Info("listening", "addr", s.Addr(), "agent_addr", s.AgentAddr(), "public_url", s.publicURL(), "pin", s.Fingerprint())

	<-g.ctx.Done() // ctx cancelled, or a part failed
	endRequests()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, srv := range servers {
		if srv.Shutdown(sctx) != nil {
			srv.Close() // connections still busy after the grace period
		}
	}
	s.hub.CloseAll("server shutting down")
	s.shell.CloseAll("server shutting down")
	handlers.closeWait() // agent and shell websocket handlers included
	s.hub.Wait()
	s.shell.Wait()
	loops.Wait()
	// Every producer of job writes has ended: the writer commits what is
	// queued and ends.
	s.jobs.StopWriter()
	err = g.wait()
	if ferr := s.fleet.FlushAll(); ferr != nil {
		s.log.Error("final presence flush", "err", ferr)
	}
	return err
}

// listeners are the bound addresses of one Run.
type listeners struct{ api, agent, metrics net.Listener }

// listen binds every address Run serves, or none.
func (s *Server) listen() (listeners, error) {
	var l listeners
	fail := func(err error) (listeners, error) {
		for _, ln := range []net.Listener{l.api, l.agent, l.metrics} {
			if ln != nil {
				ln.Close()
			}
		}
		return listeners{}, err
	}
	var err error
	if l.api, err = net.Listen("tcp", s.cfg.Listen); err != nil {
		return fail(fmt.Errorf("listen %s: %w", s.cfg.Listen, err))
	}
	if s.cfg.AgentListen != "" {
		if l.agent, err = net.Listen("tcp", s.cfg.AgentListen); err != nil {
			return fail(fmt.Errorf("listen %s (--agent-listen): %w", s.cfg.AgentListen, err))
		}
	}
	if s.cfg.MetricsAddr != "" {
		if l.metrics, err = net.Listen("tcp", s.cfg.MetricsAddr); err != nil {
			return fail(fmt.Errorf("listen metrics %s: %w", s.cfg.MetricsAddr, err))
		}
	}
	return l, nil
}

// presenceLoop sweeps stale connections and flushes presence on shared
// tickers: no timer per connection, no transaction per heartbeat.
func (s *Server) presenceLoop(ctx context.Context) {
	sweep := time.NewTicker(max(s.cfg.Heartbeat/8, 100*time.Millisecond))
	flush := time.NewTicker(s.cfg.PresenceFlush)
	defer sweep.Stop()
	defer flush.Stop()
	// Last-seen times alone are written every 5 min (and at shutdown): a
	// kill -9 loses at most that much of "last seen" for devices that were
	// online, which a restarted server shows as offline anyway.
	every := max(1, int(5*time.Minute/max(s.cfg.PresenceFlush, time.Second)))
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			return
		case now := <-sweep.C:
			s.hub.Sweep(now)
		case <-flush.C:
			t0 := time.Now()
			flush := s.fleet.Flush
			if n%every == 0 {
				flush = s.fleet.FlushAll
			}
			if err := flush(); err != nil {
				s.log.Error("presence flush", "err", err)
			}
			s.metric.storeWrite.Observe(time.Since(t0).Seconds())
		}
	}
}
