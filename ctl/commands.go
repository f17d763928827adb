package ctl

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/steward-rmm/steward/api"
	"golang.org/x/term"
)

// App holds one invocation's state.
type App struct {
	In       io.Reader
	Out, Err io.Writer
	Getenv   func(string) string
	cfgPath  string
	cfg      Config
	output   string
	raw      bool // device output unsanitised even on a terminal
	exit     int
	inLines  *bufio.Reader
	clients  map[string]string // client ID to name, filled by clientName
}

// ExitError carries a process exit code (a remote run's exit status).
type ExitError struct{ Code int }

func (e *ExitError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// Execute runs stewardctl with args and returns the process exit code.
func Execute(args []string, in io.Reader, out, errw io.Writer, getenv func(string) string) int {
	a := &App{In: in, Out: out, Err: errw, Getenv: getenv, cfgPath: ConfigPath()}
	root := a.root()
	root.SetArgs(args)
	root.SetOut(out)
	root.SetErr(errw)
	cmd, err := root.ExecuteC()
	err = flagNames(cmd, err)
	var ee *ExitError
	switch {
	case errors.As(err, &ee):
		return ee.Code
	case err != nil:
		fmt.Fprintln(errw, "stewardctl:", err)
		return 1
	}
	return a.exit
}

// client is an API client; at a terminal it asks for a two-factor code
// when an action needs a fresh one.
func (a *App) client() *Client {
	c := NewClient(a.cfg)
	if f, ok := a.In.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		c.AskCode = func() (string, error) {
			fmt.Fprintln(a.Err, "This action needs a recent two-factor check.")
			return a.prompt("Two-factor code: ", true)
		}
	}
	return c
}

func (a *App) print(v any, header []string, rows func() [][]string) error {
	if a.output == "json" {
		return JSON(a.Out, v)
	}
	Table(a.Out, header, rows())
	return nil
}

func (a *App) root() *cobra.Command {
	var server, token, fp string
	root := &cobra.Command{
		Use:           "stewardctl",
		Short:         "Command line for the Steward RMM server",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			saved, err := LoadConfig(a.cfgPath)
			if err != nil {
				return fmt.Errorf("read %s: %w", a.cfgPath, err)
			}
			a.cfg = saved
			for _, o := range []struct {
				flag, env string
				dst       *string
			}{{server, "STEWARD_SERVER", &a.cfg.Server}, {token, "STEWARD_TOKEN", &a.cfg.Token},
				{fp, "STEWARD_CA_FINGERPRINT", &a.cfg.Fingerprint}} {
				if o.flag != "" {
					*o.dst = o.flag
				} else if v := a.Getenv(o.env); v != "" {
					*o.dst = v
				}
			}
			if a.output != "table" && a.output != "json" {
				return errors.New("-o must be table or json")
			}
			return nil
		},
	}
	pf := root.PersistentFlags()
	pf.StringVar(&server, "server", "", "server URL (or STEWARD_SERVER)")
	pf.StringVar(&token, "token", "", "API token (or STEWARD_TOKEN)")
	pf.StringVar(&fp, "ca-fingerprint", "", "server pin(s) as steward-server pin prints them, spki:HEX or ca:HEX (or STEWARD_CA_FINGERPRINT)")
	pf.StringVarP(&a.output, "output", "o", "table", "table or json")
	pf.BoolVar(&a.raw, "raw", false, "write device output (run --wait, jobs output) to a terminal unchanged; by default "+
		"control characters, escape sequences and bidi controls are shown as \\x1b-style escapes when stdout or stderr "+
		"is a terminal (pipes and files always get the exact bytes)")
	root.AddCommand(a.loginCmd(), a.clientsCmd(), a.tokensCmd(), a.devicesCmd(), a.runCmd(), a.jobsCmd(),
		a.scriptsCmd(), a.servicesCmd(), a.powerCmd(), a.auditCmd(), a.shellCmd(), a.softwareCmd(), a.patchesCmd(),
		a.usersCmd(), a.twoFACmd(), a.agentsCmd(), a.contactsCmd(), a.alertsCmd(), a.profilesCmd(), a.maintenanceCmd())
	root.AddCommand(a.seatsCmd())
	root.AddCommand(a.messageCmd()) // toolbox.go
	root.AddCommand(a.notificationsCmd())
	root.AddCommand(a.searchCmd()) // helpdesk.go
	root.AddCommand(a.vaultCmd(), a.attachmentsCmd(), a.assetsCmd())
	root.AddCommand(a.ticketsCmd())
	root.AddCommand(a.contractsCmd())
	root.AddCommand(a.filesCmd(), a.processesCmd())
	root.AddCommand(a.eventsCmd(), a.registryCmd(), a.sessionsCmd())
	root.AddCommand(a.monitorsCmd())
	root.AddCommand(a.automationCmd())
	root.AddCommand(a.invoicesCmd())
	root.AddCommand(a.consentCmd())
	// Cobra adds help and completion when it runs; add them now so the
	// subcommand check covers them too.
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	requireSubcommands(root)
	return root
}

