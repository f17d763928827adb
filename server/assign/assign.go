// Package assign is the profile assignment the alerts and automation
// wings share: each assigns its own kind of profile to everything, a
// client, a client's folder or a device (store.ProfileAssignment), and
// the profile in force on a device is the one assigned at its narrowest
// level. This package resolves that, validates an api.AssignRequest
// against the caller's scope, converts assignments for the API and
// resolves the owner client of a new profile; the wings keep their
// profiles, storage and messages about their profiles.
package assign

import (
	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// MaxDevices is how many devices one device-level request may name.
const MaxDevices = 50000

// Key is an assignment's target as a map key: it costs no allocation to
// build, as it is looked up for every device at every evaluation.
type Key struct{ Level, Client, Folder, Device string }

// KeyOf returns the target of a.
func KeyOf(a *store.ProfileAssignment) Key {
	k := Key{Level: a.Level}
	switch a.Level {
	case store.LevelClient:
		k.Client = a.ClientID
	case store.LevelFolder:
		k.Client, k.Folder = a.ClientID, a.Folder
	case store.LevelDevice:
		k.Device = a.DeviceID
	}
	return k
}

// Table holds assignments by target, one per target.
type Table map[Key]store.ProfileAssignment

// NewTable builds a table of as (a later assignment of a target replaces
// an earlier one).
func NewTable(as []store.ProfileAssignment) Table {
	t := make(Table, len(as))
	for _, a := range as {
		t[KeyOf(&a)] = a
	}
	return t
}

// Resolve finds the profile in force on a device of clientID in folder
// ("" = none): the one assigned at its narrowest level (the device, its
// folder, its client, everything) that profiles holds. An assignment of
// a profile profiles does not hold is passed over. With none, it returns
// nil and a zero assignment.
func Resolve[P any](t Table, profiles map[string]*P, deviceID, clientID, folder string) (*P, store.ProfileAssignment) {
	keys := [4]Key{{Level: store.LevelDevice, Device: deviceID}, {Level: store.LevelFolder, Client: clientID, Folder: folder},
		{Level: store.LevelClient, Client: clientID}, {Level: store.LevelDefault}}
	for i, k := range keys {
		if i == 1 && folder == "" {
			continue
		}
		if a, ok := t[k]; ok {
			if p := profiles[a.ProfileID]; p != nil {
				return p, a
			}
		}
	}
	return nil, store.ProfileAssignment{}
}

// Scope finds devices and clients within a caller's scope.
type Scope interface {
	Device(p *httpx.Principal, id string) (fleet.View, bool)
	ResolveClient(p *httpx.Principal, ref string) (store.Client, bool)
}

// Targets validates the level and target of req against p's scope and
// returns the assignments to write (without profile, author and time), a
// device-level request's in the order given. what names the kind of
// profile in messages ("profile", "automation profile"). When req is
// refused it returns an HTTP status and message instead.
func Targets(p *httpx.Principal, sc Scope, req *api.AssignRequest, what string) (targets []store.ProfileAssignment, code int, msg string) {
	switch req.Level {
	case store.LevelDefault:
		if !p.AllClients {
			return nil, 403, "only a user with access to every client can assign the default " + what
		}
		targets = append(targets, store.ProfileAssignment{Level: store.LevelDefault})
	case store.LevelClient, store.LevelFolder:
		cl, ok := sc.ResolveClient(p, req.Client)
		if !ok {
			return nil, 404, "client not found"
		}
		a := store.ProfileAssignment{Level: req.Level, ClientID: cl.ID}
		if req.Level == store.LevelFolder {
			f, err := httpx.CleanName("folder", req.Folder, 100)
			if err != nil {
				return nil, 400, err.Error()
			}
			a.Folder = f
		}
		targets = append(targets, a)
	case store.LevelDevice:
		ids := req.Devices
		if req.Device != "" {
			ids = append([]string{req.Device}, ids...)
		}
		if len(ids) == 0 || len(ids) > MaxDevices {
			return nil, 400, "give device or devices (at most 50000)"
		}
		for _, id := range ids {
			v, ok := sc.Device(p, id)
			if !ok {
				return nil, 404, "device not found"
			}
			targets = append(targets, store.ProfileAssignment{Level: store.LevelDevice, ClientID: v.Client, DeviceID: v.ID})
		}
	default:
		return nil, 400, "level must be default, client, folder or device"
	}
	return targets, 0, ""
}

// Unique drops the repeats of a target from targets, keeping the first.
func Unique(targets []store.ProfileAssignment) []store.ProfileAssignment {
	seen := map[Key]bool{}
	out := targets[:0]
	for _, t := range targets {
		if k := KeyOf(&t); !seen[k] {
			seen[k] = true
			out = append(out, t)
		}
	}
	return out
}

// Foreign reports whether a target lies outside the client owner of a
// one-client profile (owner "" = a global profile, which fits all).
func Foreign(targets []store.ProfileAssignment, owner string) bool {
	for _, t := range targets {
		if owner != "" && t.ClientID != owner {
			return true
		}
	}
	return false
}

// ToAPI converts an assignment, naming its client from clients (ID ->
// name) and its profile by profileName.
func ToAPI(a *store.ProfileAssignment, clients map[string]string, profileName func(id string) string) api.Assignment {
	return api.Assignment{Level: a.Level, ClientID: a.ClientID, ClientName: clients[a.ClientID], Folder: a.Folder,
		DeviceID: a.DeviceID, ProfileID: a.ProfileID, ProfileName: profileName(a.ProfileID), By: a.By, At: a.At}
}

// Visible converts the assignments p may see: the default one and those
// of p's clients.
func Visible(p *httpx.Principal, as []store.ProfileAssignment, clients map[string]string, profileName func(id string) string) []api.Assignment {
	out := []api.Assignment{}
	for i := range as {
		if as[i].Level == store.LevelDefault || p.CanSeeClient(as[i].ClientID) {
			out = append(out, ToAPI(&as[i], clients, profileName))
		}
	}
	return out
}

// Owner resolves the client a new profile belongs to: the client ref
// names within p's scope, or none ("", a global profile) when ref is ""
// and p has access to every client. A caller of some clients who gives
// none is refused with 403 and refusal.
func Owner(p *httpx.Principal, sc Scope, ref, refusal string) (owner string, code int, msg string) {
	if ref == "" {
		if !p.AllClients {
			return "", 403, refusal
		}
		return "", 0, ""
	}
	cl, ok := sc.ResolveClient(p, ref)
	if !ok {
		return "", 404, "client not found"
	}
	return cl.ID, 0, ""
}
