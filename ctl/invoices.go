package ctl

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/steward-rmm/steward/api"
)

// amount shows cents as a decimal amount: 123456 is "1,234.56".
func amount(cents int64) string {
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
	return fmt.Sprintf("%s%s.%02d", sign, b.String(), cents%100)
}

// invoicesCmd lists, shows, creates, batches and changes invoices.
func (a *App) invoicesCmd() *cobra.Command {
	c := &cobra.Command{Use: "invoices", Short: "Invoices: by hand or from a period's billable work, batches, statuses, PDF"}
	cols := []string{"NUMBER", "CLIENT", "DATE", "DUE", "STATUS", "BATCH", "TOTAL"}
	row := func(x api.Invoice) []string {
		return []string{x.Number, x.ClientName, x.Date, x.DueDate, x.Status, x.Batch, amount(x.TotalCents) + " " + x.Currency}
	}

	var client, search, status, batch, from, to, cursor string
	var limit int
	var all bool
	list := &cobra.Command{Use: "list [--client C] [--search TEXT] [--status S,..] [--batch B] [--from D] [--to D] [--limit N] [--all | --cursor C]",
		Short: "List invoices, newest first, a page at a time (--all: every page)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if all && cursor != "" {
				return errors.New("--all and --cursor do not go together")
			}
			q := url.Values{}
			for k, v := range map[string]string{"client": client, "q": search, "status": status, "batch": batch, "from": from, "to": to, "cursor": cursor} {
				if v != "" {
					q.Set(k, v)
				}
			}
			q.Set("limit", strconv.Itoa(limit))
			var out api.InvoiceList
			for {
				var page api.InvoiceList
				if err := a.client().Do("GET", "/api/v1/invoices?"+q.Encode(), nil, &page); err != nil {
					return err
				}
				if q.Get("cursor") == "" || !all {
					out.Total, out.Totals = page.Total, page.Totals
				}
				out.Invoices, out.Next = append(out.Invoices, page.Invoices...), page.Next
				if !all || page.Next == "" {
					break
				}
				q.Set("cursor", page.Next)
			}
			if out.Invoices == nil {
				out.Invoices = []api.Invoice{}
			}
			if a.output == "json" {
				return JSON(a.Out, out)
			}
			if err := printRecords(a, out.Invoices, cols, row); err != nil {
				return err
			}
			if out.Total > len(out.Invoices) {
				fmt.Fprintf(a.Out, "(%d of %d)\n", len(out.Invoices), out.Total)
			}
			for _, t := range out.Totals {
				fmt.Fprintf(a.Out, "outstanding %s %s (%d), overdue %s %s (%d)\n", amount(t.OutstandingCents), Clean(t.Currency), t.Outstanding,
					amount(t.OverdueCents), Clean(t.Currency), t.Overdue)
			}
			if out.Next != "" {
				fmt.Fprintf(a.Out, "more: --cursor %s (or --all)\n", Clean(out.Next))
			}
			return nil
		}}
	f := list.Flags()
	f.StringVar(&client, "client", "", "only this client's invoices (ID or name)")
	f.StringVar(&search, "search", "", "number or batch contains this")
	f.StringVar(&status, "status", "", "draft, sent, paid, void (comma-separated)")
	f.StringVar(&batch, "batch", "", "only this batch")
	f.StringVar(&from, "from", "", "dated on or after YYYY-MM-DD")
	f.StringVar(&to, "to", "", "dated before YYYY-MM-DD")
	f.IntVar(&limit, "limit", 100, "at most this many per page (1 to 500)")
	f.BoolVar(&all, "all", false, "follow every page (the whole list)")
	f.StringVar(&cursor, "cursor", "", "the next page's cursor (the last page's \"more\")")

	show := &cobra.Command{Use: "show ID|NUMBER", Args: cobra.ExactArgs(1), Short: "An invoice with its lines",
		RunE: func(cmd *cobra.Command, args []string) error {
			var inv api.Invoice
			if err := a.client().Do("GET", "/api/v1/invoices/"+url.PathEscape(args[0]), nil, &inv); err != nil {
				return err
			}
			if a.output == "json" {
				return JSON(a.Out, inv)
			}
			Table(a.Out, []string{"FIELD", "VALUE"}, [][]string{{"Number", inv.Number}, {"Client", inv.ClientName},
				{"Status", inv.Status}, {"Date", inv.Date}, {"Due", inv.DueDate}, {"Period", strings.Trim(inv.PeriodFrom+" .. "+inv.PeriodTo, " .")},
				{"Batch", inv.Batch}, {"Subtotal", amount(inv.SubtotalCents) + " " + inv.Currency},
				{"Tax", amount(inv.TaxCents) + " " + inv.Currency}, {"Total", amount(inv.TotalCents) + " " + inv.Currency},
				{"Next", strings.Join(inv.Next, ", ")}, {"Notes", inv.Notes}})
			fmt.Fprintln(a.Out)
			rows := make([][]string, 0, len(inv.Lines))
			for _, l := range inv.Lines {
				rows = append(rows, []string{l.Kind, l.Description, strconv.FormatFloat(l.Quantity, 'f', -1, 64),
					amount(l.UnitPriceCents), strconv.FormatFloat(l.TaxRate, 'f', -1, 64) + "%", amount(l.AmountCents)})
			}
			Table(a.Out, []string{"KIND", "DESCRIPTION", "QTY", "UNIT", "TAX", "AMOUNT"}, rows)
			return nil
		}}

	var req api.InvoiceRequest
	var crClient string
	var manual []string
	create := &cobra.Command{Use: "create --client C [--from-work --period-from D --period-to D] [--line 'DESC;QTY;UNIT_CENTS[;TAX%]']...",
		Short: "Create a draft invoice from a period's billable work and/or manual lines",
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, s := range manual {
				l, err := parseLine(s)
				if err != nil {
					return err
				}
				req.Lines = append(req.Lines, l)
			}
			var inv api.Invoice
			if err := a.client().Do("POST", "/api/v1/clients/"+url.PathEscape(crClient)+"/invoices", req, &inv); err != nil {
				return err
			}
			if a.output == "json" {
				return JSON(a.Out, inv)
			}
			fmt.Fprintf(a.Out, "created %s for %s: %d lines, total %s %s\n", inv.Number, Clean(inv.ClientName), len(inv.Lines),
				amount(inv.TotalCents), inv.Currency)
			return nil
		}}
	f = create.Flags()
	f.StringVar(&crClient, "client", "", "the client (ID or name)")
	f.BoolVar(&req.FromWork, "from-work", false, "bill the period's unbilled billable time entries and contract fees")
	f.StringVar(&req.PeriodFrom, "period-from", "", "period start YYYY-MM-DD (included)")
	f.StringVar(&req.PeriodTo, "period-to", "", "period end YYYY-MM-DD (excluded)")
	f.StringVar(&req.Date, "date", "", "invoice date YYYY-MM-DD (default today)")
	f.StringVar(&req.DueDate, "due", "", "due date YYYY-MM-DD (default: date + payment terms)")
	f.StringVar(&req.Batch, "batch", "", "batch name")
	f.StringVar(&req.Notes, "notes", "", "notes printed on the invoice")
	f.StringArrayVar(&manual, "line", nil, "a manual line: description;quantity;unit price in cents[;tax %]")
	_ = create.MarkFlagRequired("client")

	var breq api.InvoiceBatchRequest
	batchCmd := &cobra.Command{Use: "batch NAME --period-from D --period-to D [--client C]...", Args: cobra.ExactArgs(1),
		Short: "Invoice many clients' work of one period at once (default: every client in scope)",
		RunE: func(cmd *cobra.Command, args []string) error {
			breq.Batch = args[0]
			var res api.InvoiceBatchResult
			if err := a.client().Do("POST", "/api/v1/invoices/batch", breq, &res); err != nil {
				return err
			}
			if a.output == "json" {
				return JSON(a.Out, res)
			}
			rows := make([][]string, 0, len(res.Items))
			for _, it := range res.Items {
				total := ""
				if it.Result == "created" {
					total = amount(it.TotalCents)
				}
				rows = append(rows, []string{it.ClientName, it.Result, it.Number, total, it.Error})
			}
			Table(a.Out, []string{"CLIENT", "RESULT", "NUMBER", "TOTAL", "ERROR"}, rows)
			fmt.Fprintf(a.Out, "batch %s: %d created, %d skipped, %d failed\n", Clean(res.Batch), res.Created, res.Skipped, res.Failed)
			if res.Failed > 0 {
				return fmt.Errorf("%d clients failed", res.Failed)
			}
			return nil
		}}
	f = batchCmd.Flags()
	f.StringVar(&breq.PeriodFrom, "period-from", "", "period start YYYY-MM-DD (included)")
	f.StringVar(&breq.PeriodTo, "period-to", "", "period end YYYY-MM-DD (excluded)")
	f.StringVar(&breq.Date, "date", "", "invoice date YYYY-MM-DD (default today)")
	f.StringArrayVar(&breq.Clients, "client", nil, "only these clients (ID or name; repeat)")
	_ = batchCmd.MarkFlagRequired("period-from")
	_ = batchCmd.MarkFlagRequired("period-to")

	statusCmd := &cobra.Command{Use: "status ID|NUMBER sent|paid|void", Args: cobra.ExactArgs(2), Short: "Move an invoice to another status",
		RunE: func(cmd *cobra.Command, args []string) error {
			var inv api.Invoice
			if err := a.client().Do("POST", "/api/v1/invoices/"+url.PathEscape(args[0])+"/status", api.InvoiceStatusRequest{Status: args[1]}, &inv); err != nil {
				return err
			}
			if a.output == "json" {
				return JSON(a.Out, inv)
			}
			fmt.Fprintf(a.Out, "%s is %s\n", inv.Number, inv.Status)
			return nil
		}}

	var outFile string
	pdf := &cobra.Command{Use: "pdf ID|NUMBER [-O FILE]", Args: cobra.ExactArgs(1), Short: "Download an invoice's PDF (to FILE, default NUMBER.pdf; - for stdout)",
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "/api/v1/invoices/" + url.PathEscape(args[0]) + "/pdf"
			if outFile == "-" {
				return a.client().stream("GET", path, nil, 0, nil, a.Out)
			}
			dst := outFile
			if dst == "" {
				dst = strings.Map(func(r rune) rune {
					if r == '/' || r == '\\' || r < 0x20 {
						return '_'
					}
					return r
				}, args[0]) + ".pdf"
			}
			fh, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return err
			}
			err = a.client().stream("GET", path, nil, 0, nil, fh)
			if cerr := fh.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				os.Remove(dst)
				return err
			}
			fmt.Fprintf(a.Out, "wrote %s\n", Clean(dst))
			return nil
		}}
	pdf.Flags().StringVarP(&outFile, "output-file", "O", "", "where to write the PDF (- for stdout)")

	c.AddCommand(list, show, create, batchCmd, statusCmd, pdf)
	return c
}

// parseLine reads "description;quantity;unit cents[;tax %]".
func parseLine(s string) (api.InvoiceLineRequest, error) {
	parts := strings.Split(s, ";")
	if len(parts) < 3 || len(parts) > 4 {
		return api.InvoiceLineRequest{}, errors.New("--line must be description;quantity;unit price in cents[;tax %]")
	}
	l := api.InvoiceLineRequest{Description: parts[0]}
	var err error
	if l.Quantity, err = strconv.ParseFloat(strings.TrimSpace(parts[1]), 64); err != nil {
		return l, fmt.Errorf("--line quantity %q: %w", parts[1], err)
	}
	if l.UnitPriceCents, err = strconv.ParseInt(strings.TrimSpace(parts[2]), 10, 64); err != nil {
		return l, fmt.Errorf("--line unit price %q: %w", parts[2], err)
	}
	if len(parts) == 4 {
		t, err := strconv.ParseFloat(strings.TrimSpace(parts[3]), 64)
		if err != nil {
			return l, fmt.Errorf("--line tax %q: %w", parts[3], err)
		}
		l.TaxRate = &t
	}
	return l, nil
}
