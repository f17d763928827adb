package ctl

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/steward-rmm/steward/api"
)

// Retired devices, moves, favourites, and the account plan (seats and the
// device limit).

// bulk runs one bulk action on devices named by ID or hostname and prints
// what each came to.
func (a *App) bulk(refs []string, req api.BulkDevicesRequest) error {
	for _, ref := range refs {
		id, err := a.resolveDevice(ref)
		if err != nil {
			return err
		}
		req.Devices = append(req.Devices, id)
	}
	var out api.BulkDevicesResponse
	if err := a.client().Do("POST", "/api/v1/devices/bulk", req, &out); err != nil {
		return err
	}
	if err := a.print(out, []string{"ID", "CHANGED", "ERROR"}, func() [][]string {
		rows := make([][]string, 0, len(out.Results))
		for _, r := range out.Results {
			rows = append(rows, []string{r.ID, strconv.FormatBool(r.Changed), r.Error})
		}
		return rows
	}); err != nil {
		return err
	}
	for _, r := range out.Results {
		if r.Error != "" {
			return &ExitError{Code: 1}
		}
	}
	return nil
}

// devicesBulkCmds are "devices retire|restore|move|favourite".
func (a *App) devicesBulkCmds() []*cobra.Command {
	retire := &cobra.Command{Use: "retire DEVICE...", Short: "Retire devices: they keep their history, get no jobs and report nothing",
		Args: cobra.MinimumNArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
			return a.bulk(args, api.BulkDevicesRequest{Action: api.BulkRetire})
		}}
	restore := &cobra.Command{Use: "restore DEVICE...", Short: "Restore retired devices",
		Args: cobra.MinimumNArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
			return a.bulk(args, api.BulkDevicesRequest{Action: api.BulkRestore})
		}}
	var client, folder string
	var setFolder bool
	move := &cobra.Command{Use: "move DEVICE... [--client CLIENT] [--folder FOLDER]", Short: "Move devices to another client and/or folder",
		Args: cobra.MinimumNArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
			setFolder = cmd.Flags().Changed("folder")
			if client == "" && !setFolder {
				return errors.New("give --client and/or --folder")
			}
			req := api.BulkDevicesRequest{Action: api.BulkMove, Client: client}
			if setFolder {
				req.Group = &folder
			}
			return a.bulk(args, req)
		}}
	move.Flags().StringVar(&client, "client", "", "client name or ID to move the devices to")
	move.Flags().StringVar(&folder, "folder", "", `folder to put the devices in ("" = none)`)
	var off bool
	fav := &cobra.Command{Use: "favourite DEVICE... [--off]", Aliases: []string{"favorite"}, Short: "Star devices (your favourites); --off unstars",
		Args: cobra.MinimumNArgs(1), RunE: func(cmd *cobra.Command, args []string) error {
			action := api.BulkFavorite
			if off {
				action = api.BulkUnfavorite
			}
			return a.bulk(args, api.BulkDevicesRequest{Action: action})
		}}
	fav.Flags().BoolVar(&off, "off", false, "unstar instead")
	return []*cobra.Command{retire, restore, move, fav}
}

// limitText shows a limit, 0 as "unlimited".
func limitText(n int) string {
	if n <= 0 {
		return "unlimited"
	}
	return strconv.Itoa(n)
}

func (a *App) printSeats(s api.Seats) error {
	return a.print(s, []string{"MODULE", "USED", "LIMIT", "AVAILABLE", "FIXED BY FLAG"}, func() [][]string {
		avail := func(used, lim int) string {
			if lim <= 0 {
				return "unlimited"
			}
			return strconv.Itoa(max(lim-used, 0))
		}
		var rows [][]string
		for _, m := range s.Modules {
			rows = append(rows, []string{m.Label + " seats", strconv.Itoa(m.Used), limitText(m.Limit), avail(m.Used, m.Limit),
				strconv.FormatBool(m.Fixed)})
		}
		rows = append(rows, []string{"devices", strconv.Itoa(s.Devices.Used), limitText(s.Devices.Limit),
			avail(s.Devices.Used, s.Devices.Limit), strconv.FormatBool(s.Devices.Fixed)})
		return rows
	})
}

