package ctl

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/steward-rmm/steward/api"
)

// checkText shows a check's thresholds compactly.
func checkText(c api.Check) string {
	var p []string
	add := func(k string, v float64) {
		if v != 0 {
			p = append(p, k+"="+strconv.FormatFloat(v, 'f', -1, 64))
		}
	}
	add("warning", c.Warning)
	add("critical", c.Critical)
	if c.WarningFree > 0 {
		p = append(p, "warning_free="+gb(c.WarningFree))
	}
	if c.CriticalFree > 0 {
		p = append(p, "critical_free="+gb(c.CriticalFree))
	}
	if c.Window > 0 {
		p = append(p, "window="+strconv.Itoa(c.Window)+"m")
	}
	if c.Severity != "" {
		p = append(p, "severity="+c.Severity)
	}
	if c.FailAfter > 0 {
		p = append(p, "fail_after="+strconv.Itoa(c.FailAfter))
	}
	if c.PassAfter > 0 {
		p = append(p, "pass_after="+strconv.Itoa(c.PassAfter))
	}
	return strings.Join(p, " ")
}

// profilesCmd manages threshold profiles, where they are assigned, and
// the checks exempted on single devices.
func (a *App) profilesCmd() *cobra.Command {
	c := &cobra.Command{Use: "profiles", Short: "Threshold profiles: named sets of checks, assigned to everything, a client, a folder or devices"}
	list := &cobra.Command{Use: "list", Short: "List the profiles you can read", Args: cobra.NoArgs, RunE: func(cmd *cobra.Command, _ []string) error {
		var ps []api.Profile
		if err := a.client().Do("GET", "/api/v1/profiles", nil, &ps); err != nil {
			return err
		}
		return printRecords(a, ps, []string{"ID", "NAME", "OWNER", "CHECKS", "UPDATED"}, func(p api.Profile) []string {
			owner := "global"
			if p.ClientID != "" {
				owner = p.ClientName
			}
			return []string{p.ID, p.Name, owner, strconv.Itoa(len(p.Checks)), tago(p.UpdatedAt)}
		})
	}}
	show := &cobra.Command{Use: "show PROFILE", Short: "Show a profile's checks", Args: cobra.ExactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
		var p api.Profile
		if err := a.client().Do("GET", "/api/v1/profiles/"+url.PathEscape(args[0]), nil, &p); err != nil {
			return err
		}
		return printRecords(a, p.Checks, []string{"ID", "KIND", "TARGET", "THRESHOLDS"}, func(ch api.Check) []string {
			return []string{ch.ID, ch.Kind, ch.Target, checkText(ch)}
		})
	}}
	var checks []string
	var file, client, desc string
	request := func(name string) (api.ProfileRequest, error) {
		req := api.ProfileRequest{Name: name, Client: client, Description: desc, Checks: []api.Check{}}
		if file != "" {
			b, err := readFile(file)
			if err != nil {
				return req, err
			}
			if err := json.Unmarshal([]byte(b), &req.Checks); err != nil {
				return req, fmt.Errorf("%s: want a JSON array of checks: %w", file, err)
			}
		}
		for _, s := range checks {
			ch, err := parseCheck(s)
			if err != nil {
				return req, err
			}
			req.Checks = append(req.Checks, ch)
		}
		return req, nil
	}
	save := func(method, path, name string) error {
		req, err := request(name)
		if err != nil {
			return err
		}
		var out api.Profile
		if err := a.client().Do(method, path, req, &out); err != nil {
			return err
		}
		if a.output == "json" {
			return JSON(a.Out, out)
		}
		fmt.Fprintf(a.Out, "%s (%s) with %d checks\n", Clean(out.Name), out.ID, len(out.Checks))
		return nil
	}
	create := &cobra.Command{Use: "create NAME --check kind=disk,warning=20,critical=10 ... [--client C]", Args: cobra.ExactArgs(1),
		Short: "Create a profile (global without --client: needs access to every client)",
		RunE:  func(cmd *cobra.Command, args []string) error { return save("POST", "/api/v1/profiles", args[0]) }}
	update := &cobra.Command{Use: "update PROFILE NAME --check ...", Args: cobra.ExactArgs(2), Short: "Replace a profile's name and checks",
		RunE: func(cmd *cobra.Command, args []string) error {
			return save("PUT", "/api/v1/profiles/"+url.PathEscape(args[0]), args[1])
		}}
	for _, cc := range []*cobra.Command{create, update} {
		cc.Flags().StringArrayVar(&checks, "check", nil, "a check as key=value pairs: kind (availability, cpu, memory, disk, service, "+
			"reboot, patches, report), id, target, warning, critical, warning_free, critical_free, window, fail_after, pass_after, severity")
		cc.Flags().StringVar(&file, "file", "", "a JSON array of checks")
		cc.Flags().StringVar(&client, "client", "", "the client the profile belongs to (ID or name)")
		cc.Flags().StringVar(&desc, "description", "", "description")
	}
	del := &cobra.Command{Use: "delete PROFILE", Short: "Delete a profile with its assignments and exemptions", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var out api.Deleted
			if err := a.client().Do("DELETE", "/api/v1/profiles/"+url.PathEscape(args[0]), nil, &out); err != nil {
				return err
			}
			fmt.Fprintf(a.Out, "deleted %s\n", out.ID)
			return nil
		}}
	var level, aClient, folder string
	var devices []string
	assign := &cobra.Command{Use: "assign PROFILE (--default | --client C [--folder F] | --device D ...)", Args: cobra.ExactArgs(1),
		Short: "Assign a profile; the narrowest assignment wins (device, folder, client, default); PROFILE \"\" removes one",
		RunE: func(cmd *cobra.Command, args []string) error {
			req := api.AssignRequest{Profile: args[0], Client: aClient, Folder: folder, Devices: devices}
			switch {
			case level == "default":
				req.Level = "default"
			case len(devices) > 0:
				req.Level = "device"
			case folder != "":
				req.Level = "folder"
			case aClient != "":
				req.Level = "client"
			default:
				return fmt.Errorf("give --default, --client, --client with --folder, or --device")
			}
			var out api.AssignResponse
			if err := a.client().Do("POST", "/api/v1/profile-assignments", req, &out); err != nil {
				return err
			}
			return printRecords(a, out.Assignments, []string{"LEVEL", "CLIENT", "FOLDER", "DEVICE", "PROFILE"}, assignmentRow)
		}}
	def := false
	assign.Flags().BoolVar(&def, "default", false, "for everything")
	assign.Flags().StringVar(&aClient, "client", "", "a client (ID or name)")
	assign.Flags().StringVar(&folder, "folder", "", "a folder of the client")
	assign.Flags().StringArrayVar(&devices, "device", nil, "a device ID (repeatable: a bulk assignment)")
	assign.PreRun = func(cmd *cobra.Command, args []string) {
		if def {
			level = "default"
		}
	}
	assignments := &cobra.Command{Use: "assignments", Short: "List where profiles are assigned", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var out []api.Assignment
			if err := a.client().Do("GET", "/api/v1/profile-assignments", nil, &out); err != nil {
				return err
			}
			return printRecords(a, out, []string{"LEVEL", "CLIENT", "FOLDER", "DEVICE", "PROFILE"}, assignmentRow)
		}}
	var reason string
	exempt := &cobra.Command{Use: "exempt DEVICE PROFILE CHECK [--reason R]", Args: cobra.ExactArgs(3),
		Short: "Exempt one check of a profile on one device",
		RunE: func(cmd *cobra.Command, args []string) error {
			var out api.Exemption
			req := api.ExemptionRequest{Profile: args[1], Check: args[2], Reason: reason}
			if err := a.client().Do("POST", "/api/v1/devices/"+url.PathEscape(args[0])+"/exemptions", req, &out); err != nil {
				return err
			}
			fmt.Fprintf(a.Out, "check %s of %s exempted on %s\n", Clean(out.CheckID), out.ProfileID, out.DeviceID)
			return nil
		}}
	exempt.Flags().StringVar(&reason, "reason", "", "why")
	unexempt := &cobra.Command{Use: "unexempt DEVICE PROFILE CHECK", Args: cobra.ExactArgs(3), Short: "Put an exempted check back",
		RunE: func(cmd *cobra.Command, args []string) error {
			q := url.Values{"profile": {args[1]}, "check": {args[2]}}
			var out api.Deleted
			if err := a.client().Do("DELETE", "/api/v1/devices/"+url.PathEscape(args[0])+"/exemptions?"+q.Encode(), nil, &out); err != nil {
				return err
			}
			fmt.Fprintf(a.Out, "exemption %s removed\n", Clean(out.ID))
			return nil
		}}
	inForce := &cobra.Command{Use: "checks DEVICE", Args: cobra.ExactArgs(1), Short: "The checks in force on a device, where each comes from and how it stands",
		RunE: func(cmd *cobra.Command, args []string) error {
			var out api.DeviceChecks
			if err := a.client().Do("GET", "/api/v1/devices/"+url.PathEscape(args[0])+"/checks", nil, &out); err != nil {
				return err
			}
			if a.output == "json" {
				return JSON(a.Out, out)
			}
			rows := make([][]string, 0, len(out.Checks))
			for _, ch := range out.Checks {
				state := ch.State
				if ch.Exempt {
					state = "exempt"
				}
				rows = append(rows, []string{ch.Check.ID, ch.Check.Kind, ch.Check.Target, checkText(ch.Check), ch.ProfileName,
					ch.Source, state, ch.Detail})
			}
			Table(a.Out, []string{"CHECK", "KIND", "TARGET", "THRESHOLDS", "PROFILE", "FROM", "STATE", "DETAIL"}, rows)
			if out.Maintenance != "" {
				fmt.Fprintf(a.Out, "in maintenance window %s: no alert is raised\n", Clean(out.Maintenance))
			}
			return nil
		}}
	c.AddCommand(list, show, create, update, del, assign, assignments, exempt, unexempt, inForce)
	return c
}

