package store

import (
	"strings"
	"time"
)

// Attachment is a file of a client, optionally of one of its objects
// (OwnerKind "ticket", "asset" or "contact" and OwnerID). The content is
// kept outside the store, by its SHA-256, once per client: several
// attachments of a client with the same content share it.
type Attachment struct {
	ID          string
	ClientID    string
	OwnerKind   string
	OwnerID     string
	Name        string
	Size        int64
	ContentType string
	SHA256      string
	UploadedAt  time.Time
	UploadedBy  string
}

// AttachmentQuery selects attachments, newest first: of ClientID ("" =
// any), inside Scope, of OwnerKind and OwnerID when set, and whose name
// contains Name (any case) when set.
type AttachmentQuery struct {
	ClientID  string
	Scope     Scope
	OwnerKind string
	OwnerID   string
	Name      string
}

// Match reports whether q selects a.
func (q *AttachmentQuery) Match(a *Attachment) bool {
	return (q.ClientID == "" || a.ClientID == q.ClientID) && q.Scope.Has(a.ClientID) &&
		(q.OwnerKind == "" || a.OwnerKind == q.OwnerKind) && (q.OwnerID == "" || a.OwnerID == q.OwnerID) &&
		(q.Name == "" || strings.Contains(strings.ToLower(a.Name), strings.ToLower(q.Name)))
}

// AttachmentStore holds attachment records (not their content).
type AttachmentStore interface {
	// PutAttachment stores a new attachment of an existing client (else
	// ErrNotFound); ErrExists when the ID is taken.
	PutAttachment(a Attachment) error
	Attachment(id string) (Attachment, error)
	Attachments(q AttachmentQuery) ([]Attachment, error)
	// DeleteAttachment removes an attachment and returns how many
	// attachments of its client still have its content (0: the content
	// may go), in the same commit.
	DeleteAttachment(id string) (Attachment, int, error)
	// AttachmentRefs counts a client's attachments with the content sha256.
	AttachmentRefs(clientID, sha256 string) (int, error)
}
