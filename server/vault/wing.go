// Package vault is the wing for the password vault: per-client entries
// (name, login URL, username, and a password and notes sealed with an
// AEAD under the client's data key, itself wrapped by a master key kept
// outside the database), listed and searched without their secrets, and
// revealed or copied one at a time by separate, permissioned, audited,
// rate-limited requests that need a fresh second factor. crypto.go has
// the format, keyfile.go the master key's file rules, rotate.go the
// master-key rotation.
package vault

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/steward-rmm/steward/server/auditlog"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// Store is the part of the store the wing uses.
type Store interface {
	store.VaultStore
	Clients() ([]store.Client, error)
}

// Clients resolves a client by ID or name within the caller's scope.
type Clients interface {
	ResolveClient(p *httpx.Principal, ref string) (store.Client, bool)
}

// Alerts is told when a user reveals more entries in an hour than
// Config.BurstPerHour (the alerts wing, once wired; nil = the audit event
// "vault.reveal_burst" alone).
type Alerts interface {
	VaultRevealBurst(user, clientID string, entries int, at time.Time)
}

// Config is the vault's configuration.
type Config struct {
	// Master wraps the data keys; nil leaves the vault unconfigured and
	// its routes answer 503 with Unconfigured as the reason.
	Master       *MasterKey
	Unconfigured string
	// RevealsPerMinute bounds each user's reveals and copies per minute
	// (0 = 10); BurstPerHour is how many distinct entries a user may
	// reveal in an hour before it is reported (0 = 20).
	RevealsPerMinute int
	BurstPerHour     int
	// RequireReason makes every reveal and copy state a reason.
	RequireReason bool
	// HideAfter is how long the dashboard shows a revealed secret (0 = 20 s).
	HideAfter time.Duration
}

// Deps are what the vault wing is built from.
type Deps struct {
	Config
	Store   Store
	Clients Clients
	Audit   auditlog.Writer
	Alerts  Alerts // optional
	Now     httpx.Clock
	Log     *slog.Logger
}

// Wing serves the password vault.
type Wing struct {
	d        Deps
	disabled string // why the vault is off ("" = on)
	keyMu    sync.Mutex
	limits   *limiter
}

// New builds the vault wing. A master key that did not wrap the stored
// data keys leaves the vault off, saying so, rather than failing every
// reveal later.
func New(d Deps) *Wing {
	if d.RevealsPerMinute <= 0 {
		d.RevealsPerMinute = 10
	}
	if d.BurstPerHour <= 0 {
		d.BurstPerHour = 20
	}
	if d.HideAfter <= 0 {
		d.HideAfter = 20 * time.Second
	}
	w := &Wing{d: d, limits: newLimiter(d.RevealsPerMinute, d.BurstPerHour)}
	switch {
	case d.Master == nil:
		w.disabled = d.Unconfigured
		if w.disabled == "" {
			w.disabled = "no master key: start the server with --vault-key-file FILE or STEWARD_VAULT_KEY"
		}
	default:
		if err := w.checkMaster(); err != nil {
			w.disabled = err.Error()
			if d.Log != nil {
				d.Log.Error("password vault disabled", "err", err)
			}
		}
	}
	return w
}

// checkMaster verifies that the master key is the one every stored data
// key was wrapped with.
func (vw *Wing) checkMaster() error {
	ks, err := vw.d.Store.VaultKeys()
	if err != nil {
		return fmt.Errorf("reading the vault keys: %w", err)
	}
	for _, k := range ks {
		if k.MasterID != vw.d.Master.ID {
			return fmt.Errorf("the master key given (ID %s) is not the one the data keys were wrapped with (ID %s): give that key, or rotate from it with `steward-server vault rotate-key`", vw.d.Master.ID, k.MasterID)
		}
	}
	return nil
}

// Configured reports whether the vault is usable, and why not.
func (vw *Wing) Configured() (bool, string) { return vw.disabled == "", vw.disabled }

// Routes lists the wing's routes.
func (vw *Wing) Routes() []httpx.Route {
	return []httpx.Route{
		httpx.R("GET", "/api/v1/vault", httpx.NeedPerm(httpx.PermVaultRead), vw.on(vw.search)),
		httpx.R("GET", "/api/v1/clients/{client}/vault", httpx.NeedPerm(httpx.PermVaultRead), vw.on(vw.list)),
		httpx.R("POST", "/api/v1/clients/{client}/vault", httpx.NeedPerm(httpx.PermVaultWrite), vw.on(vw.create)),
		httpx.R("GET", "/api/v1/clients/{client}/vault-settings", httpx.NeedPerm(httpx.PermVaultRead), vw.settings),
		httpx.R("PUT", "/api/v1/clients/{client}/vault-settings", httpx.NeedPerm(httpx.PermUsers), vw.putSettings),
		httpx.R("GET", "/api/v1/vault/{vault}", httpx.NeedPerm(httpx.PermVaultRead), vw.on(vw.show)),
		httpx.R("PUT", "/api/v1/vault/{vault}", httpx.NeedPerm(httpx.PermVaultWrite), vw.on(vw.update)),
		httpx.R("DELETE", "/api/v1/vault/{vault}", httpx.NeedPerm(httpx.PermVaultWrite), vw.on(vw.remove)),
		httpx.R("POST", "/api/v1/vault/{vault}/reveal", httpx.NeedFresh(httpx.PermVaultReveal), vw.on(vw.reveal)),
		httpx.R("POST", "/api/v1/vault/{vault}/copy", httpx.NeedFresh(httpx.PermVaultReveal), vw.on(vw.copy)),
	}
}

// on answers 503 while the vault has no usable master key.
func (vw *Wing) on(h httpx.Handler) httpx.Handler {
	return func(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
		if vw.disabled != "" {
			httpx.WriteError(w, http.StatusServiceUnavailable, "vault is not configured: "+vw.disabled)
			return
		}
		h(w, r, p)
	}
}

// dataKey returns a client's data key, making it on the client's first
// entry (create).
func (vw *Wing) dataKey(clientID string, create bool) ([]byte, error) {
	k, err := vw.d.Store.VaultKey(clientID)
	if errors.Is(err, store.ErrNotFound) && create {
		vw.keyMu.Lock()
		defer vw.keyMu.Unlock()
		if k, err = vw.d.Store.VaultKey(clientID); errors.Is(err, store.ErrNotFound) {
			return vw.newKey(clientID)
		}
	}
	if err != nil {
		return nil, err
	}
	return vw.d.Master.unwrap(clientID, k.Wrapped)
}

// newKey makes and stores a client's data key (under keyMu).
func (vw *Wing) newKey(clientID string) ([]byte, error) {
	dk, err := newDataKey()
	if err != nil {
		return nil, err
	}
	wrapped, err := vw.d.Master.wrap(clientID, dk)
	if err != nil {
		return nil, err
	}
	err = vw.d.Store.CreateVaultKey(store.VaultKey{ClientID: clientID, MasterID: vw.d.Master.ID, Wrapped: wrapped, CreatedAt: vw.d.Now().UTC()})
	if errors.Is(err, store.ErrExists) {
		// Another server process made it meanwhile: use that one.
		k, err := vw.d.Store.VaultKey(clientID)
		if err != nil {
			return nil, err
		}
		return vw.d.Master.unwrap(clientID, k.Wrapped)
	}
	if err != nil {
		return nil, err
	}
	return dk, nil
}
