// GET /api/v1/search: each form the query may be is looked up in the index
// holding that kind of key; the hits are merged per kind, each naming the
// keys that found it.

package helpdesk

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// maxQuery is the longest query read.
const maxQuery = 200

func (w *Wing) apiSearch(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	v := r.URL.Query()
	q := httpx.CleanText(strings.TrimSpace(v.Get("q")), maxQuery)
	if q == "" {
		httpx.WriteError(rw, 400, "q is required: a name, e-mail, phone number, MAC, IP, serial, SIP address, domain or ID")
		return
	}
	limit := 25
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100 {
			httpx.WriteError(rw, 400, "limit must be 1 to 100")
			return
		}
		limit = n
	}
	clientID := v.Get("client")
	if clientID != "" && !p.CanSeeClient(clientID) {
		httpx.WriteError(rw, 404, "client not found")
		return
	}
	if clientID != "" {
		if _, err := w.d.Store.Client(clientID); err != nil {
			httpx.WriteError(rw, 404, "client not found")
			return
		}
	}
	res, err := w.search(p, q, clientID, limit)
	if err != nil {
		w.d.Log.Error("help-desk search", "err", err)
		httpx.WriteError(rw, 500, "internal error")
		return
	}
	httpx.WriteJSON(rw, 200, res)
}

