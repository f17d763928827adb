package boltstore

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"github.com/steward-rmm/steward/server/store"

	bolt "go.etcd.io/bbolt"
)

// The script library. A script has a stable ID, an owner (a client, or ""
// for global) and a name unique per owner among the scripts not deleted.
// Each save appends an immutable version under script_versions; the head
// in script_heads is a copy of the newest version. Deleting marks the head
// only, so the versions jobs ran stay readable.
var (
	bScriptHeads    = []byte("script_heads")    // script id -> newest version
	bScriptVersions = []byte("script_versions") // script id / big-endian version -> version
)

func newScriptID() string {
	var b [10]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return "sc_" + hex.EncodeToString(b[:])
}

func versionKey(id string, v int) []byte {
	return binary.BigEndian.AppendUint32([]byte(id+"/"), uint32(v))
}

func putScriptVersion(tx *bolt.Tx, sc store.Script) error {
	b, err := encode(sc)
	if err != nil {
		return fmt.Errorf("store: marshal script %s: %w", sc.ID, err)
	}
	if err := tx.Bucket(bScriptVersions).Put(versionKey(sc.ID, sc.Version), b); err != nil {
		return fmt.Errorf("store: script version: %w", err)
	}
	return tx.Bucket(bScriptHeads).Put([]byte(sc.ID), b)
}

// scriptNamed finds the live script of an owner by name (case-sensitive,
// as names are used in jobs).
func scriptNamed(tx *bolt.Tx, clientID, name string) (store.Script, bool, error) {
	var hit store.Script
	found := false
	err := each(tx, bScriptHeads, nil, func(sc *store.Script) error {
		if !sc.Deleted && sc.ClientID == clientID && sc.Name == name {
			hit, found = *sc, true
		}
		return nil
	})
	return hit, found, err
}

// PutScript saves a new version of a script. With sc.ID set it must name
// a live script, whose owner and name do not change; without, the live
// script of sc.ClientID named sc.Name gets the new version, or a new
// script is made. Version, ID and SHA256 are set here.
func (s *DB) PutScript(sc store.Script) (store.Script, error) {
	err := s.db.Update(func(tx *bolt.Tx) error {
		var head store.Script
		found := false
		if sc.ID != "" {
			if err := get(tx, bScriptHeads, sc.ID, &head); err != nil || head.Deleted {
				return fmt.Errorf("script %q: %w", sc.ID, store.ErrNotFound)
			}
			found = true
		} else {
			var err error
			if head, found, err = scriptNamed(tx, sc.ClientID, sc.Name); err != nil {
				return err
			}
		}
		if found {
			sc.ID, sc.ClientID, sc.Name, sc.Version = head.ID, head.ClientID, head.Name, head.Version+1
		} else {
			sc.ID, sc.Version = newScriptID(), 1
		}
		sc.SHA256, sc.Deleted = store.ScriptHash(sc.Body), false
		return putScriptVersion(tx, sc)
	})
	return sc, err
}

// Script returns the newest version of a live script by ID.
func (s *DB) Script(id string) (store.Script, error) {
	var sc store.Script
	err := s.db.View(func(tx *bolt.Tx) error { return get(tx, bScriptHeads, id, &sc) })
	if err == nil && sc.Deleted {
		err = fmt.Errorf("script %q: %w", id, store.ErrNotFound)
	}
	return sc, err
}

// ScriptVersion returns one version of a script, also of a deleted one.
func (s *DB) ScriptVersion(id string, version int) (store.Script, error) {
	var sc store.Script
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bScriptVersions).Get(versionKey(id, version))
		if v == nil || version < 1 {
			return fmt.Errorf("script %q version %d: %w", id, version, store.ErrNotFound)
		}
		return decode(v, &sc)
	})
	return sc, err
}

// ScriptVersions lists every version of a script, oldest first.
func (s *DB) ScriptVersions(id string) ([]store.Script, error) {
	return list[store.Script](s, bScriptVersions, []byte(id+"/"), nil)
}

// ScriptByName returns the live script of an owner ("" = global) by name.
func (s *DB) ScriptByName(clientID, name string) (store.Script, error) {
	var sc store.Script
	err := s.db.View(func(tx *bolt.Tx) error {
		hit, ok, err := scriptNamed(tx, clientID, name)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("script %q: %w", name, store.ErrNotFound)
		}
		sc = hit
		return nil
	})
	return sc, err
}

// Scripts lists the newest version of every live script q selects.
func (s *DB) Scripts(q store.ScriptQuery) ([]store.Script, error) {
	return list(s, bScriptHeads, nil, func(sc *store.Script) bool { return !sc.Deleted && q.Match(sc) })
}

// DeleteScript removes a script from the library; its versions stay.
func (s *DB) DeleteScript(id string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		var head store.Script
		if err := get(tx, bScriptHeads, id, &head); err != nil || head.Deleted {
			return fmt.Errorf("script %q: %w", id, store.ErrNotFound)
		}
		head.Deleted = true
		return put(tx, bScriptHeads, id, head)
	})
}
