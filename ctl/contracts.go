package ctl

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/steward-rmm/steward/api"
)

// money shows cents of a currency as "1,234.50 EUR" ("" for none).
func money(cents int64, currency string) string {
	if cents == 0 {
		return ""
	}
	return amount(cents) + " " + currency
}

// parseMoney reads "1234.5" as cents.
func parseMoney(flag, s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", ""), 64)
	if err != nil || f < 0 || math.IsNaN(f) || f > 1e9 {
		return 0, fmt.Errorf("--%s must be an amount such as 450 or 99.50", flag)
	}
	return int64(math.Round(f * 100)), nil
}

// qtyStr shows a quantity without trailing zeros.
func qtyStr(q float64) string { return strconv.FormatFloat(q, 'f', -1, 64) }

// contractsCmd manages contracts, entitlements and consumption.
func (a *App) contractsCmd() *cobra.Command {
	c := &cobra.Command{Use: "contracts", Short: "Client contracts, their entitlements and consumption; customer activity"}
	cols := []string{"ID", "NAME", "TYPE", "STATUS", "START", "END", "DEFAULT", "MONTHLY FEE", "HOURLY RATE", "SLA"}
	row := func(x api.Contract) []string {
		end := x.EffectiveEnd
		if x.AutoRenew && end != "" {
			end += " (renews)"
		}
		def := ""
		if x.Default {
			def = "yes"
		}
		return []string{x.ID, x.Name, x.Type, x.Status, x.Start, end, def, money(x.MonthlyFeeCents, x.Currency),
			money(x.HourlyRateCents, x.Currency), x.SLAID}
	}
	entCols := []string{"ID", "ENTITLEMENT", "UNIT", "SOLD", "USED", "REMAINING", "EXPIRY", "OVER"}
	entRow := func(e api.Entitlement) []string {
		if !e.Consumable {
			return []string{e.ID, e.Name, "benefit", "", "", "", "", ""}
		}
		over := ""
		switch {
		case e.OverConsumed:
			over = "over-consumed"
		case e.AllowOver:
			over = "allowed"
		}
		exp := e.Expiry
		if e.Expired {
			exp += " (expired)"
		} else if e.ExpiresSoon {
			exp += " (soon)"
		}
		return []string{e.ID, e.Name, e.Unit, qtyStr(e.Sold), qtyStr(e.Used), qtyStr(e.Remaining), exp, over}
	}

	var client, status string
	list := &cobra.Command{Use: "list --client C [--status active|inactive]", Short: "A client's contracts",
		RunE: func(cmd *cobra.Command, _ []string) error {
			var out api.ContractList
			if err := a.client().Do("GET", "/api/v1/clients/"+url.PathEscape(client)+"/contracts?status="+url.QueryEscape(status), nil, &out); err != nil {
				return err
			}
			return printRecords(a, out.Contracts, cols, row)
		}}
	list.Flags().StringVar(&client, "client", "", "the client (ID or name)")
	list.Flags().StringVar(&status, "status", "", "active or inactive (default: all)")
	_ = list.MarkFlagRequired("client")

	show := &cobra.Command{Use: "show ID", Args: cobra.ExactArgs(1), Short: "A contract and its entitlements",
		RunE: func(cmd *cobra.Command, args []string) error {
			var out api.Contract
			if err := a.client().Do("GET", "/api/v1/contracts/"+url.PathEscape(args[0]), nil, &out); err != nil {
				return err
			}
			if a.output == "json" {
				return JSON(a.Out, out)
			}
			Table(a.Out, cols, [][]string{row(out)})
			if out.NoticeBy != "" {
				fmt.Fprintf(a.Out, "\nnotice of non-renewal by %s\n", out.NoticeBy)
			}
			fmt.Fprintln(a.Out)
			rows := make([][]string, 0, len(out.Entitlements))
			for _, e := range out.Entitlements {
				rows = append(rows, entRow(e))
			}
			Table(a.Out, entCols, rows)
			return nil
		}}

	var req api.ContractRequest
	var createClient, fee, rate string
	create := &cobra.Command{Use: "create NAME --client C [flags]", Args: cobra.ExactArgs(1), Short: "Add a contract",
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			req.Name = args[0]
			if req.MonthlyFeeCents, err = parseMoney("monthly-fee", fee); err != nil {
				return err
			}
			if req.HourlyRateCents, err = parseMoney("hourly-rate", rate); err != nil {
				return err
			}
			var out api.Contract
			if err := a.client().Do("POST", "/api/v1/clients/"+url.PathEscape(createClient)+"/contracts", req, &out); err != nil {
				return err
			}
			if a.output == "json" {
				return JSON(a.Out, out)
			}
			fmt.Fprintf(a.Out, "created %s (%s), %s\n", Clean(out.Name), out.ID, out.Status)
			return nil
		}}
	f := create.Flags()
	f.StringVar(&createClient, "client", "", "the client (ID or name)")
	f.StringVar(&req.Type, "type", "", "standard (default), block_of_hours, monitoring or project")
	f.StringVar(&req.Start, "start", "", "first day YYYY-MM-DD (default today)")
	f.StringVar(&req.End, "end", "", "last day YYYY-MM-DD (default open-ended)")
	f.StringVar(&req.SLAID, "sla", "", "the SLA's ID (see GET /api/v1/slas)")
	f.BoolVar(&req.AutoRenew, "auto-renew", false, "renews by --renewal-months at its end")
	f.IntVar(&req.RenewalMonths, "renewal-months", 0, "renewal term in months (default 12)")
	f.IntVar(&req.NoticeDays, "notice-days", 0, "notice of non-renewal, days before the end")
	f.BoolVar(&req.Default, "default", false, "the client's default contract (for new tickets)")
	f.StringVar(&fee, "monthly-fee", "", "monthly fee, e.g. 450 or 99.50")
	f.StringVar(&rate, "hourly-rate", "", "hourly rate, e.g. 95")
	f.StringVar(&req.Currency, "currency", "", "ISO 4217 code (default EUR)")
	f.StringVar(&req.Notes, "notes", "", "notes")
	_ = create.MarkFlagRequired("client")

	var endDate string
	end := &cobra.Command{Use: "end ID [--date YYYY-MM-DD]", Args: cobra.ExactArgs(1), Short: "End a contract early (not active from the date on)",
		RunE: func(cmd *cobra.Command, args []string) error {
			var out api.Contract
			if err := a.client().Do("POST", "/api/v1/contracts/"+url.PathEscape(args[0])+"/end", api.ContractEndRequest{Date: endDate}, &out); err != nil {
				return err
			}
			if a.output == "json" {
				return JSON(a.Out, out)
			}
			fmt.Fprintf(a.Out, "%s ends on %s (%s)\n", Clean(out.Name), out.EndedOn, out.Status)
			return nil
		}}
	end.Flags().StringVar(&endDate, "date", "", "first day not covered (default today)")

	c.AddCommand(list, show, create, end, a.entitlementCmd(entCols, entRow), a.consumeCmd(), a.usageCmd(), a.activityCmd(entCols, entRow))
	return c
}

