package ctl

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/steward-rmm/steward/api"
)

// consentCmd shows and asks for customers' consent (delegated access).
func (a *App) consentCmd() *cobra.Command {
	c := &cobra.Command{Use: "consent", Short: "Customers' consent: require it per client, request access, see grants and the customers who gave one"}
	show := &cobra.Command{Use: "show CLIENT", Short: "A client's consent: required or not, what active grants cover, its requests and grants", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var cc api.ClientConsent
			if err := a.client().Do("GET", "/api/v1/clients/"+url.PathEscape(args[0])+"/consent", nil, &cc); err != nil {
				return err
			}
			return a.printConsent(cc)
		}}
	var roles []string
	var days int
	var message string
	request := &cobra.Command{Use: "request CLIENT [--roles manage_devices,helpdesk_view] [--days N] [--message M]", Args: cobra.ExactArgs(1),
		Short: "Ask a client for access; prints the portal link to give the customer (expires after 90 days unanswered)",
		RunE: func(cmd *cobra.Command, args []string) error {
			var out api.ConsentRequest
			if err := a.client().Do("POST", "/api/v1/clients/"+url.PathEscape(args[0])+"/consent/requests",
				api.ConsentRequestCreate{Roles: roles, Days: days, Message: message}, &out); err != nil {
				return err
			}
			if a.output == "json" {
				return JSON(a.Out, out)
			}
			fmt.Fprintf(a.Out, "request %s for %s, %d days; give the customer this link:\n%s\n", out.ID, Clean(roleNames(out.Roles)), out.Days, Clean(out.Link))
			return nil
		}}
	request.Flags().StringSliceVar(&roles, "roles", []string{api.ConsentManageDevices, api.ConsentHelpdeskView}, "roles asked: manage_devices, helpdesk_view")
	request.Flags().IntVar(&days, "days", 90, "duration asked in days (at most 730)")
	request.Flags().StringVar(&message, "message", "", "a message for the customer")
	require := &cobra.Command{Use: "require CLIENT on|off", Short: "Make a client require consent for technicians' actions, or not", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var on bool
			switch args[1] {
			case "on":
				on = true
			case "off":
			default:
				return fmt.Errorf("say on or off, not %q", args[1])
			}
			var cc api.ClientConsent
			if err := a.client().Do("PUT", "/api/v1/clients/"+url.PathEscape(args[0])+"/consent", api.ConsentSettingRequest{Required: on}, &cc); err != nil {
				return err
			}
			return a.printConsent(cc)
		}}
	customers := &cobra.Command{Use: "customers", Short: "The clients that granted access, with their health at a glance", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var out api.CustomerList
			if err := a.client().Do("GET", "/api/v1/customers", nil, &out); err != nil {
				return err
			}
			if a.output == "json" {
				return JSON(a.Out, out)
			}
			return printRecords(a, out.Customers, []string{"CLIENT", "DEVICES", "OFFLINE", "ALERTS C/W/I", "REBOOT", "SECURITY", "ROLES", "GRANT ENDS"},
				func(c api.Customer) []string {
					return []string{c.Name, strconv.Itoa(c.Devices), strconv.Itoa(c.Offline),
						fmt.Sprintf("%d/%d/%d", c.Alerts.Critical, c.Alerts.Warning, c.Alerts.Information),
						strconv.Itoa(c.PendingReboot), strconv.Itoa(c.SecurityPatches), roleNames(c.Roles), tago(c.GrantEndsAt)}
				})
		}}
	c.AddCommand(show, request, require, customers)
	return c
}

// roleNames names grant roles for people.
func roleNames(roles []string) string {
	out := make([]string, len(roles))
	for i, r := range roles {
		if l := api.ConsentRoleLabels[r]; l != "" {
			out[i] = l
		} else {
			out[i] = r
		}
	}
	return strings.Join(out, "; ")
}

// printConsent prints a client's consent: a summary, then its requests
// and grants (or the API's answer with -o json).
func (a *App) printConsent(cc api.ClientConsent) error {
	if a.output == "json" {
		return JSON(a.Out, cc)
	}
	covered := roleNames(cc.Covered)
	if covered == "" {
		covered = "nothing (no active grant)"
	}
	Table(a.Out, []string{"CLIENT", "REQUIRES CONSENT", "ACTIVE GRANTS COVER"}, [][]string{{cc.ClientName, strconv.FormatBool(cc.Required), covered}})
	fmt.Fprintln(a.Out)
	rows := make([][]string, 0, len(cc.Requests))
	for _, r := range cc.Requests {
		rows = append(rows, []string{r.ID, r.Status, roleNames(r.Roles), strconv.Itoa(r.Days), r.CreatedBy, tstr(r.CreatedAt), tstr(r.ExpiresAt)})
	}
	Table(a.Out, []string{"REQUEST", "STATUS", "ROLES", "DAYS", "BY", "SENT", "EXPIRES"}, rows)
	fmt.Fprintln(a.Out)
	rows = rows[:0]
	for _, g := range cc.Grants {
		rows = append(rows, []string{g.ID, g.Status, roleNames(g.Roles), g.GrantedBy, tstr(g.StartsAt), tago(g.EndsAt),
			strconv.FormatInt(g.Uses, 10), g.RevokedReason})
	}
	Table(a.Out, []string{"GRANT", "STATUS", "ROLES", "GIVEN BY", "FROM", "ENDS", "USES", "REVOKED BECAUSE"}, rows)
	return nil
}
