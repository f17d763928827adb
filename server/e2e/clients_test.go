//go:build linux

package e2e_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/steward-rmm/steward/api"
)

// rawAs sends a body as is and returns the status and the answer.
func (e *env) rawAs(t *testing.T, token, method, path string, body []byte) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, e.url+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// apiErr calls the API as admin and returns the status and error message.
func (e *env) apiErr(method, path string, body any) (int, string) {
	e.t.Helper()
	var out struct{ Error string }
	code := e.api(method, path, body, &out)
	return code, out.Error
}

// TestClientOverviewFieldsAndPins: the overview's fields are validated
// (phones stored in E.164 and shown as entered in the server's default
// region, websites only http/https), custom fields are validated by type
// with a message naming the field, pins are refused below 3 or above 6,
// are shown in their order with their values, and a pinned field cannot
// be removed; the CLI shows and updates the same.
func TestClientOverviewFieldsAndPins(t *testing.T) {
	cfg := serverConfig()
	cfg.DefaultPhoneRegion = "GB"
	e := startServer(t, cfg)
	acme := e.createClient("Acme")
	var seats, plan, renewal, managed api.ClientField
	for _, x := range []struct {
		req api.ClientFieldRequest
		out *api.ClientField
	}{{api.ClientFieldRequest{Label: "Seats", Type: "number"}, &seats},
		{api.ClientFieldRequest{Label: "Plan", Type: "choice", Options: []string{"Gold", "Silver"}}, &plan},
		{api.ClientFieldRequest{Label: "Renewal", Type: "date"}, &renewal},
		{api.ClientFieldRequest{Label: "Managed", Type: "bool"}, &managed}} {
		if code := e.api("POST", "/api/v1/client-fields", x.req, x.out); code != 201 {
			t.Fatalf("field %s: %d", x.req.Label, code)
		}
	}
	if code, msg := e.apiErr("POST", "/api/v1/client-fields", api.ClientFieldRequest{Label: "X", Type: "colour"}); code != 400 ||
		!strings.Contains(msg, "give one of") {
		t.Errorf("a field of an unknown type: %d %q", code, msg)
	}
	for _, tc := range []struct {
		custom map[string]string
		msg    string
	}{
		{map[string]string{seats.ID: "twelve"}, `custom field "Seats" is a number`},
		{map[string]string{plan.ID: "Bronze"}, `"Plan" is one of Gold, Silver`},
		{map[string]string{renewal.ID: "31/12/2027"}, "YYYY-MM-DD"},
		{map[string]string{managed.ID: "perhaps"}, "yes or no"},
		{map[string]string{"cf_nope": "1"}, "no custom field"},
	} {
		if code, msg := e.apiErr("PATCH", "/api/v1/clients/"+acme, api.UpdateClientRequest{Custom: tc.custom}); code != 400 ||
			!strings.Contains(msg, tc.msg) {
			t.Errorf("custom %v: %d %q, want 400 %q", tc.custom, code, msg, tc.msg)
		}
	}
	str := func(s string) *string { return &s }
	for _, tc := range []struct {
		req api.UpdateClientRequest
		msg string
	}{
		{api.UpdateClientRequest{Website: str("javascript:alert(1)")}, "not an http or https address"},
		{api.UpdateClientRequest{Phone: str("12")}, "not a valid phone number"},
		{api.UpdateClientRequest{Domains: &[]string{"<script>.com"}}, "not a DNS name"},
		{api.UpdateClientRequest{Notes: str("a\u202eb")}, "bidi"},
	} {
		if code, msg := e.apiErr("PATCH", "/api/v1/clients/"+acme, tc.req); code != 400 || !strings.Contains(msg, tc.msg) {
			t.Errorf("%+v: %d %q, want 400 %q", tc.req, code, msg, tc.msg)
		}
	}
	rank := 4
	var pg api.ClientPage
	if code := e.api("PATCH", "/api/v1/clients/"+acme, api.UpdateClientRequest{Phone: str("020 7946 0958"), Address: str("1 High St\nLondon"),
		Postcode: str("SW1A 1AA"), Website: str("acme.example"), Domains: &[]string{"ACME.example", "acme.example.net"},
		CompanyNumber: str("=cmd|' /C calc'!A0"), Ranking: &rank, Notes: str("<script>alert(1)</script>"),
		Custom: map[string]string{seats.ID: "12.50", plan.ID: "gold", renewal.ID: "2027-12-31", managed.ID: "yes"}}, &pg); code != 200 {
		t.Fatalf("update: %d", code)
	}
	p := pg.Profile
	if p.Phone != "020 7946 0958" || p.PhoneE164 != "+442079460958" || p.Website != "https://acme.example" ||
		strings.Join(p.Domains, ",") != "acme.example,acme.example.net" || p.Ranking != 4 || p.Custom[seats.ID] != "12.5" ||
		p.Custom[plan.ID] != "Gold" || p.Custom[managed.ID] != "true" || p.CompanyNumber != "=cmd|' /C calc'!A0" ||
		p.Notes != "<script>alert(1)</script>" || p.ModifiedBy != "admin" || p.ModifiedAt.IsZero() ||
		p.MapURL != "https://www.openstreetmap.org/search?query=1+High+St+London+SW1A+1AA" {
		t.Errorf("profile = %+v", p)
	}

	// Pins.
	for _, keys := range [][]string{{"phone", "ranking"}, {"phone", "ranking", "fax", "notes", "website", "domains", "postcode"}} {
		if code, msg := e.apiErr("PUT", "/api/v1/client-pinned", api.PinnedFields{Keys: keys}); code != 400 ||
			!strings.Contains(msg, fmt.Sprintf("pin between 3 and 6 fields (got %d)", len(keys))) {
			t.Errorf("%d pins: %d %q", len(keys), code, msg)
		}
	}
	if code := e.api("PUT", "/api/v1/client-pinned", api.PinnedFields{Keys: []string{plan.ID, "ranking", "phone", managed.ID}}, nil); code != 200 {
		t.Fatalf("pin: %d", code)
	}
	e.api("GET", "/api/v1/clients/"+acme, nil, &pg)
	var got []string
	for _, v := range pg.Pinned {
		got = append(got, v.Label+"="+v.Value)
	}
	if strings.Join(got, ";") != "Plan=Gold;Ranking=urgent;Phone=020 7946 0958;Managed=yes" {
		t.Errorf("pinned = %v", got)
	}
	if code, msg := e.apiErr("DELETE", "/api/v1/client-fields/"+plan.ID, nil); code != 409 || !strings.Contains(msg, "unpin") {
		t.Errorf("remove a pinned field: %d %q", code, msg)
	}

	// The clients list: search by domain and company number, filter by ranking.
	other := e.createClient("Other Ltd")
	for q, want := range map[string]string{"?search=acme.example.net": acme, "?search=%3Dcmd": acme, "?ranking=urgent": acme,
		"?ranking=4": acme, "?search=other": other} {
		var cs []api.Client
		if code := e.api("GET", "/api/v1/clients"+q, nil, &cs); code != 200 || len(cs) != 1 || cs[0].ID != want || cs[0].Stats == nil {
			t.Errorf("clients%s = %d %+v", q, code, cs)
		}
	}
	if code, _ := e.apiErr("GET", "/api/v1/clients?ranking=extreme", nil); code != 400 {
		t.Errorf("an unknown ranking: %d", code)
	}

	// The CLI.
	out, errs, code := e.ctl(t, "clients", "show", "acme")
	if code != 0 || !strings.Contains(out, "+44") && !strings.Contains(out, "020 7946 0958") || !strings.Contains(out, "Seats           12.5") {
		t.Errorf("clients show: %d %s %s", code, out, errs)
	}
	out, errs, code = e.ctl(t, "clients", "update", "Acme", "--field", "Seats=abc")
	if code == 0 || !strings.Contains(errs, `"Seats" is a number`) {
		t.Errorf("clients update with a bad number: %d %s %s", code, out, errs)
	}
	out, errs, code = e.ctl(t, "clients", "update", "Acme", "--field", "seats=7", "--ranking", "critical")
	if code != 0 || !strings.Contains(out, "critical") || !strings.Contains(out, "7") {
		t.Errorf("clients update: %d %s %s", code, out, errs)
	}
	if _, errs, code := e.ctl(t, "clients", "fields", "pin", "phone", "fax"); code == 0 || !strings.Contains(errs, "between 3 and 6") {
		t.Errorf("pin 2 fields: %d %s", code, errs)
	}
	if out, errs, code := e.ctl(t, "clients", "list", "--ranking", "critical"); code != 0 || !strings.Contains(out, "Acme") || strings.Contains(out, "Other") {
		t.Errorf("clients list --ranking: %d %s %s", code, out, errs)
	}
}

