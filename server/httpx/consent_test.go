package httpx

import (
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/steward-rmm/steward/api"
)

// TestConsentWriter: a handler's 404 about a withheld client becomes 403
// with the refusal and its code; a 404 about anything else, and every
// other status, pass unchanged; the clients reached under a grant are
// recorded.
func TestConsentWriter(t *testing.T) {
	newP := func() *Principal {
		return &Principal{Name: "tech", Clients: []string{"c_ok", "c_g"}, Consent: &ConsentScope{
			Withheld: map[string]string{"c_w": "client \"W\" requires consent: no active grant covering 'manage devices'"},
			Granted:  map[string]string{"c_g": "cg_1"}}}
	}
	serve := func(p *Principal, fn func(p *Principal)) (*httptest.ResponseRecorder, api.Error) {
		rec := httptest.NewRecorder()
		w := &ConsentWriter{ResponseWriter: rec, P: p}
		fn(p)
		WriteError(w, 404, "device not found")
		var e api.Error
		_ = json.Unmarshal(rec.Body.Bytes(), &e)
		if rec.Code != w.Status {
			t.Fatalf("status kept %d, written %d", w.Status, rec.Code)
		}
		return rec, e
	}
	rec, e := serve(newP(), func(p *Principal) { p.CanSeeClient("c_ok"); p.CanSeeClient("c_w") })
	if rec.Code != 403 || e.Code != api.CodeConsent || e.Error != "client \"W\" requires consent: no active grant covering 'manage devices'" {
		t.Fatalf("withheld: %d %+v", rec.Code, e)
	}
	rec, e = serve(newP(), func(p *Principal) { p.CanSeeClient("c_other") })
	if rec.Code != 404 || e.Error != "device not found" {
		t.Fatalf("unknown client: %d %+v", rec.Code, e)
	}
	p := newP()
	if !p.CanSeeClient("c_g") || p.CanSeeClient("c_w") {
		t.Fatal("scope")
	}
	if u := p.Consent.Used(); len(u) != 1 || u["c_g"] != "cg_1" {
		t.Fatalf("used = %v", u)
	}
	rec = httptest.NewRecorder()
	w := &ConsentWriter{ResponseWriter: rec, P: p}
	WriteJSON(w, 200, api.OK{OK: true})
	if rec.Code != 200 || w.Status != 200 || rec.Body.Len() == 0 {
		t.Fatalf("200 changed: %d %q", rec.Code, rec.Body)
	}
}
