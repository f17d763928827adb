package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/steward-rmm/steward/server/store"
)

// Consent checks requests (client must exist, answered once, not after
// they expire, the grant stored with the acceptance), grants (scope and
// active queries, revoked once, renewal, end applied once, uses counted)
// and the per-client setting; and that it all survives a reopen.
func Consent(t *testing.T, f Factory) {
	open := f(t)
	db := open()
	for _, c := range []string{"c1", "c2"} {
		if err := db.CreateClient(store.Client{ID: c, Name: c}); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	req := func(id, client string, at time.Time) store.ConsentRequest {
		return store.ConsentRequest{ID: id, ClientID: client, Roles: []string{"manage_devices", "helpdesk_view"}, Days: 30,
			Message: "please", CreatedAt: at, CreatedBy: "tech", ExpiresAt: at.Add(90 * 24 * time.Hour), Status: store.ConsentPending}
	}
	if err := db.CreateConsentRequest(req("q0", "nope", t0)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("request of an unknown client: %v", err)
	}
	for _, r := range []store.ConsentRequest{req("q1", "c1", t0), req("q2", "c1", t0.Add(time.Minute)), req("q3", "c2", t0)} {
		if err := db.CreateConsentRequest(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.CreateConsentRequest(req("q1", "c1", t0)); !errors.Is(err, store.ErrExists) {
		t.Fatalf("duplicate request ID: %v", err)
	}
	if _, err := db.ConsentRequest("q9"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown request: %v", err)
	}
	rs, err := db.ConsentRequests(store.ConsentRequestQuery{ClientID: "c1"})
	if err != nil || len(rs) != 2 || rs[0].ID != "q2" || rs[1].ID != "q1" || rs[0].Message != "please" || len(rs[0].Roles) != 2 {
		t.Fatalf("requests of c1 newest first = %+v %v", rs, err)
	}
	if rs, _ := db.ConsentRequests(store.ConsentRequestQuery{Scope: store.Scope{Only: true, Clients: []string{"c2"}}}); len(rs) != 1 || rs[0].ID != "q3" {
		t.Fatalf("requests in scope c2 = %+v", rs)
	}
	// Expired: no answer, nothing changes.
	if _, err := db.AnswerConsentRequest("q3", store.ConsentDeclined, t0.Add(91*24*time.Hour), "ct", "Carol", nil); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("answer after expiry: %v", err)
	}
	g := store.ConsentGrant{ID: "g1", ClientID: "c1", RequestID: "q1", Roles: []string{"manage_devices"}, StartsAt: t0.Add(time.Hour),
		EndsAt: t0.Add(48 * time.Hour), GrantedByID: "ct", GrantedBy: "Carol"}
	r, err := db.AnswerConsentRequest("q1", store.ConsentAccepted, t0.Add(time.Hour), "ct", "Carol", &g)
	if err != nil || r.Status != store.ConsentAccepted || r.GrantID != "g1" || r.AnsweredBy != "Carol" || !r.AnsweredAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("accept = %+v %v", r, err)
	}
	if _, err := db.AnswerConsentRequest("q1", store.ConsentDeclined, t0.Add(2*time.Hour), "ct", "Carol", nil); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second answer: %v", err)
	}
	if r, err := db.AnswerConsentRequest("q2", store.ConsentDeclined, t0.Add(2*time.Hour), "ct", "Carol", nil); err != nil || r.Status != store.ConsentDeclined || r.GrantID != "" {
		t.Fatalf("decline = %+v %v", r, err)
	}
	if rs, _ := db.ConsentRequests(store.ConsentRequestQuery{Status: store.ConsentPending}); len(rs) != 1 || rs[0].ID != "q3" {
		t.Fatalf("pending requests = %+v", rs)
	}
	if got, err := db.ConsentGrant("g1"); err != nil || got.RequestID != "q1" || got.GrantedBy != "Carol" || !got.EndsAt.Equal(g.EndsAt) {
		t.Fatalf("grant = %+v %v", got, err)
	}
	if _, err := db.ConsentGrant("g9"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown grant: %v", err)
	}
	if gs, _ := db.ConsentGrants(store.ConsentGrantQuery{ActiveAt: t0.Add(2 * time.Hour)}); len(gs) != 1 {
		t.Fatalf("active grants = %+v", gs)
	}
	if gs, _ := db.ConsentGrants(store.ConsentGrantQuery{ActiveAt: t0.Add(49 * time.Hour)}); len(gs) != 0 {
		t.Fatalf("grants active after the end = %+v", gs)
	}
	if gs, _ := db.ConsentGrants(store.ConsentGrantQuery{Scope: store.Scope{Only: true, Clients: []string{"c2"}}}); len(gs) != 0 {
		t.Fatalf("grants in scope c2 = %+v", gs)
	}
	if err := db.RecordConsentUse("g1", t0.Add(3*time.Hour), "tech"); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordConsentUse("g1", t0.Add(4*time.Hour), "tech2"); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordConsentUse("g9", t0, "x"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("use of an unknown grant: %v", err)
	}
	// Expiry's effects applied once; a renewal clears that.
	if g, err := db.EndConsentGrant("g1", t0.Add(48*time.Hour)); err != nil || g.EndedAt.IsZero() {
		t.Fatalf("end = %+v %v", g, err)
	}
	if _, err := db.EndConsentGrant("g1", t0.Add(49*time.Hour)); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second end: %v", err)
	}
	g2, err := db.RenewConsentGrant("g1", t0.Add(96*time.Hour), t0.Add(50*time.Hour), "Carol")
	if err != nil || !g2.EndsAt.Equal(t0.Add(96*time.Hour)) || g2.Renewals != 1 || !g2.EndedAt.IsZero() || g2.RenewedBy != "Carol" {
		t.Fatalf("renew = %+v %v", g2, err)
	}
	g3, err := db.RevokeConsentGrant("g1", t0.Add(51*time.Hour), "Carol", "done")
	if err != nil || g3.RevokedReason != "done" || g3.Active(t0.Add(52*time.Hour)) {
		t.Fatalf("revoke = %+v %v", g3, err)
	}
	if _, err := db.RevokeConsentGrant("g1", t0.Add(52*time.Hour), "Carol", "again"); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second revoke: %v", err)
	}
	if _, err := db.RenewConsentGrant("g1", t0.Add(200*time.Hour), t0.Add(52*time.Hour), "Carol"); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("renew after revoke: %v", err)
	}
	if err := db.SetConsentRequired(store.ConsentSetting{ClientID: "nope", Required: true}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("setting of an unknown client: %v", err)
	}
	for _, s := range []store.ConsentSetting{{ClientID: "c2", Required: true, UpdatedAt: t0, UpdatedBy: "admin"},
		{ClientID: "c1", Required: true, UpdatedAt: t0}, {ClientID: "c1", Required: false, UpdatedAt: t0.Add(time.Hour)}} {
		if err := db.SetConsentRequired(s); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	db = f.reopen(t, open)
	ss, err := db.ConsentSettings()
	if err != nil || len(ss) != 2 || ss[0].ClientID != "c1" || ss[0].Required || !ss[1].Required || ss[1].UpdatedBy != "admin" {
		t.Fatalf("settings after reopen = %+v %v", ss, err)
	}
	got, err := db.ConsentGrant("g1")
	if err != nil || got.Uses != 2 || got.LastUsedBy != "tech2" || got.RevokedBy != "Carol" || got.Renewals != 1 {
		t.Fatalf("grant after reopen = %+v %v", got, err)
	}
}
