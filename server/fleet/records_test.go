package fleet

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/events"
	"github.com/steward-rmm/steward/server/store"
	boltstore "github.com/steward-rmm/steward/server/store/bolt"
)

// TestEachHealthPagesThroughEveryReport: more reports than one page are
// each visited once, decoded, in device order; fn's error stops the walk
// and comes back; and a fleet built on the store gets every device's last
// user from them.
func TestEachHealthPagesThroughEveryReport(t *testing.T) {
	st, err := boltstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n := healthPage*2 + 7
	// Concurrent puts share the store's batched commits.
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 32 {
				id := fmt.Sprintf("d%05d", i)
				rec, err := HealthRecord(id, "h", time.Now(), &protocol.Health{LastUser: "u-" + id})
				if err == nil {
					err = st.PutHealth(rec)
				}
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	var seen []string
	err = EachHealth(st, func(id string, h *protocol.Health) error {
		if h.LastUser != "u-"+id {
			return fmt.Errorf("%s decoded as %+v", id, h)
		}
		seen = append(seen, id)
		return nil
	})
	if err != nil || len(seen) != n {
		t.Fatalf("visited %d of %d (%v)", len(seen), n, err)
	}
	for i, id := range seen {
		if id != fmt.Sprintf("d%05d", i) {
			t.Fatalf("report %d is %s: out of order or repeated", i, id)
		}
	}
	stop, calls := errors.New("stop"), 0
	if err := EachHealth(st, func(string, *protocol.Health) error { calls++; return stop }); !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("fn's error: %v after %d calls", err, calls)
	}
}

// TestNewIndexesStoredDocuments: a fleet built on a store (as at server
// start) decodes the stored inventories and health reports: a device is
// found by the MAC its inventory lists and shows its last user.
func TestNewIndexesStoredDocuments(t *testing.T) {
	st, err := boltstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.CreateClient(store.Client{ID: "a", Name: "a"}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateEnrollToken(store.EnrollToken{ID: "t", ClientID: "a", Hash: "h"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.Enroll("h", time.Now(), store.Device{ID: "d1", Hostname: "web-01", KeyHash: "k1"}); err != nil {
		t.Fatal(err)
	}
	inv, err := InventoryRecord("d1", "ih", time.Now(), &protocol.Inventory{Hostname: "web-01",
		Interfaces: []protocol.Interface{{Name: "eth0", MAC: "52:54:00:AB:CD:EF"}}})
	if err != nil {
		t.Fatal(err)
	}
	h, err := HealthRecord("d1", "hh", time.Now(), &protocol.Health{LastUser: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.PutInventory(inv); err != nil {
		t.Fatal(err)
	}
	if err := st.PutHealth(h); err != nil {
		t.Fatal(err)
	}
	f, err := New(st, events.New())
	if err != nil {
		t.Fatal(err)
	}
	got, total := f.List(Filter{Search: "525400abcdef"})
	if total != 1 || got[0].ID != "d1" || got[0].LastUser != "alice" {
		t.Fatalf("search by MAC after a start: %+v (total %d)", got, total)
	}
}
