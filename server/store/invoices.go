package store

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// Invoice statuses. A draft may change or be deleted; sent, paid and
// void are fixed (only the status moves on, see InvoiceTransitions).
const (
	InvoiceDraft = "draft"
	InvoiceSent  = "sent"
	InvoicePaid  = "paid"
	InvoiceVoid  = "void"
)

// InvoiceStatuses lists the statuses an invoice may have.
var InvoiceStatuses = []string{InvoiceDraft, InvoiceSent, InvoicePaid, InvoiceVoid}

// InvoiceTransitions lists, per status, the statuses it may move to:
// draft -> sent or void, sent -> paid or void, paid -> void (a refund);
// void is final.
var InvoiceTransitions = map[string][]string{
	InvoiceDraft: {InvoiceSent, InvoiceVoid},
	InvoiceSent:  {InvoicePaid, InvoiceVoid},
	InvoicePaid:  {InvoiceVoid},
}

// Invoice line kinds.
const (
	LineTimeEntry   = "time_entry"
	LineContractFee = "contract_fee"
	LineManual      = "manual"
)

// InvoiceLine is one line of an invoice. Quantity is in thousandths
// (1.25 hours = 1250); UnitCents the price of one unit; TaxBP the tax
// rate in basis points (20% = 2000); AmountCents is Quantity times
// UnitCents, rounded half away from zero to the cent. SourceID is the time
// entry (LineTimeEntry) or contract (LineContractFee) the line bills.
type InvoiceLine struct {
	Kind          string
	Description   string
	SourceID      string
	TicketID      string
	QuantityMilli int64
	UnitCents     int64
	TaxBP         int64
	AmountCents   int64
}

// Invoice is a bill to a client. Number is allocated by the store from a
// counter that never goes back (a voided or deleted invoice's number is
// never given again); the issuer and client names are copies taken when
// the invoice is made, so a later rename does not change a sent invoice.
type Invoice struct {
	ID            string
	Number        string
	Seq           int64
	ClientID      string
	ClientName    string
	IssuerName    string
	IssuerAddress string
	Date          time.Time
	DueDate       time.Time
	PeriodFrom    time.Time
	PeriodTo      time.Time
	Status        string
	Batch         string
	Currency      string
	Lines         []InvoiceLine
	SubtotalCents int64
	TaxCents      int64
	TotalCents    int64
	Notes         string
	CreatedAt     time.Time
	CreatedBy     string
	UpdatedAt     time.Time
	UpdatedBy     string
}

// BilledEntries lists the time entry IDs the invoice's lines bill.
func (inv *Invoice) BilledEntries() []string {
	var ids []string
	for _, l := range inv.Lines {
		if l.Kind == LineTimeEntry && l.SourceID != "" {
			ids = append(ids, l.SourceID)
		}
	}
	return ids
}

// RoundDiv divides n by d (d > 0) rounding half away from zero: the one
// rounding rule of invoice amounts and taxes.
func RoundDiv(n, d int64) int64 {
	if n < 0 {
		return -((-n + d/2) / d)
	}
	return (n + d/2) / d
}

// LineAmount is a line's amount: quantity (thousandths) times unit price,
// rounded half away from zero to the cent.
func LineAmount(quantityMilli, unitCents int64) int64 {
	return RoundDiv(quantityMilli*unitCents, 1000)
}

// Totals sets each line's amount and the invoice's subtotal, tax and
// total. Tax is computed per tax rate on the sum of that rate's line
// amounts and rounded half away from zero once per rate (not per line),
// so splitting a line in two never changes the tax by a cent.
func (inv *Invoice) Totals() {
	inv.SubtotalCents, inv.TaxCents = 0, 0
	byRate := map[int64]int64{}
	for i := range inv.Lines {
		l := &inv.Lines[i]
		l.AmountCents = LineAmount(l.QuantityMilli, l.UnitCents)
		inv.SubtotalCents += l.AmountCents
		byRate[l.TaxBP] += l.AmountCents
	}
	for rate, sum := range byRate {
		inv.TaxCents += RoundDiv(sum*rate, 10000)
	}
	inv.TotalCents = inv.SubtotalCents + inv.TaxCents
}

// FormatInvoiceNumber writes sequence seq with prefix, zero-padded to
// digits: ("INV-", 6, 123) is "INV-000123".
func FormatInvoiceNumber(prefix string, digits int, seq int64) string {
	s := strconv.FormatInt(seq, 10)
	if len(s) < digits {
		s = strings.Repeat("0", digits-len(s)) + s
	}
	return prefix + s
}

// InvoiceSettings are the server-wide invoice settings. Rates are in
// cents per hour, tax in basis points; NumberDigits pads the sequence.
type InvoiceSettings struct {
	IssuerName      string
	IssuerAddress   string
	HourlyRateCents int64
	TaxBP           int64
	PaymentDays     int
	Currency        string
	NumberPrefix    string
	NumberDigits    int
	UpdatedAt       time.Time
	UpdatedBy       string
}

