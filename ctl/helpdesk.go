package ctl

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/steward-rmm/steward/api"
)

// searchCmd is "search": the help-desk search across every client in
// scope, one table per kind of result.
func (a *App) searchCmd() *cobra.Command {
	var client string
	var limit int
	c := &cobra.Command{Use: "search QUERY [--client C]",
		Short: "Find clients, contacts and devices by name, ID, e-mail, phone (any form), MAC (any form), IP, serial, SIP or domain",
		Args:  cobra.ExactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
			if err := intFlag("limit", limit, 1, 100, ""); err != nil {
				return err
			}
			clientID := ""
			if client != "" {
				cl, err := a.resolveClient(client)
				if err != nil {
					return err
				}
				clientID = cl.ID
			}
			var res api.SearchResults
			if err := a.client().Do("GET", "/api/v1/search"+query("q", args[0], "client", clientID, "limit", strconv.Itoa(limit)), nil, &res); err != nil {
				return err
			}
			if a.output == "json" {
				return JSON(a.Out, res)
			}
			printSearch(a, res)
			return nil
		}}
	c.Flags().StringVar(&client, "client", "", "search in this client only (ID or name)")
	c.Flags().IntVar(&limit, "limit", 25, "results per kind (at most 100)")
	return c
}

// printSearch writes the results as one table per kind found.
func printSearch(a *App, res api.SearchResults) {
	n := 0
	section := func(title string, header []string, rows [][]string) {
		if len(rows) == 0 {
			return
		}
		if n > 0 {
			fmt.Fprintln(a.Out)
		}
		n++
		fmt.Fprintln(a.Out, title)
		Table(a.Out, header, rows)
	}
	matched := func(m []string) string { return strings.Join(m, ", ") }
	var rows [][]string
	for _, c := range res.Clients {
		rows = append(rows, []string{c.ID, c.Name, listText(c.Domains), c.Phone, matched(c.Matched)})
	}
	section("CLIENTS", []string{"ID", "NAME", "DOMAINS", "PHONE", "MATCHED"}, rows)
	rows = nil
	for _, c := range res.Contacts {
		phone := c.Phone
		if c.Mobile != "" {
			phone = listText([]string{c.Phone, c.Mobile})
		}
		rows = append(rows, []string{c.ID, c.Name, c.ClientName, c.Email, phone, c.SIP, matched(c.Matched)})
	}
	section("CONTACTS", []string{"ID", "NAME", "CLIENT", "E-MAIL", "PHONE", "SIP", "MATCHED"}, rows)
	rows = nil
	for _, d := range res.Devices {
		status := "offline"
		if d.Online {
			status = "online"
		}
		if d.Retired {
			status = "retired"
		}
		rows = append(rows, []string{d.ID, d.Hostname, d.ClientName, status, listText(d.IPs), macsText(d.MACs), d.Serial, d.SIP, matched(d.Matched)})
	}
	section("DEVICES", []string{"ID", "HOSTNAME", "CLIENT", "STATUS", "IPS", "MACS", "SERIAL", "SIP", "MATCHED"}, rows)
	if n == 0 {
		fmt.Fprintf(a.Err, "nothing found (searched as %s)\n", strings.Join(res.Read, ", "))
	}
}

// contactsVerifyCmds are "contacts verify" and "contacts check": verify a
// caller with a code e-mailed to the contact.
func (a *App) contactsVerifyCmds() []*cobra.Command {
	verify := &cobra.Command{Use: "verify CONTACT", Short: "E-mail a one-time code to the contact, to verify a caller",
		Args: cobra.ExactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
			var out api.VerifySent
			if err := a.client().Do("POST", "/api/v1/contacts/"+url.PathEscape(args[0])+"/verify", nil, &out); err != nil {
				return err
			}
			return a.print(out, []string{"CONTACT", "SENT TO", "EXPIRES", "ATTEMPTS"}, func() [][]string {
				return [][]string{{out.ContactID, out.SentTo, tstr(out.ExpiresAt), strconv.Itoa(out.Attempts)}}
			})
		}}
	check := &cobra.Command{Use: "check CONTACT CODE", Short: "Check the code the caller read back (exit status 1 unless verified)",
		Args: cobra.ExactArgs(2), RunE: func(cmd *cobra.Command, args []string) error {
			var out api.VerifyResult
			if err := a.client().Do("POST", "/api/v1/contacts/"+url.PathEscape(args[0])+"/verify/check",
				api.VerifyCheckRequest{Code: args[1]}, &out); err != nil {
				return err
			}
			err := a.print(out, []string{"CONTACT", "OUTCOME", "ATTEMPTS LEFT", "MESSAGE"}, func() [][]string {
				return [][]string{{out.ContactID, out.Outcome, strconv.Itoa(out.AttemptsLeft), out.Message}}
			})
			if err == nil && !out.Verified {
				err = errors.New("not verified: " + out.Outcome)
			}
			return err
		}}
	return []*cobra.Command{verify, check}
}

// devicesSIPCmd is "devices sip DEVICE [SIP]": show or set the SIP address
// the help-desk search finds a device by.
func (a *App) devicesSIPCmd() *cobra.Command {
	var remove bool
	c := &cobra.Command{Use: "sip DEVICE [SIP] [--remove]", Short: "Show or set a device's SIP address (sip:desk-12@pbx.example.com), found by the help-desk search",
		Args: cobra.RangeArgs(1, 2), RunE: func(cmd *cobra.Command, args []string) error {
			id, err := a.resolveDevice(args[0])
			if err != nil {
				return err
			}
			path := "/api/v1/devices/" + url.PathEscape(id) + "/sip"
			var out api.DeviceSIP
			switch {
			case len(args) == 2 && remove:
				return errors.New("give a SIP address or --remove, not both")
			case len(args) == 2 || remove:
				req := api.DeviceSIPRequest{}
				if len(args) == 2 {
					req.SIP = args[1]
				}
				err = a.client().Do("PUT", path, req, &out)
			default:
				err = a.client().Do("GET", path, nil, &out)
			}
			if err != nil {
				return err
			}
			return a.print(out, []string{"DEVICE", "SIP"}, func() [][]string { return [][]string{{out.DeviceID, out.SIP}} })
		}}
	c.Flags().BoolVar(&remove, "remove", false, "remove the device's SIP address")
	return c
}
