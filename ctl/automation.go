package ctl

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/steward-rmm/steward/api"
)

// scheduleText shows a task's schedule compactly: "every 1h", "daily
// 03:00 Europe/Paris", "weekly Tue,Thu 22:00", "cron 30 2 * * 1-5".
func scheduleText(s api.AutoSchedule) string {
	days := []string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}
	var out string
	switch s.Kind {
	case "every":
		out = "every " + roughDuration(secondsDuration(s.Every))
		if !s.Start.IsZero() {
			out += " from " + s.Start.UTC().Format("2006-01-02 15:04:05Z")
		}
	case "daily":
		out = "daily " + s.At
	case "weekly":
		var ds []string
		for _, d := range s.Weekdays {
			if d >= 0 && d < 7 {
				ds = append(ds, days[d])
			}
		}
		out = "weekly " + strings.Join(ds, ",") + " " + s.At
	case "cron":
		out = "cron " + s.Cron
	default:
		out = s.Kind
	}
	if s.TimeZone != "" && s.Kind != "every" {
		out += " " + s.TimeZone
	}
	return out
}

// taskWhat is what a task does: its action, and its script or packages.
func taskWhat(t api.AutoTask) string {
	switch {
	case t.Library != "":
		return t.Action + " " + t.Library
	case len(t.Packages) > 0:
		return t.Action + " " + strings.Join(t.Packages, " ")
	}
	return t.Action
}

// automationCmd manages automation profiles: scheduled tasks and patch
// policies, where they are assigned, and what they did.
func (a *App) automationCmd() *cobra.Command {
	c := &cobra.Command{Use: "automation", Short: "Automation profiles: scheduled tasks and patch policies, assigned like threshold profiles"}
	c.AddCommand(a.autoProfilesCmd(), a.autoAssignCmd(), a.autoAssignmentsCmd(), a.autoTasksCmd(), a.autoExemptCmd(),
		a.autoUnexemptCmd(), a.autoRunsCmd(), a.autoComplianceCmd(), a.autoApprovalsCmd())
	return c
}