// seatsCmd is "seats show|set".
func (a *App) seatsCmd() *cobra.Command {
	c := &cobra.Command{Use: "seats", Short: "Technician seats and the device limit (the account plan)"}
	show := &cobra.Command{Use: "show", Short: "Seats used and available per module, devices against the limit",
		RunE: func(cmd *cobra.Command, args []string) error {
			var s api.Seats
			if err := a.client().Do("GET", "/api/v1/seats", nil, &s); err != nil {
				return err
			}
			return a.printSeats(s)
		}}
	var rs, sd, dev int
	set := &cobra.Command{Use: "set [--remote-support N] [--service-desk N] [--devices N]", Short: "Set limits (0 = unlimited)",
		RunE: func(cmd *cobra.Command, args []string) error {
			var req api.SetPlanRequest
			fl := cmd.Flags()
			for name, dst := range map[string]struct {
				v   int
				dst **int
			}{"remote-support": {rs, &req.RemoteSupport}, "service-desk": {sd, &req.ServiceDesk}, "devices": {dev, &req.DeviceLimit}} {
				if fl.Changed(name) {
					if err := intFlag(name, dst.v, 0, 1000000, ""); err != nil {
						return err
					}
					*dst.dst = ptr(dst.v)
				}
			}
			if req.RemoteSupport == nil && req.ServiceDesk == nil && req.DeviceLimit == nil {
				return errors.New("give --remote-support, --service-desk and/or --devices")
			}
			var s api.Seats
			if err := a.client().Do("PUT", "/api/v1/seats", req, &s); err != nil {
				return err
			}
			return a.printSeats(s)
		}}
	set.Flags().IntVar(&rs, "remote-support", 0, "remote support seats (scripts, shells, power, patches, services)")
	set.Flags().IntVar(&sd, "service-desk", 0, "service desk seats (tickets)")
	set.Flags().IntVar(&dev, "devices", 0, "device limit (enrolled, not retired)")
	c.AddCommand(show, set)
	return c
}

// seatModules maps what people type to module names.
var seatModules = map[string]string{"remote-support": "remote_support", "remote_support": "remote_support",
	"service-desk": "service_desk", "service_desk": "service_desk"}

// usersSeatCmd is "users seat USER MODULE on|off".
func (a *App) usersSeatCmd() *cobra.Command {
	return &cobra.Command{Use: "seat USER MODULE on|off", Short: "Give or take away a user's seat (remote-support or service-desk)",
		Args: cobra.ExactArgs(3), RunE: func(cmd *cobra.Command, args []string) error {
			m, ok := seatModules[strings.ToLower(args[1])]
			if !ok {
				return fmt.Errorf("module must be remote-support or service-desk, not %q", Clean(args[1]))
			}
			var on bool
			switch strings.ToLower(args[2]) {
			case "on":
				on = true
			case "off":
			default:
				return errors.New("give on or off")
			}
			id, err := a.userID(args[0])
			if err != nil {
				return err
			}
			var out api.User
			if err := a.client().Do("PUT", "/api/v1/users/"+url.PathEscape(id)+"/seats/"+m, api.SetSeatRequest{Enabled: on}, &out); err != nil {
				return err
			}
			return printRecords(a, []api.User{out}, []string{"ID", "NAME", "ROLE", "SEATS"}, func(u api.User) []string {
				return []string{u.ID, u.Name, u.Role, seatsText(u.Seats)}
			})
		}}
}

// seatsText lists seat modules as people write them.
func seatsText(ms []string) string {
	if len(ms) == 0 {
		return "none"
	}
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = strings.ReplaceAll(m, "_", "-")
	}
	return strings.Join(out, ", ")
}
