package storetest

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/steward-rmm/steward/server/store"
)

// Meta checks unset keys read empty; SetMetaOnce sets once, then ErrExists.
func Meta(t *testing.T, f Factory) {
	db := f.fresh(t)
	if v, err := db.Meta("k"); err != nil || v != "" {
		t.Fatalf("unset meta = %q %v", v, err)
	}
	if err := db.SetMetaOnce("k", "one"); err != nil {
		t.Fatal(err)
	}
	if err := db.SetMetaOnce("k", "two"); !errors.Is(err, store.ErrExists) {
		t.Fatalf("second SetMetaOnce: %v, want ErrExists", err)
	}
	if err := db.SetMeta("k", "three"); err != nil {
		t.Fatal(err)
	}
	if v, _ := db.Meta("k"); v != "three" {
		t.Fatalf("meta = %q", v)
	}
}

// Clients checks unique names, not-found for an unknown ID.
func Clients(t *testing.T, f Factory) {
	db := f.fresh(t)
	if _, err := db.Client("nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown client: %v", err)
	}
	for _, c := range []store.Client{{ID: "c2", Name: "Bravo"}, {ID: "c1", Name: "Alpha"}} {
		if err := db.CreateClient(c); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.CreateClient(store.Client{ID: "c3", Name: "Alpha"}); !errors.Is(err, store.ErrExists) {
		t.Fatalf("duplicate name: %v", err)
	}
	all, err := db.Clients()
	if err != nil || len(all) != 2 || all[0].ID != "c1" || all[1].ID != "c2" {
		t.Fatalf("clients in ID order = %+v %v", all, err)
	}
	if c, err := db.Client("c2"); err != nil || c.Name != "Bravo" {
		t.Fatalf("client = %+v %v", c, err)
	}
}

// EnrollTokens checks token rules, duplicate machines, and the race: 50
// enrollments racing on a single-use token make exactly one device.
func EnrollTokens(t *testing.T, f Factory) {
	subtests(t, f, map[string]func(*testing.T, Factory){
		"Rules":             testEnrollTokenRules,
		"DuplicateMachines": testEnrollFlagsDuplicateMachines,
		"SingleUseRace":     testEnrollRace,
		"KeyOfAnotherClient": func(t *testing.T, f Factory) {
			db := f.fresh(t)
			for _, c := range []string{"c1", "c2"} {
				if err := db.CreateClient(store.Client{ID: c, Name: c}); err != nil {
					t.Fatal(err)
				}
				if err := db.CreateEnrollToken(store.EnrollToken{ID: "t" + c, ClientID: c, Hash: "h" + c}); err != nil {
					t.Fatal(err)
				}
			}
			if _, _, err := db.Enroll("hc1", time.Now(), store.Device{ID: "d1", KeyHash: "k"}); err != nil {
				t.Fatal(err)
			}
			if _, _, err := db.Enroll("hc2", time.Now(), store.Device{ID: "d2", KeyHash: "k"}); !errors.Is(err, store.ErrExists) {
				t.Fatalf("a key of client c1's device enrolling for c2: %v, want ErrExists", err)
			}
			if toks, _ := db.EnrollTokens("c2"); len(toks) != 1 || toks[0].Uses != 0 {
				t.Fatalf("the refused enrollment used the token: %+v", toks)
			}
		},
		"RevokeUnknown": func(t *testing.T, f Factory) {
			db := f.fresh(t)
			if _, err := db.RevokeEnrollToken("nope"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("revoke unknown token: %v", err)
			}
			if _, _, err := db.Enroll("nope", time.Now(), store.Device{ID: "d1", KeyHash: "k1"}); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("enroll with unknown token: %v", err)
			}
			if ds, _ := db.Devices(); len(ds) != 0 {
				t.Fatalf("a refused enrollment made devices: %+v", ds)
			}
		},
	})
}

