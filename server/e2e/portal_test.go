//go:build linux

package e2e_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/quotedprintable"
	"net/http"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/steward-rmm/steward/api"
	stmail "github.com/steward-rmm/steward/server/mail"
	"github.com/steward-rmm/steward/server/mail/mailtest"
)

// portalSignIn runs a portal account's whole first sign-in in b: set the
// password with the invite link's secret, sign in, enrol TOTP (mandatory)
// and return the TOTP secret.
func portalSignIn(t *testing.T, b *browser, link, email, password string) string {
	t.Helper()
	_, token, ok := strings.Cut(link, "#token=")
	if !ok || !strings.Contains(link, "/portal/set-password#token=") {
		t.Fatalf("set-password link %q", link)
	}
	if code := b.do("POST", "/api/v1/portal/auth/set-password", map[string]string{"token": token, "password": password}, nil); code != 200 {
		t.Fatalf("set password: %d", code)
	}
	// The link works once.
	if code := b.do("POST", "/api/v1/portal/auth/set-password", map[string]string{"token": token, "password": "another-password-9"}, nil); code != 404 {
		t.Fatalf("set password twice: %d, want 404", code)
	}
	var login api.LoginResponse
	if code := b.do("POST", "/api/v1/portal/auth/login", map[string]string{"email": email, "password": password}, &login); code != 200 ||
		login.Stage != "totp_setup" {
		t.Fatalf("first sign-in: %d %+v", code, login)
	}
	b.csrf = login.CSRF
	// The password alone opens nothing.
	if code := b.do("GET", "/api/v1/portal/me", nil, nil); code != 401 {
		t.Fatalf("portal with only the password: %d, want 401", code)
	}
	var setup api.TOTPSetupResponse
	if code := b.do("POST", "/api/v1/portal/auth/totp/setup", nil, &setup); code != 200 || setup.Secret == "" {
		t.Fatalf("totp setup: %d", code)
	}
	if code := b.do("POST", "/api/v1/portal/auth/totp/enable", map[string]string{"code": "000000"}, nil); code != 401 {
		t.Fatalf("a wrong enrolment code: %d, want 401", code)
	}
	if code := b.do("POST", "/api/v1/portal/auth/totp/enable", map[string]string{"code": totpAt(t, setup.Secret, time.Now())}, nil); code != 200 {
		t.Fatalf("totp enable: %d", code)
	}
	return setup.Secret
}

// inviteLink reads the set-password link out of an invite mail.
func inviteLink(t *testing.T, m mailtest.Received) string {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatal(err)
	}
	var body io.Reader = msg.Body
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body = quotedprintable.NewReader(msg.Body)
	}
	b, _ := io.ReadAll(body)
	link := regexp.MustCompile(`https://\S+/portal/set-password#token=\S+`).Find(b)
	if link == nil {
		t.Fatalf("no set-password link in the mail: %s", b)
	}
	return string(link)
}

