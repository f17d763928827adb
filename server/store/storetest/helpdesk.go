package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/steward-rmm/steward/server/store"
)

func contactIDs(cs []store.Contact) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.ID)
	}
	slices.Sort(out)
	return out
}

func clientIDs(cs []store.Client) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.ID)
	}
	slices.Sort(out)
	return out
}

// Helpdesk checks the search over clients and contacts by every field,
// that edits never leave a stale key, that scope and client narrow it,
// and the caller codes' single use, expiry and attempt limit.
func Helpdesk(t *testing.T, f Factory) {
	subtests(t, f, map[string]func(*testing.T, Factory){
		"Search":      helpdeskSearch,
		"CallerCodes": helpdeskCodes,
		"DeviceSIP":   helpdeskDeviceSIP,
	})
}

// helpdeskDeviceSIP: a device's SIP address is found by its user@host in
// any case and scheme, replaced and removed cleanly, and goes with the
// device.
func helpdeskDeviceSIP(t *testing.T, f Factory) {
	db := f.fresh(t)
	now := time.Now()
	must2(t, db.CreateClient(store.Client{ID: "c1", Name: "Acme"}))
	must2(t, db.CreateEnrollToken(store.EnrollToken{ID: "t1", ClientID: "c1", Hash: "h1", ExpiresAt: now.Add(time.Hour), MaxUses: 3}))
	for _, id := range []string{"d1", "d2"} {
		if _, _, err := db.Enroll("h1", now, store.Device{ID: id, KeyHash: "k-" + id}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.SetDeviceSIP("nope", "sip:x@y.example"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown device: %v", err)
	}
	must2(t, db.SetDeviceSIP("d1", "sip:Desk1@PBX.example"))
	must2(t, db.SetDeviceSIP("d2", "sips:desk1@pbx.example"))
	find := func(sip string) []string {
		t.Helper()
		ids, err := db.DevicesBySIP(sip)
		if err != nil {
			t.Fatal(err)
		}
		return append([]string{}, ids...)
	}
	if got := find("SIP:desk1@pbx.example"); !slices.Equal(got, []string{"d1", "d2"}) {
		t.Fatalf("by sip = %v", got)
	}
	if v, err := db.DeviceSIP("d1"); err != nil || v != "sip:Desk1@PBX.example" {
		t.Fatalf("device sip = %q %v", v, err)
	}
	must2(t, db.SetDeviceSIP("d1", "sip:desk9@pbx.example"))
	if got := find("sip:desk1@pbx.example"); !slices.Equal(got, []string{"d2"}) {
		t.Errorf("after a change, the old address = %v", got)
	}
	if got := find("sip:desk9@pbx.example"); !slices.Equal(got, []string{"d1"}) {
		t.Errorf("the new address = %v", got)
	}
	must2(t, db.SetDeviceSIP("d1", ""))
	if got := find("sip:desk9@pbx.example"); len(got) != 0 {
		t.Errorf("a removed address = %v", got)
	}
	if v, _ := db.DeviceSIP("d1"); v != "" {
		t.Errorf("removed address reads %q", v)
	}
	must2(t, db.DeleteDevice("d2"))
	if got := find("sip:desk1@pbx.example"); len(got) != 0 {
		t.Errorf("a deleted device's address = %v", got)
	}
	must2(t, db.SetDeviceSIP("d1", "sip:desk5@pbx.example"))
	must2(t, db.RebuildSearchIndex())
	if got := find("sip:desk5@pbx.example"); !slices.Equal(got, []string{"d1"}) {
		t.Errorf("after a rebuild = %v", got)
	}
}

func helpdeskSearch(t *testing.T, f Factory) {
	db := f.fresh(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(db.CreateClient(store.Client{ID: "ca", Name: "Acme Widgets"}))
	must(db.CreateClient(store.Client{ID: "cb", Name: "Bravo Acme"}))
	must(db.PutClientProfile(store.ClientProfile{ClientID: "ca", PhoneE164: "+12124567890", Domains: []string{"Acme.example"},
		Website: "https://www.acme-widgets.example/about"}))
	must(db.PutContacts([]store.Contact{
		{ID: "p1", ClientID: "ca", Name: "Ann O'Brien", Email: "Ann@Acme.example", PhoneE164: "+12124567890", SIP: "sip:Ann@pbx.acme.example"},
		{ID: "p2", ClientID: "ca", Name: "Annabel Smith", MobileE164: "+442071234567"},
		{ID: "p3", ClientID: "cb", Name: "Ann Jones", Email: "ann@bravo.example", SIP: "sips:ann@pbx.bravo.example"},
	}))
	all := store.Scope{}
	contacts := func(q store.SearchQuery) []string {
		t.Helper()
		cs, err := db.SearchContacts(q)
		if err != nil {
			t.Fatal(err)
		}
		return contactIDs(cs)
	}
	clients := func(q store.SearchQuery) []string {
		t.Helper()
		cs, err := db.SearchClients(q)
		if err != nil {
			t.Fatal(err)
		}
		return clientIDs(cs)
	}
	check := func(what string, got []string, want ...string) {
		t.Helper()
		if want == nil {
			want = []string{}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}
	check("name ann", contacts(store.SearchQuery{Field: store.SearchName, Value: "ann", Scope: all}), "p1", "p2", "p3")
	check("name 'ann o'", contacts(store.SearchQuery{Field: store.SearchName, Value: "Ann O", Scope: all}), "p1")
	check("name 'jon an'", contacts(store.SearchQuery{Field: store.SearchName, Value: "jon an", Scope: all}), "p3")
	check("name brien", contacts(store.SearchQuery{Field: store.SearchName, Value: "brien", Scope: all}), "p1")
	check("two words on one name word", contacts(store.SearchQuery{Field: store.SearchName, Value: "an ann", Scope: all}))
	check("name nn (not a word start)", contacts(store.SearchQuery{Field: store.SearchName, Value: "nn", Scope: all}))
	check("email", contacts(store.SearchQuery{Field: store.SearchEmail, Value: "ANN@acme.EXAMPLE", Scope: all}), "p1")
	check("email part", contacts(store.SearchQuery{Field: store.SearchEmail, Value: "ann@acme", Scope: all}))
	check("phone", contacts(store.SearchQuery{Field: store.SearchPhone, Value: "+12124567890", Scope: all}), "p1")
	check("mobile", contacts(store.SearchQuery{Field: store.SearchPhone, Value: "+442071234567", Scope: all}), "p2")
	check("sip", contacts(store.SearchQuery{Field: store.SearchSIP, Value: "SIP:ann@pbx.acme.example", Scope: all}), "p1")
	check("sips", contacts(store.SearchQuery{Field: store.SearchSIP, Value: "sip:ann@pbx.bravo.example", Scope: all}), "p3")
	check("client narrows", contacts(store.SearchQuery{Field: store.SearchName, Value: "ann", ClientID: "cb", Scope: all}), "p3")
	check("scope", contacts(store.SearchQuery{Field: store.SearchName, Value: "ann", Scope: store.Scope{Only: true, Clients: []string{"cb"}}}), "p3")
	check("client outside scope", contacts(store.SearchQuery{Field: store.SearchName, Value: "ann", ClientID: "ca",
		Scope: store.Scope{Only: true, Clients: []string{"cb"}}}))
	if n := len(contacts(store.SearchQuery{Field: store.SearchName, Value: "ann", Scope: all, Limit: 2})); n != 2 {
		t.Errorf("limit 2 gave %d", n)
	}

	check("client name", clients(store.SearchQuery{Field: store.SearchName, Value: "acme", Scope: all}), "ca", "cb")
	check("client name two words", clients(store.SearchQuery{Field: store.SearchName, Value: "wid acm", Scope: all}), "ca")
	check("client domain", clients(store.SearchQuery{Field: store.SearchDomain, Value: "ACME.example", Scope: all}), "ca")
	check("client website", clients(store.SearchQuery{Field: store.SearchDomain, Value: "acme-widgets.example", Scope: all}), "ca")
	check("client website www", clients(store.SearchQuery{Field: store.SearchDomain, Value: "www.acme-widgets.example", Scope: all}), "ca")
	check("client phone", clients(store.SearchQuery{Field: store.SearchPhone, Value: "+12124567890", Scope: all}), "ca")
	check("client scope", clients(store.SearchQuery{Field: store.SearchName, Value: "acme", Scope: store.Scope{Only: true}}))

	// Edits: the old keys go in the same commit.
	c1, err := db.Contact("p1")
	must(err)
	c1.Name, c1.Email, c1.PhoneE164, c1.SIP = "Zoe Quinn", "zoe@acme.example", "+13125550100", ""
	must(db.PutContacts([]store.Contact{c1}))
	check("old name", contacts(store.SearchQuery{Field: store.SearchName, Value: "brien", Scope: all}))
	check("old email", contacts(store.SearchQuery{Field: store.SearchEmail, Value: "ann@acme.example", Scope: all}))
	check("old phone", contacts(store.SearchQuery{Field: store.SearchPhone, Value: "+12124567890", Scope: all}))
	check("old sip", contacts(store.SearchQuery{Field: store.SearchSIP, Value: "ann@pbx.acme.example", Scope: all}))
	check("new name", contacts(store.SearchQuery{Field: store.SearchName, Value: "zo", Scope: all}), "p1")
	check("new email", contacts(store.SearchQuery{Field: store.SearchEmail, Value: "zoe@acme.example", Scope: all}), "p1")
	check("new phone", contacts(store.SearchQuery{Field: store.SearchPhone, Value: "+13125550100", Scope: all}), "p1")
	must(db.PutClientProfile(store.ClientProfile{ClientID: "ca", Domains: []string{"acme.test"}}))
	check("old domain", clients(store.SearchQuery{Field: store.SearchDomain, Value: "acme.example", Scope: all}))
	check("old website", clients(store.SearchQuery{Field: store.SearchDomain, Value: "acme-widgets.example", Scope: all}))
	check("old client phone", clients(store.SearchQuery{Field: store.SearchPhone, Value: "+12124567890", Scope: all}))
	check("new domain", clients(store.SearchQuery{Field: store.SearchDomain, Value: "acme.test", Scope: all}), "ca")
	// A refused write changes no key.
	bad := store.Contact{ID: "p2", ClientID: "ca", Name: "Changed", Email: "zoe@acme.example"}
	if err := db.PutContacts([]store.Contact{bad}); !errors.Is(err, store.ErrExists) {
		t.Fatalf("duplicate e-mail: %v", err)
	}
	check("refused write", contacts(store.SearchQuery{Field: store.SearchName, Value: "changed", Scope: all}))
	check("kept after refusal", contacts(store.SearchQuery{Field: store.SearchName, Value: "annabel", Scope: all}), "p2")

	must(db.RebuildSearchIndex())
	check("after rebuild", contacts(store.SearchQuery{Field: store.SearchName, Value: "zoe", Scope: all}), "p1")
	check("after rebuild, old", contacts(store.SearchQuery{Field: store.SearchName, Value: "brien", Scope: all}))
	check("after rebuild, client", clients(store.SearchQuery{Field: store.SearchDomain, Value: "acme.test", Scope: all}), "ca")
}

func helpdeskCodes(t *testing.T, f Factory) {
	db := f.fresh(t)
	t0 := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	if err := db.CreateClient(store.Client{ID: "ca", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	if err := db.PutContacts([]store.Contact{{ID: "p1", ClientID: "ca", Name: "Ann", Email: "ann@acme.example"}}); err != nil {
		t.Fatal(err)
	}
	if err := db.PutCallerCode(store.CallerCode{ContactID: "nobody", Hash: "h"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("code of an unknown contact: %v", err)
	}
	if _, err := db.CallerCode("p1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("no code: %v", err)
	}
	if out, _, err := db.CheckCallerCode("p1", "h", t0, 5); err != nil || out != store.CodeNone {
		t.Fatalf("check without code = %s %v", out, err)
	}
	code := store.CallerCode{ContactID: "p1", ClientID: "ca", Salt: "s", Hash: "good", SentTo: "ann@acme.example", SentBy: "u1",
		SentAt: t0, ExpiresAt: t0.Add(10 * time.Minute)}
	if err := db.PutCallerCode(code); err != nil {
		t.Fatal(err)
	}
	if got, err := db.CallerCode("p1"); err != nil || got.Hash != "good" || !got.ExpiresAt.Equal(code.ExpiresAt) || got.SentTo != code.SentTo {
		t.Fatalf("stored code = %+v %v", got, err)
	}
	if out, c, _ := db.CheckCallerCode("p1", "bad", t0.Add(time.Minute), 5); out != store.CodeWrong || c.Attempts != 1 {
		t.Fatalf("wrong code = %s %d", out, c.Attempts)
	}
	if out, _, _ := db.CheckCallerCode("p1", "good", t0.Add(time.Minute), 5); out != store.CodeVerified {
		t.Fatalf("right code = %s", out)
	}
	if out, _, _ := db.CheckCallerCode("p1", "good", t0.Add(time.Minute), 5); out != store.CodeNone {
		t.Fatalf("used code again = %s", out)
	}
	// Expiry.
	must2(t, db.PutCallerCode(code))
	if out, _, _ := db.CheckCallerCode("p1", "good", t0.Add(11*time.Minute), 5); out != store.CodeExpired {
		t.Fatalf("expired code = %s", out)
	}
	if out, _, _ := db.CheckCallerCode("p1", "good", t0.Add(time.Minute), 5); out != store.CodeNone {
		t.Fatalf("expired code after = %s", out)
	}
	// Attempts: five wrong ones lock it, even against the right code.
	must2(t, db.PutCallerCode(code))
	for i := range 5 {
		if out, _, _ := db.CheckCallerCode("p1", "bad", t0.Add(time.Minute), 5); out != store.CodeWrong {
			t.Fatalf("attempt %d = %s", i, out)
		}
	}
	if out, _, _ := db.CheckCallerCode("p1", "good", t0.Add(time.Minute), 5); out != store.CodeLocked {
		t.Fatalf("sixth attempt = %s", out)
	}
	if out, _, _ := db.CheckCallerCode("p1", "good", t0.Add(time.Minute), 5); out != store.CodeNone {
		t.Fatalf("after lock = %s", out)
	}
}

func must2(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
