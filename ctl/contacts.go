package ctl

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/steward-rmm/steward/api"
)

// contactsPath is the contacts of a client given by ID or name.
func (a *App) contactsPath(ref string) (string, error) {
	c, err := a.resolveClient(ref)
	if err != nil {
		return "", err
	}
	return "/api/v1/clients/" + url.PathEscape(c.ID) + "/contacts", nil
}

var contactHeader = []string{"ID", "NAME", "JOB TITLE", "E-MAIL", "PHONE", "MOBILE", "SIP", "DEVICES", "STATUS", "MODIFIED"}

func contactRow(c api.Contact) []string {
	status := "active"
	if c.Disabled {
		status = "disabled"
	}
	return []string{c.ID, c.Name, c.JobTitle, c.Email, c.Phone, c.Mobile, c.SIP, strconv.Itoa(len(c.Devices)), status, tstr(c.ModifiedAt)}
}

// contactFlags are the flags that set a contact's fields.
type contactFlags struct {
	name, title, email, phone, mobile, sip string
	devices                                []string
}

func (f *contactFlags) add(c *cobra.Command) {
	fl := c.Flags()
	fl.StringVar(&f.name, "name", "", "full name")
	fl.StringVar(&f.title, "title", "", "job title")
	fl.StringVar(&f.email, "email", "", "e-mail address")
	fl.StringVar(&f.phone, "phone", "", "phone number (stored in E.164, shown as entered)")
	fl.StringVar(&f.mobile, "mobile", "", "mobile number")
	fl.StringVar(&f.sip, "sip", "", "SIP address (sip:name@host)")
	fl.StringSliceVar(&f.devices, "device", nil, "ID of a device of the client the contact uses (repeatable; replaces the list)")
	withFields(c, "name=--name", "job title=--title", "e-mail=--email", "phone=--phone", "mobile=--mobile", "SIP address=--sip")
}

// request is what the flags given on the command line set.
func (f *contactFlags) request(c *cobra.Command) api.ContactRequest {
	var req api.ContactRequest
	fl := c.Flags()
	for name, x := range map[string]struct {
		src *string
		dst **string
	}{"name": {&f.name, &req.Name}, "title": {&f.title, &req.JobTitle}, "email": {&f.email, &req.Email},
		"phone": {&f.phone, &req.Phone}, "mobile": {&f.mobile, &req.Mobile}, "sip": {&f.sip, &req.SIP}} {
		if fl.Changed(name) {
			*x.dst = x.src
		}
	}
	if fl.Changed("device") {
		req.Devices = &f.devices
	}
	return req
}

func (a *App) contactsCmd() *cobra.Command {
	c := &cobra.Command{Use: "contacts", Short: "A client's contacts: list, add, change, disable, import a CSV"}
	var search, status string
	var limit, offset int
	list := &cobra.Command{Use: "list CLIENT", Short: "List a client's contacts (by name)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := intFlag("limit", limit, 1, 500, ""); err != nil {
				return err
			}
			p, err := a.contactsPath(args[0])
			if err != nil {
				return err
			}
			var out api.ContactList
			q := query("search", search, "status", status, "limit", strconv.Itoa(limit), "offset", strconv.Itoa(offset))
			if err := a.client().Do("GET", p+q, nil, &out); err != nil {
				return err
			}
			if err := printRecords(a, out.Contacts, contactHeader, contactRow); err != nil || a.output == "json" {
				return err
			}
			if out.Total > offset+len(out.Contacts) {
				fmt.Fprintf(a.Err, "%d of %d contacts shown (--offset %d for more)\n", len(out.Contacts), out.Total, offset+len(out.Contacts))
			}
			return nil
		}}
	list.Flags().StringVar(&search, "search", "", "find by name or e-mail")
	list.Flags().StringVar(&status, "status", "", "active or disabled")
	list.Flags().IntVar(&limit, "limit", 100, "contacts per page (at most 500)")
	list.Flags().IntVar(&offset, "offset", 0, "contacts to skip")

	var af, uf contactFlags
	add := &cobra.Command{Use: "add CLIENT --name NAME [--email E]...", Short: "Add a contact to a client", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := a.contactsPath(args[0])
			if err != nil {
				return err
			}
			var out api.Contact
			if err := a.client().Do("POST", p, af.request(cmd), &out); err != nil {
				return flagNames(cmd, err)
			}
			return a.print(out, contactHeader, func() [][]string { return [][]string{contactRow(out)} })
		}}
	af.add(add)
	patch := func(cmd *cobra.Command, client, id string, req api.ContactRequest) error {
		p, err := a.contactsPath(client)
		if err != nil {
			return err
		}
		var out api.Contact
		if err := a.client().Do("PATCH", p+"/"+url.PathEscape(id), req, &out); err != nil {
			return flagNames(cmd, err)
		}
		return a.print(out, contactHeader, func() [][]string { return [][]string{contactRow(out)} })
	}
	update := &cobra.Command{Use: "update CLIENT CONTACT [--name N]...", Short: "Change a contact", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error { return patch(cmd, args[0], args[1], uf.request(cmd)) }}
	uf.add(update)
	disable := &cobra.Command{Use: "disable CLIENT CONTACT", Short: "Disable a contact (it stays, marked disabled)", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			t := true
			return patch(cmd, args[0], args[1], api.ContactRequest{Disabled: &t})
		}}
	enable := &cobra.Command{Use: "enable CLIENT CONTACT", Short: "Enable a disabled contact", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			f := false
			return patch(cmd, args[0], args[1], api.ContactRequest{Disabled: &f})
		}}
	c.AddCommand(list, add, update, disable, enable, a.contactsImportCmd())
	c.AddCommand(a.contactsVerifyCmds()...) // helpdesk.go
	return c
}

