// Package consent is the wing for delegated access: the MSP asks a
// client for access (a request with roles, a duration and a message, sent
// as a link to the customer's portal), a customer admin answers it in the
// portal with a grant (roles, an end at most two years away), renews or
// revokes it at any moment. A client can require consent (per client, and
// a server default for new clients): every technician action on its
// devices or data then needs an active grant covering it. Enforcement is
// central: the server calls Narrow for each operator request, which
// withholds such clients from the principal's scope (handlers' "not
// found" becomes a refusal naming the missing grant, see
// httpx.ConsentScope), from an in-memory view of settings and grants
// refreshed on every change. Revocation and expiry close the client's
// shells and cancel its queued jobs at once. The customers view lists
// the clients that granted access with their health at a glance.
package consent

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/steward-rmm/steward/server/auditlog"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// Store is the part of the store the wing uses.
type Store interface {
	store.ConsentStore
	Clients() ([]store.Client, error)
	Client(id string) (store.Client, error)
	ClientProfile(clientID string) (store.ClientProfile, error)
	// Audit reads the consent history (the events are written through
	// the audit log).
	Audit(q store.AuditQuery) ([]store.AuditEvent, error)
}

// Clients finds a client within a caller's scope (the devices wing).
type Clients interface {
	ResolveClient(p *httpx.Principal, ref string) (store.Client, bool)
}

// Shells closes the open shells of a client's devices (the shell wing).
type Shells interface {
	CloseForClient(clientID, reason string) int
}

// Jobs cancels the runs of a client's devices not yet sent (the jobs
// wing).
type Jobs interface {
	CancelQueuedForClient(clientID, reason string) (int, error)
}

// Config is the consent settings of the server.
type Config struct {
	// DefaultRequired makes new clients require consent.
	DefaultRequired bool
	// PublicURL is the server's URL, for the links of requests.
	PublicURL func() string
	// Sweep is how often ended grants are looked for (0 = 30 s); a grant
	// stops working at its end whatever this is, the sweep applies the
	// end's effects (shells, queued jobs).
	Sweep time.Duration
}

// Deps are what the consent wing is built from.
type Deps struct {
	Config  Config
	Store   Store
	Clients Clients
	Fleet   *fleet.Fleet
	// Shells and Jobs are optional (nil: revocation closes nothing).
	Shells Shells
	Jobs   Jobs
	Audit  auditlog.Writer
	Now    httpx.Clock
	Log    *slog.Logger
}

// Wing serves consent requests, grants and the customers view, and
// narrows operators' scopes.
type Wing struct {
	d Deps
	// mu guards the in-memory view below; lock order: a leaf.
	mu       sync.RWMutex
	required map[string]bool
	grants   map[string][]store.ConsentGrant // not revoked, per client
	ids      []string                        // every client, ID order
	names    map[string]string
	// effects serialises revocation and expiry effects.
	effects sync.Mutex
}

// New builds the consent wing and loads its view of the store.
func New(d Deps) *Wing {
	w := &Wing{d: d}
	if err := w.reload(); err != nil {
		d.Log.Error("consent: load", "err", err)
	}
	return w
}

// reload reads clients, settings and grants into the in-memory view.
func (w *Wing) reload() error {
	cs, err := w.d.Store.Clients()
	if err != nil {
		return err
	}
	ss, err := w.d.Store.ConsentSettings()
	if err != nil {
		return err
	}
	gs, err := w.d.Store.ConsentGrants(store.ConsentGrantQuery{})
	if err != nil {
		return err
	}
	req := map[string]bool{}
	for _, s := range ss {
		if s.Required {
			req[s.ClientID] = true
		}
	}
	byClient := map[string][]store.ConsentGrant{}
	for _, g := range gs {
		if g.RevokedAt.IsZero() {
			byClient[g.ClientID] = append(byClient[g.ClientID], g)
		}
	}
	ids := make([]string, 0, len(cs))
	names := make(map[string]string, len(cs))
	for _, c := range cs {
		ids = append(ids, c.ID)
		names[c.ID] = c.Name
	}
	slices.Sort(ids)
	w.mu.Lock()
	w.required, w.grants, w.ids, w.names = req, byClient, ids, names
	w.mu.Unlock()
	return nil
}

// refresh reloads the view after a change, logging a failure (the view
// then keeps the state before the change until the next reload).
func (w *Wing) refresh() {
	if err := w.reload(); err != nil {
		w.d.Log.Error("consent: reload", "err", err)
	}
}

// ClientCreated learns of a new client and applies the server default.
func (w *Wing) ClientCreated(p *httpx.Principal, id, name string) {
	if w.d.Config.DefaultRequired {
		s := store.ConsentSetting{ClientID: id, Required: true, UpdatedAt: w.d.Now().UTC(), UpdatedBy: "server default"}
		if err := w.d.Store.SetConsentRequired(s); err != nil {
			w.d.Log.Error("consent: default for a new client", "client", id, "err", err)
		} else {
			w.d.Audit.AuditP(p, "consent.setting", id, map[string]string{"client": id, "required": "true",
				"why": "server default for new clients"})
		}
	}
	w.refresh()
}

// Run applies the effects of grants that reached their end, and keeps
// the view's client list current, until ctx ends.
func (w *Wing) Run(ctx context.Context) error {
	every := w.d.Config.Sweep
	if every <= 0 {
		every = 30 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			w.refresh()
			w.sweep()
		}
	}
}
