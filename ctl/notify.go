package ctl

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/steward-rmm/steward/api"
)

// notificationsCmd manages notification channels, routing rules and the
// delivery outbox (admins of every client).
func (a *App) notificationsCmd() *cobra.Command {
	c := &cobra.Command{Use: "notifications", Aliases: []string{"notify"},
		Short: "Alert notifications: channels (webhook, e-mail), routing rules, the delivery outbox"}
	c.AddCommand(a.notifyChannelsCmd(), a.notifyRulesCmd(), a.notifyDeliveriesCmd())
	return c
}

func (a *App) notifyChannelsCmd() *cobra.Command {
	c := &cobra.Command{Use: "channels", Short: "Where notifications go: signed webhooks and e-mail addresses"}
	list := &cobra.Command{Use: "list", Short: "List channels (secrets are never shown)", RunE: func(cmd *cobra.Command, _ []string) error {
		var out []api.NotifyChannel
		if err := a.client().Do("GET", "/api/v1/notifications/channels", nil, &out); err != nil {
			return err
		}
		return printRecords(a, out, []string{"ID", "NAME", "TYPE", "TARGET", "DISABLED", "CREATED"}, func(ch api.NotifyChannel) []string {
			target := ch.URL
			if ch.Type == "email" {
				target = listText(ch.To)
			}
			return []string{ch.ID, ch.Name, ch.Type, target, omitFalse(ch.Disabled), tstr(ch.CreatedAt)}
		})
	}}
	var webhook, secret string
	var to []string
	add := &cobra.Command{Use: "add NAME (--webhook URL [--secret S] | --email ADDR...)", Args: cobra.ExactArgs(1),
		Short: "Add a channel; a webhook's secret (given, or made) is printed this once",
		RunE: func(cmd *cobra.Command, args []string) error {
			req := api.NotifyChannelRequest{Name: args[0], URL: webhook, Secret: secret, To: to}
			switch {
			case webhook != "" && len(to) > 0:
				return errors.New("give --webhook or --email, not both")
			case webhook != "":
				req.Type = "webhook"
			case len(to) > 0:
				req.Type = "email"
			default:
				return errors.New("give --webhook URL or --email ADDRESS")
			}
			var out api.NotifyChannel
			if err := a.client().Do("POST", "/api/v1/notifications/channels", req, &out); err != nil {
				return err
			}
			if a.output == "json" {
				return JSON(a.Out, out)
			}
			fmt.Fprintf(a.Out, "channel %s (%s, %s)\n", Clean(out.Name), out.ID, out.Type)
			if out.Secret != "" {
				fmt.Fprintf(a.Out, "webhook secret (shown once; receivers verify X-Steward-Signature with it): %s\n", out.Secret)
			}
			return nil
		}}
	add.Flags().StringVar(&webhook, "webhook", "", "webhook URL (http or https)")
	add.Flags().StringVar(&secret, "secret", "", "webhook signing secret, 16 to 256 characters (default: a random one)")
	add.Flags().StringArrayVar(&to, "email", nil, "e-mail address (repeatable)")
	del := &cobra.Command{Use: "delete ID|NAME", Args: cobra.ExactArgs(1), Short: "Delete a channel (its deliveries stay listed)",
		RunE: func(cmd *cobra.Command, args []string) error {
			var out api.NotifyDeleted
			if err := a.client().Do("DELETE", "/api/v1/notifications/channels/"+url.PathEscape(args[0]), nil, &out); err != nil {
				return err
			}
			fmt.Fprintf(a.Out, "deleted %s (%s)\n", Clean(out.Name), out.Deleted)
			return nil
		}}
	test := &cobra.Command{Use: "test ID|NAME", Args: cobra.ExactArgs(1), Short: "Send a test notification (see: deliveries list)",
		RunE: func(cmd *cobra.Command, args []string) error {
			var out api.Delivery
			if err := a.client().Do("POST", "/api/v1/notifications/channels/"+url.PathEscape(args[0])+"/test", nil, &out); err != nil {
				return err
			}
			if a.output == "json" {
				return JSON(a.Out, out)
			}
			fmt.Fprintf(a.Out, "test delivery %s queued to %s\n", out.ID, Clean(out.ChannelName))
			return nil
		}}
	c.AddCommand(list, add, del, test)
	return c
}

