package devices

import (
	"net/http"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/httpx"
)

// Device approval. A device enrolled with a token that requires approval,
// on a server started with --require-approval, or whose machine ID another
// device already has, is pending: it may connect and report inventory and
// health, so a technician can see what it is, but nothing that acts on it
// is sent (jobs naming it are refused with 409, client and filter jobs
// leave it out, queued runs are neither sent nor redelivered, shells are
// refused, update offers are held; only a request for fresh inventory is
// sent) until a technician approves it here. Rejecting a pending device is
// revoking it.

// apiApproveDevice makes a pending device active. With
// ?revoke_duplicate=true it also revokes the device this one duplicates
// (a machine that was re-imaged or re-installed and enrolled again), which
// must be in the caller's scope too.
func (s *Wing) apiApproveDevice(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	v, ok := s.Device(p, r.PathValue("id"))
	if !ok {
		httpx.WriteError(w, 404, "device not found")
		return
	}
	revokeDup, err := boolParam(r, "revoke_duplicate")
	if err != nil {
		httpx.WriteError(w, 400, err.Error())
		return
	}
	if v.Approval != fleet.ApprovalPending {
		httpx.WriteError(w, 409, "device is not pending approval")
		return
	}
	var dup fleet.View
	if revokeDup != nil && *revokeDup {
		if v.DuplicateOf == "" {
			httpx.WriteError(w, 400, "revoke_duplicate: this device duplicates no other device")
			return
		}
		if dup, ok = s.Device(p, v.DuplicateOf); !ok {
			httpx.WriteError(w, 404, "the duplicated device is not found (revoked, or of a client outside your scope)")
			return
		}
	}
	now := s.now()
	if _, err := s.st.ApproveDevice(v.ID, p.Name, now); err != nil {
		httpx.WriteError(w, 404, "device not found") // revoked meanwhile
		return
	}
	s.fleet.Approve(v.ID, p.Name, now)
	detail := map[string]string{"client": v.Client, "hostname": v.Hostname}
	if v.DuplicateOf != "" {
		detail["duplicate_of"] = v.DuplicateOf
	}
	if v.MachineID != "" {
		detail["machine_id"] = v.MachineID
	}
	if dup.ID != "" {
		detail["revoked_duplicate"] = dup.ID
	}
	s.alog.AuditP(p, "device.approve", v.ID, detail)
	if dup.ID != "" {
		if err := s.revokeDevice(p, dup, map[string]string{"replaced_by": v.ID}); err != nil {
			httpx.WriteError(w, 500, "approved, but revoking the duplicated device failed")
			return
		}
	}
	// What was held for it goes now (queued runs, the target version).
	if c := s.hub.Get(v.ID); c != nil {
		s.approved(c)
	}
	if nv, ok := s.fleet.View(v.ID); ok {
		v = nv
	}
	s.redactDuplicate(p, &v)
	httpx.WriteJSON(w, 200, api.DeviceResponse{Device: toAPIDevice(v)})
}

// revokeDevice deletes a device, drops its connection and audits it.
func (s *Wing) revokeDevice(p *httpx.Principal, v fleet.View, extra map[string]string) error {
	if err := s.st.DeleteDevice(v.ID); err != nil {
		return err
	}
	s.fleet.Remove(v.ID)
	if c := s.hub.Get(v.ID); c != nil {
		c.CloseWithError(protocol.CodeRevoked, "device revoked")
	}
	detail := map[string]string{"hostname": v.Hostname, "client": v.Client}
	for k, x := range extra {
		detail[k] = x
	}
	s.alog.AuditP(p, "device.revoke", v.ID, detail)
	return nil
}

// redactDuplicate hides the ID of a duplicated device of a client the
// caller cannot see, saying only that there is one.
func (s *Wing) redactDuplicate(p *httpx.Principal, v *fleet.View) {
	if v.DuplicateOf == "" || p.AllClients {
		return
	}
	if d, _, ok := s.fleet.Device(v.DuplicateOf); !ok || !p.CanSeeClient(d.ClientID) {
		v.DuplicateOf, v.DuplicateElsewhere = "", ok
	}
}
