package storetest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/steward-rmm/steward/server/store"
)

// Contracts checks every method of the contract store: contracts of
// existing clients kept by their client, one default per client,
// entitlements that take their contract's client and keep their Used,
// consumption that is idempotent per source, refused beyond what was
// sold unless allowed (then flagged), released by source, listed by
// client, contract, entitlement, uncovered work and dates, and an
// entitlement that cannot be deleted once consumed.
func Contracts(t *testing.T, f Factory) {
	db := f.fresh(t)
	for _, c := range []string{"c1", "c2"} {
		if err := db.CreateClient(store.Client{ID: c, Name: c}); err != nil {
			t.Fatal(err)
		}
	}
	day := func(d int) time.Time { return time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, d) }
	if err := db.PutContract(store.Contract{ID: "k0", ClientID: "nope", Name: "x"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("contract of an unknown client: %v", err)
	}
	ks := []store.Contract{
		{ID: "k1", ClientID: "c1", Name: "Support", Type: store.ContractBlockHours, Start: day(0), End: day(364), Default: true,
			SLAID: "sla1", AutoRenew: true, RenewalMonths: 12, NoticeDays: 30, MonthlyFeeCents: 50000, HourlyRateCents: 9000, Currency: "EUR"},
		{ID: "k2", ClientID: "c1", Name: "Project", Type: store.ContractProject, Start: day(-10)},
		{ID: "k3", ClientID: "c2", Name: "Other", Type: store.ContractStandard, Start: day(0), Default: true},
	}
	for _, k := range ks {
		if err := db.PutContract(k); err != nil {
			t.Fatal(err)
		}
	}
	moved := ks[0]
	moved.ClientID = "c2"
	if err := db.PutContract(moved); !errors.Is(err, store.ErrConflict) {
		t.Errorf("contract moved to another client: %v", err)
	}
	if k, err := db.Contract("k1"); err != nil || !k.Default || !k.End.Equal(day(364)) || k.SLAID != "sla1" || k.HourlyRateCents != 9000 || !k.AutoRenew {
		t.Fatalf("contract = %+v %v", k, err)
	}
	if _, err := db.Contract("nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown contract: %v", err)
	}
	// k2 becomes c1's default: k1 loses the mark, c2's k3 keeps its own.
	ks[1].Default = true
	if err := db.PutContract(ks[1]); err != nil {
		t.Fatal(err)
	}
	ids := func(q store.ContractQuery) string {
		got, err := db.Contracts(q)
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, k := range got {
			id := k.ID
			if k.Default {
				id += "*"
			}
			s = append(s, id)
		}
		return strings.Join(s, ",")
	}
	for _, tc := range []struct {
		q    store.ContractQuery
		want string
	}{
		{store.ContractQuery{}, "k2*,k1,k3*"},
		{store.ContractQuery{ClientID: "c1"}, "k2*,k1"},
		{store.ContractQuery{Scope: store.Scope{Only: true, Clients: []string{"c2"}}}, "k3*"},
		{store.ContractQuery{Scope: store.Scope{Only: true}}, ""},
	} {
		if got := ids(tc.q); got != tc.want {
			t.Errorf("contracts %+v = %q, want %q", tc.q, got, tc.want)
		}
	}

	if err := db.PutEntitlement(store.Entitlement{ID: "e0", ContractID: "nope", Name: "x"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("entitlement of an unknown contract: %v", err)
	}
	es := []store.Entitlement{
		{ID: "e1", ContractID: "k1", Name: "Reactive hours", Consumable: true, Unit: store.UnitHours, Quantity: 10, ClientID: "c2", Used: 99},
		{ID: "e2", ContractID: "k1", Name: "On-site visits", Consumable: true, Unit: store.UnitVisits, Quantity: 1, AllowOver: true, Expiry: day(100)},
		{ID: "e3", ContractID: "k1", Name: "antivirus", Consumable: false},
	}
	for _, e := range es {
		if err := db.PutEntitlement(e); err != nil {
			t.Fatal(err)
		}
	}
	if e, err := db.Entitlement("e1"); err != nil || e.ClientID != "c1" || e.Used != 0 || e.Quantity != 10 {
		t.Fatalf("entitlement takes its contract's client and no Used from the caller: %+v %v", e, err)
	}
	other := es[0]
	other.ContractID = "k2"
	if err := db.PutEntitlement(other); !errors.Is(err, store.ErrConflict) {
		t.Errorf("entitlement moved to another contract: %v", err)
	}
	if got, err := db.Entitlements("k1"); err != nil || len(got) != 3 || got[0].ID != "e3" || got[1].ID != "e2" || got[2].ID != "e1" {
		t.Fatalf("entitlements by name = %+v %v", got, err)
	}

	rec := func(c store.Consumption) (store.Consumption, error) {
		if c.ClientID == "" {
			c.ClientID = "c1"
		}
		return db.RecordConsumption(c)
	}
	if _, err := rec(store.Consumption{ID: "u1", ContractID: "k1", EntitlementID: "e1", Unit: "hours", Quantity: 1.5, At: day(1),
		SourceKind: store.SourceTimeEntry, SourceID: "te1", TicketID: "t1", TicketNumber: 7, UserName: "tina"}); err != nil {
		t.Fatal(err)
	}
	// The same source again replaces the quantity, keeping the ID.
	if c, err := rec(store.Consumption{ID: "u1b", ContractID: "k1", EntitlementID: "e1", Unit: "hours", Quantity: 2.5, At: day(1),
		SourceKind: store.SourceTimeEntry, SourceID: "te1"}); err != nil || c.ID != "u1" {
		t.Fatalf("same source again: %+v %v", c, err)
	}
	if _, err := rec(store.Consumption{ID: "u2", ContractID: "k1", EntitlementID: "e1", Unit: "hours", Quantity: 7.5, At: day(2),
		SourceKind: store.SourceTimeEntry, SourceID: "te2"}); err != nil {
		t.Fatal(err)
	}
	if e, _ := db.Entitlement("e1"); e.Used != 10 {
		t.Fatalf("used = %g, want 10 (2.5 replaced 1.5)", e.Used)
	}
	// Beyond what was sold: refused, nothing stored, the message names
	// the entitlement, sold, used and asked.
	_, err := rec(store.Consumption{ID: "u3", ContractID: "k1", EntitlementID: "e1", Unit: "hours", Quantity: 0.25, At: day(3),
		SourceKind: store.SourceTimeEntry, SourceID: "te3"})
	if !errors.Is(err, store.ErrConflict) || !strings.Contains(err.Error(), "Reactive hours") || !strings.Contains(err.Error(), "sold 10") ||
		!strings.Contains(err.Error(), "used 10") || !strings.Contains(err.Error(), "asked 0.25") {
		t.Fatalf("over-consumption: %v", err)
	}
	if _, err := db.Consumption("u3"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a refused consumption was stored: %v", err)
	}
	// Lowering a source's own quantity is fine even at the limit.
	if _, err := rec(store.Consumption{ID: "x", ContractID: "k1", EntitlementID: "e1", Unit: "hours", Quantity: 7, At: day(2),
		SourceKind: store.SourceTimeEntry, SourceID: "te2"}); err != nil {
		t.Fatalf("lowering at the limit: %v", err)
	}
	// Allowed beyond: stored and flagged.
	if c, err := rec(store.Consumption{ID: "u4", ContractID: "k1", EntitlementID: "e2", Unit: "visits", Quantity: 2, At: day(4),
		SourceKind: store.SourceManual, SourceID: "m1", Note: "server room"}); err != nil || !c.Over {
		t.Fatalf("allowed over-consumption: %+v %v", c, err)
	}
	// An entitlement of another contract or client is not found.
	if _, err := rec(store.Consumption{ID: "u5", ContractID: "k2", EntitlementID: "e1", Quantity: 1, At: day(4)}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("entitlement of another contract: %v", err)
	}
	if _, err := rec(store.Consumption{ID: "u5", ClientID: "c2", ContractID: "k1", EntitlementID: "e1", Quantity: 1, At: day(4)}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("entitlement of another client: %v", err)
	}
	// Uncovered work: no contract; and work of c2.
	for _, c := range []store.Consumption{
		{ID: "u6", Unit: "hours", Quantity: 1, At: day(5), SourceKind: store.SourceTimeEntry, SourceID: "te6"},
		{ID: "u7", ClientID: "c2", ContractID: "k3", Unit: "hours", Quantity: 3, At: day(1)},
	} {
		if _, err := rec(c); err != nil {
			t.Fatal(err)
		}
	}
	cids := func(q store.ConsumptionQuery) string {
		got, err := db.Consumptions(q)
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, c := range got {
			s = append(s, c.ID)
		}
		return strings.Join(s, ",")
	}
	for _, tc := range []struct {
		q    store.ConsumptionQuery
		want string
	}{
		{store.ConsumptionQuery{}, "u1,u7,u2,u4,u6"},
		{store.ConsumptionQuery{ClientID: "c1"}, "u1,u2,u4,u6"},
		{store.ConsumptionQuery{ClientID: "c1", EntitlementID: "e1"}, "u1,u2"},
		{store.ConsumptionQuery{ContractID: "k3"}, "u7"},
		{store.ConsumptionQuery{ClientID: "c1", ContractID: "k1"}, "u1,u2,u4"},
		{store.ConsumptionQuery{ClientID: "c1", ContractID: "k2"}, ""},
		{store.ConsumptionQuery{ClientID: "c1", Uncovered: true}, "u6"},
		{store.ConsumptionQuery{From: day(2), To: day(5)}, "u2,u4"},
		{store.ConsumptionQuery{Limit: 2}, "u1,u7"},
		{store.ConsumptionQuery{Scope: store.Scope{Only: true, Clients: []string{"c2"}}}, "u7"},
		{store.ConsumptionQuery{ClientID: "c1", Scope: store.Scope{Only: true, Clients: []string{"c2"}}}, ""},
	} {
		if got := cids(tc.q); got != tc.want {
			t.Errorf("consumptions %+v = %q, want %q", tc.q, got, tc.want)
		}
	}
	if c, err := db.Consumption("u1"); err != nil || c.Quantity != 2.5 || c.TicketNumber != 0 || c.SourceID != "te1" {
		t.Errorf("replaced consumption = %+v %v", c, err)
	}

	if c, err := db.ConsumptionBySource(store.SourceTimeEntry, "te1"); err != nil || c.ID != "u1" {
		t.Errorf("by source = %+v %v", c, err)
	}
	if _, err := db.ConsumptionBySource(store.SourceTicket, "te1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("by source of another kind: %v", err)
	}
	if err := db.DeleteEntitlement("e1"); !errors.Is(err, store.ErrConflict) {
		t.Errorf("deleting a consumed entitlement: %v", err)
	}
	if err := db.DeleteEntitlement("e3"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Entitlement("e3"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted entitlement: %v", err)
	}
	if got, err := db.Entitlements("k1"); err != nil || len(got) != 2 || got[0].ID != "e2" || got[1].ID != "e1" {
		t.Errorf("entitlements after a deletion = %+v %v", got, err)
	}
	if got, err := db.Entitlements("k2"); err != nil || len(got) != 0 {
		t.Errorf("entitlements of a contract without any = %+v %v", got, err)
	}
	// Release by source and delete by ID give the quantity back.
	if err := db.ReleaseSource(store.SourceTimeEntry, "te2"); err != nil {
		t.Fatal(err)
	}
	if err := db.ReleaseSource(store.SourceTimeEntry, "no-such"); err != nil {
		t.Errorf("releasing an unknown source: %v", err)
	}
	if err := db.DeleteConsumption("u1"); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteConsumption("u1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleting twice: %v", err)
	}
	if e, _ := db.Entitlement("e1"); e.Used != 0 {
		t.Errorf("used after release and delete = %g", e.Used)
	}
	if _, err := db.ConsumptionBySource(store.SourceTimeEntry, "te2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("released source still found: %v", err)
	}
	if got := cids(store.ConsumptionQuery{ClientID: "c1"}); got != "u4,u6" {
		t.Errorf("after release = %q", got)
	}
	// The source is free again: a new consumption gets the new ID.
	if c, err := rec(store.Consumption{ID: "u8", ContractID: "k1", EntitlementID: "e1", Unit: "hours", Quantity: 10, At: day(6),
		SourceKind: store.SourceTimeEntry, SourceID: "te1"}); err != nil || c.ID != "u8" {
		t.Errorf("released source reused: %+v %v", c, err)
	}
	if e, _ := db.Entitlement("e1"); e.Used != 10 || e.Name != "Reactive hours" {
		t.Errorf("entitlement after reuse: %+v", e)
	}
	// Changing an entitlement keeps what was used.
	es[0].Quantity, es[0].Used = 20, 0
	if err := db.PutEntitlement(es[0]); err != nil {
		t.Fatal(err)
	}
	if e, _ := db.Entitlement("e1"); e.Used != 10 || e.Quantity != 20 {
		t.Errorf("entitlement changed: %+v", e)
	}
}
