package ctl

import (
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/steward-rmm/steward/api"
)

// resolveClient finds a client by ID or name (any case) among those the
// caller sees.
func (a *App) resolveClient(ref string) (api.Client, error) {
	var cs []api.Client
	if err := a.client().Do("GET", "/api/v1/clients", nil, &cs); err != nil {
		return api.Client{}, err
	}
	for _, c := range cs {
		if c.ID == ref || strings.EqualFold(c.Name, ref) {
			return c, nil
		}
	}
	return api.Client{}, fmt.Errorf("no client %q", ref)
}

// rankingName shows a ranking as its word.
func rankingName(n int) string {
	if n <= 0 || n >= len(api.Rankings) {
		return ""
	}
	return api.Rankings[n]
}

// clientsListCmd is "clients list": ranking and device counts.
func (a *App) clientsListCmd() *cobra.Command {
	var search, ranking string
	c := &cobra.Command{Use: "list", Short: "List clients with ranking and device counts", RunE: func(cmd *cobra.Command, args []string) error {
		var out []api.Client
		if err := a.client().Do("GET", "/api/v1/clients"+query("search", search, "ranking", ranking), nil, &out); err != nil {
			return err
		}
		return printRecords(a, out, []string{"ID", "NAME", "RANKING", "DEVICES", "ONLINE", "OFFLINE", "REBOOT", "PATCHES", "CREATED"},
			func(c api.Client) []string {
				st := api.ClientStats{}
				if c.Stats != nil {
					st = *c.Stats
				}
				return []string{c.ID, c.Name, rankingName(c.Ranking), strconv.Itoa(st.Devices), strconv.Itoa(st.Online),
					strconv.Itoa(st.Offline), strconv.Itoa(st.PendingReboot), strconv.Itoa(st.WithPatches), tstr(c.CreatedAt)}
			})
	}}
	c.Flags().StringVar(&search, "search", "", "find by name, domain or company number")
	c.Flags().StringVar(&ranking, "ranking", "", "only clients of this ranking (low, normal, high, urgent, critical or 1-5)")
	return c
}

// query builds a query string of the non-empty pairs.
func query(kv ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			q.Set(kv[i], kv[i+1])
		}
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// printClientPage shows a client's page as field and value lines.
func (a *App) printClientPage(pg api.ClientPage) error {
	return a.print(pg, []string{"FIELD", "VALUE"}, func() [][]string {
		p := pg.Profile
		rows := [][]string{{"ID", pg.Client.ID}, {"Name", pg.Client.Name}, {"Ranking", rankingName(p.Ranking)},
			{"Phone", p.Phone}, {"Fax", p.Fax}, {"Address", p.Address}, {"Postcode", p.Postcode}, {"Map", p.MapURL},
			{"Domains", strings.Join(p.Domains, ", ")}, {"Website", p.Website}, {"Company number", p.CompanyNumber},
			{"Ticket limit", strconv.Itoa(p.TicketLimit)}, {"Notes", p.Notes}, {"Created", tstr(pg.Client.CreatedAt)},
			{"Modified", strings.TrimSpace(tstr(p.ModifiedAt) + " " + p.ModifiedBy)}}
		tz := p.TimeZone
		if tz == "" {
			tz = "server's"
		}
		rows = append(rows, []string{"Time zone", tz})
		for _, f := range pg.Fields {
			rows = append(rows, []string{f.Label, p.Custom[f.ID]})
		}
		var pins []string
		for _, v := range pg.Pinned {
			pins = append(pins, v.Label)
		}
		return append(rows, []string{"Pinned", strings.Join(pins, ", ")})
	})
}

func (a *App) clientsShowCmd() *cobra.Command {
	return &cobra.Command{Use: "show CLIENT", Short: "Show a client's overview, custom fields and pinned fields",
		Args: cobra.ExactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.resolveClient(args[0])
			if err != nil {
				return err
			}
			var pg api.ClientPage
			if err := a.client().Do("GET", "/api/v1/clients/"+url.PathEscape(c.ID), nil, &pg); err != nil {
				return err
			}
			return a.printClientPage(pg)
		}}
}