// DefaultInvoiceSettings are the settings of a server that never set
// them.
func DefaultInvoiceSettings() InvoiceSettings {
	return InvoiceSettings{IssuerName: "", HourlyRateCents: 10000, TaxBP: 0, PaymentDays: 30, Currency: "EUR",
		NumberPrefix: "INV-", NumberDigits: 6}
}

// InvoiceQuery selects invoices, newest date first (then newest number):
// of ClientID ("" = any), inside Scope, of one of Statuses (nil = any), of
// Batch and Number (exact) when set, dated in [From, To) when set, whose
// number or batch contains Text (any case); after the invoice at Cursor
// (an opaque string from InvoicePage.Next; "" = from the newest), at most
// Limit (0 = all).
type InvoiceQuery struct {
	ClientID string
	Scope    Scope
	Statuses []string
	Batch    string
	Number   string
	From, To time.Time
	Text     string
	Limit    int
	Cursor   string
}

// InvoicePage is one page of invoices and the cursor of the next page
// ("" = this is the last).
type InvoicePage struct {
	Invoices []Invoice
	Next     string
}

// InvoiceTotal is what the sent (unpaid) invoices of one currency add up
// to: all of them (Outstanding) and those due before a given time
// (Overdue), in cents, with their counts.
type InvoiceTotal struct {
	Currency         string
	OutstandingCents int64
	Outstanding      int
	OverdueCents     int64
	Overdue          int
}

// Match reports whether q selects inv (Limit and Cursor aside).
func (q *InvoiceQuery) Match(inv *Invoice) bool {
	if (q.ClientID != "" && inv.ClientID != q.ClientID) || !q.Scope.Has(inv.ClientID) ||
		(q.Statuses != nil && !slices.Contains(q.Statuses, inv.Status)) ||
		(q.Batch != "" && inv.Batch != q.Batch) || (q.Number != "" && inv.Number != q.Number) ||
		(!q.From.IsZero() && inv.Date.Before(q.From)) || (!q.To.IsZero() && !inv.Date.Before(q.To)) {
		return false
	}
	if q.Text == "" {
		return true
	}
	t := strings.ToLower(q.Text)
	return strings.Contains(strings.ToLower(inv.Number), t) || strings.Contains(strings.ToLower(inv.Batch), t)
}

// InvoiceStore holds invoices, the invoice number counter, the index of
// billed time entries and the invoice settings.
type InvoiceStore interface {
	// CreateInvoices stores new invoices in one commit. Each gets the
	// next number of the counter (prefix and digits as
	// FormatInvoiceNumber) set into it, and its time-entry lines are
	// recorded as billed by it. An invoice fails alone (errs[i], nothing
	// of it stored, no number used) when its client is unknown
	// (ErrNotFound) or one of its time entries is already billed by an
	// invoice that is not void (ErrConflict naming the entry); err is a
	// storage error that failed them all. Concurrent calls never bill an
	// entry twice.
	CreateInvoices(invs []*Invoice, prefix string, digits int) (errs []error, err error)
	Invoice(id string) (Invoice, error)
	// InvoiceByNumber finds an invoice by its exact number.
	InvoiceByNumber(number string) (Invoice, error)
	Invoices(q InvoiceQuery) ([]Invoice, error)
	// UpdateInvoice replaces a stored invoice (number, sequence and client
	// are kept: a change of them is ErrConflict) and updates the billed
	// index with it: entries no longer on it are released, new ones are
	// recorded (ErrConflict if billed elsewhere), and a void invoice
	// releases all its entries, so they can be billed again.
	UpdateInvoice(inv Invoice) error
	// DeleteInvoice removes an invoice and releases its entries; its
	// number is not given again.
	DeleteInvoice(id string) error
	// BilledEntries maps those of the time entry IDs that are billed to
	// the invoice billing them.
	BilledEntries(ids []string) (map[string]string, error)
	// InvoiceSettings returns the settings (DefaultInvoiceSettings until
	// set).
	InvoiceSettings() (InvoiceSettings, error)
	SetInvoiceSettings(s InvoiceSettings) error

	// InvoicePage lists one page of what q selects (Limit invoices at
	// most; 0 = all) and the cursor of the next page. Paging with the
	// cursor never repeats an invoice nor skips one that existed when
	// paging began, whatever is created meanwhile. An unreadable cursor
	// is ErrNotFound.
	InvoicePage(q InvoiceQuery) (InvoicePage, error)
	// CountInvoices counts what q selects (Cursor and Limit ignored).
	CountInvoices(q InvoiceQuery) (int, error)
	// InvoiceTotals adds up the sent invoices of q.ClientID ("" = any)
	// inside q.Scope, per currency (sorted), overdue when due before now;
	// q's other fields are ignored. A store keeps this cheap (an index or
	// running totals), as list pages show it on every request.
	InvoiceTotals(q InvoiceQuery, now time.Time) ([]InvoiceTotal, error)
}
