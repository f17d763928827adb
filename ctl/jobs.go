package ctl

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/steward-rmm/steward/api"
)

// createJob posts a job and returns its runs.
func (a *App) createJob(body api.JobRequest) (string, []api.Run, error) {
	var out api.JobResponse
	if err := a.client().Do("POST", "/api/v1/jobs", body, &out); err != nil {
		return "", nil, err
	}
	if out.RunsOmitted > 0 {
		var full api.JobResponse
		if err := a.client().Do("GET", "/api/v1/jobs/"+url.PathEscape(out.Job.ID), nil, &full); err != nil {
			return "", nil, err
		}
		out.Runs = full.Runs
	}
	return out.Job.ID, out.Runs, nil
}

// follow streams a run's output until it ends and returns the final run.
func (a *App) follow(id string, print bool) (api.Run, error) {
	var so, se int64
	out, errw := a.deviceWriter(a.Out), a.deviceWriter(a.Err)
	defer out.Close()
	defer errw.Close()
	for {
		var o api.RunOutput
		q := fmt.Sprintf("/api/v1/runs/%s/output?stdout_from=%d&stderr_from=%d&wait=25", url.PathEscape(id), so, se)
		if err := a.client().Do("GET", q, nil, &o); err != nil {
			return api.Run{}, err
		}
		if print {
			_, _ = io.WriteString(out, o.Stdout)
			_, _ = io.WriteString(errw, o.Stderr)
		}
		so, se = o.StdoutNext, o.StderrNext
		if o.Done && o.Stdout == "" && o.Stderr == "" {
			return o.Run, nil
		}
	}
}

// waitRuns follows every run; it returns the exit code for the process:
// a single run's exit code, else 0 only if all succeeded.
func (a *App) waitRuns(runs []api.Run, printOut bool) (int, []api.Run, error) {
	final := make([]api.Run, len(runs))
	code := 0
	for i, r := range runs {
		if len(runs) > 1 && printOut && a.output != "json" {
			fmt.Fprintf(a.Out, "== %s (%s)\n", r.DeviceID, r.ID)
		}
		f, err := a.follow(r.ID, printOut && a.output != "json")
		if err != nil {
			return 1, nil, err
		}
		final[i] = f
		if f.State != "succeeded" {
			if f.Reason != "" && a.output != "json" {
				fmt.Fprintf(a.Err, "stewardctl: run %s on %s %s: %s\n", f.ID, f.DeviceID, f.State, Clean(f.Reason))
			}
			code = 1
		}
	}
	if len(final) == 1 {
		code = final[0].ExitCode
		if final[0].State != "succeeded" && code == 0 {
			code = 1
		}
		if code < 0 || code > 255 {
			code = 1
		}
	}
	return code, final, nil
}

