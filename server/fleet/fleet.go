// Package fleet keeps every device's state in memory: availability, last
// seen, heartbeat figures and a search index over names, addresses and MACs.
// The device list is served from here, so filtering and sorting 20,000
// devices needs no storage transaction, and heartbeats cost none: changed
// devices are written to the store in batches by Flush.
package fleet

import (
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/events"
	"github.com/steward-rmm/steward/server/store"
)

// View is what the API shows of a device.
type View struct {
	ID              string             `json:"id"`
	Hostname        string             `json:"hostname"`
	Online          bool               `json:"online"`
	LastSeen        time.Time          `json:"last_seen,omitzero"`
	OfflineSince    time.Time          `json:"offline_since,omitzero"`
	Client          string             `json:"client"`
	ClientName      string             `json:"client_name,omitempty"`
	Group           string             `json:"group,omitempty"`
	OS              string             `json:"os"`
	Platform        string             `json:"platform,omitempty"`
	OSVersion       string             `json:"os_version,omitempty"`
	Arch            string             `json:"arch,omitempty"`
	DeviceType      string             `json:"device_type"` // pc, server, mac, linux
	AgentVersion    string             `json:"agent_version,omitempty"`
	PendingReboot   bool               `json:"pending_reboot"`
	PatchesAvail    int                `json:"patches_available"`
	SecurityPatches int                `json:"security_patches"`
	LastUser        string             `json:"last_user,omitempty"`
	LastUserAt      time.Time          `json:"last_user_at,omitzero"`
	IPs             []string           `json:"ips,omitempty"`
	MACs            []string           `json:"macs,omitempty"`
	EnrolledAt      time.Time          `json:"enrolled_at"`
	BootTime        time.Time          `json:"boot_time,omitzero"`
	Heartbeat       protocol.Heartbeat `json:"heartbeat"`
	Transitions     []store.Transition `json:"transitions,omitempty"`
	// Approval is "pending" until a technician approves the device (it
	// then receives jobs), else "approved".
	Approval    string `json:"approval"`
	DuplicateOf string `json:"duplicate_of,omitempty"`
	// DuplicateElsewhere is set instead of DuplicateOf when the device it
	// duplicates belongs to a client the caller cannot see.
	DuplicateElsewhere bool      `json:"duplicate_other_client,omitempty"`
	MachineID          string    `json:"machine_id,omitempty"`
	ApprovedBy         string    `json:"approved_by,omitempty"`
	ApprovedAt         time.Time `json:"approved_at,omitzero"`
	// Retired is set while the device is retired (see Fleet.SetRetired).
	Retired   bool      `json:"retired,omitempty"`
	RetiredBy string    `json:"retired_by,omitempty"`
	RetiredAt time.Time `json:"retired_at,omitzero"`
	// Alerts counts the device's unresolved alerts by severity.
	Alerts AlertCounts `json:"alerts"`
}

// Approval states of a device (View.Approval).
const (
	ApprovalPending  = "pending"
	ApprovalApproved = "approved"
)

type entry struct {
	d      store.Device
	online bool
	// search index, all lower case; MACs without separators
	name       string
	ips        []string
	macs       []string
	serial     string // from the inventory, as reported
	platform   string
	osVersion  string
	server     bool
	lastUser   string
	lastUserAt time.Time
	// hbUserAt is when the heartbeat's signed-in user last changed: the
	// last login's time for agents whose health report names no user.
	hbUserAt time.Time
	alerts   AlertCounts
	// invHash and healthHash are the content hashes of the stored
	// inventory and health report: the welcome tells a reconnecting agent
	// what the server has without a storage read per connection.
	invHash, healthHash string
	// timeZone is the IANA zone the inventory reports ("" = unknown), for
	// schedules read in the device's zone.
	timeZone string
}

