package boltstore

import (
	"fmt"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/steward-rmm/steward/server/store"
	bolt "go.etcd.io/bbolt"
)

// TestMigrateAutoRunsIndex: a schema-14 database (the scheduler's log,
// no device index) opened by this code gets the index built from the
// log: a device's records are found through it, newest first.
func TestMigrateAutoRunsIndex(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	var logs []store.AutoRun
	for i := range 4 {
		logs = append(logs, store.AutoRun{ID: fmt.Sprintf("ar%d", i), ProfileID: "ap1", TaskID: "t1", DeviceID: fmt.Sprintf("d%d", i%2),
			Due: at, At: at.Add(time.Duration(i) * time.Minute), Outcome: store.AutoStarted})
	}
	if err := db.SaveAutoStates(nil, nil, logs); err != nil {
		t.Fatal(err)
	}
	db.Close()
	bdb, err := bolt.Open(filepath.Join(dir, "steward.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = bdb.Update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(bAutoRunsByDevice); err != nil {
			return err
		}
		return tx.Bucket(bMeta).Put([]byte(metaSchema), []byte("14"))
	})
	bdb.Close()
	if err != nil {
		t.Fatal(err)
	}
	db, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, err := db.Meta(metaSchema); err != nil || v != strconv.Itoa(SchemaVersion) {
		t.Fatalf("schema %q %v", v, err)
	}
	rs, err := db.AutoRuns(store.AutoRunQuery{DeviceID: "d1"})
	if err != nil || len(rs) != 2 || rs[0].ID != "ar3" || rs[1].ID != "ar1" {
		t.Fatalf("device d1's log after the migration = %+v %v", rs, err)
	}
}

// BenchmarkAutoRunsOfDevice: one device's newest 100 log records among
// 20 hourly occurrences on 10,000 devices (200,000 records).
func BenchmarkAutoRunsOfDevice(b *testing.B) {
	db, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	at := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	for h := range 20 {
		logs := make([]store.AutoRun, 0, 10000)
		for d := range 10000 {
			logs = append(logs, store.AutoRun{ID: fmt.Sprintf("ar%03d-%05d", h, d), ProfileID: "ap1", TaskID: "t1",
				DeviceID: fmt.Sprintf("d%05d", d), ClientID: "c1", Due: at, At: at.Add(time.Duration(h) * time.Hour),
				Outcome: store.AutoStarted, JobID: "j1", RunID: "r1"})
		}
		if err := db.SaveAutoStates(nil, nil, logs); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := range b.N {
		rs, err := db.AutoRuns(store.AutoRunQuery{DeviceID: fmt.Sprintf("d%05d", i%10000), Limit: 100})
		if err != nil || len(rs) != 20 {
			b.Fatalf("%d records, %v", len(rs), err)
		}
	}
}