func (a *App) resolveDevices(refs []string) ([]string, error) {
	var ids []string
	for _, r := range refs {
		id, err := a.resolveDevice(r)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func (a *App) runCmd() *cobra.Command {
	var client, interp, scriptFile, library, timeout, expires string
	var argsFlag, envFlag []string
	var wait bool
	c := &cobra.Command{Use: "run DEVICE... [--client C] (--script FILE | --library NAME[@VERSION] | -- COMMAND ARGS...)",
		Short: "Run a script or command on devices",
		RunE: func(cmd *cobra.Command, args []string) error {
			devs, command := args, []string(nil)
			if i := cmd.ArgsLenAtDash(); i >= 0 {
				devs, command = args[:i], args[i:]
			}
			body := api.JobRequest{Kind: api.KindScript}
			switch {
			case client != "":
				body.Client = client
			case len(devs) > 0:
				ids, err := a.resolveDevices(devs)
				if err != nil {
					return err
				}
				body.Devices = ids
			default:
				return errors.New("name devices or --client")
			}
			env := map[string]string{}
			for _, kv := range envFlag {
				k, v, ok := strings.Cut(kv, "=")
				if !ok {
					return fmt.Errorf("--env %q: want KEY=VALUE", kv)
				}
				env[k] = v
			}
			spec := api.ScriptSpec{Interpreter: interp, Args: argsFlag, Env: env}
			n := 0
			if scriptFile != "" {
				s, err := readFile(scriptFile)
				if err != nil {
					return err
				}
				spec.Body = s
				n++
			}
			if library != "" {
				body.Library = library
				n++
			}
			if len(command) > 0 {
				spec.Command = command
				n++
			}
			if n != 1 {
				return errors.New("give exactly one of --script FILE, --library NAME or -- COMMAND ARGS")
			}
			body.Script = &spec
			if timeout != "" {
				d, err := durationFlag("timeout", timeout, week)
				if err != nil {
					return err
				}
				body.TimeoutSeconds = int(d.Seconds())
			}
			if expires != "" {
				d, err := durationFlag("expires", expires, year)
				if err != nil {
					return err
				}
				body.ExpiresSeconds = int(d.Seconds())
			}
			jobID, runs, err := a.createJob(body)
			if err != nil {
				return err
			}
			if !wait {
				created := struct {
					Job  string    `json:"job"`
					Runs []api.Run `json:"runs"`
				}{jobID, runs}
				return a.print(created, []string{"JOB", "RUN", "DEVICE", "STATE"}, func() [][]string {
					var rows [][]string
					for _, r := range runs {
						rows = append(rows, []string{jobID, r.ID, r.DeviceID, r.State})
					}
					return rows
				})
			}
			code, final, err := a.waitRuns(runs, true)
			if err != nil {
				return err
			}
			if a.output == "json" {
				if err := JSON(a.Out, final); err != nil {
					return err
				}
			}
			if code != 0 {
				return &ExitError{Code: code}
			}
			return nil
		}}
	f := c.Flags()
	f.StringVar(&client, "client", "", "run on every device of this client")
	f.StringVar(&interp, "interpreter", "sh", "sh, bash, powershell, cmd or python")
	f.StringVar(&scriptFile, "script", "", "script file")
	f.StringVar(&library, "library", "", "library script NAME[@VERSION] or ID (a name means the devices' client's script, else the global one)")
	f.StringArrayVar(&argsFlag, "arg", nil, "script argument (repeatable)")
	f.StringArrayVar(&envFlag, "env", nil, "environment KEY=VALUE (repeatable)")
	f.StringVar(&timeout, "timeout", "", "kill after (e.g. 30s, 10m)")
	f.StringVar(&expires, "expires", "", "give up on offline devices after (default 24h)")
	c.Example = `  stewardctl run web-01 --wait -- systemctl is-active nginx
  stewardctl run --client "Acme Corp" --script fix.sh --timeout 5m --wait
  stewardctl run web-01 web-02 --library disk-report@3`
	withFields(c, "timeout_seconds=--timeout", "expires_seconds=--expires", "library=--library", "client=--client")
	f.BoolVar(&wait, "wait", false, "wait, print output and exit with the run's exit code "+
		"(sanitised on a terminal unless --raw; exact when piped)")
	return c
}

func (a *App) jobsCmd() *cobra.Command {
	c := &cobra.Command{Use: "jobs", Short: "Job history"}
	c.AddCommand(&cobra.Command{Use: "list", Short: "List jobs, newest first", RunE: func(cmd *cobra.Command, args []string) error {
		var out []api.Job
		if err := a.client().Do("GET", "/api/v1/jobs", nil, &out); err != nil {
			return err
		}
		return printRecords(a, out, []string{"ID", "KIND", "BY", "CREATED", "RUNS", "STATES"}, func(j api.Job) []string {
			return []string{j.ID, j.Kind, j.CreatedBy, tstr(j.CreatedAt), strconv.Itoa(j.Runs), statesText(j.States)}
		})
	}}, &cobra.Command{Use: "show JOB", Short: "Show a job: what ran, when, and each run's state", Args: cobra.ExactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
		var out api.JobResponse
		if err := a.client().Do("GET", "/api/v1/jobs/"+url.PathEscape(args[0]), nil, &out); err != nil {
			return err
		}
		if a.output != "json" {
			printJobScript(a.Out, out.Job)
			if !out.Job.NotBefore.IsZero() {
				fmt.Fprintf(a.Out, "runs at: %s\n", tago(out.Job.NotBefore))
			}
		}
		return a.print(out, []string{"RUN", "DEVICE", "STATE", "EXIT", "REASON"}, func() [][]string {
			var rows [][]string
			for _, r := range out.Runs {
				rows = append(rows, []string{r.ID, r.DeviceID, r.State, strconv.Itoa(r.ExitCode), r.Reason})
			}
			return rows
		})
	}}, &cobra.Command{Use: "cancel JOB", Short: "Cancel a job's runs that have not finished", Args: cobra.ExactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
		var out api.Cancelled
		if err := a.client().Do("POST", "/api/v1/jobs/"+url.PathEscape(args[0])+"/cancel", nil, &out); err != nil {
			return err
		}
		fmt.Fprintf(a.Out, "cancelled %d runs\n", out.Cancelled)
		return nil
	}})
	var followFlag bool
	output := &cobra.Command{Use: "output RUN|JOB", Short: "Print a run's output (sanitised on a terminal unless --raw; exact when piped)",
		Long: "Print a run's output. Given a job ID, print its run's output when it has one run; with several, list them.",
		Args: cobra.ExactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
			runID, err := a.runOfJob(args[0])
			if err != nil {
				return err
			}
			if followFlag {
				_, err := a.follow(runID, true)
				return err
			}
			var o api.RunOutput
			if err := a.client().Do("GET", "/api/v1/runs/"+url.PathEscape(runID)+"/output", nil, &o); err != nil {
				return err
			}
			out, errw := a.deviceWriter(a.Out), a.deviceWriter(a.Err)
			_, _ = io.WriteString(out, o.Stdout)
			_, _ = io.WriteString(errw, o.Stderr)
			return errors.Join(out.Close(), errw.Close())
		}}
	output.Example = "  stewardctl jobs output r_06h4… -f\n  stewardctl jobs output j_06h4…   # a job of one run"
	output.Flags().BoolVarP(&followFlag, "follow", "f", false, "follow live output until the run ends")
	c.AddCommand(output)
	return c
}

