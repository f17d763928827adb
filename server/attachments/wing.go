// Package attachments is the wing for client files: uploaded as a
// stream with a size limit, kept outside the database by SHA-256 once per
// client (content.go), listed and searched by name within the caller's
// scope, downloaded as attachments, previewed only when an image (not
// SVG), a PDF or plain text, and always under a sandboxing Content
// Security Policy, so that no uploaded file can run script with the
// dashboard's origin.
package attachments

import (
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/auditlog"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// Store is the part of the store the wing uses.
type Store interface {
	store.AttachmentStore
	Clients() ([]store.Client, error)
}

// Clients resolves a client by ID or name within the caller's scope.
type Clients interface {
	ResolveClient(p *httpx.Principal, ref string) (store.Client, bool)
}

// Config is the wing's configuration.
type Config struct {
	// Dir holds the content (DATA/attachments).
	Dir string
	// MaxSize is the largest upload in bytes (0 = 100 MiB).
	MaxSize int64
}

// Deps are what the attachments wing is built from.
type Deps struct {
	Config
	Store   Store
	Clients Clients
	// Owners says whether a ticket, asset or contact is the client's; nil
	// accepts any well-formed owner ID.
	Owners Owners
	Audit  auditlog.Writer
	Now    httpx.Clock
	Log    *slog.Logger
}

// Owners finds the records attachments may belong to: OwnerOf answers
// the client of the ticket, asset or contact kind/id (found false: none).
type Owners interface {
	OwnerOf(kind, id string) (clientID string, found bool)
}

// Wing serves client attachments.
type Wing struct {
	d   Deps
	dir string
	// mu orders a content's rename and record against a deletion of its
	// last record, so content is never removed under a new record.
	mu sync.Mutex
}

// New builds the attachments wing and clears uploads a stopped server
// left half-written.
func New(d Deps) *Wing {
	if d.MaxSize <= 0 {
		d.MaxSize = 100 << 20
	}
	w := &Wing{d: d, dir: d.Dir}
	w.removeStale()
	return w
}

// Routes lists the wing's routes.
func (w *Wing) Routes() []httpx.Route {
	return []httpx.Route{
		httpx.R("GET", "/api/v1/attachments", httpx.NeedPerm(httpx.PermView), w.search),
		httpx.R("GET", "/api/v1/clients/{client}/attachments", httpx.NeedPerm(httpx.PermView), w.list),
		httpx.R("POST", "/api/v1/clients/{client}/attachments", httpx.NeedPerm(httpx.PermAttachments), w.upload),
		httpx.R("GET", "/api/v1/attachments/{attachments}", httpx.NeedPerm(httpx.PermView), w.show),
		httpx.R("GET", "/api/v1/attachments/{attachments}/download", httpx.NeedPerm(httpx.PermView), w.download),
		httpx.R("GET", "/api/v1/attachments/{attachments}/preview", httpx.NeedPerm(httpx.PermView), w.preview),
		httpx.R("DELETE", "/api/v1/attachments/{attachments}", httpx.NeedPerm(httpx.PermAttachments), w.remove),
	}
}

var ownerKinds = map[string]bool{"ticket": true, "asset": true, "contact": true}

var ownerIDRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// previewTypes are the sniffed types shown inline: raster images, PDF and
// plain text. Never HTML, XML or SVG (they can carry script).
var previewTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true,
	"image/bmp": true, "application/pdf": true, "text/plain; charset=utf-8": true}

// markupExt are names whose content is markup whatever it sniffs as.
var markupExt = map[string]bool{".svg": true, ".svgz": true, ".htm": true, ".html": true, ".xhtml": true, ".xml": true,
	".xht": true, ".mht": true, ".mhtml": true, ".shtml": true}

func canPreview(a *store.Attachment) bool {
	return previewTypes[a.ContentType] && !markupExt[strings.ToLower(filepath.Ext(a.Name))]
}

func (w *Wing) toAPI(a *store.Attachment, names map[string]string) api.Attachment {
	return api.Attachment{ID: a.ID, ClientID: a.ClientID, ClientName: names[a.ClientID], OwnerKind: a.OwnerKind, OwnerID: a.OwnerID,
		Name: a.Name, Size: a.Size, ContentType: a.ContentType, SHA256: a.SHA256, UploadedAt: a.UploadedAt, UploadedBy: a.UploadedBy,
		Preview: canPreview(a)}
}

