package boltstore

import (
	"errors"
	"fmt"
	"runtime"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// listAll decodes every record of bucket, in key order, spreading the
// decoding over the CPUs. The server reads every device and inventory
// before it listens; after a crash that is time each agent waits, and JSON
// decoding is most of it. A read transaction's values stay valid (and
// unchanging) until it ends, so workers read them in place.
func listAll[T any](s *DB, bucket []byte) ([]T, error) {
	var out []T
	err := s.db.View(func(tx *bolt.Tx) error {
		var keys, vals [][]byte
		c := tx.Bucket(bucket).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			keys, vals = append(keys, k), append(vals, v)
		}
		out = make([]T, len(vals))
		// A worker per CPU, each on a contiguous share; small buckets
		// are decoded in place.
		workers := max(1, min(runtime.GOMAXPROCS(0), len(vals)/512))
		errs := make([]error, workers)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w * len(vals) / workers; i < (w+1)*len(vals)/workers; i++ {
					if err := decode(vals[i], &out[i]); err != nil {
						errs[w] = fmt.Errorf("store: decode %s/%s: %w", bucket, keys[i], err)
						return
					}
				}
			}()
		}
		wg.Wait()
		return errors.Join(errs...)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
