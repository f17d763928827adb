package boltstore

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/steward-rmm/steward/server/store"
	bolt "go.etcd.io/bbolt"
)

// Invoices by ID; numbers -> invoice ID; client ID NUL invoice ID ->
// nothing (a client's invoices without reading all); billed time entry
// ID -> the ID of the invoice billing it (only invoices that are not
// void); the number counter ("seq") and the settings ("settings") in
// invoice_meta.
var (
	bInvoices        = []byte("invoices")
	bInvoiceNumbers  = []byte("invoice_numbers")
	bInvoiceByClient = []byte("invoice_by_client")
	bInvoiceBilled   = []byte("invoice_billed")
	bInvoiceMeta     = []byte("invoice_meta")
)

func clientKey(clientID, id string) []byte { return []byte(clientID + "\x00" + id) }

// migrateInvoices creates the invoice buckets (invoices.go).
func migrateInvoices(tx *bolt.Tx) error {
	for _, b := range [][]byte{bInvoices, bInvoiceNumbers, bInvoiceByClient, bInvoiceBilled, bInvoiceMeta} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	return nil
}

type diskInvoiceLine struct {
	Kind          string `json:"kind"`
	Description   string `json:"description"`
	SourceID      string `json:"source_id,omitempty"`
	TicketID      string `json:"ticket_id,omitempty"`
	QuantityMilli int64  `json:"quantity_milli"`
	UnitCents     int64  `json:"unit_cents"`
	TaxBP         int64  `json:"tax_bp,omitempty"`
	AmountCents   int64  `json:"amount_cents"`
}

type diskInvoice struct {
	ID            string            `json:"id"`
	Number        string            `json:"number"`
	Seq           int64             `json:"seq"`
	ClientID      string            `json:"client_id"`
	ClientName    string            `json:"client_name,omitempty"`
	IssuerName    string            `json:"issuer_name,omitempty"`
	IssuerAddress string            `json:"issuer_address,omitempty"`
	Date          time.Time         `json:"date"`
	DueDate       time.Time         `json:"due_date"`
	PeriodFrom    time.Time         `json:"period_from,omitzero"`
	PeriodTo      time.Time         `json:"period_to,omitzero"`
	Status        string            `json:"status"`
	Batch         string            `json:"batch,omitempty"`
	Currency      string            `json:"currency"`
	Lines         []diskInvoiceLine `json:"lines"`
	SubtotalCents int64             `json:"subtotal_cents"`
	TaxCents      int64             `json:"tax_cents"`
	TotalCents    int64             `json:"total_cents"`
	Notes         string            `json:"notes,omitempty"`
	CreatedAt     time.Time         `json:"created_at,omitzero"`
	CreatedBy     string            `json:"created_by,omitempty"`
	UpdatedAt     time.Time         `json:"updated_at,omitzero"`
	UpdatedBy     string            `json:"updated_by,omitempty"`
}

type diskInvoiceSettings struct {
	IssuerName      string    `json:"issuer_name,omitempty"`
	IssuerAddress   string    `json:"issuer_address,omitempty"`
	HourlyRateCents int64     `json:"hourly_rate_cents"`
	TaxBP           int64     `json:"tax_bp"`
	PaymentDays     int       `json:"payment_days"`
	Currency        string    `json:"currency"`
	NumberPrefix    string    `json:"number_prefix"`
	NumberDigits    int       `json:"number_digits"`
	UpdatedAt       time.Time `json:"updated_at,omitzero"`
	UpdatedBy       string    `json:"updated_by,omitempty"`
}

func toDiskInvoice(inv *store.Invoice) diskInvoice {
	d := diskInvoice{ID: inv.ID, Number: inv.Number, Seq: inv.Seq, ClientID: inv.ClientID, ClientName: inv.ClientName,
		IssuerName: inv.IssuerName, IssuerAddress: inv.IssuerAddress, Date: inv.Date, DueDate: inv.DueDate,
		PeriodFrom: inv.PeriodFrom, PeriodTo: inv.PeriodTo, Status: inv.Status, Batch: inv.Batch, Currency: inv.Currency,
		Lines: make([]diskInvoiceLine, len(inv.Lines)), SubtotalCents: inv.SubtotalCents, TaxCents: inv.TaxCents,
		TotalCents: inv.TotalCents, Notes: inv.Notes, CreatedAt: inv.CreatedAt, CreatedBy: inv.CreatedBy,
		UpdatedAt: inv.UpdatedAt, UpdatedBy: inv.UpdatedBy}
	for i, l := range inv.Lines {
		d.Lines[i] = diskInvoiceLine(l)
	}
	return d
}

