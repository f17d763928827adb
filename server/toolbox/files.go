package toolbox

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/agentcall"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/hub"
)

// Timeouts of the file manager's calls. Transfers have none: they end
// when idle (agentcall.DefaultIdle) or when the technician goes away.
const (
	quickTimeout  = 30 * time.Second
	searchTimeout = 2 * time.Minute
	maxBody       = 64 << 10 // JSON bodies of mkdir, rename, delete
)

// target finds the caller's device and its live connection, or answers
// with why not: 404 outside the caller's scope (or unknown), 409 while
// pending approval or offline.
func (t *Wing) target(w http.ResponseWriter, r *http.Request, p *httpx.Principal) (fleet.View, *hub.Conn, bool) {
	v, ok := t.d.Devices.Device(p, r.PathValue("id"))
	if !ok {
		httpx.WriteError(w, http.StatusNotFound, "device not found")
		return v, nil, false
	}
	if t.d.Fleet.Pending(v.ID) {
		httpx.WriteError(w, http.StatusConflict, "device is pending approval; approve it before managing its files")
		return v, nil, false
	}
	c := t.d.Conns.Get(v.ID)
	if c == nil {
		httpx.WriteError(w, http.StatusConflict, "device is offline")
		return v, nil, false
	}
	return v, c, true
}

// callStatus maps a call's failure to an HTTP status and message.
func callStatus(err error) (int, string) {
	var re *agentcall.RemoteError
	if errors.As(err, &re) {
		switch re.Code {
		case protocol.CallBadRequest:
			return http.StatusBadRequest, re.Msg
		case protocol.CallNotFound:
			return http.StatusNotFound, re.Msg
		case protocol.CallExists:
			return http.StatusConflict, re.Msg
		case protocol.CallForbidden:
			return http.StatusUnprocessableEntity, re.Msg
		case protocol.CallDenied:
			return http.StatusForbidden, "the device refused: " + re.Msg
		case protocol.CallBusy:
			return http.StatusTooManyRequests, re.Msg
		case protocol.CallUnknown:
			return http.StatusNotImplemented, re.Msg
		case protocol.CallCanceled:
			return http.StatusServiceUnavailable, re.Msg
		}
		return http.StatusBadGateway, re.Msg
	}
	switch {
	case errors.Is(err, agentcall.ErrOffline), errors.Is(err, agentcall.ErrUnsupported):
		return http.StatusConflict, err.Error()
	case errors.Is(err, agentcall.ErrBusy):
		return http.StatusTooManyRequests, err.Error()
	case errors.Is(err, agentcall.ErrTimeout):
		return http.StatusGatewayTimeout, err.Error()
	case errors.Is(err, agentcall.ErrCanceled):
		return http.StatusServiceUnavailable, err.Error()
	}
	return http.StatusBadGateway, err.Error()
}

func writeCallError(w http.ResponseWriter, err error) {
	code, msg := callStatus(err)
	httpx.WriteError(w, code, msg)
}

// audit records an action on a device with its outcome.
func (t *Wing) audit(p *httpx.Principal, action string, v fleet.View, detail map[string]string, err error) {
	if err != nil {
		_, msg := callStatus(err)
		detail["error"] = httpx.CleanText(msg, 256)
	}
	t.d.Audit.AuditP(p, action, v.ID, detail)
}

// call runs a call with one result.
func (t *Wing) call(r *http.Request, c *hub.Conn, method string, params, out any) error {
	call, err := t.d.Calls.Start(r.Context(), c, method, params, agentcall.Options{Timeout: quickTimeout})
	if err != nil {
		return err
	}
	defer call.Close()
	return call.Result(out)
}

