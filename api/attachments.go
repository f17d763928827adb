package api

import "time"

// Attachment is a stored file of a client (and optionally of one of its
// tickets, assets or contacts). Preview says whether GET .../preview
// shows it (images but SVG, PDF, plain text).
type Attachment struct {
	ID          string    `json:"id"`
	ClientID    string    `json:"client_id"`
	ClientName  string    `json:"client_name,omitempty"`
	OwnerKind   string    `json:"owner_kind,omitempty"`
	OwnerID     string    `json:"owner_id,omitempty"`
	Name        string    `json:"name"`
	Size        int64     `json:"size"`
	ContentType string    `json:"content_type"`
	SHA256      string    `json:"sha256"`
	UploadedAt  time.Time `json:"uploaded_at"`
	UploadedBy  string    `json:"uploaded_by,omitempty"`
	Preview     bool      `json:"preview,omitempty"`
}

// AttachmentDeleted answers the deletion of an attachment; ContentRemoved
// says whether its content went too (no other attachment of the client
// had it).
type AttachmentDeleted struct {
	Deleted        string `json:"deleted"`
	Name           string `json:"name"`
	ContentRemoved bool   `json:"content_removed"`
}
