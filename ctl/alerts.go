package ctl

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/steward-rmm/steward/api"
)

// alertsCmd lists and handles alerts: list with search and filters, show
// with history, snooze, resolve.
func (a *App) alertsCmd() *cobra.Command {
	c := &cobra.Command{Use: "alerts", Short: "Alerts raised by monitoring checks: list, show, snooze, resolve"}
	var search, severity, status, category, dtype, client, device, before string
	var limit int
	list := &cobra.Command{Use: "list", Short: "List alerts, newest first (open and snoozed by default)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			for k, v := range map[string]string{"search": search, "severity": severity, "status": status, "category": category,
				"device_type": dtype, "client": client, "device": device, "before": before} {
				if v != "" {
					q.Set(k, v)
				}
			}
			if status == "all" {
				q.Del("status")
			}
			q.Set("limit", strconv.Itoa(limit))
			var out api.AlertList
			if err := a.client().Do("GET", "/api/v1/alerts?"+q.Encode(), nil, &out); err != nil {
				return err
			}
			if a.output == "json" {
				return JSON(a.Out, out)
			}
			Table(a.Out, []string{"ID", "SEVERITY", "STATUS", "CLIENT", "DEVICE", "CATEGORY", "TITLE", "CREATED"}, alertRows(out.Alerts))
			if out.Next != "" {
				fmt.Fprintf(a.Out, "more: --before %s\n", out.Next)
			}
			return nil
		}}
	f := list.Flags()
	f.StringVar(&search, "search", "", "title, client or device contains")
	f.StringVar(&severity, "severity", "", "information, warning, critical (comma-separated)")
	f.StringVar(&status, "status", "open,snoozed", "open, snoozed, resolved (comma-separated), or all")
	f.StringVar(&category, "category", "", "hardware, disk, availability, performance, network, applications, script-based, general")
	f.StringVar(&dtype, "device-type", "", "pc, server, mac, linux")
	f.StringVar(&client, "client", "", "one client (ID or name)")
	f.StringVar(&device, "device", "", "one device (ID)")
	f.StringVar(&before, "before", "", "the page after this alert ID")
	f.IntVar(&limit, "limit", 100, "at most this many")

	show := &cobra.Command{Use: "show ALERT", Short: "Show an alert and its history", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var out api.AlertDetail
			if err := a.client().Do("GET", "/api/v1/alerts/"+url.PathEscape(args[0]), nil, &out); err != nil {
				return err
			}
			if a.output == "json" {
				return JSON(a.Out, out)
			}
			al := out.Alert
			Table(a.Out, []string{"FIELD", "VALUE"}, [][]string{{"id", al.ID}, {"title", al.Title}, {"detail", al.Detail},
				{"severity", al.Severity}, {"status", al.Status}, {"category", al.Category},
				{"client", al.ClientName}, {"device", al.DeviceName + " (" + al.DeviceID + ")"},
				{"check", strings.TrimSpace(al.CheckKind + " " + al.CheckTarget)}, {"profile", al.ProfileName},
				{"created", tago(al.CreatedAt)}, {"snoozed until", tago(al.SnoozedUntil)}, {"resolved", tago(al.ResolvedAt)},
				{"resolved by", al.ResolvedBy}, {"reason", al.Reason}})
			fmt.Fprintln(a.Out)
			rows := make([][]string, 0, len(out.Events))
			for _, e := range out.Events {
				rows = append(rows, []string{tstr(e.At), e.Kind, e.Severity, e.By, e.Reason, e.Detail})
			}
			Table(a.Out, []string{"AT", "EVENT", "SEVERITY", "BY", "REASON", "DETAIL"}, rows)
			return nil
		}}

	var forDur time.Duration
	var until, reason string
	snooze := &cobra.Command{Use: "snooze ALERT (--for 1h | --until TIME)", Short: "Snooze an alert; it reopens then if still failing",
		Args: cobra.ExactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
			req := api.SnoozeRequest{Reason: reason}
			switch {
			case forDur > 0 && until != "":
				return errors.New("give --for or --until, not both")
			case forDur > 0:
				req.Minutes = int((forDur + time.Minute - 1) / time.Minute)
			case until != "":
				t, err := time.Parse(time.RFC3339, until)
				if err != nil {
					return fmt.Errorf("--until: want a time such as 2026-12-24T08:00:00Z: %w", err)
				}
				req.Until = t
			default:
				return errors.New("give --for DURATION or --until TIME")
			}
			return a.alertAction(args[0], "snooze", req)
		}}
	snooze.Flags().DurationVar(&forDur, "for", 0, "how long, e.g. 30m, 4h")
	snooze.Flags().StringVar(&until, "until", "", "until this time (RFC 3339)")
	snooze.Flags().StringVar(&reason, "reason", "", "why")

	var why string
	resolve := &cobra.Command{Use: "resolve ALERT --reason WHY", Short: "Resolve an alert by hand, saying why", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.alertAction(args[0], "resolve", api.ResolveRequest{Reason: why})
		}}
	resolve.Flags().StringVar(&why, "reason", "", "why it is resolved")
	_ = resolve.MarkFlagRequired("reason")
	c.AddCommand(list, show, snooze, resolve)
	return c
}

