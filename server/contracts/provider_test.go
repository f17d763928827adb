package contracts

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/store"
)

// TestConsume: the tickets wing's Consume on the real store: idempotent
// per source, refusal over what was sold naming entitlement, sold, used
// and asked (wrapping ErrConflict), allowed-and-flagged over-consumption,
// nothing recorded without an entitlement of the unit, uncovered work
// with no contract, Release giving the quantity back, and a contract of
// another client not found.
func TestConsume(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	k := r.contract("c_a", api.ContractRequest{Name: "Support 2027", Type: "block_of_hours", Start: "2027-01-01", End: "2027-12-31"})
	hours := r.entitlement(k.ID, api.EntitlementRequest{Name: "Reactive hours", Consumable: true, Unit: "hours", Quantity: 10})
	tickets := r.entitlement(k.ID, api.EntitlementRequest{Name: "Tickets", Consumable: true, Unit: "tickets", Quantity: 1, AllowOver: true})
	at := r.now
	te := func(id string, h float64) Consumption {
		return Consumption{ClientID: "c_a", ContractID: k.ID, Unit: "hours", SourceKind: "time_entry", SourceID: id, TicketID: "tk1",
			TicketNumber: 42, Quantity: h, UserID: "u_tina", UserName: "tina", At: at}
	}
	used := func(id string) float64 {
		e, err := r.db.Entitlement(id)
		if err != nil {
			t.Fatal(err)
		}
		return e.Used
	}
	if err := r.w.Consume(ctx, te("te1", 3)); err != nil {
		t.Fatal(err)
	}
	if err := r.w.Consume(ctx, te("te1", 4.5)); err != nil {
		t.Fatal(err)
	}
	if u := used(hours.ID); u != 4.5 {
		t.Fatalf("used after the same time entry twice = %g, want 4.5", u)
	}
	if err := r.w.Consume(ctx, te("te2", 5.5)); err != nil {
		t.Fatal(err)
	}
	err := r.w.Consume(ctx, te("te3", 0.5))
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("over what was sold: %v, want ErrConflict", err)
	}
	for _, s := range []string{"Reactive hours", "sold 10", "used 10", "asked 0.5"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("refusal %q does not name %q", err, s)
		}
	}
	if _, err := r.db.ConsumptionBySource("time_entry", "te3"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("refused consumption recorded: %v", err)
	}
	// Tickets: allowed over, flagged.
	for _, id := range []string{"tk1", "tk2"} {
		if err := r.w.Consume(ctx, Consumption{ClientID: "c_a", ContractID: k.ID, Unit: "tickets", SourceKind: "ticket", SourceID: id,
			Quantity: 1, At: at}); err != nil {
			t.Fatal(err)
		}
	}
	if c, err := r.db.ConsumptionBySource("ticket", "tk2"); err != nil || !c.Over || used(tickets.ID) != 2 {
		t.Errorf("second ticket over one sold: %+v %v", c, err)
	}
	// A unit the contract has no entitlement of: nothing recorded, and a
	// source that moved there drops what it had.
	if err := r.w.Consume(ctx, Consumption{ClientID: "c_a", ContractID: k.ID, Unit: "visits", SourceKind: "ticket", SourceID: "tk1",
		Quantity: 1, At: at}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.db.ConsumptionBySource("ticket", "tk1"); !errors.Is(err, store.ErrNotFound) || used(tickets.ID) != 1 {
		t.Errorf("moved to a unit without entitlement: %v, used %g", err, used(tickets.ID))
	}
	// No contract: uncovered work.
	if err := r.w.Consume(ctx, Consumption{ClientID: "c_a", Unit: "hours", SourceKind: "time_entry", SourceID: "te9", Quantity: 2,
		At: at, UserName: "tina"}); err != nil {
		t.Fatal(err)
	}
	if un, _ := r.db.Consumptions(store.ConsumptionQuery{ClientID: "c_a", Uncovered: true}); len(un) != 1 || un[0].Quantity != 2 {
		t.Errorf("uncovered work = %+v", un)
	}
	// Another client's contract, or an unknown one: not found.
	if err := r.w.Consume(ctx, Consumption{ClientID: "c_b", ContractID: k.ID, Unit: "hours", SourceKind: "time_entry", SourceID: "x",
		Quantity: 1, At: at}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("contract of another client: %v", err)
	}
	if err := r.w.Consume(ctx, Consumption{ClientID: "c_a", ContractID: k.ID, Unit: "hours", Quantity: 1}); err == nil {
		t.Error("a consumption without a source was accepted")
	}
	// Release gives the hours back; releasing again or an unknown source is nil.
	if err := r.w.Release(ctx, "time_entry", "te2"); err != nil {
		t.Fatal(err)
	}
	if err := r.w.Release(ctx, "time_entry", "te2"); err != nil {
		t.Errorf("second release: %v", err)
	}
	if u := used(hours.ID); u != 4.5 {
		t.Errorf("used after release = %g, want 4.5", u)
	}
	if err := r.w.Consume(ctx, te("te3", 0.5)); err != nil {
		t.Errorf("after release there is room: %v", err)
	}
	if !r.audited("contract.consume") || !r.audited("contract.release") {
		t.Error("consumption and release not audited")
	}
}

