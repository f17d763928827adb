package boltstore

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/steward-rmm/steward/server/store"
	bolt "go.etcd.io/bbolt"
)

// Contracts, entitlements and consumptions by ID; consumptions also by
// client NUL contract NUL ID (contract_usage_by_client, so a client's
// activity reads only its own, a contract's drill-down only the
// contract's, and uncovered work, whose contract is "", only itself) and
// by kind NUL source ID -> consumption ID (contract_usage_sources, one
// consumption per source).
var (
	bContracts        = []byte("contracts")
	bEntitlements     = []byte("contract_entitlements")
	bConsumptions     = []byte("contract_usage")
	bConsumptionByCli = []byte("contract_usage_by_client")
	bConsumptionSrc   = []byte("contract_usage_sources")
	// bEntByContract: contract NUL entitlement ID, so listing a
	// contract's entitlements reads only its own.
	bEntByContract = []byte("contract_entitlements_by_contract")
)

type diskContract struct {
	ID              string    `json:"id"`
	ClientID        string    `json:"client_id"`
	Name            string    `json:"name"`
	Type            string    `json:"type"`
	Start           time.Time `json:"start,omitzero"`
	End             time.Time `json:"end,omitzero"`
	EndedOn         time.Time `json:"ended_on,omitzero"`
	SLAID           string    `json:"sla_id,omitempty"`
	AutoRenew       bool      `json:"auto_renew,omitempty"`
	RenewalMonths   int       `json:"renewal_months,omitempty"`
	NoticeDays      int       `json:"notice_days,omitempty"`
	Default         bool      `json:"default,omitempty"`
	MonthlyFeeCents int64     `json:"monthly_fee_cents,omitempty"`
	HourlyRateCents int64     `json:"hourly_rate_cents,omitempty"`
	Currency        string    `json:"currency,omitempty"`
	Notes           string    `json:"notes,omitempty"`
	CreatedAt       time.Time `json:"created_at,omitzero"`
	UpdatedAt       time.Time `json:"updated_at,omitzero"`
	UpdatedBy       string    `json:"updated_by,omitempty"`
}

type diskEntitlement struct {
	ID         string    `json:"id"`
	ContractID string    `json:"contract_id"`
	ClientID   string    `json:"client_id"`
	Name       string    `json:"name"`
	Consumable bool      `json:"consumable,omitempty"`
	Unit       string    `json:"unit,omitempty"`
	Quantity   float64   `json:"quantity,omitempty"`
	Expiry     time.Time `json:"expiry,omitzero"`
	AllowOver  bool      `json:"allow_over,omitempty"`
	Used       float64   `json:"used,omitempty"`
	CreatedAt  time.Time `json:"created_at,omitzero"`
	UpdatedAt  time.Time `json:"updated_at,omitzero"`
	UpdatedBy  string    `json:"updated_by,omitempty"`
}

type diskConsumption struct {
	ID            string    `json:"id"`
	ClientID      string    `json:"client_id"`
	ContractID    string    `json:"contract_id,omitempty"`
	EntitlementID string    `json:"entitlement_id,omitempty"`
	Unit          string    `json:"unit"`
	Quantity      float64   `json:"quantity"`
	At            time.Time `json:"at"`
	SourceKind    string    `json:"source_kind,omitempty"`
	SourceID      string    `json:"source_id,omitempty"`
	TicketID      string    `json:"ticket_id,omitempty"`
	TicketNumber  int64     `json:"ticket_number,omitempty"`
	UserID        string    `json:"user_id,omitempty"`
	UserName      string    `json:"user_name,omitempty"`
	Note          string    `json:"note,omitempty"`
	Over          bool      `json:"over,omitempty"`
	CreatedAt     time.Time `json:"created_at,omitzero"`
}

// migrateContracts creates the buckets of contracts, entitlements and
// consumption (contracts.go).
func migrateContracts(tx *bolt.Tx) error {
	for _, b := range [][]byte{bContracts, bEntitlements, bEntByContract, bConsumptions, bConsumptionByCli, bConsumptionSrc} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	return nil
}

// PutContract creates or replaces a contract.
func (s *DB) PutContract(c store.Contract) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bClients).Get([]byte(c.ClientID)) == nil {
			return fmt.Errorf("client %q: %w", c.ClientID, store.ErrNotFound)
		}
		var old store.Contract
		if err := get(tx, bContracts, c.ID, &old); err == nil && old.ClientID != c.ClientID {
			return fmt.Errorf("contract %q belongs to another client: %w", c.ID, store.ErrConflict)
		}
		if c.Default {
			// A client has one default contract: the others lose the mark.
			var others []store.Contract
			err := each(tx, bContracts, nil, func(o *store.Contract) error {
				if o.ClientID == c.ClientID && o.ID != c.ID && o.Default {
					others = append(others, *o)
				}
				return nil
			})
			if err != nil {
				return err
			}
			for _, o := range others {
				o.Default = false
				if err := put(tx, bContracts, o.ID, o); err != nil {
					return err
				}
			}
		}
		return put(tx, bContracts, c.ID, c)
	})
}

