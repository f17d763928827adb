package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/httpx"
)

// apiEvents streams changes as server-sent events: devices going online or
// offline, runs changing state, jobs created. Events of clients outside the
// caller's scope are not sent (events.Event.VisibleTo). When the subscriber fell behind, a "resync"
// event tells the page to reload its data.
func (s *Server) apiEvents(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	fl, ok := w.(http.Flusher)
	if !ok {
		httpx.WriteError(w, 500, "streaming unsupported")
		return
	}
	// Subscribed before the first bytes go out, so a client that has read
	// them misses no later event.
	sub := s.bus.Subscribe(256)
	defer sub.Close()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(200)
	fmt.Fprint(w, "retry: 2000\n\n")
	fl.Flush()
	// Logout or a disabled account ends the stream.
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	defer s.conns.Add(p, cancel)()
	ping := time.NewTicker(25 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ping.C:
			fmt.Fprint(w, ": ping\n\n")
			fl.Flush()
		case e := <-sub.C:
			// The same rule as the REST routes: a scoped user sees events
			// of their clients only, and a job only when all of its runs
			// are on their clients (jobVisible).
			if !e.VisibleTo(p.AllClients, p.CanSeeClient) {
				continue
			}
			if sub.Lost() {
				fmt.Fprint(w, "data: {\"type\":\"resync\"}\n\n")
			}
			b, _ := json.Marshal(api.Event{Type: e.Type, ID: e.ID, ClientID: e.ClientID, DeviceID: e.DeviceID,
				JobID: e.JobID, State: e.State, Online: e.Online})
			fmt.Fprintf(w, "data: %s\n\n", b)
			// A burst (a fan-out's run changes) goes out in few writes:
			// flushed once nothing more is waiting (the response's buffer
			// sends itself when full).
			if len(sub.C) == 0 {
				fl.Flush()
			}
		}
	}
}