// TestConsumeExpiry: an entitlement that expired before the work's date
// is not consumed; a second one of the same unit that still runs is.
func TestConsumeExpiry(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	k := r.contract("c_a", api.ContractRequest{Name: "Support", Start: "2027-01-01", End: "2027-12-31"})
	old := r.entitlement(k.ID, api.EntitlementRequest{Name: "Q1 hours", Consumable: true, Unit: "hours", Quantity: 5, Expiry: "2027-03-31"})
	later := r.entitlement(k.ID, api.EntitlementRequest{Name: "Year hours", Consumable: true, Unit: "hours", Quantity: 20})
	rec := func(id string, at time.Time) string {
		if err := r.w.Consume(ctx, Consumption{ClientID: "c_a", ContractID: k.ID, Unit: "hours", SourceKind: "time_entry", SourceID: id,
			Quantity: 1, At: at}); err != nil {
			t.Fatal(err)
		}
		c, err := r.db.ConsumptionBySource("time_entry", id)
		if err != nil {
			t.Fatal(err)
		}
		return c.EntitlementID
	}
	if got := rec("a", time.Date(2027, 3, 1, 10, 0, 0, 0, time.UTC)); got != old.ID {
		t.Errorf("March work counted against %s, want the Q1 hours (expiring first)", got)
	}
	if got := rec("b", time.Date(2027, 4, 2, 10, 0, 0, 0, time.UTC)); got != later.ID {
		t.Errorf("April work counted against %s, want the year's hours", got)
	}
	// After the contract's end: no entitlement runs, nothing recorded.
	if err := r.w.Consume(ctx, Consumption{ClientID: "c_a", ContractID: k.ID, Unit: "hours", SourceKind: "time_entry", SourceID: "c",
		Quantity: 1, At: time.Date(2028, 1, 2, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.db.ConsumptionBySource("time_entry", "c"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("work after the contract's end recorded: %v", err)
	}
}

// TestContractForTicket: a named contract of the client, the active
// default, else the only active one, else not found.
func TestContractForTicket(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	if _, err := r.w.ContractForTicket(ctx, "c_a", ""); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("no contract: %v", err)
	}
	a := r.contract("c_a", api.ContractRequest{Name: "A", Start: "2027-01-01", SLAID: "sla_gold", HourlyRateCents: 9500})
	if ref, err := r.w.ContractForTicket(ctx, "c_a", ""); err != nil || ref.ID != a.ID || !ref.Active || ref.SLAID != "sla_gold" ||
		ref.HourlyRateCents != 9500 || ref.Name != "A" || ref.ClientID != "c_a" {
		t.Fatalf("the only active contract: %+v %v", ref, err)
	}
	b := r.contract("c_a", api.ContractRequest{Name: "B", Start: "2027-02-01"})
	if _, err := r.w.ContractForTicket(ctx, "c_a", ""); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("two active, no default: %v", err)
	}
	r.call("tina", "PUT", "/api/v1/contracts/"+b.ID, api.ContractRequest{Name: "B", Start: "2027-02-01", Default: true}, nil)
	if ref, err := r.w.ContractForTicket(ctx, "c_a", ""); err != nil || ref.ID != b.ID {
		t.Errorf("default: %+v %v", ref, err)
	}
	// An expired default does not count: the only active one does.
	r.call("tina", "POST", "/api/v1/contracts/"+b.ID+"/end", api.ContractEndRequest{Date: "2027-03-01"}, nil)
	if ref, err := r.w.ContractForTicket(ctx, "c_a", ""); err != nil || ref.ID != a.ID {
		t.Errorf("after the default ended: %+v %v", ref, err)
	}
	if ref, err := r.w.ContractForTicket(ctx, "c_a", b.ID); err != nil || ref.Active {
		t.Errorf("the ended contract by ID: %+v %v", ref, err)
	}
	if _, err := r.w.ContractForTicket(ctx, "c_b", a.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a contract of another client: %v", err)
	}
}

// TestContractCharges: one monthly fee per calendar month overlapping
// both the period and the contract; an early end stops them, renewal
// carries them on, no fee no charge.
func TestContractCharges(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	k := r.contract("c_a", api.ContractRequest{Name: "Managed", Start: "2027-01-15", End: "2027-03-10", MonthlyFeeCents: 120000})
	r.contract("c_a", api.ContractRequest{Name: "Free", Start: "2027-01-01"})
	r.contract("c_b", api.ContractRequest{Name: "Other", Start: "2027-01-01", MonthlyFeeCents: 5})
	from, to := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 7, 1, 0, 0, 0, 0, time.UTC)
	desc := func(cs []ContractCharge) string {
		var s []string
		for _, c := range cs {
			if c.AmountCents != 120000 || c.ContractID != k.ID || c.ContractName != "Managed" {
				t.Errorf("charge %+v", c)
			}
			s = append(s, c.Description)
		}
		return strings.Join(s, "; ")
	}
	cs, err := r.w.ContractCharges(ctx, "c_a", from, to)
	if got := desc(cs); err != nil || got != "Managed: monthly fee, January 2027; Managed: monthly fee, February 2027; Managed: monthly fee, March 2027" {
		t.Fatalf("charges = %q %v", got, err)
	}
	if cs, _ := r.w.ContractCharges(ctx, "c_a", time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)); desc(cs) != "Managed: monthly fee, February 2027" {
		t.Errorf("February alone = %q", desc(cs))
	}
	r.call("tina", "POST", "/api/v1/contracts/"+k.ID+"/end", api.ContractEndRequest{Date: "2027-02-01"}, nil)
	if cs, _ := r.w.ContractCharges(ctx, "c_a", from, to); desc(cs) != "Managed: monthly fee, January 2027" {
		t.Errorf("ended on 1 February = %q", desc(cs))
	}
	// Auto-renewing by three months from 10 March: renewed to 10 June,
	// then 10 September, so every month to June is due.
	rn := r.contract("c_b", api.ContractRequest{Name: "Renewing", Start: "2027-01-01", End: "2027-03-10", AutoRenew: true,
		RenewalMonths: 3, MonthlyFeeCents: 100})
	cs, _ = r.w.ContractCharges(ctx, "c_b", time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 10, 1, 0, 0, 0, 0, time.UTC))
	n := 0
	for _, c := range cs {
		if c.ContractID == rn.ID {
			n++
		}
	}
	if n != 4 {
		t.Errorf("renewing contract June-September: %d charges, want 4: %+v", n, cs)
	}
	if cs, _ := r.w.ContractCharges(ctx, "c_a", to, from); len(cs) != 0 {
		t.Errorf("empty period: %+v", cs)
	}
}