// Fleet is the in-memory device registry.
type Fleet struct {
	// mu guards everything below. Lock order: events.Bus.mu may be taken
	// under it (device events are published while it is held); no other
	// lock is, and the store is written after it is released.
	mu    sync.RWMutex
	devs  map[string]*entry
	dirty map[string]struct{}
	// seen holds devices whose only change is a heartbeat (last seen, live
	// figures): written by FlushAll, on a slower cadence, since rewriting
	// 5,000 device records every 15 s for their last-seen time was most of
	// an idle server's store work.
	seen    map[string]struct{}
	clients map[string]string // id -> name
	st      store.Store
	bus     *events.Bus
	now     func() time.Time
}

// New loads every device from the store. Devices start offline: nothing is
// connected to a server that has just started.
func New(st store.Store, bus *events.Bus) (*Fleet, error) {
	f := &Fleet{devs: map[string]*entry{}, dirty: map[string]struct{}{}, seen: map[string]struct{}{}, clients: map[string]string{},
		st: st, bus: bus, now: time.Now}
	ds, err := st.Devices()
	if err != nil {
		return nil, err
	}
	for _, d := range ds {
		e := &entry{d: d, name: strings.ToLower(d.Hostname)}
		f.devs[d.ID] = e
	}
	invs, err := st.Inventories()
	if err != nil {
		return nil, err
	}
	for i := range invs {
		if e := f.devs[invs[i].DeviceID]; e != nil {
			inv, err := DecodeInventory(invs[i])
			if err != nil {
				return nil, err
			}
			e.index(&inv)
			e.invHash = invs[i].Hash
		}
	}
	err = eachHealth(st, func(rec *store.Health, h *protocol.Health) error {
		if e := f.devs[rec.DeviceID]; e != nil {
			e.lastUser, e.lastUserAt = h.LastUser, h.LastUserAt
			e.healthHash = rec.Hash
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	cs, err := st.Clients()
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		f.clients[c.ID] = c.Name
	}
	return f, nil
}

// NormalizeMAC lower-cases a MAC and drops ':', '-' and '.' separators.
func NormalizeMAC(s string) string {
	return strings.ToLower(strings.NewReplacer(":", "", "-", "", ".", "").Replace(s))
}

func (e *entry) index(inv *protocol.Inventory) {
	e.ips, e.macs = e.ips[:0], e.macs[:0]
	for _, ifc := range inv.Interfaces {
		if ifc.MAC != "" {
			e.macs = append(e.macs, NormalizeMAC(ifc.MAC))
		}
		for _, a := range ifc.Addresses {
			if ip, _, err := net.ParseCIDR(a); err == nil {
				if !ip.IsLoopback() {
					e.ips = append(e.ips, ip.String())
				}
			} else if ip := net.ParseIP(a); ip != nil && !ip.IsLoopback() {
				e.ips = append(e.ips, ip.String())
			}
		}
	}
	e.platform, e.osVersion, e.server = inv.Platform, inv.OSVersion, inv.Server
	e.serial = strings.TrimSpace(inv.Serial)
	e.timeZone = inv.TimeZone
	if inv.Hostname != "" {
		e.d.Hostname = inv.Hostname
		e.name = strings.ToLower(inv.Hostname)
	}
}

// SetClientName records a client's name for views.
func (f *Fleet) SetClientName(id, name string) {
	f.mu.Lock()
	f.clients[id] = name
	f.mu.Unlock()
}

// Add registers a newly enrolled device.
func (f *Fleet) Add(d store.Device) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.devs[d.ID]; !ok {
		f.devs[d.ID] = &entry{d: d, name: strings.ToLower(d.Hostname)}
		f.bus.Publish(events.Event{Type: "device", ID: d.ID, ClientID: d.ClientID, State: "enrolled"})
	}
}

// Pending reports whether nothing may be sent to a device: it waits for
// approval or is retired. Unknown devices count as pending: nothing is
// sent to them either.
func (f *Fleet) Pending(id string) bool {
	f.mu.RLock()
	defer f.mu.RUnlock()
	e, ok := f.devs[id]
	return !ok || e.d.Pending || e.d.Retired
}

// Retired reports whether a device is retired.
func (f *Fleet) Retired(id string) bool {
	f.mu.RLock()
	defer f.mu.RUnlock()
	e, ok := f.devs[id]
	return ok && e.d.Retired
}

// SetRetired records a retirement or restore in memory (the caller has
// written it to the store) and reports whether the device exists.
func (f *Fleet) SetRetired(id string, retired bool, by string, at time.Time) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.devs[id]
	if !ok {
		return false
	}
	e.d.Retired, e.d.RetiredBy, e.d.RetiredAt = retired, by, at
	f.dirty[id] = struct{}{}
	state := "restored"
	if retired {
		state = "retired"
	}
	f.bus.Publish(events.Event{Type: "device", ID: id, ClientID: e.d.ClientID, State: state})
	return true
}

