package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/steward-rmm/steward/server/store"
)

// Attachments checks every method of the attachment store: records of
// existing clients, newest first, searched by name, owner and scope; and
// the reference count that decides when shared content may go.
func Attachments(t *testing.T, f Factory) {
	db := f.fresh(t)
	for _, c := range []string{"c1", "c2"} {
		if err := db.CreateClient(store.Client{ID: c, Name: c}); err != nil {
			t.Fatal(err)
		}
	}
	at := time.Now().UTC().Truncate(time.Second)
	if err := db.PutAttachment(store.Attachment{ID: "a0", ClientID: "nope", SHA256: "h"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("attachment of an unknown client: %v", err)
	}
	recs := []store.Attachment{
		{ID: "a1", ClientID: "c1", Name: "Invoice.PDF", Size: 10, ContentType: "application/pdf", SHA256: "h1", UploadedAt: at, UploadedBy: "tina"},
		{ID: "a2", ClientID: "c1", Name: "copy of invoice.pdf", Size: 10, SHA256: "h1", UploadedAt: at.Add(time.Second), OwnerKind: "ticket", OwnerID: "t1"},
		{ID: "a3", ClientID: "c2", Name: "invoice.pdf", Size: 10, SHA256: "h1", UploadedAt: at.Add(2 * time.Second)},
		{ID: "a4", ClientID: "c1", Name: "photo.png", Size: 5, SHA256: "h2", UploadedAt: at.Add(3 * time.Second)},
	}
	for _, a := range recs {
		if err := db.PutAttachment(a); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.PutAttachment(recs[0]); !errors.Is(err, store.ErrExists) {
		t.Errorf("same ID twice: %v", err)
	}
	if a, err := db.Attachment("a1"); err != nil || a.Name != "Invoice.PDF" || a.Size != 10 || !a.UploadedAt.Equal(at) || a.UploadedBy != "tina" || a.ContentType != "application/pdf" {
		t.Fatalf("attachment = %+v %v", a, err)
	}
	if _, err := db.Attachment("nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown attachment: %v", err)
	}
	ids := func(q store.AttachmentQuery) string {
		as, err := db.Attachments(q)
		if err != nil {
			t.Fatal(err)
		}
		s := ""
		for _, a := range as {
			s += a.ID + " "
		}
		return s
	}
	for _, c := range []struct {
		q    store.AttachmentQuery
		want string
	}{
		{store.AttachmentQuery{}, "a4 a3 a2 a1 "},
		{store.AttachmentQuery{ClientID: "c1"}, "a4 a2 a1 "},
		{store.AttachmentQuery{Name: "INVOICE"}, "a3 a2 a1 "},
		{store.AttachmentQuery{OwnerKind: "ticket", OwnerID: "t1"}, "a2 "},
		{store.AttachmentQuery{Scope: store.Scope{Only: true, Clients: []string{"c2"}}}, "a3 "},
		{store.AttachmentQuery{Scope: store.Scope{Only: true}}, ""},
	} {
		if got := ids(c.q); got != c.want {
			t.Errorf("Attachments(%+v) = %q, want %q", c.q, got, c.want)
		}
	}
	// Content h1 is shared by two attachments of c1 (and one of c2, apart).
	if n, err := db.AttachmentRefs("c1", "h1"); err != nil || n != 2 {
		t.Fatalf("refs of c1/h1 = %d %v", n, err)
	}
	if a, left, err := db.DeleteAttachment("a1"); err != nil || left != 1 || a.ID != "a1" {
		t.Fatalf("delete a1: %+v %d %v, want 1 left", a, left, err)
	}
	if _, left, err := db.DeleteAttachment("a2"); err != nil || left != 0 {
		t.Fatalf("delete a2: %d %v, want 0 left", left, err)
	}
	if n, _ := db.AttachmentRefs("c2", "h1"); n != 1 {
		t.Fatalf("c2's reference to the same content: %d", n)
	}
	if _, _, err := db.DeleteAttachment("a2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
}
