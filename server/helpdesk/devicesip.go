// A device's SIP address, set by a technician: what the search finds a
// desk phone or softphone by.

package helpdesk

import (
	"errors"
	"net/http"
	"strings"
	"unicode"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// deviceInScope finds a device p may see; ok false has answered 404.
func (w *Wing) deviceInScope(rw http.ResponseWriter, p *httpx.Principal, id string) (store.Device, bool) {
	if w.d.Fleet != nil {
		if d, _, ok := w.d.Fleet.Device(id); ok && p.CanSeeClient(d.ClientID) {
			return d, true
		}
	}
	httpx.WriteError(rw, 404, "device not found")
	return store.Device{}, false
}

func (w *Wing) apiDeviceSIP(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	d, ok := w.deviceInScope(rw, p, r.PathValue("id"))
	if !ok {
		return
	}
	sip, err := w.d.Store.DeviceSIP(d.ID)
	if err != nil {
		httpx.WriteError(rw, 500, "internal error")
		return
	}
	httpx.WriteJSON(rw, 200, api.DeviceSIP{DeviceID: d.ID, SIP: sip})
}

func (w *Wing) apiSetDeviceSIP(rw http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	d, ok := w.deviceInScope(rw, p, r.PathValue("id"))
	if !ok {
		return
	}
	var req api.DeviceSIPRequest
	if err := httpx.DecodeBody(r, &req, 4<<10); err != nil {
		httpx.WriteBodyError(rw, err)
		return
	}
	sip := strings.TrimSpace(req.SIP)
	bad := strings.ContainsFunc(sip, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) || httpx.IsBidiControl(r) })
	if sip != "" && (len(sip) > 254 || bad || normSIP(sip) == "") {
		httpx.WriteError(rw, 400, "sip must be a SIP address like sip:desk-12@pbx.example.com (or empty to remove it)")
		return
	}
	old, err := w.d.Store.DeviceSIP(d.ID)
	if err == nil {
		err = w.d.Store.SetDeviceSIP(d.ID, sip)
	}
	if errors.Is(err, store.ErrNotFound) {
		httpx.WriteError(rw, 404, "device not found")
		return
	}
	if err != nil {
		httpx.WriteError(rw, 500, "internal error")
		return
	}
	w.d.Audit.AuditP(p, "device.sip", d.ID, map[string]string{"client": d.ClientID, "sip": sip, "was": old})
	httpx.WriteJSON(rw, 200, api.DeviceSIP{DeviceID: d.ID, SIP: sip})
}
