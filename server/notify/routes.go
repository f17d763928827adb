package notify

import (
	"errors"
	"net/http"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// Routes lists the wing's routes. Notifications are server-wide (rules
// name any client, deliveries carry any client's alerts), so they need
// PermNotifications, which only users of every client hold.
func (w *Wing) Routes() []httpx.Route {
	perm := httpx.NeedPerm(httpx.PermNotifications)
	return []httpx.Route{
		httpx.R("GET", "/api/v1/notifications/channels", perm, w.listChannels),
		httpx.R("POST", "/api/v1/notifications/channels", perm, w.createChannel),
		httpx.R("GET", "/api/v1/notifications/channels/{channel}", perm, w.showChannel),
		httpx.R("PUT", "/api/v1/notifications/channels/{channel}", perm, w.updateChannel),
		httpx.R("DELETE", "/api/v1/notifications/channels/{channel}", perm, w.deleteChannel),
		httpx.R("POST", "/api/v1/notifications/channels/{channel}/test", perm, w.testChannel),
		httpx.R("GET", "/api/v1/notifications/rules", perm, w.listRules),
		httpx.R("POST", "/api/v1/notifications/rules", perm, w.createRule),
		httpx.R("GET", "/api/v1/notifications/rules/{rule}", perm, w.showRule),
		httpx.R("PUT", "/api/v1/notifications/rules/{rule}", perm, w.updateRule),
		httpx.R("DELETE", "/api/v1/notifications/rules/{rule}", perm, w.deleteRule),
		httpx.R("GET", "/api/v1/notifications/deliveries", perm, w.listDeliveries),
		httpx.R("GET", "/api/v1/notifications/deliveries/{delivery}", perm, w.showDelivery),
		httpx.R("POST", "/api/v1/notifications/deliveries/{delivery}/retry", perm, w.retryDelivery),
	}
}

const bodyLimit = 64 << 10

// resolveChannel finds a channel by ID or name.
func (w *Wing) resolveChannel(ref string) (store.NotifyChannel, bool) {
	if c, err := w.d.Store.NotifyChannel(ref); err == nil {
		return c, true
	}
	cs, _ := w.d.Store.NotifyChannels()
	for _, c := range cs {
		if c.Name == ref {
			return c, true
		}
	}
	return store.NotifyChannel{}, false
}

func (w *Wing) resolveRule(ref string) (store.NotifyRule, bool) {
	if r, err := w.d.Store.NotifyRule(ref); err == nil {
		return r, true
	}
	rs, _ := w.d.Store.NotifyRules()
	for _, r := range rs {
		if r.Name == ref {
			return r, true
		}
	}
	return store.NotifyRule{}, false
}

func toAPIChannel(c store.NotifyChannel) api.NotifyChannel {
	return api.NotifyChannel{ID: c.ID, Name: c.Name, Type: c.Type, URL: c.URL, To: c.To, Disabled: c.Disabled,
		HasSecret: c.Secret != "", CreatedAt: c.CreatedAt, CreatedBy: c.CreatedBy}
}

func (w *Wing) listChannels(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	cs, err := w.d.Store.NotifyChannels()
	if err != nil {
		httpx.WriteError(rw, 500, "internal error")
		return
	}
	out := make([]api.NotifyChannel, 0, len(cs))
	for _, c := range cs {
		out = append(out, toAPIChannel(c))
	}
	httpx.WriteJSON(rw, 200, out)
}

func (w *Wing) showChannel(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	c, ok := w.resolveChannel(r.PathValue("channel"))
	if !ok {
		httpx.WriteError(rw, 404, "channel not found")
		return
	}
	httpx.WriteJSON(rw, 200, toAPIChannel(c))
}

// checkChannel validates a channel's fields; the message says what is wrong.
func checkChannel(c *store.NotifyChannel) string {
	name, err := httpx.CleanName("name", c.Name, 80)
	if err != nil {
		return err.Error()
	}
	c.Name = name
	switch c.Type {
	case store.ChannelWebhook:
		u, err := url.Parse(c.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || len(c.URL) > 2000 {
			return "url must be an http or https URL without credentials"
		}
		c.To = nil
		if len(c.Secret) < 16 || len(c.Secret) > 256 {
			return "secret must be 16 to 256 characters"
		}
	case store.ChannelEmail:
		if len(c.To) == 0 || len(c.To) > 50 {
			return "to must list 1 to 50 e-mail addresses"
		}
		for i, a := range c.To {
			ad, err := mail.ParseAddress(a)
			if err != nil || strings.ContainsAny(ad.Address, "\r\n") {
				return "to: " + strconv.Quote(httpx.CleanText(a, 100)) + " is not an e-mail address"
			}
			c.To[i] = ad.Address
		}
		c.URL, c.Secret = "", ""
	default:
		return "type must be webhook or email"
	}
	return ""
}

func (w *Wing) createChannel(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	var req api.NotifyChannelRequest
	if err := httpx.DecodeBody(r, &req, bodyLimit); err != nil {
		httpx.WriteBodyError(rw, err)
		return
	}
	c := store.NotifyChannel{ID: httpx.NewID("ch"), Name: req.Name, Type: req.Type, URL: req.URL, To: req.To, Secret: req.Secret,
		Disabled: req.Disabled, CreatedAt: w.d.Now(), CreatedBy: p.Name}
	if c.Type == store.ChannelWebhook && c.Secret == "" {
		c.Secret = httpx.NewSecret("whsec")
	}
	if msg := checkChannel(&c); msg != "" {
		httpx.WriteError(rw, 400, msg)
		return
	}
	if _, taken := w.resolveChannel(c.Name); taken {
		httpx.WriteError(rw, 409, "a channel of that name exists")
		return
	}
	if err := w.d.Store.PutNotifyChannel(c); err != nil {
		httpx.WriteError(rw, 500, "internal error")
		return
	}
	w.d.Audit.AuditP(p, "notify.channel.create", c.ID, channelAudit(&c))
	out := toAPIChannel(c)
	out.Secret = c.Secret // shown this once
	httpx.WriteJSON(rw, 201, out)
}

func (w *Wing) updateChannel(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	c, ok := w.resolveChannel(r.PathValue("channel"))
	if !ok {
		httpx.WriteError(rw, 404, "channel not found")
		return
	}
	var req api.NotifyChannelRequest
	if err := httpx.DecodeBody(r, &req, bodyLimit); err != nil {
		httpx.WriteBodyError(rw, err)
		return
	}
	if req.Type != "" && req.Type != c.Type {
		httpx.WriteError(rw, 400, "a channel's type cannot change; make a new channel")
		return
	}
	old := c.Name
	c.Name, c.URL, c.To, c.Disabled = req.Name, req.URL, req.To, req.Disabled
	shown := ""
	switch {
	case req.RotateSecret:
		c.Secret = httpx.NewSecret("whsec")
		shown = c.Secret
	case req.Secret != "":
		c.Secret = req.Secret
	}
	if msg := checkChannel(&c); msg != "" {
		httpx.WriteError(rw, 400, msg)
		return
	}
	if other, taken := w.resolveChannel(c.Name); taken && other.ID != c.ID && c.Name != old {
		httpx.WriteError(rw, 409, "a channel of that name exists")
		return
	}
	if err := w.d.Store.PutNotifyChannel(c); err != nil {
		httpx.WriteError(rw, 500, "internal error")
		return
	}
	d := channelAudit(&c)
	if req.RotateSecret || req.Secret != "" {
		d["secret"] = "changed" // never the secret itself
	}
	w.d.Audit.AuditP(p, "notify.channel.update", c.ID, d)
	out := toAPIChannel(c)
	out.Secret = shown
	httpx.WriteJSON(rw, 200, out)
}

func (w *Wing) deleteChannel(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	c, ok := w.resolveChannel(r.PathValue("channel"))
	if !ok {
		httpx.WriteError(rw, 404, "channel not found")
		return
	}
	if err := w.d.Store.DeleteNotifyChannel(c.ID); err != nil {
		httpx.WriteError(rw, 404, "channel not found")
		return
	}
	w.d.Audit.AuditP(p, "notify.channel.delete", c.ID, channelAudit(&c))
	httpx.WriteJSON(rw, 200, api.NotifyDeleted{Deleted: c.ID, Name: c.Name})
}

// testChannel queues a test message to a channel, due now, and answers
// its delivery: the deliveries list shows how it went.
func (w *Wing) testChannel(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	c, ok := w.resolveChannel(r.PathValue("channel"))
	if !ok {
		httpx.WriteError(rw, 404, "channel not found")
		return
	}
	d, err := w.enqueueTest(c)
	if err != nil {
		httpx.WriteError(rw, 500, "internal error")
		return
	}
	w.d.Audit.AuditP(p, "notify.channel.test", c.ID, map[string]string{"name": c.Name, "delivery": d.ID})
	httpx.WriteJSON(rw, 202, w.toAPIDelivery(d, map[string]string{c.ID: c.Name}))
}

// channelAudit is what the audit log records of a channel: never its secret.
func channelAudit(c *store.NotifyChannel) map[string]string {
	d := map[string]string{"name": c.Name, "type": c.Type}
	if c.URL != "" {
		d["url"] = redactURL(c.URL)
	}
	if len(c.To) > 0 {
		d["to"] = strings.Join(c.To, ",")
	}
	if c.Disabled {
		d["disabled"] = "true"
	}
	return d
}

// redactURL drops a URL's query, where receivers often put a token.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	if u.RawQuery != "" {
		u.RawQuery = "redacted"
	}
	return u.String()
}

