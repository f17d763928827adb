package invoices

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// ErrWorkOff is the answer to billing from work while the tickets wing is
// not wired to this one.
var ErrWorkOff = errors.New("billing from work is not available: this server has no tickets wing connected to invoices")

// errNothing is a period with nothing to bill.
var errNothing = errors.New("nothing to bill: no unbilled billable time entries or contract fees in the period, and no manual lines")

// draft is what an invoice is made of before the store numbers it.
type draft struct {
	client   store.Client
	date     time.Time
	due      time.Time
	from, to time.Time
	fromWork bool
	batch    string
	currency string
	notes    string
	manual   []store.InvoiceLine
}

// assemble makes the invoice of d: the lines billed from work (entries
// not billed yet, fees not on another live invoice) and then d's manual
// lines, with totals.
func (w *Wing) assemble(ctx context.Context, st *store.InvoiceSettings, d *draft, by string) (*store.Invoice, error) {
	now := w.d.Now().UTC()
	inv := &store.Invoice{ID: httpx.NewID("inv"), ClientID: d.client.ID, ClientName: d.client.Name,
		IssuerName: st.IssuerName, IssuerAddress: st.IssuerAddress, Date: d.date, DueDate: d.due,
		PeriodFrom: d.from, PeriodTo: d.to, Status: store.InvoiceDraft, Batch: d.batch, Currency: d.currency,
		Notes: d.notes, CreatedAt: now, CreatedBy: by, UpdatedAt: now, UpdatedBy: by}
	if d.fromWork {
		lines, err := w.workLines(ctx, st, d.client.ID, d.from, d.to)
		if err != nil {
			return nil, err
		}
		inv.Lines = lines
	}
	inv.Lines = append(inv.Lines, d.manual...)
	if len(inv.Lines) == 0 {
		return nil, errNothing
	}
	inv.Totals()
	return inv, nil
}

// workLines bills the client's billable time entries of [from, to) that
// no live invoice bills yet, each at its contract's hourly rate (else
// the default rate), and its contract fees of the period that no live
// invoice of the client carries yet.
func (w *Wing) workLines(ctx context.Context, st *store.InvoiceSettings, clientID string, from, to time.Time) ([]store.InvoiceLine, error) {
	if w.d.Work == nil {
		return nil, ErrWorkOff
	}
	entries, err := w.d.Work.BillableTimeEntries(ctx, clientID, from, to)
	if err != nil {
		return nil, fmt.Errorf("billable time entries: %w", err)
	}
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = e.ID
	}
	billed, err := w.d.Store.BilledEntries(ids)
	if err != nil {
		return nil, err
	}
	var lines []store.InvoiceLine
	rates := map[string]int64{}
	for _, e := range entries {
		if billed[e.ID] != "" || e.Minutes <= 0 {
			continue
		}
		rate, ok := rates[e.ContractID]
		if !ok {
			rate = st.HourlyRateCents
			if w.d.Contracts != nil && e.ContractID != "" {
				c, has, err := w.d.Contracts.HourlyRate(ctx, clientID, e.ContractID)
				if err != nil {
					return nil, fmt.Errorf("hourly rate of contract %s: %w", e.ContractID, err)
				}
				if has {
					rate = c
				}
			}
			rates[e.ContractID] = rate
		}
		lines = append(lines, store.InvoiceLine{Kind: store.LineTimeEntry, Description: entryText(&e), SourceID: e.ID,
			TicketID: e.TicketID, QuantityMilli: store.RoundDiv(int64(e.Minutes)*1000, 60), UnitCents: rate, TaxBP: st.TaxBP})
	}
	if w.d.Contracts == nil {
		return lines, nil
	}
	charges, err := w.d.Contracts.ContractCharges(ctx, clientID, from, to)
	if err != nil {
		return nil, fmt.Errorf("contract charges: %w", err)
	}
	if len(charges) == 0 {
		return lines, nil
	}
	// A fee is known by its contract and description (which names its
	// month): the same fee on a live invoice is not billed again.
	live, err := w.d.Store.Invoices(store.InvoiceQuery{ClientID: clientID, Statuses: []string{store.InvoiceDraft, store.InvoiceSent, store.InvoicePaid}})
	if err != nil {
		return nil, err
	}
	onInvoice := map[string]bool{}
	for _, inv := range live {
		for _, l := range inv.Lines {
			if l.Kind == store.LineContractFee {
				onInvoice[l.SourceID+"\x00"+l.Description] = true
			}
		}
	}
	for _, c := range charges {
		desc := clean(c.ContractName+": "+c.Description, 500)
		if onInvoice[c.ContractID+"\x00"+desc] {
			continue
		}
		lines = append(lines, store.InvoiceLine{Kind: store.LineContractFee, Description: desc, SourceID: c.ContractID,
			QuantityMilli: 1000, UnitCents: c.AmountCents, TaxBP: st.TaxBP})
	}
	return lines, nil
}

