package invoices

import (
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

const maxPage = 500

var prefixRE = regexp.MustCompile(`^[A-Za-z0-9/_.-]{0,12}$`)

func (w *Wing) search(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	q := store.InvoiceQuery{Scope: p.Scope()}
	if ref := r.URL.Query().Get("client"); ref != "" {
		c, ok := w.d.Clients.ResolveClient(p, ref)
		if !ok {
			httpx.WriteError(rw, 404, "client not found")
			return
		}
		q.ClientID = c.ID
	}
	w.writeList(rw, r, q)
}

func (w *Wing) clientList(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	c, ok := w.d.Clients.ResolveClient(p, r.PathValue("client"))
	if !ok {
		httpx.WriteError(rw, 404, "client not found")
		return
	}
	w.writeList(rw, r, store.InvoiceQuery{ClientID: c.ID, Scope: p.Scope()})
}

// listQuery reads ?q= (number or batch, any part), ?number=, ?batch=,
// ?status= (comma-separated), ?from= and ?to= (dates, [from, to)),
// ?limit= (1 to maxPage, default 100) and ?cursor= (a list's next) into q.
func listQuery(r *http.Request, q *store.InvoiceQuery) (err error) {
	v := r.URL.Query()
	q.Text = httpx.CleanText(strings.TrimSpace(v.Get("q")), 200)
	q.Number, q.Batch = strings.TrimSpace(v.Get("number")), strings.TrimSpace(v.Get("batch"))
	if s := v.Get("status"); s != "" {
		for st := range strings.SplitSeq(s, ",") {
			if !slices.Contains(store.InvoiceStatuses, st) {
				return errors.New("status must be one or more of: " + strings.Join(store.InvoiceStatuses, ", "))
			}
			if !slices.Contains(q.Statuses, st) {
				q.Statuses = append(q.Statuses, st)
			}
		}
	}
	if q.From, err = parseDate("from", v.Get("from")); err != nil {
		return err
	}
	if q.To, err = parseDate("to", v.Get("to")); err != nil {
		return err
	}
	if v.Has("offset") {
		return errors.New("offset is not supported: page with cursor (the next of the previous page)")
	}
	q.Limit = 100
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxPage {
			return fmt.Errorf("limit must be 1 to %d", maxPage)
		}
		q.Limit = n
	}
	q.Cursor = v.Get("cursor")
	if len(q.Cursor) > 200 {
		return errors.New("cursor is not one this server gave")
	}
	return nil
}

// writeList answers one page of the list, or with ?format=csv every match
// (no paging). The first page (no cursor) also counts the matches and
// adds up what is outstanding and overdue (from the store's index, not by
// reading every invoice); later pages carry only their invoices.
func (w *Wing) writeList(rw http.ResponseWriter, r *http.Request, q store.InvoiceQuery) {
	if err := listQuery(r, &q); err != nil {
		httpx.WriteError(rw, 400, err.Error())
		return
	}
	if r.URL.Query().Get("format") == "csv" {
		q.Limit, q.Cursor = 0, ""
		invs, err := w.d.Store.Invoices(q)
		if err != nil {
			httpx.WriteError(rw, 500, "internal error")
			return
		}
		writeCSV(rw, invs)
		return
	}
	out, err := w.page(q, toAPI)
	switch {
	case errors.Is(err, store.ErrNotFound):
		httpx.WriteError(rw, 400, "cursor is not one this server gave")
		return
	case err != nil:
		httpx.WriteError(rw, 500, "internal error")
		return
	}
	if q.Cursor == "" {
		rw.Header().Set("X-Total-Count", strconv.Itoa(out.Total))
	}
	httpx.WriteJSON(rw, 200, out)
}

// page reads one page of q shaped by shape, with the count and totals on
// the first page.
func (w *Wing) page(q store.InvoiceQuery, shape func(*store.Invoice) api.Invoice) (api.InvoiceList, error) {
	p, err := w.d.Store.InvoicePage(q)
	if err != nil {
		return api.InvoiceList{}, err
	}
	out := api.InvoiceList{Invoices: make([]api.Invoice, 0, len(p.Invoices)), Next: p.Next}
	for i := range p.Invoices {
		out.Invoices = append(out.Invoices, shape(&p.Invoices[i]))
	}
	if q.Cursor != "" {
		return out, nil
	}
	if out.Total = len(p.Invoices); p.Next != "" {
		if out.Total, err = w.d.Store.CountInvoices(q); err != nil {
			return out, err
		}
	}
	// Overdue: due before today (an invoice due today is not late yet).
	totals, err := w.d.Store.InvoiceTotals(q, w.d.Now().UTC().Truncate(24*time.Hour))
	for _, t := range totals {
		out.Totals = append(out.Totals, api.InvoiceTotal{Currency: t.Currency, OutstandingCents: t.OutstandingCents,
			Outstanding: t.Outstanding, OverdueCents: t.OverdueCents, Overdue: t.Overdue})
	}
	return out, err
}

