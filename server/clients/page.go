package clients

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// builtins are the overview fields that can be pinned, by key.
var builtins = []api.PinnableField{
	{Key: "ranking", Label: "Ranking"}, {Key: "phone", Label: "Phone"}, {Key: "fax", Label: "Fax"},
	{Key: "address", Label: "Address"}, {Key: "postcode", Label: "Postcode"}, {Key: "domains", Label: "Domains"},
	{Key: "website", Label: "Website"}, {Key: "company_number", Label: "Company number"},
	{Key: "ticket_limit", Label: "Ticket limit"}, {Key: "notes", Label: "Notes"}, {Key: "created", Label: "Created"},
	{Key: "modified", Label: "Modified"}, {Key: "time_zone", Label: "Time zone"},
}

// defaultPins are pinned until an admin picks others.
var defaultPins = []string{"ranking", "phone", "website"}

// Limits of the pinned fields.
const (
	minPins = 3
	maxPins = 6
)

// mapURL opens an address on OpenStreetMap's search.
func mapURL(pr *store.ClientProfile) string {
	q := strings.TrimSpace(strings.Join(strings.Fields(pr.Address+" "+pr.Postcode), " "))
	if q == "" {
		return ""
	}
	return "https://www.openstreetmap.org/search?query=" + url.QueryEscape(q)
}

func toAPIProfile(pr *store.ClientProfile) api.ClientProfile {
	return api.ClientProfile{Phone: pr.Phone, PhoneE164: pr.PhoneE164, Fax: pr.Fax, FaxE164: pr.FaxE164, Address: pr.Address,
		Postcode: pr.Postcode, MapURL: mapURL(pr), Domains: pr.Domains, Website: pr.Website, CompanyNumber: pr.CompanyNumber,
		TicketLimit: pr.TicketLimit, Notes: pr.Notes, Ranking: pr.Ranking, Custom: pr.Custom, ModifiedAt: pr.ModifiedAt,
		ModifiedBy: pr.ModifiedBy, TimeZone: pr.TimeZone}
}

func toAPIField(f store.ClientField) api.ClientField {
	return api.ClientField{ID: f.ID, Label: f.Label, Type: f.Type, Options: f.Options, Order: f.Order}
}

// profile returns a client's profile, empty when none is stored.
func (s *Wing) profile(id string) (store.ClientProfile, error) {
	pr, err := s.st.ClientProfile(id)
	if errors.Is(err, store.ErrNotFound) {
		return store.ClientProfile{ClientID: id}, nil
	}
	return pr, err
}

// pins returns the pinned keys, the defaults when none are set.
func (s *Wing) pins() ([]string, error) {
	keys, err := s.st.PinnedFields()
	if len(keys) == 0 {
		keys = defaultPins
	}
	return keys, err
}

// pinnedValue is the text a pinned field shows for a client.
func pinnedValue(key string, c store.Client, pr *store.ClientProfile, fields []store.ClientField) (label, value string) {
	switch key {
	case "ranking":
		return "Ranking", api.Rankings[max(0, min(pr.Ranking, len(api.Rankings)-1))]
	case "phone":
		return "Phone", pr.Phone
	case "fax":
		return "Fax", pr.Fax
	case "address":
		return "Address", pr.Address
	case "postcode":
		return "Postcode", pr.Postcode
	case "domains":
		return "Domains", strings.Join(pr.Domains, ", ")
	case "website":
		return "Website", pr.Website
	case "company_number":
		return "Company number", pr.CompanyNumber
	case "ticket_limit":
		if pr.TicketLimit == 0 {
			return "Ticket limit", "no limit"
		}
		return "Ticket limit", strconv.Itoa(pr.TicketLimit)
	case "notes":
		return "Notes", pr.Notes
	case "created":
		return "Created", c.CreatedAt.UTC().Format(time.DateOnly)
	case "time_zone":
		if pr.TimeZone == "" {
			return "Time zone", "server's"
		}
		return "Time zone", pr.TimeZone
	case "modified":
		if pr.ModifiedAt.IsZero() {
			return "Modified", ""
		}
		return "Modified", pr.ModifiedAt.UTC().Format(time.DateOnly)
	}
	for _, f := range fields {
		if f.ID == key {
			v := pr.Custom[f.ID]
			if f.Type == api.FieldBool && v != "" {
				v = map[string]string{"true": "yes", "false": "no"}[v]
			}
			return f.Label, v
		}
	}
	return key, ""
}

// page builds a client's page.
func (s *Wing) page(c store.Client) (api.ClientPage, error) {
	pr, err := s.profile(c.ID)
	if err != nil {
		return api.ClientPage{}, err
	}
	fields, err := s.st.ClientFields()
	if err != nil {
		return api.ClientPage{}, err
	}
	keys, err := s.pins()
	if err != nil {
		return api.ClientPage{}, err
	}
	out := api.ClientPage{Client: toAPIClient(c, &pr), Profile: toAPIProfile(&pr), Fields: []api.ClientField{}, Pinned: []api.PinnedValue{}}
	for _, f := range fields {
		out.Fields = append(out.Fields, toAPIField(f))
	}
	for _, k := range keys {
		label, v := pinnedValue(k, c, &pr, fields)
		out.Pinned = append(out.Pinned, api.PinnedValue{Key: k, Label: label, Value: v})
	}
	return out, nil
}