func (a *App) autoProfilesCmd() *cobra.Command {
	c := &cobra.Command{Use: "profiles", Short: "Automation profiles"}
	list := &cobra.Command{Use: "list", Short: "List the automation profiles you can read", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var ps []api.AutoProfile
			if err := a.client().Do("GET", "/api/v1/automation/profiles", nil, &ps); err != nil {
				return err
			}
			return printRecords(a, ps, []string{"ID", "NAME", "OWNER", "TASKS", "PATCH POLICY", "UPDATED"}, func(p api.AutoProfile) []string {
				owner, patch := "global", ""
				if p.ClientID != "" {
					owner = p.ClientName
				}
				if pp := p.Patch; pp != nil {
					patch = fmt.Sprintf("auto %s, %s", pp.Auto+patchFilterText(pp), scheduleText(api.AutoSchedule{Kind: "weekly", At: pp.Start,
						Weekdays: pp.Weekdays, TimeZone: pp.TimeZone})+" for "+strconv.Itoa(pp.Minutes)+"m")
				}
				return []string{p.ID, p.Name, owner, strconv.Itoa(len(p.Tasks)), patch, tago(p.UpdatedAt)}
			})
		}}
	show := &cobra.Command{Use: "show PROFILE", Short: "Show a profile's tasks", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var p api.AutoProfile
			if err := a.client().Do("GET", "/api/v1/automation/profiles/"+url.PathEscape(args[0]), nil, &p); err != nil {
				return err
			}
			return printRecords(a, p.Tasks, []string{"ID", "NAME", "DOES", "SCHEDULE", "SPREAD", "OFFLINE"}, func(t api.AutoTask) []string {
				off := "runs on return"
				if t.SkipOffline {
					off = "skipped"
				}
				return []string{t.ID, t.Name, taskWhat(t), scheduleText(t.Schedule), roughDuration(secondsDuration(t.SpreadSeconds)), off}
			})
		}}
	var tasks []string
	var file, client, desc, patch, minSeverity, tz, start string
	var classes []string
	var reboot rebootOpts
	request := func(name string) (api.AutoProfileRequest, error) {
		req := api.AutoProfileRequest{Name: name, Client: client, Description: desc, Tasks: []api.AutoTask{}}
		if file != "" {
			b, err := readFile(file)
			if err != nil {
				return req, err
			}
			if err := json.Unmarshal([]byte(b), &req.Tasks); err != nil {
				return req, fmt.Errorf("%s: want a JSON array of tasks: %w", file, err)
			}
		}
		for _, s := range tasks {
			var t api.AutoTask
			if err := json.Unmarshal([]byte(s), &t); err != nil {
				return req, fmt.Errorf("--task: want a JSON object: %w", err)
			}
			req.Tasks = append(req.Tasks, t)
		}
		if err := startTasks(req.Tasks, start); err != nil {
			return req, err
		}
		if patch != "" {
			req.Patch = &api.PatchPolicy{}
			if err := json.Unmarshal([]byte(patch), req.Patch); err != nil {
				return req, fmt.Errorf("--patch: want a JSON object: %w", err)
			}
		}
		if err := applyPatchFilters(req.Patch, classes, minSeverity); err != nil {
			return req, err
		}
		// --tz is the zone of every schedule that names none.
		for i := range req.Tasks {
			if req.Tasks[i].Schedule.TimeZone == "" {
				req.Tasks[i].Schedule.TimeZone = tz
			}
		}
		if req.Patch != nil && req.Patch.TimeZone == "" {
			req.Patch.TimeZone = tz
		}
		return req, reboot.apply(req.Patch)
	}
	save := func(method, path, name string) error {
		req, err := request(name)
		if err != nil {
			return err
		}
		var out api.AutoProfile
		if err := a.client().Do(method, path, req, &out); err != nil {
			return err
		}
		if a.output == "json" {
			return JSON(a.Out, out)
		}
		fmt.Fprintf(a.Out, "%s (%s) with %d tasks\n", Clean(out.Name), out.ID, len(out.Tasks))
		return nil
	}
	create := &cobra.Command{Use: "create NAME --task JSON ... [--patch JSON] [--client C]", Args: cobra.ExactArgs(1),
		Short: "Create an automation profile (global without --client: needs access to every client)",
		RunE: func(cmd *cobra.Command, args []string) error {
			return save("POST", "/api/v1/automation/profiles", args[0])
		}}
	update := &cobra.Command{Use: "update PROFILE NAME --task JSON ...", Args: cobra.ExactArgs(2), Short: "Replace a profile's name, tasks and patch policy",
		RunE: func(cmd *cobra.Command, args []string) error {
			return save("PUT", "/api/v1/automation/profiles/"+url.PathEscape(args[0]), args[1])
		}}
	for _, cc := range []*cobra.Command{create, update} {
		cc.Flags().StringArrayVar(&tasks, "task", nil, `a task as JSON, e.g. {"name":"scan","action":"patch-scan",`+
			`"schedule":{"kind":"every","every":3600},"spread_seconds":600} (actions: script with library NAME@VERSION, patch-scan, `+
			`patch-install, reboot-if-required, software-install with packages; schedule kinds: every, daily, weekly, cron)`)
		cc.Flags().StringVar(&file, "file", "", "a JSON array of tasks")
		cc.Flags().StringVar(&patch, "patch", "", `a patch policy as JSON, e.g. {"auto":"security","weekdays":[2],"start":"02:00",`+
			`"minutes":120,"reboot":"if-required","exclude":["kernel*"]}`)
		cc.Flags().StringVar(&client, "client", "", "the client the profile belongs to (ID or name)")
		cc.Flags().StringVar(&desc, "description", "", "description")
		cc.Flags().StringArrayVar(&classes, "classification", nil, "with --patch: install patches the OS classifies so (repeatable): "+
			"security, critical, bugfix, enhancement, feature, definition, driver, rollup, servicepack, tool, other")
		cc.Flags().StringVar(&minSeverity, "min-severity", "", "with --patch: install patches at least this severe: critical, important, moderate, low")
		cc.Flags().StringVar(&tz, "tz", "", `time zone of the schedules and patch window that name none: "device" (each device's, `+
			`else its client's), "client" (the device's client's) or an IANA name like Europe/Paris; "" = the server's`)
		cc.Flags().StringVar(&start, "start", "", `the anchor of "every" tasks that give no start (RFC 3339, e.g. 2026-12-07T08:00:00+01:00): `+
			`due at start + k*every; default: when the task is first saved`)
		reboot.flags(cc)
	}
	del := &cobra.Command{Use: "delete PROFILE", Short: "Delete a profile with its assignments, exemptions and schedule", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var out api.Deleted
			if err := a.client().Do("DELETE", "/api/v1/automation/profiles/"+url.PathEscape(args[0]), nil, &out); err != nil {
				return err
			}
			fmt.Fprintf(a.Out, "deleted %s\n", out.ID)
			return nil
		}}
	c.AddCommand(list, show, create, update, del)
	return c
}

