package notify

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/steward-rmm/steward/server/store"
	boltstore "github.com/steward-rmm/steward/server/store/bolt"
)

// TestOutageEveryAlertOnce: 5,000 devices of 50 clients going offline
// (200 changes reported one at a time, the rest a batch per client), then
// resolved in one batch, with the real sender running: each client's receiver gets its burst grouped, and
// every alert arrives exactly once across the messages. The times are
// logged (figures for the report, not asserted).
func TestOutageEveryAlertOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("5,000 alerts")
	}
	db, err := boltstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rc := newReceiver(t, testSecret, time.Now)
	must(t, db.PutNotifyChannel(store.NotifyChannel{ID: "ch_hook", Name: "hook", Type: store.ChannelWebhook, URL: rc.URL, Secret: testSecret}))
	must(t, db.PutNotifyRule(store.NotifyRule{ID: "nr_1", Name: "all", MinSeverity: "information", Channels: []string{"ch_hook"}}))
	w := New(Deps{Config: Config{GroupWindow: 2 * time.Second, Tick: 50 * time.Millisecond}, Store: db, Audit: nopAudit{}, Now: time.Now})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	const clients, per, single = 50, 100, 200
	start := time.Now()
	// The first client's changes one at a time (a commit each), the
	// others a batch per client.
	for d := range single {
		c, dd := d/per, d%per
		must(t, w.Alert(event(KindRaised, fmt.Sprintf("al-%d-%d", c, dd), fmt.Sprint("c", c), fmt.Sprintf("d-%d-%d", c, dd),
			"critical", "availability", "availability")))
	}
	stored := time.Since(start)
	for c := single / per; c < clients; c++ {
		var evs []AlertEvent
		for d := range per {
			evs = append(evs, event(KindRaised, fmt.Sprintf("al-%d-%d", c, d), fmt.Sprint("c", c), fmt.Sprintf("d-%d-%d", c, d),
				"critical", "availability", "availability"))
		}
		must(t, w.Alerts(evs))
	}
	batches := time.Since(start) - stored
	var resolved []AlertEvent
	for c := range clients {
		for d := range per {
			resolved = append(resolved, event(KindResolved, fmt.Sprintf("al-%d-%d", c, d), fmt.Sprint("c", c), fmt.Sprintf("d-%d-%d", c, d),
				"critical", "availability", "availability"))
		}
	}
	bstart := time.Now()
	must(t, w.Alerts(resolved))
	batch := time.Since(bstart)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if n, _ := rc.got(); n >= 2*clients {
			break
		}
		if time.Now().After(deadline) {
			n, _ := rc.got()
			t.Fatalf("%d of %d messages", n, 2*clients)
		}
		time.Sleep(20 * time.Millisecond)
	}
	delivered := time.Since(start)
	time.Sleep(300 * time.Millisecond)
	n, ps := rc.got()
	seen := map[string]int{}
	for _, p := range ps {
		for _, a := range p.Alerts {
			seen[a.Kind+"/"+a.AlertID]++
		}
	}
	rc.mu.Lock()
	hits := rc.hits
	rc.mu.Unlock()
	if n != 2*clients || len(seen) != 2*clients*per || hits != n {
		t.Fatalf("%d messages (%d requests) carrying %d distinct alert changes, want %d messages with %d", n, hits, len(seen), 2*clients, 2*clients*per)
	}
	for k, c := range seen {
		if c != 1 {
			t.Fatalf("%s arrived %d times", k, c)
		}
	}
	if as, _ := db.NotifyAlerts(); len(as) != 0 {
		t.Fatalf("%d alerts still tracked after resolve", len(as))
	}
	t.Logf("%d raised one at a time stored in %v (%v each), %d more in %d batches of %d in %v; %d resolved in one batch in %v; "+
		"all %d messages (%d changes) delivered %v after the first (grouping window 2 s)",
		single, stored.Round(time.Millisecond), (stored / single).Round(time.Microsecond), clients*per-single, clients-single/per, per,
		batches.Round(time.Millisecond), clients*per, batch.Round(time.Millisecond), n, len(seen), delivered.Round(time.Millisecond))
}