func (s *Wing) apiClientPage(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	c, ok := s.client(w, r, p)
	if !ok {
		return
	}
	pg, err := s.page(c)
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	httpx.WriteJSON(w, 200, pg)
}

// applyProfile validates a change and applies it to pr; changed lists the
// fields it changed, for the audit.
func (s *Wing) applyProfile(pr *store.ClientProfile, req api.UpdateClientRequest, fields []store.ClientField) (changed []string, err error) {
	set := func(name string, dst *string, v string) {
		if *dst != v {
			*dst = v
			changed = append(changed, name)
		}
	}
	lineField := func(name string, src *string, dst *string, max int) error {
		if src == nil {
			return nil
		}
		v, err := line(strings.ReplaceAll(name, "_", " "), *src, max)
		if err == nil {
			set(name, dst, v)
		}
		return err
	}
	if err := lineField("postcode", req.Postcode, &pr.Postcode, 20); err != nil {
		return nil, err
	}
	if err := lineField("company_number", req.CompanyNumber, &pr.CompanyNumber, maxShort); err != nil {
		return nil, err
	}
	for _, x := range []struct {
		name      string
		src       *string
		dst, e164 *string
	}{{"phone", req.Phone, &pr.Phone, &pr.PhoneE164}, {"fax", req.Fax, &pr.Fax, &pr.FaxE164}} {
		if x.src == nil {
			continue
		}
		v, e, err := phone(x.name, *x.src, s.region)
		if err != nil {
			return nil, err
		}
		set(x.name, x.dst, v)
		*x.e164 = e
	}
	if req.Address != nil {
		v, err := text("address", *req.Address, maxAddress)
		if err != nil {
			return nil, err
		}
		set("address", &pr.Address, v)
	}
	if req.Notes != nil {
		v, err := text("notes", *req.Notes, maxNotes)
		if err != nil {
			return nil, err
		}
		set("notes", &pr.Notes, v)
	}
	if req.Website != nil {
		v, err := website(*req.Website)
		if err != nil {
			return nil, err
		}
		set("website", &pr.Website, v)
	}
	if req.Domains != nil {
		ds, err := domains(*req.Domains)
		if err != nil {
			return nil, err
		}
		if !slices.Equal(ds, pr.Domains) {
			pr.Domains = ds
			changed = append(changed, "domains")
		}
	}
	if req.TicketLimit != nil {
		if *req.TicketLimit < 0 || *req.TicketLimit > 1_000_000 {
			return nil, errors.New("ticket limit must be 0 (no limit) to 1000000")
		}
		if pr.TicketLimit != *req.TicketLimit {
			pr.TicketLimit = *req.TicketLimit
			changed = append(changed, "ticket_limit")
		}
	}
	if req.Ranking != nil {
		if *req.Ranking < 0 || *req.Ranking >= len(api.Rankings) {
			return nil, fmt.Errorf("ranking must be 0 (none) to %d", len(api.Rankings)-1)
		}
		if pr.Ranking != *req.Ranking {
			pr.Ranking = *req.Ranking
			changed = append(changed, "ranking")
		}
	}
	if req.TimeZone != nil {
		v, err := timeZone(*req.TimeZone)
		if err != nil {
			return nil, err
		}
		set("time_zone", &pr.TimeZone, v)
	}
	keys := make([]string, 0, len(req.Custom))
	for k := range req.Custom {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, id := range keys {
		i := slices.IndexFunc(fields, func(f store.ClientField) bool { return f.ID == id })
		if i < 0 {
			return nil, fmt.Errorf("there is no custom field %q", id)
		}
		v, err := fieldValue(fields[i], req.Custom[id])
		if err != nil {
			return nil, err
		}
		if pr.Custom[id] == v {
			continue
		}
		if pr.Custom == nil {
			pr.Custom = map[string]string{}
		}
		if v == "" {
			delete(pr.Custom, id)
		} else {
			pr.Custom[id] = v
		}
		changed = append(changed, "custom:"+fields[i].Label)
	}
	return changed, nil
}

func (s *Wing) apiUpdateClient(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	c, ok := s.client(w, r, p)
	if !ok {
		return
	}
	var req api.UpdateClientRequest
	if err := httpx.DecodeBody(r, &req, 64<<10); err != nil {
		httpx.WriteBodyError(w, err)
		return
	}
	pr, err := s.profile(c.ID)
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	fields, err := s.st.ClientFields()
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	changed, err := s.applyProfile(&pr, req, fields)
	if err != nil {
		httpx.WriteError(w, 400, err.Error())
		return
	}
	if len(changed) > 0 {
		pr.ModifiedAt, pr.ModifiedBy = s.now(), p.Name
		if err := s.st.PutClientProfile(pr); err != nil {
			httpx.WriteError(w, 500, "internal error")
			return
		}
		detail := map[string]string{"client": c.ID, "fields": strings.Join(changed, ", ")}
		if slices.Contains(changed, "time_zone") {
			detail["time_zone"] = pr.TimeZone
			s.zoneChanged(c.ID, pr.TimeZone)
		}
		s.alog.AuditP(p, "client.update", c.ID, detail)
	}
	pg, err := s.page(c)
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	httpx.WriteJSON(w, 200, pg)
}

func (s *Wing) apiFields(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	fs, err := s.st.ClientFields()
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	out := []api.ClientField{}
	for _, f := range fs {
		out = append(out, toAPIField(f))
	}
	httpx.WriteJSON(w, 200, out)
}

// maxFields bounds the custom field definitions.
const maxFields = 100

func (s *Wing) saveField(w http.ResponseWriter, r *http.Request, p *httpx.Principal, id string) {
	var req api.ClientFieldRequest
	if err := httpx.DecodeBody(r, &req, 16<<10); err != nil {
		httpx.WriteBodyError(w, err)
		return
	}
	fs, err := s.st.ClientFields()
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	i := slices.IndexFunc(fs, func(f store.ClientField) bool { return f.ID == id })
	created := id == ""
	switch {
	case created && len(fs) >= maxFields:
		httpx.WriteError(w, 400, fmt.Sprintf("at most %d custom fields", maxFields))
		return
	case created:
		id = httpx.NewID("cf")
	case i < 0:
		httpx.WriteError(w, 404, "custom field not found")
		return
	}
	f, err := fieldDef(req, fs, id)
	if err != nil {
		httpx.WriteError(w, 400, err.Error())
		return
	}
	f.CreatedAt = s.now()
	if i >= 0 {
		f.CreatedAt = fs[i].CreatedAt
	}
	if err := s.st.PutClientField(f); err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	action, code := "client_field.update", 200
	if created {
		action, code = "client_field.create", 201
	}
	s.alog.AuditP(p, action, f.ID, map[string]string{"label": f.Label, "type": f.Type, "options": strings.Join(f.Options, ", ")})
	httpx.WriteJSON(w, code, toAPIField(f))
}

func (s *Wing) apiCreateField(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	s.saveField(w, r, p, "")
}

func (s *Wing) apiUpdateField(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	s.saveField(w, r, p, r.PathValue("field"))
}

func (s *Wing) apiDeleteField(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	id := r.PathValue("field")
	keys, err := s.st.PinnedFields()
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	if slices.Contains(keys, id) {
		httpx.WriteError(w, 409, "this field is pinned above the client pages: unpin it first")
		return
	}
	if err := s.st.DeleteClientField(id); errors.Is(err, store.ErrNotFound) {
		httpx.WriteError(w, 404, "custom field not found")
		return
	} else if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	s.alog.AuditP(p, "client_field.delete", id, nil)
	httpx.WriteJSON(w, 200, api.OK{OK: true})
}

// pinnable lists what can be pinned: the built-ins, then custom fields.
func pinnable(fields []store.ClientField) []api.PinnableField {
	out := slices.Clone(builtins)
	for _, f := range fields {
		out = append(out, api.PinnableField{Key: f.ID, Label: f.Label})
	}
	return out
}

func (s *Wing) apiPinned(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	keys, err := s.pins()
	fields, err2 := s.st.ClientFields()
	if err != nil || err2 != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	httpx.WriteJSON(w, 200, api.PinnedFields{Keys: keys, Available: pinnable(fields)})
}

// checkPins validates a choice of pinned fields.
func checkPins(keys []string, fields []store.ClientField) error {
	if len(keys) < minPins || len(keys) > maxPins {
		return fmt.Errorf("pin between %d and %d fields (got %d)", minPins, maxPins, len(keys))
	}
	avail := pinnable(fields)
	for i, k := range keys {
		if !slices.ContainsFunc(avail, func(a api.PinnableField) bool { return a.Key == k }) {
			return fmt.Errorf("%q is not a field that can be pinned", k)
		}
		if slices.Contains(keys[:i], k) {
			return fmt.Errorf("%q is pinned twice", k)
		}
	}
	return nil
}

func (s *Wing) apiSetPinned(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	var req api.PinnedFields
	if err := httpx.DecodeBody(r, &req, 4096); err != nil {
		httpx.WriteBodyError(w, err)
		return
	}
	fields, err := s.st.ClientFields()
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	if err := checkPins(req.Keys, fields); err != nil {
		httpx.WriteError(w, 400, err.Error())
		return
	}
	if err := s.st.SetPinnedFields(req.Keys); err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	s.alog.AuditP(p, "client_pinned.set", "", map[string]string{"keys": strings.Join(req.Keys, ", ")})
	httpx.WriteJSON(w, 200, api.PinnedFields{Keys: req.Keys, Available: pinnable(fields)})
}