// contactsImportCmd previews a CSV, then imports it with the proposed
// column mapping as changed by --map.
func (a *App) contactsImportCmd() *cobra.Command {
	var maps []string
	var preview bool
	c := &cobra.Command{Use: "import CLIENT FILE.csv [--map COLUMN=FIELD]... [--preview]",
		Short: "Import contacts from a CSV (matched on e-mail; a second import of the same file changes nothing)",
		Args:  cobra.ExactArgs(2), RunE: func(cmd *cobra.Command, args []string) error {
			p, err := a.contactsPath(args[0])
			if err != nil {
				return err
			}
			data, err := a.readFile(args[1])
			if err != nil {
				return err
			}
			var pv api.ContactImportPreview
			if err := a.client().Do("POST", p+"/import/preview", api.ContactImportRequest{CSV: data}, &pv); err != nil {
				return err
			}
			mapping := slices.Clone(pv.Mapping)
			for _, m := range maps {
				col, field, ok := strings.Cut(m, "=")
				if !ok {
					return fmt.Errorf("--map %q: give COLUMN=FIELD (FIELD empty to ignore the column)", m)
				}
				i := slices.IndexFunc(pv.Columns, func(c string) bool { return strings.EqualFold(c, col) })
				if n, err := strconv.Atoi(col); err == nil && n >= 1 && n <= len(pv.Columns) {
					i = n - 1
				}
				if i < 0 {
					return fmt.Errorf("--map %q: the CSV has no column %q (columns: %s)", m, col, strings.Join(pv.Columns, ", "))
				}
				mapping[i] = field
			}
			if preview {
				return a.print(pv, []string{"COLUMN", "FIELD", "FIRST VALUE"}, func() [][]string {
					var rows [][]string
					for i, col := range pv.Columns {
						first := ""
						if len(pv.Rows) > 0 && i < len(pv.Rows[0]) {
							first = pv.Rows[0][i]
						}
						rows = append(rows, []string{col, mapping[i], first})
					}
					return rows
				})
			}
			var res api.ContactImportResult
			if err := a.client().Do("POST", p+"/import", api.ContactImportRequest{CSV: data, Mapping: mapping}, &res); err != nil {
				return err
			}
			if a.output == "json" {
				return JSON(a.Out, res)
			}
			Table(a.Out, []string{"CREATED", "UPDATED", "UNCHANGED", "INVALID"}, [][]string{{strconv.Itoa(res.Created),
				strconv.Itoa(res.Updated), strconv.Itoa(res.Unchanged), strconv.Itoa(res.Invalid)}})
			if len(res.Errors) > 0 {
				fmt.Fprintln(a.Out)
				rows := make([][]string, 0, len(res.Errors))
				for _, e := range res.Errors {
					rows = append(rows, []string{strconv.Itoa(e.Line), e.Reason})
				}
				Table(a.Out, []string{"LINE", "NOT IMPORTED BECAUSE"}, rows)
			}
			return nil
		}}
	c.Flags().StringArrayVar(&maps, "map", nil, "map a column (header or 1-based number) to a field: name, first_name, last_name, "+
		"job_title, email, phone, mobile, sip, or empty to ignore it (repeatable)")
	c.Flags().BoolVar(&preview, "preview", false, "only show the columns and the mapping that would be used")
	return c
}
