package invoices

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

const dateFmt = "2006-01-02"

func date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(dateFmt)
}

func parseDate(field, s string) (time.Time, error) {
	if s = strings.TrimSpace(s); s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(dateFmt, s)
	if err != nil {
		return t, errors.New(field + " must be a date YYYY-MM-DD")
	}
	return t, nil
}

// milli and bp turn the API's decimals into the store's integers; a value
// with more decimals than they keep is refused rather than rounded.
func milli(q float64) (int64, bool) {
	m := math.Round(q * 1000)
	return int64(m), math.Abs(m-q*1000) < 1e-6 && math.Abs(q) <= 1e9
}

func bp(rate float64) (int64, bool) {
	b := math.Round(rate * 100)
	return int64(b), math.Abs(b-rate*100) < 1e-6 && rate >= 0 && rate <= 100
}

func toAPI(inv *store.Invoice) api.Invoice {
	out := api.Invoice{ID: inv.ID, Number: inv.Number, ClientID: inv.ClientID, ClientName: inv.ClientName,
		IssuerName: inv.IssuerName, IssuerAddress: inv.IssuerAddress, Date: date(inv.Date), DueDate: date(inv.DueDate),
		PeriodFrom: date(inv.PeriodFrom), PeriodTo: date(inv.PeriodTo), Status: inv.Status,
		Next: append([]string{}, store.InvoiceTransitions[inv.Status]...), Batch: inv.Batch, Currency: inv.Currency,
		Lines: make([]api.InvoiceLine, 0, len(inv.Lines)), SubtotalCents: inv.SubtotalCents, TaxCents: inv.TaxCents,
		TotalCents: inv.TotalCents, Notes: inv.Notes, CreatedAt: inv.CreatedAt, CreatedBy: inv.CreatedBy,
		UpdatedAt: inv.UpdatedAt, UpdatedBy: inv.UpdatedBy}
	for _, l := range inv.Lines {
		out.Lines = append(out.Lines, api.InvoiceLine{Kind: l.Kind, Description: l.Description, SourceID: l.SourceID,
			TicketID: l.TicketID, Quantity: float64(l.QuantityMilli) / 1000, UnitPriceCents: l.UnitCents,
			TaxRate: float64(l.TaxBP) / 100, AmountCents: l.AmountCents})
	}
	return out
}

func allowed(from, to string) bool { return slices.Contains(store.InvoiceTransitions[from], to) }

func quoteStatus(s string) string {
	if slices.Contains(store.InvoiceStatuses, s) {
		return s
	}
	return strconv.Quote(httpx.CleanText(s, 40)) + " (statuses: " + strings.Join(store.InvoiceStatuses, ", ") + ")"
}

// Money writes cents as a decimal amount with a thousands separator and
// the currency: 123456 "EUR" is "1,234.56 EUR".
func Money(cents int64, currency string) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	whole := strconv.FormatInt(cents/100, 10)
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return fmt.Sprintf("%s%s.%02d %s", sign, b.String(), cents%100, currency)
}

var currencyRE = regexp.MustCompile(`^[A-Z]{3}$`)

// manualLines checks manual line requests and makes their lines.
func manualLines(reqs []api.InvoiceLineRequest, defTax int64) ([]store.InvoiceLine, error) {
	if len(reqs) > 500 {
		return nil, errors.New("at most 500 manual lines")
	}
	var out []store.InvoiceLine
	for i, lr := range reqs {
		desc, err := httpx.CleanName(fmt.Sprintf("lines[%d].description", i), lr.Description, 500)
		if err != nil {
			return nil, err
		}
		q, ok := milli(lr.Quantity)
		if !ok || q == 0 {
			return nil, fmt.Errorf("lines[%d].quantity must be a non-zero number with at most 3 decimals", i)
		}
		if lr.UnitPriceCents < -1e11 || lr.UnitPriceCents > 1e11 {
			return nil, fmt.Errorf("lines[%d].unit_price_cents is out of range", i)
		}
		tax := defTax
		if lr.TaxRate != nil {
			if tax, ok = bp(*lr.TaxRate); !ok {
				return nil, fmt.Errorf("lines[%d].tax_rate must be a percentage 0 to 100 with at most 2 decimals", i)
			}
		}
		out = append(out, store.InvoiceLine{Kind: store.LineManual, Description: desc, QuantityMilli: q,
			UnitCents: lr.UnitPriceCents, TaxBP: tax})
	}
	return out, nil
}