func toAPIRule(r store.NotifyRule) api.NotifyRule {
	return api.NotifyRule{ID: r.ID, Name: r.Name, MinSeverity: r.MinSeverity, Clients: r.Clients, Profiles: r.Profiles, Kinds: r.Kinds,
		Channels: r.Channels, RenotifyMinutes: r.RenotifyMinutes, Disabled: r.Disabled, CreatedAt: r.CreatedAt, CreatedBy: r.CreatedBy}
}

func (w *Wing) listRules(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	rs, err := w.d.Store.NotifyRules()
	if err != nil {
		httpx.WriteError(rw, 500, "internal error")
		return
	}
	out := make([]api.NotifyRule, 0, len(rs))
	for _, x := range rs {
		out = append(out, toAPIRule(x))
	}
	httpx.WriteJSON(rw, 200, out)
}

func (w *Wing) showRule(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	x, ok := w.resolveRule(r.PathValue("rule"))
	if !ok {
		httpx.WriteError(rw, 404, "rule not found")
		return
	}
	httpx.WriteJSON(rw, 200, toAPIRule(x))
}

// ruleFrom checks a rule request and resolves its clients and channels
// (IDs or names) to IDs.
func (w *Wing) ruleFrom(req *api.NotifyRuleRequest, x *store.NotifyRule) (int, string) {
	name, err := httpx.CleanName("name", req.Name, 80)
	if err != nil {
		return 400, err.Error()
	}
	if !slices.Contains(Severities, req.MinSeverity) {
		return 400, "min_severity must be information, warning or critical"
	}
	for _, k := range req.Kinds {
		if !slices.Contains(Kinds, k) {
			return 400, "kinds: " + strconv.Quote(httpx.CleanText(k, 40)) + " is not one of " + strings.Join(Kinds, ", ")
		}
	}
	if req.RenotifyMinutes < 0 || req.RenotifyMinutes > 7*24*60 {
		return 400, "renotify_minutes must be 0 (never) to 10080 (a week)"
	}
	if len(req.Channels) == 0 || len(req.Channels) > 20 || len(req.Clients) > 1000 || len(req.Profiles) > 1000 {
		return 400, "a rule names 1 to 20 channels, at most 1000 clients and profiles"
	}
	var chans, clients []string
	for _, ref := range req.Channels {
		c, ok := w.resolveChannel(ref)
		if !ok {
			return 404, "channel " + strconv.Quote(httpx.CleanText(ref, 80)) + " not found"
		}
		chans = append(chans, c.ID)
	}
	if len(req.Clients) > 0 {
		all, err := w.d.Store.Clients()
		if err != nil {
			return 500, "internal error"
		}
		for _, ref := range req.Clients {
			i := slices.IndexFunc(all, func(c store.Client) bool { return c.ID == ref || c.Name == ref })
			if i < 0 {
				return 404, "client " + strconv.Quote(httpx.CleanText(ref, 80)) + " not found"
			}
			clients = append(clients, all[i].ID)
		}
	}
	profiles := make([]string, 0, len(req.Profiles))
	for _, pr := range req.Profiles {
		profiles = append(profiles, httpx.CleanText(pr, 80))
	}
	if len(profiles) == 0 {
		profiles = nil
	}
	x.Name, x.MinSeverity, x.Clients, x.Profiles, x.Kinds = name, req.MinSeverity, clients, profiles, req.Kinds
	x.Channels, x.RenotifyMinutes, x.Disabled = chans, req.RenotifyMinutes, req.Disabled
	return 0, ""
}

