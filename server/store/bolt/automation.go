package boltstore

import (
	"bytes"
	"fmt"
	"slices"
	"time"

	"github.com/steward-rmm/steward/server/store"
	bolt "go.etcd.io/bbolt"
)

// Automation lives in its own buckets (made by migrateAutomation):
//   - auto_profiles: profile ID -> profile with its tasks
//   - auto_config: "assign/" + assignment key, "exempt/DEVICE/PROFILE/TASK",
//     "approve/CLIENT/PATCH" (CLIENT "" = every client)
//   - auto_state: "PROFILE/TASK/DEVICE" -> schedule state
//   - auto_runs: record ID (time-ordered) -> scheduled occurrence
var (
	bAutoProfiles = []byte("auto_profiles")
	bAutoConfig   = []byte("auto_config")
	bAutoState    = []byte("auto_state")
	bAutoRuns     = []byte("auto_runs")
)

// migrateAutomation makes the automation buckets; it touches nothing
// else.
func migrateAutomation(tx *bolt.Tx) error {
	for _, b := range [][]byte{bAutoProfiles, bAutoConfig, bAutoState, bAutoRuns} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	return nil
}

func aput(tx *bolt.Tx, bucket []byte, key string, v any) error {
	return autoCodec.put(tx, bucket, key, v)
}

// aeach calls fn with every record under prefix in key order (reverse
// when desc) until fn returns false or an error.
func aeach[T any](tx *bolt.Tx, bucket, prefix []byte, desc bool, fn func(k []byte, t *T) (bool, error)) error {
	return eachRecord(autoCodec, tx, bucket, prefix, desc, fn)
}

func alist[T any](s *DB, bucket, prefix []byte) ([]T, error) {
	return listRecords[T](autoCodec, s, bucket, prefix, nil)
}

// PutAutoProfile creates or replaces a profile; names are unique per owner.
func (s *DB) PutAutoProfile(p store.AutoProfile) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		err := aeach(tx, bAutoProfiles, nil, false, func(_ []byte, o *store.AutoProfile) (bool, error) {
			if o.ID != p.ID && o.ClientID == p.ClientID && o.Name == p.Name {
				return false, fmt.Errorf("automation profile %q: %w", p.Name, store.ErrExists)
			}
			return true, nil
		})
		if err != nil {
			return err
		}
		return aput(tx, bAutoProfiles, p.ID, p)
	})
}

// AutoProfile returns a profile by ID.
func (s *DB) AutoProfile(id string) (store.AutoProfile, error) {
	var p store.AutoProfile
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bAutoProfiles).Get([]byte(id))
		if b == nil {
			return fmt.Errorf("automation profile %q: %w", id, store.ErrNotFound)
		}
		return decodeAuto(b, &p)
	})
	return p, err
}

// AutoProfiles lists every profile in ID order.
func (s *DB) AutoProfiles() ([]store.AutoProfile, error) {
	return alist[store.AutoProfile](s, bAutoProfiles, nil)
}

// DeleteAutoProfile removes a profile, its assignments, exemptions and
// schedule states.
func (s *DB) DeleteAutoProfile(id string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bAutoProfiles).Get([]byte(id)) == nil {
			return fmt.Errorf("automation profile %q: %w", id, store.ErrNotFound)
		}
		if err := tx.Bucket(bAutoProfiles).Delete([]byte(id)); err != nil {
			return err
		}
		err := dropProfileConfig(autoCodec, tx, bAutoConfig, id, func(e *store.AutoExemption) string { return e.ProfileID })
		if err != nil {
			return err
		}
		c := tx.Bucket(bAutoState).Cursor()
		prefix := []byte(id + "/")
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
			if err := c.Delete(); err != nil {
				return err
			}
		}
		return nil
	})
}

// SetAutoAssignment stores or (empty ProfileID) removes an assignment.
func (s *DB) SetAutoAssignment(a store.ProfileAssignment) error {
	key := "assign/" + a.Key()
	return s.db.Update(func(tx *bolt.Tx) error {
		if a.ProfileID == "" {
			return tx.Bucket(bAutoConfig).Delete([]byte(key))
		}
		if tx.Bucket(bAutoProfiles).Get([]byte(a.ProfileID)) == nil {
			return fmt.Errorf("automation profile %q: %w", a.ProfileID, store.ErrNotFound)
		}
		return aput(tx, bAutoConfig, key, a)
	})
}

// AutoAssignments lists every assignment.
func (s *DB) AutoAssignments() ([]store.ProfileAssignment, error) {
	return alist[store.ProfileAssignment](s, bAutoConfig, []byte("assign/"))
}

func autoExemptKey(deviceID, profileID, taskID string) string {
	return "exempt/" + deviceID + "/" + profileID + "/" + taskID
}