// clean makes text from another wing fit a line: printable, one line,
// bounded.
func clean(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x2028 && r <= 0x2029) || httpx.IsBidiControl(r) {
			return ' '
		}
		return r
	}, httpx.CleanText(s, 4*max))
	if r := []rune(strings.TrimSpace(s)); len(r) > max {
		return string(r[:max])
	}
	return strings.TrimSpace(s)
}

func entryText(e *BillableEntry) string {
	s := fmt.Sprintf("#%d %s, %s, %s", e.TicketNumber, e.TicketTitle, e.UserName, e.At.UTC().Format(dateFmt))
	if e.Note != "" {
		s += ": " + e.Note
	}
	return clean(s, 500)
}

// save numbers and stores invoices, retrying those that lost a race for
// one of their entries with lines made again (so the entries another
// invoice took are left out).
func (w *Wing) save(ctx context.Context, st *store.InvoiceSettings, invs []*store.Invoice, drafts []*draft, by string) ([]error, error) {
	errs, err := w.d.Store.CreateInvoices(invs, st.NumberPrefix, st.NumberDigits)
	if err != nil {
		return nil, err
	}
	for try := 0; try < 3; try++ {
		again := false
		for i, e := range errs {
			if !errors.Is(e, store.ErrConflict) || drafts[i] == nil {
				continue
			}
			inv, aerr := w.assemble(ctx, st, drafts[i], by)
			if aerr != nil {
				errs[i] = aerr
				continue
			}
			one, err := w.d.Store.CreateInvoices([]*store.Invoice{inv}, st.NumberPrefix, st.NumberDigits)
			if err != nil {
				return nil, err
			}
			invs[i], errs[i] = inv, one[0]
			again = again || errors.Is(one[0], store.ErrConflict)
		}
		if !again {
			break
		}
	}
	return errs, nil
}

// draftOf reads the common fields of a request.
func (w *Wing) draftOf(st *store.InvoiceSettings, c store.Client, req *api.InvoiceRequest) (*draft, error) {
	d := &draft{client: c, fromWork: req.FromWork, currency: st.Currency}
	var err error
	if d.date, err = parseDate("date", req.Date); err != nil {
		return nil, err
	}
	if d.date.IsZero() {
		d.date = w.d.Now().UTC().Truncate(24 * time.Hour)
	}
	if d.due, err = parseDate("due_date", req.DueDate); err != nil {
		return nil, err
	}
	if d.due.IsZero() {
		d.due = d.date.AddDate(0, 0, st.PaymentDays)
	}
	if d.due.Before(d.date) {
		return nil, errors.New("due_date is before the invoice date")
	}
	if d.from, err = parseDate("period_from", req.PeriodFrom); err != nil {
		return nil, err
	}
	if d.to, err = parseDate("period_to", req.PeriodTo); err != nil {
		return nil, err
	}
	if d.fromWork && (d.from.IsZero() || d.to.IsZero()) {
		return nil, errors.New("from_work needs period_from and period_to")
	}
	if !d.to.IsZero() && !d.from.Before(d.to) {
		return nil, errors.New("period_from must be before period_to (the period is [from, to))")
	}
	if strings.TrimSpace(req.Batch) != "" {
		if d.batch, err = httpx.CleanName("batch", req.Batch, 100); err != nil {
			return nil, err
		}
	}
	if req.Currency != "" {
		if !currencyRE.MatchString(req.Currency) {
			return nil, errors.New("currency must be three capital letters (ISO 4217)")
		}
		d.currency = req.Currency
	}
	d.notes = httpx.CleanText(req.Notes, 4000)
	if d.manual, err = manualLines(req.Lines, st.TaxBP); err != nil {
		return nil, err
	}
	return d, nil
}

