package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/steward-rmm/steward/server/store"
)

// Notify checks channels and rules (replace, list in ID order, delete,
// not-found), the outbox (the pending index follows status, due order,
// newest-first listing with filters and paging, survival across a
// reopen: a restarted server finds what was pending) and tracked alerts.
func Notify(t *testing.T, f Factory) {
	subtests(t, f, map[string]func(*testing.T, Factory){
		"ChannelsRules": testNotifyChannelsRules,
		"Outbox":        testNotifyOutbox,
		"Alerts":        testNotifyAlerts,
	})
}

func testNotifyChannelsRules(t *testing.T, f Factory) {
	db := f.fresh(t)
	at := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	if _, err := db.NotifyChannel("nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("NotifyChannel: %v", err)
	}
	if err := db.DeleteNotifyChannel("nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeleteNotifyChannel: %v", err)
	}
	if _, err := db.NotifyRule("nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("NotifyRule: %v", err)
	}
	if err := db.DeleteNotifyRule("nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeleteNotifyRule: %v", err)
	}
	for _, c := range []store.NotifyChannel{
		{ID: "ch2", Name: "ops mail", Type: store.ChannelEmail, To: []string{"a@example.com", "b@example.com"}, CreatedAt: at},
		{ID: "ch1", Name: "hook", Type: store.ChannelWebhook, URL: "https://x.example/h", Secret: "s1", CreatedAt: at, CreatedBy: "admin"},
		{ID: "ch1", Name: "hook2", Type: store.ChannelWebhook, URL: "https://x.example/h", Secret: "s2", CreatedAt: at, Disabled: true},
	} {
		if err := db.PutNotifyChannel(c); err != nil {
			t.Fatal(err)
		}
	}
	cs, err := db.NotifyChannels()
	if err != nil || len(cs) != 2 || cs[0].ID != "ch1" || cs[0].Name != "hook2" || cs[0].Secret != "s2" || !cs[0].Disabled ||
		cs[1].ID != "ch2" || !slices.Equal(cs[1].To, []string{"a@example.com", "b@example.com"}) {
		t.Fatalf("channels = %+v %v", cs, err)
	}
	if c, err := db.NotifyChannel("ch2"); err != nil || c.Type != store.ChannelEmail || !c.CreatedAt.Equal(at) {
		t.Fatalf("channel = %+v %v", c, err)
	}
	if err := db.DeleteNotifyChannel("ch1"); err != nil {
		t.Fatal(err)
	}
	if cs, _ := db.NotifyChannels(); len(cs) != 1 || cs[0].ID != "ch2" {
		t.Fatalf("after delete: %+v", cs)
	}
	r := store.NotifyRule{ID: "r1", Name: "critical", MinSeverity: "critical", Clients: []string{"c1"}, Profiles: []string{"p1"},
		Kinds: []string{"raised"}, Channels: []string{"ch2"}, RenotifyMinutes: 30, CreatedAt: at, CreatedBy: "admin"}
	for _, x := range []store.NotifyRule{{ID: "r2", Name: "all", MinSeverity: "information", Channels: []string{"ch2"}}, r} {
		if err := db.PutNotifyRule(x); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.NotifyRule("r1")
	if err != nil || got.RenotifyMinutes != 30 || !slices.Equal(got.Kinds, r.Kinds) || !slices.Equal(got.Profiles, r.Profiles) ||
		!slices.Equal(got.Clients, r.Clients) {
		t.Fatalf("rule = %+v %v", got, err)
	}
	if rs, err := db.NotifyRules(); err != nil || len(rs) != 2 || rs[0].ID != "r1" || rs[1].ID != "r2" {
		t.Fatalf("rules = %+v %v", rs, err)
	}
	if err := db.DeleteNotifyRule("r2"); err != nil {
		t.Fatal(err)
	}
	if rs, _ := db.NotifyRules(); len(rs) != 1 {
		t.Fatalf("rules after delete: %+v", rs)
	}
}

