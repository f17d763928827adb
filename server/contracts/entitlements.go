package contracts

import (
	"encoding/csv"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// maxQuantity bounds a quantity sold or consumed.
const maxQuantity = 1e7

// findEntitlement returns a contract p may see and its entitlement.
func (w *Wing) findEntitlement(p *httpx.Principal, r *http.Request) (store.Contract, store.Entitlement, bool) {
	c, ok := w.find(p, r.PathValue("contracts"))
	if !ok {
		return c, store.Entitlement{}, false
	}
	e, err := w.d.Store.Entitlement(r.PathValue("entitlements"))
	if err != nil || e.ContractID != c.ID {
		return c, e, false
	}
	return c, e, true
}

// fillEntitlement checks req and sets e's fields from it.
func fillEntitlement(e *store.Entitlement, req *api.EntitlementRequest) error {
	var err error
	if e.Name, err = httpx.CleanName("name", req.Name, httpx.MaxNameRunes); err != nil {
		return err
	}
	if e.Expiry, err = parseDate("expiry", req.Expiry); err != nil {
		return err
	}
	e.Consumable, e.AllowOver = req.Consumable, req.AllowOver
	e.Unit, e.Quantity = "", 0
	if !req.Consumable {
		return nil
	}
	e.Unit = strings.ToLower(strings.TrimSpace(req.Unit))
	if e.Unit == "" {
		e.Unit = store.UnitHours
	}
	if !unitRE.MatchString(e.Unit) {
		return errors.New("unit must be hours, tickets, visits, training_days or a custom unit of 1-32 lower-case letters, digits or _")
	}
	if math.IsNaN(req.Quantity) || req.Quantity < 0 || req.Quantity > maxQuantity {
		return errors.New("quantity must be 0 to 10000000")
	}
	e.Quantity = qty(req.Quantity)
	return nil
}

func (w *Wing) addEntitlement(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	c, ok := w.find(p, r.PathValue("contracts"))
	if !ok {
		httpx.WriteError(rw, 404, "contract not found")
		return
	}
	var req api.EntitlementRequest
	if err := httpx.DecodeBody(r, &req, 16<<10); err != nil {
		httpx.WriteBodyError(rw, err)
		return
	}
	now := w.d.Now().UTC()
	e := store.Entitlement{ID: httpx.NewID("en"), ContractID: c.ID, ClientID: c.ClientID, CreatedAt: now, UpdatedAt: now, UpdatedBy: p.Name}
	if err := fillEntitlement(&e, &req); err != nil {
		httpx.WriteError(rw, 400, err.Error())
		return
	}
	w.saveEntitlement(rw, p, &c, &e, "contract.entitlement.add", 201)
}

func (w *Wing) updateEntitlement(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	c, e, ok := w.findEntitlement(p, r)
	if !ok {
		httpx.WriteError(rw, 404, "entitlement not found")
		return
	}
	var req api.EntitlementRequest
	if err := httpx.DecodeBody(r, &req, 16<<10); err != nil {
		httpx.WriteBodyError(rw, err)
		return
	}
	e.UpdatedAt, e.UpdatedBy = w.d.Now().UTC(), p.Name
	if err := fillEntitlement(&e, &req); err != nil {
		httpx.WriteError(rw, 400, err.Error())
		return
	}
	w.saveEntitlement(rw, p, &c, &e, "contract.entitlement.update", 200)
}

func (w *Wing) saveEntitlement(rw http.ResponseWriter, p *httpx.Principal, c *store.Contract, e *store.Entitlement, action string, code int) {
	if err := w.d.Store.PutEntitlement(*e); err != nil {
		httpx.WriteError(rw, 500, "internal error")
		return
	}
	saved, err := w.d.Store.Entitlement(e.ID)
	if err != nil {
		httpx.WriteError(rw, 500, "internal error")
		return
	}
	w.d.Audit.AuditP(p, action, e.ID, map[string]string{"client": c.ClientID, "contract": c.ID, "name": e.Name,
		"consumable": strconv.FormatBool(e.Consumable), "unit": e.Unit, "quantity": strconv.FormatFloat(e.Quantity, 'f', -1, 64),
		"expiry": date(e.Expiry), "allow_over": strconv.FormatBool(e.AllowOver)})
	httpx.WriteJSON(rw, code, entitlementAPI(&saved, c, w.today(), w.d.Config.SoonDays))
}

func (w *Wing) deleteEntitlement(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	c, e, ok := w.findEntitlement(p, r)
	if !ok {
		httpx.WriteError(rw, 404, "entitlement not found")
		return
	}
	if err := w.d.Store.DeleteEntitlement(e.ID); err != nil {
		if errors.Is(err, store.ErrConflict) {
			httpx.WriteError(rw, 409, "entitlement "+strconv.Quote(e.Name)+" has consumption recorded; it stays so that what was delivered stays on record")
			return
		}
		httpx.WriteError(rw, 404, "entitlement not found")
		return
	}
	w.d.Audit.AuditP(p, "contract.entitlement.delete", e.ID, map[string]string{"client": c.ClientID, "contract": c.ID, "name": e.Name})
	httpx.WriteJSON(rw, 200, api.OK{OK: true})
}

// consumptions is an entitlement's drill-down: every consumption, oldest
// first, as JSON or (?format=csv) a CSV whose cells are all made safe.
func (w *Wing) consumptions(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	c, e, ok := w.findEntitlement(p, r)
	if !ok {
		httpx.WriteError(rw, 404, "entitlement not found")
		return
	}
	format := r.URL.Query().Get("format")
	if format != "" && format != "csv" && format != "json" {
		httpx.WriteError(rw, 400, "format must be json or csv")
		return
	}
	cs, err := w.d.Store.Consumptions(store.ConsumptionQuery{ClientID: c.ClientID, Scope: p.Scope(), ContractID: c.ID, EntitlementID: e.ID})
	if err != nil {
		httpx.WriteError(rw, 500, "internal error")
		return
	}
	if format == "csv" {
		writeConsumptionsCSV(rw, &c, &e, cs)
		return
	}
	out := api.ConsumptionList{Entitlement: entitlementAPI(&e, &c, w.today(), w.d.Config.SoonDays), Consumptions: []api.Consumption{}}
	names, ents := map[string]string{c.ID: c.Name}, map[string]string{e.ID: e.Name}
	for i := range cs {
		out.Consumptions = append(out.Consumptions, consumptionAPI(&cs[i], names, ents))
	}
	httpx.WriteJSON(rw, 200, out)
}

// writeConsumptionsCSV exports a drill-down; every cell goes through
// httpx.CSVSafe, so a note "=HYPERLINK(...)" stays text in a spreadsheet.
func writeConsumptionsCSV(rw http.ResponseWriter, c *store.Contract, e *store.Entitlement, cs []store.Consumption) {
	rw.Header().Set("Content-Type", "text/csv; charset=utf-8")
	rw.Header().Set("Content-Disposition", `attachment; filename="consumption-`+e.ID+`.csv"`)
	cw := csv.NewWriter(rw)
	_ = cw.Write([]string{"date", "contract", "entitlement", "unit", "quantity", "ticket", "technician", "source", "note", "over"})
	for _, x := range cs {
		ticket := ""
		if x.TicketNumber > 0 {
			ticket = strconv.FormatInt(x.TicketNumber, 10)
		}
		row := []string{x.At.UTC().Format(time.RFC3339), c.Name, e.Name, x.Unit, strconv.FormatFloat(qty(x.Quantity), 'f', -1, 64),
			ticket, x.UserName, x.SourceKind, x.Note, strconv.FormatBool(x.Over)}
		for i := range row {
			row[i] = httpx.CSVSafe(row[i])
		}
		_ = cw.Write(row)
	}
	cw.Flush()
}

// deliver records a manual delivery (an on-site visit, a training day)
// against a consumable entitlement.
func (w *Wing) deliver(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	c, e, ok := w.findEntitlement(p, r)
	if !ok {
		httpx.WriteError(rw, 404, "entitlement not found")
		return
	}
	var req api.ConsumptionRequest
	if err := httpx.DecodeBody(r, &req, 16<<10); err != nil {
		httpx.WriteBodyError(rw, err)
		return
	}
	if !e.Consumable {
		httpx.WriteError(rw, 400, "entitlement "+strconv.Quote(e.Name)+" is a benefit: it is listed, not consumed")
		return
	}
	if math.IsNaN(req.Quantity) || req.Quantity <= 0 || req.Quantity > maxQuantity {
		httpx.WriteError(rw, 400, "quantity must be more than 0 and at most 10000000")
		return
	}
	if req.TicketNumber < 0 {
		httpx.WriteError(rw, 400, "ticket_number must not be negative")
		return
	}
	on, err := parseDate("date", req.Date)
	if err != nil {
		httpx.WriteError(rw, 400, err.Error())
		return
	}
	at := w.d.Now().UTC()
	if !on.IsZero() {
		at = midday(on)
	}
	id := httpx.NewID("cu")
	x := store.Consumption{ID: id, ClientID: c.ClientID, ContractID: c.ID, EntitlementID: e.ID, Unit: e.Unit, Quantity: qty(req.Quantity),
		At: at, SourceKind: store.SourceManual, SourceID: id, TicketNumber: req.TicketNumber, UserID: p.UserID, UserName: p.Name,
		Note: httpx.CleanText(req.Note, 2000), CreatedAt: w.d.Now().UTC()}
	saved, err := w.d.Store.RecordConsumption(x)
	if errors.Is(err, store.ErrConflict) {
		httpx.WriteError(rw, 409, err.Error())
		return
	}
	if err != nil {
		httpx.WriteError(rw, 500, "internal error")
		return
	}
	w.d.Audit.AuditP(p, "contract.consume", saved.ID, map[string]string{"client": c.ClientID, "contract": c.ID, "entitlement": e.ID,
		"unit": e.Unit, "quantity": strconv.FormatFloat(saved.Quantity, 'f', -1, 64), "date": date(saved.At),
		"over": strconv.FormatBool(saved.Over)})
	httpx.WriteJSON(rw, 201, consumptionAPI(&saved, map[string]string{c.ID: c.Name}, map[string]string{e.ID: e.Name}))
}

// deleteConsumption removes a manual delivery entered by mistake; those
// from tickets and time entries follow their source (Release).
func (w *Wing) deleteConsumption(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	c, ok := w.find(p, r.PathValue("contracts"))
	if !ok {
		httpx.WriteError(rw, 404, "consumption not found")
		return
	}
	x, err := w.d.Store.Consumption(r.PathValue("consumptions"))
	if err != nil || x.ContractID != c.ID {
		httpx.WriteError(rw, 404, "consumption not found")
		return
	}
	if x.SourceKind != store.SourceManual {
		httpx.WriteError(rw, 409, "this consumption comes from a "+strings.ReplaceAll(x.SourceKind, "_", " ")+
			"; change or delete that instead")
		return
	}
	if err := w.d.Store.DeleteConsumption(x.ID); err != nil {
		httpx.WriteError(rw, 404, "consumption not found")
		return
	}
	w.d.Audit.AuditP(p, "contract.consume.delete", x.ID, map[string]string{"client": c.ClientID, "contract": c.ID,
		"entitlement": x.EntitlementID, "quantity": strconv.FormatFloat(x.Quantity, 'f', -1, 64)})
	httpx.WriteJSON(rw, 200, api.OK{OK: true})
}