// Contract returns a contract by ID.
func (s *DB) Contract(id string) (c store.Contract, err error) {
	err = s.db.View(func(tx *bolt.Tx) error { return get(tx, bContracts, id, &c) })
	return c, err
}

// Contracts lists the contracts q selects, by client, start then ID.
func (s *DB) Contracts(q store.ContractQuery) ([]store.Contract, error) {
	out, err := list(s, bContracts, nil, q.Match)
	slices.SortFunc(out, func(a, b store.Contract) int {
		if c := strings.Compare(a.ClientID, b.ClientID); c != 0 {
			return c
		}
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, err
}

// PutEntitlement creates or replaces an entitlement, keeping its Used.
func (s *DB) PutEntitlement(e store.Entitlement) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		var c store.Contract
		if err := get(tx, bContracts, e.ContractID, &c); err != nil {
			return err
		}
		e.ClientID, e.Used = c.ClientID, 0
		var old store.Entitlement
		if err := get(tx, bEntitlements, e.ID, &old); err == nil {
			if old.ContractID != e.ContractID {
				return fmt.Errorf("entitlement %q belongs to another contract: %w", e.ID, store.ErrConflict)
			}
			e.Used = old.Used
		}
		if err := tx.Bucket(bEntByContract).Put([]byte(e.ContractID+"\x00"+e.ID), nil); err != nil {
			return err
		}
		return put(tx, bEntitlements, e.ID, e)
	})
}

// Entitlement returns an entitlement by ID.
func (s *DB) Entitlement(id string) (e store.Entitlement, err error) {
	err = s.db.View(func(tx *bolt.Tx) error { return get(tx, bEntitlements, id, &e) })
	return e, err
}

