// Package events is a small in-process publish/subscribe bus. The dashboard's
// live updates and the API's follow modes subscribe to it. Publishing never
// blocks: a subscriber that falls behind misses events and is told so, and
// re-reads state instead.
package events

import "sync"

// Event is one change. Every event about a client's device, job, run or
// token names that client in ClientID (or, for a job spanning clients,
// all of them in Clients), so a stream can show it only to users who
// can see every one of them; an event naming no client is server-wide.
type Event struct {
	Type     string   `json:"type"` // device, run, output, job
	ID       string   `json:"id"`
	ClientID string   `json:"client_id,omitempty"`
	Clients  []string `json:"-"`
	DeviceID string   `json:"device_id,omitempty"`
	JobID    string   `json:"job_id,omitempty"`
	State    string   `json:"state,omitempty"`
	Online   *bool    `json:"online,omitempty"`
}

// Subscription receives events on C. Lost is set when events were dropped
// because C was full.
type Subscription struct {
	C    chan Event
	bus  *Bus
	lost bool
}

// Bus fans events out to subscribers.
type Bus struct {
	// mu guards subs and each Subscription's lost flag. Lock order: the
	// innermost lock of the server; fleet.Fleet.mu may be held when it is
	// taken, and Publish never blocks under it.
	mu   sync.Mutex
	subs map[*Subscription]struct{}
}

// New returns an empty bus.
func New() *Bus { return &Bus{subs: map[*Subscription]struct{}{}} }

// Subscribe registers a subscriber with a buffer of n events.
func (b *Bus) Subscribe(n int) *Subscription {
	s := &Subscription{C: make(chan Event, n), bus: b}
	b.mu.Lock()
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	return s
}

// Close unregisters the subscription.
func (s *Subscription) Close() {
	s.bus.mu.Lock()
	delete(s.bus.subs, s)
	s.bus.mu.Unlock()
}

// Lost reports (and clears) whether events were dropped.
func (s *Subscription) Lost() bool {
	s.bus.mu.Lock()
	defer s.bus.mu.Unlock()
	l := s.lost
	s.lost = false
	return l
}

// VisibleTo reports whether a subscriber who can see the clients for
// which canSee is true, or every client when all is set, may receive e.
// Events naming no client go to all-client subscribers only.
func (e *Event) VisibleTo(all bool, canSee func(clientID string) bool) bool {
	if all {
		return true
	}
	cs := e.Clients
	if len(cs) == 0 && e.ClientID != "" {
		cs = []string{e.ClientID}
	}
	for _, c := range cs {
		if !canSee(c) {
			return false
		}
	}
	return len(cs) > 0
}

// Publish sends e to every subscriber without blocking.
func (b *Bus) Publish(e Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		select {
		case s.C <- e:
		default:
			s.lost = true
		}
	}
}
