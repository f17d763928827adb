package alerts

import (
	"fmt"
	"testing"
	"unsafe"

	"github.com/steward-rmm/steward/protocol"
)

// TestDeviceStateKeepsOnlyWhatChecksRead: a device's state holds the
// mount, size and free space of each disk and the name and state of each
// service, copied (a later change to the reported structs does not reach
// it), and none of the rest of the reports (interfaces, software); its
// CPU/memory ring stays 840 bytes.
func TestDeviceStateKeepsOnlyWhatChecksRead(t *testing.T) {
	r := newRig(t)
	inv := &protocol.Inventory{Hostname: "h", Disks: []protocol.Disk{{Mount: "/", Device: "/dev/sda1", Filesystem: "ext4",
		Total: 100, Free: 40}, {Mount: "/data", Total: 1000, Free: 10}}}
	for i := range 50 {
		inv.Interfaces = append(inv.Interfaces, protocol.Interface{Name: fmt.Sprint("eth", i), Addresses: []string{"10.0.0.1/8"}})
	}
	h := &protocol.Health{Services: []protocol.Service{{Name: "sshd", DisplayName: "OpenSSH", State: "running", PID: 7}}}
	for i := range 500 {
		h.Software = append(h.Software, protocol.Software{Name: fmt.Sprint("pkg", i)})
	}
	r.w.InventoryReported("d1", inv)
	r.w.HealthReported("d1", h)
	inv.Disks[0].Free, h.Services[0].State = 0, "stopped"
	r.w.mu.Lock()
	d := *r.w.devs["d1"]
	r.w.mu.Unlock()
	wantDisks := []diskUse{{Mount: "/", Total: 100, Free: 40}, {Mount: "/data", Total: 1000, Free: 10}}
	if fmt.Sprint(d.disks) != fmt.Sprint(wantDisks) {
		t.Fatalf("disks %+v, want %+v", d.disks, wantDisks)
	}
	if len(d.services) != 1 || d.services[0] != (serviceState{Name: "sshd", DisplayName: "OpenSSH", State: "running"}) {
		t.Fatalf("services %+v", d.services)
	}
	if n := unsafe.Sizeof(ring{}); n != 840 {
		t.Fatalf("ring is %d bytes per device, want 840", n)
	}
	// An inventory without disks forgets the old ones (the heartbeat's
	// fullest disk stands in then), as before.
	r.w.InventoryReported("d1", &protocol.Inventory{Hostname: "h"})
	r.w.mu.Lock()
	defer r.w.mu.Unlock()
	if r.w.devs["d1"].disks != nil {
		t.Fatalf("disks after an inventory without any: %+v", r.w.devs["d1"].disks)
	}
}
