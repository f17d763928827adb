// Package assets is the wing for client assets: things a client owns
// (hardware, phones, licences) with a type from an admin-defined list, a
// status, purchase and warranty dates, serial, folder, the contact it is
// with and the managed device it is. Searched and grouped within the
// caller's scope, imported from CSV (import.go), and listed by warranty
// expiry for the client overview.
package assets

import (
	"cmp"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/auditlog"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// Store is the part of the store the wing uses.
type Store interface {
	store.AssetStore
	Clients() ([]store.Client, error)
}

// Clients resolves a client by ID or name within the caller's scope.
type Clients interface {
	ResolveClient(p *httpx.Principal, ref string) (store.Client, bool)
}

// Devices finds a managed device within the caller's scope (the device
// routes' lookup), and a found device's hardware identity from its latest
// inventory (empty strings when it has none).
type Devices interface {
	Device(p *httpx.Principal, id string) (fleet.View, bool)
	Hardware(deviceID string) (manufacturer, model, serial string)
}

// Contacts finds a client's contact by ID within the caller's scope (the
// contacts wing, once wired). nil: a contact ID is kept as given, checked
// only for its form.
type Contacts interface {
	Contact(p *httpx.Principal, clientID, id string) (name string, ok bool)
}

// Deps are what the assets wing is built from.
type Deps struct {
	Store    Store
	Clients  Clients
	Devices  Devices
	Contacts Contacts // optional
	Audit    auditlog.Writer
	Now      httpx.Clock
}

// Wing serves client assets.
type Wing struct{ d Deps }

// New builds the assets wing.
func New(d Deps) *Wing { return &Wing{d: d} }

// Routes lists the wing's routes.
func (w *Wing) Routes() []httpx.Route {
	view, edit := httpx.NeedPerm(httpx.PermView), httpx.NeedPerm(httpx.PermAssets)
	return []httpx.Route{
		httpx.R("GET", "/api/v1/assets", view, w.search),
		httpx.R("GET", "/api/v1/clients/{client}/assets", view, w.list),
		httpx.R("POST", "/api/v1/clients/{client}/assets", edit, w.create),
		httpx.R("POST", "/api/v1/clients/{client}/assets/import", edit, w.importCSV),
		httpx.R("GET", "/api/v1/clients/{client}/assets/warranty", view, w.warranty),
		httpx.R("GET", "/api/v1/assets/{assets}", view, w.show),
		httpx.R("PUT", "/api/v1/assets/{assets}", edit, w.update),
		httpx.R("DELETE", "/api/v1/assets/{assets}", edit, w.remove),
		httpx.R("GET", "/api/v1/asset-types", view, w.types),
		httpx.R("PUT", "/api/v1/asset-types", httpx.NeedPerm(httpx.PermAdmin), w.setTypes),
	}
}

const dateFmt = "2006-01-02"

func date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(dateFmt)
}

func (w *Wing) toAPI(p *httpx.Principal, a *store.Asset, names map[string]string) api.Asset {
	out := api.Asset{ID: a.ID, ClientID: a.ClientID, ClientName: names[a.ClientID], Name: a.Name, Type: a.Type, Status: a.Status,
		Serial: a.Serial, Model: a.Model, Folder: a.Folder, ContactID: a.ContactID, DeviceID: a.DeviceID,
		PurchaseDate: date(a.PurchaseDate), WarrantyExpiry: date(a.WarrantyExpiry), Notes: a.Notes,
		CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt, UpdatedBy: a.UpdatedBy}
	if a.DeviceID != "" {
		if v, ok := w.d.Devices.Device(p, a.DeviceID); ok {
			out.DeviceName = v.Hostname
			_, out.DeviceModel, out.DeviceSerial = w.deviceHardware(v.ID)
		}
	}
	if a.ContactID != "" && w.d.Contacts != nil {
		out.ContactName, _ = w.d.Contacts.Contact(p, a.ClientID, a.ContactID)
	}
	return out
}

func (w *Wing) clientNames() map[string]string {
	m := map[string]string{}
	cs, _ := w.d.Store.Clients()
	for _, c := range cs {
		m[c.ID] = c.Name
	}
	return m
}

var groupBy = map[string]func(*store.Asset) string{
	"type": func(a *store.Asset) string { return a.Type }, "folder": func(a *store.Asset) string { return a.Folder },
	"contact": func(a *store.Asset) string { return a.ContactID }, "status": func(a *store.Asset) string { return a.Status },
}

