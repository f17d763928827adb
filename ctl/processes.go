package ctl

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/steward-rmm/steward/api"
)

func (a *App) processesCmd() *cobra.Command {
	c := &cobra.Command{Use: "processes", Short: "List and end processes on a device"}
	var device string
	c.PersistentFlags().StringVar(&device, "device", "", "the device (ID or exact hostname)")
	dev := func() (string, error) {
		if device == "" {
			return "", errors.New("--device is required")
		}
		return a.resolveDevice(device)
	}
	var sortBy, filter string
	var limit int
	ls := &cobra.Command{Use: "ls --device D", Short: "List processes (busiest first)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := dev()
			if err != nil {
				return err
			}
			q := url.Values{"sort": {sortBy}, "limit": {strconv.Itoa(limit)}}
			if filter != "" {
				q.Set("q", filter)
			}
			var out api.ProcessList
			if err := a.client().Do("GET", "/api/v1/devices/"+url.PathEscape(id)+"/processes?"+q.Encode(), nil, &out); err != nil {
				return err
			}
			return printRecords(a, out.Processes, []string{"PID", "PPID", "NAME", "USER", "CPU%", "MEMORY", "STARTED", "COMMAND"},
				func(p api.Process) []string {
					return []string{strconv.Itoa(int(p.PID)), strconv.Itoa(int(p.PPID)), p.Name, p.User,
						strconv.FormatFloat(p.CPUPercent, 'f', 1, 64), strconv.FormatUint(p.MemoryRSS>>20, 10) + " MB", tstr(p.Started), p.Cmdline}
				})
		}}
	ls.Flags().StringVar(&sortBy, "sort", "cpu", "cpu, memory, pid, name, user or started")
	ls.Flags().StringVar(&filter, "filter", "", "only processes whose name, user or command contains this (or this PID)")
	ls.Flags().IntVar(&limit, "limit", 50, "at most this many")
	var tree bool
	kill := &cobra.Command{Use: "kill PID --device D [--tree]", Short: "End a process (needs a recent two-factor check)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pid, err := strconv.Atoi(args[0])
			if err != nil || pid < 0 {
				return fmt.Errorf("invalid PID %q", args[0])
			}
			id, err := dev()
			if err != nil {
				return err
			}
			var out api.ProcessKilled
			if err := a.client().Do("POST", "/api/v1/devices/"+url.PathEscape(id)+"/processes/"+strconv.Itoa(pid)+"/kill",
				api.ProcessKillRequest{Tree: tree}, &out); err != nil {
				return err
			}
			if a.output == "json" {
				return JSON(a.Out, out)
			}
			fmt.Fprintf(a.Out, "ended %d process(es): %v\n", len(out.Killed), out.Killed)
			for p, why := range out.Failed {
				fmt.Fprintf(a.Err, "could not end %s: %s\n", p, Clean(why))
			}
			return nil
		}}
	kill.Flags().BoolVar(&tree, "tree", false, "also end every process it started")
	c.AddCommand(ls, kill)
	return c
}
