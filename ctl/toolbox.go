package ctl

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/spf13/cobra"
	"github.com/steward-rmm/steward/api"
)

// toolboxTarget is the --device/--client target of a toolbox job.
type toolboxTarget struct {
	devices []string
	client  string
}

func (t *toolboxTarget) flags(c *cobra.Command) {
	c.Flags().StringArrayVar(&t.devices, "device", nil, "device ID or hostname (repeatable)")
	c.Flags().StringVar(&t.client, "client", "", "every device of this client")
}

func (t *toolboxTarget) apply(a *App, body *api.JobRequest) error {
	switch {
	case t.client != "" && len(t.devices) > 0:
		return errors.New("give --device or --client, not both")
	case t.client != "":
		body.Client = t.client
	case len(t.devices) > 0:
		ids, err := a.resolveDevices(t.devices)
		if err != nil {
			return err
		}
		body.Devices = ids
	default:
		return errors.New("name --device or --client")
	}
	return nil
}

// packageCmds are `software install|upgrade|remove`: package jobs through
// the devices' package managers.
func (a *App) packageCmds() []*cobra.Command {
	var out []*cobra.Command
	for _, action := range []string{"install", "upgrade", "remove"} {
		var t toolboxTarget
		var manager string
		var wait bool
		c := &cobra.Command{Use: action + " PACKAGE... (--device D | --client C)",
			Short: "Package job: " + action + " packages with the device's package manager",
			Args:  cobra.RangeArgs(1, api.MaxPackages), RunE: func(cmd *cobra.Command, args []string) error {
				body := api.JobRequest{Kind: api.KindPackage, Package: &api.PackageJob{Action: action, Manager: manager, Packages: args}}
				if err := t.apply(a, &body); err != nil {
					return err
				}
				return a.runToolboxJob(body, wait)
			}}
		t.flags(c)
		c.Flags().StringVar(&manager, "manager", "", "apt, dnf, yum, zypper, pacman, winget, choco or brew (default: the one the device has)")
		c.Flags().BoolVar(&wait, "wait", false, "wait, print the managers' output and exit with the run's exit code")
		c.Example = "  stewardctl software " + action + " curl --device web-01 --wait\n  stewardctl software " + action +
			" Mozilla.Firefox --client \"Acme Corp\" --manager winget"
		out = append(out, c)
	}
	return out
}

// runToolboxJob creates a job and prints its runs, or follows them.
func (a *App) runToolboxJob(body api.JobRequest, wait bool) error {
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
}

// messageAnswerRow is one line of `stewardctl message`'s table.
type messageAnswerRow struct {
	Device  string `json:"device"`
	State   string `json:"state"`
	User    string `json:"user,omitempty"`
	Session string `json:"session,omitempty"`
	Answer  string `json:"answer,omitempty"`
	Error   string `json:"error,omitempty"`
}

// messageRows turns finished message runs into one row per user reached
// (a row per device when nobody was).
func messageRows(runs []api.Run) []messageAnswerRow {
	var rows []messageAnswerRow
	for _, r := range runs {
		var res api.MessageResult
		_ = json.Unmarshal(r.Data, &res)
		if len(res.Answers) == 0 {
			row := messageAnswerRow{Device: r.DeviceID, State: r.State, Error: r.Reason}
			if r.State == "succeeded" {
				row.Answer = "nobody logged in"
			}
			rows = append(rows, row)
		}
		for _, an := range res.Answers {
			rows = append(rows, messageAnswerRow{Device: r.DeviceID, State: r.State, User: an.User, Session: an.Session,
				Answer: an.Answer, Error: an.Error})
		}
	}
	return rows
}

func (a *App) messageCmd() *cobra.Command {
	var t toolboxTarget
	var m api.MessageJob
	var waitFor string
	c := &cobra.Command{Use: "message (--device D | --client C) --text TEXT [--title T] [--prompt]",
		Short: "Show a message to the users logged in on devices (a yes/no prompt on Windows and macOS) and print their answers",
		Args:  cobra.NoArgs, RunE: func(cmd *cobra.Command, args []string) error {
			body := api.JobRequest{Kind: api.KindMessage, Message: &m}
			if err := t.apply(a, &body); err != nil {
				return err
			}
			if waitFor != "" {
				d, err := durationFlag("wait", waitFor, time.Hour)
				if err != nil {
					return err
				}
				m.WaitSeconds = int(d.Seconds())
			}
			_, runs, err := a.createJob(body)
			if err != nil {
				return err
			}
			_, final, err := a.waitRuns(runs, false)
			if err != nil {
				return err
			}
			return printRecords(a, messageRows(final), []string{"DEVICE", "STATE", "USER", "SESSION", "ANSWER", "ERROR"},
				func(r messageAnswerRow) []string {
					return []string{r.Device, r.State, r.User, r.Session, r.Answer, r.Error}
				})
		}}
	t.flags(c)
	c.Flags().StringVar(&m.Text, "text", "", "the message")
	c.Flags().StringVar(&m.Title, "title", "", "its title (default \"Message from IT\")")
	c.Flags().BoolVar(&m.Prompt, "prompt", false, "ask yes or no (Windows, macOS) and report each answer")
	c.Flags().StringVar(&waitFor, "wait", "", "how long a prompt waits for an answer (default 2m, at most 1h)")
	c.Example = `  stewardctl message --device web-01 --title "Reboot tonight" --text "Please save your work by 18:00" --prompt`
	return c
}