func assignmentRow(as api.Assignment) []string {
	return []string{as.Level, as.ClientName, as.Folder, as.DeviceID, as.ProfileName}
}

// maintenanceCmd manages maintenance windows.
func (a *App) maintenanceCmd() *cobra.Command {
	c := &cobra.Command{Use: "maintenance", Short: "Maintenance windows: no alert is raised inside one; what was suppressed is kept"}
	list := &cobra.Command{Use: "list", Short: "List maintenance windows", Args: cobra.NoArgs, RunE: func(cmd *cobra.Command, _ []string) error {
		var ws []api.MaintenanceWindow
		if err := a.client().Do("GET", "/api/v1/maintenance", nil, &ws); err != nil {
			return err
		}
		return printRecords(a, ws, []string{"ID", "NAME", "FOR", "START", "MINUTES", "RECURS", "ACTIVE"}, windowRow)
	}}
	create := a.windowCmd("create NAME", "Create a one-off or recurring maintenance window", "POST", "")
	update := a.windowCmd("update WINDOW NAME", "Replace a window's target and times", "PUT", "/")
	show := &cobra.Command{Use: "show WINDOW", Args: cobra.ExactArgs(1), Short: "Show a window and the alerts it suppressed",
		RunE: func(cmd *cobra.Command, args []string) error {
			var out api.WindowDetail
			if err := a.client().Do("GET", "/api/v1/maintenance/"+url.PathEscape(args[0]), nil, &out); err != nil {
				return err
			}
			if a.output == "json" {
				return JSON(a.Out, out)
			}
			Table(a.Out, []string{"ID", "NAME", "FOR", "START", "MINUTES", "RECURS", "ACTIVE"}, [][]string{windowRow(out.Window)})
			fmt.Fprintln(a.Out)
			rows := make([][]string, 0, len(out.Suppressed))
			for _, s := range out.Suppressed {
				rows = append(rows, []string{tstr(s.At), s.DeviceName, s.CheckKind, s.Severity, s.Title})
			}
			Table(a.Out, []string{"SUPPRESSED AT", "DEVICE", "CHECK", "SEVERITY", "TITLE"}, rows)
			return nil
		}}
	del := &cobra.Command{Use: "delete WINDOW", Args: cobra.ExactArgs(1), Short: "Delete a maintenance window",
		RunE: func(cmd *cobra.Command, args []string) error {
			var out api.Deleted
			if err := a.client().Do("DELETE", "/api/v1/maintenance/"+url.PathEscape(args[0]), nil, &out); err != nil {
				return err
			}
			fmt.Fprintf(a.Out, "deleted %s\n", out.ID)
			return nil
		}}
	c.AddCommand(list, create, update, show, del)
	return c
}

