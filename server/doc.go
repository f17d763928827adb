// Package server is Steward's control server, as the wiring of its wings:
// it opens the store, loads the certificate authority and TLS pins, builds
// the base (audit log, fleet, hub, event bus) and each wing (accounts,
// agentlink, audit, devices, install, jobs, scripts, shell, updates) from
// its Deps (wire.go), assembles the route table from the wings' routes and
// enforces each route's policy before its handler runs (api.go). Run is
// its entry point.
//
// # Lifecycle
//
// New opens the store and loads state; it starts no goroutine. Run binds
// its listeners, starts every loop under one group (lifecycle.go) and
// returns only after all of them, every HTTP handler (websockets
// included), every agent connection's goroutines and every shell task
// have ended, the jobs writer has committed its queue and presence is
// flushed; the store closes last.
//
// # Lock order
//
// The one nesting is fleet.Fleet.mu, then events.Bus.mu: the fleet
// publishes device events while it holds its lock. Every other lock is a
// leaf, taken with no lock held and held while taking none: hub.Hub.mu,
// hub.Conn.qmu, jobs.Wing.mu, jobs.jobWriter.mu, shell.Wing.mu,
// shell.shellSession.techMu, shell.castWriter.mu, httpx.Conns.mu, shell.shellTickets.mu,
// accounts.limiter.mu, install.sumCache.mu, auditlog.auditAnchor.mu, inflight.mu and Server.addrMu.
// No lock is held across a store call, a send to an agent, a hub Handler
// callback or a job write submission; callbacks (opConns' end functions,
// the writer's done functions, hub Handler calls) run after their lock is
// released. bbolt's own lock is therefore innermost of all. Each mutex
// says so next to its declaration; keep it that way when adding one.
package server
