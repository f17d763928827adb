package boltstore

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/steward-rmm/steward/server/store"
	bolt "go.etcd.io/bbolt"
)

// The help desk's search index: one bucket of keys
// "KIND FIELD:VALUE NUL CLIENT NUL ID", KIND "c" for a client and "p" for a
// contact, FIELD a store.Search constant and VALUE the normalised key
// (one key per word of a name, each address, each number); the value of a
// name key is the whole lower-case name, so a search for several words
// checks the others without decoding a record. CreateClient,
// PutClientProfile and PutContacts keep it in their own commits: they
// remove the keys of the record as it was and add those of the record as
// it is. Caller codes are kept by contact ID.
var (
	bSearchIndex = []byte("search_index")
	bCallerCodes = []byte("caller_codes")
	bDeviceSIPs  = []byte("device_sips")
)

// migrateHelpdesk creates the help desk's buckets and indexes the clients
// and contacts stored before it.
func migrateHelpdesk(tx *bolt.Tx) error {
	for _, b := range [][]byte{bSearchIndex, bCallerCodes, bDeviceSIPs} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	return rebuildSearch(tx)
}

// searchKey is one index entry.
type searchKey struct{ key, val []byte }

func indexKey(kind, field, value, clientID, id string) []byte {
	return []byte(kind + field + ":" + value + "\x00" + clientID + "\x00" + id)
}

// nameWords splits a name into its lower-case words (letters and digits).
func nameWords(s string) []string {
	ws := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	slices.Sort(ws)
	return slices.Compact(ws)
}

// sipKey is the user@host part of a SIP address, lower case.
func sipKey(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if r, ok := strings.CutPrefix(s, "sips:"); ok {
		return r
	}
	r, _ := strings.CutPrefix(s, "sip:")
	return r
}

