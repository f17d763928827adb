//go:build linux

package e2e_test

import (
	"context"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/mail"
	"github.com/steward-rmm/steward/server/mail/mailtest"
)

func (e *env) search(token, q, client string) (int, api.SearchResults) {
	e.t.Helper()
	var res api.SearchResults
	path := "/api/v1/search?q=" + url.QueryEscape(q)
	if client != "" {
		path += "&client=" + url.QueryEscape(client)
	}
	code := e.apiAs(token, "GET", path, nil, &res)
	return code, res
}

func searchIDs(res api.SearchResults) (clients, contacts, devices []string) {
	clients, contacts, devices = []string{}, []string{}, []string{}
	for _, c := range res.Clients {
		clients = append(clients, c.ID)
	}
	for _, c := range res.Contacts {
		contacts = append(contacts, c.ID)
	}
	for _, d := range res.Devices {
		devices = append(devices, d.ID)
	}
	return
}

func inventoryWith(host, mac, addr, serial string) func(context.Context) protocol.Inventory {
	return func(context.Context) protocol.Inventory {
		return protocol.Inventory{Hostname: host, OS: "linux", Platform: "debian", Serial: serial,
			Interfaces: []protocol.Interface{{Name: "eth0", MAC: mac, Addresses: []string{addr}}, {Name: "lo", Addresses: []string{"127.0.0.1/8"}}}}
	}
}