func (w *Wing) search(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	w.writeList(rw, r, p, store.AssetQuery{Scope: p.Scope()})
}

func (w *Wing) list(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	c, ok := w.d.Clients.ResolveClient(p, r.PathValue("client"))
	if !ok {
		httpx.WriteError(rw, 404, "client not found")
		return
	}
	w.writeList(rw, r, p, store.AssetQuery{ClientID: c.ID, Scope: p.Scope()})
}

// writeList answers ?q= (name, type, serial, folder, contact), ?type=,
// ?status=, ?folder=, ?contact=, ?device= and ?group_by=.
func (w *Wing) writeList(rw http.ResponseWriter, r *http.Request, p *httpx.Principal, q store.AssetQuery) {
	v := r.URL.Query()
	q.Text = httpx.CleanText(strings.TrimSpace(v.Get("q")), 200)
	q.Type, q.Status, q.Folder, q.ContactID, q.DeviceID = v.Get("type"), v.Get("status"), v.Get("folder"), v.Get("contact"), v.Get("device")
	key := groupBy[v.Get("group_by")]
	if v.Get("group_by") != "" && key == nil {
		httpx.WriteError(rw, 400, "group_by must be type, folder, contact or status")
		return
	}
	as, err := w.d.Store.Assets(q)
	if err != nil {
		httpx.WriteError(rw, 500, "internal error")
		return
	}
	out := api.AssetList{Assets: []api.Asset{}}
	if key != nil {
		slices.SortStableFunc(as, func(a, b store.Asset) int { return cmp.Compare(key(&a), key(&b)) })
		for i := range as {
			if k := key(&as[i]); len(out.Groups) == 0 || out.Groups[len(out.Groups)-1].Key != k {
				out.Groups = append(out.Groups, api.AssetGroup{Key: k, Count: 1})
			} else {
				out.Groups[len(out.Groups)-1].Count++
			}
		}
	}
	names := w.clientNames()
	for i := range as {
		out.Assets = append(out.Assets, w.toAPI(p, &as[i], names))
	}
	httpx.WriteJSON(rw, 200, out)
}

// find returns an asset p may see; anything else is not found.
func (w *Wing) find(p *httpx.Principal, id string) (store.Asset, bool) {
	a, err := w.d.Store.Asset(id)
	if err != nil || !p.CanSeeClient(a.ClientID) {
		return store.Asset{}, false
	}
	return a, true
}

func (w *Wing) show(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	a, ok := w.find(p, r.PathValue("assets"))
	if !ok {
		httpx.WriteError(rw, 404, "asset not found")
		return
	}
	httpx.WriteJSON(rw, 200, w.toAPI(p, &a, w.clientNames()))
}

var refRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// fill checks req and sets a's fields from it (a keeps ID, client and
// creation). It returns a message for a 400.
func (w *Wing) fill(p *httpx.Principal, a *store.Asset, req *api.AssetRequest) error {
	var err error
	if a.Name, err = httpx.CleanName("name", req.Name, httpx.MaxNameRunes); err != nil {
		return err
	}
	opt := func(field, s string, max int) (string, error) {
		if strings.TrimSpace(s) == "" {
			return "", nil
		}
		return httpx.CleanName(field, s, max)
	}
	if a.Type, err = opt("type", req.Type, 64); err != nil {
		return err
	}
	if a.Type != "" {
		types, err := w.d.Store.AssetTypes()
		if err != nil {
			return err
		}
		if len(types) > 0 && !slices.Contains(types, a.Type) {
			return errors.New("type must be one of the asset types: " + strings.Join(types, ", "))
		}
	}
	a.Status = strings.TrimSpace(req.Status)
	if a.Status == "" {
		a.Status = store.AssetInUse
	}
	if !slices.Contains(store.AssetStatuses, a.Status) {
		return errors.New("status must be one of: " + strings.Join(store.AssetStatuses, ", "))
	}
	for _, f := range []struct {
		dst        *string
		name, from string
		max        int
	}{{&a.Serial, "serial", req.Serial, 128}, {&a.Model, "model", req.Model, 200}, {&a.Folder, "folder", req.Folder, 128}} {
		if *f.dst, err = opt(f.name, f.from, f.max); err != nil {
			return err
		}
	}
	a.Notes = httpx.CleanText(req.Notes, 10000)
	if a.PurchaseDate, err = parseDate("purchase_date", req.PurchaseDate); err != nil {
		return err
	}
	if a.WarrantyExpiry, err = parseDate("warranty_expiry", req.WarrantyExpiry); err != nil {
		return err
	}
	switch {
	case req.WarrantyMonths < 0 || req.WarrantyMonths > 1200:
		return errors.New("warranty_months must be 0 to 1200")
	case req.WarrantyMonths > 0 && a.WarrantyExpiry.IsZero():
		if a.PurchaseDate.IsZero() {
			return errors.New("warranty_months needs a purchase_date")
		}
		a.WarrantyExpiry = a.PurchaseDate.AddDate(0, req.WarrantyMonths, 0)
	}
	a.ContactID = strings.TrimSpace(req.ContactID)
	if a.ContactID != "" {
		if !refRE.MatchString(a.ContactID) {
			return errors.New("contact_id must be 1-64 letters, digits, _ or -")
		}
		if w.d.Contacts != nil {
			if _, ok := w.d.Contacts.Contact(p, a.ClientID, a.ContactID); !ok {
				return errors.New("contact not found among this client's contacts")
			}
		}
	}
	a.DeviceID = strings.TrimSpace(req.DeviceID)
	if a.DeviceID != "" {
		v, ok := w.d.Devices.Device(p, a.DeviceID)
		if !ok || v.Client != a.ClientID {
			return errors.New("device not found among this client's devices")
		}
		// From the inventory only where the person left the field empty:
		// what they typed is never overwritten.
		_, model, serial := w.deviceHardware(v.ID)
		if a.Serial == "" {
			a.Serial = serial
		}
		if a.Model == "" {
			a.Model = model
		}
	}
	return nil
}

// deviceHardware gives a device's manufacturer, model (with the
// manufacturer in front, as an asset's model is usually written: "Dell
// Inc. Latitude 7420") and serial, cleaned as asset fields are.
func (w *Wing) deviceHardware(id string) (manufacturer, model, serial string) {
	manufacturer, model, serial = w.d.Devices.Hardware(id)
	clean := func(s string, max int) string {
		c, err := httpx.CleanName("", s, max)
		if err != nil {
			return ""
		}
		return c
	}
	manufacturer, model, serial = clean(manufacturer, 200), clean(model, 200), clean(serial, 128)
	if manufacturer != "" && model != "" && !strings.HasPrefix(strings.ToLower(model), strings.ToLower(manufacturer)) {
		if both := clean(manufacturer+" "+model, 200); both != "" {
			model = both
		}
	}
	return manufacturer, model, serial
}

func parseDate(field, s string) (time.Time, error) {
	if s = strings.TrimSpace(s); s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(dateFmt, s)
	if err != nil {
		return t, errors.New(field + " must be a date YYYY-MM-DD")
	}
	return t, nil
}

func (w *Wing) create(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	c, ok := w.d.Clients.ResolveClient(p, r.PathValue("client"))
	if !ok {
		httpx.WriteError(rw, 404, "client not found")
		return
	}
	var req api.AssetRequest
	if err := httpx.DecodeBody(r, &req, 64<<10); err != nil {
		httpx.WriteBodyError(rw, err)
		return
	}
	now := w.d.Now().UTC()
	a := store.Asset{ID: httpx.NewID("as"), ClientID: c.ID, CreatedAt: now, UpdatedAt: now, UpdatedBy: p.Name}
	if err := w.fill(p, &a, &req); err != nil {
		httpx.WriteError(rw, 400, err.Error())
		return
	}
	w.save(rw, p, &a, "asset.create", 201)
}

func (w *Wing) update(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	a, ok := w.find(p, r.PathValue("assets"))
	if !ok {
		httpx.WriteError(rw, 404, "asset not found")
		return
	}
	var req api.AssetRequest
	if err := httpx.DecodeBody(r, &req, 64<<10); err != nil {
		httpx.WriteBodyError(rw, err)
		return
	}
	a.UpdatedAt, a.UpdatedBy = w.d.Now().UTC(), p.Name
	if err := w.fill(p, &a, &req); err != nil {
		httpx.WriteError(rw, 400, err.Error())
		return
	}
	w.save(rw, p, &a, "asset.update", 200)
}