// contactsCSV is a file of contacts with one bad row of each kind.
const contactsCSV = "Full Name,E-mail Address,Phone,Mobile,Job Title,Notes\n" +
	"Ann Smith,ann@acme.example,020 7946 0958,+44 7911 123456,CEO,x\n" + // 2
	"Bob Jones,bob@acme.example,,,CTO,x\n" + // 3
	"No Mail,,020 7946 0958,,,x\n" + // 4: no e-mail
	"Bad Phone,bad@acme.example,12,,,x\n" + // 5: bad phone
	"\"Multi\nLine\",multi@acme.example,,,,x\n" + // 6-7: a name of two lines, reported at line 6
	"Repeat,ANN@acme.example,,,,x\n" + // 8: e-mail repeats line 2
	"=cmd|' /C calc'!A0,formula@acme.example,,,<script>alert(1)</script>,x\n" + // 9: hostile text, imported as text
	"Short,short@acme.example\n" + // 10: too few fields
	"Bad Mail,not-an-address,,,,x\n" // 11: bad e-mail

// TestContactsImportAndScope: a CSV import previews columns and a proposed
// mapping, imports the valid rows, reports every invalid one with its line
// and reason, and changes nothing the second time; malformed and oversized
// files are refused; the export neutralises formulas; the CLI does the
// same; and a technician scoped to another client sees none of it.
func TestContactsImportAndScope(t *testing.T) {
	cfg := serverConfig()
	cfg.DefaultPhoneRegion = "GB"
	e := startServer(t, cfg)
	acme, bravo := e.createClient("Acme"), e.createClient("Bravo")
	base := "/api/v1/clients/" + acme + "/contacts"

	var pv api.ContactImportPreview
	if code := e.api("POST", base+"/import/preview", api.ContactImportRequest{CSV: contactsCSV}, &pv); code != 200 {
		t.Fatalf("preview: %d", code)
	}
	if pv.Total != 9 || len(pv.Rows) != 9 || strings.Join(pv.Mapping, ",") != "name,email,phone,mobile,job_title," {
		t.Fatalf("preview = %+v", pv)
	}
	var r1, r2 api.ContactImportResult
	if code := e.api("POST", base+"/import", api.ContactImportRequest{CSV: contactsCSV, Mapping: pv.Mapping}, &r1); code != 200 {
		t.Fatalf("import: %d", code)
	}
	if r1.Created != 3 || r1.Updated != 0 || r1.Unchanged != 0 || r1.Invalid != 6 || len(r1.Errors) != 6 {
		t.Errorf("first import = %+v", r1)
	}
	want := map[int]string{4: "no e-mail", 5: "not a valid phone number", 6: "name must be printable text", 8: "on line 2 already",
		10: "has 2 fields, the header 6", 11: "not a valid address"}
	for _, er := range r1.Errors {
		if w, ok := want[er.Line]; !ok || !strings.Contains(er.Reason, w) {
			t.Errorf("line %d: %q, want %q", er.Line, er.Reason, w)
		}
	}
	if code := e.api("POST", base+"/import", api.ContactImportRequest{CSV: contactsCSV, Mapping: pv.Mapping}, &r2); code != 200 ||
		r2.Created != 0 || r2.Updated != 0 || r2.Unchanged != 3 || r2.Invalid != 6 {
		t.Errorf("second import of the same file: %d %+v", code, r2)
	}
	var list api.ContactList
	e.api("GET", base+"?search=ANN", nil, &list)
	if list.Total != 1 || list.Contacts[0].Phone != "020 7946 0958" || list.Contacts[0].PhoneE164 != "+442079460958" ||
		list.Contacts[0].MobileE164 != "+447911123456" {
		t.Errorf("Ann = %+v", list)
	}
	ann := list.Contacts[0]
	// A changed row updates only what changed.
	changed := strings.Replace(contactsCSV, "Bob Jones,bob@acme.example,,,CTO", "Bob Jones,bob@acme.example,,,CIO", 1)
	var r3 api.ContactImportResult
	e.api("POST", base+"/import", api.ContactImportRequest{CSV: changed, Mapping: pv.Mapping}, &r3)
	if r3.Updated != 1 || r3.Unchanged != 2 || r3.Created != 0 {
		t.Errorf("import with one changed row = %+v", r3)
	}

	// Bad files and mappings.
	for _, tc := range []struct {
		req  api.ContactImportRequest
		code int
		msg  string
	}{
		{api.ContactImportRequest{CSV: "name,email\n\"Ann,ann@x.example\nBob\"x,b@x.example\n", Mapping: []string{"name", "email"}}, 400, "malformed CSV"},
		{api.ContactImportRequest{CSV: "", Mapping: nil}, 400, "empty"},
		{api.ContactImportRequest{CSV: contactsCSV, Mapping: []string{"name"}}, 400, "one per column"},
		{api.ContactImportRequest{CSV: contactsCSV, Mapping: []string{"name", "phone", "", "", "", ""}}, 400, "map a column to email"},
	} {
		if code, msg := e.apiErr("POST", base+"/import", tc.req); code != tc.code || !strings.Contains(msg, tc.msg) {
			t.Errorf("import %.40q: %d %q, want %d %q", tc.req.CSV, code, msg, tc.code, tc.msg)
		}
	}
	big, _ := jsonBody(api.ContactImportRequest{CSV: strings.Repeat("a,b@example.com\n", 600000)})
	if code, body := e.rawAs(t, e.token, "POST", base+"/import/preview", big); code != 413 {
		t.Errorf("a 9 MB import: %d %.100s", code, body)
	}

	// Add, edit, disable; e-mails unique per client; hostile text stays text.
	var c api.Contact
	if code := e.api("POST", base, map[string]any{"name": "Dora", "email": "dora@acme.example", "sip": "dora@pbx.acme.example"}, &c); code != 201 ||
		c.SIP != "sip:dora@pbx.acme.example" {
		t.Fatalf("add: %d %+v", code, c)
	}
	if code, msg := e.apiErr("POST", base, map[string]any{"name": "Dup", "email": "DORA@acme.example"}); code != 409 {
		t.Errorf("a second Dora: %d %q", code, msg)
	}
	if code, msg := e.apiErr("POST", base, map[string]any{"name": "Bad", "email": "dora@"}); code != 400 || !strings.Contains(msg, "e-mail") {
		t.Errorf("a bad e-mail: %d %q", code, msg)
	}
	if code, msg := e.apiErr("POST", base, map[string]any{"name": "Ev\u202eil", "email": "evil@acme.example"}); code != 400 || !strings.Contains(msg, "bidi") {
		t.Errorf("a bidi name: %d %q", code, msg)
	}
	if code := e.api("POST", "/api/v1/clients/"+bravo+"/contacts", map[string]any{"name": "Dora B", "email": "dora@acme.example"}, nil); code != 201 {
		t.Errorf("the same e-mail at another client: %d", code)
	}
	if code, msg := e.apiErr("PATCH", base+"/"+c.ID, map[string]any{"devices": []string{"d_nope"}}); code != 400 || !strings.Contains(msg, "not a device of this client") {
		t.Errorf("a foreign device: %d %q", code, msg)
	}
	if code := e.api("PATCH", base+"/"+c.ID, map[string]any{"disabled": true, "job_title": "Ops"}, &c); code != 200 || !c.Disabled || c.JobTitle != "Ops" {
		t.Errorf("disable: %d %+v", code, c)
	}
	e.api("GET", base+"?status=disabled", nil, &list)
	if list.Total != 1 || list.Contacts[0].ID != c.ID {
		t.Errorf("disabled contacts = %+v", list)
	}
	e.api("GET", base+"?limit=2&offset=1", nil, &list)
	if list.Total != 4 || len(list.Contacts) != 2 {
		t.Errorf("a page of contacts = %d of %d", len(list.Contacts), list.Total)
	}
	exp := e.rawGet(t, base+"?format=csv")
	rows, err := csv.NewReader(strings.NewReader(exp)).ReadAll()
	if err != nil || len(rows) != 5 {
		t.Fatalf("export: %v %q", err, exp)
	}
	if !strings.Contains(exp, "'=cmd|' /C calc'!A0") || !strings.Contains(exp, "<script>alert(1)</script>") {
		t.Errorf("export does not neutralise the formula or lost the text: %s", exp)
	}

	// The CLI: import twice (the second changes nothing), list, disable.
	file := filepath.Join(t.TempDir(), "contacts.csv")
	os.WriteFile(file, []byte(strings.ReplaceAll(contactsCSV, "@acme.example", "@cli.example")), 0o600)
	out, errs, code := e.ctl(t, "contacts", "import", "Bravo", file)
	if code != 0 || !regexpMatch(`(?m)^3\s+0\s+0\s+6\s*$`, out) || !strings.Contains(out, "on line 2 already") {
		t.Errorf("contacts import: %d %s %s", code, out, errs)
	}
	out, _, _ = e.ctl(t, "contacts", "import", "Bravo", file)
	if !regexpMatch(`(?m)^0\s+0\s+3\s+6\s*$`, out) {
		t.Errorf("second contacts import: %s", out)
	}
	out, _, _ = e.ctl(t, "contacts", "import", "Bravo", file, "--preview", "--map", "Notes=job_title", "--map", "Job Title=")
	if !regexpMatch(`(?m)^Notes\s+job_title\s+x\s*$`, out) {
		t.Errorf("import --preview --map: %s", out)
	}
	out, errs, code = e.ctl(t, "contacts", "list", "Bravo", "--search", "ann")
	if code != 0 || !strings.Contains(out, "ann@cli.example") || strings.Contains(out, "Bob") {
		t.Errorf("contacts list --search: %d %s %s", code, out, errs)
	}
	var bl api.ContactList
	e.api("GET", "/api/v1/clients/"+bravo+"/contacts?search=bob@cli", nil, &bl)
	if out, errs, code := e.ctl(t, "contacts", "disable", "Bravo", bl.Contacts[0].ID); code != 0 || !strings.Contains(out, "disabled") {
		t.Errorf("contacts disable: %d %s %s", code, out, errs)
	}
	if out, errs, code := e.ctl(t, "contacts", "add", "Bravo", "--name", "Eve", "--email", "eve@"); code == 0 || !strings.Contains(errs, "--email") {
		t.Errorf("contacts add with a bad e-mail: %d %s %s", code, out, errs)
	}

	// Scope: a technician of Bravo sees none of Acme's page or contacts.
	e.createUser("bravo-tech", "technician", bravo)
	tok := e.tokenFor("bravo-tech")
	for _, x := range []struct{ method, path string }{{"GET", "/api/v1/clients/" + acme}, {"PATCH", "/api/v1/clients/" + acme},
		{"GET", base}, {"GET", base + "?format=csv"}, {"GET", base + "/" + ann.ID}, {"PATCH", base + "/" + ann.ID},
		{"POST", base}, {"POST", base + "/import"}, {"POST", base + "/import/preview"},
		// Acme's contact through Bravo's page.
		{"GET", "/api/v1/clients/" + bravo + "/contacts/" + ann.ID}, {"PATCH", "/api/v1/clients/" + bravo + "/contacts/" + ann.ID}} {
		body, _ := jsonBody(map[string]any{"name": "x", "email": "x@x.example", "csv": contactsCSV, "mapping": pv.Mapping})
		code, resp := e.rawAs(t, tok, x.method, x.path, body)
		if code != 404 || strings.Contains(resp, "ann@") || strings.Contains(resp, "Acme") {
			t.Errorf("%s %s as Bravo's technician: %d %s", x.method, x.path, code, resp)
		}
	}
	var cs []api.Client
	e.apiAs(tok, "GET", "/api/v1/clients", nil, &cs)
	if len(cs) != 1 || cs[0].ID != bravo {
		t.Errorf("Bravo's technician lists %+v", cs)
	}
	// Audit: the imports and the disable are recorded against the client.
	var evs []api.AuditEvent
	e.api("GET", "/api/v1/audit?action=contact.import", nil, &evs)
	if len(evs) < 5 || evs[len(evs)-1].Detail["created"] == "" {
		t.Errorf("import audit = %+v", evs)
	}
}

// jsonBody encodes a request body.
func jsonBody(v any) ([]byte, error) { return json.Marshal(v) }

// regexpMatch reports whether s matches the pattern.
func regexpMatch(pattern, s string) bool { return regexp.MustCompile(pattern).MatchString(s) }