// entitlementCmd adds entitlements to a contract.
func (a *App) entitlementCmd(cols []string, row func(api.Entitlement) []string) *cobra.Command {
	c := &cobra.Command{Use: "entitlement", Short: "A contract's entitlements"}
	var req api.EntitlementRequest
	var benefit bool
	add := &cobra.Command{Use: "add CONTRACT NAME [--unit U --quantity N | --benefit]", Args: cobra.ExactArgs(2),
		Short: "Add an entitlement: consumable (hours, tickets, visits, training_days or a custom unit) or a benefit",
		RunE: func(cmd *cobra.Command, args []string) error {
			req.Name, req.Consumable = args[1], !benefit
			if benefit && (req.Quantity != 0 || req.Unit != "") {
				return errors.New("a benefit has no --unit or --quantity")
			}
			var out api.Entitlement
			if err := a.client().Do("POST", "/api/v1/contracts/"+url.PathEscape(args[0])+"/entitlements", req, &out); err != nil {
				return err
			}
			return a.print(out, cols, func() [][]string { return [][]string{row(out)} })
		}}
	f := add.Flags()
	f.StringVar(&req.Unit, "unit", "", "hours (default), tickets, visits, training_days or a custom unit")
	f.Float64Var(&req.Quantity, "quantity", 0, "quantity sold")
	f.StringVar(&req.Expiry, "expiry", "", "YYYY-MM-DD (default the contract's end)")
	f.BoolVar(&req.AllowOver, "allow-over", false, "allow use beyond what was sold (flagged) instead of refusing it")
	f.BoolVar(&benefit, "benefit", false, "a benefit: listed, not consumed")
	c.AddCommand(add)
	return c
}

var consumptionCols = []string{"DATE", "CONTRACT", "ENTITLEMENT", "QUANTITY", "UNIT", "TICKET", "TECHNICIAN", "SOURCE", "NOTE", "OVER"}

func consumptionRow(x api.Consumption) []string {
	ticket, over := "", ""
	if x.TicketNumber > 0 {
		ticket = "#" + strconv.FormatInt(x.TicketNumber, 10)
	}
	if x.Over {
		over = "over"
	}
	return []string{tstr(x.At), x.ContractName, x.EntitlementName, qtyStr(x.Quantity), x.Unit, ticket, x.UserName, x.SourceKind, x.Note, over}
}