func (w *Wing) save(rw http.ResponseWriter, p *httpx.Principal, a *store.Asset, action string, code int) {
	err := w.d.Store.PutAsset(*a)
	if errors.Is(err, store.ErrExists) {
		httpx.WriteError(rw, 409, "this client has an asset with serial "+strconv.Quote(a.Serial))
		return
	}
	if err != nil {
		httpx.WriteError(rw, 500, "internal error")
		return
	}
	w.d.Audit.AuditP(p, action, a.ID, map[string]string{"client": a.ClientID, "name": a.Name, "serial": a.Serial, "status": a.Status})
	httpx.WriteJSON(rw, code, w.toAPI(p, a, w.clientNames()))
}

func (w *Wing) remove(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	a, ok := w.find(p, r.PathValue("assets"))
	if !ok {
		httpx.WriteError(rw, 404, "asset not found")
		return
	}
	if err := w.d.Store.DeleteAsset(a.ID); err != nil {
		httpx.WriteError(rw, 404, "asset not found")
		return
	}
	w.d.Audit.AuditP(p, "asset.delete", a.ID, map[string]string{"client": a.ClientID, "name": a.Name, "serial": a.Serial})
	httpx.WriteJSON(rw, 200, api.AssetDeleted{Deleted: a.ID, Name: a.Name})
}

// ExpiringWarranties lists a client's assets (not retired) whose warranty
// expires within days from today (expired ones not included), soonest
// first: for the client overview.
func (w *Wing) ExpiringWarranties(p *httpx.Principal, clientID string, days int) ([]api.Asset, error) {
	today := w.d.Now().UTC().Truncate(24 * time.Hour)
	as, err := w.d.Store.Assets(store.AssetQuery{ClientID: clientID, Scope: p.Scope(), WarrantyFrom: today,
		WarrantyBefore: today.AddDate(0, 0, days+1)})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(as, func(a, b store.Asset) int { return a.WarrantyExpiry.Compare(b.WarrantyExpiry) })
	names := w.clientNames()
	out := make([]api.Asset, 0, len(as))
	for i := range as {
		out = append(out, w.toAPI(p, &as[i], names))
	}
	return out, nil
}

// warranty answers ExpiringWarranties for ?days= (default 30).
func (w *Wing) warranty(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	c, ok := w.d.Clients.ResolveClient(p, r.PathValue("client"))
	if !ok {
		httpx.WriteError(rw, 404, "client not found")
		return
	}
	days := 30
	if s := r.URL.Query().Get("days"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 3650 {
			httpx.WriteError(rw, 400, "days must be 0 to 3650")
			return
		}
		days = n
	}
	out, err := w.ExpiringWarranties(p, c.ID, days)
	if err != nil {
		httpx.WriteError(rw, 500, "internal error")
		return
	}
	httpx.WriteJSON(rw, 200, out)
}

func (w *Wing) types(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	ts, err := w.d.Store.AssetTypes()
	if err != nil {
		httpx.WriteError(rw, 500, "internal error")
		return
	}
	httpx.WriteJSON(rw, 200, api.AssetTypes{Types: append([]string{}, ts...)})
}

// setTypes replaces the asset types (admins): assets keep a type later
// removed from the list.
func (w *Wing) setTypes(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	var req api.AssetTypes
	if err := httpx.DecodeBody(r, &req, 64<<10); err != nil {
		httpx.WriteBodyError(rw, err)
		return
	}
	var ts []string
	for _, t := range req.Types {
		t, err := httpx.CleanName("type", t, 64)
		if err != nil {
			httpx.WriteError(rw, 400, err.Error())
			return
		}
		if !slices.Contains(ts, t) {
			ts = append(ts, t)
		}
	}
	if len(ts) > 200 {
		httpx.WriteError(rw, 400, "at most 200 asset types")
		return
	}
	if ts == nil {
		ts = []string{}
	}
	if err := w.d.Store.SetAssetTypes(ts); err != nil {
		httpx.WriteError(rw, 500, "internal error")
		return
	}
	w.d.Audit.AuditP(p, "asset.types", "asset-types", map[string]string{"types": strings.Join(ts, ", ")})
	httpx.WriteJSON(rw, 200, api.AssetTypes{Types: ts})
}
