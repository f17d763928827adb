package ctl

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"

	"github.com/spf13/cobra"
	"github.com/steward-rmm/steward/api"
)

// vaultCmd manages the password vault. Passwords are never taken on the
// command line (other users see it in the process list): add and set
// prompt for them, or read them from the input when it is not a terminal.
func (a *App) vaultCmd() *cobra.Command {
	c := &cobra.Command{Use: "vault", Short: "The password vault: per-client credentials, encrypted; reveal and copy are audited"}

	var client, search string
	list := &cobra.Command{Use: "list [--client C] [--search TEXT]", Aliases: []string{"search"}, Short: "List vault entries (never their passwords)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			path := "/api/v1/vault"
			if client != "" {
				path = "/api/v1/clients/" + url.PathEscape(client) + "/vault"
			}
			if search != "" {
				path += "?q=" + url.QueryEscape(search)
			}
			var es []api.VaultEntry
			if err := a.client().Do("GET", path, nil, &es); err != nil {
				return err
			}
			return printRecords(a, es, []string{"ID", "NAME", "CLIENT", "USERNAME", "URL", "UPDATED"}, func(e api.VaultEntry) []string {
				return []string{e.ID, e.Name, e.ClientName, e.Username, e.URL, tstr(e.UpdatedAt)}
			})
		}}
	list.Flags().StringVar(&client, "client", "", "only this client's entries (ID or name)")
	list.Flags().StringVar(&search, "search", "", "entries whose name, URL or username contains this")

	var addClient, link, user, notesFile string
	add := &cobra.Command{Use: "add NAME --client C [--url URL] [--username U] [--notes-file FILE]", Args: cobra.ExactArgs(1),
		Short: "Add an entry; the password is asked for (or read from the input)",
		RunE: func(cmd *cobra.Command, args []string) error {
			pw, err := a.prompt("Password: ", true)
			if err != nil {
				return err
			}
			req := api.VaultEntryRequest{Name: args[0], URL: link, Username: user, Password: &pw}
			if notesFile != "" {
				n, err := readFile(notesFile)
				if err != nil {
					return err
				}
				req.Notes = &n
			}
			var out api.VaultEntry
			if err := a.client().Do("POST", "/api/v1/clients/"+url.PathEscape(addClient)+"/vault", req, &out); err != nil {
				return err
			}
			if a.output == "json" {
				return JSON(a.Out, out)
			}
			fmt.Fprintf(a.Out, "added %s (%s) to %s\n", Clean(out.Name), out.ID, Clean(out.ClientName))
			return nil
		}}
	add.Flags().StringVar(&addClient, "client", "", "the client (ID or name)")
	add.Flags().StringVar(&link, "url", "", "login URL (http or https)")
	add.Flags().StringVar(&user, "username", "", "username")
	add.Flags().StringVar(&notesFile, "notes-file", "", "notes, from this file (encrypted like the password)")
	_ = add.MarkFlagRequired("client")

	var reason string
	reveal := &cobra.Command{Use: "reveal ID [--reason TEXT]", Args: cobra.ExactArgs(1),
		Short: "Print an entry's password and notes (audited; needs a fresh second factor)",
		RunE: func(cmd *cobra.Command, args []string) error {
			var s api.VaultSecret
			if err := a.client().Do("POST", "/api/v1/vault/"+url.PathEscape(args[0])+"/reveal", api.VaultRevealRequest{Reason: reason}, &s); err != nil {
				return err
			}
			if a.output == "json" {
				return JSON(a.Out, s)
			}
			fmt.Fprintf(a.Out, "name:     %s\nusername: %s\npassword: %s\n", Clean(s.Name), Clean(s.Username), Clean(s.Password))
			if s.Notes != "" {
				fmt.Fprintf(a.Out, "notes:\n%s\n", Clean(s.Notes))
			}
			return nil
		}}
	reveal.Flags().StringVar(&reason, "reason", "", "why (recorded in the audit log; some clients require it)")

	copyCmd := &cobra.Command{Use: "copy ID [--reason TEXT]", Args: cobra.ExactArgs(1),
		Short: "Copy an entry's password: to the terminal's clipboard (OSC 52) on a terminal, else written alone to stdout for a clipboard tool",
		RunE: func(cmd *cobra.Command, args []string) error {
			var s api.VaultSecret
			if err := a.client().Do("POST", "/api/v1/vault/"+url.PathEscape(args[0])+"/copy", api.VaultRevealRequest{Reason: reason}, &s); err != nil {
				return err
			}
			if !isTerminal(a.Out) {
				// The exact bytes, no newline: `stewardctl vault copy ID | xclip -sel clip`.
				_, err := fmt.Fprint(a.Out, s.Password)
				return err
			}
			// OSC 52 asks the terminal to set the clipboard; the password
			// is never printed on the screen.
			fmt.Fprintf(a.Out, "\x1b]52;c;%s\x07", base64.StdEncoding.EncodeToString([]byte(s.Password)))
			fmt.Fprintf(a.Err, "password of %s sent to the terminal's clipboard (if your terminal allows OSC 52)\n", Clean(s.Name))
			return nil
		}}
	copyCmd.Flags().StringVar(&reason, "reason", "", "why (recorded in the audit log; some clients require it)")

	del := &cobra.Command{Use: "delete ID", Aliases: []string{"remove"}, Args: cobra.ExactArgs(1), Short: "Delete an entry",
		RunE: func(cmd *cobra.Command, args []string) error {
			var out api.VaultDeleted
			if err := a.client().Do("DELETE", "/api/v1/vault/"+url.PathEscape(args[0]), nil, &out); err != nil {
				return err
			}
			fmt.Fprintf(a.Out, "deleted %s (%s)\n", Clean(out.Name), out.Deleted)
			return nil
		}}

	var requireReason, portal string
	settings := &cobra.Command{Use: "settings CLIENT [--require-reason true|false] [--portal-access true|false]", Args: cobra.ExactArgs(1),
		Short: "Show or change a client's vault options",
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "/api/v1/clients/" + url.PathEscape(args[0]) + "/vault-settings"
			var out api.VaultSettings
			var err error
			if requireReason == "" && portal == "" {
				err = a.client().Do("GET", path, nil, &out)
			} else {
				var req api.VaultSettingsRequest
				if req.RequireReason, err = optBool("--require-reason", requireReason); err != nil {
					return err
				}
				if req.PortalAccess, err = optBool("--portal-access", portal); err != nil {
					return err
				}
				err = a.client().Do("PUT", path, req, &out)
			}
			if err != nil {
				return err
			}
			if a.output == "json" {
				return JSON(a.Out, out)
			}
			fmt.Fprintf(a.Out, "require reason: %v (server-wide: %v)\nportal access:  %v\n", out.RequireReason, out.ServerRequiresReason, out.PortalAccess)
			return nil
		}}
	settings.Flags().StringVar(&requireReason, "require-reason", "", "true: every reveal and copy of this client's passwords states a reason")
	settings.Flags().StringVar(&portal, "portal-access", "", "true: the client's portal users may see the vault (off by default)")
	c.AddCommand(list, add, reveal, copyCmd, del, settings)
	return c
}

// optBool parses an optional true/false flag value ("" = not given).
func optBool(flag, v string) (*bool, error) {
	switch v {
	case "":
		return nil, nil
	case "true":
		t := true
		return &t, nil
	case "false":
		f := false
		return &f, nil
	}
	return nil, errors.New(flag + " must be true or false")
}