func (w *Wing) create(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	c, ok := w.d.Clients.ResolveClient(p, r.PathValue("client"))
	if !ok {
		httpx.WriteError(rw, 404, "client not found")
		return
	}
	var req api.InvoiceRequest
	if err := httpx.DecodeBody(r, &req, 256<<10); err != nil {
		httpx.WriteBodyError(rw, err)
		return
	}
	st, err := w.d.Store.InvoiceSettings()
	if err != nil {
		httpx.WriteError(rw, 500, "internal error")
		return
	}
	d, err := w.draftOf(&st, c, &req)
	if err != nil {
		httpx.WriteError(rw, 400, err.Error())
		return
	}
	inv, err := w.assemble(r.Context(), &st, d, p.Name)
	if err != nil {
		writeBuildError(rw, err)
		return
	}
	errs, err := w.save(r.Context(), &st, []*store.Invoice{inv}, []*draft{d}, p.Name)
	if err != nil {
		httpx.WriteError(rw, 500, "internal error")
		return
	}
	if errs[0] != nil {
		writeBuildError(rw, errs[0])
		return
	}
	inv, _ = w.savedOf(inv)
	w.d.Audit.AuditP(p, "invoice.create", inv.ID, map[string]string{"client": inv.ClientID, "number": inv.Number,
		"total_cents": fmt.Sprint(inv.TotalCents), "lines": fmt.Sprint(len(inv.Lines)), "batch": inv.Batch})
	httpx.WriteJSON(rw, 201, toAPI(inv))
}

// savedOf returns the stored form of an invoice just made (the store may
// have been retried with another one).
func (w *Wing) savedOf(inv *store.Invoice) (*store.Invoice, error) {
	got, err := w.d.Store.Invoice(inv.ID)
	if err != nil {
		return inv, err
	}
	return &got, nil
}

func writeBuildError(rw http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, ErrWorkOff):
		httpx.WriteError(rw, 409, err.Error())
	case errors.Is(err, errNothing):
		httpx.WriteError(rw, 422, err.Error())
	case errors.Is(err, store.ErrConflict):
		httpx.WriteError(rw, 409, err.Error())
	case errors.Is(err, store.ErrNotFound):
		httpx.WriteError(rw, 404, "client not found")
	default:
		httpx.WriteError(rw, 502, "could not read billable work: "+err.Error())
	}
}

// update changes a draft: dates, batch, notes, currency and its manual
// lines (the lines billed from work stay as they are).
func (w *Wing) update(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	inv, ok := w.find(p, r.PathValue("invoice"))
	if !ok {
		httpx.WriteError(rw, 404, "invoice not found")
		return
	}
	var req api.InvoiceRequest
	if err := httpx.DecodeBody(r, &req, 256<<10); err != nil {
		httpx.WriteBodyError(rw, err)
		return
	}
	if inv.Status != store.InvoiceDraft {
		httpx.WriteError(rw, 409, "only a draft can be changed; this invoice is "+inv.Status)
		return
	}
	if req.FromWork {
		httpx.WriteError(rw, 400, "from_work is for a new invoice")
		return
	}
	st, err := w.d.Store.InvoiceSettings()
	if err != nil {
		httpx.WriteError(rw, 500, "internal error")
		return
	}
	st.Currency = inv.Currency
	req.PeriodFrom, req.PeriodTo = date(inv.PeriodFrom), date(inv.PeriodTo)
	d, err := w.draftOf(&st, store.Client{ID: inv.ClientID, Name: inv.ClientName}, &req)
	if err != nil {
		httpx.WriteError(rw, 400, err.Error())
		return
	}
	var lines []store.InvoiceLine
	for _, l := range inv.Lines {
		if l.Kind != store.LineManual {
			lines = append(lines, l)
		}
	}
	inv.Lines = append(lines, d.manual...)
	if len(inv.Lines) == 0 {
		httpx.WriteError(rw, 422, "an invoice needs at least one line")
		return
	}
	inv.Date, inv.DueDate, inv.Batch, inv.Currency, inv.Notes = d.date, d.due, d.batch, d.currency, d.notes
	inv.UpdatedAt, inv.UpdatedBy = w.d.Now().UTC(), p.Name
	inv.Totals()
	if err := w.d.Store.UpdateInvoice(inv); err != nil {
		writeStoreError(rw, err)
		return
	}
	w.d.Audit.AuditP(p, "invoice.update", inv.ID, map[string]string{"client": inv.ClientID, "number": inv.Number,
		"total_cents": fmt.Sprint(inv.TotalCents)})
	httpx.WriteJSON(rw, 200, toAPI(&inv))
}
