package agentlink

import (
	"slices"

	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/httpx"
)

// Caps on device-reported data: a device can send at most this much per
// field and this many list entries, whatever its frame size.
const (
	maxList = 512
	maxSoft = 20000
)

func capList[T any](l []T, n int) []T {
	if len(l) > n {
		return l[:n]
	}
	return l
}

func sanitizeInventory(inv *protocol.Inventory) {
	inv.Hostname = httpx.CleanText(inv.Hostname, 255)
	for _, p := range []*string{&inv.OS, &inv.Platform, &inv.PlatformFamily, &inv.OSVersion, &inv.Kernel, &inv.Arch,
		&inv.CPUModel, &inv.Virtualization, &inv.MachineID} {
		*p = httpx.CleanText(*p, httpx.MaxField)
	}
	// The agent caps these at 128; a hostile one is held to the same.
	for _, p := range []*string{&inv.Manufacturer, &inv.Model, &inv.Serial} {
		*p = httpx.CleanText(*p, 128)
	}
	inv.Disks = capList(inv.Disks, maxList)
	for i := range inv.Disks {
		d := &inv.Disks[i]
		d.Mount, d.Device, d.Filesystem = httpx.CleanText(d.Mount, httpx.MaxField), httpx.CleanText(d.Device, httpx.MaxField), httpx.CleanText(d.Filesystem, 64)
	}
	inv.Interfaces = capList(inv.Interfaces, maxList)
	for i := range inv.Interfaces {
		n := &inv.Interfaces[i]
		n.Name, n.MAC = httpx.CleanText(n.Name, 256), httpx.CleanText(n.MAC, 64)
		n.Addresses = capList(n.Addresses, 64)
		for j := range n.Addresses {
			n.Addresses[j] = httpx.CleanText(n.Addresses[j], 64)
		}
	}
	inv.Users = capList(inv.Users, maxList)
	for i := range inv.Users {
		inv.Users[i] = httpx.CleanText(inv.Users[i], 256)
	}
}

func sanitizeHealth(h *protocol.Health) {
	h.Reboot.Reasons = capList(h.Reboot.Reasons, 64)
	for i := range h.Reboot.Reasons {
		r := &h.Reboot.Reasons[i]
		r.Code, r.Detail = httpx.CleanText(r.Code, 128), httpx.CleanText(r.Detail, httpx.MaxField*4)
	}
	h.Patches.Available = capList(h.Patches.Available, 5000)
	h.Patches.Source, h.Patches.Error = httpx.CleanText(h.Patches.Source, 32), httpx.CleanText(h.Patches.Error, httpx.MaxField)
	for i := range h.Patches.Available {
		p := &h.Patches.Available[i]
		for _, f := range []*string{&p.ID, &p.Name, &p.InstalledVersion, &p.AvailableVersion, &p.Advisory} {
			*f = httpx.CleanText(*f, httpx.MaxField)
		}
		p.Classification, p.Severity = patchClass(p.Classification), protocol.NormalSeverity(p.Severity)
	}
	h.Software = capList(h.Software, maxSoft)
	for i := range h.Software {
		sw := &h.Software[i]
		for _, f := range []*string{&sw.Name, &sw.Version, &sw.Publisher, &sw.Arch, &sw.Source, &sw.InstallDate, &sw.UninstallID} {
			*f = httpx.CleanText(*f, httpx.MaxField)
		}
	}
	h.Services = capList(h.Services, 5000)
	for i := range h.Services {
		sv := &h.Services[i]
		for _, f := range []*string{&sv.Name, &sv.DisplayName, &sv.State, &sv.StartType} {
			*f = httpx.CleanText(*f, httpx.MaxField)
		}
	}
	h.Users = capList(h.Users, maxList)
	for i := range h.Users {
		u := &h.Users[i]
		for _, f := range []*string{&u.User, &u.Session, &u.Terminal, &u.Host, &u.State} {
			*f = httpx.CleanText(*f, 256)
		}
	}
	h.LastUser = httpx.CleanText(h.LastUser, 256)
	h.Errors = capList(h.Errors, 32)
	for i := range h.Errors {
		h.Errors[i] = httpx.CleanText(h.Errors[i], httpx.MaxField)
	}
}

// patchClass keeps a patch classification the protocol knows; any other
// word an agent sends is "other", so filters and pages see known values.
func patchClass(c string) string {
	if c == "" || slices.Contains(protocol.PatchClassifications, c) {
		return c
	}
	return protocol.ClassOther
}
