package ctl

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/steward-rmm/steward/api"
)

// agentsCmd manages agent self-update: the signed releases the server
// holds, the target version per scope, and the devices' outcomes.
func (a *App) agentsCmd() *cobra.Command {
	c := &cobra.Command{Use: "agents", Short: "Agent releases and self-update"}
	releases := &cobra.Command{Use: "releases", Short: "List the signed agent releases on the server",
		Args: cobra.NoArgs, RunE: func(cmd *cobra.Command, args []string) error {
			out, err := a.releases()
			if err != nil {
				return err
			}
			if a.output == "json" {
				return JSON(a.Out, out)
			}
			if !out.Enabled {
				fmt.Fprintln(a.Out, "agent updates are not configured on this server (--release-key)")
				return nil
			}
			rows := [][]string{}
			for _, r := range out.Releases {
				var plats []string
				for _, f := range r.Files {
					plats = append(plats, f.OS+"/"+f.Arch)
				}
				sort.Strings(plats)
				rows = append(rows, []string{r.Version, strconv.FormatBool(r.Valid), tstr(r.Created), strings.Join(plats, " "), r.Error})
			}
			Table(a.Out, []string{"VERSION", "VALID", "CREATED", "PLATFORMS", "ERROR"}, rows)
			return nil
		}}

	var client, version string
	var devices []string
	var clear bool
	update := &cobra.Command{Use: "update", Short: "Set the agent version for all devices, a client's, or some devices",
		Long: `Set the agent version a scope should run and offer it to its connected devices
now; devices that connect later get it after they connect. Without --version the
newest valid release is used. Agents verify the release signature with the key
pinned at install and never downgrade.`,
		Args: cobra.NoArgs, RunE: func(cmd *cobra.Command, args []string) error {
			if clear && version != "" {
				return errors.New("--clear and --version exclude each other")
			}
			if !clear && version == "" {
				out, err := a.releases()
				if err != nil {
					return err
				}
				for _, r := range out.Releases {
					if r.Valid {
						version = r.Version
						break
					}
				}
				if version == "" {
					return errors.New("the server holds no valid agent release (see stewardctl agents releases)")
				}
			}
			body := api.SetUpdateRequest{Version: version, Client: client}
			if len(devices) > 0 {
				ids := make([]string, 0, len(devices))
				for _, d := range devices {
					id, err := a.resolveDevice(d)
					if err != nil {
						return err
					}
					ids = append(ids, id)
				}
				body.Devices = ids
			}
			var out api.SetUpdateResponse
			if err := a.client().Do("POST", "/api/v1/updates", body, &out); err != nil {
				return err
			}
			if a.output == "json" {
				return JSON(a.Out, out)
			}
			scope := "all devices"
			switch {
			case client != "":
				scope = "client " + client
			case len(devices) > 0:
				scope = fmt.Sprintf("%d devices", len(devices))
			}
			if clear {
				fmt.Fprintf(a.Out, "cleared the agent version target of %s\n", Clean(scope))
				return nil
			}
			fmt.Fprintf(a.Out, "agent version %s set for %s; offered to %d connected devices\n",
				Clean(out.Version), Clean(scope), out.Counts["offered"])
			var keys []string
			for k := range out.Counts {
				if k != "offered" {
					keys = append(keys, k)
				}
			}
			sort.Strings(keys)
			for _, k := range keys {
				fmt.Fprintf(a.Out, "  %s: %d\n", strings.ReplaceAll(k, "_", " "), out.Counts[k])
			}
			return nil
		}}
	f := update.Flags()
	f.StringVar(&client, "client", "", "only this client's devices (ID or name)")
	f.StringVar(&version, "version", "", "release version (default: the newest valid release)")
	f.StringSliceVar(&devices, "device", nil, "only these devices (ID or hostname; repeatable)")
	f.BoolVar(&clear, "clear", false, "remove the scope's target instead of setting one")
	update.MarkFlagsMutuallyExclusive("client", "device")

	status := &cobra.Command{Use: "status", Short: "Show update targets and each device's latest update outcome",
		Args: cobra.NoArgs, RunE: func(cmd *cobra.Command, args []string) error {
			var out api.Updates
			if err := a.client().Do("GET", "/api/v1/updates", nil, &out); err != nil {
				return err
			}
			if a.output == "json" {
				return JSON(a.Out, out)
			}
			rows := [][]string{}
			for _, t := range out.Targets {
				rows = append(rows, []string{strings.TrimSuffix(t.Scope+":"+t.ID, ":"), t.Version, t.SetBy, tstr(t.SetAt)})
			}
			Table(a.Out, []string{"SCOPE", "VERSION", "SET BY", "SET AT"}, rows)
			fmt.Fprintln(a.Out)
			rows = [][]string{}
			for _, r := range out.Results {
				rows = append(rows, []string{r.DeviceID, r.Hostname, r.AgentVersion, r.Version, r.State, tstr(r.At), r.Reason})
			}
			Table(a.Out, []string{"DEVICE", "HOSTNAME", "RUNNING", "OFFERED", "OUTCOME", "AT", "REASON"}, rows)
			return nil
		}}
	c.AddCommand(releases, update, status)
	return c
}

func (a *App) releases() (api.Releases, error) {
	var out api.Releases
	err := a.client().Do("GET", "/api/v1/releases", nil, &out)
	return out, err
}
