package ctl

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/steward-rmm/steward/api"
)

// ticketsCmd works service-desk tickets.
func (a *App) ticketsCmd() *cobra.Command {
	c := &cobra.Command{Use: "tickets", Short: "Service-desk tickets: list, show, create, comment, record time, change status, assign"}
	cols := []string{"NUMBER", "TITLE", "CLIENT", "STATUS", "PRIORITY", "TECHNICIAN", "MODIFIED", "SLA"}
	row := func(t api.Ticket) []string {
		return []string{"#" + strconv.FormatInt(t.Number, 10), t.Title, t.ClientName, t.Status, t.Priority, t.TechnicianName,
			tago(t.ModifiedAt), t.DueIn}
	}
	var client, status, tech, prio, impact, typ, spam, search, cursor string
	var limit int
	list := &cobra.Command{Use: "list [--client C] [--status S,S|all] [--technician ID|me|-] [--priority P] [--search TEXT|#N]",
		Short: "List tickets (default: open and pending), most recently changed first",
		RunE: func(cmd *cobra.Command, _ []string) error {
			path := "/api/v1/tickets"
			if client != "" {
				path = "/api/v1/clients/" + url.PathEscape(client) + "/tickets"
			}
			q := url.Values{}
			for k, v := range map[string]string{"status": status, "technician": tech, "priority": prio, "impact": impact, "type": typ,
				"spam": spam, "q": search, "cursor": cursor} {
				if v != "" {
					q.Set(k, v)
				}
			}
			if limit > 0 {
				q.Set("limit", strconv.Itoa(limit))
			}
			var out api.TicketList
			if err := a.client().Do("GET", path+"?"+q.Encode(), nil, &out); err != nil {
				return err
			}
			if a.output == "json" {
				return JSON(a.Out, out)
			}
			if err := printRecords(a, out.Tickets, cols, row); err != nil {
				return err
			}
			if out.Next != "" {
				fmt.Fprintf(a.Out, "\nmore: --cursor %s\n", Clean(out.Next))
			}
			return nil
		}}
	f := list.Flags()
	f.StringVar(&client, "client", "", "only this client's tickets (ID or name)")
	f.StringVar(&status, "status", "", "statuses, comma separated, or all (default open,pending)")
	f.StringVar(&tech, "technician", "", "assigned to this user ID, me, or - (unassigned)")
	f.StringVar(&prio, "priority", "", "low, medium, high or critical")
	f.StringVar(&impact, "impact", "", `none, "customer down", "server issue", minor, major or crisis`)
	f.StringVar(&typ, "type", "", "incident, problem, request or change")
	f.StringVar(&spam, "spam", "", "0 (default), 1 or all")
	f.StringVar(&search, "search", "", "title contains this, or #N for ticket N")
	f.StringVar(&cursor, "cursor", "", "the next page's cursor")
	f.IntVar(&limit, "limit", 0, "tickets per page (50)")

	show := &cobra.Command{Use: "show TICKET", Short: "Show a ticket (ID or number) with its comments and time", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var out api.TicketDetail
			if err := a.client().Do("GET", "/api/v1/tickets/"+url.PathEscape(strings.TrimPrefix(args[0], "#")), nil, &out); err != nil {
				return err
			}
			if a.output == "json" {
				return JSON(a.Out, out)
			}
			t := out.Ticket
			rows := [][]string{{"number", "#" + strconv.FormatInt(t.Number, 10)}, {"id", t.ID}, {"title", t.Title},
				{"client", t.ClientName}, {"status", t.Status}, {"priority", t.Priority}, {"impact", t.Impact}, {"type", t.Type},
				{"activity", t.Activity}, {"technician", t.TechnicianName}, {"contact", t.ContactID}, {"contract", t.ContractID},
				{"sla", t.DueIn}, {"created", tago(t.CreatedAt)}, {"modified", tago(t.ModifiedAt)}, {"spam", omitFalse(t.Spam)},
				{"description", t.Description}}
			Table(a.Out, []string{"FIELD", "VALUE"}, rows)
			fmt.Fprintln(a.Out)
			cs := make([][]string, 0, len(out.Comments))
			for _, m := range out.Comments {
				vis := "internal"
				if m.Public {
					vis = "public"
				}
				cs = append(cs, []string{tstr(m.At), m.AuthorName, vis, m.Body})
			}
			Table(a.Out, []string{"AT", "BY", "VISIBILITY", "COMMENT"}, cs)
			fmt.Fprintln(a.Out)
			ts := make([][]string, 0, len(out.Time))
			for _, e := range out.Time {
				ts = append(ts, []string{e.ID, tstr(e.At), e.UserName, strconv.Itoa(e.Minutes) + " min", omitFalse(e.Billable), e.ContractID, e.Note})
			}
			Table(a.Out, []string{"ENTRY", "AT", "BY", "TIME", "BILLABLE", "CONTRACT", "NOTE"}, ts)
			return nil
		}}

	var req api.TicketRequest
	var cClient, desc, cPrio, cImpact, cType, contact, cTech, sla, contract string
	create := &cobra.Command{Use: "create TITLE --client C [flags]", Short: "Open a ticket", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req.Title = &args[0]
			for flag, dst := range map[string]**string{"description": &req.Description, "priority": &req.Priority, "impact": &req.Impact,
				"type": &req.Type, "contact": &req.ContactID, "technician": &req.TechnicianID, "sla": &req.SLAID, "contract": &req.ContractID} {
				if cmd.Flags().Changed(flag) {
					v, _ := cmd.Flags().GetString(flag)
					*dst = &v
				}
			}
			var out api.Ticket
			if err := a.client().Do("POST", "/api/v1/clients/"+url.PathEscape(cClient)+"/tickets", req, &out); err != nil {
				return err
			}
			if a.output == "json" {
				return JSON(a.Out, out)
			}
			fmt.Fprintf(a.Out, "opened #%d %s (%s)\n", out.Number, Clean(out.Title), out.ID)
			return nil
		}}
	f = create.Flags()
	f.StringVar(&cClient, "client", "", "the client (ID or name)")
	f.StringVar(&desc, "description", "", "what is wrong")
	f.StringVar(&cPrio, "priority", "", "low, medium (default), high or critical")
	f.StringVar(&cImpact, "impact", "", `none (default), "customer down", "server issue", minor, major or crisis`)
	f.StringVar(&cType, "type", "", "incident (default), problem, request or change")
	f.StringVar(&contact, "contact", "", "the client's contact (ID)")
	f.StringVar(&cTech, "technician", "", "assign to this user (ID)")
	f.StringVar(&sla, "sla", "", "SLA ID (default: the contract's)")
	f.StringVar(&contract, "contract", "", "contract ID (default: the client's default contract)")
	_ = create.MarkFlagRequired("client")

	var public bool
	comment := &cobra.Command{Use: "comment TICKET TEXT [--public]", Short: "Comment on a ticket (internal unless --public)", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var out api.TicketComment
			if err := a.client().Do("POST", "/api/v1/tickets/"+url.PathEscape(strings.TrimPrefix(args[0], "#"))+"/comments",
				api.TicketCommentRequest{Body: args[1], Public: public}, &out); err != nil {
				return err
			}
			if a.output == "json" {
				return JSON(a.Out, out)
			}
			fmt.Fprintf(a.Out, "commented (%s)\n", out.ID)
			return nil
		}}
	comment.Flags().BoolVar(&public, "public", false, "shown to the customer")

	var treq api.TimeEntryRequest
	tm := &cobra.Command{Use: "time TICKET MINUTES [--billable] [--note TEXT] [--date YYYY-MM-DD]", Short: "Record time on a ticket",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := strconv.Atoi(args[1])
			if err != nil {
				return fmt.Errorf("minutes must be a number: %q", args[1])
			}
			treq.Minutes = n
			var out api.TimeEntry
			if err := a.client().Do("POST", "/api/v1/tickets/"+url.PathEscape(strings.TrimPrefix(args[0], "#"))+"/time", treq, &out); err != nil {
				return err
			}
			if a.output == "json" {
				return JSON(a.Out, out)
			}
			fmt.Fprintf(a.Out, "recorded %d min (%s)\n", out.Minutes, out.ID)
			return nil
		}}
	f = tm.Flags()
	f.BoolVar(&treq.Billable, "billable", false, "billable time")
	f.StringVar(&treq.Note, "note", "", "what was done")
	f.StringVar(&treq.Date, "date", "", "the day (default today)")
	f.StringVar(&treq.ContractID, "contract", "", "against this contract (default the ticket's)")

	patch := func(ref string, r api.TicketRequest) error {
		var out api.Ticket
		if err := a.client().Do("PATCH", "/api/v1/tickets/"+url.PathEscape(strings.TrimPrefix(ref, "#")), r, &out); err != nil {
			return err
		}
		if a.output == "json" {
			return JSON(a.Out, out)
		}
		return printRecords(a, []api.Ticket{out}, cols, row)
	}
	var resolveAlerts bool
	st := &cobra.Command{Use: "status TICKET STATUS [--resolve-alerts]", Short: "Change a ticket's status", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return patch(args[0], api.TicketRequest{Status: &args[1], ResolveAlerts: resolveAlerts})
		}}
	st.Flags().BoolVar(&resolveAlerts, "resolve-alerts", false, "resolving or closing also resolves the ticket's alerts")
	assign := &cobra.Command{Use: "assign TICKET USER-ID|-", Short: "Assign a ticket to a technician (- unassigns)", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			u := args[1]
			if u == "-" {
				u = ""
			}
			return patch(args[0], api.TicketRequest{TechnicianID: &u})
		}}
	c.AddCommand(list, show, create, comment, tm, st, assign)
	return c
}
