package contracts

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/store"
)

// BenchmarkActivity: the activity page of a client with 50 contracts (two
// consumable entitlements each) and 20,000 consumptions, a tenth of them
// uncovered work, on the real bbolt store. (Seeded one commit per record,
// as the server records them: 100,000 takes longer than a test may run
// here; the page's cost grows with the client's consumptions, which it
// reads once, so the figure scales linearly.)
func BenchmarkActivity(b *testing.B) {
	r := newRig(b)
	const contracts = 50
	consumptions := 20_000
	if n, err := strconv.Atoi(os.Getenv("STEWARD_BENCH_CONSUMPTIONS")); err == nil && n >= 10 {
		consumptions = n // a quicker run: seeding is one commit per record
	}
	var ents [][2]string
	var ids []string
	for i := range contracts {
		k := r.contract("c_a", api.ContractRequest{Name: fmt.Sprintf("Contract %02d", i), Start: "2026-01-01", End: "2030-12-31"})
		e1 := r.entitlement(k.ID, api.EntitlementRequest{Name: "Hours", Consumable: true, Unit: "hours", Quantity: 1e6})
		e2 := r.entitlement(k.ID, api.EntitlementRequest{Name: "Visits", Consumable: true, Unit: "visits", Quantity: 1e6, Expiry: "2027-03-20"})
		ids = append(ids, k.ID)
		ents = append(ents, [2]string{e1.ID, e2.ID})
	}
	start := time.Now()
	for i := range consumptions {
		c := store.Consumption{ID: fmt.Sprintf("cu_%06d", i), ClientID: "c_a", Unit: "hours", Quantity: 0.25,
			At: r.now.Add(-time.Duration(i) * time.Minute), SourceKind: "time_entry", SourceID: fmt.Sprintf("te%d", i), UserName: "tina"}
		if i%10 != 0 {
			c.ContractID, c.EntitlementID = ids[i%contracts], ents[i%contracts][0]
		}
		if _, err := r.db.RecordConsumption(c); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("seeded %d consumptions in %s", consumptions, time.Since(start).Round(time.Millisecond))
	cl, _ := r.db.Client("c_a")
	b.ResetTimer()
	for b.Loop() {
		a, err := r.w.activityOf(cl, activityFilter{status: "all", days: 30})
		if err != nil || len(a.Contracts) != contracts || a.UncoveredTotals[0].Quantity != float64(consumptions/10)*0.25 {
			b.Fatalf("activity: %d contracts, %+v, %v", len(a.Contracts), a.UncoveredTotals, err)
		}
	}
}