// Move gives a device to another client and folder in memory (the caller
// has written it to the store) and reports whether the device exists.
func (f *Fleet) Move(id, clientID, group string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.devs[id]
	if !ok {
		return false
	}
	old := e.d.ClientID
	e.d.ClientID, e.d.Group = clientID, group
	f.dirty[id] = struct{}{}
	// Both clients' watchers hear of it: one loses the device, one gains it.
	f.bus.Publish(events.Event{Type: "device", ID: id, ClientID: old, State: "moved"})
	f.bus.Publish(events.Event{Type: "device", ID: id, ClientID: clientID, State: "moved"})
	return true
}

// Active counts devices that are not retired (the device limit's count).
func (f *Fleet) Active() int {
	f.mu.RLock()
	defer f.mu.RUnlock()
	n := 0
	for _, e := range f.devs {
		if !e.d.Retired {
			n++
		}
	}
	return n
}

// Approve clears a device's pending state in memory (the caller has
// written it to the store) and reports whether the device exists.
func (f *Fleet) Approve(id, by string, at time.Time) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.devs[id]
	if !ok {
		return false
	}
	e.d.Pending, e.d.ApprovedBy, e.d.ApprovedAt = false, by, at
	f.dirty[id] = struct{}{}
	f.bus.Publish(events.Event{Type: "device", ID: id, ClientID: e.d.ClientID, State: "approved"})
	return true
}

// Remove forgets a device.
func (f *Fleet) Remove(id string) {
	f.mu.Lock()
	delete(f.devs, id)
	delete(f.dirty, id)
	delete(f.seen, id)
	f.mu.Unlock()
}

// Device returns a device's stored record and whether it is online.
func (f *Fleet) Device(id string) (store.Device, bool, bool) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	e, ok := f.devs[id]
	if !ok {
		return store.Device{}, false, false
	}
	return e.d, e.online, true
}

// View returns one device's view.
func (f *Fleet) View(id string) (View, bool) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	e, ok := f.devs[id]
	if !ok {
		return View{}, false
	}
	return f.view(e, true), true
}

// Device types (View.DeviceType). TypePC is a workstation; the filter
// also takes "workstation" for it. The monitor types (a TCP port or a web
// address watched without an agent) are listed for the monitors the
// alerts work adds; no agent device has them.
const (
	TypePC      = "pc"
	TypeServer  = "server"
	TypeMac     = "mac"
	TypeLinux   = "linux"
	TypeTCP     = "tcp"
	TypeHTTP    = "http"
	workstation = "workstation"
)

// DeviceTypes are the values a device-type filter accepts.
var DeviceTypes = []string{TypePC, workstation, TypeServer, TypeMac, TypeLinux, TypeTCP, TypeHTTP}

// NormalizeType maps a filter's device type to the one views carry.
func NormalizeType(t string) string {
	if strings.EqualFold(t, workstation) {
		return TypePC
	}
	return strings.ToLower(t)
}