// TestHourlyRate: a contract's rate; none (ok false); the default
// contract when none is named; another client's contract not found.
func TestHourlyRate(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	if _, ok, err := r.w.HourlyRate(ctx, "c_a", ""); ok || err != nil {
		t.Errorf("no contract: ok %v %v", ok, err)
	}
	a := r.contract("c_a", api.ContractRequest{Name: "A", HourlyRateCents: 8000, Default: true})
	b := r.contract("c_a", api.ContractRequest{Name: "B"})
	if c, ok, err := r.w.HourlyRate(ctx, "c_a", a.ID); c != 8000 || !ok || err != nil {
		t.Errorf("A: %d %v %v", c, ok, err)
	}
	if c, ok, err := r.w.HourlyRate(ctx, "c_a", b.ID); c != 0 || ok || err != nil {
		t.Errorf("B without a rate: %d %v %v", c, ok, err)
	}
	if c, ok, _ := r.w.HourlyRate(ctx, "c_a", ""); c != 8000 || !ok {
		t.Errorf("default: %d %v", c, ok)
	}
	if _, _, err := r.w.HourlyRate(ctx, "c_b", a.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another client's contract: %v", err)
	}
}

// TestStatus: upcoming, active, expired; renewal carries the end
// forward; an early end cuts it.
func TestStatus(t *testing.T) {
	d := func(s string) time.Time { t, _ := time.Parse(dateFmt, s); return t }
	today := d("2027-03-10")
	for _, tc := range []struct {
		c    store.Contract
		want string
		last string
	}{
		{store.Contract{Start: d("2027-04-01")}, "upcoming", ""},
		{store.Contract{Start: d("2027-01-01")}, "active", ""},
		{store.Contract{Start: d("2027-01-01"), End: d("2027-03-10")}, "active", "2027-03-10"},
		{store.Contract{Start: d("2027-01-01"), End: d("2027-03-09")}, "expired", "2027-03-09"},
		{store.Contract{Start: d("2025-01-01"), End: d("2025-12-31"), AutoRenew: true, RenewalMonths: 12}, "active", "2027-12-31"},
		{store.Contract{Start: d("2025-01-01"), End: d("2025-12-31"), AutoRenew: true, EndedOn: d("2026-06-01")}, "expired", "2026-05-31"},
		{store.Contract{Start: d("2027-01-01"), End: d("2027-12-31"), EndedOn: d("2027-03-10")}, "expired", "2027-03-09"},
		{store.Contract{Start: d("2027-01-01"), EndedOn: d("2027-03-11")}, "active", "2027-03-10"},
	} {
		if got, last := status(&tc.c, today), date(lastDay(&tc.c, today)); got != tc.want || last != tc.last {
			t.Errorf("%+v: %s until %q, want %s until %q", tc.c, got, last, tc.want, tc.last)
		}
	}
}