// Entitlements lists a contract's entitlements by name then ID.
func (s *DB) Entitlements(contractID string) ([]store.Entitlement, error) {
	var out []store.Entitlement
	err := s.db.View(func(tx *bolt.Tx) error {
		prefix := []byte(contractID + "\x00")
		cur := tx.Bucket(bEntByContract).Cursor()
		for k, _ := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = cur.Next() {
			var e store.Entitlement
			if err := get(tx, bEntitlements, string(k[len(prefix):]), &e); err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	slices.SortFunc(out, func(a, b store.Entitlement) int {
		if c := strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, err
}

// DeleteEntitlement removes an entitlement nothing was consumed from.
func (s *DB) DeleteEntitlement(id string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		var e store.Entitlement
		if err := get(tx, bEntitlements, id, &e); err != nil {
			return err
		}
		used := false
		err := eachUsage(tx, []byte(e.ClientID+"\x00"+e.ContractID+"\x00"), func(c *store.Consumption) (bool, error) {
			used = c.EntitlementID == id
			return used, nil
		})
		if err != nil {
			return err
		}
		if used {
			return fmt.Errorf("entitlement %q has consumption recorded: %w", e.Name, store.ErrConflict)
		}
		if err := tx.Bucket(bEntByContract).Delete([]byte(e.ContractID + "\x00" + id)); err != nil {
			return err
		}
		return tx.Bucket(bEntitlements).Delete([]byte(id))
	})
}

func srcKey(kind, id string) []byte { return []byte(kind + "\x00" + id) }

// usageKey is a consumption's key in the by-client index.
func usageKey(c *store.Consumption) []byte {
	return []byte(c.ClientID + "\x00" + c.ContractID + "\x00" + c.ID)
}

// eachUsage calls fn for the consumptions under an index prefix.
func eachUsage(tx *bolt.Tx, prefix []byte, fn func(*store.Consumption) (stop bool, err error)) error {
	cur := tx.Bucket(bConsumptionByCli).Cursor()
	for k, _ := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = cur.Next() {
		var c store.Consumption
		if err := get(tx, bConsumptions, string(k[bytes.LastIndexByte(k, 0)+1:]), &c); err != nil {
			return err
		}
		if stop, err := fn(&c); stop || err != nil {
			return err
		}
	}
	return nil
}

// addUsed adds q to an entitlement's Used.
func addUsed(tx *bolt.Tx, id string, q float64) error {
	if id == "" || q == 0 {
		return nil
	}
	var e store.Entitlement
	if err := get(tx, bEntitlements, id, &e); err != nil {
		return err
	}
	e.Used = roundQty(e.Used + q)
	return put(tx, bEntitlements, e.ID, e)
}

// roundQty keeps sums of hours free of float noise (0.1+0.2).
func roundQty(q float64) float64 {
	const scale = 1e6
	if q < 0 {
		return -roundQty(-q)
	}
	return float64(int64(q*scale+0.5)) / scale
}

// removeConsumption deletes a stored consumption and its indexes and
// takes it off its entitlement.
func removeConsumption(tx *bolt.Tx, c *store.Consumption) error {
	if err := addUsed(tx, c.EntitlementID, -c.Quantity); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if c.SourceID != "" {
		if err := tx.Bucket(bConsumptionSrc).Delete(srcKey(c.SourceKind, c.SourceID)); err != nil {
			return err
		}
	}
	if err := tx.Bucket(bConsumptionByCli).Delete(usageKey(c)); err != nil {
		return err
	}
	return tx.Bucket(bConsumptions).Delete([]byte(c.ID))
}

// RecordConsumption stores a consumption, replacing its source's.
func (s *DB) RecordConsumption(c store.Consumption) (store.Consumption, error) {
	err := s.db.Update(func(tx *bolt.Tx) error {
		var old store.Consumption
		hasOld := false
		if c.SourceID != "" {
			if id := tx.Bucket(bConsumptionSrc).Get(srcKey(c.SourceKind, c.SourceID)); id != nil {
				if err := get(tx, bConsumptions, string(id), &old); err != nil {
					return err
				}
				hasOld, c.ID, c.CreatedAt = true, old.ID, old.CreatedAt
			}
		}
		c.Over = false
		if c.EntitlementID != "" {
			var e store.Entitlement
			if err := get(tx, bEntitlements, c.EntitlementID, &e); err != nil {
				return err
			}
			if e.ContractID != c.ContractID || e.ClientID != c.ClientID {
				return fmt.Errorf("entitlement %q is not of contract %q: %w", e.ID, c.ContractID, store.ErrNotFound)
			}
			used := e.Used
			if hasOld && old.EntitlementID == e.ID {
				used = roundQty(used - old.Quantity)
			}
			if after := roundQty(used + c.Quantity); after > e.Quantity {
				if !e.AllowOver {
					return fmt.Errorf("entitlement %q: sold %g %s, used %g, asked %g: over-consumption refused: %w",
						e.Name, e.Quantity, e.Unit, used, c.Quantity, store.ErrConflict)
				}
				c.Over = true
			}
		} else if c.ContractID != "" {
			var k store.Contract
			if err := get(tx, bContracts, c.ContractID, &k); err != nil {
				return err
			}
			if k.ClientID != c.ClientID {
				return fmt.Errorf("contract %q is not of client %q: %w", k.ID, c.ClientID, store.ErrNotFound)
			}
		}
		if tx.Bucket(bClients).Get([]byte(c.ClientID)) == nil {
			return fmt.Errorf("client %q: %w", c.ClientID, store.ErrNotFound)
		}
		if hasOld {
			if err := removeConsumption(tx, &old); err != nil {
				return err
			}
		}
		if err := addUsed(tx, c.EntitlementID, c.Quantity); err != nil {
			return err
		}
		if c.SourceID != "" {
			if err := tx.Bucket(bConsumptionSrc).Put(srcKey(c.SourceKind, c.SourceID), []byte(c.ID)); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bConsumptionByCli).Put(usageKey(&c), nil); err != nil {
			return err
		}
		return put(tx, bConsumptions, c.ID, c)
	})
	return c, err
}

// Consumption returns a consumption by ID.
func (s *DB) Consumption(id string) (c store.Consumption, err error) {
	err = s.db.View(func(tx *bolt.Tx) error { return get(tx, bConsumptions, id, &c) })
	return c, err
}

// ConsumptionBySource returns the consumption of a source.
func (s *DB) ConsumptionBySource(kind, id string) (c store.Consumption, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		cid := tx.Bucket(bConsumptionSrc).Get(srcKey(kind, id))
		if cid == nil || id == "" {
			return fmt.Errorf("consumption of %s %q: %w", kind, id, store.ErrNotFound)
		}
		return get(tx, bConsumptions, string(cid), &c)
	})
	return c, err
}

// Consumptions lists the consumptions q selects, oldest first.
func (s *DB) Consumptions(q store.ConsumptionQuery) ([]store.Consumption, error) {
	var out []store.Consumption
	err := s.db.View(func(tx *bolt.Tx) error {
		keep := func(c *store.Consumption) error {
			if q.Match(c) {
				out = append(out, *c)
			}
			return nil
		}
		if q.ClientID == "" {
			return each(tx, bConsumptions, nil, keep)
		}
		// A client's consumptions through its index only: of one
		// contract, or uncovered work (contract ""), when asked.
		prefix := q.ClientID + "\x00"
		if q.Uncovered {
			prefix += "\x00"
		} else if q.ContractID != "" {
			prefix += q.ContractID + "\x00"
		}
		return eachUsage(tx, []byte(prefix), func(c *store.Consumption) (bool, error) { return false, keep(c) })
	})
	store.SortConsumptions(out)
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out, err
}

// DeleteConsumption removes a consumption.
func (s *DB) DeleteConsumption(id string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		var c store.Consumption
		if err := get(tx, bConsumptions, id, &c); err != nil {
			return err
		}
		return removeConsumption(tx, &c)
	})
}

// ReleaseSource removes the consumption of a source, if any.
func (s *DB) ReleaseSource(kind, id string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		cid := tx.Bucket(bConsumptionSrc).Get(srcKey(kind, id))
		if cid == nil || id == "" {
			return nil
		}
		var c store.Consumption
		if err := get(tx, bConsumptions, string(cid), &c); err != nil {
			return err
		}
		return removeConsumption(tx, &c)
	})
}