func alertRows(as []api.Alert) [][]string {
	rows := make([][]string, 0, len(as))
	for _, al := range as {
		rows = append(rows, []string{al.ID, al.Severity, al.Status, al.ClientName, al.DeviceName, al.Category, al.Title, tago(al.CreatedAt)})
	}
	return rows
}

func (a *App) alertAction(id, action string, req any) error {
	var out api.Alert
	if err := a.client().Do("POST", "/api/v1/alerts/"+url.PathEscape(id)+"/"+action, req, &out); err != nil {
		return err
	}
	if a.output == "json" {
		return JSON(a.Out, out)
	}
	switch out.Status {
	case "snoozed":
		fmt.Fprintf(a.Out, "%s snoozed until %s\n", out.ID, tstr(out.SnoozedUntil))
	default:
		fmt.Fprintf(a.Out, "%s %s by %s: %s\n", out.ID, out.Status, Clean(out.ResolvedBy), Clean(out.Reason))
	}
	return nil
}

// parseCheck reads a check given as comma-separated key=value pairs:
// kind=disk,target=C:,warning=20,critical=10,warning_free=5GiB,...
func parseCheck(s string) (api.Check, error) {
	var c api.Check
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return c, fmt.Errorf("check %q: want key=value pairs", s)
		}
		var err error
		num := func() float64 {
			var f float64
			f, err = strconv.ParseFloat(v, 64)
			return f
		}
		integer := func() int {
			var n int
			n, err = strconv.Atoi(v)
			return n
		}
		switch k {
		case "id":
			c.ID = v
		case "kind":
			c.Kind = v
		case "target":
			c.Target = v
		case "warning":
			c.Warning = num()
		case "critical":
			c.Critical = num()
		case "warning_free":
			c.WarningFree, err = parseBytes(v)
		case "critical_free":
			c.CriticalFree, err = parseBytes(v)
		case "window":
			c.Window = integer()
		case "fail_after":
			c.FailAfter = integer()
		case "pass_after":
			c.PassAfter = integer()
		case "severity":
			c.Severity = v
		default:
			return c, fmt.Errorf("check %q: unknown key %q", s, k)
		}
		if err != nil {
			return c, fmt.Errorf("check %q: %s: %w", s, k, err)
		}
	}
	return c, nil
}

// parseBytes reads a byte count with an optional KiB, MiB, GiB or TiB.
func parseBytes(s string) (uint64, error) {
	mult := uint64(1)
	for suf, m := range map[string]uint64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40} {
		if n, ok := strings.CutSuffix(s, suf); ok {
			s, mult = n, m
			break
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 {
		return 0, errors.New("want a size such as 5GiB")
	}
	return uint64(f * float64(mult)), nil
}
