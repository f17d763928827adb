//go:build linux

package e2e_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/steward-rmm/steward/agent"
	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server"
)

// contract calls the real API and decodes every answer strictly into the
// api types: a field the server sends that the contract does not name (a
// renamed field, or a store record written out as a body) fails the test.
// It also checks that no answer holds a secret it must never carry.
type contract struct {
	t       *testing.T
	e       *env
	secrets []string // text no response may contain
}

func (c *contract) call(token, method, path string, body any, wantCode int, out any) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.e.url+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.e.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantCode {
		c.t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, wantCode, raw)
	}
	for _, s := range c.secrets {
		if s != "" && bytes.Contains(raw, []byte(s)) {
			c.t.Errorf("%s %s: the answer holds a secret (%.8s…): %s", method, path, s, raw)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		c.t.Fatalf("%s %s: the answer does not match %T: %v\n%s", method, path, out, err, raw)
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestResponsesMatchContract walks the main routes of a real server with a
// real agent and decodes each answer into its api type with unknown fields
// refused, so the server, stewardctl, the benchmark and the dashboard keep
// one set of field names; no answer carries a token hash or TOTP secret.
func TestResponsesMatchContract(t *testing.T) {
	e := startServer(t, server.Config{})
	c := &contract{t: t, e: e, secrets: []string{e.adminTOTP, sha256Hex(e.token), "password_hash", "totp_secret"}}
	tok := e.token

	var hz api.Healthz
	c.call("", "GET", "/healthz", nil, 200, &hz)
	var me api.Me
	c.call(tok, "GET", "/api/v1/me", nil, 200, &me)
	if me.Name != "admin" || !me.TOTPEnabled || me.Via != "token" {
		t.Fatalf("me = %+v", me)
	}
	var fresh api.TOTPResponse
	c.call(tok, "POST", "/api/v1/auth/totp", api.CodeRequest{Code: e.adminCode()}, 200, &fresh)
	if fresh.Stage == "" || fresh.FreshUntil.IsZero() {
		t.Fatalf("totp = %+v", fresh)
	}

	var cl api.Client
	c.call(tok, "POST", "/api/v1/clients", api.CreateClientRequest{Name: "Acme"}, 201, &cl)
	var cls []api.Client
	c.call(tok, "GET", "/api/v1/clients", nil, 200, &cls)
	if len(cls) != 1 || cls[0].ID != cl.ID || cls[0].Name != cl.Name || !cls[0].CreatedAt.Equal(cl.CreatedAt) || cls[0].Stats == nil {
		t.Fatalf("clients = %+v, created %+v", cls, cl)
	}
	var et api.EnrollTokenCreated
	c.call(tok, "POST", "/api/v1/tokens", api.CreateEnrollTokenRequest{Client: "Acme", MaxUses: 2}, 201, &et)
	if et.Token == "" || et.ClientID != cl.ID || et.Install["linux"] == "" {
		t.Fatalf("token = %+v", et)
	}
	c.secrets = append(c.secrets, sha256Hex(et.Token))
	var ets []api.EnrollToken
	c.call(tok, "GET", "/api/v1/tokens", nil, 200, &ets)
	if len(ets) != 1 || ets[0].ID != et.ID {
		t.Fatalf("tokens = %+v", ets)
	}

	dir, id := e.enroll(et.Token)
	startAgent(t, dir, agent.Config{})
	var detail api.DeviceDetail
	waitFor(t, "device online with inventory", func() bool {
		c.call(tok, "GET", "/api/v1/devices/"+id, nil, 200, &detail)
		return detail.Device.Online && detail.Inventory != nil
	})
	var list api.DeviceList
	c.call(tok, "GET", "/api/v1/devices?client=Acme", nil, 200, &list)
	if list.Total != 1 || list.Devices[0].ID != id || list.Devices[0].Hostname != detail.Inventory.Hostname {
		t.Fatalf("devices = %+v", list)
	}
	folder := "Lab"
	var moved api.DeviceResponse
	c.call(tok, "PATCH", "/api/v1/devices/"+id, api.UpdateDeviceRequest{Group: &folder}, 200, &moved)
	var groups []api.GroupCount
	c.call(tok, "GET", "/api/v1/groups", nil, 200, &groups)
	if moved.Device.Group != "Lab" || len(groups) != 1 || groups[0] != (api.GroupCount{Group: "Lab", Devices: 1}) {
		t.Fatalf("folder: %+v %+v", moved.Device, groups)
	}

	var sc api.Script
	c.call(tok, "POST", "/api/v1/scripts", api.ScriptRequest{Name: "hello", Interpreter: "sh", Body: `echo "hi $1"`,
		Args: []string{"there"}}, 201, &sc)
	var scs []api.Script
	c.call(tok, "GET", "/api/v1/scripts", nil, 200, &scs)
	var one api.Script
	c.call(tok, "GET", "/api/v1/scripts/hello", nil, 200, &one)
	if len(scs) != 1 || one.ID != sc.ID || len(one.Versions) != 1 || one.Versions[0].SHA256 != sc.SHA256 {
		t.Fatalf("scripts: %+v %+v", scs, one)
	}
	var job api.JobResponse
	c.call(tok, "POST", "/api/v1/jobs", api.JobRequest{Kind: api.KindScript, Devices: []string{id}, Library: "hello"}, 201, &job)
	if len(job.Runs) != 1 || job.Job.Script == nil || job.Job.Script.Name != "hello" {
		t.Fatalf("job = %+v", job)
	}
	var out api.RunOutput
	waitFor(t, "run done", func() bool {
		c.call(tok, "GET", "/api/v1/runs/"+job.Runs[0].ID+"/output", nil, 200, &out)
		return out.Done
	})
	if out.Run.State != protocol.StateSucceeded || out.Stdout != "hi there\n" {
		t.Fatalf("output = %+v", out)
	}
	var run api.Run
	c.call(tok, "GET", "/api/v1/runs/"+job.Runs[0].ID, nil, 200, &run)
	var got api.JobResponse
	c.call(tok, "GET", "/api/v1/jobs/"+job.Job.ID, nil, 200, &got)
	var jobs []api.Job
	c.call(tok, "GET", "/api/v1/jobs", nil, 200, &jobs)
	var runs []api.Run
	c.call(tok, "GET", "/api/v1/devices/"+id+"/runs", nil, 200, &runs)
	if run.ExitCode != 0 || len(got.Runs) != 1 || len(jobs) != 1 || len(runs) != 1 || got.Job.States[protocol.StateSucceeded] != 1 {
		t.Fatalf("run %+v job %+v jobs %d runs %d", run, got, len(jobs), len(runs))
	}
	var cancelled api.Cancelled
	c.call(tok, "POST", "/api/v1/jobs/"+job.Job.ID+"/cancel", nil, 200, &cancelled)
	var ov api.Overview
	c.call(tok, "GET", "/api/v1/overview", nil, 200, &ov)
	if ov.Devices[""].Total != 1 || ov.Devices[""].Online != 1 || len(ov.RecentJobs) != 1 {
		t.Fatalf("overview = %+v", ov)
	}
	var hits []api.SoftwareHit
	c.call(tok, "GET", "/api/v1/software?name=zzz-none", nil, 200, &hits)
	var del api.ScriptDeleted
	c.call(tok, "DELETE", "/api/v1/scripts/hello", nil, 200, &del)

	var u api.User
	c.call(tok, "POST", "/api/v1/users", api.CreateUserRequest{Name: "tech", Password: "a long enough password 1",
		Role: "technician", Clients: []string{cl.ID}}, 201, &u)
	var us []api.User
	c.call(tok, "GET", "/api/v1/users", nil, 200, &us)
	var u1 api.User
	c.call(tok, "GET", "/api/v1/users/"+u.ID, nil, 200, &u1)
	disabled := true
	var u2 api.User
	c.call(tok, "PATCH", "/api/v1/users/"+u.ID, api.UpdateUserRequest{Disabled: &disabled}, 200, &u2)
	if len(us) != 2 || u1.ID != u.ID || u1.Name != "tech" || !u2.Disabled || u2.Clients[0] != cl.ID {
		t.Fatalf("users %+v %+v", us, u2)
	}
	var minted api.CreatedAPIToken
	c.call(tok, "POST", "/api/v1/me/tokens", api.MintTokenRequest{Name: "ci", Perms: []string{"view"}, ExpiresSeconds: 3600}, 201, &minted)
	c.secrets = append(c.secrets, sha256Hex(minted.Token))
	var mine []api.APIToken
	c.call(tok, "GET", "/api/v1/me/tokens", nil, 200, &mine)
	var revoked api.Revoked
	c.call(tok, "DELETE", "/api/v1/me/tokens/"+minted.ID, nil, 200, &revoked)
	var prefs api.Prefs
	c.call(tok, "PUT", "/api/v1/me/prefs", api.Prefs{"theme": "dark"}, 200, &prefs)
	c.call(tok, "GET", "/api/v1/me/prefs", nil, 200, &prefs)
	if len(mine) < 2 || revoked.Revoked != minted.ID || prefs["theme"] != "dark" {
		t.Fatalf("tokens %+v revoked %+v prefs %+v", mine, revoked, prefs)
	}

	var rels api.Releases
	c.call(tok, "GET", "/api/v1/releases", nil, 200, &rels)
	var ups api.Updates
	c.call(tok, "GET", "/api/v1/updates", nil, 200, &ups)
	var shells []api.ShellRecord
	c.call(tok, "GET", "/api/v1/shells", nil, 200, &shells)
	var evs []api.AuditEvent
	c.call(tok, "GET", "/api/v1/audit", nil, 200, &evs)
	var ver api.AuditVerify
	c.call(tok, "GET", "/api/v1/audit/verify", nil, 200, &ver)
	if len(evs) < 5 || !ver.OK || ver.Records < len(evs) {
		t.Fatalf("audit: %d events, verify %+v", len(evs), ver)
	}
	var revokedTok api.EnrollToken
	c.call(tok, "DELETE", "/api/v1/tokens/"+et.ID, nil, 200, &revokedTok)
	var gone api.DeviceRevoked
	c.call(tok, "DELETE", "/api/v1/devices/"+id, nil, 200, &gone)
	var apiErr api.Error
	c.call(tok, "GET", "/api/v1/devices/"+id, nil, 404, &apiErr)
	if !revokedTok.Revoked || !gone.Revoked || apiErr.Error != "device not found" {
		t.Fatalf("revocations %+v %+v, error %+v", revokedTok, gone, apiErr)
	}

	// The served document is the committed one, public.
	resp, err := e.hc.Get(e.url + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	served, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	want, _ := api.OpenAPI()
	if resp.StatusCode != 200 || !bytes.Equal(served, want) || !strings.Contains(string(served), `"openapi": "3.1.0"`) {
		t.Fatalf("openapi.json: %d, %d bytes, equal to api.OpenAPI: %v", resp.StatusCode, len(served), bytes.Equal(served, want))
	}
}