func (d *diskInvoice) record() store.Invoice {
	inv := store.Invoice{ID: d.ID, Number: d.Number, Seq: d.Seq, ClientID: d.ClientID, ClientName: d.ClientName,
		IssuerName: d.IssuerName, IssuerAddress: d.IssuerAddress, Date: d.Date, DueDate: d.DueDate,
		PeriodFrom: d.PeriodFrom, PeriodTo: d.PeriodTo, Status: d.Status, Batch: d.Batch, Currency: d.Currency,
		Lines: make([]store.InvoiceLine, len(d.Lines)), SubtotalCents: d.SubtotalCents, TaxCents: d.TaxCents,
		TotalCents: d.TotalCents, Notes: d.Notes, CreatedAt: d.CreatedAt, CreatedBy: d.CreatedBy,
		UpdatedAt: d.UpdatedAt, UpdatedBy: d.UpdatedBy}
	for i, l := range d.Lines {
		inv.Lines[i] = store.InvoiceLine(l)
	}
	return inv
}

func putInvoice(tx *bolt.Tx, inv *store.Invoice) error {
	b, err := json.Marshal(toDiskInvoice(inv))
	if err != nil {
		return fmt.Errorf("store: marshal invoice %s: %w", inv.ID, err)
	}
	return tx.Bucket(bInvoices).Put([]byte(inv.ID), b)
}

func getInvoice(tx *bolt.Tx, id string) (store.Invoice, error) {
	b := tx.Bucket(bInvoices).Get([]byte(id))
	if b == nil {
		return store.Invoice{}, fmt.Errorf("invoice %q: %w", id, store.ErrNotFound)
	}
	var d diskInvoice
	if err := json.Unmarshal(b, &d); err != nil {
		return store.Invoice{}, fmt.Errorf("store: decode invoice %s: %w", id, err)
	}
	return d.record(), nil
}

// bill records the invoice's entries as billed by it; an entry billed by
// another invoice is a conflict.
func bill(tx *bolt.Tx, inv *store.Invoice) error {
	b := tx.Bucket(bInvoiceBilled)
	if inv.Status == store.InvoiceVoid {
		return nil
	}
	for _, e := range inv.BilledEntries() {
		if by := b.Get([]byte(e)); by != nil && string(by) != inv.ID {
			return fmt.Errorf("time entry %s is already billed by invoice %s: %w", e, by, store.ErrConflict)
		}
		if err := b.Put([]byte(e), []byte(inv.ID)); err != nil {
			return err
		}
	}
	return nil
}

// release forgets the entries the invoice bills (those recorded for it).
func release(tx *bolt.Tx, inv *store.Invoice) error {
	b := tx.Bucket(bInvoiceBilled)
	for _, e := range inv.BilledEntries() {
		if by := b.Get([]byte(e)); string(by) == inv.ID {
			if err := b.Delete([]byte(e)); err != nil {
				return err
			}
		}
	}
	return nil
}

// CreateInvoices numbers and stores invoices in one commit.
func (s *DB) CreateInvoices(invs []*store.Invoice, prefix string, digits int) ([]error, error) {
	errs := make([]error, len(invs))
	err := s.db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bInvoiceMeta)
		seq, _ := strconv.ParseInt(string(meta.Get([]byte("seq"))), 10, 64)
		for i, inv := range invs {
			if errs[i] = checkInvoice(tx, inv, seq+1, prefix, digits); errs[i] != nil {
				continue
			}
			// Past the checks, a failed write is a storage error: it fails
			// the whole commit rather than leave half an invoice.
			if err := writeInvoice(tx, inv, seq+1, prefix, digits); err != nil {
				return err
			}
			seq++
		}
		return meta.Put([]byte("seq"), []byte(strconv.FormatInt(seq, 10)))
	})
	if err != nil {
		for _, inv := range invs {
			inv.Number, inv.Seq = "", 0
		}
		return nil, err
	}
	return errs, nil
}

// checkInvoice says why an invoice cannot be stored with number seq
// (nothing is written).
func checkInvoice(tx *bolt.Tx, inv *store.Invoice, seq int64, prefix string, digits int) error {
	if tx.Bucket(bClients).Get([]byte(inv.ClientID)) == nil {
		return fmt.Errorf("client %q: %w", inv.ClientID, store.ErrNotFound)
	}
	if tx.Bucket(bInvoices).Get([]byte(inv.ID)) != nil {
		return fmt.Errorf("invoice %q: %w", inv.ID, store.ErrExists)
	}
	entries := inv.BilledEntries()
	billed := tx.Bucket(bInvoiceBilled)
	for i, e := range entries {
		if by := billed.Get([]byte(e)); by != nil {
			return fmt.Errorf("time entry %s is already billed by invoice %s: %w", e, by, store.ErrConflict)
		}
		if slices.Contains(entries[:i], e) {
			return fmt.Errorf("time entry %s twice on one invoice: %w", e, store.ErrConflict)
		}
	}
	number := store.FormatInvoiceNumber(prefix, digits, seq)
	if tx.Bucket(bInvoiceNumbers).Get([]byte(number)) != nil {
		// A prefix changed back to an earlier one cannot collide, as the
		// counter only grows; this guards a hand-edited counter.
		return fmt.Errorf("invoice number %s: %w", number, store.ErrExists)
	}
	return nil
}

