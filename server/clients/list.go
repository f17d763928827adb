package clients

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// apiClients lists the clients in the caller's scope with their ranking
// and device counts (from the in-memory fleet: one pass over it), found by
// name, domain or company number and filtered by ranking. All of them in
// ID order; or, with limit (and offset), a page of them in name order,
// with X-Total-Count.
func (s *Wing) apiClients(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	q := r.URL.Query()
	limit, offset := 0, 0
	for _, x := range []struct {
		name string
		dst  *int
	}{{"limit", &limit}, {"offset", &offset}} {
		if v := q.Get(x.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 1<<30 {
				httpx.WriteError(w, 400, x.name+" must be a number of at least 0")
				return
			}
			*x.dst = n
		}
	}
	search := strings.ToLower(strings.TrimSpace(q.Get("search")))
	ranking := -1
	if v := q.Get("ranking"); v != "" {
		n, err := rankingOf(v)
		if err != nil {
			httpx.WriteError(w, 400, err.Error())
			return
		}
		ranking = n
	}
	cs, err := s.st.Clients()
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	ps, err := s.st.ClientProfiles()
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	prof := make(map[string]*store.ClientProfile, len(ps))
	for i := range ps {
		prof[ps[i].ClientID] = &ps[i]
	}
	sum := s.fleet.Summarize(p.ClientScope())
	var alerts map[string]map[string]int
	if s.alerts != nil {
		alerts = s.alerts.OpenAlertsBySeverity(p.ClientScope())
	}
	out := []api.Client{}
	for _, c := range cs {
		if !p.CanSeeClient(c.ID) {
			continue
		}
		pr := prof[c.ID]
		if pr == nil {
			pr = &store.ClientProfile{}
		}
		if ranking >= 0 && pr.Ranking != ranking {
			continue
		}
		if search != "" && !strings.Contains(strings.ToLower(c.Name), search) &&
			!strings.Contains(strings.ToLower(pr.CompanyNumber), search) &&
			!slices.ContainsFunc(pr.Domains, func(d string) bool { return strings.Contains(d, search) }) {
			continue
		}
		ac := toAPIClient(c, pr)
		st := api.ClientStats{}
		if x := sum[c.ID]; x != nil {
			st = api.ClientStats{Devices: x.Total, Online: x.Online, Offline: x.Offline, PendingReboot: x.PendingReboot,
				WithPatches: x.WithPatches}
		}
		ac.Stats = &st
		if alerts != nil {
			ac.OpenAlerts = alerts[c.ID]
			if ac.OpenAlerts == nil {
				ac.OpenAlerts = map[string]int{}
			}
		}
		out = append(out, ac)
	}
	if limit > 0 {
		slices.SortStableFunc(out, func(a, b api.Client) int {
			return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
		})
		w.Header().Set("X-Total-Count", strconv.Itoa(len(out)))
		out = out[min(offset, len(out)):]
		out = out[:min(limit, len(out))]
	}
	httpx.WriteJSON(w, 200, out)
}

func toAPIClient(c store.Client, pr *store.ClientProfile) api.Client {
	ac := api.Client{ID: c.ID, Name: c.Name, CreatedAt: c.CreatedAt}
	if pr != nil {
		ac.Ranking, ac.Domains, ac.CompanyNumber = pr.Ranking, pr.Domains, pr.CompanyNumber
	}
	return ac
}

func (s *Wing) apiCreateClient(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	var req api.CreateClientRequest
	if err := httpx.DecodeBody(r, &req, 4096); err != nil {
		httpx.WriteBodyError(w, err)
		return
	}
	// Company names are data ("AT&T / Field Office"): printable text,
	// escaped wherever it is shown.
	name, err := httpx.CleanName("client name", req.Name, httpx.MaxNameRunes)
	if err != nil {
		httpx.WriteError(w, 400, err.Error())
		return
	}
	if !p.AllClients {
		httpx.WriteError(w, 403, "only users scoped to all clients can create clients")
		return
	}
	c := store.Client{ID: httpx.NewID("c"), Name: name, CreatedAt: s.now()}
	if err := s.st.CreateClient(c); errors.Is(err, store.ErrExists) {
		httpx.WriteError(w, 409, "a client with that name exists")
		return
	} else if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	s.fleet.SetClientName(c.ID, c.Name)
	s.alog.AuditP(p, "client.create", c.ID, map[string]string{"name": c.Name})
	if s.consent != nil {
		s.consent.ClientCreated(p, c.ID, c.Name)
	}
	httpx.WriteJSON(w, 201, toAPIClient(c, nil))
}

// client finds a client of the request's {id} within the caller's scope;
// it answers 404 itself when there is none.
func (s *Wing) client(w http.ResponseWriter, r *http.Request, p *httpx.Principal) (store.Client, bool) {
	id := r.PathValue("id")
	if p.CanSeeClient(id) {
		if c, err := s.st.Client(id); err == nil {
			return c, true
		} else if !errors.Is(err, store.ErrNotFound) {
			httpx.WriteError(w, 500, "internal error")
			return c, false
		}
	}
	// A client's page may also be addressed by its name (links typed by
	// people, /clients/Acme), matched without case.
	if cs, err := s.st.Clients(); err == nil {
		for _, c := range cs {
			if strings.EqualFold(c.Name, id) && p.CanSeeClient(c.ID) {
				return c, true
			}
		}
	}
	httpx.WriteError(w, 404, "client not found")
	return store.Client{}, false
}
