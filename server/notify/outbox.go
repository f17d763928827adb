package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/mail"
	"github.com/steward-rmm/steward/server/store"
)

// Webhook headers. The signature is HMAC-SHA256, keyed with the channel's
// secret, over "TIMESTAMP.BODY": a receiver recomputes it, compares in
// constant time, and refuses a timestamp far from its clock (a replay).
// The delivery ID stays the same across attempts; a receiver that saw it
// already has the message.
const (
	HeaderSignature = "X-Steward-Signature" // sha256=HEX
	HeaderTimestamp = "X-Steward-Timestamp" // Unix seconds
	HeaderDelivery  = "X-Steward-Delivery"
)

// Sign returns the signature header value of body sent at ts.
func Sign(secret string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a webhook as a receiver would: the signature matches the
// body and timestamp, and the timestamp is within skew of now.
func Verify(secret, signature, timestamp string, body []byte, now time.Time, skew time.Duration) error {
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return errors.New("bad timestamp")
	}
	if d := now.Sub(time.Unix(ts, 0)); d > skew || d < -skew {
		return errors.New("timestamp outside the allowed skew (a replay?)")
	}
	if !hmac.Equal([]byte(signature), []byte(Sign(secret, ts, body))) {
		return errors.New("signature mismatch")
	}
	return nil
}

// backoff is the delay before attempt n+1 after n failed attempts:
// exponential from base, capped at max, with "equal jitter" (a random
// point in its upper half) so receivers coming back are not hit by every
// sender at once.
func backoff(n int, base, max time.Duration, rnd func() float64) time.Duration {
	d := base
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	d = min(d, max)
	return d/2 + time.Duration(rnd()*float64(d/2))
}

// claim takes the due deliveries the workers have room for: bursts whose
// window closed are merged into their first delivery first. Under w.mu,
// so a burst is not added to while it is merged.
func (w *Wing) claim(now time.Time) []store.Delivery {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.inflight) >= w.d.Config.Workers {
		return nil
	}
	// The outbox is read only when it changed or the earliest retry is
	// due; otherwise the due deliveries read last time (w.queue) are
	// started as workers free up. An idle server, or one waiting out a
	// receiver's backoff, does not read it every tick.
	if w.dirty.Swap(false) || (len(w.queue) == 0 && !now.Before(w.nextDue)) {
		if err := w.refill(now); err != nil {
			w.dirty.Store(true)
			w.d.Log.Error("notify: outbox", "err", err)
			return nil
		}
	}
	var out []store.Delivery
	rest := w.queue[:0]
	for _, d := range w.queue {
		if _, busy := w.inflight[d.ID]; busy {
			continue
		}
		if len(w.inflight) >= w.d.Config.Workers || w.perChannel[d.ChannelID] >= w.d.Config.PerChannel {
			rest = append(rest, d) // due, waiting for a worker
			continue
		}
		w.inflight[d.ID] = d.ChannelID
		w.perChannel[d.ChannelID]++
		out = append(out, d)
	}
	w.queue = rest
	return out
}

// refill reads the due deliveries into w.queue, merging the bursts whose
// window closed, and when the next one is due.
func (w *Wing) refill(now time.Time) error {
	due, err := w.d.Store.Deliveries(store.DeliveryQuery{Due: now})
	if err != nil {
		return err
	}
	next, ok, err := w.d.Store.NextDue(now)
	if err != nil {
		return err
	}
	w.nextDue = farFuture(now)
	if ok {
		w.nextDue = next
	}
	if w.queue, err = w.merge(due); err != nil {
		w.queue = nil
		return fmt.Errorf("merge a burst: %w", err)
	}
	return nil
}

// farFuture is a due time after every delivery's.
func farFuture(now time.Time) time.Time { return now.Add(100 * 365 * 24 * time.Hour) }

