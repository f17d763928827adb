package boltstore

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/steward-rmm/steward/server/store"
	bolt "go.etcd.io/bbolt"
)

// The client page: profiles by client ID; custom field definitions under
// "field/ID" and the pinned field keys under "pinned" in client_fields;
// contacts under "CLIENT/CONTACT", so that a client's contacts are one
// contiguous range (a client page lists and searches only its own), with
// three indexes: contact ID -> client ID; "CLIENT/lower(e-mail)" ->
// contact ID for the e-mail's uniqueness within a client; and
// "CLIENT/lower(name) NUL ID" -> "lower(e-mail) NUL a|d" (active or
// disabled), which a search and a page of contacts read instead of the
// records: keys only, already in name order, then the page's records.
var (
	bClientProfiles = []byte("client_profiles")
	bClientFields   = []byte("client_fields")
	bContacts       = []byte("contacts")
	bContactIDs     = []byte("contact_ids")
	bContactEmails  = []byte("contact_emails")
	bContactNames   = []byte("contact_names")
)

// migrateClientPage adds the client page's buckets.
func migrateClientPage(tx *bolt.Tx) error {
	for _, b := range [][]byte{bClientProfiles, bClientFields, bContacts, bContactIDs, bContactEmails, bContactNames} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	return nil
}

type diskClientProfile struct {
	ClientID      string            `json:"client_id"`
	Phone         string            `json:"phone,omitempty"`
	PhoneE164     string            `json:"phone_e164,omitempty"`
	Fax           string            `json:"fax,omitempty"`
	FaxE164       string            `json:"fax_e164,omitempty"`
	Address       string            `json:"address,omitempty"`
	Postcode      string            `json:"postcode,omitempty"`
	Domains       []string          `json:"domains,omitempty"`
	Website       string            `json:"website,omitempty"`
	CompanyNumber string            `json:"company_number,omitempty"`
	TicketLimit   int               `json:"ticket_limit,omitempty"`
	Notes         string            `json:"notes,omitempty"`
	Ranking       int               `json:"ranking,omitempty"`
	Custom        map[string]string `json:"custom,omitempty"`
	ModifiedAt    time.Time         `json:"modified_at"`
	ModifiedBy    string            `json:"modified_by,omitempty"`
	TimeZone      string            `json:"time_zone,omitempty"`
}

type diskClientField struct {
	ID        string    `json:"id"`
	Label     string    `json:"label"`
	Type      string    `json:"type"`
	Options   []string  `json:"options,omitempty"`
	Order     int       `json:"order"`
	CreatedAt time.Time `json:"created_at"`
}

