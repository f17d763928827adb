// Package clients is the wing for the client workspace: the clients list
// (ranking, device counts, search), creating clients, a client's page
// (overview fields, custom fields, the pinned fields shown above every
// tab), and the client's contacts with their CSV import and export.
// Device lookups come from the in-memory fleet; the device table of a
// client is the devices wing's.
package clients

import (
	"fmt"
	"log/slog"
	"sync"

	"github.com/nyaruka/phonenumbers"

	"github.com/steward-rmm/steward/server/auditlog"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// Store is the part of the store the wing uses.
type Store interface {
	store.ClientStore
	store.ClientPageStore
}

// Alerts counts open alerts per client by severity, for the clients list.
// The alerts wing provides it once it exists; nil leaves the column out.
type Alerts interface {
	// OpenAlertsBySeverity returns, for each of the clients (nil = all),
	// its open alerts counted by severity name.
	OpenAlertsBySeverity(clients []string) map[string]map[string]int
}

// Consent learns of new clients, to apply the server's "require
// consent" default (the consent wing); nil leaves new clients as they are.
type Consent interface {
	ClientCreated(p *httpx.Principal, id, name string)
}

// Config is the client page's settings.
type Config struct {
	// DefaultPhoneRegion is the region (ISO 3166 code, e.g. US or GB) of
	// phone numbers entered without a country code.
	DefaultPhoneRegion string
}

// Deps are what the clients wing is built from.
type Deps struct {
	Config Config
	Store  Store
	Fleet  *fleet.Fleet
	// Alerts is optional (nil = no open alerts on the clients list).
	Alerts Alerts
	Audit  auditlog.Writer
	Now    httpx.Clock
	Log    *slog.Logger
	// Consent is optional (nil: no consent default applied).
	Consent Consent
}

// Wing serves clients, their pages and their contacts.
type Wing struct {
	region  string
	st      Store
	fleet   *fleet.Fleet
	alerts  Alerts
	alog    auditlog.Writer
	now     httpx.Clock
	log     *slog.Logger
	consent Consent
	// zmu guards zones, the clients' time zones (zones.go).
	zmu   sync.Mutex
	zones map[string]string
}

// New builds the clients wing.
func New(d Deps) *Wing {
	region := d.Config.DefaultPhoneRegion
	if region == "" {
		region = "US"
	}
	return &Wing{region: region, st: d.Store, fleet: d.Fleet, alerts: d.Alerts, alog: d.Audit, now: d.Now, log: d.Log,
		consent: d.Consent}
}

// Routes lists the wing's routes.
func (s *Wing) Routes() []httpx.Route {
	perm := httpx.NeedPerm
	ownRecords := httpx.Policy{Perm: httpx.PermView, NoConsent: true}
	return []httpx.Route{
		// The MSP's own records of its customers stay visible when a
		// client requires consent (its page is where access is asked for).
		httpx.R("GET", "/api/v1/clients", ownRecords, s.apiClients),
		httpx.R("POST", "/api/v1/clients", perm(httpx.PermClients), s.apiCreateClient),
		httpx.R("GET", "/api/v1/clients/{id}", ownRecords, s.apiClientPage),
		httpx.R("PATCH", "/api/v1/clients/{id}", perm(httpx.PermClients), s.apiUpdateClient),
		httpx.R("GET", "/api/v1/client-fields", perm(httpx.PermView), s.apiFields),
		httpx.R("POST", "/api/v1/client-fields", perm(httpx.PermAdmin), s.apiCreateField),
		httpx.R("PUT", "/api/v1/client-fields/{field}", perm(httpx.PermAdmin), s.apiUpdateField),
		httpx.R("DELETE", "/api/v1/client-fields/{field}", perm(httpx.PermAdmin), s.apiDeleteField),
		httpx.R("GET", "/api/v1/client-pinned", perm(httpx.PermView), s.apiPinned),
		httpx.R("PUT", "/api/v1/client-pinned", perm(httpx.PermAdmin), s.apiSetPinned),
		httpx.R("GET", "/api/v1/clients/{id}/contacts", ownRecords, s.apiContacts),
		httpx.R("POST", "/api/v1/clients/{id}/contacts", perm(httpx.PermClients), s.apiCreateContact),
		httpx.R("GET", "/api/v1/clients/{id}/contacts/{contact}", ownRecords, s.apiContact),
		httpx.R("PATCH", "/api/v1/clients/{id}/contacts/{contact}", perm(httpx.PermClients), s.apiUpdateContact),
		httpx.R("POST", "/api/v1/clients/{id}/contacts/import/preview", perm(httpx.PermClients), s.apiImportPreview),
		httpx.R("POST", "/api/v1/clients/{id}/contacts/import", perm(httpx.PermClients), s.apiImport),
	}
}

// CheckRegion validates a default phone region ("" means US): the server
// refuses to start with one the phone number library does not know.
func CheckRegion(region string) error {
	if region == "" {
		return nil
	}
	if !phonenumbers.GetSupportedRegions()[region] {
		return fmt.Errorf("default phone region %q is not a region code like US, GB or DE", region)
	}
	return nil
}
