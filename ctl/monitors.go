package ctl

import (
	"fmt"
	"net/url"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/steward-rmm/steward/api"
)

// monitorsCmd manages network monitors.
func (a *App) monitorsCmd() *cobra.Command {
	c := &cobra.Command{Use: "monitors", Short: "Network monitors: a client's agent probes a TCP port, an HTTP(S) URL or a TLS certificate"}
	var client string
	list := &cobra.Command{Use: "list [--client C]", Short: "List network monitors with their state and last result", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path := "/api/v1/monitors"
			if client != "" {
				path += "?client=" + url.QueryEscape(client)
			}
			var ms []api.Monitor
			if err := a.client().Do("GET", path, nil, &ms); err != nil {
				return err
			}
			return printRecords(a, ms, []string{"ID", "NAME", "CLIENT", "KIND", "ADDRESS", "EVERY", "STATE", "LAST RESULT"}, monitorRow)
		}}
	list.Flags().StringVar(&client, "client", "", "only this client's (ID or name)")
	var req api.MonitorRequest
	create := &cobra.Command{Use: "create NAME --client C --agent DEVICE --kind tcp|http|tls --address ADDR", Args: cobra.ExactArgs(1),
		Short: "Create a network monitor (tcp: host:port; http: an http(s) URL; tls: host[:port], default 443)",
		RunE: func(cmd *cobra.Command, args []string) error {
			req.Name = args[0]
			var out api.Monitor
			if err := a.client().Do("POST", "/api/v1/monitors", req, &out); err != nil {
				return err
			}
			if a.output == "json" {
				return JSON(a.Out, out)
			}
			fmt.Fprintf(a.Out, "%s (%s) created\n", Clean(out.Name), out.ID)
			return nil
		}}
	f := create.Flags()
	f.StringVar(&req.Client, "client", "", "the monitor's client (ID or name)")
	f.StringVar(&req.Agent, "agent", "", "the device of that client whose agent probes")
	f.StringVar(&req.Kind, "kind", "", "tcp, http or tls")
	f.StringVar(&req.Address, "address", "", "host:port, an http(s) URL, or host[:port] for tls")
	f.IntVar(&req.IntervalSec, "interval", 60, "seconds between probes (5..86400)")
	f.IntVar(&req.TimeoutMS, "timeout-ms", 0, "a probe's timeout in milliseconds (default 10000)")
	f.IntVar(&req.ExpectStatus, "expect-status", 0, "http: the status that passes (default 200)")
	f.IntVar(&req.WarningMS, "warning-ms", 0, "http: response time in ms that warns")
	f.IntVar(&req.CriticalMS, "critical-ms", 0, "http: response time in ms that is critical")
	f.IntVar(&req.WarningDays, "warning-days", 0, "tls: days left that warn")
	f.IntVar(&req.CriticalDays, "critical-days", 0, "tls: days left that are critical")
	f.IntVar(&req.FailAfter, "fail-after", 0, "failing probes in a row that raise an alert (default 2)")
	f.IntVar(&req.PassAfter, "pass-after", 0, "passing probes in a row that resolve it (default 2)")
	for _, n := range []string{"client", "agent", "kind", "address"} {
		_ = create.MarkFlagRequired(n)
	}
	del := &cobra.Command{Use: "delete MONITOR", Args: cobra.ExactArgs(1), Short: "Delete a network monitor (its open alert resolves)",
		RunE: func(cmd *cobra.Command, args []string) error {
			var out api.Deleted
			if err := a.client().Do("DELETE", "/api/v1/monitors/"+url.PathEscape(args[0]), nil, &out); err != nil {
				return err
			}
			fmt.Fprintf(a.Out, "deleted %s\n", out.ID)
			return nil
		}}
	c.AddCommand(list, create, del)
	return c
}

func monitorRow(m api.Monitor) []string {
	return []string{m.ID, m.Name, m.ClientName, m.Kind, m.Address, strconv.Itoa(m.IntervalSec) + "s", m.State, m.LastResult}
}