// TestHelpdeskSearch: one box finds a client by name, ID, domain or
// website; a contact by name, ID, e-mail, SIP and a phone number in every
// common form; a device by name, MAC in every form, IP, serial and ID.
// "In this client" narrows; a technician scoped to Bravo finds nothing of
// Acme by any key; a read-only user may not search; edits and deletions
// are never found stale.
func TestHelpdeskSearch(t *testing.T) {
	cfg := serverConfig()
	cfg.DefaultPhoneRegion = "US"
	e := startServer(t, cfg)
	acme, bravo := e.createClient("Acme Widgets"), e.createClient("Bravo Builders")
	if code := e.api("PATCH", "/api/v1/clients/"+acme, api.UpdateClientRequest{Domains: &[]string{"acme.example"},
		Website: sp("https://www.acme-widgets.example/")}, nil); code != 200 {
		t.Fatalf("acme profile: %d", code)
	}
	var ann, bob api.Contact
	if code := e.api("POST", "/api/v1/clients/"+acme+"/contacts", api.ContactRequest{Name: sp("Ann O'Brien"),
		Email: sp("Ann@Acme.example"), Phone: sp("+1-212-456-7890"), SIP: sp("sip:ann@pbx.acme.example")}, &ann); code != 201 {
		t.Fatalf("ann: %d", code)
	}
	if code := e.api("POST", "/api/v1/clients/"+bravo+"/contacts", api.ContactRequest{Name: sp("Bob Annan"),
		Email: sp("bob@bravo.example"), Mobile: sp("(212) 456-7891")}, &bob); code != 201 {
		t.Fatalf("bob: %d", code)
	}
	acfg := agentConfig()
	acfg.Inventory = inventoryWith("ann-laptop", "00:1A:2B:3C:4D:5E", "10.20.30.40/24", "7XK2Q53")
	_, annDev, annAgent := onlineAgent(t, e, acme, acfg)
	bcfg := agentConfig()
	bcfg.Inventory = inventoryWith("bob-pc", "00:1a:2b:3c:4d:5f", "10.20.30.41/24", "BRAVO-SN-1")
	_, bobDev, _ := onlineAgent(t, e, bravo, bcfg)
	waitFor(t, "both inventories indexed", func() bool {
		_, r1 := e.search(e.token, "7XK2Q53", "")
		_, r2 := e.search(e.token, "10.20.30.41", "")
		return len(r1.Devices) == 1 && len(r2.Devices) == 1
	})

	var ds api.DeviceSIP
	if code := e.api("PUT", "/api/v1/devices/"+bobDev+"/sip", api.DeviceSIPRequest{SIP: "sip:Desk-7@pbx.bravo.example"}, &ds); code != 200 ||
		ds.SIP != "sip:Desk-7@pbx.bravo.example" {
		t.Fatalf("device sip: %d %+v", code, ds)
	}
	for _, bad := range []string{"desk-7", "sip:pbx.bravo.example", "sip:a\x1b[2J@pbx.example", "sip:" + strings.Repeat("a", 300) + "@x.example"} {
		if code, _ := e.apiErr("PUT", "/api/v1/devices/"+bobDev+"/sip", api.DeviceSIPRequest{SIP: bad}); code != 400 {
			t.Errorf("device sip %q: %d", bad, code)
		}
	}
	type want struct{ clients, contacts, devices []string }
	none := []string{}
	cases := map[string]want{
		"acme":                               {[]string{acme}, none, none},
		"Acme Wid":                           {[]string{acme}, none, none},
		acme:                                 {[]string{acme}, none, none},
		"acme.example":                       {[]string{acme}, none, none},
		"acme-widgets.example":               {[]string{acme}, none, none},
		"https://www.acme-widgets.example/x": {[]string{acme}, none, none},
		"ann o":                              {none, []string{ann.ID}, none},
		"annan":                              {none, []string{bob.ID}, none},
		ann.ID:                               {none, []string{ann.ID}, none},
		"ANN@acme.example":                   {none, []string{ann.ID}, none},
		"sip:ann@pbx.acme.example":           {none, []string{ann.ID}, none},
		"SIPS:Ann@PBX.acme.example":          {none, []string{ann.ID}, none},
		"+1-212-456-7890":                    {none, []string{ann.ID}, none},
		"+1 212 456 7890":                    {none, []string{ann.ID}, none},
		"+12124567890":                       {none, []string{ann.ID}, none},
		"(212) 456-7890":                     {none, []string{ann.ID}, none},
		"212.456.7890":                       {none, []string{ann.ID}, none},
		"2124567891":                         {none, []string{bob.ID}, none},
		"00:1A:2B:3C:4D:5E":                  {none, none, []string{annDev}},
		"00-1a-2b-3c-4d-5e":                  {none, none, []string{annDev}},
		"001a2b3c4d5e":                       {none, none, []string{annDev}},
		"001A.2B3C.4D5E":                     {none, none, []string{annDev}},
		"10.20.30.40":                        {none, none, []string{annDev}},
		"7xk2q53":                            {none, none, []string{annDev}},
		"ann-lap":                            {none, none, []string{annDev}},
		bobDev:                               {none, none, []string{bobDev}},
		"127.0.0.1":                          {none, none, none},
		"SIPS:desk-7@PBX.bravo.example":      {none, none, []string{bobDev}},
	}
	for q, w := range cases {
		code, res := e.search(e.token, q, "")
		cl, co, de := searchIDs(res)
		if code != 200 || !slices.Equal(cl, w.clients) || !slices.Equal(co, w.contacts) || !slices.Equal(de, w.devices) {
			t.Errorf("search %q: %d clients %v contacts %v devices %v; want %v %v %v (read %v)", q, code, cl, co, de,
				w.clients, w.contacts, w.devices, res.Read)
		}
	}
	// Each result says where it belongs.
	_, res := e.search(e.token, "ann", "")
	if _, co, _ := searchIDs(res); !slices.Equal(co, []string{ann.ID, bob.ID}) && !slices.Equal(co, []string{bob.ID, ann.ID}) {
		t.Fatalf("ann finds %v", co)
	}
	for _, c := range res.Contacts {
		if c.ID == ann.ID && (c.ClientName != "Acme Widgets" || c.ClientID != acme || !slices.Contains(c.Matched, "name")) {
			t.Errorf("ann's result = %+v", c)
		}
	}
	if _, res := e.search(e.token, "+12124567890", ""); res.Phone != "+12124567890" || !slices.Contains(res.Contacts[0].Matched, "phone") {
		t.Errorf("phone result = %+v", res)
	}
	if _, res := e.search(e.token, "001a2b3c4d5e", ""); len(res.Devices) != 1 || res.Devices[0].ClientName != "Acme Widgets" ||
		res.Devices[0].Serial != "7XK2Q53" || !slices.Contains(res.Devices[0].Matched, "mac") || res.Devices[0].Link != "/devices/"+annDev {
		t.Errorf("device result = %+v", res.Devices)
	}
	// In this client.
	if _, res := e.search(e.token, "ann", bravo); len(res.Contacts) != 1 || res.Contacts[0].ID != bob.ID {
		t.Errorf("ann in Bravo = %+v", res.Contacts)
	}
	if _, res := e.search(e.token, "00:1A:2B:3C:4D:5E", bravo); len(res.Devices) != 0 {
		t.Errorf("Acme's MAC in Bravo = %+v", res.Devices)
	}

	// Scope: a help-desk user of Bravo finds nothing of Acme by any key.
	e.createUser("hd-bravo", "helpdesk", bravo)
	hd := e.tokenFor("hd-bravo")
	for q := range cases {
		_, res := e.search(hd, q, "")
		for _, c := range res.Clients {
			if c.ID != bravo {
				t.Errorf("scoped search %q found client %s", q, c.ID)
			}
		}
		for _, c := range res.Contacts {
			if c.ClientID != bravo {
				t.Errorf("scoped search %q found contact %s of %s", q, c.ID, c.ClientID)
			}
		}
		for _, d := range res.Devices {
			if d.ClientID != bravo {
				t.Errorf("scoped search %q found device %s of %s", q, d.ID, d.ClientID)
			}
		}
	}
	if code, res := e.search(hd, "annan", ""); code != 200 || len(res.Contacts) != 1 {
		t.Errorf("scoped search of its own contact: %d %+v", code, res.Contacts)
	}
	if code, _ := e.search(hd, "ann", acme); code != 404 {
		t.Errorf("scoped search in Acme: %d, want 404", code)
	}
	e.createUser("ro", "read-only")
	if code, _ := e.search(e.tokenFor("ro"), "ann", ""); code != 403 {
		t.Errorf("read-only search: %d, want 403", code)
	}
	if code, _ := e.search(e.token, "   ", ""); code != 400 {
		t.Errorf("empty query: %d", code)
	}
	if code, _ := e.search(e.token, "ann", "c_nope"); code != 404 {
		t.Errorf("unknown client: %d", code)
	}

	// Edits are never found stale.
	if code := e.api("PATCH", "/api/v1/clients/"+acme+"/contacts/"+ann.ID, api.ContactRequest{Name: sp("Zoe Quinn"),
		Email: sp("zoe@acme.example"), Phone: sp("+1 312 456 7890"), SIP: sp("")}, nil); code != 200 {
		t.Fatalf("edit ann: %d", code)
	}
	if code := e.api("PATCH", "/api/v1/clients/"+acme, api.UpdateClientRequest{Domains: &[]string{"acme.test"}, Website: sp("")}, nil); code != 200 {
		t.Fatalf("edit acme: %d", code)
	}
	for q, w := range map[string]want{
		"ann o":                    {none, none, none},
		"ann@acme.example":         {none, none, none},
		"+12124567890":             {none, none, none},
		"sip:ann@pbx.acme.example": {none, none, none},
		"acme.example":             {none, none, none},
		"acme-widgets.example":     {none, none, none},
		"zoe":                      {none, []string{ann.ID}, none},
		"zoe@acme.example":         {none, []string{ann.ID}, none},
		"(312) 456-7890":           {none, []string{ann.ID}, none},
		"acme.test":                {[]string{acme}, none, none},
	} {
		_, res := e.search(e.token, q, "")
		cl, co, de := searchIDs(res)
		if !slices.Equal(cl, w.clients) || !slices.Equal(co, w.contacts) || !slices.Equal(de, w.devices) {
			t.Errorf("after edits, %q: clients %v contacts %v devices %v; want %v %v %v", q, cl, co, de, w.clients, w.contacts, w.devices)
		}
	}
	// A device's SIP address removed is not found.
	if code := e.api("PUT", "/api/v1/devices/"+bobDev+"/sip", api.DeviceSIPRequest{SIP: ""}, nil); code != 200 {
		t.Fatalf("remove device sip: %d", code)
	}
	if _, res := e.search(e.token, "sip:desk-7@pbx.bravo.example", ""); len(res.Devices) != 0 {
		t.Errorf("a removed SIP address still finds %+v", res.Devices)
	}
	if code := e.apiAs(hd, "PUT", "/api/v1/devices/"+bobDev+"/sip", api.DeviceSIPRequest{SIP: "sip:x@y.example"}, nil); code != 403 {
		t.Errorf("help desk sets a device sip: %d, want 403", code)
	}
	// A deleted device is gone from the search at once.
	annAgent.stop()
	if code := e.api("DELETE", "/api/v1/devices/"+annDev, nil, nil); code != 200 && code != 204 {
		t.Fatalf("delete device: %d", code)
	}
	for _, q := range []string{"001a2b3c4d5e", "10.20.30.40", "7XK2Q53", "ann-laptop"} {
		if _, res := e.search(e.token, q, ""); len(res.Devices) != 0 {
			t.Errorf("deleted device found by %q: %+v", q, res.Devices)
		}
	}
	// Restarted, the server answers from the stored index the same way.
	e.restart()
	if _, res := e.search(e.token, "zoe@acme.example", ""); len(res.Contacts) != 1 {
		t.Errorf("after restart: %+v", res.Contacts)
	}
}

