//go:build linux

package e2e_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/steward-rmm/steward/agent/identity"
	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/httpx"
)

// TestScopeWalk: a user scoped to client A gets 404 for every object of
// client B on every route that names one.
func TestScopeWalk(t *testing.T) {
	cfg := serverConfig()
	cfg.AlertInterval = 100 * time.Millisecond
	e := startServer(t, cfg)
	a, bcl := e.createClient("Alpha"), e.createClient("Bravo")
	_, devA, _ := onlineAgent(t, e, a, agentConfig())
	_, devB, _ := onlineAgent(t, e, bcl, agentConfig())
	jobB := e.createJob(script([]string{devB}, "echo bravo-secret"))
	runB := jobB.Runs[0].ID
	e.waitState(runB, "succeeded")
	var tokB struct{ ID string }
	e.api("POST", "/api/v1/tokens", map[string]any{"client": bcl, "max_uses": 1}, &tokB)
	userB := e.createUser("bravo-tech", "technician", bcl)
	tc, _, err := e.dialShell(e.token, devB, e.url, "")
	if err != nil {
		t.Fatal(err)
	}
	tc.send("exit\n")
	<-tc.done
	var shells []struct{ ID string }
	waitFor(t, "shell recording", func() bool {
		e.api("GET", "/api/v1/shells", nil, &shells)
		return len(shells) > 0
	})
	var adminTokens []struct{ ID string }
	e.api("GET", "/api/v1/me/tokens", nil, &adminTokens)

	e.createUser("alpha-admin", "admin", a)
	tok := e.tokenFor("alpha-admin")
	var scB struct{ ID string }
	if code := e.api("POST", "/api/v1/scripts", map[string]any{"client": bcl, "name": "bravo-script", "interpreter": "sh",
		"body": "echo bravo-secret"}, &scB); code != 201 {
		t.Fatalf("Bravo script: %d", code)
	}
	// Bravo's monitoring: a profile whose disk check always fails (an
	// alert), and a maintenance window.
	var pfB, mwB struct{ ID string }
	if code := e.api("POST", "/api/v1/profiles", map[string]any{"client": bcl, "name": "bravo-profile",
		"checks": []map[string]any{{"kind": "disk", "warning": 100, "fail_after": 1}}}, &pfB); code != 201 {
		t.Fatalf("Bravo profile: %d", code)
	}
	e.api("POST", "/api/v1/profile-assignments", map[string]any{"level": "client", "client": bcl, "profile": pfB.ID}, nil)
	var alB struct{ Alerts []struct{ ID string } }
	waitFor(t, "Bravo's alert", func() bool {
		e.api("GET", "/api/v1/alerts?device="+devB, nil, &alB)
		return len(alB.Alerts) >= 1 // one per failing volume
	})
	if code := e.api("POST", "/api/v1/maintenance", map[string]any{"client": bcl, "name": "bravo-window",
		"start": time.Now().Add(time.Hour), "minutes": 30}, &mwB); code != 201 {
		t.Fatalf("Bravo window: %d", code)
	}
	var monB struct{ ID string }
	if code := e.api("POST", "/api/v1/monitors", map[string]any{"client": bcl, "agent": devB, "name": "bravo-monitor",
		"kind": "tcp", "address": "127.0.0.1:9"}, &monB); code != 201 {
		t.Fatalf("Bravo monitor: %d", code)
	}
	var apB struct{ ID string }
	if code := e.api("POST", "/api/v1/automation/profiles", map[string]any{"client": bcl, "name": "bravo-automation",
		"tasks": []map[string]any{{"name": "scan", "action": "patch-scan", "schedule": map[string]any{"kind": "daily", "at": "03:00"}}}},
		&apB); code != 201 {
		t.Fatalf("Bravo automation profile: %d", code)
	}
	e.api("POST", "/api/v1/automation/assignments", map[string]any{"level": "client", "client": bcl, "profile": apB.ID}, nil)
	vault := e.addVaultEntry(bcl, "bravo-router", "bravo-password", "bravo-notes")
	_, attB, _ := e.uploadAttachment(bcl, "bravo-file.txt", strings.NewReader("bravo content"))
	var assetB struct{ ID string }
	if code := e.api("POST", "/api/v1/clients/"+bcl+"/assets", map[string]any{"name": "bravo-asset", "serial": "bravo-sn"}, &assetB); code != 201 {
		t.Fatalf("Bravo asset: %d", code)
	}
	var contactB struct{ ID string }
	if code := e.api("POST", "/api/v1/clients/"+bcl+"/contacts", map[string]any{"name": "Bravo Contact",
		"email": "contact@bravo.example"}, &contactB); code != 201 {
		t.Fatalf("Bravo contact: %d", code)
	}
	e.api("PATCH", "/api/v1/clients/"+bcl, map[string]any{"company_number": "BRAVO-123", "domains": []string{"bravo.example"}}, nil)
	// Bravo's portal account, and a signed-in portal user of Alpha, who
	// walks the portal routes against Bravo's objects.
	var puB struct{ User struct{ ID string } }
	if code := e.api("POST", "/api/v1/clients/"+bcl+"/portal-users", map[string]any{"contact": contactB.ID}, &puB); code != 201 {
		t.Fatalf("Bravo portal user: %d", code)
	}
	var contactA struct{ ID string }
	e.api("POST", "/api/v1/clients/"+a+"/contacts", map[string]any{"name": "Alpha Contact", "email": "contact@alpha.example"}, &contactA)
	var puA struct {
		SetPasswordURL string `json:"set_password_url"`
	}
	if code := e.api("POST", "/api/v1/clients/"+a+"/portal-users", map[string]any{"contact": contactA.ID, "admin": true}, &puA); code != 201 {
		t.Fatalf("Alpha portal user: %d", code)
	}
	portalA := e.browser()
	portalSignIn(t, portalA, puA.SetPasswordURL, "contact@alpha.example", "alpha-portal-password")
	var ticketB, timeB struct{ ID string }
	if code := e.api("POST", "/api/v1/clients/"+bcl+"/tickets", map[string]any{"title": "bravo-ticket"}, &ticketB); code != 201 {
		t.Fatalf("Bravo ticket: %d", code)
	}
	if code := e.api("POST", "/api/v1/tickets/"+ticketB.ID+"/time", map[string]any{"minutes": 5}, &timeB); code != 201 {
		t.Fatalf("Bravo time entry: %d", code)
	}
	var contractB, entB, useB struct{ ID string }
	if code := e.api("POST", "/api/v1/clients/"+bcl+"/contracts", map[string]any{"name": "bravo-contract"}, &contractB); code != 201 {
		t.Fatalf("Bravo contract: %d", code)
	}
	e.api("POST", "/api/v1/contracts/"+contractB.ID+"/entitlements", map[string]any{"name": "bravo-visits", "consumable": true,
		"unit": "visits", "quantity": 5}, &entB)
	if code := e.api("POST", "/api/v1/contracts/"+contractB.ID+"/entitlements/"+entB.ID+"/consumptions", map[string]any{"quantity": 1,
		"note": "bravo-visit"}, &useB); code != 201 {
		t.Fatalf("Bravo consumption: %d", code)
	}
	var invB struct{ ID, Number string }
	if code := e.api("POST", "/api/v1/clients/"+bcl+"/invoices", map[string]any{"batch": "bravo-batch",
		"lines": []map[string]any{{"description": "bravo work", "quantity": 1, "unit_price_cents": 100}}}, &invB); code != 201 {
		t.Fatalf("Bravo invoice: %d", code)
	}
	// Bravo asked for and gave consent (so the customers view has it).
	var crB api.ConsentRequest
	if code := e.api("POST", "/api/v1/clients/"+bcl+"/consent/requests", api.ConsentRequestCreate{Roles: []string{"manage_devices"}, Days: 30}, &crB); code != 201 {
		t.Fatalf("Bravo consent request: %d", code)
	}
	var gB api.ConsentGrant
	if code, msg := e.portalAs(httpx.PortalIdentity{ClientID: bcl, ContactID: contactB.ID, Admin: true}, "Bravo Contact", "POST",
		"/api/v1/portal/grants/requests/"+crB.ID+"/accept", api.ConsentAcceptRequest{Roles: []string{"manage_devices"},
			EndsAt: time.Now().Add(time.Hour)}, &gB); code != 201 {
		t.Fatalf("Bravo grant: %d %s", code, msg)
	}
	vals := map[string]string{"devices": devB, "runs": runB, "jobs": jobB.Job.ID, "tokens": tokB.ID, "users": userB,
		"shells": shells[0].ID, "clients": bcl, "scripts": scB.ID, "contacts": contactB.ID, "seats": "remote_support",
		"alerts": alB.Alerts[0].ID, "profiles": pfB.ID, "maintenance": mwB.ID,
		"vault": vault.ID, "attachments": attB.ID, "assets": assetB.ID, "processes": "1",
		"monitors": monB.ID, "tickets": ticketB.ID, "time": timeB.ID,
		"requests": crB.ID, "grants": gB.ID}
	secrets := []string{crB.ID, gB.ID, devB, bcl, jobB.Job.ID, tokB.ID, userB, scB.ID, "Bravo", "bravo", contactB.ID, "BRAVO-123", alB.Alerts[0].ID, pfB.ID, mwB.ID,
		vault.ID, attB.ID, assetB.ID, monB.ID}
	// Each later resource adds its Bravo object on a line of its own.
	vals["portal-users"], secrets = puB.User.ID, append(secrets, puB.User.ID)
	vals["autoprofile"], secrets = apB.ID, append(secrets, apB.ID)
	secrets = append(secrets, ticketB.ID, timeB.ID)
	vals["contracts"], vals["entitlements"], vals["consumptions"] = contractB.ID, entB.ID, useB.ID
	secrets = append(secrets, contractB.ID, entB.ID, useB.ID)
	vals["invoice"] = invB.ID
	secrets = append(secrets, invB.ID, invB.Number, "bravo-batch")

	// Every route is walked, each in exactly one way; a route that fits
	// none fails the test, so a new route cannot slip past.
	// Non-object routes that change something: each names Bravo (not
	// found) or is refused outright.
	writes := map[string]struct {
		body any
		want int
	}{
		"POST /api/v1/jobs":    {script([]string{devB}, "id"), 404},
		"POST /api/v1/tokens":  {map[string]any{"client": bcl, "max_uses": 1}, 404},
		"POST /api/v1/scripts": {map[string]any{"client": bcl, "name": "x", "interpreter": "sh", "body": "id"}, 404},
		"POST /api/v1/users": {map[string]any{"name": "sneaky", "password": "sneaky-password-1", "role": "technician",
			"clients": []string{bcl}}, 404},
		"POST /api/v1/clients":             {map[string]any{"name": "Charlie"}, 403},
		"POST /api/v1/devices/bulk":        {map[string]any{"devices": []string{devB}, "action": "retire"}, 404},
		"POST /api/v1/profiles":            {map[string]any{"client": bcl, "name": "x", "checks": []any{}}, 404},
		"POST /api/v1/profile-assignments": {map[string]any{"level": "client", "client": bcl, "profile": pfB.ID}, 404},
		"POST /api/v1/maintenance":         {map[string]any{"client": bcl, "name": "x", "start": time.Now(), "minutes": 5}, 404},
		"POST /api/v1/monitors": {map[string]any{"client": bcl, "agent": devB, "name": "x", "kind": "tcp",
			"address": "127.0.0.1:9"}, 404},
		"POST /api/v1/automation/profiles": {map[string]any{"client": bcl, "name": "x", "tasks": []any{}}, 404},
		"POST /api/v1/automation/assignments": {map[string]any{"level": "device", "devices": []string{devB},
			"profile": apB.ID}, 404},
		"POST /api/v1/automation/approvals":   {map[string]any{"client": bcl, "patch": "KB1"}, 404},
		"DELETE /api/v1/automation/approvals": {nil, 403}, // no client: every client's
		"POST /api/v1/invoices/batch": {map[string]any{"batch": "x", "period_from": "2027-01-01", "period_to": "2027-02-01",
			"clients": []string{bcl}}, 404},
	}
	// Routes that act on the caller's own account only; calling them here
	// would end the walk's own credential.
	callerOnly := map[string]bool{"POST /api/v1/auth/logout-all": true, "PUT /api/v1/me/password": true,
		"POST /api/v1/me/totp/disable": true, "PUT /api/v1/me/prefs": true, "POST /api/v1/me/tokens": true}
	// Lists, with the query that makes them search.
	listQuery := map[string]string{"/api/v1/software": "?name=a", "/api/v1/devices": "?format=csv",
		"/api/v1/search": "?q=contact"}
	do := func(method, path string, body any) (int, []byte) {
		var rd io.Reader = strings.NewReader("{}")
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(method, e.url+path, rd)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", e.url)
		resp, err := e.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
			return resp.StatusCode, nil // a stream: its events are scoped by their own test
		}
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	routes := e.srv.Routes()
	counts := map[string]int{}
	for _, rt := range routes {
		key := rt.Method + " " + rt.Pattern
		path := fillPattern(rt.Pattern, vals)
		if strings.HasPrefix(rt.Pattern, "/api/v1/me/tokens/") {
			path = "/api/v1/me/tokens/" + adminTokens[0].ID
		}
		var code int
		var body []byte
		want := 0
		switch {
		case rt.Public || rt.Agent:
			counts["no operator credential"]++
			continue
		case rt.Partial || callerOnly[key]:
			counts["the caller's own account"]++
			continue
		case rt.Portal:
			// An operator never passes a portal route, scoped or not.
			counts["portal route"]++
			code, body = do(rt.Method, path, nil)
			want = 404
			// Alpha's portal user: Bravo's objects are not found, and
			// the pages show nothing of Bravo.
			pwant := 404
			switch {
			case strings.Contains(rt.Pattern, "{"):
			case rt.Method == "GET":
				pwant = 200
			default:
				pwant = 400 // an empty body
			}
			var raw json.RawMessage
			if pcode := portalA.do(rt.Method, path, map[string]any{}, &raw); pcode != pwant {
				t.Errorf("%s %s as Alpha's portal user: %d %s, want %d", rt.Method, path, pcode, raw, pwant)
			}
			for _, secret := range secrets {
				if bytes.Contains(raw, []byte(secret)) {
					t.Errorf("%s %s as Alpha's portal user shows %s: %s", rt.Method, path, secret, raw)
				}
			}
		case rt.Perm == "admin" || rt.Perm == "audit" || rt.Perm == "notifications" || rt.Perm == "tickets_admin":
			// A user scoped to some clients never holds these.
			counts["refused to scoped users"]++
			code, body = do(rt.Method, path, nil)
			want = 403
		case strings.Contains(rt.Pattern, "{"):
			counts["object of Bravo"]++
			code, body = do(rt.Method, path, nil)
			want = 404
		case rt.Method == "GET":
			counts["list"]++
			code, body = do("GET", path+listQuery[rt.Pattern], nil)
			want = 200
		default:
			w, ok := writes[key]
			if !ok {
				t.Errorf("%s is not covered by the scope walk: add it to writes or callerOnly", key)
				counts["not covered"]++
				continue
			}
			counts["write naming Bravo"]++
			code, body = do(rt.Method, path, w.body)
			want = w.want
		}
		if code != want {
			t.Errorf("%s %s as a user scoped to Alpha: %d %s, want %d", rt.Method, path, code, body, want)
		}
		for _, secret := range secrets {
			if bytes.Contains(body, []byte(secret)) {
				t.Errorf("%s %s as a user scoped to Alpha shows %s: %s", rt.Method, path, secret, body)
			}
		}
	}
	total := 0
	for _, n := range counts {
		total += n
	}
	t.Logf("scope walk over %d routes: %v", len(routes), counts)
	// Each route is counted once, so a route skipped without a count shows.
	if total != len(routes) || counts["not covered"] > 0 || counts["object of Bravo"] < 28 || counts["refused to scoped users"] < 4 {
		t.Fatalf("walked %d of %d routes: %v", total, len(routes), counts)
	}
	// Naming Bravo in a query is not found either.
	for _, p := range []string{"/api/v1/devices?client=" + bcl, "/api/v1/devices?client=Bravo", "/api/v1/scripts?client=Bravo",
		"/api/v1/scripts/bravo-script?client=" + bcl, "/api/v1/devices/" + devA + "/runs?client=Bravo", "/api/v1/monitors?client=Bravo",
		"/api/v1/alerts?device=" + monB.ID, "/api/v1/search?q=contact&client=" + bcl} {
		code, body := do("GET", p, nil)
		if code != 404 && !(code == 200 && !bytes.Contains(body, []byte("bravo"))) {
			t.Errorf("GET %s naming Bravo: %d %s", p, code, body)
		}
	}
	if code, _ := do("POST", "/api/v1/jobs", map[string]any{"client": "Bravo", "kind": "script", "script": map[string]any{"interpreter": "sh", "body": "id"}}); code != 404 {
		t.Errorf("a job on client Bravo: %d, want 404", code)
	}
	// Moving Alpha's device into Bravo, alone or in bulk, is not found.
	if code, _ := do("PATCH", "/api/v1/devices/"+devA, map[string]any{"client": bcl}); code != 404 {
		t.Errorf("moving a device into Bravo: %d, want 404", code)
	}
	if code, _ := do("POST", "/api/v1/devices/bulk", map[string]any{"devices": []string{devA}, "action": "move", "client": "Bravo"}); code != 404 {
		t.Errorf("a bulk move into Bravo: %d, want 404", code)
	}
}