func (a *App) autoAssignCmd() *cobra.Command {
	var client, folder string
	var devices []string
	def := false
	assign := &cobra.Command{Use: "assign PROFILE (--default | --client C [--folder F] | --device D ...)", Args: cobra.ExactArgs(1),
		Short: "Assign an automation profile; the narrowest assignment wins (device, folder, client, default); PROFILE \"\" removes one",
		RunE: func(cmd *cobra.Command, args []string) error {
			req := api.AssignRequest{Profile: args[0], Client: client, Folder: folder, Devices: devices}
			switch {
			case def:
				req.Level = "default"
			case len(devices) > 0:
				req.Level = "device"
			case folder != "":
				req.Level = "folder"
			case client != "":
				req.Level = "client"
			default:
				return fmt.Errorf("give --default, --client, --client with --folder, or --device")
			}
			var out api.AssignResponse
			if err := a.client().Do("POST", "/api/v1/automation/assignments", req, &out); err != nil {
				return err
			}
			return printRecords(a, out.Assignments, []string{"LEVEL", "CLIENT", "FOLDER", "DEVICE", "PROFILE"}, assignmentRow)
		}}
	assign.Flags().BoolVar(&def, "default", false, "for everything")
	assign.Flags().StringVar(&client, "client", "", "a client (ID or name)")
	assign.Flags().StringVar(&folder, "folder", "", "a folder of the client")
	assign.Flags().StringArrayVar(&devices, "device", nil, "a device ID (repeatable: a bulk assignment)")
	return assign
}

func (a *App) autoAssignmentsCmd() *cobra.Command {
	return &cobra.Command{Use: "assignments", Short: "List where automation profiles are assigned", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var out []api.Assignment
			if err := a.client().Do("GET", "/api/v1/automation/assignments", nil, &out); err != nil {
				return err
			}
			return printRecords(a, out, []string{"LEVEL", "CLIENT", "FOLDER", "DEVICE", "PROFILE"}, assignmentRow)
		}}
}

func (a *App) autoTasksCmd() *cobra.Command {
	return &cobra.Command{Use: "tasks DEVICE", Args: cobra.ExactArgs(1),
		Short: "The scheduled tasks in force on a device, where each comes from, its next and last run",
		RunE: func(cmd *cobra.Command, args []string) error {
			var out api.DeviceTasks
			if err := a.client().Do("GET", "/api/v1/devices/"+url.PathEscape(args[0])+"/automation", nil, &out); err != nil {
				return err
			}
			return printRecords(a, out.Tasks, []string{"TASK", "DOES", "SCHEDULE", "PROFILE", "FROM", "NEXT", "LAST", "EXEMPT"},
				func(t api.TaskInForce) []string {
					return []string{t.Task.Name, taskWhat(t.Task), scheduleText(t.Task.Schedule), t.ProfileName, t.Source, tago(t.NextRun),
						tago(t.LastRun), omitFalse(t.Exempt)}
				})
		}}
}