// websiteHost is the host of a website as entered with or without scheme.
func websiteHost(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

func clientKeys(c store.Client, p *store.ClientProfile) []searchKey {
	var ks []searchKey
	low := strings.ToLower(c.Name)
	for _, w := range nameWords(c.Name) {
		ks = append(ks, searchKey{indexKey("c", store.SearchName, w, c.ID, c.ID), []byte(low)})
	}
	if p == nil {
		return ks
	}
	if p.PhoneE164 != "" {
		ks = append(ks, searchKey{indexKey("c", store.SearchPhone, p.PhoneE164, c.ID, c.ID), nil})
	}
	doms := []string{}
	for _, d := range p.Domains {
		doms = append(doms, strings.ToLower(strings.TrimSpace(d)))
	}
	if h := websiteHost(p.Website); h != "" {
		doms = append(doms, h, strings.TrimPrefix(h, "www."))
	}
	slices.Sort(doms)
	for _, d := range slices.Compact(doms) {
		if d != "" {
			ks = append(ks, searchKey{indexKey("c", store.SearchDomain, d, c.ID, c.ID), nil})
		}
	}
	return ks
}

func contactKeys(c *store.Contact) []searchKey {
	var ks []searchKey
	low := strings.ToLower(c.Name)
	for _, w := range nameWords(c.Name) {
		ks = append(ks, searchKey{indexKey("p", store.SearchName, w, c.ClientID, c.ID), []byte(low)})
	}
	if c.Email != "" {
		ks = append(ks, searchKey{indexKey("p", store.SearchEmail, strings.ToLower(c.Email), c.ClientID, c.ID), nil})
	}
	for _, n := range []string{c.PhoneE164, c.MobileE164} {
		if n != "" {
			ks = append(ks, searchKey{indexKey("p", store.SearchPhone, n, c.ClientID, c.ID), nil})
		}
	}
	if c.SIP != "" {
		ks = append(ks, searchKey{indexKey("p", store.SearchSIP, sipKey(c.SIP), c.ClientID, c.ID), nil})
	}
	return ks
}

// reindex replaces the keys old by the keys new.
func reindex(tx *bolt.Tx, old, new []searchKey) error {
	b := tx.Bucket(bSearchIndex)
	for _, k := range old {
		if err := b.Delete(k.key); err != nil {
			return err
		}
	}
	for _, k := range new {
		if err := b.Put(k.key, k.val); err != nil {
			return err
		}
	}
	return nil
}

// clientProfileIn reads a client's profile in tx (nil if none).
func clientProfileIn(tx *bolt.Tx, id string) (*store.ClientProfile, error) {
	if tx.Bucket(bClientProfiles).Get([]byte(id)) == nil {
		return nil, nil
	}
	var p store.ClientProfile
	if err := get(tx, bClientProfiles, id, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// rebuildSearch empties the index and indexes every client and contact.
func rebuildSearch(tx *bolt.Tx) error {
	if err := tx.DeleteBucket(bSearchIndex); err != nil {
		return err
	}
	if _, err := tx.CreateBucket(bSearchIndex); err != nil {
		return err
	}
	err := each(tx, bClients, nil, func(c *store.Client) error {
		p, err := clientProfileIn(tx, c.ID)
		if err != nil {
			return err
		}
		return reindex(tx, nil, clientKeys(*c, p))
	})
	if err != nil {
		return err
	}
	err = each(tx, bContacts, nil, func(c *store.Contact) error { return reindex(tx, nil, contactKeys(c)) })
	if err != nil {
		return err
	}
	return tx.Bucket(bDeviceSIPs).ForEach(func(k, v []byte) error {
		return tx.Bucket(bSearchIndex).Put(deviceSIPKey(string(v), string(k)), nil)
	})
}

// RebuildSearchIndex rebuilds the search index from the records.
func (s *DB) RebuildSearchIndex() error { return s.db.Update(rebuildSearch) }

// searchIDs walks the index for q and returns matching client and record
// IDs in index order, at most limit, each once.
func searchIDs(tx *bolt.Tx, kind string, q store.SearchQuery, limit int) (clients, ids []string) {
	if q.ClientID != "" && !q.Scope.Has(q.ClientID) {
		return nil, nil
	}
	var words []string
	var prefix []byte
	if q.Field == store.SearchName {
		words = nameWords(q.Value)
		if len(words) == 0 {
			return nil, nil
		}
		// The longest word narrows the walk most.
		longest := slices.MaxFunc(words, func(a, b string) int { return len(a) - len(b) })
		prefix = []byte(kind + q.Field + ":" + longest)
	} else {
		v := strings.ToLower(strings.TrimSpace(q.Value))
		if q.Field == store.SearchSIP {
			v = sipKey(v)
		}
		if q.Field == store.SearchPhone {
			v = strings.TrimSpace(q.Value)
		}
		if v == "" {
			return nil, nil
		}
		prefix = []byte(kind + q.Field + ":" + v + "\x00")
	}
	seen := map[string]bool{}
	c := tx.Bucket(bSearchIndex).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(ids) < limit; k, v = c.Next() {
		rest := k[len(prefix):]
		// rest is "WORDTAIL NUL CLIENT NUL ID" (name) or "CLIENT NUL ID".
		if words != nil {
			_, after, ok := bytes.Cut(rest, []byte{0})
			if !ok {
				continue
			}
			rest = after
		}
		client, id, ok := bytes.Cut(rest, []byte{0})
		if !ok || seen[string(id)] {
			continue
		}
		if q.ClientID != "" && string(client) != q.ClientID || q.ClientID == "" && !q.Scope.Has(string(client)) {
			continue
		}
		if len(words) > 1 && !allWordsStart(nameWords(string(v)), words) {
			continue
		}
		seen[string(id)] = true
		clients, ids = append(clients, string(client)), append(ids, string(id))
	}
	return clients, ids
}

// allWordsStart reports whether every query word starts a name word of
// its own ("fa falor" is not "Ann Falordnim": both words would start the
// same name word). Longest query words choose first.
func allWordsStart(name, query []string) bool {
	used := make([]bool, len(name))
	q := slices.Clone(query)
	slices.SortFunc(q, func(a, b string) int { return len(b) - len(a) })
	for _, w := range q {
		i := slices.IndexFunc(name, func(n string) bool { return strings.HasPrefix(n, w) })
		for i >= 0 && used[i] {
			j := slices.IndexFunc(name[i+1:], func(n string) bool { return strings.HasPrefix(n, w) })
			if j < 0 {
				i = -1
				break
			}
			i += 1 + j
		}
		if i < 0 {
			return false
		}
		used[i] = true
	}
	return true
}

func searchLimit(q store.SearchQuery) int {
	if q.Limit <= 0 {
		return 50
	}
	return q.Limit
}

// SearchClients lists the clients q selects.
func (s *DB) SearchClients(q store.SearchQuery) ([]store.Client, error) {
	var out []store.Client
	err := s.db.View(func(tx *bolt.Tx) error {
		_, ids := searchIDs(tx, "c", q, searchLimit(q))
		for _, id := range ids {
			var c store.Client
			if err := get(tx, bClients, id, &c); err != nil {
				return err
			}
			out = append(out, c)
		}
		return nil
	})
	return out, err
}

// SearchContacts lists the contacts q selects.
func (s *DB) SearchContacts(q store.SearchQuery) ([]store.Contact, error) {
	var out []store.Contact
	err := s.db.View(func(tx *bolt.Tx) error {
		clients, ids := searchIDs(tx, "p", q, searchLimit(q))
		for i, id := range ids {
			var c store.Contact
			if err := get(tx, bContacts, string(contactKey(clients[i], id)), &c); err != nil {
				return err
			}
			out = append(out, c)
		}
		return nil
	})
	return out, err
}

type diskCallerCode struct {
	ContactID string    `json:"contact_id"`
	ClientID  string    `json:"client_id"`
	Salt      string    `json:"salt"`
	Hash      string    `json:"hash"`
	SentTo    string    `json:"sent_to"`
	SentBy    string    `json:"sent_by"`
	SentAt    time.Time `json:"sent_at"`
	ExpiresAt time.Time `json:"expires_at"`
	Attempts  int       `json:"attempts"`
}

func getCallerCode(tx *bolt.Tx, contactID string) (store.CallerCode, bool, error) {
	raw := tx.Bucket(bCallerCodes).Get([]byte(contactID))
	if raw == nil {
		return store.CallerCode{}, false, nil
	}
	var d diskCallerCode
	if err := json.Unmarshal(raw, &d); err != nil {
		return store.CallerCode{}, false, fmt.Errorf("store: caller code %q: %w", contactID, err)
	}
	return store.CallerCode(d), true, nil
}

func putCallerCode(tx *bolt.Tx, c store.CallerCode) error {
	raw, err := json.Marshal(diskCallerCode(c))
	if err != nil {
		return err
	}
	return tx.Bucket(bCallerCodes).Put([]byte(c.ContactID), raw)
}

// PutCallerCode stores a contact's code, replacing any earlier one.
func (s *DB) PutCallerCode(c store.CallerCode) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bContactIDs).Get([]byte(c.ContactID)) == nil {
			return fmt.Errorf("contact %q: %w", c.ContactID, store.ErrNotFound)
		}
		return putCallerCode(tx, c)
	})
}

