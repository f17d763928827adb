//go:build linux

package e2e_test

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/steward-rmm/steward/agent/identity"
	"github.com/steward-rmm/steward/agent/inventory"
	"github.com/steward-rmm/steward/protocol"
)

// approvalView is what these tests read of a device.
type approvalView struct {
	ID                 string `json:"id"`
	Client             string `json:"client"`
	Approval           string `json:"approval"`
	DuplicateOf        string `json:"duplicate_of"`
	DuplicateElsewhere bool   `json:"duplicate_other_client"`
}

func (e *env) approvalOf(token, id string) (approvalView, int) {
	e.t.Helper()
	var out struct{ Device approvalView }
	code := e.apiAs(token, "GET", "/api/v1/devices/"+id, nil, &out)
	return out.Device, code
}

// enrollMachine enrolls a new key in a fresh directory, reporting the
// given machine ID as a real agent does (protocol.EnrollRequest.MachineID).
func (e *env) enrollMachine(token, machineID string) (dir, deviceID string) {
	e.t.Helper()
	dir = e.t.TempDir()
	id, err := identity.Enroll(identity.EnrollOptions{Dir: dir, Server: e.url, Token: token, Fingerprint: e.fp,
		Hostname: "test-host", OS: "linux", Arch: "amd64", MachineID: machineID})
	if err != nil {
		e.t.Fatalf("enroll: %v", err)
	}
	return dir, id.Config.DeviceID
}

// auditHas reports whether the audit log holds action on target with the
// given detail values.
func (e *env) auditHas(action, target string, detail map[string]string) bool {
	e.t.Helper()
	var evs []struct {
		Action, Target string
		Detail         map[string]string
	}
	e.api("GET", "/api/v1/audit?action="+action, nil, &evs)
	for _, ev := range evs {
		if ev.Action != action || ev.Target != target {
			continue
		}
		ok := true
		for k, v := range detail {
			ok = ok && ev.Detail[k] == v
		}
		if ok {
			return true
		}
	}
	return false
}