// writeCSV exports invoices, one row each; every cell goes through
// CSVSafe, so "=cmd|..." stays text in a spreadsheet. Amounts are
// decimal in the invoice's currency.
func writeCSV(rw http.ResponseWriter, invs []store.Invoice) {
	rw.Header().Set("Content-Type", "text/csv; charset=utf-8")
	rw.Header().Set("Content-Disposition", `attachment; filename="invoices.csv"`)
	cw := csv.NewWriter(rw)
	_ = cw.Write([]string{"number", "client", "date", "due_date", "status", "batch", "currency", "subtotal", "tax", "total", "period_from", "period_to"})
	dec := func(c int64) string {
		s := Money(c, "")
		return strings.ReplaceAll(strings.TrimSpace(s), ",", "")
	}
	for _, inv := range invs {
		row := []string{inv.Number, inv.ClientName, date(inv.Date), date(inv.DueDate), inv.Status, inv.Batch, inv.Currency,
			dec(inv.SubtotalCents), dec(inv.TaxCents), dec(inv.TotalCents), date(inv.PeriodFrom), date(inv.PeriodTo)}
		for i := range row {
			// Amounts may start with "-" (a credit): only text cells are
			// neutralised, numbers stay numbers.
			if i < 7 || i > 9 {
				row[i] = httpx.CSVSafe(row[i])
			}
		}
		_ = cw.Write(row)
	}
	cw.Flush()
}

func (w *Wing) settings(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	st, err := w.d.Store.InvoiceSettings()
	if err != nil {
		httpx.WriteError(rw, 500, "internal error")
		return
	}
	httpx.WriteJSON(rw, 200, settingsAPI(&st))
}

func settingsAPI(st *store.InvoiceSettings) api.InvoiceSettings {
	return api.InvoiceSettings{IssuerName: st.IssuerName, IssuerAddress: st.IssuerAddress, HourlyRateCents: st.HourlyRateCents,
		TaxRate: float64(st.TaxBP) / 100, PaymentDays: st.PaymentDays, Currency: st.Currency, NumberPrefix: st.NumberPrefix,
		NumberDigits: st.NumberDigits, UpdatedAt: st.UpdatedAt, UpdatedBy: st.UpdatedBy}
}

// setSettings replaces the settings (admins). Invoices already made keep
// the issuer, rates and number they were made with.
func (w *Wing) setSettings(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	var req api.InvoiceSettings
	if err := httpx.DecodeBody(r, &req, 16<<10); err != nil {
		httpx.WriteBodyError(rw, err)
		return
	}
	st := store.InvoiceSettings{HourlyRateCents: req.HourlyRateCents, PaymentDays: req.PaymentDays, Currency: req.Currency,
		NumberDigits: req.NumberDigits, UpdatedAt: w.d.Now().UTC(), UpdatedBy: p.Name}
	var ok bool
	var err error
	bad := func(msg string) { httpx.WriteError(rw, 400, msg) }
	switch {
	case strings.TrimSpace(req.IssuerName) != "" && func() bool {
		st.IssuerName, err = httpx.CleanName("issuer_name", req.IssuerName, 200)
		return err != nil
	}():
		bad(err.Error())
	case len(req.IssuerAddress) > 1000:
		bad("issuer_address is too long: at most 1000 bytes")
	case req.HourlyRateCents < 0 || req.HourlyRateCents > 1e9:
		bad("hourly_rate_cents must be 0 to 1000000000")
	case func() bool { st.TaxBP, ok = bp(req.TaxRate); return !ok }():
		bad("tax_rate must be a percentage 0 to 100 with at most 2 decimals")
	case req.PaymentDays < 0 || req.PaymentDays > 365:
		bad("payment_days must be 0 to 365")
	case !currencyRE.MatchString(req.Currency):
		bad("currency must be three capital letters (ISO 4217)")
	case !prefixRE.MatchString(req.NumberPrefix):
		bad("number_prefix must be 0 to 12 letters, digits, '-', '/', '_' or '.'")
	case req.NumberDigits < 1 || req.NumberDigits > 12:
		bad("number_digits must be 1 to 12")
	default:
		st.IssuerAddress = strings.TrimSpace(httpx.CleanText(req.IssuerAddress, 1000))
		st.NumberPrefix = req.NumberPrefix
		if err := w.d.Store.SetInvoiceSettings(st); err != nil {
			httpx.WriteError(rw, 500, "internal error")
			return
		}
		w.d.Audit.AuditP(p, "invoice.settings", "invoice-settings", map[string]string{"issuer": st.IssuerName,
			"hourly_rate_cents": fmt.Sprint(st.HourlyRateCents), "tax_bp": fmt.Sprint(st.TaxBP), "currency": st.Currency,
			"prefix": st.NumberPrefix, "payment_days": fmt.Sprint(st.PaymentDays)})
		httpx.WriteJSON(rw, 200, settingsAPI(&st))
	}
}

