package contracts

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// The methods here are the wing's API for other wings (CONTRACTS7: the
// tickets and invoices wings), reached through adapters in the wiring.

// ContractRef is a contract as the tickets wing sees it.
type ContractRef struct {
	ID, ClientID, Name, SLAID string
	Active                    bool
	HourlyRateCents           int64
}

// Consumption is one delivery the tickets wing reports: Unit "hours"
// (a time entry, Quantity in hours) or "tickets" (a ticket opened under
// the contract, Quantity 1), from SourceKind "time_entry" or "ticket".
// ContractID "" records uncovered work: the client's work that belongs to
// no contract, which the activity page lists apart.
type Consumption struct {
	ClientID, ContractID, Unit, SourceKind, SourceID, TicketID string
	TicketNumber                                               int64
	Quantity                                                   float64
	UserID, UserName                                           string
	At                                                         time.Time
}

// ContractCharge is one recurring fee due in a period.
type ContractCharge struct {
	ContractID, ContractName, Description string
	AmountCents                           int64
}

// ContractForTicket returns a client's contract for a ticket: contractID,
// or when it is "" the client's default one (the active contract marked
// Default, else the only active contract). It wraps store.ErrNotFound
// when there is none or contractID is not a contract of clientID.
func (w *Wing) ContractForTicket(_ context.Context, clientID, contractID string) (ContractRef, error) {
	today := w.today()
	if contractID != "" {
		c, err := w.d.Store.Contract(contractID)
		if err != nil || c.ClientID != clientID {
			return ContractRef{}, fmt.Errorf("contract %q of client %q: %w", contractID, clientID, store.ErrNotFound)
		}
		return ref(&c, today), nil
	}
	c, err := w.defaultContract(clientID, today)
	if err != nil {
		return ContractRef{}, err
	}
	return ref(&c, today), nil
}

func ref(c *store.Contract, today time.Time) ContractRef {
	return ContractRef{ID: c.ID, ClientID: c.ClientID, Name: c.Name, SLAID: c.SLAID, Active: active(c, today),
		HourlyRateCents: c.HourlyRateCents}
}

// defaultContract is the client's active default contract, else its only
// active contract.
func (w *Wing) defaultContract(clientID string, today time.Time) (store.Contract, error) {
	cs, err := w.d.Store.Contracts(store.ContractQuery{ClientID: clientID})
	if err != nil {
		return store.Contract{}, err
	}
	var act []store.Contract
	for i := range cs {
		if !active(&cs[i], today) {
			continue
		}
		if cs[i].Default {
			return cs[i], nil
		}
		act = append(act, cs[i])
	}
	if len(act) == 1 {
		return act[0], nil
	}
	return store.Contract{}, fmt.Errorf("client %q has no default contract (%d active): %w", clientID, len(act), store.ErrNotFound)
}

// Consume records a delivery against the contract's consumable
// entitlement of c.Unit that has not expired on c.At (the one expiring
// first with enough left, else the first), idempotently per (SourceKind,
// SourceID): a second call replaces the quantity. A contract without such
// an entitlement records nothing (and drops what the source had
// recorded). An entitlement that refuses over-consumption refuses it with
// an error wrapping store.ErrConflict naming the entitlement, sold, used
// and asked.
func (w *Wing) Consume(_ context.Context, c Consumption) error {
	if c.SourceKind == "" || c.SourceID == "" || c.ClientID == "" {
		return errors.New("contracts: a consumption needs a client, a source kind and a source ID")
	}
	if math.IsNaN(c.Quantity) || c.Quantity < 0 || c.Quantity > maxQuantity {
		return fmt.Errorf("contracts: quantity %g out of range", c.Quantity)
	}
	if c.At.IsZero() {
		c.At = w.d.Now()
	}
	x := store.Consumption{ID: httpx.NewID("cu"), ClientID: c.ClientID, ContractID: c.ContractID, Unit: c.Unit,
		Quantity: qty(c.Quantity), At: c.At.UTC(), SourceKind: c.SourceKind, SourceID: c.SourceID, TicketID: c.TicketID,
		TicketNumber: c.TicketNumber, UserID: c.UserID, UserName: c.UserName, CreatedAt: w.d.Now().UTC()}
	name := "uncovered work"
	if c.ContractID != "" {
		k, err := w.d.Store.Contract(c.ContractID)
		if err != nil || k.ClientID != c.ClientID {
			return fmt.Errorf("contract %q of client %q: %w", c.ContractID, c.ClientID, store.ErrNotFound)
		}
		e, ok, err := w.pickEntitlement(&k, &c)
		if err != nil {
			return err
		}
		if !ok {
			return w.d.Store.ReleaseSource(c.SourceKind, c.SourceID)
		}
		x.EntitlementID, name = e.ID, k.Name+" / "+e.Name
	}
	saved, err := w.d.Store.RecordConsumption(x)
	if err != nil {
		return fmt.Errorf("contract %s: %w", name, err)
	}
	w.d.Audit.AuditSystem("contract.consume", saved.ID, map[string]string{"client": saved.ClientID, "contract": saved.ContractID,
		"entitlement": saved.EntitlementID, "unit": saved.Unit, "quantity": strconv.FormatFloat(saved.Quantity, 'f', -1, 64),
		"source": saved.SourceKind + ":" + saved.SourceID, "user": saved.UserName, "over": strconv.FormatBool(saved.Over)})
	return nil
}

