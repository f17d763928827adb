package contracts

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// maxMoneyCents bounds fees and rates (a hundred million in the
// currency), far from int64 overflow when months are summed.
const maxMoneyCents = 100_000_000_00

// find returns a contract p may see; anything else is not found.
func (w *Wing) find(p *httpx.Principal, id string) (store.Contract, bool) {
	c, err := w.d.Store.Contract(id)
	if err != nil || !p.CanSeeClient(c.ClientID) {
		return store.Contract{}, false
	}
	return c, true
}

func (w *Wing) clientName(id string) string {
	c, err := w.d.Store.Client(id)
	if err != nil {
		return ""
	}
	return c.Name
}

// list answers a client's contracts with their entitlements; ?status=
// active, inactive or "" (all).
func (w *Wing) list(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	cl, ok := w.d.Clients.ResolveClient(p, r.PathValue("client"))
	if !ok {
		httpx.WriteError(rw, 404, "client not found")
		return
	}
	want := r.URL.Query().Get("status")
	if !slices.Contains([]string{"", "active", "inactive"}, want) {
		httpx.WriteError(rw, 400, "status must be active or inactive")
		return
	}
	cs, err := w.d.Store.Contracts(store.ContractQuery{ClientID: cl.ID, Scope: p.Scope()})
	if err != nil {
		httpx.WriteError(rw, 500, "internal error")
		return
	}
	today := w.today()
	out := api.ContractList{Contracts: []api.Contract{}}
	for i := range cs {
		if want != "" && active(&cs[i], today) != (want == "active") {
			continue
		}
		c := w.contractAPI(&cs[i], cl.Name, today)
		if err := w.withEntitlements(&c, &cs[i], today); err != nil {
			httpx.WriteError(rw, 500, "internal error")
			return
		}
		out.Contracts = append(out.Contracts, c)
	}
	httpx.WriteJSON(rw, 200, out)
}

func (w *Wing) show(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	c, ok := w.find(p, r.PathValue("contracts"))
	if !ok {
		httpx.WriteError(rw, 404, "contract not found")
		return
	}
	w.writeContract(rw, &c, 200)
}

func (w *Wing) writeContract(rw http.ResponseWriter, c *store.Contract, code int) {
	today := w.today()
	out := w.contractAPI(c, w.clientName(c.ClientID), today)
	if err := w.withEntitlements(&out, c, today); err != nil {
		httpx.WriteError(rw, 500, "internal error")
		return
	}
	httpx.WriteJSON(rw, code, out)
}

// fill checks req and sets c's fields from it (c keeps ID, client,
// creation and an early end). It returns a message for a 400.
func (w *Wing) fill(c *store.Contract, req *api.ContractRequest) error {
	var err error
	if c.Name, err = httpx.CleanName("name", req.Name, httpx.MaxNameRunes); err != nil {
		return err
	}
	c.Type = strings.TrimSpace(req.Type)
	if c.Type == "" {
		c.Type = store.ContractStandard
	}
	if !slices.Contains(store.ContractTypes, c.Type) {
		return errors.New("type must be one of: " + strings.Join(store.ContractTypes, ", "))
	}
	if c.Start, err = parseDate("start", req.Start); err != nil {
		return err
	}
	if c.Start.IsZero() {
		c.Start = w.today()
	}
	if c.End, err = parseDate("end", req.End); err != nil {
		return err
	}
	if !c.End.IsZero() && c.End.Before(c.Start) {
		return errors.New("end must not be before start")
	}
	c.SLAID = strings.TrimSpace(req.SLAID)
	if c.SLAID != "" && !refRE.MatchString(c.SLAID) {
		return errors.New("sla_id must be 1-64 letters, digits, _ . : or -")
	}
	c.AutoRenew, c.Default = req.AutoRenew, req.Default
	switch {
	case req.RenewalMonths < 0 || req.RenewalMonths > 120:
		return errors.New("renewal_months must be 0 to 120")
	case req.NoticeDays < 0 || req.NoticeDays > 3650:
		return errors.New("notice_days must be 0 to 3650")
	case req.AutoRenew && c.End.IsZero():
		return errors.New("an auto-renewing contract needs an end date")
	case req.MonthlyFeeCents < 0 || req.MonthlyFeeCents > maxMoneyCents || req.HourlyRateCents < 0 || req.HourlyRateCents > maxMoneyCents:
		return errors.New("monthly_fee_cents and hourly_rate_cents must be 0 to " + strconv.Itoa(maxMoneyCents))
	}
	c.RenewalMonths, c.NoticeDays = req.RenewalMonths, req.NoticeDays
	if c.AutoRenew && c.RenewalMonths == 0 {
		c.RenewalMonths = 12
	}
	c.MonthlyFeeCents, c.HourlyRateCents = req.MonthlyFeeCents, req.HourlyRateCents
	c.Currency = strings.ToUpper(strings.TrimSpace(req.Currency))
	if c.Currency == "" {
		c.Currency = "EUR"
	}
	if !currencyRE.MatchString(c.Currency) {
		return errors.New("currency must be a three-letter ISO 4217 code such as EUR or USD")
	}
	c.Notes = httpx.CleanText(req.Notes, 10000)
	return nil
}