func (w *Wing) clientNames() map[string]string {
	m := map[string]string{}
	cs, _ := w.d.Store.Clients()
	for _, c := range cs {
		m[c.ID] = c.Name
	}
	return m
}

// search lists the attachments of every client in scope, ?q= by name.
func (w *Wing) search(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	w.writeList(rw, r, store.AttachmentQuery{Scope: p.Scope()})
}

func (w *Wing) list(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	c, ok := w.d.Clients.ResolveClient(p, r.PathValue("client"))
	if !ok {
		httpx.WriteError(rw, 404, "client not found")
		return
	}
	w.writeList(rw, r, store.AttachmentQuery{ClientID: c.ID, Scope: p.Scope()})
}

func (w *Wing) writeList(rw http.ResponseWriter, r *http.Request, q store.AttachmentQuery) {
	v := r.URL.Query()
	q.Name = httpx.CleanText(strings.TrimSpace(v.Get("q")), 200)
	q.OwnerKind, q.OwnerID = v.Get("owner_kind"), v.Get("owner_id")
	as, err := w.d.Store.Attachments(q)
	if err != nil {
		httpx.WriteError(rw, 500, "internal error")
		return
	}
	names := w.clientNames()
	out := make([]api.Attachment, 0, len(as))
	for i := range as {
		out = append(out, w.toAPI(&as[i], names))
	}
	httpx.WriteJSON(rw, 200, out)
}

// find returns an attachment p may see; anything else is not found.
func (w *Wing) find(p *httpx.Principal, id string) (store.Attachment, bool) {
	a, err := w.d.Store.Attachment(id)
	if err != nil || !p.CanSeeClient(a.ClientID) {
		return store.Attachment{}, false
	}
	return a, true
}

func (w *Wing) show(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	a, ok := w.find(p, r.PathValue("attachments"))
	if !ok {
		httpx.WriteError(rw, 404, "attachment not found")
		return
	}
	httpx.WriteJSON(rw, 200, w.toAPI(&a, w.clientNames()))
}

