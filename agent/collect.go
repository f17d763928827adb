// Collection: heartbeats, inventory and the health schedule.

package agent

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/steward-rmm/steward/agent/health"
	"github.com/steward-rmm/steward/agent/inventory"
	"github.com/steward-rmm/steward/protocol"
)

func (a *Agent) heartbeatLoop(s *session, every time.Duration) {
	for {
		// ±10 % jitter keeps a fleet's heartbeats from marching in step.
		j := every/10 - time.Duration(rand.Int64N(int64(every/5)+1))
		select {
		case <-s.done:
			return
		case <-time.After(every + j):
		}
		a.mu.Lock()
		a.hbSeq++
		hb := protocol.Heartbeat{Seq: a.hbSeq, PendingReboot: a.health.Reboot.Pending, PatchCount: len(a.health.Patches.Available)}
		for _, p := range a.health.Patches.Available {
			if p.Security {
				hb.SecurityPatches++
			}
		}
		a.mu.Unlock()
		sample := inventory.Sample
		if a.cfg.Live != nil {
			sample = a.cfg.Live
		}
		l := sample(a.ctx)
		hb.CPUPercent, hb.MemPercent, hb.DiskPercent, hb.UptimeSeconds, hb.User = round1(l.CPUPercent),
			round1(l.MemPercent), round1(l.DiskPercent), l.Uptime, l.User
		s.send(protocol.MustEncode(protocol.TypeHeartbeat, "", hb))
		if s.silence() >= pingSilence(every) {
			s.ping()
		}
	}
}

// pingSilence is how long the server must have been silent before a
// heartbeat also pings it. Pinging every other heartbeat at most halves
// the pongs an idle server writes (each a TLS record and a syscall, a
// quarter of its idle CPU at 10,000 agents), and a pong still comes often
// enough for the read deadline in serve to catch a dead server.
func pingSilence(every time.Duration) time.Duration { return every * 3 / 2 }

func round1(f float64) float64 { return float64(int(f*10+0.5)) / 10 }

func (a *Agent) refresh(s *session, what string) {
	if a.retired.Load() {
		return
	}
	switch what {
	case "inventory", "":
		inv := a.collectInventory(a.ctx)
		s.send(protocol.MustEncode(protocol.TypeInventory, "", inv))
		if what != "" {
			return
		}
		fallthrough
	case "health", "patches":
		a.collectHealth(a.ctx, what == "patches", true)
	}
}

func (a *Agent) collectInventory(ctx context.Context) protocol.Inventory {
	if a.cfg.Inventory != nil {
		return a.cfg.Inventory(ctx)
	}
	return inventory.Collect(ctx)
}

// cacheRefreshEvery is how often a scheduled patch scan first refreshes
// the package manager's cache.
const cacheRefreshEvery = 24 * time.Hour

// collectLoop refreshes inventory and health on the server's intervals.
// Between collections the agent sleeps: nothing wakes it but its timers
// and the connection.
func (a *Agent) collectLoop(ctx context.Context) {
	if !a.cfg.SkipInitialHealth {
		select {
		case <-ctx.Done():
			return
		case <-time.After(healthDelay(a.cfg.HealthDelay)):
		}
		a.collectHealth(ctx, true, false)
	}
	lastPatch, lastRefresh := time.Now(), time.Time{}
	for {
		a.mu.Lock()
		w := a.welcome
		a.mu.Unlock()
		every := time.Duration(w.HealthSeconds) * time.Second
		if every <= 0 {
			every = 15 * time.Minute
		}
		patchEvery := time.Duration(w.PatchScanSeconds) * time.Second
		if patchEvery <= 0 {
			patchEvery = 4 * time.Hour
		}
		jit := time.Duration(rand.Int64N(int64(every/10) + 1))
		select {
		case <-ctx.Done():
			return
		case <-time.After(every + jit):
		}
		if a.retired.Load() {
			continue // retired: no inventory, health or patch scan
		}
		scan := time.Since(lastPatch) > patchEvery
		if scan {
			lastPatch = time.Now()
		}
		if scan && a.cfg.Health == nil && time.Since(lastRefresh) > cacheRefreshEvery {
			// Once a day a scheduled scan also refreshes the package
			// manager's cache (apt-get update, ...), so "no patches" does
			// not just mean "stale lists".
			lastRefresh = time.Now()
			st := health.Patches(ctx, a.healthEnvironment(), true)
			a.mu.Lock()
			a.health.Patches = st
			a.mu.Unlock()
			scan = false
		}
		a.collectHealth(ctx, scan, false)
		inv := a.collectInventory(ctx)
		if h := inventory.Hash(inv); h != a.invHash {
			a.mu.Lock()
			a.invHash = h
			a.mu.Unlock()
			a.send(protocol.MustEncode(protocol.TypeInventory, "", inv))
		}
	}
}

// healthDelay is the jittered wait before the first full collection: base
// plus a random part of up to twice base (1 to 3 minutes by default).
func healthDelay(base time.Duration) time.Duration {
	switch {
	case base < 0:
		return 0
	case base == 0:
		base = DefaultHealthDelay
	}
	return base + time.Duration(rand.Int64N(int64(2*base)+1))
}

// collectHealth gathers a health report and sends it when it changed (or
// always when force). Patch scans are slow and run only when asked.
func (a *Agent) collectHealth(ctx context.Context, scanPatches, force bool) {
	if a.retired.Load() {
		return
	}
	var h protocol.Health
	if a.cfg.Health != nil {
		h = a.cfg.Health(ctx)
	} else {
		a.mu.Lock()
		prev := a.health.Patches
		saw := a.saw3010
		a.mu.Unlock()
		h = health.Collect(ctx, a.healthEnvironment(), scanPatches, prev, saw)
	}
	hash := protocol.ContentHash(h)
	a.mu.Lock()
	changed := hash != a.hHash
	a.health, a.hHash = h, hash
	a.mu.Unlock()
	if changed || force {
		a.send(protocol.MustEncode(protocol.TypeHealth, "", h))
	}
}
