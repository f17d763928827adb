// Package helpdesk is the wing for the help desk: one search box across
// every client the caller may see (clients by name, ID or domain;
// contacts by name, ID, e-mail, phone in any common form, SIP address;
// devices by name, MAC in any form, IP, serial or ID), and verifying a
// caller with a one-time code e-mailed to the contact.
//
// Clients and contacts are searched through the store's search index
// (store.HelpdeskStore), which the store keeps in the same commits as
// the records, so an edit is never found stale; devices through the
// live in-memory fleet, whose keys come from each device's latest
// inventory.
package helpdesk

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/steward-rmm/steward/server/auditlog"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/mail"
	"github.com/steward-rmm/steward/server/store"
)

// Store is the part of the store the wing uses.
type Store interface {
	store.HelpdeskStore
	Client(id string) (store.Client, error)
	ClientProfile(clientID string) (store.ClientProfile, error)
	Contact(id string) (store.Contact, error)
}

// Mailer sends e-mail (server/mail's Sender: the notifications' SMTP).
type Mailer interface {
	Configured() bool
	Send(ctx context.Context, msg mail.Message) error
}

// Config tunes the wing.
type Config struct {
	// DefaultPhoneRegion is the country (ISO 3166, e.g. US) of phone
	// numbers typed without a country code; "" = US.
	DefaultPhoneRegion string
	// CodeTTL is how long a caller code is valid (0: 10 minutes).
	CodeTTL time.Duration
	// MaxAttempts is how many codes may be tried against one sent code
	// (0: 5).
	MaxAttempts int
	// SendsPerWindow codes may be sent to one contact per SendWindow
	// (0: 3 per 15 minutes).
	SendsPerWindow int
	SendWindow     time.Duration
}

// Deps are what the wing is built from.
type Deps struct {
	Config Config
	Store  Store
	Fleet  *fleet.Fleet
	// Mail is optional: nil or unconfigured refuses verification (503).
	Mail  Mailer
	Audit auditlog.Writer
	Now   httpx.Clock
	Log   *slog.Logger
}

// Wing serves the help desk.
type Wing struct {
	d      Deps
	region string

	mu    sync.Mutex
	sends map[string][]time.Time // contact ID -> recent sends
}

// New builds the help-desk wing.
func New(d Deps) *Wing {
	c := &d.Config
	if c.CodeTTL <= 0 {
		c.CodeTTL = 10 * time.Minute
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 5
	}
	if c.SendsPerWindow <= 0 {
		c.SendsPerWindow = 3
	}
	if c.SendWindow <= 0 {
		c.SendWindow = 15 * time.Minute
	}
	region := c.DefaultPhoneRegion
	if region == "" {
		region = "US"
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	return &Wing{d: d, region: region, sends: map[string][]time.Time{}}
}

// Routes lists the wing's routes.
func (w *Wing) Routes() []httpx.Route {
	hd := httpx.NeedPerm(httpx.PermHelpdesk)
	return []httpx.Route{
		httpx.R("GET", "/api/v1/search", hd, w.apiSearch),
		httpx.R("POST", "/api/v1/contacts/{contact}/verify", hd, w.apiSendCode),
		httpx.R("POST", "/api/v1/contacts/{contact}/verify/check", hd, w.apiCheckCode),
		httpx.R("GET", "/api/v1/devices/{id}/sip", httpx.NeedPerm(httpx.PermView), w.apiDeviceSIP),
		httpx.R("PUT", "/api/v1/devices/{id}/sip", httpx.NeedPerm(httpx.PermClients), w.apiSetDeviceSIP),
	}
}