// batch creates the invoices of many clients for one period under one
// batch name: each client's invoice is made from its work and all are
// numbered and stored in commits of up to 500; clients with nothing to
// bill are skipped, and each client's result is reported.
func (w *Wing) batch(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	var req api.InvoiceBatchRequest
	if err := httpx.DecodeBody(r, &req, 1<<20); err != nil {
		httpx.WriteBodyError(rw, err)
		return
	}
	if strings.TrimSpace(req.Batch) == "" {
		httpx.WriteError(rw, 400, "batch (a name) is required")
		return
	}
	var clients []store.Client
	if len(req.Clients) == 0 {
		all, err := w.d.Store.Clients()
		if err != nil {
			httpx.WriteError(rw, 500, "internal error")
			return
		}
		for _, c := range all {
			if p.CanSeeClient(c.ID) {
				clients = append(clients, c)
			}
		}
	} else {
		for i, ref := range req.Clients {
			c, ok := w.d.Clients.ResolveClient(p, ref)
			if !ok {
				httpx.WriteError(rw, 404, fmt.Sprintf("clients[%d]: client not found", i))
				return
			}
			clients = append(clients, c)
		}
	}
	if w.d.Work == nil {
		httpx.WriteError(rw, 409, ErrWorkOff.Error())
		return
	}
	st, err := w.d.Store.InvoiceSettings()
	if err != nil {
		httpx.WriteError(rw, 500, "internal error")
		return
	}
	res, err := w.Batch(r, p, &st, clients, &api.InvoiceRequest{Date: req.Date, PeriodFrom: req.PeriodFrom,
		PeriodTo: req.PeriodTo, FromWork: true, Batch: req.Batch})
	if err != nil {
		httpx.WriteError(rw, 400, err.Error())
		return
	}
	w.d.Audit.AuditP(p, "invoice.batch", res.Batch, map[string]string{"created": fmt.Sprint(res.Created),
		"skipped": fmt.Sprint(res.Skipped), "failed": fmt.Sprint(res.Failed), "period": req.PeriodFrom + ".." + req.PeriodTo})
	httpx.WriteJSON(rw, 200, res)
}

// Batch makes the invoices of clients from req (the batch handler and the
// benchmark use it); an error is a bad request.
func (w *Wing) Batch(r *http.Request, p *httpx.Principal, st *store.InvoiceSettings, clients []store.Client, req *api.InvoiceRequest) (api.InvoiceBatchResult, error) {
	res := api.InvoiceBatchResult{Items: []api.InvoiceBatchItem{}}
	items := make([]api.InvoiceBatchItem, len(clients))
	var invs []*store.Invoice
	var drafts []*draft
	var at []int
	for i, c := range clients {
		d, err := w.draftOf(st, c, req)
		if err != nil {
			return res, err
		}
		res.Batch = d.batch
		items[i] = api.InvoiceBatchItem{ClientID: c.ID, ClientName: c.Name}
		inv, err := w.assemble(r.Context(), st, d, p.Name)
		switch {
		case errors.Is(err, errNothing):
			items[i].Result = "skipped"
		case err != nil:
			items[i].Result, items[i].Error = "failed", err.Error()
		default:
			invs, drafts, at = append(invs, inv), append(drafts, d), append(at, i)
		}
	}
	const commit = 500
	for lo := 0; lo < len(invs); lo += commit {
		hi := min(lo+commit, len(invs))
		errs, err := w.save(r.Context(), st, invs[lo:hi], drafts[lo:hi], p.Name)
		if err != nil {
			return res, err
		}
		for k, e := range errs {
			it, inv := &items[at[lo+k]], invs[lo+k]
			switch {
			case errors.Is(e, errNothing):
				it.Result = "skipped"
			case e != nil:
				it.Result, it.Error = "failed", e.Error()
			default:
				it.Result, it.InvoiceID, it.Number, it.TotalCents = "created", inv.ID, inv.Number, inv.TotalCents
			}
		}
	}
	for _, it := range items {
		switch it.Result {
		case "created":
			res.Created++
		case "skipped":
			res.Skipped++
		default:
			res.Failed++
		}
	}
	res.Items = items
	return res, nil
}