func testEnrollRace(t *testing.T, f Factory) {
	db := f.fresh(t)
	if err := db.CreateClient(store.Client{ID: "c1", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := db.CreateEnrollToken(store.EnrollToken{ID: "t1", ClientID: "c1", Hash: "single", ExpiresAt: now.Add(time.Hour), MaxUses: 1}); err != nil {
		t.Fatal(err)
	}
	const n = 50
	var wg sync.WaitGroup
	errs := make([]error, n)
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			_, _, errs[i] = db.Enroll("single", now, store.Device{ID: fmt.Sprintf("d%02d", i), KeyHash: fmt.Sprintf("k%02d", i)})
		}(i)
	}
	close(start)
	wg.Wait()
	ok := 0
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, store.ErrTokenUsedUp):
			t.Errorf("enrollment %d: %v, want ErrTokenUsedUp", i, err)
		}
	}
	ds, err := db.Devices()
	if ok != 1 || err != nil || len(ds) != 1 {
		t.Fatalf("%d enrollments succeeded and %d devices exist (%v), want 1 and 1", ok, len(ds), err)
	}
	toks, _ := db.EnrollTokens("c1")
	if len(toks) != 1 || toks[0].Uses != 1 {
		t.Fatalf("token after the race: %+v, want 1 use", toks)
	}
}

