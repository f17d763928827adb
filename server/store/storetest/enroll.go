package storetest

import (
	"errors"
	"github.com/steward-rmm/steward/server/store"
	"testing"
	"time"
)

// testEnrollFlagsDuplicateMachines: a second device with a known machine
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

// Token rules: unique client names, tokens only for known clients, uses
// counted (re-enrollment of a key uses none), expiry and revocation.
func testEnrollTokenRules(t *testing.T, f Factory) {
	db := f.fresh(t)
	if err := db.CreateClient(store.Client{ID: "c1", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateClient(store.Client{ID: "c2", Name: "Acme"}); !errors.Is(err, store.ErrExists) {
		t.Fatalf("duplicate client name: %v", err)
	}
	now := time.Now()
	if err := db.CreateEnrollToken(store.EnrollToken{ID: "t1", ClientID: "c1", Hash: "h1", ExpiresAt: now.Add(time.Hour), MaxUses: 2}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateEnrollToken(store.EnrollToken{ID: "t2", ClientID: "nope", Hash: "h2"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("token for unknown client: %v", err)
	}
	d1, existing, err := db.Enroll("h1", now, store.Device{ID: "d1", KeyHash: "k1"})
	if err != nil || existing || d1.ClientID != "c1" {
		t.Fatalf("enroll: %+v %v %v", d1, existing, err)
	}
	// The same key again keeps its identity and uses no token use.
	d, existing, err := db.Enroll("h1", now, store.Device{ID: "d9", KeyHash: "k1"})
	if err != nil || !existing || d.ID != "d1" {
		t.Fatalf("re-enroll: %+v %v %v", d, existing, err)
	}
	if _, _, err := db.Enroll("h1", now, store.Device{ID: "d2", KeyHash: "k2"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.Enroll("h1", now, store.Device{ID: "d3", KeyHash: "k3"}); !errors.Is(err, store.ErrTokenUsedUp) {
		t.Fatalf("third use: %v", err)
	}
	if _, _, err := db.Enroll("h1", now.Add(2*time.Hour), store.Device{ID: "d4", KeyHash: "k4"}); !errors.Is(err, store.ErrTokenExpired) &&
		!errors.Is(err, store.ErrTokenUsedUp) {
		t.Fatalf("expired: %v", err)
	}
	if _, err := db.RevokeEnrollToken("t1"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.Enroll("h1", now, store.Device{ID: "d5", KeyHash: "k5"}); !errors.Is(err, store.ErrTokenRevoked) {
		t.Fatalf("revoked: %v", err)
	}
}