// merge turns every burst among due (deliveries of one group key not yet
// attempted) into its first delivery carrying all their alerts; the
// others are marked merged into it. One commit.
func (w *Wing) merge(due []store.Delivery) ([]store.Delivery, error) {
	lead := map[string]int{} // group key -> index in out
	var out []store.Delivery
	var changed []store.Delivery
	items := map[string][]AlertEvent{}
	merged := map[string]bool{}
	// due is in NextAttempt order, and a burst's deliveries share theirs:
	// the first one seen of a burst leads it.
	for _, d := range due {
		if d.GroupKey == "" || d.Attempts > 0 {
			out = append(out, d)
			continue
		}
		var its []AlertEvent
		if err := json.Unmarshal(d.Items, &its); err != nil {
			return nil, fmt.Errorf("delivery %s: %w", d.ID, err)
		}
		if end, ok := w.groups[d.GroupKey]; ok && !end.After(d.NextAttempt) {
			delete(w.groups, d.GroupKey) // the window closed: a new change starts a new burst
		}
		i, ok := lead[d.GroupKey]
		if !ok {
			lead[d.GroupKey] = len(out)
			out = append(out, d)
			items[d.GroupKey] = its
			continue
		}
		items[d.GroupKey] = append(items[d.GroupKey], its...)
		merged[d.GroupKey] = true
		d.Status, d.MergedInto, d.Items, d.Body, d.Text = store.DeliveryMerged, out[i].ID, nil, nil, ""
		changed = append(changed, d)
	}
	for key := range merged {
		d := &out[lead[key]]
		its := items[key]
		raw, err := json.Marshal(its)
		if err != nil {
			return nil, err
		}
		d.Items = raw
		if err := render(d, its, false); err != nil {
			return nil, err
		}
		changed = append(changed, *d)
	}
	if len(changed) > 0 {
		if err := w.d.Store.PutDeliveries(changed); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// attempt tries one delivery once and records the outcome: sent, or the
// next attempt after a backoff, or dead once MaxAge has passed.
func (w *Wing) attempt(ctx context.Context, d store.Delivery) {
	defer func() {
		w.mu.Lock()
		delete(w.inflight, d.ID)
		if w.perChannel[d.ChannelID]--; w.perChannel[d.ChannelID] <= 0 {
			delete(w.perChannel, d.ChannelID)
		}
		if d.Status == store.DeliveryPending && d.NextAttempt.Before(w.nextDue) {
			w.nextDue = d.NextAttempt // its retry
		}
		w.mu.Unlock()
		w.wakeUp() // a worker is free
	}()
	var err error
	ch, cerr := w.d.Store.NotifyChannel(d.ChannelID)
	if d.ChannelID == "" { // a direct e-mail (Direct)
		ch, cerr = store.NotifyChannel{Type: store.ChannelEmail, To: d.To}, nil
	}
	switch {
	case errors.Is(cerr, store.ErrNotFound):
		err = errors.New("the channel was deleted")
	case cerr != nil:
		w.d.Log.Error("notify: channel", "channel", d.ChannelID, "err", cerr)
		return // a store error: the delivery stays pending and is tried again
	case ch.Disabled:
		err = errors.New("the channel is disabled")
	default:
		err = w.send(ctx, ch, &d)
	}
	if ctx.Err() != nil && err != nil {
		return // the server is stopping: the delivery stays pending
	}
	now := w.d.Now()
	d.Attempts++
	outcome := "sent"
	switch {
	case err == nil:
		d.Status, d.SentAt, d.LastError = store.DeliverySent, now, ""
	case cerr == nil && !ch.Disabled && now.Sub(d.CreatedAt) < w.d.Config.MaxAge:
		d.LastError, outcome = errText(err), "failed"
		d.NextAttempt = now.Add(backoff(d.Attempts, w.d.Config.BackoffBase, w.d.Config.BackoffMax, rand.Float64))
	default:
		d.Status, d.LastError, outcome = store.DeliveryDead, errText(err), "dead"
		w.d.Log.Warn("notify: delivery dead", "delivery", d.ID, "channel", d.ChannelID, "attempts", d.Attempts, "err", d.LastError)
	}
	if w.d.Metrics != nil {
		w.d.Metrics.Delivery(d.ChannelType, outcome)
	}
	if err := w.d.Store.PutDeliveries([]store.Delivery{d}); err != nil {
		w.d.Log.Error("notify: record attempt", "delivery", d.ID, "err", err)
	}
}

func errText(err error) string {
	s := err.Error()
	if len(s) > 500 {
		s = s[:500]
	}
	return s
}

// send makes one attempt on one channel.
func (w *Wing) send(ctx context.Context, ch store.NotifyChannel, d *store.Delivery) error {
	switch ch.Type {
	case store.ChannelWebhook:
		return w.sendWebhook(ctx, ch, d)
	case store.ChannelEmail:
		if w.d.Mail == nil || !w.d.Mail.Configured() {
			return mail.ErrNotConfigured
		}
		return w.d.Mail.Send(ctx, mail.Message{To: ch.To, Subject: d.Subject, Text: d.Text,
			Headers: map[string]string{HeaderDelivery: d.ID}})
	}
	return fmt.Errorf("unknown channel type %q", ch.Type)
}

func (w *Wing) sendWebhook(ctx context.Context, ch store.NotifyChannel, d *store.Delivery) error {
	ts := w.d.Now().Unix()
	req, err := http.NewRequestWithContext(ctx, "POST", ch.URL, bytes.NewReader(d.Body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Steward-Webhook/1")
	req.Header.Set(HeaderDelivery, d.ID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(ch.Secret, ts, d.Body))
	resp, err := w.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("receiver answered %s", resp.Status)
	}
	return nil
}

// Pending counts the deliveries waiting in the outbox (the metrics gauge).
func (w *Wing) Pending() int {
	n, err := w.d.Store.PendingDeliveries()
	if err != nil {
		return 0
	}
	return n
}

// enqueueTest stores a test delivery to ch, due now.
func (w *Wing) enqueueTest(ch store.NotifyChannel) (store.Delivery, error) {
	now := w.d.Now()
	d := store.Delivery{ID: httpx.NewID("dl"), ChannelID: ch.ID, ChannelType: ch.Type,
		Status: store.DeliveryPending, CreatedAt: now, NextAttempt: now, Items: []byte("[]")}
	if err := render(&d, nil, true); err != nil {
		return d, err
	}
	if err := w.d.Store.PutDeliveries([]store.Delivery{d}); err != nil {
		return d, err
	}
	w.poke()
	return d, nil
}
