package boltstore

import (
	"testing"
	"time"

	"github.com/steward-rmm/steward/server/store"
)

// TestNotifyBucketsOnAnOldDatabase: a database of format 1 (the fixture)
// gets the notification buckets from its migration and stores channels,
// deliveries and tracked alerts at once.
func TestNotifyBucketsOnAnOldDatabase(t *testing.T) {
	dir := unpack(t, "today-v1.db.gz")
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	at := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	if err := db.PutNotifyChannel(store.NotifyChannel{ID: "ch1", Name: "hook", Type: store.ChannelWebhook}); err != nil {
		t.Fatal(err)
	}
	err = db.CommitNotify([]store.Delivery{{ID: "dl1", ChannelID: "ch1", Status: store.DeliveryPending, NextAttempt: at}},
		[]store.NotifyAlert{{AlertID: "al1"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := db.PendingDeliveries(); err != nil || n != 1 {
		t.Fatalf("pending = %d %v", n, err)
	}
	if ds, err := db.Deliveries(store.DeliveryQuery{Due: at}); err != nil || len(ds) != 1 {
		t.Fatalf("due = %+v %v", ds, err)
	}
}
