package ctl

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/steward-rmm/steward/api"
)

// deviceFlag adds --device to a command and returns its resolver.
func (a *App) deviceFlag(c *cobra.Command) func() (string, error) {
	var device string
	c.PersistentFlags().StringVar(&device, "device", "", "the device (ID or exact hostname)")
	return func() (string, error) {
		if device == "" {
			return "", errors.New("--device is required")
		}
		return a.resolveDevice(device)
	}
}

func devPath(dev, rest string, q url.Values) string {
	p := "/api/v1/devices/" + url.PathEscape(dev) + rest
	if len(q) > 0 {
		p += "?" + q.Encode()
	}
	return p
}

// sinceFlag reads a time as RFC 3339 or as a duration back from now
// ("2h" is two hours ago).
func sinceFlag(name, v string) (string, error) {
	if v == "" {
		return "", nil
	}
	if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return clock().Add(-d).UTC().Format(time.RFC3339), nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC().Format(time.RFC3339), nil
	}
	return "", fmt.Errorf("--%s takes a duration back from now (2h, 30m) or an RFC 3339 time", name)
}

func (a *App) eventsCmd() *cobra.Command {
	var units, levels, channels, providers, processes, subsystems []string
	var ids []int
	var category, text, since, until string
	var limit, pages int
	var follow bool
	c := &cobra.Command{Use: "events --device D", Short: "Read a device's event log (journald, Windows Event Log, macOS unified log)",
		Long: "Filters apply where the system has them: --unit (journald); --channel, --provider, --event-id (Windows);\n" +
			"--process, --subsystem, --category (macOS); --level and --since/--until everywhere, --text on journald and macOS.\n" +
			"journald and Windows list the newest first; the unified log reads from --since (default: the last hour).\n" +
			"-f follows the log until interrupted. Needs the eventlog_read permission; audited.",
		Args: cobra.NoArgs}
	dev := a.deviceFlag(c)
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		if err := intFlag("limit", limit, 1, 2000, ""); err != nil {
			return err
		}
		id, err := dev()
		if err != nil {
			return err
		}
		q := url.Values{}
		for key, vs := range map[string][]string{"unit": units, "level": levels, "channel": channels, "provider": providers,
			"process": processes, "subsystem": subsystems} {
			for _, v := range vs {
				q.Add(key, v)
			}
		}
		for _, n := range ids {
			q.Add("event_id", strconv.Itoa(n))
		}
		for key, v := range map[string]string{"category": category, "text": text} {
			if v != "" {
				q.Set(key, v)
			}
		}
		for key, v := range map[string]string{"since": since, "until": until} {
			s, err := sinceFlag(key, v)
			if err != nil {
				return err
			}
			if s != "" {
				q.Set(key, s)
			}
		}
		if follow {
			return a.followEvents(id, q)
		}
		q.Set("limit", strconv.Itoa(limit))
		var all []api.EventRecord
		for p := 0; p < pages; p++ {
			var page api.EventLogPage
			if err := a.client().Do("GET", devPath(id, "/eventlog", q), nil, &page); err != nil {
				return err
			}
			all = append(all, page.Records...)
			if page.Cursor == "" {
				break
			}
			q.Set("cursor", page.Cursor)
			if p == pages-1 && a.output != "json" {
				fmt.Fprintf(a.Err, "more records: raise --pages or narrow the filters\n")
			}
		}
		return printEvents(a, all)
	}
	f := c.Flags()
	f.StringArrayVar(&units, "unit", nil, "systemd unit (repeatable)")
	f.StringArrayVar(&levels, "level", nil, "critical, error, warning, info or debug (repeatable)")
	f.StringArrayVar(&channels, "channel", nil, "Windows channel, default System (repeatable)")
	f.StringArrayVar(&providers, "provider", nil, "Windows provider (repeatable)")
	f.IntSliceVar(&ids, "event-id", nil, "Windows event ID (repeatable)")
	f.StringArrayVar(&processes, "process", nil, "macOS process name (repeatable)")
	f.StringArrayVar(&subsystems, "subsystem", nil, "macOS subsystem (repeatable)")
	f.StringVar(&category, "category", "", "macOS category")
	f.StringVar(&text, "text", "", "records whose message contains this text")
	f.StringVar(&since, "since", "", "from this time (RFC 3339) or this long ago (2h)")
	f.StringVar(&until, "until", "", "up to this time (RFC 3339) or this long ago")
	f.IntVar(&limit, "limit", 200, "records per page")
	f.IntVar(&pages, "pages", 1, "pages to read")
	f.BoolVarP(&follow, "follow", "f", false, "show new records as they arrive, until interrupted")
	return c
}

func printEvents(a *App, recs []api.EventRecord) error {
	return printRecords(a, recs, []string{"TIME", "LEVEL", "SOURCE", "ID", "MESSAGE"}, func(r api.EventRecord) []string {
		src := r.Source
		if r.Unit != "" && r.Unit != r.Source {
			src += " (" + r.Unit + ")"
		}
		id := ""
		if r.EventID != 0 || r.Channel != "" {
			id = strconv.Itoa(r.EventID)
		}
		return []string{tstr(r.Time), r.Level, src, id, firstLine(r.Message, 200)}
	})
}