func ruleAudit(x *store.NotifyRule) map[string]string {
	return map[string]string{"name": x.Name, "min_severity": x.MinSeverity, "clients": strings.Join(x.Clients, ","),
		"profiles": strings.Join(x.Profiles, ","), "kinds": strings.Join(x.Kinds, ","), "channels": strings.Join(x.Channels, ","),
		"renotify_minutes": strconv.Itoa(x.RenotifyMinutes), "disabled": strconv.FormatBool(x.Disabled)}
}

func (w *Wing) createRule(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	var req api.NotifyRuleRequest
	if err := httpx.DecodeBody(r, &req, bodyLimit); err != nil {
		httpx.WriteBodyError(rw, err)
		return
	}
	x := store.NotifyRule{ID: httpx.NewID("nr"), CreatedAt: w.d.Now(), CreatedBy: p.Name}
	if code, msg := w.ruleFrom(&req, &x); code != 0 {
		httpx.WriteError(rw, code, msg)
		return
	}
	if _, taken := w.resolveRule(x.Name); taken {
		httpx.WriteError(rw, 409, "a rule of that name exists")
		return
	}
	if err := w.d.Store.PutNotifyRule(x); err != nil {
		httpx.WriteError(rw, 500, "internal error")
		return
	}
	w.d.Audit.AuditP(p, "notify.rule.create", x.ID, ruleAudit(&x))
	httpx.WriteJSON(rw, 201, toAPIRule(x))
}

