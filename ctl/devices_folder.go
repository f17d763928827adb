package ctl

import (
	"net/url"

	"github.com/spf13/cobra"
	"github.com/steward-rmm/steward/api"
)

// devicesSetFolderCmd is "devices set-folder DEVICE FOLDER": it puts a
// device in a folder (the dashboard's Folder column; "group" in the API).
// An empty FOLDER takes the device out of its folder.
func (a *App) devicesSetFolderCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "set-folder DEVICE FOLDER",
		Short: `Put a device in a folder ("" removes it from its folder)`,
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := a.resolveDevice(args[0])
			if err != nil {
				return err
			}
			var out api.DeviceResponse
			if err := a.client().Do("PATCH", "/api/v1/devices/"+url.PathEscape(id), api.UpdateDeviceRequest{Group: &args[1]}, &out); err != nil {
				return err
			}
			return a.print(out, []string{"ID", "HOSTNAME", "FOLDER"}, func() [][]string {
				return [][]string{{out.Device.ID, out.Device.Hostname, out.Device.Group}}
			})
		},
	}
}