// firstLine is a message's first line, cut to n runes.
func firstLine(s string, n int) string {
	s, _, more := strings.Cut(s, "\n")
	if r := []rune(s); len(r) > n {
		s, more = string(r[:n]), true
	}
	if more {
		s += " …"
	}
	return s
}

// followEvents prints records as the server streams them (NDJSON).
func (a *App) followEvents(id string, q url.Values) error {
	resp, err := a.client().Stream("GET", devPath(id, "/eventlog/follow", q), nil, 0)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 {
			continue // keep-alive
		}
		if a.output == "json" {
			fmt.Fprintf(a.Out, "%s\n", line)
			continue
		}
		var r struct {
			api.EventRecord
			Error string `json:"error"`
		}
		if err := json.Unmarshal(line, &r); err != nil {
			return fmt.Errorf("event stream: %w", err)
		}
		if r.Error != "" {
			return errors.New(Clean(r.Error))
		}
		fmt.Fprintf(a.Out, "%s  %-8s %s: %s\n", tstr(r.Time), r.Level, Clean(r.Source), Clean(firstLine(r.Message, 500)))
	}
	return sc.Err()
}

func (a *App) registryCmd() *cobra.Command {
	c := &cobra.Command{Use: "registry", Short: "Browse and change the Windows registry of a device",
		Long: "Paths are HKLM\\SOFTWARE\\... (HKEY_LOCAL_MACHINE, HKCU, HKCR, HKU, HKCC); --view 32 reads WOW6432Node's view.\n" +
			"Writing (set, rm, mkkey, rmkey) needs registry_write and a recent two-factor check; every action is audited."}
	dev := a.deviceFlag(c)
	var view string
	c.PersistentFlags().StringVar(&view, "view", "", "registry view: 64 (default) or 32")
	key := func(path string) api.RegistryKeyRequest { return api.RegistryKeyRequest{Path: path, View: view} }

	ls := &cobra.Command{Use: "ls PATH --device D", Short: "List a key's subkeys and values", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := dev()
			if err != nil {
				return err
			}
			var keys []string
			var vals []api.RegValue
			cursor := 0
			for {
				q := url.Values{"path": {args[0]}, "cursor": {strconv.Itoa(cursor)}}
				if view != "" {
					q.Set("view", view)
				}
				var page api.RegistryList
				if err := a.client().Do("GET", devPath(id, "/registry", q), nil, &page); err != nil {
					return err
				}
				keys, vals = append(keys, page.Keys...), append(vals, page.Values...)
				if cursor = page.Next; cursor == 0 {
					break
				}
			}
			type row struct {
				Keys   []string       `json:"keys"`
				Values []api.RegValue `json:"values"`
			}
			return a.print(row{keys, vals}, []string{"NAME", "TYPE", "DATA"}, func() [][]string {
				var rows [][]string
				for _, k := range keys {
					rows = append(rows, []string{k + `\`, "key", ""})
				}
				for _, v := range vals {
					rows = append(rows, []string{valueName(v.Name), v.Type, valueText(v)})
				}
				return rows
			})
		}}
	get := &cobra.Command{Use: "get PATH NAME --device D", Short: "Show one value (\"\" for the default value)", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := dev()
			if err != nil {
				return err
			}
			q := url.Values{"path": {args[0]}, "name": {args[1]}}
			if view != "" {
				q.Set("view", view)
			}
			var v api.RegValue
			if err := a.client().Do("GET", devPath(id, "/registry/value", q), nil, &v); err != nil {
				return err
			}
			return a.print(v, []string{"NAME", "TYPE", "DATA"}, func() [][]string {
				return [][]string{{valueName(v.Name), v.Type, valueText(v)}}
			})
		}}
	var typ string
	var create bool
	set := &cobra.Command{Use: "set PATH NAME VALUE... --type T --device D",
		Short: "Write a value: REG_SZ, REG_EXPAND_SZ, REG_MULTI_SZ (one VALUE per string), REG_DWORD, REG_QWORD (decimal or 0x), REG_BINARY (hex)",
		Args:  cobra.MinimumNArgs(2), RunE: func(cmd *cobra.Command, args []string) error {
			v, err := regValue(typ, args[1], args[2:])
			if err != nil {
				return err
			}
			req := api.RegistrySetRequest{RegistryKeyParams: key(args[0]), Value: v, Create: create}
			return a.regChange(dev, "PUT", "/registry/value", req, "set")
		}}
	set.Flags().StringVarP(&typ, "type", "t", "REG_SZ", "value type")
	set.Flags().BoolVar(&create, "create", false, "create the key if it does not exist")
	rm := &cobra.Command{Use: "rm PATH NAME --device D", Short: "Delete a value", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.regChange(dev, "POST", "/registry/value/delete", api.RegistryValueRequest{RegistryKeyParams: key(args[0]), Name: args[1]}, "deleted")
		}}
	mkkey := &cobra.Command{Use: "mkkey PATH --device D", Short: "Create a key", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.regChange(dev, "POST", "/registry/key", key(args[0]), "created")
		}}
	var recursive bool
	rmkey := &cobra.Command{Use: "rmkey PATH --device D [-r]", Short: "Delete a key (-r: with its subkeys)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			k := key(args[0])
			k.Recursive = recursive
			return a.regChange(dev, "POST", "/registry/key/delete", k, "deleted")
		}}
	rmkey.Flags().BoolVarP(&recursive, "recursive", "r", false, "delete the key's subkeys too")
	c.AddCommand(ls, get, set, rm, mkkey, rmkey)
	return c
}

func (a *App) regChange(dev func() (string, error), method, rest string, body any, verb string) error {
	id, err := dev()
	if err != nil {
		return err
	}
	var out api.RegistryChanged
	if err := a.client().Do(method, devPath(id, rest, nil), body, &out); err != nil {
		return err
	}
	if a.output == "json" {
		return JSON(a.Out, out)
	}
	what := Clean(out.Path)
	if out.Name != "" || verb == "set" {
		what += ` \ ` + valueName(out.Name)
	}
	fmt.Fprintf(a.Out, "%s: %s (view %s)\n", verb, what, out.View)
	if out.Previous != nil {
		fmt.Fprintf(a.Out, "was: %s %s\n", out.Previous.Type, Clean(valueText(*out.Previous)))
	}
	return nil
}

// regValue builds a value to write from the command line.
func regValue(typ, name string, vals []string) (api.RegValue, error) {
	v := api.RegValue{Name: name, Type: strings.ToUpper(typ)}
	one := func() (string, error) {
		if len(vals) != 1 {
			return "", fmt.Errorf("%s takes one VALUE", v.Type)
		}
		return vals[0], nil
	}
	var err error
	switch v.Type {
	case "REG_SZ", "REG_EXPAND_SZ":
		v.String, err = one()
	case "REG_DWORD", "REG_QWORD":
		v.Number, err = one()
	case "REG_MULTI_SZ":
		v.Strings = vals
	case "REG_BINARY":
		var s string
		if s, err = one(); err == nil {
			v.Data, err = hex.DecodeString(strings.NewReplacer(" ", "", ",", "", ":", "").Replace(s))
			if err != nil {
				err = fmt.Errorf("REG_BINARY takes hex bytes (00 ff 10): %w", err)
			}
		}
	default:
		err = fmt.Errorf("--type must be REG_SZ, REG_EXPAND_SZ, REG_MULTI_SZ, REG_DWORD, REG_QWORD or REG_BINARY")
	}
	return v, err
}

func valueName(n string) string {
	if n == "" {
		return "(Default)"
	}
	return n
}

// valueText shows a value's data as regedit does.
func valueText(v api.RegValue) string {
	switch {
	case v.Number != "":
		n, err := strconv.ParseUint(v.Number, 10, 64)
		if err != nil {
			return v.Number
		}
		return fmt.Sprintf("0x%x (%d)", n, n)
	case v.Strings != nil:
		return strings.Join(v.Strings, " | ")
	case v.Data != nil:
		s := hex.EncodeToString(v.Data[:min(len(v.Data), 64)])
		if len(v.Data) > 64 {
			s += fmt.Sprintf("… (%d bytes)", len(v.Data))
		}
		return s
	}
	return v.String
}

func (a *App) sessionsCmd() *cobra.Command {
	c := &cobra.Command{Use: "sessions --device D", Short: "The users on a device and their activity (active, idle, locked, disconnected)",
		Long: "Needs the sessions_read permission; audited.", Args: cobra.NoArgs}
	dev := a.deviceFlag(c)
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		id, err := dev()
		if err != nil {
			return err
		}
		var res api.DeviceSessions
		if err := a.client().Do("GET", devPath(id, "/sessions", nil), nil, &res); err != nil {
			return err
		}
		if a.output != "json" {
			for _, n := range res.Notes {
				fmt.Fprintf(a.Err, "note: %s\n", Clean(n))
			}
		}
		return a.print(res, []string{"USER", "SESSION", "TYPE", "FROM", "STATE", "LOCKED", "IDLE", "LAST INPUT", "LOGIN"}, func() [][]string {
			var rows [][]string
			for _, s := range res.Sessions {
				user := s.User
				if s.Domain != "" {
					user = s.Domain + `\` + s.User
				}
				locked, idle := "?", "?"
				if s.Locked != nil {
					locked = map[bool]string{true: "yes", false: "no"}[*s.Locked]
				}
				if s.IdleSeconds != nil {
					idle = (time.Duration(*s.IdleSeconds) * time.Second).String()
				}
				from := s.Host
				if from == "" {
					from = s.Terminal
				}
				rows = append(rows, []string{user, s.ID, s.Type, from, s.State, locked, idle, tstr(s.LastActivity), tstr(s.LoginTime)})
			}
			return rows
		})
	}
	return c
}