func (w *Wing) updateRule(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	x, ok := w.resolveRule(r.PathValue("rule"))
	if !ok {
		httpx.WriteError(rw, 404, "rule not found")
		return
	}
	var req api.NotifyRuleRequest
	if err := httpx.DecodeBody(r, &req, bodyLimit); err != nil {
		httpx.WriteBodyError(rw, err)
		return
	}
	if code, msg := w.ruleFrom(&req, &x); code != 0 {
		httpx.WriteError(rw, code, msg)
		return
	}
	if other, taken := w.resolveRule(x.Name); taken && other.ID != x.ID {
		httpx.WriteError(rw, 409, "a rule of that name exists")
		return
	}
	if err := w.d.Store.PutNotifyRule(x); err != nil {
		httpx.WriteError(rw, 500, "internal error")
		return
	}
	w.d.Audit.AuditP(p, "notify.rule.update", x.ID, ruleAudit(&x))
	httpx.WriteJSON(rw, 200, toAPIRule(x))
}

func (w *Wing) deleteRule(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	x, ok := w.resolveRule(r.PathValue("rule"))
	if !ok {
		httpx.WriteError(rw, 404, "rule not found")
		return
	}
	if err := w.d.Store.DeleteNotifyRule(x.ID); err != nil {
		httpx.WriteError(rw, 404, "rule not found")
		return
	}
	w.d.Audit.AuditP(p, "notify.rule.delete", x.ID, ruleAudit(&x))
	httpx.WriteJSON(rw, 200, api.NotifyDeleted{Deleted: x.ID, Name: x.Name})
}