func (a *App) clientsCmd() *cobra.Command {
	c := &cobra.Command{Use: "clients", Short: "Manage clients (customers)"}
	c.AddCommand(&cobra.Command{Use: "create NAME", Short: "Create a client", Args: cobra.ExactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
		var out api.Client
		if err := a.client().Do("POST", "/api/v1/clients", api.CreateClientRequest{Name: args[0]}, &out); err != nil {
			return err
		}
		return a.print(out, []string{"ID", "NAME"}, func() [][]string { return [][]string{{out.ID, out.Name}} })
	}}, a.clientsListCmd(), a.clientsShowCmd(), a.clientsUpdateCmd(), a.clientsFieldsCmd(),
		a.portalUsersCmd())
	return c
}

// ParseDuration accepts Go durations plus a "d" suffix for days.
func ParseDuration(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil {
			return 0, fmt.Errorf("bad duration %q", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

func (a *App) tokensCmd() *cobra.Command {
	c := &cobra.Command{Use: "tokens", Short: "Manage enrollment tokens"}
	var client, expires string
	var uses int
	var install, approval bool
	create := &cobra.Command{Use: "create", Short: "Create an enrollment token for a client", RunE: func(cmd *cobra.Command, args []string) error {
		if uses != 0 { // 0 is the documented "unlimited"
			if err := intFlag("uses", uses, 1, 1_000_000, " (or 0 for unlimited)"); err != nil {
				return err
			}
		}
		d, err := durationFlag("expires", expires, year)
		if err != nil {
			return err
		}
		var out api.EnrollTokenCreated
		if err := a.client().Do("POST", "/api/v1/tokens", api.CreateEnrollTokenRequest{Client: client, MaxUses: uses,
			ExpiresSeconds: int(d.Seconds()), RequireApproval: approval}, &out); err != nil {
			return err
		}
		if a.output == "json" {
			return JSON(a.Out, out)
		}
		fmt.Fprintf(a.Out, "token:   %s\nexpires: %s\nuses:    %v (0 = unlimited)\n", out.Token, tstr(out.ExpiresAt), out.MaxUses)
		if out.RequireApproval {
			fmt.Fprintln(a.Out, "devices enrolled with it wait for approval (stewardctl devices approve)")
		}
		if install && out.Install != nil {
			goos := map[string]string{"linux": "linux", "macos": "darwin", "windows": "windows"}
			for _, k := range []string{"linux", "macos", "windows", "agent"} {
				fmt.Fprintf(a.Out, "\n%s:\n  %s\n", k, out.Install[k])
				// A one-liner downloads the agent: say which builds it lacks.
				if out.AgentBuilds != nil && goos[k] != "" {
					for _, p := range out.AgentBuilds.Missing {
						if strings.HasPrefix(p, goos[k]+"/") {
							fmt.Fprintf(a.Out, "  (no agent build for %s on this server)\n", p)
						}
					}
				}
			}
		}
		return nil
	}}
	create.Flags().StringVar(&client, "client", "", "client ID or name")
	create.Flags().StringVar(&expires, "expires", "7d", "lifetime (e.g. 24h, 7d)")
	create.Flags().IntVar(&uses, "uses", 0, "maximum enrollments (0 = unlimited)")
	create.Flags().BoolVar(&install, "install-commands", false, "print ready-made install commands")
	create.Flags().BoolVar(&approval, "require-approval", false, "devices enrolled with it get no job until approved")
	_ = create.MarkFlagRequired("client")
	withFields(create, "max_uses=--uses", "expires_seconds=--expires", "client=--client")
	create.Example = `  stewardctl tokens create --client "Acme Corp" --expires 7d --uses 10 --install-commands
  stewardctl tokens create --client "Acme Corp" --require-approval   # --uses 0 (the default): unlimited`
	c.AddCommand(create, &cobra.Command{Use: "list", Short: "List enrollment tokens", RunE: func(cmd *cobra.Command, args []string) error {
		var out []api.EnrollToken
		if err := a.client().Do("GET", "/api/v1/tokens", nil, &out); err != nil {
			return err
		}
		return printRecords(a, out, []string{"ID", "CLIENT", "USES", "MAX", "EXPIRES", "REVOKED", "APPROVAL"},
			func(t api.EnrollToken) []string {
				max := strconv.Itoa(t.MaxUses)
				if t.MaxUses == 0 {
					max = "unlimited"
				}
				return []string{t.ID, a.clientName(t.ClientID), strconv.Itoa(t.Uses), max, tago(t.ExpiresAt),
					strconv.FormatBool(t.Revoked), omitFalse(t.RequireApproval)}
			})
	}}, &cobra.Command{Use: "revoke ID", Short: "Revoke an enrollment token", Args: cobra.ExactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
		if err := a.client().Do("DELETE", "/api/v1/tokens/"+url.PathEscape(args[0]), nil, nil); err != nil {
			return err
		}
		fmt.Fprintln(a.Out, "revoked", args[0])
		return nil
	}})
	return c
}

// resolveDevice accepts a device ID or an exact hostname.
func (a *App) resolveDevice(ref string) (string, error) {
	if strings.HasPrefix(ref, "d_") {
		return ref, nil
	}
	var out api.DeviceList
	if err := a.client().Do("GET", "/api/v1/devices?limit=1000&retired=any&search="+url.QueryEscape(ref), nil, &out); err != nil {
		return "", err
	}
	var hit []string
	for _, d := range out.Devices {
		if strings.EqualFold(d.Hostname, ref) {
			hit = append(hit, d.ID)
		}
	}
	switch len(hit) {
	case 0:
		return "", fmt.Errorf("no device named %q", ref)
	case 1:
		return hit[0], nil
	}
	return "", fmt.Errorf("%d devices are named %q; use an ID: %s", len(hit), ref, strings.Join(hit, ", "))
}

func (a *App) devicesCmd() *cobra.Command {
	c := &cobra.Command{Use: "devices", Short: "Find and manage devices"}
	var online, offline, reboot, patches, pending, retired, favourites bool
	var search, client, osName, dtype string
	var limit int
	list := &cobra.Command{Use: "list", Short: "List devices, with filters", RunE: func(cmd *cobra.Command, args []string) error {
		q := url.Values{}
		if online {
			q.Set("online", "true")
		}
		if offline {
			q.Set("online", "false")
		}
		if reboot {
			q.Set("pending_reboot", "true")
		}
		if patches {
			q.Set("has_patches", "true")
		}
		if pending {
			q.Set("approval", "pending")
		}
		if retired {
			q.Set("retired", "true")
		}
		if favourites {
			q.Set("favorite", "true")
		}
		for k, v := range map[string]string{"search": search, "client": client, "os": osName, "type": dtype} {
			if v != "" {
				q.Set(k, v)
			}
		}
		if err := intFlag("limit", limit, 1, 50000, ""); err != nil {
			return err
		}
		q.Set("limit", strconv.Itoa(limit))
		var out api.DeviceList
		if err := a.client().Do("GET", "/api/v1/devices?"+q.Encode(), nil, &out); err != nil {
			return err
		}
		return a.print(out, []string{"ID", "HOSTNAME", "ONLINE", "CLIENT", "OS", "REBOOT", "PATCHES", "LAST SEEN", "APPROVAL"}, func() [][]string {
			var rows [][]string
			for _, d := range out.Devices {
				rows = append(rows, []string{d.ID, d.Hostname, strconv.FormatBool(d.Online), d.ClientName,
					strings.TrimSpace(d.Platform + " " + d.OSVersion), strconv.FormatBool(d.PendingReboot),
					strconv.Itoa(d.PatchesAvail), tago(d.LastSeen), approvalText(d)})
			}
			return rows
		})
	}}
	f := list.Flags()
	f.BoolVar(&online, "online", false, "only online devices")
	f.BoolVar(&offline, "offline", false, "only offline devices")
	f.BoolVar(&reboot, "pending-reboot", false, "only devices needing a reboot")
	f.BoolVar(&patches, "has-patches", false, "only devices with available patches")
	f.BoolVar(&pending, "pending", false, "only devices waiting for approval")
	f.BoolVar(&retired, "retired", false, "only retired devices (hidden otherwise)")
	f.BoolVar(&favourites, "favourites", false, "only your starred devices")
	f.StringVar(&dtype, "type", "", "workstation, server, mac or linux")
	f.StringVar(&search, "search", "", "hostname, IP or MAC")
	f.StringVar(&client, "client", "", "client ID or name")
	f.StringVar(&osName, "os", "", "linux, windows or darwin")
	f.IntVar(&limit, "limit", 500, "at most this many")
	show := &cobra.Command{Use: "show DEVICE", Short: "Show a device's details and inventory", Args: cobra.ExactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
		id, err := a.resolveDevice(args[0])
		if err != nil {
			return err
		}
		var out api.DeviceDetail
		if err := a.client().Do("GET", "/api/v1/devices/"+url.PathEscape(id), nil, &out); err != nil {
			return err
		}
		if a.output == "json" {
			return JSON(a.Out, out)
		}
		d, inv := out.Device, out.Inventory
		rows := [][]string{{"id", d.ID}, {"hostname", d.Hostname}, {"online", strconv.FormatBool(d.Online)},
			{"last seen", tago(d.LastSeen)}, {"client", d.ClientName}, {"os", d.Platform + " " + d.OSVersion},
			{"pending reboot", strconv.FormatBool(d.PendingReboot)}, {"patches", strconv.Itoa(d.PatchesAvail)},
			{"ips", listText(d.IPs)}, {"macs", macsText(d.MACs)}, {"approval", approvalText(d)}, {"machine id", d.MachineID}}
		if inv != nil {
			rows = append(rows, [][]string{{"kernel", inv.Kernel}, {"cpu", inv.CPUModel},
				{"cores", strconv.Itoa(inv.CPUCores)}, {"memory", gb(inv.MemoryTotal)}}...)
			for _, f := range [][]string{{"manufacturer", inv.Manufacturer}, {"model", inv.Model}, {"serial", inv.Serial}, {"time zone", inv.TimeZone}} {
				if f[1] != "" { // older agents do not report them
					rows = append(rows, f)
				}
			}
			for _, dk := range inv.Disks {
				rows = append(rows, []string{"disk " + dk.Mount, fmt.Sprintf("%s free of %s (%s)", gb(dk.Free), gb(dk.Total), dk.Filesystem)})
			}
		}
		Table(a.Out, []string{"FIELD", "VALUE"}, rows)
		return nil
	}}
	revoke := &cobra.Command{Use: "revoke DEVICE", Short: "Revoke a device: it can no longer connect", Args: cobra.ExactArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
		id, err := a.resolveDevice(args[0])
		if err != nil {
			return err
		}
		if err := a.client().Do("DELETE", "/api/v1/devices/"+url.PathEscape(id), nil, nil); err != nil {
			return err
		}
		fmt.Fprintln(a.Out, "revoked", id)
		return nil
	}}
	c.AddCommand(list, show, revoke, a.devicesSetFolderCmd(), a.devicesApproveCmd())
	c.AddCommand(a.devicesBulkCmds()...)
	c.AddCommand(a.devicesSIPCmd()) // helpdesk.go
	return c
}

func readFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	return string(b), err
}
