package contracts

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// maxUncovered is how many of the latest uncovered consumptions the page
// lists; its totals count them all.
const maxUncovered = 200

// activityFilter is what the activity page was asked for: a contract, an
// entitlement, active ("" too), inactive or all contracts, and the window
// of "expires soon" in days.
type activityFilter struct {
	contract, entitlement, status string
	days                          int
}

// parseFilter reads ?contract=, ?entitlement=, ?status= and ?days=; it
// returns a message for a 400.
func (w *Wing) parseFilter(r *http.Request) (activityFilter, string) {
	v := r.URL.Query()
	f := activityFilter{contract: v.Get("contract"), entitlement: v.Get("entitlement"), status: v.Get("status"), days: w.d.Config.SoonDays}
	if !slices.Contains([]string{"", "active", "inactive", "all"}, f.status) {
		return f, "status must be active, inactive or all"
	}
	if s := v.Get("days"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 3650 {
			return f, "days must be 0 to 3650"
		}
		f.days = n
	}
	return f, ""
}

// activityOf builds a client's customer activity page. Work with no
// contract is what Consume recorded with ContractID "".
func (w *Wing) activityOf(cl store.Client, f activityFilter) (api.Activity, error) {
	today := w.today()
	out := api.Activity{ClientID: cl.ID, ClientName: cl.Name, Today: date(today), SoonDays: f.days, Contracts: []api.Contract{},
		ExpiringSoon: []api.ExpiringItem{}, Uncovered: []api.Consumption{}, UncoveredTotals: []api.UnitTotal{}}
	cs, err := w.d.Store.Contracts(store.ContractQuery{ClientID: cl.ID})
	if err != nil {
		return out, err
	}
	soon := today.AddDate(0, 0, f.days)
	for i := range cs {
		c := &cs[i]
		isActive := active(c, today)
		switch {
		case f.contract != "" && c.ID != f.contract,
			(f.status == "" || f.status == "active") && !isActive,
			f.status == "inactive" && isActive:
			continue
		}
		ac := w.contractAPI(c, cl.Name, today)
		es, err := w.d.Store.Entitlements(c.ID)
		if err != nil {
			return out, err
		}
		ac.Entitlements = []api.Entitlement{}
		for j := range es {
			if f.entitlement != "" && es[j].ID != f.entitlement {
				continue
			}
			ae := entitlementAPI(&es[j], c, today, f.days)
			ac.Entitlements = append(ac.Entitlements, ae)
			if ae.ExpiresSoon && ae.Expiry != ac.EffectiveEnd {
				x := expiry(&es[j], c, today)
				out.ExpiringSoon = append(out.ExpiringSoon, api.ExpiringItem{Kind: "entitlement", ContractID: c.ID, EntitlementID: es[j].ID,
					Name: c.Name + " / " + es[j].Name, Date: ae.Expiry, Days: int(x.Sub(today).Hours() / 24)})
			}
		}
		if f.entitlement != "" && len(ac.Entitlements) == 0 {
			continue
		}
		if end := lastDay(c, today); isActive && !end.IsZero() && !end.After(soon) {
			out.ExpiringSoon = append(out.ExpiringSoon, api.ExpiringItem{Kind: "contract", ContractID: c.ID, Name: c.Name,
				Date: date(end), Days: int(end.Sub(today).Hours() / 24)})
		}
		out.Contracts = append(out.Contracts, ac)
	}
	slices.SortStableFunc(out.ExpiringSoon, func(a, b api.ExpiringItem) int { return a.Days - b.Days })
	if f.contract == "" && f.entitlement == "" {
		un, err := w.d.Store.Consumptions(store.ConsumptionQuery{ClientID: cl.ID, Uncovered: true})
		if err != nil {
			return out, err
		}
		totals := map[string]float64{}
		for i := range un {
			totals[un[i].Unit] += un[i].Quantity
		}
		for u, q := range totals {
			out.UncoveredTotals = append(out.UncoveredTotals, api.UnitTotal{Unit: u, Quantity: qty(q)})
		}
		slices.SortFunc(out.UncoveredTotals, func(a, b api.UnitTotal) int {
			if a.Unit < b.Unit {
				return -1
			}
			return 1
		})
		if len(un) > maxUncovered {
			un = un[len(un)-maxUncovered:]
		}
		for i := range un {
			out.Uncovered = append(out.Uncovered, consumptionAPI(&un[i], nil, nil))
		}
	}
	return out, nil
}

// activity serves the page to operators holding PermCustomerActivity.
func (w *Wing) activity(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	cl, ok := w.d.Clients.ResolveClient(p, r.PathValue("client"))
	if !ok {
		httpx.WriteError(rw, 404, "client not found")
		return
	}
	w.writeActivity(rw, r, cl)
}

// portalActivity serves the page to the customer's own admins in the
// portal, always of their own client (the portal identity's, never a
// parameter).
func (w *Wing) portalActivity(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	if p.Portal == nil || p.Portal.ClientID == "" {
		httpx.WriteError(rw, 404, "not found")
		return
	}
	cl, err := w.d.Store.Client(p.Portal.ClientID)
	if err != nil {
		httpx.WriteError(rw, 404, "client not found")
		return
	}
	if p.Portal.ViewedBy != "" {
		// A technician viewing as the customer: every view is audited.
		w.d.Audit.AuditP(p, "portal.view", "activity", map[string]string{"client": cl.ID, "viewed_by": p.Portal.ViewedBy})
	}
	w.writeActivity(rw, r, cl)
}

func (w *Wing) writeActivity(rw http.ResponseWriter, r *http.Request, cl store.Client) {
	f, msg := w.parseFilter(r)
	if msg != "" {
		httpx.WriteError(rw, 400, msg)
		return
	}
	out, err := w.activityOf(cl, f)
	if err != nil {
		httpx.WriteError(rw, 500, "internal error")
		return
	}
	httpx.WriteJSON(rw, 200, out)
}
