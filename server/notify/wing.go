// Package notify is the wing for notifications: channels (signed webhooks,
// e-mail), routing rules, and the durable outbox their deliveries go
// through. Its input is Alert, one alert change from the alert lifecycle;
// Alert stores every delivery it causes before it returns, and a sender
// delivers them at least once, each with a delivery ID the receiver
// de-duplicates on, retrying with backoff until it is sent or dead.
//
// Alike changes within the grouping window (same client, category, check
// kind and change kind) become one message per channel: the first waits
// for the window to close. Alerts reported open are tracked, so a rule
// with re-notification repeats them while they stay open.
package notify

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/steward-rmm/steward/server/auditlog"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/mail"
	"github.com/steward-rmm/steward/server/store"
)

// Store is the part of the store the wing uses.
type Store interface {
	store.NotifyStore
	Clients() ([]store.Client, error)
}

// Mailer sends e-mail (server/mail's Sender).
type Mailer interface {
	Send(ctx context.Context, msg mail.Message) error
	Configured() bool
}

// Metrics counts delivery attempts by channel type and outcome
// ("sent", "failed", "dead").
type Metrics interface {
	Delivery(channelType, outcome string)
}

// Config tunes grouping and the sender; zero values take the defaults.
type Config struct {
	// GroupWindow is how long alike alert changes are collected into one
	// message (default 1 minute; negative: no grouping).
	GroupWindow time.Duration
	// MaxAge is how long a delivery is retried before it is dead (24 h).
	MaxAge time.Duration
	// BackoffBase and BackoffMax bound the retry delay (10 s, 30 min).
	BackoffBase, BackoffMax time.Duration
	// Workers bounds attempts under way (8); PerChannel bounds them per
	// channel (2), so one slow receiver holds at most that many.
	Workers, PerChannel int
	// Tick is how often the sender looks for due deliveries and the
	// re-notifications (1 s).
	Tick time.Duration
	// Timeout bounds one attempt (15 s).
	Timeout time.Duration
	// Retention is how long finished deliveries stay listed (30 days).
	Retention time.Duration
	// WebhookCAs verifies webhook receivers' certificates (nil: system).
	WebhookCAs *x509.CertPool
}

func (c *Config) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.GroupWindow, time.Minute)
	def(&c.MaxAge, 24*time.Hour)
	def(&c.BackoffBase, 10*time.Second)
	def(&c.BackoffMax, 30*time.Minute)
	def(&c.Tick, time.Second)
	def(&c.Timeout, 15*time.Second)
	def(&c.Retention, 30*24*time.Hour)
	if c.Workers <= 0 {
		c.Workers = 8
	}
	if c.PerChannel <= 0 {
		c.PerChannel = 2
	}
}

// Deps are what the notify wing is built from.
type Deps struct {
	Config  Config
	Store   Store
	Mail    Mailer
	Metrics Metrics // may be nil
	Audit   auditlog.Writer
	Now     httpx.Clock
	Log     *slog.Logger
}

// Wing routes alert changes to channels and delivers them.
type Wing struct {
	d    Deps
	hc   *http.Client
	wake chan struct{}

	// mu serialises Alert, the re-notifications and the claiming of due
	// deliveries, so a burst is never added to after it is claimed. Lock
	// order: a leaf but for store calls.
	mu sync.Mutex
	// groups maps a burst's group key to when its window closes.
	groups map[string]time.Time
	// open are the tracked alerts by ID, with their last change decoded.
	open map[string]*tracked
	// inflight are the deliveries being attempted, by ID, with their
	// channel; perChannel counts them by channel.
	inflight   map[string]string
	perChannel map[string]int
	attempts   sync.WaitGroup
	// queue holds the due deliveries read last, not yet started; nextDue
	// is when the next one is due (both under mu); dirty says the outbox
	// changed since it was last read.
	queue   []store.Delivery
	nextDue time.Time
	dirty   atomic.Bool
	// pruned is when finished deliveries were last pruned (run's goroutine).
	pruned time.Time
}

type tracked struct {
	rec store.NotifyAlert
	ev  AlertEvent
}

// New builds the wing; Start loads its state and starts the sender.
func New(d Deps) *Wing {
	d.Config.defaults()
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig.RootCAs = d.Config.WebhookCAs
	tr.Proxy = nil
	hc := &http.Client{Transport: tr, Timeout: d.Config.Timeout,
		// A redirect is an answer, not a delivery: the receiver must be
		// configured at its real URL.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	w := &Wing{d: d, hc: hc, wake: make(chan struct{}, 1), groups: map[string]time.Time{}, open: map[string]*tracked{},
		inflight: map[string]string{}, perChannel: map[string]int{}}
	w.dirty.Store(true)
	return w
}

