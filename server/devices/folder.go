package devices

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// maxGroupLen bounds a device folder name, in bytes.
const maxGroupLen = 128

// maxDeviceUpdateBody bounds the body of PATCH /api/v1/devices/{id}.
const maxDeviceUpdateBody = 4096

// cleanGroup validates a folder name and trims surrounding spaces. Folder
// names are shown in tables, the CLI and CSV exports, so anything that
// could restyle a terminal or reorder text is refused rather than cleaned:
// control characters, Unicode format characters (bidi overrides, zero
// widths) and line or paragraph separators. "" means no folder.
func cleanGroup(s string) (string, error) {
	// The JSON decoder turns invalid UTF-8 and lone surrogates into U+FFFD,
	// so a replacement character is how invalid input shows up here.
	if !utf8.ValidString(s) || strings.ContainsRune(s, utf8.RuneError) {
		return "", errors.New("folder must be valid UTF-8")
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp) {
			return "", fmt.Errorf("folder must not contain control or formatting characters (found U+%04X)", r)
		}
	}
	s = strings.TrimSpace(s)
	if len(s) > maxGroupLen {
		return "", fmt.Errorf("folder longer than %d bytes", maxGroupLen)
	}
	return s, nil
}

// apiUpdateDevice changes what an operator may set on a device: its folder
// (body {"group": "..."}; "" removes it from its folder).
func (s *Wing) apiUpdateDevice(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	// Scope first: a device of another client is not found, whatever the body.
	v, ok := s.Device(p, r.PathValue("id"))
	if !ok {
		httpx.WriteError(w, 404, "device not found")
		return
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxDeviceUpdateBody+1))
	if err != nil {
		httpx.WriteError(w, 400, "could not read the body")
		return
	}
	if len(raw) > maxDeviceUpdateBody {
		httpx.WriteBodyError(w, &httpx.BodyTooLargeError{Limit: maxDeviceUpdateBody})
		return
	}
	if !utf8.Valid(raw) {
		httpx.WriteError(w, 400, "body must be valid UTF-8")
		return
	}
	var req api.UpdateDeviceRequest
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		httpx.WriteError(w, 400, "malformed JSON body: "+err.Error())
		return
	}
	if req.Group == nil && req.Client == nil {
		httpx.WriteError(w, 400, "nothing to change: give group or client")
		return
	}
	var group *string
	if req.Group != nil {
		g, err := cleanGroup(*req.Group)
		if err != nil {
			httpx.WriteError(w, 400, err.Error())
			return
		}
		group = &g
	}
	if req.Client != nil {
		// A move: the target client must be in the caller's scope too.
		cl, ok := s.ResolveClient(p, *req.Client)
		if !ok {
			httpx.WriteError(w, 404, "client not found")
			return
		}
		if _, err := s.move(p, v, &cl, group); errors.Is(err, store.ErrNotFound) {
			httpx.WriteError(w, 404, "device not found") // revoked meanwhile
			return
		} else if err != nil {
			httpx.WriteError(w, 500, "internal error")
			return
		}
		s.writeDevice(w, p, v.ID)
		return
	}
	if _, err := s.st.SetDeviceGroup(v.ID, *group); errors.Is(err, store.ErrNotFound) {
		httpx.WriteError(w, 404, "device not found") // revoked meanwhile
		return
	} else if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	s.fleet.SetGroup(v.ID, *group)
	s.alog.AuditP(p, "device.update", v.ID, map[string]string{"group": *group, "previous_group": v.Group,
		"hostname": v.Hostname, "client": v.Client})
	s.writeDevice(w, p, v.ID)
}

// groupCount is one folder and how many devices it holds.
type groupCount = api.GroupCount

// apiGroups lists the folders in use on the caller's clients' devices.
func (s *Wing) apiGroups(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	m := s.fleet.Groups(p.ClientScope())
	out := make([]groupCount, 0, len(m))
	for g, n := range m {
		out = append(out, groupCount{Group: g, Devices: n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Group < out[j].Group })
	httpx.WriteJSON(w, 200, out)
}