func (a *App) notifyRulesCmd() *cobra.Command {
	c := &cobra.Command{Use: "rules", Short: "Which alert changes go to which channels"}
	list := &cobra.Command{Use: "list", Short: "List routing rules", RunE: func(cmd *cobra.Command, _ []string) error {
		var out []api.NotifyRule
		if err := a.client().Do("GET", "/api/v1/notifications/rules", nil, &out); err != nil {
			return err
		}
		names := a.channelNames()
		return printRecords(a, out, []string{"ID", "NAME", "MIN SEVERITY", "CLIENTS", "PROFILES", "KINDS", "CHANNELS", "RENOTIFY", "DISABLED"},
			func(r api.NotifyRule) []string {
				clients := make([]string, 0, len(r.Clients))
				for _, id := range r.Clients {
					clients = append(clients, a.clientName(id))
				}
				chans := make([]string, 0, len(r.Channels))
				for _, id := range r.Channels {
					if n, ok := names[id]; ok {
						id = n
					}
					chans = append(chans, id)
				}
				renotify := ""
				if r.RenotifyMinutes > 0 {
					renotify = strconv.Itoa(r.RenotifyMinutes) + " min"
				}
				return []string{r.ID, r.Name, r.MinSeverity, anyIfEmpty(clients), anyIfEmpty(r.Profiles), anyIfEmpty(r.Kinds),
					listText(chans), renotify, omitFalse(r.Disabled)}
			})
	}}
	var req api.NotifyRuleRequest
	add := &cobra.Command{Use: "add NAME --channel C [--min-severity S] [--client C]... [--profile P]... [--kind K]... [--renotify MIN]",
		Args: cobra.ExactArgs(1), Short: "Add a routing rule",
		RunE: func(cmd *cobra.Command, args []string) error {
			req.Name = args[0]
			var out api.NotifyRule
			if err := a.client().Do("POST", "/api/v1/notifications/rules", req, &out); err != nil {
				return err
			}
			if a.output == "json" {
				return JSON(a.Out, out)
			}
			fmt.Fprintf(a.Out, "rule %s (%s)\n", Clean(out.Name), out.ID)
			return nil
		}}
	add.Flags().StringVar(&req.MinSeverity, "min-severity", "warning", "information, warning or critical")
	add.Flags().StringArrayVar(&req.Channels, "channel", nil, "channel ID or name (repeatable)")
	add.Flags().StringArrayVar(&req.Clients, "client", nil, "only this client, ID or name (repeatable; default any)")
	add.Flags().StringArrayVar(&req.Profiles, "profile", nil, "only alerts of this threshold profile ID (repeatable; default any)")
	add.Flags().StringArrayVar(&req.Kinds, "kind", nil, "only these changes: raised, escalated, resolved, snoozed, reopened (repeatable; default any)")
	add.Flags().IntVar(&req.RenotifyMinutes, "renotify", 0, "repeat every N minutes while the alert stays open (0: never)")
	_ = add.MarkFlagRequired("channel")
	del := &cobra.Command{Use: "delete ID|NAME", Args: cobra.ExactArgs(1), Short: "Delete a rule",
		RunE: func(cmd *cobra.Command, args []string) error {
			var out api.NotifyDeleted
			if err := a.client().Do("DELETE", "/api/v1/notifications/rules/"+url.PathEscape(args[0]), nil, &out); err != nil {
				return err
			}
			fmt.Fprintf(a.Out, "deleted %s (%s)\n", Clean(out.Name), out.Deleted)
			return nil
		}}
	c.AddCommand(list, add, del)
	return c
}

func (a *App) notifyDeliveriesCmd() *cobra.Command {
	c := &cobra.Command{Use: "deliveries", Short: "The outbox: every notification, its attempts and last error"}
	var status, channel, before string
	var limit int
	list := &cobra.Command{Use: "list [--status S] [--channel C]", Short: "List deliveries, newest first", RunE: func(cmd *cobra.Command, _ []string) error {
		q := url.Values{}
		for k, v := range map[string]string{"status": status, "channel": channel, "before": before} {
			if v != "" {
				q.Set(k, v)
			}
		}
		if limit > 0 {
			q.Set("limit", strconv.Itoa(limit))
		}
		var out []api.Delivery
		if err := a.client().Do("GET", "/api/v1/notifications/deliveries?"+q.Encode(), nil, &out); err != nil {
			return err
		}
		return printRecords(a, out, []string{"ID", "CHANNEL", "STATUS", "ALERTS", "ATTEMPTS", "CREATED", "NEXT ATTEMPT", "LAST ERROR", "SUBJECT"},
			func(d api.Delivery) []string {
				next := ""
				if d.Status == "pending" {
					next = tago(d.NextAttempt)
				}
				ch := d.ChannelName
				if ch == "" {
					ch = d.ChannelID
				}
				return []string{d.ID, ch, d.Status, strconv.Itoa(d.Count), strconv.Itoa(d.Attempts), tstr(d.CreatedAt), next, d.LastError, d.Subject}
			})
	}}
	list.Flags().StringVar(&status, "status", "", "pending, sent, dead or merged")
	list.Flags().StringVar(&channel, "channel", "", "only this channel (ID or name)")
	list.Flags().StringVar(&before, "before", "", "the page after this delivery ID")
	list.Flags().IntVar(&limit, "limit", 0, "at most this many (server default 100)")
	retry := &cobra.Command{Use: "retry ID", Args: cobra.ExactArgs(1), Short: "Try a dead delivery again (same delivery ID)",
		RunE: func(cmd *cobra.Command, args []string) error {
			var out api.Delivery
			if err := a.client().Do("POST", "/api/v1/notifications/deliveries/"+url.PathEscape(args[0])+"/retry", nil, &out); err != nil {
				return err
			}
			fmt.Fprintf(a.Out, "delivery %s is pending again\n", out.ID)
			return nil
		}}
	c.AddCommand(list, retry)
	return c
}

// channelNames maps channel IDs to names (empty when they cannot be read).
func (a *App) channelNames() map[string]string {
	m := map[string]string{}
	var out []api.NotifyChannel
	if err := a.client().Do("GET", "/api/v1/notifications/channels", nil, &out); err == nil {
		for _, c := range out {
			m[c.ID] = c.Name
		}
	}
	return m
}

func anyIfEmpty(l []string) string {
	if len(l) == 0 {
		return "any"
	}
	return listText(l)
}