var codeRE = regexp.MustCompile(`code is: ([0-9]{6})`)

// TestHelpdeskVerifyCaller: a code goes to the contact's e-mail through a
// real SMTP server; the wrong code counts an attempt, the right one
// verifies once; a code expires after 10 minutes; five wrong codes lock
// it; sends are limited per contact; everything is audited; a technician
// of another client cannot send or check.
func TestHelpdeskVerifyCaller(t *testing.T) {
	smtpd := mailtest.Start(t, "", "")
	var skew atomic.Int64
	cfg := serverConfig()
	cfg.Mail = mail.Config{Host: smtpd.Host, Port: smtpd.Port, From: "Steward <rmm@example.com>", RootCAs: smtpd.CAs}
	cfg.Clock = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	e := startServer(t, cfg)
	acme, bravo := e.createClient("Acme"), e.createClient("Bravo")
	var ann, noMail api.Contact
	e.api("POST", "/api/v1/clients/"+acme+"/contacts", api.ContactRequest{Name: sp("Ann <b>O'Brien</b>"), Email: sp("ann@acme.example")}, &ann)
	e.api("POST", "/api/v1/clients/"+acme+"/contacts", api.ContactRequest{Name: sp("No Mail")}, &noMail)
	base := "/api/v1/contacts/" + ann.ID + "/verify"

	sendAndRead := func(n int) string {
		t.Helper()
		var sent api.VerifySent
		if code := e.api("POST", base, nil, &sent); code != 200 || sent.SentTo != "a***@acme.example" || sent.Attempts != 5 {
			t.Fatalf("send: %d %+v", code, sent)
		}
		if d := time.Until(sent.ExpiresAt) - time.Duration(skew.Load()); d < 9*time.Minute || d > 11*time.Minute {
			t.Errorf("expires in %s", d)
		}
		msgs := smtpd.Wait(n, 30*time.Second)
		m := msgs[n-1]
		if strings.Join(m.To, ",") != "ann@acme.example" {
			t.Fatalf("sent to %v", m.To)
		}
		got := codeRE.FindStringSubmatch(string(m.Data))
		if got == nil {
			t.Fatalf("no code in %q", m.Data)
		}
		return got[1]
	}
	check := func(code string) api.VerifyResult {
		t.Helper()
		var r api.VerifyResult
		if c := e.api("POST", base+"/check", api.VerifyCheckRequest{Code: code}, &r); c != 200 {
			t.Fatalf("check: %d", c)
		}
		return r
	}
	wrong := func(code string) string {
		if code == "000000" {
			return "000001"
		}
		return "000000"
	}

	// Scope first (signing in needs the unskewed clock).
	e.createUser("hd-bravo", "helpdesk", bravo)
	hd := e.tokenFor("hd-bravo")
	if c := e.apiAs(hd, "POST", base, nil, nil); c != 404 {
		t.Errorf("Bravo's help desk sends to Acme's contact: %d", c)
	}
	if c := e.apiAs(hd, "POST", base+"/check", api.VerifyCheckRequest{Code: "123456"}, nil); c != 404 {
		t.Errorf("Bravo's help desk checks Acme's contact: %d", c)
	}

	code := sendAndRead(1)
	if r := check(wrong(code)); r.Verified || r.Outcome != "wrong" || r.AttemptsLeft != 4 {
		t.Errorf("wrong code = %+v", r)
	}
	// Read aloud with a space, it still counts.
	if r := check(code[:3] + " " + code[3:]); !r.Verified || r.Outcome != "verified" {
		t.Errorf("right code = %+v", r)
	}
	if r := check(code); r.Verified || r.Outcome != "none" {
		t.Errorf("the code used twice = %+v", r)
	}

	// Expiry.
	code = sendAndRead(2)
	skew.Add(int64(11 * time.Minute))
	if r := check(code); r.Verified || r.Outcome != "expired" {
		t.Errorf("expired code = %+v", r)
	}

	// Five wrong codes lock it, even against the right one.
	code = sendAndRead(3)
	for i := range 5 {
		if r := check(wrong(code)); r.Outcome != "wrong" || r.AttemptsLeft != 4-i {
			t.Fatalf("wrong attempt %d = %+v", i, r)
		}
	}
	if r := check(code); r.Verified || r.Outcome != "locked" {
		t.Errorf("right code after five wrong = %+v", r)
	}

	// Sends per contact: three in 15 minutes. Five minutes on, only the
	// third is in the window.
	skew.Add(int64(5 * time.Minute))
	sendAndRead(4)
	sendAndRead(5)
	if c, msg := e.apiErr("POST", base, nil); c != 429 || !strings.Contains(msg, "codes were sent") {
		t.Errorf("fourth send in the window: %d %q", c, msg)
	}

	// Bad input and scope.
	for _, bad := range []string{"12345", "1234567", "12345a", ""} {
		if c, _ := e.apiErr("POST", base+"/check", api.VerifyCheckRequest{Code: bad}); c != 400 {
			t.Errorf("code %q: %d", bad, c)
		}
	}
	if c, _ := e.apiErr("POST", "/api/v1/contacts/"+noMail.ID+"/verify", nil); c != 409 {
		t.Errorf("contact without e-mail: %d", c)
	}
	if c, _ := e.apiErr("POST", "/api/v1/contacts/ct_nope/verify", nil); c != 404 {
		t.Errorf("unknown contact: %d", c)
	}
	if n := len(smtpd.Messages()); n != 5 {
		t.Errorf("%d messages sent, want 5", n)
	}

	// Audited: sent, verified, failed (with the outcome).
	count := map[string]int{}
	for _, a := range []string{"contact.verify.sent", "contact.verify.verified", "contact.verify.failed"} {
		var evs []api.AuditEvent
		e.api("GET", "/api/v1/audit?action="+a, nil, &evs)
		for _, ev := range evs {
			if ev.Target == ann.ID {
				count[a]++
				if a == "contact.verify.failed" {
					count[ev.Detail["outcome"]]++
				}
			}
		}
	}
	if count["contact.verify.sent"] != 5 || count["contact.verify.verified"] != 1 || count["wrong"] != 6 ||
		count["expired"] != 1 || count["locked"] != 1 || count["none"] != 1 {
		t.Errorf("audit counts = %v", count)
	}
}

// TestHelpdeskVerifyWithoutMail: with no SMTP server configured the send
// is refused with the reason, and nothing is stored.
func TestHelpdeskVerifyWithoutMail(t *testing.T) {
	e := startServer(t, serverConfig())
	acme := e.createClient("Acme")
	var ann api.Contact
	e.api("POST", "/api/v1/clients/"+acme+"/contacts", api.ContactRequest{Name: sp("Ann"), Email: sp("ann@acme.example")}, &ann)
	if c, msg := e.apiErr("POST", "/api/v1/contacts/"+ann.ID+"/verify", nil); c != 503 || !strings.Contains(msg, "not configured") {
		t.Errorf("send without SMTP: %d %q", c, msg)
	}
	var r api.VerifyResult
	if c := e.api("POST", "/api/v1/contacts/"+ann.ID+"/verify/check", api.VerifyCheckRequest{Code: "123456"}, &r); c != 200 || r.Outcome != "none" {
		t.Errorf("check without a code: %d %+v", c, r)
	}
}

func sp(s string) *string { return &s }