// oneJob runs a single-device job and waits for it.
func (a *App) oneJob(device string, body api.JobRequest) (api.Run, error) {
	id, err := a.resolveDevice(device)
	if err != nil {
		return api.Run{}, err
	}
	body.Devices = []string{id}
	_, runs, err := a.createJob(body)
	if err != nil {
		return api.Run{}, err
	}
	_, final, err := a.waitRuns(runs, false)
	if err != nil {
		return api.Run{}, err
	}
	return final[0], nil
}

func (a *App) servicesCmd() *cobra.Command {
	c := &cobra.Command{Use: "services", Short: "List and control services"}
	c.AddCommand(&cobra.Command{Use: "list DEVICE", Short: "List a device's services and their state", Args: cobra.ExactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
		r, err := a.oneJob(args[0], api.JobRequest{Kind: api.KindServiceList})
		if err != nil {
			return err
		}
		if r.State != "succeeded" {
			return fmt.Errorf("listing services %s: %s", r.State, r.Reason)
		}
		var svcs []api.Service
		_ = json.Unmarshal(r.Data, &svcs)
		return printRecords(a, svcs, []string{"NAME", "DISPLAY NAME", "STATE", "START TYPE"}, func(s api.Service) []string {
			return []string{s.Name, s.DisplayName, s.State, s.StartType}
		})
	}})
	for _, action := range []string{"start", "stop", "restart"} {
		c.AddCommand(&cobra.Command{Use: action + " DEVICE NAME", Short: strings.ToUpper(action[:1]) + action[1:] + " a service and wait for the result", Args: cobra.ExactArgs(2), RunE: func(cmd *cobra.Command, args []string) error {
			r, err := a.oneJob(args[0], api.JobRequest{Kind: api.KindService, Service: &api.ServiceAction{Name: args[1], Action: action}})
			if err != nil {
				return err
			}
			if r.State != "succeeded" {
				return fmt.Errorf("%s %s: %s: %s", action, args[1], r.State, Clean(r.Reason))
			}
			fmt.Fprintf(a.Out, "%s %s: done\n", action, args[1])
			return nil
		}})
	}
	return c
}

