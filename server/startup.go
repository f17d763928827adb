package server

import (
	"log/slog"
	"time"
)

// startClock times the phases of a server's start-up, which after a crash
// is time every agent waits: logged once as "start-up" when the server
// listens.
type startClock struct {
	begin, last time.Time
	attrs       []any
}

func newStartClock() *startClock {
	now := time.Now()
	return &startClock{begin: now, last: now}
}

// mark ends the phase called name.
func (c *startClock) mark(name string) {
	if c == nil {
		return
	}
	now := time.Now()
	c.attrs = append(c.attrs, name, now.Sub(c.last).Round(time.Millisecond))
	c.last = now
}

// log writes the phases and the total.
func (c *startClock) log(log *slog.Logger) {
	if c == nil {
		return
	}
	log.Info("start-up", append(c.attrs, "total", time.Since(c.begin).Round(time.Millisecond))...)
}