// writeInvoice stores a checked invoice with number seq, its number, its
// client index entry and its billed entries.
func writeInvoice(tx *bolt.Tx, inv *store.Invoice, seq int64, prefix string, digits int) error {
	number := store.FormatInvoiceNumber(prefix, digits, seq)
	inv.Number, inv.Seq = number, seq
	if err := bill(tx, inv); err != nil {
		return err
	}
	if err := tx.Bucket(bInvoiceNumbers).Put([]byte(number), []byte(inv.ID)); err != nil {
		return err
	}
	if err := tx.Bucket(bInvoiceByClient).Put(clientKey(inv.ClientID, inv.ID), nil); err != nil {
		return err
	}
	if err := indexInvoice(tx, inv, true); err != nil {
		return err
	}
	return putInvoice(tx, inv)
}

// Invoice returns an invoice by ID.
func (s *DB) Invoice(id string) (inv store.Invoice, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		inv, err = getInvoice(tx, id)
		return err
	})
	return inv, err
}

// InvoiceByNumber finds an invoice by its number.
func (s *DB) InvoiceByNumber(number string) (inv store.Invoice, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		id := tx.Bucket(bInvoiceNumbers).Get([]byte(number))
		if id == nil || number == "" {
			return fmt.Errorf("invoice number %q: %w", number, store.ErrNotFound)
		}
		inv, err = getInvoice(tx, string(id))
		return err
	})
	return inv, err
}

// UpdateInvoice replaces an invoice and moves the billed index with it.
func (s *DB) UpdateInvoice(inv store.Invoice) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		old, err := getInvoice(tx, inv.ID)
		if err != nil {
			return err
		}
		if old.Number != inv.Number || old.Seq != inv.Seq || old.ClientID != inv.ClientID {
			return fmt.Errorf("invoice %s keeps its number and client: %w", inv.ID, store.ErrConflict)
		}
		if err := release(tx, &old); err != nil {
			return err
		}
		if err := bill(tx, &inv); err != nil {
			return err
		}
		if err := indexInvoice(tx, &old, false); err != nil {
			return err
		}
		if err := indexInvoice(tx, &inv, true); err != nil {
			return err
		}
		return putInvoice(tx, &inv)
	})
}

// DeleteInvoice removes an invoice and releases its entries.
func (s *DB) DeleteInvoice(id string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		inv, err := getInvoice(tx, id)
		if err != nil {
			return err
		}
		if err := release(tx, &inv); err != nil {
			return err
		}
		if err := tx.Bucket(bInvoiceNumbers).Delete([]byte(inv.Number)); err != nil {
			return err
		}
		if err := tx.Bucket(bInvoiceByClient).Delete(clientKey(inv.ClientID, inv.ID)); err != nil {
			return err
		}
		if err := indexInvoice(tx, &inv, false); err != nil {
			return err
		}
		return tx.Bucket(bInvoices).Delete([]byte(id))
	})
}

// BilledEntries maps the billed ones of ids to their invoice.
func (s *DB) BilledEntries(ids []string) (map[string]string, error) {
	out := map[string]string{}
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bInvoiceBilled)
		for _, id := range ids {
			if by := b.Get([]byte(id)); by != nil {
				out[id] = string(by)
			}
		}
		return nil
	})
	return out, err
}

// InvoiceSettings returns the invoice settings.
func (s *DB) InvoiceSettings() (store.InvoiceSettings, error) {
	st := store.DefaultInvoiceSettings()
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bInvoiceMeta).Get([]byte("settings"))
		if b == nil {
			return nil
		}
		var d diskInvoiceSettings
		if err := json.Unmarshal(b, &d); err != nil {
			return fmt.Errorf("store: decode invoice settings: %w", err)
		}
		st = store.InvoiceSettings(d)
		return nil
	})
	return st, err
}

// SetInvoiceSettings replaces the invoice settings.
func (s *DB) SetInvoiceSettings(st store.InvoiceSettings) error {
	b, err := json.Marshal(diskInvoiceSettings(st))
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bInvoiceMeta).Put([]byte("settings"), b) })
}