// ParseAt accepts RFC 3339 or HH:MM (today, or tomorrow if past).
func ParseAt(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	t, err := time.ParseInLocation("15:04", s, now.Location())
	if err != nil {
		return time.Time{}, fmt.Errorf("--at %q: want RFC 3339 or HH:MM", s)
	}
	at := time.Date(now.Year(), now.Month(), now.Day(), t.Hour(), t.Minute(), 0, 0, now.Location())
	if at.Before(now) {
		at = at.Add(24 * time.Hour)
	}
	return at, nil
}

// powerShort describes each power action in --help.
var powerShort = map[string]string{
	"reboot":   "Reboot a device (now, after --delay or --at a time)",
	"shutdown": "Shut a device down (now, after --delay or --at a time)",
	"logoff":   "Log users off a device (all, or --user)",
}

func (a *App) powerCmd() *cobra.Command {
	c := &cobra.Command{Use: "power", Short: "Shut down, reboot or log off"}
	for _, action := range []string{"reboot", "shutdown", "logoff"} {
		var at, delay, msg, user string
		cmd := &cobra.Command{Use: action + " DEVICE", Short: powerShort[action], Args: cobra.ExactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
			id, err := a.resolveDevice(args[0])
			if err != nil {
				return err
			}
			p := api.PowerAction{Action: action, Message: msg, User: user}
			if delay != "" {
				d, err := durationFlag("delay", delay, week)
				if err != nil {
					return err
				}
				p.DelaySeconds = int(d.Seconds())
			}
			body := api.JobRequest{Kind: api.KindPower, Devices: []string{id}, Power: &p}
			if at != "" {
				t, err := ParseAt(at, time.Now())
				if err != nil {
					return err
				}
				body.At = t
			}
			jobID, runs, err := a.createJob(body)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.Out, "%s scheduled: job %s run %s (%s)\n", action, jobID, runs[0].ID, runs[0].State)
			return nil
		}}
		withFields(cmd, "delay_seconds=--delay")
		cmd.Flags().StringVar(&at, "at", "", "when (RFC 3339 or HH:MM); the server holds the run until then")
		cmd.Flags().StringVar(&delay, "delay", "", "delay on the device (e.g. 5m)")
		cmd.Flags().StringVar(&msg, "message", "", "message shown to users")
		if action == "logoff" {
			cmd.Flags().StringVar(&user, "user", "", "only this user (default all)")
		}
		c.AddCommand(cmd)
	}
	return c
}

func (a *App) softwareCmd() *cobra.Command {
	c := &cobra.Command{Use: "software", Short: "Installed software"}
	c.AddCommand(&cobra.Command{Use: "list DEVICE", Short: "List the software installed on a device", Args: cobra.ExactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
		h, err := a.deviceHealth(args[0])
		if err != nil {
			return err
		}
		return printRecords(a, h.Software, []string{"NAME", "VERSION", "PUBLISHER", "SOURCE"}, func(s api.Software) []string {
			return []string{s.Name, s.Version, s.Publisher, s.Source}
		})
	}})
	var below string
	search := &cobra.Command{Use: "search NAME", Short: "Find devices with software of that name installed", Args: cobra.ExactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
		var out []api.SoftwareHit
		q := url.Values{"name": {args[0]}, "below": {below}}
		if err := a.client().Do("GET", "/api/v1/software?"+q.Encode(), nil, &out); err != nil {
			return err
		}
		return printRecords(a, out, []string{"DEVICE", "HOSTNAME", "NAME", "VERSION"}, func(h api.SoftwareHit) []string {
			return []string{h.DeviceID, h.Hostname, h.Name, h.Version}
		})
	}}
	search.Flags().StringVar(&below, "below", "", "only versions below this")
	c.AddCommand(search)
	c.AddCommand(a.packageCmds()...) // install, upgrade, remove (toolbox.go)
	return c
}

