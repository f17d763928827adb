package boltstore

import (
	"bytes"
	"slices"

	"github.com/steward-rmm/steward/server/store"
	bolt "go.etcd.io/bbolt"
)

// The scheduler's log by device: a key DEVICE/RUN-ID (no value) per log
// record, so one device's log is read without scanning every device's.
// An hourly task on 20,000 devices logs 480,000 records a day; kept 30
// days, a device's page would otherwise decode millions of records.

var bAutoRunsByDevice = []byte("auto_runs_by_device")

// migrateAutoRunsIndex makes the device index of the scheduler's log and
// fills it from the records already there.
func migrateAutoRunsIndex(tx *bolt.Tx) error {
	idx, err := tx.CreateBucketIfNotExists(bAutoRunsByDevice)
	if err != nil {
		return err
	}
	return aeach(tx, bAutoRuns, nil, false, func(_ []byte, r *store.AutoRun) (bool, error) {
		return true, idx.Put(autoRunIndexKey(r.DeviceID, r.ID), nil)
	})
}

func autoRunIndexKey(deviceID, id string) []byte {
	return []byte(deviceID + "/" + id)
}

// autoRunsOfDevice appends to out a device's log records q selects,
// newest first, up to q.Limit.
func autoRunsOfDevice(tx *bolt.Tx, q *store.AutoRunQuery, out []store.AutoRun) ([]store.AutoRun, error) {
	prefix := []byte(q.DeviceID + "/")
	cur := tx.Bucket(bAutoRunsByDevice).Cursor()
	k, _ := cur.Seek(append(slices.Clone(prefix), 0xff))
	if k == nil {
		k, _ = cur.Last()
	} else {
		k, _ = cur.Prev()
	}
	logs := tx.Bucket(bAutoRuns)
	for ; k != nil && bytes.HasPrefix(k, prefix) && (q.Limit == 0 || len(out) < q.Limit); k, _ = cur.Prev() {
		v := logs.Get(k[len(prefix):])
		if v == nil {
			continue
		}
		var r store.AutoRun
		if err := autoCodec.decode(v, &r); err != nil {
			return out, err
		}
		if q.Match(&r) {
			out = append(out, r)
		}
	}
	return out, nil
}