// deviceType classifies a device from its inventory: Windows server
// editions (the inventory's server flag, or "Server" in the product
// name) are servers, other Windows machines workstations.
func deviceType(e *entry) string {
	switch e.d.OS {
	case "darwin":
		return TypeMac
	case "windows":
		if e.server || strings.Contains(strings.ToLower(e.platform), "server") {
			return TypeServer
		}
		return TypePC
	default:
		if e.server {
			return TypeServer
		}
		return TypeLinux
	}
}

func (f *Fleet) view(e *entry, full bool) View {
	v := View{ID: e.d.ID, Hostname: e.d.Hostname, Online: e.online, LastSeen: e.d.LastSeen,
		OfflineSince: e.d.OfflineSince, Client: e.d.ClientID, ClientName: f.clients[e.d.ClientID], Group: e.d.Group,
		OS: e.d.OS, Platform: e.platform, OSVersion: e.osVersion, Arch: e.d.Arch, DeviceType: deviceType(e),
		AgentVersion: e.d.AgentVersion, PendingReboot: e.d.Heartbeat.PendingReboot,
		PatchesAvail: e.d.Heartbeat.PatchCount, SecurityPatches: e.d.Heartbeat.SecurityPatches,
		LastUser: e.lastUser, LastUserAt: e.lastUserAt, IPs: e.ips, MACs: e.macs, EnrolledAt: e.d.EnrolledAt,
		BootTime: e.d.BootTime, Heartbeat: protocol.Heartbeat(e.d.Heartbeat), Approval: ApprovalApproved, DuplicateOf: e.d.DuplicateOf,
		MachineID: e.d.MachineID, ApprovedBy: e.d.ApprovedBy, ApprovedAt: e.d.ApprovedAt, Alerts: e.alerts}
	if e.d.Pending {
		v.Approval = ApprovalPending
	}
	v.Retired, v.RetiredBy, v.RetiredAt = e.d.Retired, e.d.RetiredBy, e.d.RetiredAt
	if v.LastUser == "" {
		v.LastUser, v.LastUserAt = e.d.Heartbeat.User, e.hbUserAt
	}
	if full {
		v.Transitions = e.d.Transitions
	}
	return v
}

func (f *Fleet) transition(e *entry, online bool, at time.Time, reason string) {
	e.online = online
	e.d.Transitions = append(e.d.Transitions, store.Transition{Online: online, At: at, Reason: reason})
	if n := len(e.d.Transitions); n > store.MaxTransitions {
		e.d.Transitions = slices.Clone(e.d.Transitions[n-store.MaxTransitions:])
	}
	if !online {
		e.d.OfflineSince = at
	}
	f.dirty[e.d.ID] = struct{}{}
	on := online
	f.bus.Publish(events.Event{Type: "device", ID: e.d.ID, ClientID: e.d.ClientID, Online: &on, State: reason})
}

// SetOnline marks a device connected after its hello.
func (f *Fleet) SetOnline(id string, h protocol.Hello, remote string) (prevBoot time.Time) {
	now := f.now()
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.devs[id]
	if !ok {
		return time.Time{}
	}
	prevBoot = e.d.BootTime
	e.d.AgentVersion, e.d.LastSeen, e.d.RemoteAddr = h.AgentVersion, now, remote
	if !h.BootTime.IsZero() {
		e.d.BootTime = h.BootTime
	}
	if h.Hostname != "" && e.name == "" {
		e.d.Hostname, e.name = h.Hostname, strings.ToLower(h.Hostname)
	}
	f.transition(e, true, now, "connected")
	return prevBoot
}

// SetOffline marks a device disconnected.
func (f *Fleet) SetOffline(id, reason string) {
	now := f.now()
	f.mu.Lock()
	defer f.mu.Unlock()
	if e, ok := f.devs[id]; ok && e.online {
		f.transition(e, false, now, reason)
	}
}

