package ctl

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/spf13/cobra"
	"github.com/steward-rmm/steward/api"
)

// portalUsersPath is the portal accounts of a client given by ID or name.
func (a *App) portalUsersPath(ref string) (string, error) {
	c, err := a.resolveClient(ref)
	if err != nil {
		return "", err
	}
	return "/api/v1/clients/" + url.PathEscape(c.ID) + "/portal-users", nil
}

var portalUserHeader = []string{"ID", "E-MAIL", "CONTACT", "ROLE", "STATUS", "2FA", "LAST SIGN-IN", "CREATED BY"}

func portalUserRow(u api.PortalUser) []string {
	role, twofa := "customer user", "not yet"
	if u.Admin {
		role = "customer admin"
	}
	if u.TOTPEnabled {
		twofa = "on"
	}
	last := "never"
	if !u.LastLoginAt.IsZero() {
		last = tago(u.LastLoginAt)
	}
	return []string{u.ID, u.Email, u.ContactName, role, u.Status, twofa, last, u.CreatedBy}
}

// portalUsersCmd is `stewardctl clients portal-users`: a client's
// customer portal accounts.
func (a *App) portalUsersCmd() *cobra.Command {
	c := &cobra.Command{Use: "portal-users", Short: "A client's customer portal accounts: list, invite a contact, disable"}
	list := &cobra.Command{Use: "list CLIENT", Short: "List a client's portal accounts", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := a.portalUsersPath(args[0])
			if err != nil {
				return err
			}
			var out []api.PortalUser
			if err := a.client().Do("GET", p, nil, &out); err != nil {
				return err
			}
			return printRecords(a, out, portalUserHeader, portalUserRow)
		}}
	var admin, email bool
	invite := &cobra.Command{Use: "invite CLIENT CONTACT-ID [--admin] [--email]",
		Short: "Give a contact a portal account; the set-password link is e-mailed (--email) or printed once",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := a.portalUsersPath(args[0])
			if err != nil {
				return err
			}
			var out api.PortalInvite
			if err := a.client().Do("POST", p, api.PortalUserCreate{Contact: args[1], Admin: admin, SendEmail: email}, &out); err != nil {
				return err
			}
			if err := a.print(out, portalUserHeader, func() [][]string { return [][]string{portalUserRow(out.User)} }); err != nil ||
				a.output == "json" {
				return err
			}
			if out.Emailed {
				fmt.Fprintf(a.Err, "the set-password link was e-mailed to %s\n", Clean(out.User.Email))
			} else {
				fmt.Fprintf(a.Err, "set-password link (works once, shown only now):\n%s\n", Clean(out.SetPasswordURL))
			}
			return nil
		}}
	invite.Flags().BoolVar(&admin, "admin", false, "a customer admin (else a customer user)")
	invite.Flags().BoolVar(&email, "email", false, "e-mail the link to the contact (needs --smtp-host on the server)")
	var enable bool
	disable := &cobra.Command{Use: "disable CLIENT PORTAL-USER-ID [--enable]", Short: "Disable a portal account (its sessions end), or enable it again",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := a.portalUsersPath(args[0])
			if err != nil {
				return err
			}
			disabled := !enable
			var out api.PortalUser
			if err := a.client().Do("PATCH", p+"/"+url.PathEscape(strings.TrimSpace(args[1])), api.PortalUserUpdate{Disabled: &disabled}, &out); err != nil {
				return err
			}
			return a.print(out, portalUserHeader, func() [][]string { return [][]string{portalUserRow(out)} })
		}}
	disable.Flags().BoolVar(&enable, "enable", false, "enable the account again")
	c.AddCommand(list, invite, disable)
	return c
}
