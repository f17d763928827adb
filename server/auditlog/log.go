// Package auditlog writes the server's audit log: one event per remote
// action or change of who-can-do-what, appended to the store's hash
// chain, keyed with a key kept outside the database, each head also
// written to an anchor file meant to be shipped off the host. Every wing
// writes through a Writer; the audit routes (listing, verification) read
// through the Log.
package auditlog

import (
	"bufio"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// Writer is what a wing needs to audit its actions.
type Writer interface {
	// AuditP writes one event for an operator action.
	AuditP(p *httpx.Principal, action, target string, detail map[string]string)
	// Audit writes one event for an HTTP request by a non-operator
	// (agents, anonymous callers).
	Audit(r *http.Request, actor, action, target string, detail map[string]string)
	// AuditSystem writes one event the server does by itself.
	AuditSystem(action, target string, detail map[string]string)
	// Append writes an event whose actor and source the caller knows
	// (a shell's technician after the request ended, an agent's report).
	Append(e store.AuditEvent)
}

// Store is the part of the store the log reads and writes: the chain, and
// the records whose client an event concerns.
type Store interface {
	store.AuditStore
	Run(id string) (store.Run, error)
	Job(id string) (store.Job, error)
	User(id string) (store.User, error)
}

// Config says where the key and the anchor live.
type Config struct {
	DataDir string
	// KeyFile is the audit key ("" = DATA/audit.key).
	KeyFile string
	// Anchor is the anchor file ("" = DATA/audit-anchor.log).
	Anchor string
	// AnchorRotate is the anchor size at which it is rotated (0 = 8 MiB).
	AnchorRotate int64
	// TrustedProxies may set X-Forwarded-For.
	TrustedProxies []string
}

// Deps are what the log is built from.
type Deps struct {
	Store Store
	// DeviceClient returns the client of a device, if it is known.
	DeviceClient func(id string) (string, bool)
	Now          httpx.Clock
	Log          *slog.Logger
}

// Log is the audit log of one server.
type Log struct {
	cfg    Config
	d      Deps
	anchor *auditAnchor
}

// Open loads (or creates) the audit key, keys the store's chain with it
// and opens the anchor file, writing where the keyed chain starts.
func Open(cfg Config, d Deps) (*Log, error) {
	l := &Log{cfg: cfg, d: d}
	keyPath := cfg.KeyFile
	if keyPath == "" {
		keyPath = filepath.Join(cfg.DataDir, keyFile)
	}
	key, err := loadAuditKey(keyPath)
	if err != nil {
		return nil, err
	}
	from, err := d.Store.SetAuditKey(key)
	if err != nil {
		return nil, err
	}
	rotate := cfg.AnchorRotate
	if rotate <= 0 {
		rotate = defaultAnchorRotate
	}
	if l.anchor, err = openAuditAnchor(l.anchorPath(), rotate); err != nil {
		return nil, err
	}
	if err := l.anchor.write(fmt.Sprintf("steward-audit from=%d", from)); err != nil {
		l.anchor.close()
		return nil, err
	}
	return l, nil
}

// Close closes the anchor file; later events are stored but not anchored.
func (l *Log) Close() { l.anchor.close() }

// Audit writes one event for an HTTP request by a non-operator (agents,
// anonymous callers).
func (l *Log) Audit(r *http.Request, actor, action, target string, detail map[string]string) {
	l.append(store.AuditEvent{At: l.d.Now().UTC(), Actor: actor, Action: action, Target: target,
		Detail: detail, Source: httpx.ClientIP(r, l.cfg.TrustedProxies)})
}

// AuditP writes one event for an operator action.
func (l *Log) AuditP(p *httpx.Principal, action, target string, detail map[string]string) {
	l.append(store.AuditEvent{At: l.d.Now().UTC(), Actor: p.Name, Action: action, Target: target,
		Detail: detail, Source: p.Remote})
}

// AuditSystem writes one event the server does by itself.
func (l *Log) AuditSystem(action, target string, detail map[string]string) {
	l.append(store.AuditEvent{At: l.d.Now().UTC(), Actor: "system", Action: action, Target: target, Detail: detail,
		Source: "system"})
}

// Append writes an event whose actor and source the caller knows; the
// client is found from its target when not set.
func (l *Log) Append(e store.AuditEvent) { l.append(e) }

func (l *Log) append(e store.AuditEvent) {
	if e.Client == "" {
		e.Client = l.clientOf(&e)
	}
	e, err := l.d.Store.AppendAudit(e)
	if err != nil {
		l.d.Log.Error("audit append failed", "action", e.Action, "err", err)
		return
	}
	if err := l.anchor.write(fmt.Sprintf("steward-audit seq=%d mac=%s", e.Seq, e.MAC)); err != nil {
		l.d.Log.Error("audit anchor write failed", "seq", e.Seq, "err", err)
	}
}

// clientOf finds the client an event concerns: the "client" detail, or
// the client of its target, known by the target ID's prefix (c_ client,
// d_ device, r_ run, j_ job, u_ scoped user, and the client:ID and
// device:ID targets of agent updates). Events that concern no client
// return "".
func (l *Log) clientOf(e *store.AuditEvent) string {
	if c := e.Detail["client"]; c != "" {
		return c
	}
	target := e.Target
	if scope, id, ok := strings.Cut(target, ":"); ok {
		switch scope {
		case store.UpdateScopeClient:
			return id
		case store.UpdateScopeDevice:
			target = id
		default:
			return ""
		}
	}
	kind, _, _ := strings.Cut(target, "_")
	switch kind {
	case "c":
		return target
	case "d":
		if c, ok := l.d.DeviceClient(target); ok {
			return c
		}
	case "r":
		if r, err := l.d.Store.Run(target); err == nil {
			return r.ClientID
		}
	case "j":
		if j, err := l.d.Store.Job(target); err == nil {
			return strings.Join(j.Clients, ",")
		}
	case "u":
		if u, err := l.d.Store.User(target); err == nil && !u.AllClients {
			return strings.Join(u.Clients, ",")
		}
	}
	return ""
}

// Query lists stored events.
func (l *Log) Query(q store.AuditQuery) ([]store.AuditEvent, error) { return l.d.Store.Audit(q) }

// Verify checks the chain in the store against the anchors.
func (l *Log) Verify() (int, error) {
	anchors, err := l.readAnchors()
	if err != nil {
		var br *store.AuditBreak
		if errors.As(err, &br) {
			return 0, err
		}
		return 0, &store.AuditBreak{Seq: 1, Reason: err.Error()}
	}
	return l.d.Store.VerifyAudit(anchors)
}

// readAnchors loads every anchor file of this server.
func (l *Log) readAnchors() (store.AuditAnchors, error) {
	return readAnchorFiles(l.anchorPath())
}

func readAnchorFiles(path string) (store.AuditAnchors, error) {
	var a store.AuditAnchors
	files := anchorFiles(path)
	if len(files) == 0 {
		return a, errors.New("the audit anchor file is missing")
	}
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return a, fmt.Errorf("audit anchor: %w", err)
		}
		sc := bufio.NewScanner(f)
		err = ParseAuditAnchors(sc, &a)
		f.Close()
		if err != nil {
			return a, err
		}
	}
	return a, nil
}

func (l *Log) anchorPath() string {
	if l.cfg.Anchor != "" {
		return l.cfg.Anchor
	}
	return filepath.Join(l.cfg.DataDir, anchorFile)
}