func (a *App) clientsUpdateCmd() *cobra.Command {
	var req api.UpdateClientRequest
	var phone, fax, address, postcode, website, company, notes, ranking string
	var domains, fields []string
	var limit int
	c := &cobra.Command{Use: "update CLIENT [--phone P] [--field LABEL=VALUE]...", Short: "Change a client's overview and custom fields",
		Args: cobra.ExactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := a.resolveClient(args[0])
			if err != nil {
				return err
			}
			fl := cmd.Flags()
			for name, dst := range map[string]**string{"phone": &req.Phone, "fax": &req.Fax, "address": &req.Address,
				"postcode": &req.Postcode, "website": &req.Website, "company-number": &req.CompanyNumber, "notes": &req.Notes,
				"tz": &req.TimeZone} {
				if fl.Changed(name) {
					v, _ := fl.GetString(name)
					*dst = &v
				}
			}
			if fl.Changed("domain") {
				req.Domains = &domains
			}
			if fl.Changed("ticket-limit") {
				req.TicketLimit = &limit
			}
			if fl.Changed("ranking") {
				n, err := strconv.Atoi(ranking)
				if err != nil {
					n = slices.Index(api.Rankings, strings.ToLower(ranking))
				}
				if n < 0 || n >= len(api.Rankings) {
					return fmt.Errorf("--ranking must be 0-5 or one of %s", strings.Join(api.Rankings[1:], ", "))
				}
				req.Ranking = &n
			}
			if len(fields) > 0 {
				var defs []api.ClientField
				if err := a.client().Do("GET", "/api/v1/client-fields", nil, &defs); err != nil {
					return err
				}
				req.Custom = map[string]string{}
				for _, f := range fields {
					k, v, ok := strings.Cut(f, "=")
					if !ok {
						return fmt.Errorf("--field %q: give LABEL=VALUE", f)
					}
					i := slices.IndexFunc(defs, func(d api.ClientField) bool { return d.ID == k || strings.EqualFold(d.Label, k) })
					if i < 0 {
						return fmt.Errorf("--field %q: no custom field %q", f, k)
					}
					req.Custom[defs[i].ID] = v
				}
			}
			var pg api.ClientPage
			if err := a.client().Do("PATCH", "/api/v1/clients/"+url.PathEscape(cl.ID), req, &pg); err != nil {
				return flagNames(cmd, err)
			}
			return a.printClientPage(pg)
		}}
	f := c.Flags()
	f.StringVar(&phone, "phone", "", "phone number (\"\" clears)")
	f.StringVar(&fax, "fax", "", "fax number")
	f.StringVar(&address, "address", "", "postal address")
	f.StringVar(&postcode, "postcode", "", "postcode")
	f.StringVar(&website, "website", "", "web site (https://...)")
	f.StringVar(&company, "company-number", "", "company registration number")
	f.StringVar(&notes, "notes", "", "notes")
	f.String("tz", "", "time zone of automation schedules read in the client's zone (IANA name like Europe/Paris; \"\" = the server's)")
	f.StringVar(&ranking, "ranking", "", "priority: low, normal, high, urgent, critical (or 1-5; 0 clears)")
	f.StringSliceVar(&domains, "domain", nil, "a domain of the client (repeatable; replaces the list)")
	f.IntVar(&limit, "ticket-limit", 0, "tickets the client may open (0 = no limit)")
	f.StringArrayVar(&fields, "field", nil, "a custom field LABEL=VALUE (repeatable; an empty VALUE clears it)")
	return withFields(c, "ticket limit=--ticket-limit", "company number=--company-number")
}

