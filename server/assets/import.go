package assets

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// CSV import. The body is CSV with a header row naming the columns (any
// order, any case): name and serial are required; type, status, model,
// folder, contact (an ID), purchase_date, warranty_expiry,
// warranty_months and notes are optional. A row matches the client's
// asset of the same serial: identical, it is unchanged; otherwise it
// updates it (a device link stays). Without ?apply=1 nothing is written
// (a preview); with it the good rows are written. Every bad row is
// reported with its line and reason, and is never written.

const maxImport = 5 << 20

var importColumns = []string{"name", "type", "status", "serial", "model", "folder", "contact", "purchase_date",
	"warranty_expiry", "warranty_months", "notes"}

func (w *Wing) importCSV(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	c, ok := w.d.Clients.ResolveClient(p, r.PathValue("client"))
	if !ok {
		httpx.WriteError(rw, 404, "client not found")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, maxImport))
	if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
		httpx.WriteError(rw, 413, "request body too large: limit "+strconv.Itoa(maxImport)+" bytes")
		return
	}
	if err != nil {
		httpx.WriteError(rw, 400, "reading the CSV: "+err.Error())
		return
	}
	apply := r.URL.Query().Get("apply") == "1"
	out, err := w.runImport(p, c, body, apply)
	if err != nil {
		httpx.WriteError(rw, 400, err.Error())
		return
	}
	if apply {
		w.d.Audit.AuditP(p, "asset.import", c.ID, map[string]string{"client": c.ID, "created": strconv.Itoa(out.Created),
			"updated": strconv.Itoa(out.Updated), "unchanged": strconv.Itoa(out.Unchanged), "errors": strconv.Itoa(len(out.Errors))})
	}
	httpx.WriteJSON(rw, 200, out)
}

// runImport checks every row, and writes the good ones when apply is set.
func (w *Wing) runImport(p *httpx.Principal, c store.Client, body []byte, apply bool) (api.AssetImport, error) {
	out := api.AssetImport{Applied: apply, Rows: []api.AssetImportRow{}, Errors: []api.AssetImportError{}}
	rd := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(body), "\ufeff")))
	rd.FieldsPerRecord = -1
	head, err := rd.Read()
	if err != nil {
		return out, errors.New("the CSV needs a header row naming its columns (name, serial, ...)")
	}
	col := map[string]int{}
	for i, h := range head {
		h = strings.ToLower(strings.TrimSpace(h))
		known := false
		for _, k := range importColumns {
			known = known || k == h
		}
		if !known {
			return out, fmt.Errorf("unknown column %q: the columns are %s", httpx.CleanText(h, 64), strings.Join(importColumns, ", "))
		}
		col[h] = i
	}
	if _, ok := col["name"]; !ok {
		return out, errors.New("the CSV needs a name column")
	}
	if _, ok := col["serial"]; !ok {
		return out, errors.New("the CSV needs a serial column: a re-import finds assets by serial")
	}
	seen := map[string]int{}
	now := w.d.Now().UTC()
	for {
		rec, err := rd.Read()
		if err == io.EOF {
			break
		}
		line, _ := rd.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			out.Errors = append(out.Errors, api.AssetImportError{Line: line, Reason: "malformed CSV: " + err.Error()})
			continue
		}
		get := func(k string) string {
			if i, ok := col[k]; ok && i < len(rec) {
				return rec[i]
			}
			return ""
		}
		bad := func(reason string) { out.Errors = append(out.Errors, api.AssetImportError{Line: line, Reason: reason}) }
		months := 0
		if s := strings.TrimSpace(get("warranty_months")); s != "" {
			if months, err = strconv.Atoi(s); err != nil {
				bad("warranty_months must be a number")
				continue
			}
		}
		req := api.AssetRequest{Name: get("name"), Type: get("type"), Status: get("status"), Serial: get("serial"), Model: get("model"),
			Folder: get("folder"), ContactID: get("contact"), PurchaseDate: get("purchase_date"), WarrantyExpiry: get("warranty_expiry"),
			WarrantyMonths: months, Notes: get("notes")}
		if strings.TrimSpace(req.Serial) == "" {
			bad("serial is required: a re-import finds assets by serial")
			continue
		}
		key := strings.ToLower(strings.TrimSpace(req.Serial))
		if first, dup := seen[key]; dup {
			bad("serial " + strconv.Quote(strings.TrimSpace(req.Serial)) + " is also on line " + strconv.Itoa(first))
			continue
		}
		seen[key] = line
		a := store.Asset{ID: httpx.NewID("as"), ClientID: c.ID, CreatedAt: now}
		old, err := w.d.Store.AssetBySerial(c.ID, strings.TrimSpace(req.Serial))
		exists := err == nil
		if exists {
			a = old
			req.DeviceID = old.DeviceID // the file has no device column: a link stays
		}
		if err := w.fill(p, &a, &req); err != nil {
			bad(err.Error())
			continue
		}
		row := api.AssetImportRow{Line: line, Name: a.Name, Serial: a.Serial, ID: a.ID, Action: "create"}
		switch {
		case exists && same(&old, &a):
			row.Action = "unchanged"
			out.Unchanged++
		case exists:
			row.Action = "update"
			out.Updated++
		default:
			out.Created++
		}
		if !exists {
			row.ID = ""
		}
		if apply && row.Action != "unchanged" {
			a.UpdatedAt, a.UpdatedBy = now, p.Name
			if err := w.d.Store.PutAsset(a); err != nil {
				bad("not saved: " + err.Error())
				continue
			}
			row.ID = a.ID
		}
		out.Rows = append(out.Rows, row)
	}
	return out, nil
}

// same reports whether an import leaves an asset as it is.
func same(a, b *store.Asset) bool {
	return a.Name == b.Name && a.Type == b.Type && a.Status == b.Status && a.Serial == b.Serial && a.Model == b.Model &&
		a.Folder == b.Folder && a.ContactID == b.ContactID && a.DeviceID == b.DeviceID && a.PurchaseDate.Equal(b.PurchaseDate) &&
		a.WarrantyExpiry.Equal(b.WarrantyExpiry) && a.Notes == b.Notes
}