// deviceHealth fetches a device's latest health report (empty when it
// has sent none).
func (a *App) deviceHealth(ref string) (api.Health, error) {
	var out api.DeviceDetail
	id, err := a.resolveDevice(ref)
	if err != nil {
		return api.Health{}, err
	}
	if err := a.client().Do("GET", "/api/v1/devices/"+url.PathEscape(id), nil, &out); err != nil || out.Health == nil {
		return api.Health{}, err
	}
	return *out.Health, nil
}

func (a *App) patchesCmd() *cobra.Command {
	c := &cobra.Command{Use: "patches", Short: "Available patches and installs"}
	c.AddCommand(&cobra.Command{Use: "list DEVICE", Short: "List the patches available on a device", Args: cobra.ExactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
		h, err := a.deviceHealth(args[0])
		if err != nil {
			return err
		}
		return printRecords(a, h.Patches.Available, []string{"ID", "NAME", "INSTALLED", "AVAILABLE", "SECURITY", "CLASS", "SEVERITY"},
			func(p api.Patch) []string {
				return []string{p.ID, p.Name, p.InstalledVersion, p.AvailableVersion, omitFalse(p.Security), p.Classification, p.Severity}
			})
	}})
	var all bool
	var reboot string
	install := &cobra.Command{Use: "install DEVICE [--all | ID...]", Short: "Install patches on a device and wait for the result", Args: cobra.MinimumNArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
		if all == (len(args) > 1) {
			return errors.New("give --all or patch IDs")
		}
		pol := reboot
		var at time.Time
		if t, ok := strings.CutPrefix(reboot, "at "); ok {
			var err error
			if at, err = ParseAt(t, time.Now()); err != nil {
				return fmt.Errorf(`--reboot %q: want "at HH:MM" or "at RFC3339"`, reboot)
			}
			pol = "never"
		} else if reboot != "never" && reboot != "if-required" {
			return fmt.Errorf(`--reboot %q: want never, if-required or "at TIME"`, reboot)
		}
		r, err := a.oneJob(args[0], api.JobRequest{Kind: api.KindPatchInstall, Patch: &api.PatchInstall{IDs: args[1:], Reboot: pol}})
		if err != nil {
			return err
		}
		fmt.Fprintf(a.Out, "patch install %s: %s\n", r.State, Clean(string(r.Data)))
		if !at.IsZero() {
			id, _ := a.resolveDevice(args[0])
			if _, _, err := a.createJob(api.JobRequest{Kind: api.KindPower, Devices: []string{id}, At: at,
				Power: &api.PowerAction{Action: "reboot"}}); err != nil {
				return err
			}
			fmt.Fprintf(a.Out, "reboot scheduled at %s\n", at.Format(time.RFC3339))
		}
		return nil
	}}
	install.Flags().BoolVar(&all, "all", false, "install every available patch")
	install.Flags().StringVar(&reboot, "reboot", "if-required", `never, if-required or "at TIME"`)
	c.AddCommand(install, &cobra.Command{Use: "scan DEVICE", Short: "Ask a device to look for patches now", Args: cobra.ExactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
		id, err := a.resolveDevice(args[0])
		if err != nil {
			return err
		}
		return a.client().Do("POST", "/api/v1/devices/"+url.PathEscape(id)+"/refresh?what=patches", nil, nil)
	}})
	return c
}
