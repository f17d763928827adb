package ctl

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/steward-rmm/steward/api"
)

// assetsCmd manages client assets.
func (a *App) assetsCmd() *cobra.Command {
	c := &cobra.Command{Use: "assets", Short: "Client assets: hardware, phones, licences; CSV import; warranties"}
	cols := []string{"ID", "NAME", "CLIENT", "TYPE", "STATUS", "SERIAL", "FOLDER", "DEVICE", "WARRANTY"}
	row := func(x api.Asset) []string {
		return []string{x.ID, x.Name, x.ClientName, x.Type, x.Status, x.Serial, x.Folder, x.DeviceName, x.WarrantyExpiry}
	}

	var client, search, group string
	list := &cobra.Command{Use: "list [--client C] [--search TEXT] [--group-by type|folder|contact|status]", Short: "List assets",
		RunE: func(cmd *cobra.Command, _ []string) error {
			path := "/api/v1/assets"
			if client != "" {
				path = "/api/v1/clients/" + url.PathEscape(client) + "/assets"
			}
			q := url.Values{}
			if search != "" {
				q.Set("q", search)
			}
			if group != "" {
				q.Set("group_by", group)
			}
			var out api.AssetList
			if err := a.client().Do("GET", path+"?"+q.Encode(), nil, &out); err != nil {
				return err
			}
			if a.output == "json" {
				return JSON(a.Out, out)
			}
			if group != "" {
				for _, g := range out.Groups {
					k := g.Key
					if k == "" {
						k = "(none)"
					}
					fmt.Fprintf(a.Out, "%s: %d\n", Clean(k), g.Count)
				}
				fmt.Fprintln(a.Out)
			}
			return printRecords(a, out.Assets, cols, row)
		}}
	list.Flags().StringVar(&client, "client", "", "only this client's assets (ID or name)")
	list.Flags().StringVar(&search, "search", "", "name, type, serial, folder or contact contains this")
	list.Flags().StringVar(&group, "group-by", "", "type, folder, contact or status")

	var req api.AssetRequest
	var addClient string
	add := &cobra.Command{Use: "add NAME --client C [flags]", Args: cobra.ExactArgs(1), Short: "Add an asset",
		RunE: func(cmd *cobra.Command, args []string) error {
			req.Name = args[0]
			var out api.Asset
			if err := a.client().Do("POST", "/api/v1/clients/"+url.PathEscape(addClient)+"/assets", req, &out); err != nil {
				return err
			}
			if a.output == "json" {
				return JSON(a.Out, out)
			}
			fmt.Fprintf(a.Out, "added %s (%s)\n", Clean(out.Name), out.ID)
			return nil
		}}
	f := add.Flags()
	f.StringVar(&addClient, "client", "", "the client (ID or name)")
	f.StringVar(&req.Type, "type", "", "asset type")
	f.StringVar(&req.Status, "status", "", `"in use" (default), "in stock", purchased, damaged or retired`)
	f.StringVar(&req.Serial, "serial", "", "serial number")
	f.StringVar(&req.Model, "model", "", "model")
	f.StringVar(&req.Folder, "folder", "", "folder")
	f.StringVar(&req.ContactID, "contact", "", "contact ID")
	f.StringVar(&req.DeviceID, "device", "", "the managed device it is (device ID)")
	f.StringVar(&req.PurchaseDate, "purchased", "", "purchase date YYYY-MM-DD")
	f.StringVar(&req.WarrantyExpiry, "warranty-until", "", "warranty expiry YYYY-MM-DD")
	f.IntVar(&req.WarrantyMonths, "warranty-months", 0, "warranty months from the purchase date")
	_ = add.MarkFlagRequired("client")

	var impClient string
	var apply bool
	imp := &cobra.Command{Use: "import FILE.csv --client C [--apply]", Args: cobra.ExactArgs(1),
		Short: "Import assets from CSV (header: name, serial, type, status, model, folder, contact, purchase_date, warranty_expiry, warranty_months, notes); a preview unless --apply",
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			path := "/api/v1/clients/" + url.PathEscape(impClient) + "/assets/import"
			if apply {
				path += "?apply=1"
			}
			var out api.AssetImport
			if err := a.client().stream("POST", path, bytes.NewReader(b), int64(len(b)), &out, nil); err != nil {
				return err
			}
			if a.output == "json" {
				return JSON(a.Out, out)
			}
			verb := "would create"
			if out.Applied {
				verb = "created"
			}
			fmt.Fprintf(a.Out, "%s %d, updated %d, unchanged %d, %d bad rows\n", verb, out.Created, out.Updated, out.Unchanged, len(out.Errors))
			for _, e := range out.Errors {
				fmt.Fprintf(a.Out, "line %d: %s\n", e.Line, Clean(e.Reason))
			}
			if len(out.Errors) > 0 {
				return fmt.Errorf("%d bad rows", len(out.Errors))
			}
			return nil
		}}
	imp.Flags().StringVar(&impClient, "client", "", "the client (ID or name)")
	imp.Flags().BoolVar(&apply, "apply", false, "write the good rows (default: a preview)")
	_ = imp.MarkFlagRequired("client")

	var wClient string
	var days int
	warranty := &cobra.Command{Use: "warranty --client C [--days N]", Short: "Assets whose warranty expires within N days",
		RunE: func(cmd *cobra.Command, _ []string) error {
			var out []api.Asset
			if err := a.client().Do("GET", "/api/v1/clients/"+url.PathEscape(wClient)+"/assets/warranty?days="+strconv.Itoa(days), nil, &out); err != nil {
				return err
			}
			return printRecords(a, out, cols, row)
		}}
	warranty.Flags().StringVar(&wClient, "client", "", "the client (ID or name)")
	warranty.Flags().IntVar(&days, "days", 30, "days ahead")
	_ = warranty.MarkFlagRequired("client")

	del := &cobra.Command{Use: "delete ID", Aliases: []string{"remove"}, Args: cobra.ExactArgs(1), Short: "Delete an asset",
		RunE: func(cmd *cobra.Command, args []string) error {
			var out api.AssetDeleted
			if err := a.client().Do("DELETE", "/api/v1/assets/"+url.PathEscape(args[0]), nil, &out); err != nil {
				return err
			}
			fmt.Fprintf(a.Out, "deleted %s (%s)\n", Clean(out.Name), out.Deleted)
			return nil
		}}

	types := &cobra.Command{Use: "types [TYPE...]", Short: "Show the asset types, or set them (admins)",
		RunE: func(cmd *cobra.Command, args []string) error {
			var out api.AssetTypes
			var err error
			if len(args) == 0 {
				err = a.client().Do("GET", "/api/v1/asset-types", nil, &out)
			} else {
				err = a.client().Do("PUT", "/api/v1/asset-types", api.AssetTypes{Types: args}, &out)
			}
			if err != nil {
				return err
			}
			for _, t := range out.Types {
				fmt.Fprintln(a.Out, Clean(t))
			}
			return nil
		}}
	c.AddCommand(list, add, imp, warranty, del, types)
	return c
}