// PutAutoExemption stores an exemption.
func (s *DB) PutAutoExemption(e store.AutoExemption) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		return aput(tx, bAutoConfig, autoExemptKey(e.DeviceID, e.ProfileID, e.TaskID), e)
	})
}

// DeleteAutoExemption removes an exemption.
func (s *DB) DeleteAutoExemption(deviceID, profileID, taskID string) error {
	k := []byte(autoExemptKey(deviceID, profileID, taskID))
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bAutoConfig)
		if b.Get(k) == nil {
			return fmt.Errorf("automation exemption %s: %w", k, store.ErrNotFound)
		}
		return b.Delete(k)
	})
}

// AutoExemptions lists a device's exemptions, or all.
func (s *DB) AutoExemptions(deviceID string) ([]store.AutoExemption, error) {
	prefix := "exempt/"
	if deviceID != "" {
		prefix += deviceID + "/"
	}
	return alist[store.AutoExemption](s, bAutoConfig, []byte(prefix))
}

func autoStateKey(st *store.AutoState) []byte {
	return []byte(st.ProfileID + "/" + st.TaskID + "/" + st.DeviceID)
}

// SaveAutoStates writes and drops schedule states and appends log
// records in one commit.
func (s *DB) SaveAutoStates(states, drop []store.AutoState, runs []store.AutoRun) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		for i := range states {
			if err := aput(tx, bAutoState, string(autoStateKey(&states[i])), states[i]); err != nil {
				return err
			}
		}
		for i := range drop {
			if err := tx.Bucket(bAutoState).Delete(autoStateKey(&drop[i])); err != nil {
				return err
			}
		}
		for i := range runs {
			if runs[i].ID == "" {
				return fmt.Errorf("automation run without an ID: %w", store.ErrConflict)
			}
			if err := aput(tx, bAutoRuns, runs[i].ID, runs[i]); err != nil {
				return err
			}
			if err := tx.Bucket(bAutoRunsByDevice).Put(autoRunIndexKey(runs[i].DeviceID, runs[i].ID), nil); err != nil {
				return err
			}
		}
		return nil
	})
}

// AutoStates lists every schedule state.
func (s *DB) AutoStates() ([]store.AutoState, error) {
	return alist[store.AutoState](s, bAutoState, nil)
}

// AutoRuns lists logged occurrences newest first.
func (s *DB) AutoRuns(q store.AutoRunQuery) ([]store.AutoRun, error) {
	var out []store.AutoRun
	err := s.db.View(func(tx *bolt.Tx) error {
		if q.DeviceID != "" { // through the device index
			var err error
			out, err = autoRunsOfDevice(tx, &q, out)
			return err
		}
		return aeach(tx, bAutoRuns, nil, true, func(_ []byte, r *store.AutoRun) (bool, error) {
			if q.Match(r) {
				out = append(out, *r)
			}
			return q.Limit == 0 || len(out) < q.Limit, nil
		})
	})
	return out, err
}

// PruneAutoRuns removes log records older than before, from the oldest
// until the first that is not.
func (s *DB) PruneAutoRuns(before time.Time) (int, error) {
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		var drop, idx [][]byte
		err := aeach(tx, bAutoRuns, nil, false, func(k []byte, r *store.AutoRun) (bool, error) {
			if !r.At.Before(before) {
				return false, nil // IDs are time-ordered: the rest are newer
			}
			drop = append(drop, slices.Clone(k))
			idx = append(idx, autoRunIndexKey(r.DeviceID, r.ID))
			return true, nil
		})
		if err != nil {
			return err
		}
		for i, k := range drop {
			if err := tx.Bucket(bAutoRuns).Delete(k); err != nil {
				return err
			}
			if err := tx.Bucket(bAutoRunsByDevice).Delete(idx[i]); err != nil {
				return err
			}
		}
		n = len(drop)
		return nil
	})
	return n, err
}

func approvalKey(clientID, patchID string) []byte {
	return []byte("approve/" + clientID + "/" + patchID)
}

// PutPatchApproval stores an approval.
func (s *DB) PutPatchApproval(a store.PatchApproval) error {
	return s.db.Update(func(tx *bolt.Tx) error { return aput(tx, bAutoConfig, string(approvalKey(a.ClientID, a.PatchID)), a) })
}

// DeletePatchApproval removes an approval.
func (s *DB) DeletePatchApproval(clientID, patchID string) error {
	k := approvalKey(clientID, patchID)
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bAutoConfig)
		if b.Get(k) == nil {
			return fmt.Errorf("patch approval %s: %w", k, store.ErrNotFound)
		}
		return b.Delete(k)
	})
}

// PatchApprovals lists every approval.
func (s *DB) PatchApprovals() ([]store.PatchApproval, error) {
	return alist[store.PatchApproval](s, bAutoConfig, []byte("approve/"))
}