// cleanFileName keeps the last element of a path (either separator) and
// checks it as a name: printable, no bidi or control characters.
func cleanFileName(s string) (string, error) {
	if i := strings.LastIndexAny(s, `/\`); i >= 0 {
		s = s[i+1:]
	}
	s, err := httpx.CleanName("file name", s, 255)
	if err != nil {
		return "", err
	}
	if s == "." || s == ".." {
		return "", errors.New("file name is required")
	}
	return s, nil
}

// upload stores the request body as a file of the client: ?name= names
// it, ?owner_kind= and ?owner_id= attach it to one of the client's
// tickets, assets or contacts. The body is the file itself, streamed to
// disk; past the size limit the upload is refused with 413 and nothing
// is kept.
func (w *Wing) upload(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	c, ok := w.d.Clients.ResolveClient(p, r.PathValue("client"))
	if !ok {
		httpx.WriteError(rw, 404, "client not found")
		return
	}
	v := r.URL.Query()
	name, err := cleanFileName(v.Get("name"))
	if err != nil {
		httpx.WriteError(rw, 400, err.Error())
		return
	}
	kind, owner := v.Get("owner_kind"), v.Get("owner_id")
	if (kind != "" || owner != "") && (!ownerKinds[kind] || !ownerIDRE.MatchString(owner)) {
		httpx.WriteError(rw, 400, "owner_kind must be ticket, asset or contact, with an owner_id of 1-64 letters, digits, _ or -")
		return
	}
	// A file is attached only to a record of the same client, so it never
	// shows on another client's ticket, asset or contact.
	if kind != "" && w.d.Owners != nil {
		if cl, ok := w.d.Owners.OwnerOf(kind, owner); !ok || cl != c.ID {
			httpx.WriteError(rw, 404, kind+" "+owner+" not found in this client")
			return
		}
	}
	tooLarge := func() {
		httpx.WriteError(rw, http.StatusRequestEntityTooLarge, "file too large: the limit is "+strconv.FormatInt(w.d.MaxSize, 10)+
			" bytes (--attachment-max-size); nothing was kept")
	}
	if r.ContentLength > w.d.MaxSize {
		tooLarge()
		return
	}
	s, err := w.receive(c.ID, http.MaxBytesReader(rw, r.Body, w.d.MaxSize), w.d.MaxSize)
	if errors.Is(err, errTooLarge) {
		tooLarge()
		return
	}
	if err != nil {
		w.d.Log.Error("attachment upload", "client", c.ID, "err", err)
		httpx.WriteError(rw, 500, "the upload could not be stored")
		return
	}
	ct := http.DetectContentType(s.sniff)
	if s.size == 0 {
		ct = "application/octet-stream"
	}
	a := store.Attachment{ID: httpx.NewID("att"), ClientID: c.ID, OwnerKind: kind, OwnerID: owner, Name: name, Size: s.size,
		ContentType: ct, SHA256: s.sha256, UploadedAt: w.d.Now().UTC(), UploadedBy: p.Name}
	w.mu.Lock()
	err = w.commit(c.ID, s)
	if err == nil {
		if err = w.d.Store.PutAttachment(a); err != nil {
			if n, rerr := w.d.Store.AttachmentRefs(c.ID, a.SHA256); rerr == nil && n == 0 {
				os.Remove(w.path(c.ID, a.SHA256))
			}
		}
	}
	w.mu.Unlock()
	if err != nil {
		w.d.Log.Error("attachment store", "client", c.ID, "err", err)
		httpx.WriteError(rw, 500, "the upload could not be stored")
		return
	}
	w.d.Audit.AuditP(p, "attachment.upload", a.ID, map[string]string{"client": c.ID, "name": a.Name,
		"size": strconv.FormatInt(a.Size, 10), "sha256": a.SHA256, "owner": strings.Trim(kind+":"+owner, ":")})
	httpx.WriteJSON(rw, 201, w.toAPI(&a, map[string]string{c.ID: c.Name}))
}

func (w *Wing) remove(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	a, ok := w.find(p, r.PathValue("attachments"))
	if !ok {
		httpx.WriteError(rw, 404, "attachment not found")
		return
	}
	w.mu.Lock()
	_, left, err := w.d.Store.DeleteAttachment(a.ID)
	gone := false
	if err == nil && left == 0 {
		gone = os.Remove(w.path(a.ClientID, a.SHA256)) == nil
	}
	w.mu.Unlock()
	if err != nil {
		httpx.WriteError(rw, 404, "attachment not found")
		return
	}
	w.d.Audit.AuditP(p, "attachment.delete", a.ID, map[string]string{"client": a.ClientID, "name": a.Name, "sha256": a.SHA256,
		"content_removed": strconv.FormatBool(gone)})
	httpx.WriteJSON(rw, 200, api.AttachmentDeleted{Deleted: a.ID, Name: a.Name, ContentRemoved: gone})
}

// disposition is a Content-Disposition header (RFC 6266): the name
// quoted when ASCII, else as filename* in UTF-8 (RFC 5987).
func disposition(kind, name string) string {
	if d := mime.FormatMediaType(kind, map[string]string{"filename": name}); d != "" {
		return d
	}
	return kind
}

// isolate sets the headers every served file gets: no sniffing, and a
// sandbox, so even a document a browser renders runs no script and has
// an origin of its own, not the dashboard's.
func isolate(h http.Header) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Cache-Control", "private, no-store")
}

// download serves the file as a download, as opaque bytes.
func (w *Wing) download(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	a, ok := w.find(p, r.PathValue("attachments"))
	if !ok {
		httpx.WriteError(rw, 404, "attachment not found")
		return
	}
	w.serve(rw, r, &a, "application/octet-stream", "attachment")
}

// preview serves an image, PDF or plain text inline, sandboxed; anything
// else has no preview (415).
func (w *Wing) preview(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	a, ok := w.find(p, r.PathValue("attachments"))
	if !ok {
		httpx.WriteError(rw, 404, "attachment not found")
		return
	}
	if !canPreview(&a) {
		httpx.WriteError(rw, http.StatusUnsupportedMediaType, "no preview for this kind of file ("+a.ContentType+"): download it")
		return
	}
	w.serve(rw, r, &a, a.ContentType, "inline")
}

func (w *Wing) serve(rw http.ResponseWriter, r *http.Request, a *store.Attachment, ct, disp string) {
	f, err := w.open(a.ClientID, a.SHA256)
	if err != nil {
		w.d.Log.Error("attachment content missing", "attachment", a.ID, "err", err)
		httpx.WriteError(rw, 410, "the attachment's content is missing on the server")
		return
	}
	defer f.Close()
	h := rw.Header()
	isolate(h)
	h.Set("Content-Type", ct)
	h.Set("Content-Disposition", disposition(disp, a.Name))
	http.ServeContent(rw, r, "", a.UploadedAt, f)
}