// TestPendingDeviceGetsNoJobUntilApproved: a device enrolled with a token
// that requires approval connects and is listed as pending, but no job
// reaches it (the agent never runs it) until a technician approves it.
func TestPendingDeviceGetsNoJobUntilApproved(t *testing.T) {
	e := startServer(t, serverConfig())
	acme := e.createClient("Acme")
	var tok struct {
		Token           string
		RequireApproval bool `json:"require_approval"`
	}
	if code := e.api("POST", "/api/v1/tokens", map[string]any{"client": acme, "max_uses": 1, "require_approval": true}, &tok); code != 201 || !tok.RequireApproval {
		t.Fatalf("create token requiring approval: %d %+v", code, tok)
	}
	dir, id := e.enroll(tok.Token)
	startAgent(t, dir, agentConfig())
	waitFor(t, "pending agent online", func() bool { return e.online(id) })

	if v, _ := e.approvalOf(e.token, id); v.Approval != "pending" {
		t.Fatalf("device approval %q, want pending", v.Approval)
	}
	if got := ids(e.devices("approval=pending")); !strings.Contains(got, id) {
		t.Errorf("?approval=pending lists %s, want %s", got, id)
	}
	if got := ids(e.devices("approval=approved")); strings.Contains(got, id) {
		t.Errorf("?approval=approved lists the pending device: %s", got)
	}
	if out, _, code := e.ctl(t, "devices", "list", "--pending"); code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "pending") {
		t.Errorf("stewardctl devices list --pending: %d %s", code, out)
	}

	// A job naming it, or its client, is refused; the agent never runs it.
	marker := filepath.Join(t.TempDir(), "ran-before-approval")
	var refusal struct{ Error string }
	if code := e.api("POST", "/api/v1/jobs", script([]string{id}, "touch "+marker), &refusal); code != 409 ||
		!strings.Contains(refusal.Error, "pending approval") {
		t.Fatalf("job on a pending device: %d %q, want 409 naming the approval", code, refusal.Error)
	}
	body := map[string]any{"client": acme, "kind": "script", "script": map[string]any{"interpreter": "sh", "body": "touch " + marker}}
	if code := e.api("POST", "/api/v1/jobs", body, &refusal); code != 409 {
		t.Fatalf("job on a client whose only device is pending: %d %q, want 409", code, refusal.Error)
	}
	power := map[string]any{"devices": []string{id}, "kind": "power", "power": map[string]any{"action": "reboot"}}
	if code := e.api("POST", "/api/v1/jobs", power, nil); code != 409 {
		t.Errorf("power action on a pending device: %d, want 409", code)
	}
	if code := e.api("POST", "/api/v1/devices/"+id+"/shell/ticket", nil, nil); code != 409 {
		t.Errorf("shell ticket for a pending device: %d, want 409", code)
	}
	req, _ := http.NewRequest("GET", e.url+"/api/v1/devices/"+id+"/shell", nil)
	req.Header.Set("Authorization", "Bearer "+e.token)
	req.Header.Set("Origin", e.url)
	if resp, err := e.hc.Do(req); err != nil || resp.StatusCode != 409 {
		t.Errorf("shell on a pending device: %v %v, want 409", err, resp)
	} else {
		resp.Body.Close()
	}
	var runs []any
	if e.api("GET", "/api/v1/devices/"+id+"/runs", nil, &runs); len(runs) != 0 {
		t.Errorf("a pending device has runs: %v", runs)
	}

	// Approval makes it active; a job then runs.
	if out, errs, code := e.ctl(t, "devices", "approve", id); code != 0 || !strings.Contains(out, "approved") {
		t.Fatalf("stewardctl devices approve: %d %s %s", code, out, errs)
	}
	if v, _ := e.approvalOf(e.token, id); v.Approval != "approved" {
		t.Fatalf("after approval: %+v", v)
	}
	if !e.auditHas("device.approve", id, map[string]string{"client": acme}) {
		t.Error("approval not audited")
	}
	if code := e.api("POST", "/api/v1/devices/"+id+"/approve", nil, nil); code != 409 {
		t.Errorf("approving an approved device: %d, want 409", code)
	}
	after := filepath.Join(t.TempDir(), "ran-after-approval")
	j := e.createJob(script([]string{id}, "touch "+after))
	if r := e.waitState(j.Runs[0].ID, protocol.StateSucceeded, protocol.StateFailed); r.State != protocol.StateSucceeded {
		t.Fatalf("job after approval: %s (%s)", r.State, r.Reason)
	}
	if _, err := os.Stat(after); err != nil {
		t.Errorf("the approved device did not run the job: %v", err)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the agent ran a job sent before approval")
	}
}

