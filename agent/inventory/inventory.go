// Package inventory collects the device's hardware and OS description and
// the small live figures heartbeats carry, through gopsutil.
package inventory

import (
	"context"
	"os"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/shirou/gopsutil/v4/disk"
	"github.com/shirou/gopsutil/v4/host"
	"github.com/shirou/gopsutil/v4/mem"
	"github.com/shirou/gopsutil/v4/net"
	"github.com/steward-rmm/steward/protocol"
)

// pseudo filesystems are not disks a technician cares about.
var pseudoFS = map[string]bool{"tmpfs": true, "devtmpfs": true, "overlay": true, "squashfs": true, "proc": true,
	"sysfs": true, "cgroup": true, "cgroup2": true, "devpts": true, "autofs": true, "nsfs": true, "tracefs": true,
	"fuse.lxcfs": true, "efivarfs": true, "ramfs": true}

// Collect gathers the inventory. Parts that fail are left empty: a
// partial inventory is more useful than none.
func Collect(ctx context.Context) protocol.Inventory {
	inv := protocol.Inventory{OS: runtime.GOOS, Arch: runtime.GOARCH}
	if hi, err := host.InfoWithContext(ctx); err == nil {
		inv.Hostname, inv.Platform, inv.PlatformFamily, inv.OSVersion = hi.Hostname, hi.Platform, hi.PlatformFamily, hi.PlatformVersion
		inv.Kernel = hi.KernelVersion
		inv.BootTime = time.Unix(int64(hi.BootTime), 0).UTC()
		inv.Virtualization = hi.VirtualizationSystem
		inv.MachineID = hi.HostID
		inv.Server = strings.Contains(strings.ToLower(hi.Platform), "server")
	}
	if inv.Hostname == "" {
		inv.Hostname, _ = os.Hostname()
	}
	if cs, err := cpu.InfoWithContext(ctx); err == nil && len(cs) > 0 {
		inv.CPUModel = strings.TrimSpace(cs[0].ModelName)
	}
	inv.CPUCores, _ = cpu.CountsWithContext(ctx, false)
	inv.CPUThreads, _ = cpu.CountsWithContext(ctx, true)
	if vm, err := mem.VirtualMemoryWithContext(ctx); err == nil {
		inv.MemoryTotal = vm.Total
	}
	inv.Disks = Disks(ctx)
	if ifs, err := net.InterfacesWithContext(ctx); err == nil {
		for _, i := range ifs {
			if i.HardwareAddr == "" && len(i.Addrs) == 0 {
				continue
			}
			n := protocol.Interface{Name: i.Name, MAC: i.HardwareAddr}
			for _, a := range i.Addrs {
				n.Addresses = append(n.Addresses, a.Addr)
			}
			inv.Interfaces = append(inv.Interfaces, n)
		}
	}
	if us, err := Users(); err == nil {
		inv.Users = userNames(us)
	}
	hw := ReadHardware(ctx, "/")
	inv.Manufacturer, inv.Model, inv.Serial = hw.Manufacturer, hw.Model, hw.Serial
	inv.TimeZone = TimeZone()
	return inv
}

// Disks lists fixed filesystems with their size.
func Disks(ctx context.Context) []protocol.Disk {
	parts, err := disk.PartitionsWithContext(ctx, false)
	if err != nil {
		return nil
	}
	var out []protocol.Disk
	seen := map[string]bool{}
	for _, p := range parts {
		if pseudoFS[p.Fstype] || seen[p.Mountpoint] {
			continue
		}
		seen[p.Mountpoint] = true
		u, err := disk.UsageWithContext(ctx, p.Mountpoint)
		if err != nil || u.Total == 0 {
			continue
		}
		out = append(out, protocol.Disk{Mount: p.Mountpoint, Device: p.Device, Filesystem: p.Fstype, Total: u.Total, Free: u.Free})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Mount < out[j].Mount })
	return out
}

// Hash identifies an inventory's content, so an unchanged inventory is not
// sent again. Live values (free disk space) are rounded so they do not
// change the hash on every collection.
func Hash(inv protocol.Inventory) string {
	inv.Disks = append([]protocol.Disk(nil), inv.Disks...)
	for i := range inv.Disks {
		inv.Disks[i].Free = inv.Disks[i].Free >> 30 // GiB granularity
	}
	return protocol.ContentHash(inv)
}

// Live is what a heartbeat reports besides health figures.
type Live struct {
	CPUPercent, MemPercent, DiskPercent float64
	Uptime                              uint64
	User                                string
}

// Sample reads the live figures. CPU is the average since the previous call.
func Sample(ctx context.Context) Live {
	var l Live
	if p, err := cpu.PercentWithContext(ctx, 0, false); err == nil && len(p) > 0 {
		l.CPUPercent = p[0]
	}
	if vm, err := mem.VirtualMemoryWithContext(ctx); err == nil {
		l.MemPercent = vm.UsedPercent
	}
	for _, d := range Disks(ctx) {
		if pct := 100 * float64(d.Total-d.Free) / float64(d.Total); pct > l.DiskPercent {
			l.DiskPercent = pct
		}
	}
	l.Uptime, _ = host.UptimeWithContext(ctx)
	// From the OS's records (utmp, logind's files, WTS): no process.
	if us, err := Users(); err == nil {
		l.User = latestUser(us)
	}
	return l
}

// MachineID returns the OS's stable ID of this machine (on Linux the DMI
// product UUID or /etc/machine-id; on Windows the MachineGuid; on macOS
// the platform UUID), or "" when there is none. The agent sends it at
// enrollment so the server can flag a second enrollment of one machine.
func MachineID(ctx context.Context) string {
	id, err := host.HostIDWithContext(ctx)
	if err != nil {
		return ""
	}
	id = strings.TrimSpace(id)
	// The server refuses anything but short printable ASCII; an odd ID is
	// better left out than blocking the enrollment.
	if len(id) > 128 || strings.IndexFunc(id, func(r rune) bool { return r < 0x21 || r > 0x7e }) >= 0 {
		return ""
	}
	return id
}