func (a *App) autoExemptCmd() *cobra.Command {
	var reason string
	c := &cobra.Command{Use: "exempt DEVICE PROFILE TASK [--reason R]", Args: cobra.ExactArgs(3),
		Short: "Exempt one task of a profile on one device (TASK patch-policy: its patch policy)",
		RunE: func(cmd *cobra.Command, args []string) error {
			var out api.AutoExemption
			req := api.AutoExemptionRequest{Profile: args[1], Task: args[2], Reason: reason}
			if err := a.client().Do("POST", "/api/v1/devices/"+url.PathEscape(args[0])+"/automation/exemptions", req, &out); err != nil {
				return err
			}
			fmt.Fprintf(a.Out, "task %s of %s exempted on %s\n", Clean(out.TaskID), out.ProfileID, out.DeviceID)
			return nil
		}}
	c.Flags().StringVar(&reason, "reason", "", "why")
	return c
}

func (a *App) autoUnexemptCmd() *cobra.Command {
	return &cobra.Command{Use: "unexempt DEVICE PROFILE TASK", Args: cobra.ExactArgs(3), Short: "Put an exempted task back",
		RunE: func(cmd *cobra.Command, args []string) error {
			q := url.Values{"profile": {args[1]}, "task": {args[2]}}
			var out api.Deleted
			if err := a.client().Do("DELETE", "/api/v1/devices/"+url.PathEscape(args[0])+"/automation/exemptions?"+q.Encode(), nil, &out); err != nil {
				return err
			}
			fmt.Fprintf(a.Out, "exemption %s removed\n", Clean(out.ID))
			return nil
		}}
}

func (a *App) autoRunsCmd() *cobra.Command {
	var profile, task, device string
	limit := 100
	c := &cobra.Command{Use: "runs [--profile P] [--task T] [--device D]", Args: cobra.NoArgs,
		Short: "What the scheduler did with each occurrence (started, skipped and why, failed), newest first",
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{"limit": {strconv.Itoa(limit)}}
			for k, v := range map[string]string{"profile": profile, "task": task, "device": device} {
				if v != "" {
					q.Set(k, v)
				}
			}
			var out []api.AutoRun
			if err := a.client().Do("GET", "/api/v1/automation/runs?"+q.Encode(), nil, &out); err != nil {
				return err
			}
			return printRecords(a, out, []string{"AT", "DUE", "PROFILE", "TASK", "DEVICE", "OUTCOME", "RUN", "DETAIL"}, func(r api.AutoRun) []string {
				return []string{tstr(r.At), tstr(r.Due), r.ProfileName, r.TaskID, r.DeviceID, r.Outcome, r.RunID, r.Detail}
			})
		}}
	c.Flags().StringVar(&profile, "profile", "", "one profile (ID or name)")
	c.Flags().StringVar(&task, "task", "", "one task ID")
	c.Flags().StringVar(&device, "device", "", "one device")
	c.Flags().IntVar(&limit, "limit", 100, "at most this many (up to 1000)")
	return c
}

func (a *App) autoComplianceCmd() *cobra.Command {
	var client, device string
	items := false
	c := &cobra.Command{Use: "compliance [--client C] [--device D] [--items]", Args: cobra.NoArgs,
		Short: "What each policy expected and what happened, devices out of compliance first",
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			if client != "" {
				q.Set("client", client)
			}
			if device != "" {
				q.Set("device", device)
			}
			var out api.Compliance
			if err := a.client().Do("GET", "/api/v1/automation/compliance?"+q.Encode(), nil, &out); err != nil {
				return err
			}
			if a.output == "json" {
				return JSON(a.Out, out)
			}
			if items {
				type row struct {
					d  api.DeviceCompliance
					it api.ComplianceItem
				}
				var rows []row
				for _, d := range out.Devices {
					for _, it := range d.Items {
						rows = append(rows, row{d, it})
					}
				}
				return printRecords(a, rows, []string{"DEVICE", "CLIENT", "POLICY", "ITEM", "NAME", "CLASS", "SEVERITY", "STATUS", "NEXT", "DETAIL"}, func(r row) []string {
					return []string{r.d.Hostname, r.d.ClientName, r.it.Policy, r.it.Item, r.it.Name, r.it.Classification, r.it.Severity, r.it.Status,
						tago(r.it.Next), r.it.Detail}
				})
			}
			return printRecords(a, out.Devices, []string{"DEVICE", "CLIENT", "PROFILE", "ONLINE", "STATUS", "ITEMS"}, func(d api.DeviceCompliance) []string {
				n := map[string]int{}
				for _, it := range d.Items {
					n[it.Status]++
				}
				var parts []string
				for _, s := range []string{"failed", "offline", "pending-approval", "waiting-window", "installed", "excluded"} {
					if n[s] > 0 {
						parts = append(parts, fmt.Sprintf("%d %s", n[s], s))
					}
				}
				return []string{d.Hostname, d.ClientName, d.ProfileName, omitFalse(d.Online), d.Status, strings.Join(parts, ", ")}
			})
		}}
	c.Flags().StringVar(&client, "client", "", "one client (ID or name)")
	c.Flags().StringVar(&device, "device", "", "one device")
	c.Flags().BoolVar(&items, "items", false, "one row per item (patch, reboot, task) instead of per device")
	return c
}