// TestDuplicateEnrollmentFlagged: a second enrollment of a machine the
// server knows (same machine ID, new key) is pending and names the device
// it duplicates; only a user who can see the device approves it, and
// approving may revoke the old enrollment.
func TestDuplicateEnrollmentFlagged(t *testing.T) {
	e := startServer(t, serverConfig())
	acme, bravo := e.createClient("Acme"), e.createClient("Bravo")
	tok := e.enrollToken(acme, 0, 0)
	_, first := e.enrollMachine(tok, "4c4c4544-0042-3510-8052-b4c04f4e4b32")
	if v, _ := e.approvalOf(e.token, first); v.Approval != "approved" || v.DuplicateOf != "" {
		t.Fatalf("first enrollment: %+v, want approved", v)
	}
	// A machine ID that is not short printable ASCII is refused clearly.
	_, err := identity.Enroll(identity.EnrollOptions{Dir: t.TempDir(), Server: e.url, Token: tok, Fingerprint: e.fp,
		Hostname: "odd", OS: "linux", Arch: "amd64", MachineID: "id with\x00controls"})
	if err == nil || !strings.Contains(err.Error(), "machine_id") {
		t.Errorf("enrollment with a bad machine ID: %v, want a refusal naming machine_id", err)
	}
	// The same machine enrolls again with a new key (a reinstall into a
	// fresh configuration directory); the ID's case does not matter.
	dir2, second := e.enrollMachine(tok, "4C4C4544-0042-3510-8052-B4C04F4E4B32")
	if second == first {
		t.Fatal("a new key got the old device")
	}
	v, _ := e.approvalOf(e.token, second)
	if v.Approval != "pending" || v.DuplicateOf != first {
		t.Fatalf("second enrollment: %+v, want pending and duplicate_of %s", v, first)
	}
	if !e.auditHas("device.enroll", second, map[string]string{"duplicate_of": first, "pending": "true"}) {
		t.Error("the duplicate enrollment is not audited with both IDs")
	}
	if out, _, _ := e.ctl(t, "devices", "show", second); !strings.Contains(out, "duplicate of "+first) {
		t.Errorf("stewardctl devices show: %s", out)
	}
	startAgent(t, dir2, agentConfig())
	waitFor(t, "duplicate online", func() bool { return e.online(second) })
	if code := e.api("POST", "/api/v1/jobs", script([]string{second}, "true"), nil); code != 409 {
		t.Errorf("job on the duplicate: %d, want 409", code)
	}

	// Approval is scoped and needs the clients permission.
	e.createUser("bravo-tech", "technician", bravo)
	e.createUser("acme-help", "helpdesk", acme)
	e.createUser("acme-tech", "technician", acme)
	if code := e.apiAs(e.tokenFor("bravo-tech"), "POST", "/api/v1/devices/"+second+"/approve", nil, nil); code != 404 {
		t.Errorf("approve by a user of another client: %d, want 404", code)
	}
	if code := e.apiAs(e.tokenFor("acme-help"), "POST", "/api/v1/devices/"+second+"/approve", nil, nil); code != 403 {
		t.Errorf("approve by helpdesk: %d, want 403", code)
	}
	if v, _ := e.approvalOf(e.token, second); v.Approval != "pending" {
		t.Fatalf("refused approvals changed the device: %+v", v)
	}
	acmeTech := e.tokenFor("acme-tech")
	var ap struct{ Device approvalView }
	if code := e.apiAs(acmeTech, "POST", "/api/v1/devices/"+second+"/approve?revoke_duplicate=true", nil, &ap); code != 200 || ap.Device.Approval != "approved" {
		t.Fatalf("approve with revoke_duplicate: %d %+v", code, ap.Device)
	}
	if _, code := e.approvalOf(e.token, first); code != 404 {
		t.Errorf("the duplicated device is still there: %d", code)
	}
	if !e.auditHas("device.approve", second, map[string]string{"duplicate_of": first, "revoked_duplicate": first}) ||
		!e.auditHas("device.revoke", first, map[string]string{"replaced_by": second}) {
		t.Error("approval and revocation of the duplicate not audited")
	}

	// The same machine under another client is flagged too; its users
	// learn that it is enrolled elsewhere, not which device it is.
	_, third := e.enrollMachine(e.enrollToken(bravo, 1, 0), "4c4c4544-0042-3510-8052-b4c04f4e4b32")
	if v, _ := e.approvalOf(e.token, third); v.Approval != "pending" || v.DuplicateOf != second {
		t.Errorf("cross-client duplicate as admin: %+v, want duplicate_of %s", v, second)
	}
	if v, _ := e.approvalOf(e.tokenFor("bravo-tech"), third); v.DuplicateOf != "" || !v.DuplicateElsewhere || v.Approval != "pending" {
		t.Errorf("cross-client duplicate as a Bravo user: %+v, want the other device hidden", v)
	}

	// The real agent reports its machine's ID: two enrollments of this
	// host into fresh configuration directories are flagged.
	if inventory.MachineID(context.Background()) == "" {
		t.Skip("this host has no machine ID")
	}
	bin := filepath.Join(binaries(t), "steward-agent")
	tok2 := e.enrollToken(e.createClient("Charlie"), 0, 0)
	var got []string
	for i := 0; i < 2; i++ {
		out, err := exec.Command(bin, "enroll", "--server", e.url, "--token", tok2, "--ca-fingerprint", e.fp,
			"--config", t.TempDir()).CombinedOutput()
		if err != nil {
			t.Fatalf("steward-agent enroll: %v\n%s", err, out)
		}
		got = append(got, strings.TrimSpace(strings.TrimPrefix(string(out), "enrolled as device ")))
	}
	a, _ := e.approvalOf(e.token, got[0])
	b, _ := e.approvalOf(e.token, got[1])
	if a.Approval != "approved" || b.Approval != "pending" || b.DuplicateOf != got[0] {
		t.Errorf("real agent enrolled twice: %+v then %+v, want the second pending as a duplicate of the first", a, b)
	}
}