func testNotifyOutbox(t *testing.T, f Factory) {
	open := f(t)
	db := f.reopen(t, open)
	at := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	if _, err := db.Delivery("nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Delivery: %v", err)
	}
	var ds []store.Delivery
	for i := range 6 {
		d := store.Delivery{ID: fmt.Sprintf("dl_%02d", i), ChannelID: "ch1", ChannelType: store.ChannelWebhook, Status: store.DeliveryPending,
			Body: []byte(`{"n":` + fmt.Sprint(i) + `}`), Items: []byte(`[]`), Count: 1, CreatedAt: at,
			NextAttempt: at.Add(time.Duration(6-i) * time.Minute)}
		if i%2 == 1 {
			d.ChannelID = "ch2"
		}
		ds = append(ds, d)
	}
	if err := db.PutDeliveries(ds); err != nil {
		t.Fatal(err)
	}
	if err := db.PutDeliveries([]store.Delivery{{}}); err == nil {
		t.Error("a delivery without an ID was stored")
	}
	if n, err := db.PendingDeliveries(); err != nil || n != 6 {
		t.Fatalf("pending = %d %v", n, err)
	}
	// Due: pending ones due by then, the earliest due first.
	due, err := db.Deliveries(store.DeliveryQuery{Due: at.Add(4 * time.Minute)})
	if err != nil || len(due) != 4 || due[0].ID != "dl_05" || due[3].ID != "dl_02" {
		t.Fatalf("due = %v %v", ids(due), err)
	}
	if due, _ := db.Deliveries(store.DeliveryQuery{Due: at.Add(4 * time.Minute), Limit: 2}); len(due) != 2 || due[1].ID != "dl_04" {
		t.Fatalf("due limited = %v", ids(due))
	}
	if next, ok, err := db.NextDue(at.Add(4 * time.Minute)); err != nil || !ok || !next.Equal(at.Add(5*time.Minute)) {
		t.Fatalf("next due after 4 min = %v %v %v, want 5 min", next, ok, err)
	}
	if _, ok, _ := db.NextDue(at.Add(time.Hour)); ok {
		t.Fatal("a next due after the last one")
	}
	sent, dead := ds[5], ds[4]
	sent.Status, sent.Attempts, sent.SentAt = store.DeliverySent, 2, at.Add(time.Hour)
	dead.Status, dead.Attempts, dead.LastError = store.DeliveryDead, 9, "503 Service Unavailable"
	if err := db.PutDeliveries([]store.Delivery{sent, dead}); err != nil {
		t.Fatal(err)
	}
	if due, _ := db.Deliveries(store.DeliveryQuery{Due: at.Add(time.Hour)}); len(due) != 4 || slices.Contains(ids(due), "dl_05") {
		t.Fatalf("due after sent and dead = %v", ids(due))
	}
	// A restarted server finds the outbox as it was.
	db.Close()
	db = f.reopen(t, open)
	if n, _ := db.PendingDeliveries(); n != 4 {
		t.Fatalf("pending after reopen = %d", n)
	}
	all, err := db.Deliveries(store.DeliveryQuery{})
	if err != nil || len(all) != 6 || all[0].ID != "dl_05" || all[5].ID != "dl_00" {
		t.Fatalf("all newest first = %v %v", ids(all), err)
	}
	if got, err := db.Delivery("dl_04"); err != nil || got.Status != store.DeliveryDead || got.LastError != "503 Service Unavailable" ||
		got.Attempts != 9 || string(got.Body) != `{"n":4}` || string(got.Items) != `[]` || !got.NextAttempt.Equal(ds[4].NextAttempt) {
		t.Fatalf("dead delivery = %+v %v", got, err)
	}
	if q, _ := db.Deliveries(store.DeliveryQuery{Status: store.DeliveryDead}); len(q) != 1 || q[0].ID != "dl_04" {
		t.Fatalf("dead = %v", ids(q))
	}
	if q, _ := db.Deliveries(store.DeliveryQuery{ChannelID: "ch2"}); !slices.Equal(ids(q), []string{"dl_05", "dl_03", "dl_01"}) {
		t.Fatalf("ch2 = %v", ids(q))
	}
	if q, _ := db.Deliveries(store.DeliveryQuery{Before: "dl_03", Limit: 2}); !slices.Equal(ids(q), []string{"dl_02", "dl_01"}) {
		t.Fatalf("page before dl_03 = %v", ids(q))
	}
	if q, _ := db.Deliveries(store.DeliveryQuery{Status: store.DeliveryPending, ChannelID: "ch1", Limit: 1}); !slices.Equal(ids(q), []string{"dl_02"}) {
		t.Fatalf("pending ch1 newest = %v", ids(q))
	}
	// Pruning takes the finished ones created before the time, never a
	// pending one; side by side deletions skip nothing.
	old := at.Add(-48 * time.Hour)
	var more []store.Delivery
	for i := range 4 {
		more = append(more, store.Delivery{ID: fmt.Sprintf("dl_0%d", 6+i), ChannelID: "ch1", Status: store.DeliverySent, CreatedAt: old})
	}
	more = append(more, store.Delivery{ID: "dl_10", ChannelID: "ch1", Status: store.DeliveryPending, CreatedAt: old},
		store.Delivery{ID: "dl_11", ChannelID: "ch1", Status: store.DeliveryMerged, CreatedAt: old})
	if err := db.PutDeliveries(more); err != nil {
		t.Fatal(err)
	}
	if n, err := db.PruneDeliveries(at.Add(-time.Hour)); err != nil || n != 5 {
		t.Fatalf("pruned %d %v, want 5", n, err)
	}
	left, _ := db.Deliveries(store.DeliveryQuery{})
	if !slices.Equal(ids(left), []string{"dl_10", "dl_05", "dl_04", "dl_03", "dl_02", "dl_01", "dl_00"}) {
		t.Fatalf("after pruning: %v", ids(left))
	}
}