// TestPortalIsolation: a contact invited by e-mail (a real SMTP server)
// sets a password, must enrol TOTP, and then sees its own client only:
// its devices, the MSP's actions on it, never client B's. A portal user
// gets 404 on every operator route and on every portal route naming an
// object of client B; an operator gets 404 on every portal route; "view
// as the customer" is refused while consent is not available; disabling
// ends the portal session, and portal accounts never show as users.
func TestPortalIsolation(t *testing.T) {
	smtpd := mailtest.Start(t, "steward", "smtp-pass")
	pw := filepath.Join(t.TempDir(), "smtp-password")
	must(t, os.WriteFile(pw, []byte("smtp-pass\n"), 0o600))
	cfg := serverConfig()
	cfg.Mail = stmail.Config{Host: smtpd.Host, Port: smtpd.Port, User: "steward", PasswordFile: pw, From: "Steward <rmm@example.com>",
		RootCAs: smtpd.CAs}
	e := startServer(t, cfg)
	a, bcl := e.createClient("Alpha"), e.createClient("Bravo")
	_, devA, _ := onlineAgent(t, e, a, agentConfig())
	_, devB, _ := onlineAgent(t, e, bcl, agentConfig())
	jobA := e.createJob(script([]string{devA}, "echo alpha-work"))
	jobB := e.createJob(script([]string{devB}, "echo bravo-secret"))
	e.waitState(jobB.Runs[0].ID, "succeeded")

	hostile := `<img src=x onerror=alert(1)>Ann "Admin"`
	var annC, bobC struct{ ID string }
	if code := e.api("POST", "/api/v1/clients/"+a+"/contacts", map[string]any{"name": hostile, "email": "Ann@Alpha.example"}, &annC); code != 201 {
		t.Fatalf("Alpha contact: %d", code)
	}
	if code := e.api("POST", "/api/v1/clients/"+bcl+"/contacts", map[string]any{"name": "Bob Bravo", "email": "bob@bravo.example"}, &bobC); code != 201 {
		t.Fatalf("Bravo contact: %d", code)
	}
	// A contact of Bravo cannot be made a portal user of Alpha.
	if code := e.api("POST", "/api/v1/clients/"+a+"/portal-users", map[string]any{"contact": bobC.ID}, nil); code != 404 {
		t.Fatalf("Bravo's contact as Alpha's portal user: %d, want 404", code)
	}
	var annInv, bobInv api.PortalInvite
	if code := e.api("POST", "/api/v1/clients/"+a+"/portal-users", map[string]any{"contact": annC.ID, "admin": true, "send_email": true},
		&annInv); code != 201 || !annInv.Emailed || annInv.SetPasswordURL != "" || annInv.User.Status != api.PortalInvited ||
		annInv.User.Email != "ann@alpha.example" || annInv.User.ContactName != hostile {
		t.Fatalf("invite Ann: %d %+v", code, annInv)
	}
	if code := e.api("POST", "/api/v1/clients/"+a+"/portal-users", map[string]any{"contact": annC.ID}, nil); code != 409 {
		t.Fatalf("a second account for Ann: %d, want 409", code)
	}
	if code := e.api("POST", "/api/v1/clients/"+bcl+"/portal-users", map[string]any{"contact": bobC.ID}, &bobInv); code != 201 ||
		bobInv.Emailed || bobInv.SetPasswordURL == "" {
		t.Fatalf("invite Bob (link shown once): %d %+v", code, bobInv)
	}
	msgs := smtpd.Wait(1, 60*time.Second)
	if len(msgs) != 1 || len(msgs[0].To) != 1 || msgs[0].To[0] != "ann@alpha.example" {
		t.Fatalf("invite mails: %+v", msgs)
	}
	ann := e.browser()
	annSecret := portalSignIn(t, ann, inviteLink(t, msgs[0]), "ann@alpha.example", "ann-portal-password")
	bob := e.browser()
	portalSignIn(t, bob, bobInv.SetPasswordURL, "bob@bravo.example", "bob-portal-password")

	var me api.PortalMe
	if code := ann.do("GET", "/api/v1/portal/me", nil, &me); code != 200 || me.ClientID != a || me.ClientName != "Alpha" ||
		me.ContactName != hostile || !me.Admin || me.ViewedBy != "" || me.CSRF != ann.csrf {
		t.Fatalf("Ann's portal identity: %d %+v", code, me)
	}
	var devs []api.PortalDevice
	if code := ann.do("GET", "/api/v1/portal/devices", nil, &devs); code != 200 || len(devs) != 1 || devs[0].ID != devA || !devs[0].Online {
		t.Fatalf("Ann's devices: %d %+v", code, devs)
	}
	var act api.PortalActivityPage
	waitFor(t, "Ann's activity", func() bool {
		ann.do("GET", "/api/v1/portal/activity", nil, &act)
		has := map[string]bool{}
		for _, it := range act.Items {
			has[it.Action] = true
		}
		return has["job.create"] && has["portal.user_create"] && has["contact.create"]
	})
	raw, _ := json.Marshal(act)
	for _, secret := range []string{jobB.Job.ID, devB, bcl, "bravo", "Bravo", "portal.auth."} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("Ann's activity shows %q: %s", secret, raw)
		}
	}
	for _, it := range act.Items {
		if it.Action == "job.create" && (len(it.Devices) != 1 || it.Devices[0] == "" || it.Detail["kind"] != "script") {
			t.Errorf("the job in Ann's activity: %+v", it)
		}
	}
	_ = jobA

	// Every route, as Ann: operator routes are not found; portal routes
	// naming Bravo's objects are not found; the others show only Alpha.
	vals := map[string]string{"devices": devB, "clients": bcl, "portal-users": bobInv.User.ID, "runs": jobB.Runs[0].ID,
		"jobs": jobB.Job.ID, "contacts": bobC.ID}
	secrets := []string{devB, bcl, "Bravo", "bravo", bobC.ID, bobInv.User.ID}
	send := func(b *browser, token, method, path string) (int, []byte) {
		req, _ := http.NewRequest(method, e.url+path, strings.NewReader("{}"))
		req.Header.Set("Content-Type", "application/json")
		hc := e.hc
		if b != nil {
			req.Header.Set("X-CSRF-Token", b.csrf)
			hc = b.hc
		} else {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
			return resp.StatusCode, nil
		}
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, body
	}
	counts := map[string]int{}
	for _, rt := range e.srv.Routes() {
		if rt.Public || rt.Agent {
			continue
		}
		path := fillPattern(rt.Pattern, vals)
		want := 404
		switch {
		case !rt.Portal:
			counts["operator route"]++
		case strings.Contains(rt.Pattern, "{"):
			counts["portal object of Bravo"]++
		case rt.Method == "GET":
			counts["portal page"]++
			want = 200
		default:
			counts["portal change"]++
			want = 400 // an empty body: refused for what it says, not who sent it
		}
		code, body := send(ann, "", rt.Method, path)
		if code != want {
			t.Errorf("%s %s as Alpha's portal user: %d %s, want %d", rt.Method, path, code, body, want)
		}
		for _, s := range secrets {
			if bytes.Contains(body, []byte(s)) {
				t.Errorf("%s %s as Alpha's portal user shows %s: %s", rt.Method, path, s, body)
			}
		}
		// An operator (the admin, every client) never passes a portal route.
		if rt.Portal {
			if code, body := send(nil, e.token, rt.Method, fillPattern(rt.Pattern, map[string]string{"devices": devA})); code != 404 {
				t.Errorf("%s %s as an operator: %d %s, want 404", rt.Method, rt.Pattern, code, body)
			}
		}
	}
	t.Logf("portal walk: %v", counts)
	if counts["operator route"] < 100 || counts["portal object of Bravo"] < 1 || counts["portal page"] < 4 {
		t.Fatalf("portal walk too small: %v", counts)
	}
	// Bravo's portal user sees Bravo and not Alpha.
	if code := bob.do("GET", "/api/v1/portal/devices/"+devA, nil, nil); code != 404 {
		t.Errorf("Alpha's device as Bravo's portal user: %d", code)
	}
	if code := bob.do("GET", "/api/v1/portal/devices/"+devB, nil, nil); code != 200 {
		t.Errorf("Bravo's device as Bravo's portal user: %d", code)
	}

	// "View as the customer" needs the customer's grant of the read-only
	// help-desk view: refused without one, naming it.
	var vs api.PortalViewStatus
	if code := e.api("GET", "/api/v1/clients/"+a+"/portal-view", nil, &vs); code != 200 || vs.Available ||
		!strings.Contains(vs.Reason, "has not granted the read-only help-desk view") {
		t.Errorf("view status: %d %+v", code, vs)
	}
	var er api.Error
	if code := e.api("POST", "/api/v1/clients/"+a+"/portal-view", nil, &er); code != 403 ||
		!strings.Contains(er.Error, "has not granted the read-only help-desk view") {
		t.Errorf("view as the customer without consent: %d %+v", code, er)
	}
	// Ann (Alpha's customer admin) grants it from the portal.
	var cr api.ConsentRequest
	if code := e.api("POST", "/api/v1/clients/"+a+"/consent/requests", api.ConsentRequestCreate{Roles: []string{"helpdesk_view"}, Days: 7}, &cr); code != 201 {
		t.Fatalf("consent request: %d", code)
	}
	if code := ann.do("POST", "/api/v1/portal/grants/requests/"+cr.ID+"/accept", api.ConsentAcceptRequest{Roles: []string{"helpdesk_view"},
		EndsAt: time.Now().Add(24 * time.Hour)}, nil); code != 201 {
		t.Fatalf("Ann's grant: %d", code)
	}
	if code := e.api("GET", "/api/v1/clients/"+a+"/portal-view", nil, &vs); code != 200 || !vs.Available {
		t.Errorf("view status under the grant: %d %+v", code, vs)
	}
	// The technician's view: a portal session of its own, read only.
	tech := e.browser()
	req, _ := http.NewRequest("POST", e.url+"/api/v1/clients/"+a+"/portal-view", nil)
	req.Header.Set("Authorization", "Bearer "+e.token)
	resp, err := tech.hc.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("view as the customer under the grant: %v %v", resp, err)
	}
	resp.Body.Close()
	var vme api.PortalMe
	if code := tech.do("GET", "/api/v1/portal/me", nil, &vme); code != 200 || vme.ClientID != a || vme.ViewedBy == "" {
		t.Fatalf("the view's identity: %d %+v", code, vme)
	}
	tech.csrf = vme.CSRF
	var vdevs []api.PortalDevice
	if code := tech.do("GET", "/api/v1/portal/devices", nil, &vdevs); code != 200 || len(vdevs) != 1 || vdevs[0].ID != devA {
		t.Errorf("the view's devices: %d %+v", code, vdevs)
	}
	if code := tech.do("PUT", "/api/v1/portal/me/password", map[string]string{"current": "x", "new": "yyyyyyyyyyyyyyyy"}, nil); code != 403 {
		t.Errorf("a write in the view: %d, want 403", code)
	}
	if code := tech.do("GET", "/api/v1/portal/devices/"+devB, nil, nil); code != 404 {
		t.Errorf("Bravo's device in Alpha's view: %d, want 404", code)
	}
	// The customer sees the view in the activity.
	var viewAct api.PortalActivityPage
	ann.do("GET", "/api/v1/portal/activity", nil, &viewAct)
	viewed := false
	for _, it := range viewAct.Items {
		viewed = viewed || it.Action == "portal.view"
	}
	if !viewed {
		t.Errorf("the view is not in the customer's activity: %+v", viewAct.Items)
	}

	// Portal accounts are not operators.
	var users []struct{ Name string }
	e.api("GET", "/api/v1/users", nil, &users)
	for _, u := range users {
		if strings.Contains(u.Name, "alpha.example") || strings.Contains(u.Name, "bravo.example") {
			t.Errorf("a portal account is listed as a user: %+v", users)
		}
	}
	// Listing, disabling and resetting: audited, and disabling ends the
	// session at once.
	var list []api.PortalUser
	if code := e.api("GET", "/api/v1/clients/"+a+"/portal-users", nil, &list); code != 200 || len(list) != 1 || list[0].Status != api.PortalActive ||
		!list[0].TOTPEnabled {
		t.Fatalf("Alpha's portal users: %d %+v", code, list)
	}
	if code := e.api("PATCH", "/api/v1/clients/"+a+"/portal-users/"+list[0].ID, map[string]any{"disabled": true}, nil); code != 200 {
		t.Fatalf("disable: %d", code)
	}
	if code := ann.do("GET", "/api/v1/portal/me", nil, nil); code != 401 {
		t.Errorf("a disabled account's session: %d, want 401", code)
	}
	if code := ann.do("POST", "/api/v1/portal/auth/login", map[string]string{"email": "ann@alpha.example", "password": "ann-portal-password"}, nil); code != 401 {
		t.Errorf("a disabled account signs in: %d, want 401", code)
	}
	e.api("PATCH", "/api/v1/clients/"+a+"/portal-users/"+list[0].ID, map[string]any{"disabled": false}, nil)
	var login api.LoginResponse
	if code := ann.do("POST", "/api/v1/portal/auth/login", map[string]string{"email": "ANN@alpha.example", "password": "ann-portal-password"}, &login); code != 200 ||
		login.Stage != "totp" {
		t.Fatalf("sign-in again: %d %+v", code, login)
	}
	ann.csrf = login.CSRF
	if code := ann.do("POST", "/api/v1/portal/auth/totp", map[string]string{"code": totpAt(t, annSecret, time.Now().Add(30*time.Second))}, nil); code != 200 {
		t.Fatalf("second sign-in code: %d", code)
	}
	if code := ann.do("GET", "/api/v1/portal/me", nil, nil); code != 200 {
		t.Fatalf("signed in again: %d", code)
	}
	if code := e.api("POST", "/api/v1/clients/"+a+"/portal-users/"+list[0].ID+"/reset-2fa", nil, nil); code != 200 {
		t.Fatalf("reset 2FA: %d", code)
	}
	if code := ann.do("GET", "/api/v1/portal/me", nil, nil); code != 401 {
		t.Errorf("session after a 2FA reset: %d, want 401", code)
	}
	if code := ann.do("POST", "/api/v1/portal/auth/login", map[string]string{"email": "ann@alpha.example", "password": "ann-portal-password"}, &login); code != 200 ||
		login.Stage != "totp_setup" {
		t.Errorf("sign-in after a 2FA reset: %d %+v, want totp_setup", code, login)
	}
	var audit []struct{ Action, Target string }
	e.api("GET", "/api/v1/audit?action=portal.", nil, &audit)
	seen := map[string]bool{}
	for _, ev := range audit {
		seen[ev.Action] = true
	}
	for _, want := range []string{"portal.user_create", "portal.user_invite_sent", "portal.user_update", "portal.user_2fa_reset",
		"portal.auth.password_set", "portal.auth.totp_enrolled", "portal.auth.login"} {
		if !seen[want] {
			t.Errorf("audit has no %s: %v", want, seen)
		}
	}
	if code := e.api("DELETE", "/api/v1/clients/"+a+"/portal-users/"+list[0].ID, nil, nil); code != 200 {
		t.Fatalf("delete: %d", code)
	}
	if code := ann.do("POST", "/api/v1/portal/auth/login", map[string]string{"email": "ann@alpha.example", "password": "ann-portal-password"}, nil); code != 401 {
		t.Errorf("a deleted account signs in: %d", code)
	}
}