// search runs q within p's scope (and clientID when set).
func (w *Wing) search(p *httpx.Principal, q, clientID string, limit int) (api.SearchResults, error) {
	k := parseQuery(q, w.region)
	res := api.SearchResults{Query: q, Read: k.read(), Phone: k.Phone, ClientID: clientID,
		Clients: []api.SearchClient{}, Contacts: []api.SearchContact{}, Devices: []api.SearchDevice{}}
	scope := p.Scope()
	inScope := func(c string) bool { return scope.Has(c) && (clientID == "" || c == clientID) }
	names := clientNames{st: w.d.Store, m: map[string]string{}}

	// Clients.
	clients := map[string]*api.SearchClient{}
	var order []string
	addClient := func(c store.Client, how string) {
		if sc := clients[c.ID]; sc != nil {
			sc.Matched = appendOnce(sc.Matched, how)
			return
		}
		names.m[c.ID] = c.Name
		clients[c.ID] = &api.SearchClient{ID: c.ID, Name: c.Name, Matched: []string{how}, Link: "/clients/" + c.ID}
		order = append(order, c.ID)
	}
	for _, f := range []struct{ field, value string }{
		{store.SearchName, k.Name}, {store.SearchDomain, k.Domain}, {store.SearchPhone, k.Phone},
	} {
		if f.value == "" {
			continue
		}
		cs, err := w.d.Store.SearchClients(store.SearchQuery{Field: f.field, Value: f.value, ClientID: clientID, Scope: scope, Limit: limit})
		if err != nil {
			return res, err
		}
		for _, c := range cs {
			addClient(c, f.field)
		}
	}
	if k.Token != "" {
		if c, err := w.d.Store.Client(k.Token); err == nil && inScope(c.ID) {
			addClient(c, "id")
		} else if err != nil && !errors.Is(err, store.ErrNotFound) {
			return res, err
		}
	}
	for _, id := range order[:min(len(order), limit)] {
		sc := clients[id]
		if pr, err := w.d.Store.ClientProfile(id); err == nil {
			sc.Domains, sc.Phone = pr.Domains, pr.Phone
		}
		res.Clients = append(res.Clients, *sc)
	}

	// Contacts.
	contacts := map[string]int{}
	addContact := func(c store.Contact, how string) error {
		if i, ok := contacts[c.ID]; ok {
			res.Contacts[i].Matched = appendOnce(res.Contacts[i].Matched, how)
			return nil
		}
		if len(res.Contacts) >= limit {
			return nil
		}
		cn, err := names.name(c.ClientID)
		if err != nil {
			return err
		}
		contacts[c.ID] = len(res.Contacts)
		res.Contacts = append(res.Contacts, api.SearchContact{ID: c.ID, ClientID: c.ClientID, ClientName: cn, Name: c.Name,
			JobTitle: c.JobTitle, Email: c.Email, Phone: c.Phone, Mobile: c.Mobile, SIP: c.SIP, Disabled: c.Disabled,
			Matched: []string{how}, Link: "/clients/" + c.ClientID + "/contacts"})
		return nil
	}
	for _, f := range []struct{ field, value string }{
		{store.SearchEmail, k.Email}, {store.SearchPhone, k.Phone}, {store.SearchSIP, k.SIP}, {store.SearchName, k.Name},
	} {
		if f.value == "" {
			continue
		}
		cs, err := w.d.Store.SearchContacts(store.SearchQuery{Field: f.field, Value: f.value, ClientID: clientID, Scope: scope, Limit: limit})
		if err != nil {
			return res, err
		}
		for _, c := range cs {
			if err := addContact(c, f.field); err != nil {
				return res, err
			}
		}
	}
	if k.Token != "" {
		if c, err := w.d.Store.Contact(k.Token); err == nil && inScope(c.ClientID) {
			if err := addContact(c, "id"); err != nil {
				return res, err
			}
		} else if err != nil && !errors.Is(err, store.ErrNotFound) {
			return res, err
		}
	}

	// Devices.
	if w.d.Fleet != nil {
		scopeList := p.ClientScope()
		if clientID != "" {
			scopeList = []string{clientID}
		}
		name := ""
		if k.Name != "" && k.Email == "" {
			name = k.Name
		}
		var bySIP []string
		if k.SIP != "" {
			var err error
			if bySIP, err = w.d.Store.DevicesBySIP(k.SIP); err != nil {
				return res, err
			}
		}
		vs := w.d.Fleet.Find(fleet.Lookup{Name: name, MAC: k.MAC, IP: k.IP, Serial: k.Token, ID: k.Token, IDs: bySIP,
			Clients: scopeList, Limit: limit})
		for _, d := range vs {
			serial := w.d.Fleet.Serial(d.ID)
			var how []string
			switch {
			case k.MAC != "" && slices.Contains(normMACs(d.MACs), k.MAC):
				how = append(how, "mac")
			case k.IP != "" && slices.Contains(d.IPs, k.IP):
				how = append(how, "ip")
			}
			if k.Token != "" && d.ID == k.Token {
				how = append(how, "id")
			}
			if k.Token != "" && serial != "" && strings.EqualFold(serial, k.Token) {
				how = append(how, "serial")
			}
			if name != "" && strings.Contains(strings.ToLower(d.Hostname), name) {
				how = append(how, "name")
			}
			if slices.Contains(bySIP, d.ID) {
				how = append(how, "sip")
			}
			sip, err := w.d.Store.DeviceSIP(d.ID)
			if err != nil {
				return res, err
			}
			cn := d.ClientName
			if cn == "" {
				var err error
				if cn, err = names.name(d.Client); err != nil {
					return res, err
				}
			}
			res.Devices = append(res.Devices, api.SearchDevice{ID: d.ID, ClientID: d.Client, ClientName: cn, Hostname: d.Hostname,
				Online: d.Online, Retired: d.Retired, IPs: d.IPs, MACs: d.MACs, Serial: serial, SIP: sip, Matched: how,
				Link: "/devices/" + d.ID})
		}
	}
	return res, nil
}

func normMACs(ms []string) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = fleet.NormalizeMAC(m)
	}
	return out
}

func appendOnce(s []string, v string) []string {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

// clientNames caches client names for one answer.
type clientNames struct {
	st Store
	m  map[string]string
}

func (c clientNames) name(id string) (string, error) {
	if n, ok := c.m[id]; ok {
		return n, nil
	}
	cl, err := c.st.Client(id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	c.m[id] = cl.Name
	return cl.Name, nil
}