type diskContact struct {
	ID         string    `json:"id"`
	ClientID   string    `json:"client_id"`
	Name       string    `json:"name"`
	JobTitle   string    `json:"job_title,omitempty"`
	Email      string    `json:"email,omitempty"`
	Phone      string    `json:"phone,omitempty"`
	PhoneE164  string    `json:"phone_e164,omitempty"`
	Mobile     string    `json:"mobile,omitempty"`
	MobileE164 string    `json:"mobile_e164,omitempty"`
	SIP        string    `json:"sip,omitempty"`
	Devices    []string  `json:"devices,omitempty"`
	Disabled   bool      `json:"disabled,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	ModifiedAt time.Time `json:"modified_at"`
	ModifiedBy string    `json:"modified_by,omitempty"`
}

// ClientProfile returns a client's stored profile.
func (s *DB) ClientProfile(clientID string) (store.ClientProfile, error) {
	var p store.ClientProfile
	err := s.db.View(func(tx *bolt.Tx) error { return get(tx, bClientProfiles, clientID, &p) })
	return p, err
}

// ClientProfiles lists every stored profile in client ID order.
func (s *DB) ClientProfiles() ([]store.ClientProfile, error) {
	return list[store.ClientProfile](s, bClientProfiles, nil, nil)
}

// PutClientProfile stores the profile of an existing client. Concurrent
// saves share a commit (Batch): the write is idempotent.
func (s *DB) PutClientProfile(p store.ClientProfile) error {
	return s.db.Batch(func(tx *bolt.Tx) error {
		if tx.Bucket(bClients).Get([]byte(p.ClientID)) == nil {
			return fmt.Errorf("client %q: %w", p.ClientID, store.ErrNotFound)
		}
		if err := reindexProfile(tx, p); err != nil {
			return err
		}
		return put(tx, bClientProfiles, p.ClientID, p)
	})
}

// ClientFields lists the custom field definitions by Order, then ID.
func (s *DB) ClientFields() ([]store.ClientField, error) {
	fs, err := list[store.ClientField](s, bClientFields, []byte("field/"), nil)
	slices.SortStableFunc(fs, func(a, b store.ClientField) int {
		if a.Order != b.Order {
			return a.Order - b.Order
		}
		return strings.Compare(a.ID, b.ID)
	})
	return fs, err
}

// PutClientField creates or replaces a definition.
func (s *DB) PutClientField(f store.ClientField) error {
	return s.db.Update(func(tx *bolt.Tx) error { return put(tx, bClientFields, "field/"+f.ID, f) })
}

// DeleteClientField removes a definition.
func (s *DB) DeleteClientField(id string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bClientFields)
		if b.Get([]byte("field/"+id)) == nil {
			return fmt.Errorf("client field %q: %w", id, store.ErrNotFound)
		}
		return b.Delete([]byte("field/" + id))
	})
}

// PinnedFields returns the pinned field keys in order.
func (s *DB) PinnedFields() ([]string, error) {
	var keys []string
	err := s.db.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bClientFields).Get([]byte("pinned"))
		if raw == nil {
			return nil
		}
		return json.Unmarshal(raw, &keys)
	})
	return keys, err
}

// SetPinnedFields stores the pinned field keys in order.
func (s *DB) SetPinnedFields(keys []string) error {
	raw, err := json.Marshal(keys)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bClientFields).Put([]byte("pinned"), raw) })
}

func contactKey(clientID, id string) []byte { return []byte(clientID + "/" + id) }

func emailKey(clientID, email string) []byte { return []byte(clientID + "/" + strings.ToLower(email)) }

func nameKey(c *store.Contact) []byte {
	return []byte(c.ClientID + "/" + strings.ToLower(c.Name) + "\x00" + c.ID)
}

func nameValue(c *store.Contact) []byte {
	st := "a"
	if c.Disabled {
		st = "d"
	}
	return []byte(strings.ToLower(c.Email) + "\x00" + st)
}

// PutContacts creates or replaces contacts in one commit.
func (s *DB) PutContacts(cs []store.Contact) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		ids, emails, names, cb := tx.Bucket(bContactIDs), tx.Bucket(bContactEmails), tx.Bucket(bContactNames), tx.Bucket(bContacts)
		for i := range cs {
			c := &cs[i]
			if tx.Bucket(bClients).Get([]byte(c.ClientID)) == nil {
				return fmt.Errorf("client %q: %w", c.ClientID, store.ErrNotFound)
			}
			if owner := ids.Get([]byte(c.ID)); owner != nil {
				if string(owner) != c.ClientID {
					return fmt.Errorf("contact %q belongs to another client: %w", c.ID, store.ErrExists)
				}
				var old store.Contact
				if err := get(tx, bContacts, string(contactKey(c.ClientID, c.ID)), &old); err != nil {
					return err
				}
				if old.Email != "" {
					if err := emails.Delete(emailKey(c.ClientID, old.Email)); err != nil {
						return err
					}
				}
				if err := names.Delete(nameKey(&old)); err != nil {
					return err
				}
				if err := reindex(tx, contactKeys(&old), nil); err != nil {
					return err
				}
			}
			if c.Email != "" {
				ek := emailKey(c.ClientID, c.Email)
				if other := emails.Get(ek); other != nil && string(other) != c.ID {
					return fmt.Errorf("contact e-mail %q: %w", c.Email, store.ErrExists)
				}
				if err := emails.Put(ek, []byte(c.ID)); err != nil {
					return err
				}
			}
			if err := ids.Put([]byte(c.ID), []byte(c.ClientID)); err != nil {
				return err
			}
			if err := names.Put(nameKey(c), nameValue(c)); err != nil {
				return err
			}
			if err := reindex(tx, nil, contactKeys(c)); err != nil {
				return err
			}
			b, err := encode(c)
			if err != nil {
				return err
			}
			if err := cb.Put(contactKey(c.ClientID, c.ID), b); err != nil {
				return err
			}
		}
		return nil
	})
}

// Contact returns one contact by ID.
func (s *DB) Contact(id string) (store.Contact, error) {
	var c store.Contact
	err := s.db.View(func(tx *bolt.Tx) error {
		owner := tx.Bucket(bContactIDs).Get([]byte(id))
		if owner == nil {
			return fmt.Errorf("contact %q: %w", id, store.ErrNotFound)
		}
		return get(tx, bContacts, string(contactKey(string(owner), id)), &c)
	})
	return c, err
}

// contactHit is a contact a query selects, as its name index says.
type contactHit struct {
	client, lowName, id string
}

// Contacts lists the contacts q selects, sorted by name, and their count.
// It reads the name index (keys already in name order within a client)
// and decodes only the records of the page it returns.
func (s *DB) Contacts(q store.ContactQuery) ([]store.Contact, int, error) {
	if q.ClientID != "" && !q.Scope.Has(q.ClientID) {
		return nil, 0, nil
	}
	var prefix []byte
	if q.ClientID != "" {
		prefix = []byte(q.ClientID + "/")
	}
	needle := strings.ToLower(q.Search)
	var out []store.Contact
	total := 0
	err := s.db.View(func(tx *bolt.Tx) error {
		var hits []contactHit
		c := tx.Bucket(bContactNames).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			client, rest, _ := bytes.Cut(k, []byte("/"))
			if q.ClientID == "" && !q.Scope.Has(string(client)) {
				continue
			}
			name, id, _ := bytes.Cut(rest, []byte{0})
			email, st, _ := bytes.Cut(v, []byte{0})
			if q.Status == "active" && string(st) != "a" || q.Status == "disabled" && string(st) != "d" {
				continue
			}
			if needle != "" && !bytes.Contains(name, []byte(needle)) && !bytes.Contains(email, []byte(needle)) {
				continue
			}
			hits = append(hits, contactHit{string(client), string(name), string(id)})
		}
		if q.ClientID == "" {
			// Keys are in client order first; the answer is in name order.
			slices.SortFunc(hits, func(a, b contactHit) int {
				if c := strings.Compare(a.lowName, b.lowName); c != 0 {
					return c
				}
				return strings.Compare(a.id, b.id)
			})
		}
		total = len(hits)
		hits = hits[min(q.Offset, len(hits)):]
		if q.Limit > 0 && len(hits) > q.Limit {
			hits = hits[:q.Limit]
		}
		out = make([]store.Contact, 0, len(hits))
		for _, h := range hits {
			var ct store.Contact
			if err := get(tx, bContacts, string(contactKey(h.client, h.id)), &ct); err != nil {
				return err
			}
			out = append(out, ct)
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}
