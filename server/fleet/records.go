package fleet

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/store"
)

// The store keeps a device's inventory and health report as opaque
// documents (it never reads inside them). These convert between the
// protocol's types and those records, at the edge that handles the agent's
// messages and builds the device views: a document is the protocol type's
// JSON, the bytes the first servers nested in the record.

// InventoryRecord is the store record of a device's inventory.
func InventoryRecord(deviceID, hash string, at time.Time, inv *protocol.Inventory) (store.Inventory, error) {
	b, err := json.Marshal(inv)
	if err != nil {
		return store.Inventory{}, fmt.Errorf("encode inventory: %w", err)
	}
	return store.Inventory{DeviceID: deviceID, Hash: hash, UpdatedAt: at, Doc: b}, nil
}

// DecodeInventory returns the inventory a record holds.
func DecodeInventory(rec store.Inventory) (protocol.Inventory, error) {
	var inv protocol.Inventory
	if err := decodeDoc(rec.Doc, &inv); err != nil {
		return inv, fmt.Errorf("inventory of %s: %w", rec.DeviceID, err)
	}
	return inv, nil
}

// HealthRecord is the store record of a device's health report.
func HealthRecord(deviceID, hash string, at time.Time, h *protocol.Health) (store.Health, error) {
	b, err := json.Marshal(h)
	if err != nil {
		return store.Health{}, fmt.Errorf("encode health: %w", err)
	}
	return store.Health{DeviceID: deviceID, Hash: hash, UpdatedAt: at, Doc: b}, nil
}

// DecodeHealth returns the health report a record holds.
func DecodeHealth(rec store.Health) (protocol.Health, error) {
	var h protocol.Health
	if err := decodeDoc(rec.Doc, &h); err != nil {
		return h, fmt.Errorf("health of %s: %w", rec.DeviceID, err)
	}
	return h, nil
}

func decodeDoc(b []byte, v any) error {
	if len(b) == 0 {
		return nil
	}
	return json.Unmarshal(b, v)
}

// healthPage is how many health reports are decoded at a time when the
// whole fleet's are walked.
const healthPage = 500

// EachHealth calls fn with every stored health report, decoded, a page at
// a time, stopping at fn's first error, which it returns.
func EachHealth(st store.DeviceStore, fn func(deviceID string, h *protocol.Health) error) error {
	return eachHealth(st, func(rec *store.Health, h *protocol.Health) error { return fn(rec.DeviceID, h) })
}

// eachHealth is EachHealth with the stored record (its hash) as well.
func eachHealth(st store.DeviceStore, fn func(rec *store.Health, h *protocol.Health) error) error {
	for after := ""; ; {
		page, err := st.Healths(after, healthPage)
		if err != nil || len(page) == 0 {
			return err
		}
		for _, rec := range page {
			h, err := DecodeHealth(rec)
			if err != nil {
				return err
			}
			if err := fn(&rec, &h); err != nil {
				return err
			}
		}
		after = page[len(page)-1].DeviceID
	}
}