func (w *Wing) create(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	cl, ok := w.d.Clients.ResolveClient(p, r.PathValue("client"))
	if !ok {
		httpx.WriteError(rw, 404, "client not found")
		return
	}
	var req api.ContractRequest
	if err := httpx.DecodeBody(r, &req, 64<<10); err != nil {
		httpx.WriteBodyError(rw, err)
		return
	}
	now := w.d.Now().UTC()
	c := store.Contract{ID: httpx.NewID("ct"), ClientID: cl.ID, CreatedAt: now, UpdatedAt: now, UpdatedBy: p.Name}
	if err := w.fill(&c, &req); err != nil {
		httpx.WriteError(rw, 400, err.Error())
		return
	}
	w.save(rw, p, &c, "contract.create", 201)
}

func (w *Wing) update(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	c, ok := w.find(p, r.PathValue("contracts"))
	if !ok {
		httpx.WriteError(rw, 404, "contract not found")
		return
	}
	var req api.ContractRequest
	if err := httpx.DecodeBody(r, &req, 64<<10); err != nil {
		httpx.WriteBodyError(rw, err)
		return
	}
	c.UpdatedAt, c.UpdatedBy = w.d.Now().UTC(), p.Name
	if err := w.fill(&c, &req); err != nil {
		httpx.WriteError(rw, 400, err.Error())
		return
	}
	w.save(rw, p, &c, "contract.update", 200)
}

// end ends a contract early: from the date on (today unless given) it is
// not active; an auto-renewing one stops renewing.
func (w *Wing) end(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	c, ok := w.find(p, r.PathValue("contracts"))
	if !ok {
		httpx.WriteError(rw, 404, "contract not found")
		return
	}
	var req api.ContractEndRequest
	if err := httpx.DecodeBody(r, &req, 4<<10); err != nil {
		httpx.WriteBodyError(rw, err)
		return
	}
	on, err := parseDate("date", req.Date)
	if err != nil {
		httpx.WriteError(rw, 400, err.Error())
		return
	}
	if on.IsZero() {
		on = w.today()
	}
	if on.Before(c.Start) {
		httpx.WriteError(rw, 400, "date must not be before the contract's start")
		return
	}
	c.EndedOn, c.UpdatedAt, c.UpdatedBy = on, w.d.Now().UTC(), p.Name
	w.save(rw, p, &c, "contract.end", 200)
}

func (w *Wing) save(rw http.ResponseWriter, p *httpx.Principal, c *store.Contract, action string, code int) {
	if err := w.d.Store.PutContract(*c); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			httpx.WriteError(rw, 404, "client not found")
			return
		}
		httpx.WriteError(rw, 500, "internal error")
		return
	}
	w.d.Audit.AuditP(p, action, c.ID, map[string]string{"client": c.ClientID, "name": c.Name, "type": c.Type,
		"start": date(c.Start), "end": date(c.End), "ended_on": date(c.EndedOn), "sla": c.SLAID,
		"default": strconv.FormatBool(c.Default), "auto_renew": strconv.FormatBool(c.AutoRenew),
		"monthly_fee_cents": strconv.FormatInt(c.MonthlyFeeCents, 10), "hourly_rate_cents": strconv.FormatInt(c.HourlyRateCents, 10),
		"currency": c.Currency})
	w.writeContract(rw, c, code)
}

// midday is a date's consumption time when only the date is known: noon
// UTC shows as the same date from UTC-11 to UTC+11.
func midday(d time.Time) time.Time { return d.Add(12 * time.Hour) }
