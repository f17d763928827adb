package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/steward-rmm/steward/server/store"
)

// Retire checks retirement, moves between clients, the device limit at
// enrollment (a race at the limit makes no more than the limit, refused
// enrollments consume no token use) and favourites.
func Retire(t *testing.T, f Factory) {
	subtests(t, f, map[string]func(*testing.T, Factory){
		"RetireRestoreMove": testRetireRestoreMove,
		"LimitRace":         testEnrollLimitRace,
		"Favorites":         testFavorites,
	})
}

func testRetireRestoreMove(t *testing.T, f Factory) {
	db := f.fresh(t)
	now := time.Now().UTC().Truncate(time.Second)
	if _, err := db.SetDeviceRetired("nope", true, "a", now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetDeviceRetired of an unknown device: %v", err)
	}
	for _, c := range []string{"c1", "c2"} {
		if err := db.CreateClient(store.Client{ID: c, Name: c}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.CreateEnrollToken(store.EnrollToken{ID: "t1", ClientID: "c1", Hash: "h"}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"d1", "d2"} {
		if _, _, err := db.EnrollWithin("h", now, store.Device{ID: id, KeyHash: "k-" + id, Group: "g"}, 2); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := db.EnrollWithin("h", now, store.Device{ID: "d3", KeyHash: "k-d3"}, 2); !errors.Is(err, store.ErrDeviceLimit) {
		t.Fatalf("a third device under a limit of 2: %v, want ErrDeviceLimit", err)
	}
	// A known key gets its device back even at the limit.
	if d, existing, err := db.EnrollWithin("h", now, store.Device{ID: "d9", KeyHash: "k-d1"}, 2); err != nil || !existing || d.ID != "d1" {
		t.Fatalf("re-enrolment at the limit: %+v %v %v", d, existing, err)
	}
	if n, err := db.ActiveDevices(); err != nil || n != 2 {
		t.Fatalf("ActiveDevices = %d %v, want 2", n, err)
	}
	d, err := db.SetDeviceRetired("d1", true, "tina", now)
	if err != nil || !d.Retired || d.RetiredBy != "tina" || !d.RetiredAt.Equal(now) || d.Group != "g" {
		t.Fatalf("retired: %+v %v", d, err)
	}
	if n, _ := db.ActiveDevices(); n != 1 {
		t.Fatalf("ActiveDevices after a retirement = %d, want 1", n)
	}
	// A retired device frees its place under the limit.
	if _, _, err := db.EnrollWithin("h", now, store.Device{ID: "d3", KeyHash: "k-d3"}, 2); err != nil {
		t.Fatalf("enrolment after a retirement: %v", err)
	}
	// A presence flush of an older copy leaves the retirement alone.
	stale := d
	stale.Retired, stale.RetiredBy, stale.RetiredAt, stale.Hostname = false, "", time.Time{}, "flushed"
	if err := db.PutDevices([]store.Device{stale}); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.Device("d1"); !got.Retired || got.RetiredBy != "tina" || got.Hostname != "flushed" {
		t.Fatalf("after a stale flush: %+v, want still retired with the new hostname", got)
	}
	if d, err = db.SetDeviceRetired("d1", false, "tom", now); err != nil || d.Retired {
		t.Fatalf("restored: %+v %v", d, err)
	}
	if n, _ := db.ActiveDevices(); n != 3 {
		t.Fatalf("ActiveDevices after a restore = %d, want 3", n)
	}
	// Moving to an unknown client changes nothing.
	if _, err := db.MoveDevice("d2", "nope", ""); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("move to an unknown client: %v", err)
	}
	if _, err := db.MoveDevice("nope", "c2", ""); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("move of an unknown device: %v", err)
	}
	m, err := db.MoveDevice("d2", "c2", "Servers")
	if err != nil || m.ClientID != "c2" || m.Group != "Servers" || m.KeyHash != "k-d2" {
		t.Fatalf("moved: %+v %v", m, err)
	}
	if got, _ := db.Device("d2"); got.ClientID != "c2" || got.Group != "Servers" {
		t.Fatalf("stored after the move: %+v", got)
	}
	// Deleting a retired device takes it out of the index too.
	if _, err := db.SetDeviceRetired("d3", true, "tina", now); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteDevice("d3"); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.ActiveDevices(); n != 2 {
		t.Fatalf("ActiveDevices after deleting a retired device = %d, want 2", n)
	}
}

func testEnrollLimitRace(t *testing.T, f Factory) {
	db := f.fresh(t)
	if err := db.CreateClient(store.Client{ID: "c1", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := db.CreateEnrollToken(store.EnrollToken{ID: "t1", ClientID: "c1", Hash: "many", MaxUses: 100}); err != nil {
		t.Fatal(err)
	}
	const n, limit = 40, 7
	var wg sync.WaitGroup
	errs := make([]error, n)
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			_, _, errs[i] = db.EnrollWithin("many", now, store.Device{ID: fmt.Sprintf("d%02d", i), KeyHash: fmt.Sprintf("k%02d", i)}, limit)
		}(i)
	}
	close(start)
	wg.Wait()
	ok := 0
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, store.ErrDeviceLimit):
			t.Errorf("enrollment %d: %v, want ErrDeviceLimit", i, err)
		}
	}
	ds, err := db.Devices()
	if ok != limit || err != nil || len(ds) != limit {
		t.Fatalf("%d enrollments succeeded and %d devices exist (%v), want %d and %d", ok, len(ds), err, limit, limit)
	}
	if toks, _ := db.EnrollTokens("c1"); len(toks) != 1 || toks[0].Uses != limit {
		t.Fatalf("token after the race: %+v, want %d uses (refusals consume none)", toks, limit)
	}
}

func testFavorites(t *testing.T, f Factory) {
	db := f.fresh(t)
	if favs, err := db.Favorites("u1"); err != nil || len(favs) != 0 {
		t.Fatalf("no favourites = %v %v", favs, err)
	}
	for _, op := range []struct {
		u, d string
		on   bool
	}{{"u1", "d2", true}, {"u1", "d1", true}, {"u1", "d1", true}, {"u2", "d3", true}, {"u1", "d2", false}, {"u1", "d9", false}, {"u10", "d4", true}} {
		if err := db.SetFavorite(op.u, op.d, op.on); err != nil {
			t.Fatal(err)
		}
	}
	if favs, err := db.Favorites("u1"); err != nil || len(favs) != 1 || favs[0] != "d1" {
		t.Fatalf("u1's favourites = %v %v, want [d1] (u10's not among them)", favs, err)
	}
	if favs, _ := db.Favorites("u2"); len(favs) != 1 || favs[0] != "d3" {
		t.Fatalf("u2's favourites = %v, want [d3]", favs)
	}
}