func (w *Wing) channelNames() map[string]string {
	m := map[string]string{}
	cs, _ := w.d.Store.NotifyChannels()
	for _, c := range cs {
		m[c.ID] = c.Name
	}
	return m
}

func (w *Wing) toAPIDelivery(d store.Delivery, names map[string]string) api.Delivery {
	return api.Delivery{ID: d.ID, ChannelID: d.ChannelID, ChannelName: names[d.ChannelID], ChannelType: d.ChannelType, RuleID: d.RuleID,
		ClientID: d.ClientID, Status: d.Status, Subject: d.Subject, Count: d.Count, Attempts: d.Attempts, LastError: d.LastError,
		CreatedAt: d.CreatedAt, NextAttempt: d.NextAttempt, SentAt: d.SentAt, MergedInto: d.MergedInto}
}

// listDeliveries lists the outbox newest first: ?status=, ?channel= (ID
// or name), ?before=ID for the next page, ?limit= (default 100, at most
// 1000).
func (w *Wing) listDeliveries(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	q := store.DeliveryQuery{Status: r.URL.Query().Get("status"), Before: r.URL.Query().Get("before"), Limit: 100}
	if q.Status != "" && !slices.Contains([]string{store.DeliveryPending, store.DeliverySent, store.DeliveryDead, store.DeliveryMerged}, q.Status) {
		httpx.WriteError(rw, 400, "status must be pending, sent, dead or merged")
		return
	}
	if ch := r.URL.Query().Get("channel"); ch != "" {
		c, ok := w.resolveChannel(ch)
		if !ok {
			httpx.WriteError(rw, 404, "channel not found")
			return
		}
		q.ChannelID = c.ID
	}
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 1000 {
			httpx.WriteError(rw, 400, "limit must be 1 to 1000")
			return
		}
		q.Limit = n
	}
	ds, err := w.d.Store.Deliveries(q)
	if err != nil {
		httpx.WriteError(rw, 500, "internal error")
		return
	}
	names := w.channelNames()
	out := make([]api.Delivery, 0, len(ds))
	for _, d := range ds {
		out = append(out, w.toAPIDelivery(d, names))
	}
	httpx.WriteJSON(rw, 200, out)
}

func (w *Wing) showDelivery(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	d, err := w.d.Store.Delivery(r.PathValue("delivery"))
	if err != nil {
		httpx.WriteError(rw, 404, "delivery not found")
		return
	}
	httpx.WriteJSON(rw, 200, w.toAPIDelivery(d, w.channelNames()))
}

// retryDelivery gives a dead delivery another round of attempts, due now,
// with the same delivery ID.
func (w *Wing) retryDelivery(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	d, err := w.retry(r.PathValue("delivery"))
	switch {
	case errors.Is(err, store.ErrNotFound):
		httpx.WriteError(rw, 404, "delivery not found")
		return
	case errors.Is(err, errNotDead):
		httpx.WriteError(rw, 409, "only a dead delivery can be retried; this one is "+d.Status)
		return
	case err != nil:
		httpx.WriteError(rw, 500, "internal error")
		return
	}
	w.d.Audit.AuditP(p, "notify.delivery.retry", d.ID, map[string]string{"channel": d.ChannelID, "attempts": strconv.Itoa(d.Attempts)})
	httpx.WriteJSON(rw, 200, w.toAPIDelivery(d, w.channelNames()))
}

var errNotDead = errors.New("not dead")

func (w *Wing) retry(id string) (store.Delivery, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	d, err := w.d.Store.Delivery(id)
	if err != nil {
		return d, err
	}
	if d.Status != store.DeliveryDead {
		return d, errNotDead
	}
	// A new round: MaxAge counts from now, the ID and attempts stay.
	now := w.d.Now()
	d.Status, d.NextAttempt, d.CreatedAt = store.DeliveryPending, now, now
	if err := w.d.Store.PutDeliveries([]store.Delivery{d}); err != nil {
		return d, err
	}
	w.poke()
	return d, nil
}