func (a *App) clientsFieldsCmd() *cobra.Command {
	c := &cobra.Command{Use: "fields", Short: "Custom client fields and the pinned fields"}
	show := func(fs []api.ClientField) error {
		return printRecords(a, fs, []string{"ID", "LABEL", "TYPE", "OPTIONS", "ORDER"}, func(f api.ClientField) []string {
			return []string{f.ID, f.Label, f.Type, strings.Join(f.Options, ", "), strconv.Itoa(f.Order)}
		})
	}
	list := &cobra.Command{Use: "list", Short: "List the custom client fields", RunE: func(cmd *cobra.Command, args []string) error {
		var fs []api.ClientField
		if err := a.client().Do("GET", "/api/v1/client-fields", nil, &fs); err != nil {
			return err
		}
		return show(fs)
	}}
	var typ string
	var options []string
	var order int
	add := &cobra.Command{Use: "add LABEL --type TYPE [--option O]...", Short: "Define a custom field every client has",
		Args: cobra.ExactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
			var f api.ClientField
			if err := a.client().Do("POST", "/api/v1/client-fields", api.ClientFieldRequest{Label: args[0], Type: typ, Options: options,
				Order: order}, &f); err != nil {
				return flagNames(cmd, err)
			}
			return show([]api.ClientField{f})
		}}
	update := &cobra.Command{Use: "update ID LABEL --type TYPE [--option O]...", Short: "Change a custom field",
		Args: cobra.ExactArgs(2), RunE: func(cmd *cobra.Command, args []string) error {
			var f api.ClientField
			if err := a.client().Do("PUT", "/api/v1/client-fields/"+url.PathEscape(args[0]), api.ClientFieldRequest{Label: args[1],
				Type: typ, Options: options, Order: order}, &f); err != nil {
				return flagNames(cmd, err)
			}
			return show([]api.ClientField{f})
		}}
	for _, x := range []*cobra.Command{add, update} {
		x.Flags().StringVar(&typ, "type", "text", "text, number, date, bool (yes/no) or choice")
		x.Flags().StringArrayVar(&options, "option", nil, "a choice (repeatable; choice fields only)")
		x.Flags().IntVar(&order, "order", 0, "position among the fields (ascending)")
		withFields(x, "type=--type", "options=--option")
	}
	remove := &cobra.Command{Use: "remove ID", Short: "Remove a custom field", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var ok api.OK
			if err := a.client().Do("DELETE", "/api/v1/client-fields/"+url.PathEscape(args[0]), nil, &ok); err != nil {
				return err
			}
			return a.print(ok, []string{"REMOVED"}, func() [][]string { return [][]string{{args[0]}} })
		}}
	pin := &cobra.Command{Use: "pin KEY...", Short: "Pin 3 to 6 fields above every client page, in order (built-in keys or field IDs)",
		RunE: func(cmd *cobra.Command, args []string) error {
			var out api.PinnedFields
			if len(args) == 0 {
				if err := a.client().Do("GET", "/api/v1/client-pinned", nil, &out); err != nil {
					return err
				}
			} else if err := a.client().Do("PUT", "/api/v1/client-pinned", api.PinnedFields{Keys: args}, &out); err != nil {
				return err
			}
			return a.print(out, []string{"KEY", "LABEL", "PINNED"}, func() [][]string {
				var rows [][]string
				for _, f := range out.Available {
					n := slices.Index(out.Keys, f.Key)
					rows = append(rows, []string{f.Key, f.Label, map[bool]string{true: strconv.Itoa(n + 1), false: ""}[n >= 0]})
				}
				return rows
			})
		}}
	c.AddCommand(list, add, update, remove, pin)
	return c
}

// readFile reads a file named on the command line ("-" = standard input).
func (a *App) readFile(name string) (string, error) {
	if name == "-" {
		data, err := io.ReadAll(a.In)
		return string(data), err
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return "", err
	}
	return string(data), nil
}
