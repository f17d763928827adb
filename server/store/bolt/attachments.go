package boltstore

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/steward-rmm/steward/server/store"
	bolt "go.etcd.io/bbolt"
)

// Attachments by ID, and a reference index client NUL sha256 NUL id ->
// nothing, so counting a content's references reads a few keys.
var (
	bAttachments    = []byte("attachments")
	bAttachmentRefs = []byte("attachment_refs")
)

type diskAttachment struct {
	ID          string    `json:"id"`
	ClientID    string    `json:"client_id"`
	OwnerKind   string    `json:"owner_kind,omitempty"`
	OwnerID     string    `json:"owner_id,omitempty"`
	Name        string    `json:"name"`
	Size        int64     `json:"size"`
	ContentType string    `json:"content_type,omitempty"`
	SHA256      string    `json:"sha256"`
	UploadedAt  time.Time `json:"uploaded_at,omitzero"`
	UploadedBy  string    `json:"uploaded_by,omitempty"`
}

func refPrefix(clientID, sha string) []byte { return []byte(clientID + "\x00" + sha + "\x00") }

// PutAttachment stores a new attachment of an existing client.
func (s *DB) PutAttachment(a store.Attachment) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bClients).Get([]byte(a.ClientID)) == nil {
			return fmt.Errorf("client %q: %w", a.ClientID, store.ErrNotFound)
		}
		if tx.Bucket(bAttachments).Get([]byte(a.ID)) != nil {
			return fmt.Errorf("attachment %q: %w", a.ID, store.ErrExists)
		}
		if err := put(tx, bAttachments, a.ID, a); err != nil {
			return err
		}
		return tx.Bucket(bAttachmentRefs).Put(append(refPrefix(a.ClientID, a.SHA256), a.ID...), nil)
	})
}

// Attachment returns an attachment by ID.
func (s *DB) Attachment(id string) (store.Attachment, error) {
	var a store.Attachment
	err := s.db.View(func(tx *bolt.Tx) error { return get(tx, bAttachments, id, &a) })
	return a, err
}

// Attachments lists the attachments q selects, newest first.
func (s *DB) Attachments(q store.AttachmentQuery) ([]store.Attachment, error) {
	out, err := list(s, bAttachments, nil, q.Match)
	slices.SortFunc(out, func(a, b store.Attachment) int {
		if c := b.UploadedAt.Compare(a.UploadedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	return out, err
}

func countRefs(tx *bolt.Tx, clientID, sha string) int {
	n := 0
	p := refPrefix(clientID, sha)
	c := tx.Bucket(bAttachmentRefs).Cursor()
	for k, _ := c.Seek(p); k != nil && strings.HasPrefix(string(k), string(p)); k, _ = c.Next() {
		n++
	}
	return n
}

// DeleteAttachment removes an attachment and counts what still shares its content.
func (s *DB) DeleteAttachment(id string) (a store.Attachment, left int, err error) {
	err = s.db.Update(func(tx *bolt.Tx) error {
		if err := get(tx, bAttachments, id, &a); err != nil {
			return err
		}
		if err := tx.Bucket(bAttachments).Delete([]byte(id)); err != nil {
			return err
		}
		if err := tx.Bucket(bAttachmentRefs).Delete(append(refPrefix(a.ClientID, a.SHA256), a.ID...)); err != nil {
			return err
		}
		left = countRefs(tx, a.ClientID, a.SHA256)
		return nil
	})
	return a, left, err
}

// AttachmentRefs counts a client's attachments with a content.
func (s *DB) AttachmentRefs(clientID, sha string) (n int, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		n = countRefs(tx, clientID, sha)
		return nil
	})
	return n, err
}
