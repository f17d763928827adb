//go:build linux

package e2e_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/steward-rmm/steward/agent"
	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server"
	"github.com/steward-rmm/steward/server/httpx"
)

// portalAs calls the server's routes as a constructed customer portal
// principal (portal sign-in is another wing's), in process.
func (e *env) portalAs(id httpx.PortalIdentity, name, method, path string, body, out any) (int, string) {
	e.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req := httptest.NewRequest(method, path, rd)
	rec := httptest.NewRecorder()
	role := httpx.RoleCustomerUser
	if id.Admin {
		role = httpx.RoleCustomerAdmin
	}
	e.srv.HandlerAs(httpx.Principal{UserID: "portal-" + id.ContactID, Name: name, Role: role, Portal: &id}).ServeHTTP(rec, req)
	if out != nil && rec.Code < 300 {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			e.t.Fatalf("%s %s: %d %s: %v", method, path, rec.Code, rec.Body, err)
		}
	}
	var er api.Error
	_ = json.Unmarshal(rec.Body.Bytes(), &er)
	return rec.Code, er.Error
}

// consentErr calls as token and returns the status and the error body.
func (e *env) consentErr(token, method, path string, body any) (int, api.Error) {
	e.t.Helper()
	var er api.Error
	code := e.apiAs(token, method, path, body, &er)
	return code, er
}