// CallerCode returns the contact's outstanding code.
func (s *DB) CallerCode(contactID string) (store.CallerCode, error) {
	var c store.CallerCode
	err := s.db.View(func(tx *bolt.Tx) error {
		var ok bool
		var err error
		c, ok, err = getCallerCode(tx, contactID)
		if err == nil && !ok {
			err = fmt.Errorf("caller code of %q: %w", contactID, store.ErrNotFound)
		}
		return err
	})
	return c, err
}

// CheckCallerCode counts one attempt against the contact's code.
func (s *DB) CheckCallerCode(contactID, hash string, now time.Time, maxAttempts int) (string, store.CallerCode, error) {
	outcome := store.CodeNone
	var c store.CallerCode
	err := s.db.Update(func(tx *bolt.Tx) error {
		var ok bool
		var err error
		c, ok, err = getCallerCode(tx, contactID)
		if err != nil || !ok {
			return err
		}
		del := func() error { return tx.Bucket(bCallerCodes).Delete([]byte(contactID)) }
		switch {
		case now.After(c.ExpiresAt):
			outcome = store.CodeExpired
			return del()
		case c.Attempts >= maxAttempts:
			outcome = store.CodeLocked
			return del()
		}
		c.Attempts++
		if subtle.ConstantTimeCompare([]byte(c.Hash), []byte(hash)) == 1 {
			outcome = store.CodeVerified
			return del()
		}
		outcome = store.CodeWrong
		return putCallerCode(tx, c)
	})
	return outcome, c, err
}

// reindexProfile replaces a client's search keys by those with profile p.
func reindexProfile(tx *bolt.Tx, p store.ClientProfile) error {
	var c store.Client
	if err := get(tx, bClients, p.ClientID, &c); err != nil {
		return err
	}
	old, err := clientProfileIn(tx, p.ClientID)
	if err != nil {
		return err
	}
	return reindex(tx, clientKeys(c, old), clientKeys(c, &p))
}

// Device SIP addresses: device ID -> address in device_sips, and the key
// "dsip:USER@HOST NUL NUL DEVICE" in the search index (no client: a device
// can move, so the caller scopes by its current client).
func deviceSIPKey(sip, deviceID string) []byte {
	return indexKey("d", store.SearchSIP, sipKey(sip), "", deviceID)
}

// dropDeviceSIP removes a device's address and its index key.
func dropDeviceSIP(tx *bolt.Tx, deviceID string) error {
	b := tx.Bucket(bDeviceSIPs)
	old := b.Get([]byte(deviceID))
	if old == nil {
		return nil
	}
	if err := tx.Bucket(bSearchIndex).Delete(deviceSIPKey(string(old), deviceID)); err != nil {
		return err
	}
	return b.Delete([]byte(deviceID))
}

// SetDeviceSIP sets or removes a device's SIP address.
func (s *DB) SetDeviceSIP(deviceID, sip string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bDevices).Get([]byte(deviceID)) == nil {
			return fmt.Errorf("device %q: %w", deviceID, store.ErrNotFound)
		}
		if err := dropDeviceSIP(tx, deviceID); err != nil || sip == "" {
			return err
		}
		if err := tx.Bucket(bDeviceSIPs).Put([]byte(deviceID), []byte(sip)); err != nil {
			return err
		}
		return tx.Bucket(bSearchIndex).Put(deviceSIPKey(sip, deviceID), nil)
	})
}

// DeviceSIP returns a device's SIP address.
func (s *DB) DeviceSIP(deviceID string) (string, error) {
	var v string
	err := s.db.View(func(tx *bolt.Tx) error {
		v = string(tx.Bucket(bDeviceSIPs).Get([]byte(deviceID)))
		return nil
	})
	return v, err
}

// DevicesBySIP lists the devices with the SIP address.
func (s *DB) DevicesBySIP(sip string) ([]string, error) {
	var ids []string
	key := sipKey(sip)
	if key == "" {
		return nil, nil
	}
	prefix := []byte("d" + store.SearchSIP + ":" + key + "\x00\x00")
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bSearchIndex).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			ids = append(ids, string(k[len(prefix):]))
		}
		return nil
	})
	return ids, err
}