// Run loads the tracked alerts and the open bursts and runs the sender
// until ctx ends, then waits for the attempts under way: what was pending
// when the server stopped (or was killed) is delivered now.
func (w *Wing) Run(ctx context.Context) {
	if err := w.load(); err != nil {
		w.d.Log.Error("notify: load; notifications are held until the next start", "err", err)
		return
	}
	w.run(ctx)
	w.Wait()
}

// Wait waits for the attempts under way to end.
func (w *Wing) Wait() { w.attempts.Wait() }

func (w *Wing) load() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	as, err := w.d.Store.NotifyAlerts()
	if err != nil {
		return fmt.Errorf("notify: load alerts: %w", err)
	}
	for _, a := range as {
		t := &tracked{rec: a}
		if err := json.Unmarshal(a.Event, &t.ev); err != nil {
			w.d.Log.Warn("notify: unreadable tracked alert", "alert", a.AlertID, "err", err)
			continue
		}
		w.open[a.AlertID] = t
	}
	pend, err := w.d.Store.Deliveries(store.DeliveryQuery{Due: farFuture(w.d.Now())})
	if err != nil {
		return fmt.Errorf("notify: load outbox: %w", err)
	}
	for _, d := range pend {
		if d.GroupKey != "" && d.Attempts == 0 {
			w.groups[d.GroupKey] = d.NextAttempt
		}
	}
	return nil
}

func (w *Wing) run(ctx context.Context) {
	t := time.NewTicker(w.d.Config.Tick)
	defer t.Stop()
	for {
		w.tick(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-w.wake:
		}
	}
}

// poke says the outbox changed and wakes the sender.
func (w *Wing) poke() {
	w.dirty.Store(true)
	w.wakeUp()
}

// wakeUp wakes the sender.
func (w *Wing) wakeUp() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// tick sends the re-notifications that are due and starts attempts of
// the due deliveries.
func (w *Wing) tick(ctx context.Context) {
	now := w.d.Now()
	if err := w.renotify(now); err != nil {
		w.d.Log.Error("notify: re-notification", "err", err)
	}
	if now.Sub(w.pruned) >= time.Hour {
		w.pruned = now
		if n, err := w.d.Store.PruneDeliveries(now.Add(-w.d.Config.Retention)); err != nil {
			w.d.Log.Error("notify: prune deliveries", "err", err)
		} else if n > 0 {
			w.d.Log.Info("notify: pruned finished deliveries", "count", n)
		}
	}
	for _, d := range w.claim(now) {
		w.attempts.Add(1)
		go func() {
			defer w.attempts.Done()
			w.attempt(ctx, d)
		}()
	}
}

// Alert takes one alert change and puts the notifications it causes in
// the durable outbox before returning.
func (w *Wing) Alert(ev AlertEvent) error { return w.Alerts([]AlertEvent{ev}) }