func (a *App) autoApprovalsCmd() *cobra.Command {
	c := &cobra.Command{Use: "approvals", Short: "Patches approved to install in the patch window, per client or for everything"}
	list := &cobra.Command{Use: "list", Short: "List approvals", Args: cobra.NoArgs, RunE: func(cmd *cobra.Command, _ []string) error {
		var out []api.PatchApproval
		if err := a.client().Do("GET", "/api/v1/automation/approvals", nil, &out); err != nil {
			return err
		}
		return printRecords(a, out, []string{"PATCH", "NAME", "FOR", "BY", "AT"}, func(p api.PatchApproval) []string {
			who := "every client"
			if p.ClientID != "" {
				who = p.ClientName
			}
			return []string{p.PatchID, p.Name, who, p.By, tstr(p.At)}
		})
	}}
	var client, name string
	approve := &cobra.Command{Use: "approve PATCH [--client C] [--name N]", Args: cobra.ExactArgs(1),
		Short: "Approve a patch (the OS's ID) for a client, or without --client for every client",
		RunE: func(cmd *cobra.Command, args []string) error {
			var out api.PatchApproval
			if err := a.client().Do("POST", "/api/v1/automation/approvals", api.PatchApprovalRequest{Client: client, Patch: args[0], Name: name}, &out); err != nil {
				return err
			}
			fmt.Fprintf(a.Out, "patch %s approved\n", Clean(out.PatchID))
			return nil
		}}
	approve.Flags().StringVar(&client, "client", "", "the client (ID or name)")
	approve.Flags().StringVar(&name, "name", "", "the patch's name, for people")
	withdraw := &cobra.Command{Use: "withdraw PATCH [--client C]", Args: cobra.ExactArgs(1), Short: "Withdraw an approval",
		RunE: func(cmd *cobra.Command, args []string) error {
			q := url.Values{"patch": {args[0]}}
			if client != "" {
				q.Set("client", client)
			}
			var out api.Deleted
			if err := a.client().Do("DELETE", "/api/v1/automation/approvals?"+q.Encode(), nil, &out); err != nil {
				return err
			}
			fmt.Fprintf(a.Out, "approval %s withdrawn\n", Clean(out.ID))
			return nil
		}}
	withdraw.Flags().StringVar(&client, "client", "", "the client (ID or name)")
	c.AddCommand(list, approve, withdraw)
	return c
}

// secondsDuration is n seconds as a duration.
func secondsDuration(n int) time.Duration { return time.Duration(n) * time.Second }

// startTasks anchors the "every" tasks that give no start at start
// (RFC 3339; "" leaves them to the server's default).
func startTasks(tasks []api.AutoTask, start string) error {
	if start == "" {
		return nil
	}
	at, err := time.Parse(time.RFC3339, start)
	if err != nil {
		return fmt.Errorf("--start: want an RFC 3339 time such as 2026-12-07T08:00:00Z: %w", err)
	}
	n := 0
	for i := range tasks {
		if s := &tasks[i].Schedule; s.Kind == "every" && s.Start.IsZero() {
			s.Start = at
			n++
		}
	}
	if n == 0 {
		return fmt.Errorf("--start: no task of kind every without its own start")
	}
	return nil
}