// pickEntitlement chooses the entitlement a consumption counts against.
// The one the source already counts against is kept while it still
// fits, so that changing a time entry does not move it around.
func (w *Wing) pickEntitlement(k *store.Contract, c *Consumption) (store.Entitlement, bool, error) {
	es, err := w.d.Store.Entitlements(k.ID)
	if err != nil {
		return store.Entitlement{}, false, err
	}
	on, today := day(c.At), w.today()
	var cands []store.Entitlement
	for i := range es {
		x := expiry(&es[i], k, today)
		if es[i].Consumable && es[i].Unit == c.Unit && (x.IsZero() || !on.After(x)) {
			cands = append(cands, es[i])
		}
	}
	if len(cands) == 0 {
		return store.Entitlement{}, false, nil
	}
	mine := map[string]float64{}
	if prev, err := w.d.Store.ConsumptionBySource(c.SourceKind, c.SourceID); err == nil {
		mine[prev.EntitlementID] = prev.Quantity
	} else if !errors.Is(err, store.ErrNotFound) {
		return store.Entitlement{}, false, err
	}
	slices.SortStableFunc(cands, func(a, b store.Entitlement) int {
		xa, xb := expiry(&a, k, today), expiry(&b, k, today)
		switch {
		case xa.Equal(xb):
			return 0
		case xa.IsZero():
			return 1
		case xb.IsZero():
			return -1
		}
		return xa.Compare(xb)
	})
	fits := func(e *store.Entitlement) bool { return e.Used-mine[e.ID]+c.Quantity <= e.Quantity }
	for i := range cands {
		if _, ok := mine[cands[i].ID]; ok && fits(&cands[i]) {
			return cands[i], true, nil
		}
	}
	for i := range cands {
		if fits(&cands[i]) {
			return cands[i], true, nil
		}
	}
	for i := range cands {
		if _, ok := mine[cands[i].ID]; ok {
			return cands[i], true, nil
		}
	}
	return cands[0], true, nil
}

// Release drops the consumption of a deleted source; nil if it had none.
func (w *Wing) Release(_ context.Context, sourceKind, sourceID string) error {
	if sourceID == "" {
		return nil
	}
	if err := w.d.Store.ReleaseSource(sourceKind, sourceID); err != nil {
		return err
	}
	w.d.Audit.AuditSystem("contract.release", sourceKind+":"+sourceID, map[string]string{"source": sourceKind + ":" + sourceID})
	return nil
}

// ContractCharges lists the recurring fees of a client's contracts due in
// [from, to): one charge of MonthlyFeeCents per calendar month that
// overlaps both the period and the contract's dates (its end as of the
// period's last day, so renewals inside the period count and an early
// end stops the fees).
func (w *Wing) ContractCharges(_ context.Context, clientID string, from, to time.Time) ([]ContractCharge, error) {
	cs, err := w.d.Store.Contracts(store.ContractQuery{ClientID: clientID})
	if err != nil {
		return nil, err
	}
	var out []ContractCharge
	if !from.Before(to) {
		return out, nil
	}
	asOf := day(to.Add(-time.Nanosecond))
	for i := range cs {
		c := &cs[i]
		if c.MonthlyFeeCents <= 0 {
			continue
		}
		stop := time.Time{} // first instant not covered; zero: open-ended
		if end := lastDay(c, asOf); !end.IsZero() {
			stop = end.AddDate(0, 0, 1)
		}
		y, m, _ := from.UTC().Date()
		for ms := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC); ms.Before(to); ms = ms.AddDate(0, 1, 0) {
			me := ms.AddDate(0, 1, 0)
			if !me.After(from) || !me.After(c.Start) || (!stop.IsZero() && !ms.Before(stop)) {
				continue
			}
			out = append(out, ContractCharge{ContractID: c.ID, ContractName: c.Name, AmountCents: c.MonthlyFeeCents,
				Description: c.Name + ": monthly fee, " + ms.Format("January 2006")})
		}
	}
	return out, nil
}

// HourlyRate returns a contract's hourly rate (contractID "": the
// client's default contract); ok is false when it has none. A contractID
// that is not a contract of clientID wraps store.ErrNotFound.
func (w *Wing) HourlyRate(ctx context.Context, clientID, contractID string) (int64, bool, error) {
	r, err := w.ContractForTicket(ctx, clientID, contractID)
	if contractID == "" && errors.Is(err, store.ErrNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	return r.HourlyRateCents, r.HourlyRateCents > 0, nil
}