// Alerts takes alert changes in order and stores the notifications they
// cause, and the alerts they open or close, in one commit before
// returning: a caller with many changes at once (an outage) pays one
// write. Nothing is stored when one change is invalid.
func (w *Wing) Alerts(evs []AlertEvent) error {
	for i := range evs {
		if err := evs[i].validate(); err != nil {
			return err
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.d.Now()
	rules, err := w.d.Store.NotifyRules()
	if err != nil {
		return fmt.Errorf("notify: rules: %w", err)
	}
	var ds []store.Delivery
	changed := map[string]*tracked{} // alert ID -> its new state (nil: forgotten)
	var order []string
	for _, ev := range evs {
		var matched []store.NotifyRule
		for _, r := range rules {
			if matches(&r, &ev) {
				matched = append(matched, r)
			}
		}
		more, err := w.route(now, ev, matched)
		if err != nil {
			return err
		}
		ds = append(ds, more...)
		t, seen := changed[ev.AlertID]
		if !seen {
			order = append(order, ev.AlertID)
			t = w.open[ev.AlertID]
		}
		changed[ev.AlertID] = tracking(t, now, ev, matched)
	}
	var put []store.NotifyAlert
	var forget []string
	for _, id := range order {
		if t := changed[id]; t != nil {
			put = append(put, t.rec)
		} else {
			forget = append(forget, id)
		}
	}
	if err := w.d.Store.CommitNotify(ds, put, forget); err != nil {
		return fmt.Errorf("notify: outbox: %w", err)
	}
	for _, id := range order {
		if t := changed[id]; t != nil {
			w.open[id] = t
		} else {
			delete(w.open, id)
		}
	}
	if len(ds) > 0 {
		w.poke()
	}
	return nil
}

// route makes one delivery per channel the matched rules name (a channel
// named by two rules gets the change once).
func (w *Wing) route(now time.Time, ev AlertEvent, rules []store.NotifyRule) ([]store.Delivery, error) {
	var out []store.Delivery
	seen := map[string]bool{}
	for _, r := range rules {
		for _, chID := range r.Channels {
			if seen[chID] {
				continue
			}
			seen[chID] = true
			ch, err := w.d.Store.NotifyChannel(chID)
			if errors.Is(err, store.ErrNotFound) || (err == nil && ch.Disabled) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("notify: channel %s: %w", chID, err)
			}
			d, err := w.newDelivery(now, ch, r.ID, ev)
			if err != nil {
				return nil, err
			}
			out = append(out, d)
		}
	}
	return out, nil
}

// newDelivery makes the delivery of one change to one channel. Within the
// grouping window it joins its burst: it is due when the burst's window
// closes, when the burst's deliveries are merged into one.
func (w *Wing) newDelivery(now time.Time, ch store.NotifyChannel, ruleID string, ev AlertEvent) (store.Delivery, error) {
	d := store.Delivery{ID: httpx.NewID("dl"), ChannelID: ch.ID, ChannelType: ch.Type, RuleID: ruleID, ClientID: ev.ClientID,
		Status: store.DeliveryPending, CreatedAt: now, NextAttempt: now}
	if w.d.Config.GroupWindow > 0 {
		d.GroupKey = groupKey(ch.ID, &ev)
		end, ok := w.groups[d.GroupKey]
		if !ok || !now.Before(end) {
			end = now.Add(w.d.Config.GroupWindow)
			w.groups[d.GroupKey] = end
		}
		d.NextAttempt = end
	}
	items := []AlertEvent{ev}
	raw, err := json.Marshal(items)
	if err != nil {
		return d, fmt.Errorf("notify: encode: %w", err)
	}
	d.Items = raw
	return d, render(&d, items, false)
}

// tracking is an alert's state after change ev (prev: before it, nil
// when untracked): raised, escalated and reopened are open, snoozed is
// paused, resolved is forgotten (nil). prev is not changed.
func tracking(prev *tracked, now time.Time, ev AlertEvent, notified []store.NotifyRule) *tracked {
	if ev.Kind == KindResolved {
		return nil
	}
	t := &tracked{rec: store.NotifyAlert{AlertID: ev.AlertID, Notified: map[string]time.Time{}}}
	if prev != nil {
		maps.Copy(t.rec.Notified, prev.rec.Notified)
	}
	t.ev = ev
	t.rec.ClientID, t.rec.Paused = ev.ClientID, ev.Kind == KindSnoozed
	for _, r := range notified {
		t.rec.Notified[r.ID] = now
	}
	t.rec.Event, _ = json.Marshal(ev) // plain data: cannot fail
	return t
}

// renotify repeats the open alerts whose rules ask for it and whose last
// notification by that rule is at least the rule's interval old.
func (w *Wing) renotify(now time.Time) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	var rules []store.NotifyRule
	for _, t := range w.open {
		if t.rec.Paused {
			continue
		}
		if rules == nil {
			all, err := w.d.Store.NotifyRules()
			if err != nil {
				return err
			}
			rules = all
			if len(rules) == 0 {
				return nil
			}
		}
		var due []store.NotifyRule
		for _, r := range rules {
			last, ok := t.rec.Notified[r.ID]
			if r.RenotifyMinutes > 0 && ok && matches(&r, &t.ev) && !now.Before(last.Add(time.Duration(r.RenotifyMinutes)*time.Minute)) {
				due = append(due, r)
			}
		}
		if len(due) == 0 {
			continue
		}
		ev := t.ev
		ev.Reminder = true
		ds, err := w.route(now, ev, due)
		if err != nil {
			return err
		}
		next := tracking(t, now, t.ev, due)
		if err := w.d.Store.CommitNotify(ds, []store.NotifyAlert{next.rec}, nil); err != nil {
			return err
		}
		w.open[t.rec.AlertID] = next
		w.poke()
	}
	return nil
}
