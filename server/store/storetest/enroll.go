package storetest

import (
	"github.com/steward-rmm/steward/server/store"
	"testing"
	"time"
)

// TestEnrollFlagsDuplicateMachines: a second device with a known machine
// ID is pending and names the first; a revoked (deleted) device is no
// longer a match, and an approved original is preferred over a pending
// duplicate.
func testEnrollFlagsDuplicateMachines(t *testing.T, f Factory) {
	db := f.fresh(t)
	now := time.Now()
	if err := db.CreateClient(store.Client{ID: "c1", Name: "A"}); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []store.EnrollToken{{ID: "t1", ClientID: "c1", Hash: "open"}, {ID: "t2", ClientID: "c1", Hash: "approval", RequireApproval: true}} {
		if err := db.CreateEnrollToken(tok); err != nil {
			t.Fatal(err)
		}
	}
	enroll := func(tok, id, machine string) store.Device {
		t.Helper()
		d, _, err := db.Enroll(tok, now, store.Device{ID: id, KeyHash: "k-" + id, MachineID: machine})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if d := enroll("open", "d1", "m1"); d.Pending || d.DuplicateOf != "" {
		t.Fatalf("first device %+v, want active", d)
	}
	if d := enroll("open", "d2", ""); d.Pending {
		t.Fatalf("a device without machine ID is pending: %+v", d)
	}
	if d := enroll("approval", "d3", "m2"); !d.Pending || d.DuplicateOf != "" {
		t.Fatalf("token requiring approval: %+v, want pending, no duplicate", d)
	}
	if d := enroll("open", "d4", "m1"); !d.Pending || d.DuplicateOf != "d1" {
		t.Fatalf("second enrollment of m1: %+v, want pending duplicate of d1", d)
	}
	if d := enroll("open", "d5", "m1"); d.DuplicateOf != "d1" {
		t.Fatalf("third enrollment of m1: %+v, want the approved original d1", d)
	}
	if err := db.DeleteDevice("d1"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ApproveDevice("d5", "tina", now); err != nil {
		t.Fatal(err)
	}
	if d := enroll("open", "d6", "m1"); d.DuplicateOf != "d5" {
		t.Fatalf("after d1 was revoked: %+v, want duplicate of the approved d5", d)
	}
	for _, id := range []string{"d4", "d5", "d6"} {
		if err := db.DeleteDevice(id); err != nil {
			t.Fatal(err)
		}
	}
	if d := enroll("open", "d7", "m1"); d.Pending || d.DuplicateOf != "" {
		t.Fatalf("every enrollment of m1 revoked: %+v, want active", d)
	}
}