// consumeCmd records a manual delivery.
func (a *App) consumeCmd() *cobra.Command {
	var req api.ConsumptionRequest
	c := &cobra.Command{Use: "consume CONTRACT ENTITLEMENT --quantity N [--date D] [--ticket N] [--note TEXT]", Args: cobra.ExactArgs(2),
		Short: "Record a delivery (an on-site visit, a training day) against an entitlement",
		RunE: func(cmd *cobra.Command, args []string) error {
			if req.Quantity <= 0 {
				return errors.New("--quantity must be more than 0")
			}
			var out api.Consumption
			path := "/api/v1/contracts/" + url.PathEscape(args[0]) + "/entitlements/" + url.PathEscape(args[1]) + "/consumptions"
			if err := a.client().Do("POST", path, req, &out); err != nil {
				return err
			}
			return a.print(out, consumptionCols, func() [][]string { return [][]string{consumptionRow(out)} })
		}}
	f := c.Flags()
	f.Float64Var(&req.Quantity, "quantity", 0, "quantity in the entitlement's unit")
	f.StringVar(&req.Date, "date", "", "YYYY-MM-DD (default today)")
	f.Int64Var(&req.TicketNumber, "ticket", 0, "ticket number")
	f.StringVar(&req.Note, "note", "", "note")
	return c
}

// usageCmd is an entitlement's drill-down, as a table or the server's CSV.
func (a *App) usageCmd() *cobra.Command {
	var asCSV bool
	c := &cobra.Command{Use: "usage CONTRACT ENTITLEMENT [--csv]", Args: cobra.ExactArgs(2), Short: "Every consumption of an entitlement",
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "/api/v1/contracts/" + url.PathEscape(args[0]) + "/entitlements/" + url.PathEscape(args[1]) + "/consumptions"
			if asCSV {
				return a.client().stream("GET", path+"?format=csv", nil, 0, nil, a.Out)
			}
			var out api.ConsumptionList
			if err := a.client().Do("GET", path, nil, &out); err != nil {
				return err
			}
			return printRecords(a, out.Consumptions, consumptionCols, consumptionRow)
		}}
	c.Flags().BoolVar(&asCSV, "csv", false, "the server's CSV export (cells made safe for spreadsheets)")
	return c
}

// activityCmd shows a client's customer activity.
func (a *App) activityCmd(entCols []string, entRow func(api.Entitlement) []string) *cobra.Command {
	var client, contract, entitlement, status string
	var days int
	c := &cobra.Command{Use: "activity --client C [--contract ID] [--entitlement ID] [--status active|inactive|all] [--days N]",
		Short: "Customer activity: contracts, consumption, what remains and expires soon, uncovered work",
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			for k, v := range map[string]string{"contract": contract, "entitlement": entitlement, "status": status} {
				if v != "" {
					q.Set(k, v)
				}
			}
			if days >= 0 {
				q.Set("days", strconv.Itoa(days))
			}
			var out api.Activity
			if err := a.client().Do("GET", "/api/v1/clients/"+url.PathEscape(client)+"/activity?"+q.Encode(), nil, &out); err != nil {
				return err
			}
			if a.output == "json" {
				return JSON(a.Out, out)
			}
			fmt.Fprintf(a.Out, "%s, %s\n", Clean(out.ClientName), out.Today)
			for _, k := range out.Contracts {
				end := k.EffectiveEnd
				if end == "" {
					end = "open-ended"
				}
				fmt.Fprintf(a.Out, "\n%s (%s, %s): %s to %s\n", Clean(k.Name), k.Type, k.Status, k.Start, end)
				rows := make([][]string, 0, len(k.Entitlements))
				for _, e := range k.Entitlements {
					rows = append(rows, entRow(e))
				}
				Table(a.Out, entCols, rows)
			}
			fmt.Fprintf(a.Out, "\nexpiring within %d days:\n", out.SoonDays)
			rows := make([][]string, 0, len(out.ExpiringSoon))
			for _, x := range out.ExpiringSoon {
				rows = append(rows, []string{x.Kind, x.Name, x.Date, strconv.Itoa(x.Days)})
			}
			Table(a.Out, []string{"KIND", "NAME", "DATE", "DAYS"}, rows)
			fmt.Fprintln(a.Out, "\nwork under no contract:")
			for _, t := range out.UncoveredTotals {
				fmt.Fprintf(a.Out, "%s %s\n", qtyStr(t.Quantity), Clean(t.Unit))
			}
			rows = rows[:0]
			for _, x := range out.Uncovered {
				rows = append(rows, consumptionRow(x))
			}
			Table(a.Out, consumptionCols, rows)
			return nil
		}}
	f := c.Flags()
	f.StringVar(&client, "client", "", "the client (ID or name)")
	f.StringVar(&contract, "contract", "", "only this contract")
	f.StringVar(&entitlement, "entitlement", "", "only this entitlement")
	f.StringVar(&status, "status", "", "active (default), inactive or all")
	f.IntVar(&days, "days", -1, "what expires within N days (default the server's, 30)")
	_ = c.MarkFlagRequired("client")
	return c
}