// windowCmd is maintenance create (POST) or update (PUT, WINDOW first).
func (a *App) windowCmd(use, short, method, sep string) *cobra.Command {
	var req api.WindowRequest
	var start string
	nargs := 1
	if method == "PUT" {
		nargs = 2
	}
	c := &cobra.Command{Use: use + " (--client C [--folder F] | --device D) --start TIME --minutes N [--recur daily|weekly --weekday 1 ...]",
		Args: cobra.ExactArgs(nargs), Short: short,
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "/api/v1/maintenance"
			if method == "PUT" {
				path += sep + url.PathEscape(args[0])
			}
			req.Name = args[nargs-1]
			if err := req.Start.UnmarshalText([]byte(start)); err != nil {
				return fmt.Errorf("--start: want a time such as 2026-12-24T22:00:00+01:00: %w", err)
			}
			var out api.MaintenanceWindow
			if err := a.client().Do(method, path, req, &out); err != nil {
				return err
			}
			if a.output == "json" {
				return JSON(a.Out, out)
			}
			fmt.Fprintf(a.Out, "%s (%s) saved\n", Clean(out.Name), out.ID)
			return nil
		}}
	f := c.Flags()
	f.StringVar(&req.Client, "client", "", "a client (ID or name)")
	f.StringVar(&req.Folder, "folder", "", "a folder of the client")
	f.StringVar(&req.Device, "device", "", "a device ID")
	f.StringVar(&start, "start", "", "start (RFC 3339); a recurring window repeats its time of day from that date on")
	f.IntVar(&req.Minutes, "minutes", 60, "length in minutes")
	f.StringVar(&req.Recur, "recur", "", "daily or weekly (one-off when empty)")
	f.IntSliceVar(&req.Weekdays, "weekday", nil, "weekly: a day, 0 = Sunday .. 6 (repeatable or comma-separated)")
	f.StringVar(&req.TimeZone, "tz", "UTC", "the time zone its time of day is in, e.g. Europe/Paris")
	_ = c.MarkFlagRequired("start")
	return c
}

func windowRow(w api.MaintenanceWindow) []string {
	target := w.Level + " " + w.ClientName
	switch w.Level {
	case "folder":
		target += "/" + w.Folder
	case "device":
		target = "device " + w.DeviceID
	}
	recurs := w.Recur
	if w.Recur == "weekly" {
		days := make([]string, 0, len(w.Weekdays))
		for _, d := range w.Weekdays {
			days = append(days, [...]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}[d%7])
		}
		recurs += " " + strings.Join(days, ",")
	}
	if w.Recur != "" {
		recurs += " (" + w.TimeZone + ")"
	}
	return []string{w.ID, w.Name, target, tstr(w.Start), strconv.Itoa(w.Minutes), recurs, omitFalse(w.Active)}
}