// fillPattern turns a route pattern into a concrete path.
func fillPattern(p string, vals map[string]string) string {
	parts := strings.Split(p, "/")
	for i, seg := range parts {
		if strings.HasPrefix(seg, "{") {
			v := vals[strings.Trim(seg, "{}.")] // a parameter's own name first, else the segment before it
			if v == "" {
				v = vals[parts[i-1]]
			}
			if v == "" {
				v = "x"
			}
			parts[i] = v
		}
	}
	return strings.Join(parts, "/")
}

func TestRouteWalkerPolicies(t *testing.T) {
	e := startServer(t, serverConfig())
	dir, _ := e.enroll(e.enrollToken(e.createClient("Acme"), 1, 0))
	id, err := identity.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	agentHC := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: pinnedTLS(e.fp, &id.Cert)}}
	half := e.browser()
	if stage, _ := half.login("admin", e.adminPassword()); stage != "totp" {
		t.Fatalf("stage %q", stage)
	}
	routes := e.srv.Routes()
	if len(routes) < 40 {
		t.Fatalf("only %d routes", len(routes))
	}
	operator := 0
	for _, rt := range routes {
		if !rt.Public && !rt.Agent && !rt.Partial && !rt.Portal && rt.Perm == "" {
			t.Errorf("%s %s declares no auth policy", rt.Method, rt.Pattern)
		}
		if strings.HasPrefix(rt.Pattern, "/api/v1/audit") && rt.Method != "GET" {
			t.Errorf("audit log has a %s route: %s", rt.Method, rt.Pattern)
		}
		if rt.Public {
			continue
		}
		path := fillPattern(rt.Pattern, nil)
		send := func(hc *http.Client, cookies bool) int {
			req, _ := http.NewRequest(rt.Method, e.url+path, strings.NewReader("{}"))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Origin", e.url)
			var resp *http.Response
			var err error
			if cookies {
				req.Header.Set("X-CSRF-Token", half.csrf)
				resp, err = half.hc.Do(req)
			} else {
				resp, err = hc.Do(req)
			}
			if err != nil {
				t.Fatalf("%s %s: %v", rt.Method, path, err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		if rt.Agent {
			if code := send(e.hc, false); code != 401 && code != 403 {
				t.Errorf("agent route %s %s without a certificate: %d", rt.Method, path, code)
			}
			continue
		}
		operator++
		if code := send(e.hc, false); code != 401 {
			t.Errorf("%s %s without credentials: %d, want 401", rt.Method, path, code)
		}
		if code := send(agentHC, false); code != 401 && code != 403 {
			t.Errorf("%s %s with an agent certificate: %d, want 401/403", rt.Method, path, code)
		}
		if !rt.Partial {
			if code := send(nil, true); code != 401 {
				t.Errorf("%s %s with a password-only session: %d, want 401", rt.Method, path, code)
			}
		}
	}
	t.Logf("walked %d routes, %d operator routes", len(routes), operator)
	// Every answer carries the security headers; the CSP allows no inline code.
	for _, p := range []string{"/", "/api/v1/devices", "/healthz", "/no/such/page"} {
		resp, err := e.hc.Get(e.url + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		csp := resp.Header.Get("Content-Security-Policy")
		if csp == "" || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") ||
			!strings.Contains(csp, "frame-ancestors 'none'") || resp.Header.Get("X-Content-Type-Options") != "nosniff" ||
			resp.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("GET %s security headers: %v", p, resp.Header)
		}
	}
}