// defaultRoot is where browsing starts on a device without a path.
func defaultRoot(v fleet.View) string {
	if v.OS == "windows" {
		return `C:\`
	}
	return "/"
}

func (t *Wing) list(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	v, c, ok := t.target(w, r, p)
	if !ok {
		return
	}
	q := r.URL.Query()
	prm := protocol.FilesListParams{Path: q.Get("path"), Cursor: q.Get("cursor")}
	if prm.Path == "" {
		prm.Path = defaultRoot(v)
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			httpx.WriteError(w, http.StatusBadRequest, "limit must be a positive number")
			return
		}
		prm.Limit = n
	}
	var res api.FileList
	err := t.call(r, c, protocol.MethodFilesList, prm, &res)
	if prm.Cursor == "" || err != nil {
		// One audit line per folder visited, not per page.
		t.audit(p, "files.list", v, map[string]string{"path": clip(prm.Path)}, err)
	}
	if err != nil {
		writeCallError(w, err)
		return
	}
	if res.Entries == nil {
		res.Entries = []api.FileEntry{}
	}
	httpx.WriteJSON(w, http.StatusOK, res)
}

func (t *Wing) search(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	v, c, ok := t.target(w, r, p)
	if !ok {
		return
	}
	q := r.URL.Query()
	prm := protocol.FilesSearchParams{Path: q.Get("path"), Name: q.Get("name")}
	if prm.Path == "" {
		prm.Path = defaultRoot(v)
	}
	for key, dst := range map[string]*int{"depth": &prm.Depth, "limit": &prm.Limit} {
		if s := q.Get(key); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 {
				httpx.WriteError(w, http.StatusBadRequest, key+" must be a positive number")
				return
			}
			*dst = n
		}
	}
	res := api.FileSearch{Path: prm.Path, Name: prm.Name, Entries: []api.FileEntry{}}
	var end protocol.FilesSearchResult
	var err error
	res.Entries, err = gather[api.FileEntry](r.Context(), t.d.Calls, c, protocol.MethodFilesSearch, prm,
		agentcall.Options{Timeout: searchTimeout}, "search results", res.Entries, &end)
	if err == nil {
		res.Truncated, res.Scanned, res.Unreadable = end.Truncated, end.Scanned, end.Unreadable
	}
	t.audit(p, "files.search", v, map[string]string{"path": clip(prm.Path), "name": httpx.CleanText(prm.Name, 256),
		"found": strconv.Itoa(len(res.Entries))}, err)
	if err != nil {
		writeCallError(w, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, res)
}

// attachment is a Content-Disposition naming a download; the name comes
// from the device, so it is reduced to a safe file name.
func attachment(name string) string {
	name = strings.Map(func(r rune) rune {
		if r < 32 || r == 127 || strings.ContainsRune(`/\"`, r) {
			return '_'
		}
		return r
	}, httpx.CleanText(name, 200))
	if name == "" || name == "." || name == ".." {
		name = "download"
	}
	if cd := mime.FormatMediaType("attachment", map[string]string{"filename": name}); cd != "" {
		return cd
	}
	return `attachment; filename="download"`
}

func (t *Wing) download(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	v, c, ok := t.target(w, r, p)
	if !ok {
		return
	}
	q := r.URL.Query()
	prm := protocol.FilesDownloadParams{Path: q.Get("path"), Archive: q.Get("archive")}
	detail := map[string]string{"path": clip(prm.Path)}
	if prm.Archive != "" && prm.Archive != protocol.ArchiveTarGz && prm.Archive != protocol.ArchiveZip {
		httpx.WriteError(w, http.StatusBadRequest, "archive must be tar.gz or zip")
		return
	}
	call, err := t.d.Calls.Start(r.Context(), c, protocol.MethodFilesDownload, prm, agentcall.Options{})
	if err != nil {
		t.audit(p, "files.download", v, detail, err)
		writeCallError(w, err)
		return
	}
	defer call.Close()
	var head protocol.FilesDownloadHead
	raw, err := call.Next()
	if err == nil {
		err = json.Unmarshal(raw, &head)
	}
	if err != nil {
		t.audit(p, "files.download", v, detail, err)
		writeCallError(w, err)
		return
	}
	h := w.Header()
	h.Set("Content-Disposition", attachment(head.Name))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	switch {
	case head.Dir && strings.HasSuffix(head.Name, ".zip"):
		h.Set("Content-Type", "application/zip")
		detail["archive"] = protocol.ArchiveZip
	case head.Dir:
		h.Set("Content-Type", "application/gzip")
		detail["archive"] = protocol.ArchiveTarGz
	default:
		h.Set("Content-Type", "application/octet-stream")
		if head.Size >= 0 {
			h.Set("Content-Length", strconv.FormatInt(head.Size, 10))
		}
	}
	w.WriteHeader(http.StatusOK)
	n, err := io.CopyBuffer(w, call, make([]byte, protocol.MaxCallData))
	var res protocol.FilesDownloadResult
	if err == nil {
		err = call.Result(&res)
	}
	detail["bytes"] = strconv.FormatInt(n, 10)
	if res.Files > 0 && head.Dir {
		detail["files"] = strconv.Itoa(res.Files)
		detail["skipped"] = strconv.Itoa(res.Skipped)
	}
	t.audit(p, "files.download", v, detail, err)
	if err != nil {
		// The status is sent: abort, so the client sees a broken transfer
		// rather than a short file that looks complete.
		panic(http.ErrAbortHandler)
	}
}