func ids(ds []store.Delivery) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.ID)
	}
	return out
}

func testNotifyAlerts(t *testing.T, f Factory) {
	open := f(t)
	db := f.reopen(t, open)
	at := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	if err := db.CommitNotify(nil, nil, []string{"nope"}); err != nil {
		t.Errorf("forgetting an unknown alert: %v", err)
	}
	d := store.Delivery{ID: "dl_1", ChannelID: "ch1", Status: store.DeliveryPending, CreatedAt: at, NextAttempt: at}
	err := db.CommitNotify([]store.Delivery{d}, []store.NotifyAlert{
		{AlertID: "al2", ClientID: "c1", Event: []byte(`{"kind":"raised"}`), Notified: map[string]time.Time{"r1": at}},
		{AlertID: "al1", ClientID: "c2", Paused: true, Event: []byte(`{"kind":"snoozed"}`)},
		{AlertID: "al3", ClientID: "c1"},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CommitNotify(nil, nil, []string{"al3"}); err != nil {
		t.Fatal(err)
	}
	// A failing commit stores none of it.
	if err := db.CommitNotify([]store.Delivery{{}}, []store.NotifyAlert{{AlertID: "al9"}}, []string{"al1"}); err == nil {
		t.Fatal("a delivery without an ID was stored")
	}
	db.Close()
	db = f.reopen(t, open)
	as, err := db.NotifyAlerts()
	if err != nil || len(as) != 2 || as[0].AlertID != "al1" || !as[0].Paused || as[1].AlertID != "al2" ||
		!as[1].Notified["r1"].Equal(at) || string(as[1].Event) != `{"kind":"raised"}` || as[1].ClientID != "c1" {
		t.Fatalf("alerts = %+v %v", as, err)
	}
	if n, _ := db.PendingDeliveries(); n != 1 {
		t.Fatalf("pending after a commit with alerts = %d", n)
	}
}