// Heartbeat records a heartbeat in memory only.
func (f *Fleet) Heartbeat(id string, hb protocol.Heartbeat) {
	now := f.now()
	f.mu.Lock()
	defer f.mu.Unlock()
	if e, ok := f.devs[id]; ok {
		e.d.LastSeen = now
		if hb.User != "" && (hb.User != e.d.Heartbeat.User || e.hbUserAt.IsZero()) {
			e.hbUserAt = now
		}
		e.d.Heartbeat = store.Heartbeat(hb)
		f.seen[id] = struct{}{}
	}
}

// SetInventory updates the search index from a new inventory.
func (f *Fleet) SetInventory(id string, inv *protocol.Inventory) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if e, ok := f.devs[id]; ok {
		e.index(inv)
		f.dirty[id] = struct{}{}
	}
}

// SetReportHashes records the content hashes of a device's stored
// inventory and health report; "" leaves one unchanged.
func (f *Fleet) SetReportHashes(id, inventory, health string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if e, ok := f.devs[id]; ok {
		if inventory != "" {
			e.invHash = inventory
		}
		if health != "" {
			e.healthHash = health
		}
	}
}

// ReportHashes returns the content hashes of a device's stored inventory
// and health report ("" for none).
func (f *Fleet) ReportHashes(id string) (inventory, health string) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if e, ok := f.devs[id]; ok {
		return e.invHash, e.healthHash
	}
	return "", ""
}

// SetHealth updates the list figures from a health report.
func (f *Fleet) SetHealth(id string, h *protocol.Health) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if e, ok := f.devs[id]; ok {
		e.lastUser, e.lastUserAt = h.LastUser, h.LastUserAt
		if e.lastUser == "" && len(h.Users) > 0 {
			e.lastUser = h.Users[0].User
		}
		e.d.Heartbeat.PendingReboot = h.Reboot.Pending
		e.d.Heartbeat.PatchCount = len(h.Patches.Available)
		sec := 0
		for _, p := range h.Patches.Available {
			if p.Security {
				sec++
			}
		}
		e.d.Heartbeat.SecurityPatches = sec
		f.dirty[id] = struct{}{}
	}
}

// SetGroup sets a device's folder in memory and marks it for the next
// flush (the caller has already written it to the store; marking it again
// keeps a flush that raced the store write from leaving the old value).
// It reports whether the device exists.
func (f *Fleet) SetGroup(id, group string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.devs[id]
	if !ok {
		return false
	}
	e.d.Group = group
	f.dirty[id] = struct{}{}
	f.bus.Publish(events.Event{Type: "device", ID: id, ClientID: e.d.ClientID, State: "updated"})
	return true
}

// Groups counts devices per folder among the given clients (nil = all);
// devices without a folder are not counted.
func (fl *Fleet) Groups(clients []string) map[string]int {
	var allowed map[string]bool
	if clients != nil {
		allowed = make(map[string]bool, len(clients))
		for _, c := range clients {
			allowed[c] = true
		}
	}
	out := map[string]int{}
	fl.mu.RLock()
	defer fl.mu.RUnlock()
	for _, e := range fl.devs {
		if e.d.Group == "" || (allowed != nil && !allowed[e.d.ClientID]) {
			continue
		}
		out[e.d.Group]++
	}
	return out
}

// Flush writes every changed device to the store in one transaction,
// except those whose only change is a heartbeat (see FlushAll).
func (f *Fleet) Flush() error { return f.flush(false) }

// FlushAll writes every changed device, heartbeat-only changes included.
func (f *Fleet) FlushAll() error { return f.flush(true) }

func (f *Fleet) flush(all bool) error {
	f.mu.Lock()
	ds := make([]store.Device, 0, len(f.dirty))
	for id := range f.dirty {
		if e, ok := f.devs[id]; ok {
			ds = append(ds, e.d)
		}
		delete(f.seen, id) // written now with its last-seen time
	}
	clear(f.dirty)
	if all {
		for id := range f.seen {
			if e, ok := f.devs[id]; ok {
				ds = append(ds, e.d)
			}
		}
		clear(f.seen)
	}
	f.mu.Unlock()
	return f.st.PutDevices(ds)
}