func (t *Wing) upload(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	v, c, ok := t.target(w, r, p)
	if !ok {
		return
	}
	q := r.URL.Query()
	prm := protocol.FilesUploadParams{Path: q.Get("path"), Size: r.ContentLength,
		Overwrite: q.Get("overwrite") == "1" || q.Get("overwrite") == "true"}
	max := t.d.Config.MaxUpload
	if r.ContentLength > max {
		httpx.WriteError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("upload of %d bytes exceeds the limit of %d", r.ContentLength, max))
		return
	}
	detail := map[string]string{"path": clip(prm.Path), "size": strconv.FormatInt(r.ContentLength, 10)}
	call, err := t.d.Calls.Start(r.Context(), c, protocol.MethodFilesUpload, prm, agentcall.Options{Upload: true})
	if err != nil {
		t.audit(p, "files.upload", v, detail, err)
		writeCallError(w, err)
		return
	}
	defer call.Close()
	// The agent accepts the target (or refuses it) before any byte moves.
	if _, err := call.Next(); err != nil {
		t.audit(p, "files.upload", v, detail, err)
		writeCallError(w, err)
		return
	}
	body := http.MaxBytesReader(w, r.Body, max)
	bw := bufio.NewWriterSize(call, protocol.MaxCallData)
	n, err := io.CopyBuffer(bw, onlyReader{body}, make([]byte, protocol.MaxCallData))
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		detail["received"] = strconv.FormatInt(n, 10)
		var tooBig *http.MaxBytesError
		var re *agentcall.RemoteError
		switch {
		case errors.As(err, &tooBig):
			call.Close() // the agent discards the partial file
			t.audit(p, "files.upload", v, detail, err)
			httpx.WriteError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("upload exceeds the limit of %d bytes", max))
		case errors.As(err, &re), errors.Is(err, agentcall.ErrOffline), errors.Is(err, agentcall.ErrTimeout):
			t.audit(p, "files.upload", v, detail, err)
			writeCallError(w, err)
		default: // the client's body broke off
			call.Close()
			detail["error"] = "upload interrupted: " + httpx.CleanText(err.Error(), 200)
			t.d.Audit.AuditP(p, "files.upload", v.ID, detail)
			httpx.WriteError(w, http.StatusBadRequest, "upload interrupted; nothing was written under the final name")
		}
		return
	}
	var res api.FileUploaded
	err = call.CloseWrite()
	if err == nil {
		err = call.Result(&res)
	}
	if err == nil {
		detail["size"], detail["sha256"] = strconv.FormatInt(res.Size, 10), res.SHA256
	}
	t.audit(p, "files.upload", v, detail, err)
	if err != nil {
		writeCallError(w, err)
		return
	}
	httpx.WriteJSON(w, http.StatusCreated, res)
}

// onlyReader hides a reader's WriteTo, so a copy goes through the given
// buffer and the writer's flow control.
type onlyReader struct{ io.Reader }

func (t *Wing) change(w http.ResponseWriter, r *http.Request, p *httpx.Principal, action, method string, req any,
	detail func() map[string]string) {
	v, c, ok := t.target(w, r, p)
	if !ok {
		return
	}
	if err := httpx.DecodeBody(r, req, maxBody); err != nil {
		httpx.WriteBodyError(w, err)
		return
	}
	var res api.FileChanged
	err := t.call(r, c, method, req, &res)
	d := detail()
	if res.Type != "" {
		d["type"] = res.Type
	}
	t.audit(p, action, v, d, err)
	if err != nil {
		writeCallError(w, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, res)
}

func (t *Wing) mkdir(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	var req api.FilePathRequest
	t.change(w, r, p, "files.mkdir", protocol.MethodFilesMkdir, &req, func() map[string]string {
		return map[string]string{"path": clip(req.Path)}
	})
}

func (t *Wing) rename(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	var req api.FileRenameRequest
	t.change(w, r, p, "files.rename", protocol.MethodFilesRename, &req, func() map[string]string {
		return map[string]string{"path": clip(req.From), "to": clip(req.To)}
	})
}

func (t *Wing) remove(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	var req api.FileDeleteRequest
	t.change(w, r, p, "files.delete", protocol.MethodFilesDelete, &req, func() map[string]string {
		return map[string]string{"path": clip(req.Path), "recursive": strconv.FormatBool(req.Recursive)}
	})
}

// clip keeps a path from a request to a bounded length in the audit log.
func clip(s string) string { return httpx.CleanText(s, 1024) }