// Devices checks not-found for every get and update of an unknown ID; presence
// batches keep deleted devices deleted; a folder change keeps the rest.
func Devices(t *testing.T, f Factory) {
	db := f.fresh(t)
	if _, err := db.Device("nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Device: %v", err)
	}
	if _, err := db.ApproveDevice("nope", "a", time.Now()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ApproveDevice: %v", err)
	}
	if _, err := db.SetDeviceGroup("nope", "g"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetDeviceGroup: %v", err)
	}
	if err := db.DeleteDevice("nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeleteDevice: %v", err)
	}
	if _, err := db.Inventory("nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Inventory: %v", err)
	}
	if _, err := db.Health("nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Health: %v", err)
	}
	if err := db.CreateClient(store.Client{ID: "c1", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateEnrollToken(store.EnrollToken{ID: "t1", ClientID: "c1", Hash: "h"}); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	for _, id := range []string{"d1", "d2"} {
		if _, _, err := db.Enroll("h", now, store.Device{ID: id, KeyHash: "k-" + id, Pending: true}); err != nil {
			t.Fatal(err)
		}
		if err := db.PutInventory(store.Inventory{DeviceID: id, Hash: "i-" + id, Doc: []byte(`{"hostname":"host-` + id + `"}`)}); err != nil {
			t.Fatal(err)
		}
		if err := db.PutHealth(store.Health{DeviceID: id, Hash: "h-" + id, Doc: []byte(`{"last_user":"u-` + id + `"}`)}); err != nil {
			t.Fatal(err)
		}
	}
	d, err := db.ApproveDevice("d1", "tina", now)
	if err != nil || d.Pending || d.ApprovedBy != "tina" {
		t.Fatalf("approved: %+v %v", d, err)
	}
	d.Hostname, d.LastSeen = "seen", now
	if err := db.DeleteDevice("d2"); err != nil {
		t.Fatal(err)
	}
	ghost := store.Device{ID: "d2", ClientID: "c1", Hostname: "ghost"}
	if err := db.PutDevices([]store.Device{d, ghost}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Device("d2"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a presence flush brought a deleted device back: %v", err)
	}
	if _, err := db.Inventory("d2"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("inventory of a deleted device: %v", err)
	}
	g, err := db.SetDeviceGroup("d1", "Servers")
	if err != nil || g.Group != "Servers" || g.Hostname != "seen" || g.ApprovedBy != "tina" {
		t.Fatalf("group set: %+v %v", g, err)
	}
	if inv, err := db.Inventory("d1"); err != nil || string(inv.Doc) != `{"hostname":"host-d1"}` {
		t.Fatalf("inventory = %+v %v", inv, err)
	}
	// The fleet loads every inventory at start: the deleted device's is gone.
	if invs, err := db.Inventories(); err != nil || len(invs) != 1 || invs[0].DeviceID != "d1" || invs[0].Hash != "i-d1" {
		t.Fatalf("Inventories = %+v %v, want d1's alone", invs, err)
	}
	if hs, err := db.Healths("", 0); err != nil || len(hs) != 1 || hs[0].DeviceID != "d1" || string(hs[0].Doc) != `{"last_user":"u-d1"}` {
		t.Fatalf("Healths = %+v %v, want d1's alone", hs, err)
	}
	// Healths pages in device ID order, each report once.
	for _, id := range []string{"p3", "p1", "p2", "p4"} {
		if err := db.PutHealth(store.Health{DeviceID: id, Hash: "h-" + id, Doc: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	var paged []string
	for after := "d1"; ; {
		page, err := db.Healths(after, 3)
		if err != nil || len(page) > 3 {
			t.Fatalf("Healths page after %q: %d %v", after, len(page), err)
		}
		if len(page) == 0 {
			break
		}
		for _, h := range page {
			paged = append(paged, h.DeviceID)
		}
		after = page[len(page)-1].DeviceID
	}
	if strings.Join(paged, ",") != "p1,p2,p3,p4" {
		t.Fatalf("paged healths %v, want p1..p4 once each in order", paged)
	}
	// The deleted device's key is free: it enrolls as a new device.
	if d, existing, err := db.Enroll("h", now, store.Device{ID: "d3", KeyHash: "k-d2"}); err != nil || existing || d.ID != "d3" {
		t.Fatalf("re-enrolled key of a deleted device: %+v %v %v", d, existing, err)
	}
}

// Updates checks narrowest scope wins; latest result per device.
func Updates(t *testing.T, f Factory) {
	subtests(t, f, map[string]func(*testing.T, Factory){
		"NarrowestScopeWins": testUpdateTargetNarrowestScopeWins,
		"Results":            testUpdateResults,
	})
}

// Shells checks ended sessions listed in ID order, a second put replaces.
func Shells(t *testing.T, f Factory) {
	db := f.fresh(t)
	if all, err := db.ShellSessions(); err != nil || len(all) != 0 {
		t.Fatalf("empty = %+v %v", all, err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	for _, s := range []store.ShellSession{{ID: "sh_2", DeviceID: "d1", Started: now}, {ID: "sh_1", DeviceID: "d2", Started: now},
		{ID: "sh_2", DeviceID: "d1", Started: now, Ended: now.Add(time.Minute), ExitCode: 3, Recording: "sh_2.cast"}} {
		if err := db.PutShellSession(s); err != nil {
			t.Fatal(err)
		}
	}
	all, err := db.ShellSessions()
	if err != nil || len(all) != 2 || all[0].ID != "sh_1" || all[1].ID != "sh_2" || all[1].ExitCode != 3 || !all[1].Ended.Equal(now.Add(time.Minute)) {
		t.Fatalf("sessions = %+v %v", all, err)
	}
}

// Scripts checks per-owner names, immutable versions, soft delete, not-found.
func Scripts(t *testing.T, f Factory) {
	subtests(t, f, map[string]func(*testing.T, Factory){
		"PerOwnerVersionsSoftDelete": testScriptsPerOwnerVersionsAndSoftDelete,
		"Query":                      testScriptsQuery,
		"NotFound": func(t *testing.T, f Factory) {
			db := f.fresh(t)
			if _, err := db.Script("nope"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Script: %v", err)
			}
			if _, err := db.ScriptVersion("nope", 1); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("ScriptVersion: %v", err)
			}
			if _, err := db.ScriptByName("", "nope"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("ScriptByName: %v", err)
			}
			if _, err := db.PutScript(store.Script{ID: "nope", Body: "x"}); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("PutScript of an unknown ID: %v", err)
			}
			if err := db.DeleteScript("nope"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("DeleteScript: %v", err)
			}
			sc, err := db.PutScript(store.Script{Name: "a", Body: "x"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.ScriptVersion(sc.ID, 2); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("ScriptVersion past the newest: %v", err)
			}
		},
	})
}