// TestConsentGrantRevokeExpire: a client requiring consent refuses a
// technician's job and shell with a message naming the missing grant
// (and leaves the client's devices out of lists); a grant given in the
// portal lets them through and counts its uses; revoking it closes the
// open shell and cancels the queued job of the offline device with the
// reason at once, and the next action is refused; a grant past its end
// no longer works and its end is audited. Another client is untouched
// throughout, and requests are the customer's own.
func TestConsentGrantRevokeExpire(t *testing.T) {
	var offset atomic.Int64
	e := startServer(t, server.Config{ConsentSweep: 100 * time.Millisecond,
		Clock: func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }})
	acme, other := e.createClient("Acme <b>Corp</b>"), e.createClient("Other")
	_, dev, _ := onlineAgent(t, e, acme, agent.Config{})
	_, offline := e.enroll(e.enrollToken(acme, 1, 0))
	_, otherDev, _ := onlineAgent(t, e, other, agent.Config{})
	e.createUser("tech", "technician")
	tech := e.tokenFor("tech")

	// Before consent is required: works as today.
	var j jobResp
	if code := e.apiAs(tech, "POST", "/api/v1/jobs", script([]string{dev}, "echo before"), &j); code != 201 {
		t.Fatalf("job before consent is required: %d", code)
	}
	var cc api.ClientConsent
	if code := e.apiAs(tech, "PUT", "/api/v1/clients/"+acme+"/consent", api.ConsentSettingRequest{Required: true}, nil); code != 403 {
		t.Fatalf("a technician turned consent on or off: %d", code)
	}
	if code := e.api("PUT", "/api/v1/clients/"+acme+"/consent", api.ConsentSettingRequest{Required: true}, &cc); code != 200 || !cc.Required {
		t.Fatalf("require consent: %d %+v", code, cc)
	}

	// Refused, naming the missing grant.
	code, er := e.consentErr(tech, "POST", "/api/v1/jobs", script([]string{dev}, "echo refused"))
	if code != 403 || er.Code != api.CodeConsent || !strings.Contains(er.Error, "no active grant covering 'manage devices'") ||
		!strings.Contains(er.Error, `"Acme <b>Corp</b>"`) {
		t.Fatalf("job without a grant: %d %+v", code, er)
	}
	if code, er := e.consentErr(tech, "POST", "/api/v1/devices/"+dev+"/shell/ticket", nil); code != 403 || er.Code != api.CodeConsent {
		t.Fatalf("shell ticket without a grant: %d %+v", code, er)
	}
	if code, er := e.consentErr(tech, "GET", "/api/v1/devices/"+dev, nil); code != 403 ||
		!strings.Contains(er.Error, "'read-only help-desk view'") {
		t.Fatalf("device view without a grant: %d %+v", code, er)
	}
	if list := e.devicesAs(tech); strings.Contains(list, dev) || !strings.Contains(list, otherDev) {
		t.Fatalf("device list without a grant should hold only the other client's: %s", list)
	}
	if code := e.apiAs(tech, "POST", "/api/v1/jobs", script([]string{otherDev}, "echo other"), &j); code != 201 {
		t.Fatalf("the other client's job: %d", code)
	}
	// The client's own page and the request stay open to the MSP.
	if code := e.apiAs(tech, "GET", "/api/v1/clients/"+acme, nil, nil); code != 200 {
		t.Fatalf("client page: %d", code)
	}
	if code, er := e.consentErr(tech, "POST", "/api/v1/clients/"+acme+"/consent/requests",
		api.ConsentRequestCreate{Roles: []string{"manage_devices"}, Days: 800}); code != 400 || !strings.Contains(er.Error, "two years") {
		t.Fatalf("request over two years: %d %+v", code, er)
	}
	var cr api.ConsentRequest
	if code := e.apiAs(tech, "POST", "/api/v1/clients/"+acme+"/consent/requests", api.ConsentRequestCreate{
		Roles: []string{"manage_devices", "helpdesk_view"}, Days: 30, Message: "<script>alert(1)</script> patch night"}, &cr); code != 201 ||
		cr.Status != "pending" || !strings.HasSuffix(cr.Link, "/portal/grants/"+cr.ID) || cr.ExpiresAt.Sub(cr.CreatedAt) != 90*24*time.Hour {
		t.Fatalf("request: %d %+v", code, cr)
	}

	// The portal: another client's admin does not see it; a viewing
	// technician cannot answer; roles not asked and ends too far refused.
	admin := httpx.PortalIdentity{ClientID: acme, ContactID: "ct_1", Admin: true}
	stranger := httpx.PortalIdentity{ClientID: other, ContactID: "ct_2", Admin: true}
	viewer := httpx.PortalIdentity{ClientID: acme, ContactID: "ct_1", Admin: true, ViewedBy: "u_tech"}
	accept := "/api/v1/portal/grants/requests/" + cr.ID + "/accept"
	ends := time.Now().Add(24 * time.Hour)
	if code, _ := e.portalAs(stranger, "Sam", "POST", accept, api.ConsentAcceptRequest{Roles: []string{"manage_devices"}, EndsAt: ends}, nil); code != 404 {
		t.Fatalf("another client's admin accepted: %d", code)
	}
	if code, _ := e.portalAs(viewer, "Carol", "POST", accept, api.ConsentAcceptRequest{Roles: []string{"manage_devices"}, EndsAt: ends}, nil); code != 403 {
		t.Fatalf("a technician viewing as the customer accepted: %d", code)
	}
	if code, _ := e.portalAs(httpx.PortalIdentity{ClientID: acme, ContactID: "ct_3"}, "User", "GET", "/api/v1/portal/grants", nil, nil); code != 403 {
		t.Fatalf("a customer user (not admin) saw grants: %d", code)
	}
	if code, msg := e.portalAs(admin, "Carol", "POST", accept, api.ConsentAcceptRequest{Roles: []string{"manage_devices"},
		EndsAt: time.Now().AddDate(2, 1, 0)}, nil); code != 400 || !strings.Contains(msg, "two years") {
		t.Fatalf("grant over two years: %d %s", code, msg)
	}
	var g api.ConsentGrant
	if code, msg := e.portalAs(admin, "Carol", "POST", accept, api.ConsentAcceptRequest{Roles: []string{"manage_devices"}, EndsAt: ends}, &g); code != 201 ||
		g.Status != "active" {
		t.Fatalf("accept: %d %s %+v", code, msg, g)
	}
	if code, _ := e.portalAs(admin, "Carol", "POST", accept, api.ConsentAcceptRequest{Roles: []string{"manage_devices"}, EndsAt: ends}, nil); code != 409 {
		t.Fatalf("second answer: %d", code)
	}

	// Allowed under the grant; the use is counted and audited.
	if code := e.apiAs(tech, "POST", "/api/v1/jobs", script([]string{dev}, "echo granted"), &j); code != 201 {
		t.Fatalf("job under the grant: %d", code)
	}
	e.waitState(j.Runs[0].ID, protocol.StateSucceeded)
	sh, resp, err := e.dialShell(tech, dev, e.url, "")
	if err != nil {
		t.Fatalf("shell under the grant: %v %v", err, resp)
	}
	sh.send("echo under-grant\n")
	sh.waitFor(t, "under-grant")
	var queued jobResp
	if code := e.apiAs(tech, "POST", "/api/v1/jobs", script([]string{offline}, "echo never"), &queued); code != 201 ||
		queued.Runs[0].State != protocol.StateQueued {
		t.Fatalf("queued job under the grant: %d %+v", code, queued.Runs)
	}
	cc = api.ClientConsent{}
	e.api("GET", "/api/v1/clients/"+acme+"/consent", nil, &cc)
	if len(cc.Grants) != 1 || cc.Grants[0].Uses < 2 || cc.Grants[0].LastUsedBy != "tech" || !hasAction(cc.History, "consent.use") ||
		!hasAction(cc.History, "consent.grant") || cc.Requests[0].Message != "<script>alert(1)</script> patch night" {
		t.Fatalf("consent after uses: %+v", cc)
	}
	var cs api.CustomerList
	if e.apiAs(tech, "GET", "/api/v1/customers", nil, &cs); len(cs.Customers) != 1 || cs.Customers[0].ClientID != acme ||
		cs.Customers[0].Devices != 2 || cs.Customers[0].Offline != 1 || cs.Customers[0].GrantID != g.ID {
		t.Fatalf("customers: %+v", cs)
	}

	// Revoked: the shell closes, the queued run is cancelled, at once.
	if code, msg := e.portalAs(admin, "Carol", "POST", "/api/v1/portal/grants/"+g.ID+"/revoke",
		api.ConsentRevokeRequest{Reason: "audit week"}, &g); code != 200 || g.Status != "revoked" {
		t.Fatalf("revoke: %d %s", code, msg)
	}
	if m := sh.control(t, "error"); !strings.Contains(m["message"].(string), "revoked grant "+g.ID+": audit week") {
		t.Fatalf("shell close message: %v", m)
	}
	select {
	case <-sh.done:
	case <-time.After(30 * time.Second):
		t.Fatal("the shell stayed open after the revocation")
	}
	revoked := g.ID
	if code, er := e.consentErr(e.token, "GET", "/api/v1/runs/"+queued.Runs[0].ID, nil); code != 403 || er.Code != api.CodeConsent {
		t.Fatalf("an admin read the run without a grant: %d %+v", code, er)
	}
	if code, er := e.consentErr(tech, "POST", "/api/v1/jobs", script([]string{dev}, "echo after")); code != 403 || er.Code != api.CodeConsent {
		t.Fatalf("job after revocation: %d %+v", code, er)
	}
	if code, _ := e.portalAs(admin, "Carol", "POST", "/api/v1/portal/grants/"+g.ID+"/revoke", nil, nil); code != 409 {
		t.Fatalf("second revoke: %d", code)
	}
	var pv api.ClientConsent
	if code, _ := e.portalAs(admin, "Carol", "GET", "/api/v1/portal/grants", nil, &pv); code != 200 || !hasAction(pv.History, "consent.use") ||
		pv.History[0].Action != "consent.revoke" || pv.History[0].Detail["shells_closed"] != "1" || pv.History[0].Detail["jobs_cancelled"] != "1" {
		t.Fatalf("the customer's history: %d %+v", code, pv.History)
	}

	// A grant past its end no longer works; its end is audited.
	var cr2 api.ConsentRequest
	e.apiAs(tech, "POST", "/api/v1/clients/"+acme+"/consent/requests", api.ConsentRequestCreate{Roles: []string{"manage_devices"}, Days: 1}, &cr2)
	if code, msg := e.portalAs(admin, "Carol", "POST", "/api/v1/portal/grants/requests/"+cr2.ID+"/accept",
		api.ConsentAcceptRequest{Roles: []string{"manage_devices"}, EndsAt: time.Now().Add(time.Hour)}, &g); code != 201 {
		t.Fatalf("second grant: %d %s", code, msg)
	}
	if code := e.apiAs(tech, "POST", "/api/v1/jobs", script([]string{dev}, "echo second"), &j); code != 201 {
		t.Fatalf("job under the second grant: %d", code)
	}
	// The queued run was cancelled at the revocation, with its reason.
	if r := e.run(queued.Runs[0].ID); r.State != protocol.StateCancelled || !strings.Contains(r.Reason, "revoked grant "+revoked+": audit week") {
		t.Fatalf("queued run after revocation: %s %q", r.State, r.Reason)
	}
	offset.Store(int64(2 * time.Hour))
	if code, er := e.consentErr(tech, "POST", "/api/v1/jobs", script([]string{dev}, "echo expired")); code != 403 || er.Code != api.CodeConsent {
		t.Fatalf("job after the grant's end: %d %+v", code, er)
	}
	waitFor(t, "the grant's end audited", func() bool {
		cc = api.ClientConsent{}
		e.api("GET", "/api/v1/clients/"+acme+"/consent", nil, &cc)
		return hasAction(cc.History, "consent.expire")
	})
	cs = api.CustomerList{}
	if e.apiAs(tech, "GET", "/api/v1/customers", nil, &cs); len(cs.Customers) != 0 {
		t.Fatalf("customers after every grant ended: %+v", cs)
	}
	if code := e.apiAs(tech, "POST", "/api/v1/jobs", script([]string{otherDev}, "echo other"), &j); code != 201 {
		t.Fatalf("the other client's job at the end: %d", code)
	}
}

func hasAction(evs []api.ConsentEvent, action string) bool {
	for _, e := range evs {
		if e.Action == action {
			return true
		}
	}
	return false
}

// devicesAs lists device IDs a token sees.
func (e *env) devicesAs(token string) string {
	e.t.Helper()
	var out api.DeviceList
	if code := e.apiAs(token, "GET", "/api/v1/devices", nil, &out); code != http.StatusOK {
		e.t.Fatalf("devices: %d", code)
	}
	var ids []string
	for _, d := range out.Devices {
		ids = append(ids, d.ID)
	}
	return strings.Join(ids, ",")
}
