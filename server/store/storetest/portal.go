package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/steward-rmm/steward/server/store"
)

// Portal checks every method of the portal store: accounts of existing
// clients, unique by e-mail (any case) and by contact, found by invite,
// listed per client, updated without changing who they are, deleted with
// their sessions.
func Portal(t *testing.T, f Factory) {
	db := f.fresh(t)
	for _, c := range []string{"c1", "c2"} {
		if err := db.CreateClient(store.Client{ID: c, Name: c}); err != nil {
			t.Fatal(err)
		}
	}
	at := time.Now().UTC().Truncate(time.Second)
	if err := db.CreatePortalAccount(store.PortalAccount{ID: "p0", ClientID: "nope", Email: "x@y"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("account of an unknown client: %v", err)
	}
	a1 := store.PortalAccount{ID: "p1", ClientID: "c1", ContactID: "k1", Email: "Ann@Alpha.example", Admin: true,
		InviteHash: "inv1", InviteExpires: at.Add(time.Hour), CreatedAt: at, CreatedBy: "tina"}
	if err := db.CreatePortalAccount(a1); err != nil {
		t.Fatal(err)
	}
	if err := db.CreatePortalAccount(store.PortalAccount{ID: "p2", ClientID: "c2", ContactID: "k9", Email: "ann@alpha.EXAMPLE"}); !errors.Is(err, store.ErrExists) {
		t.Errorf("same e-mail in another case: %v", err)
	}
	if err := db.CreatePortalAccount(store.PortalAccount{ID: "p2", ClientID: "c1", ContactID: "k1", Email: "other@alpha.example"}); !errors.Is(err, store.ErrExists) {
		t.Errorf("second account of a contact: %v", err)
	}
	if err := db.CreatePortalAccount(store.PortalAccount{ID: "p3", ClientID: "c2", ContactID: "k3", Email: "bob@bravo.example"}); err != nil {
		t.Fatal(err)
	}
	got, err := db.PortalAccount("p1")
	if err != nil || got.Email != "ann@alpha.example" || !got.Admin || got.ContactID != "k1" || !got.CreatedAt.Equal(at) ||
		got.CreatedBy != "tina" || !got.InviteExpires.Equal(at.Add(time.Hour)) {
		t.Fatalf("account = %+v %v", got, err)
	}
	if _, err := db.PortalAccount("nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown account: %v", err)
	}
	if got, err := db.PortalAccountByEmail(" ANN@alpha.example "); err != nil || got.ID != "p1" {
		t.Errorf("by e-mail = %+v %v", got, err)
	}
	if _, err := db.PortalAccountByEmail("nobody@alpha.example"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown e-mail: %v", err)
	}
	if got, err := db.PortalAccountByInvite("inv1"); err != nil || got.ID != "p1" {
		t.Errorf("by invite = %+v %v", got, err)
	}
	for _, h := range []string{"", "inv2"} {
		if _, err := db.PortalAccountByInvite(h); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("invite %q: %v", h, err)
		}
	}
	ids := func(client string) string {
		as, err := db.PortalAccounts(client)
		if err != nil {
			t.Fatal(err)
		}
		s := ""
		for _, a := range as {
			s += a.ID + " "
		}
		return s
	}
	if g := ids(""); g != "p1 p3 " {
		t.Errorf("all accounts = %q", g)
	}
	if g := ids("c2"); g != "p3 " {
		t.Errorf("c2's accounts = %q", g)
	}
	up, err := db.UpdatePortalAccount("p1", func(a *store.PortalAccount) error {
		a.PasswordHash, a.InviteHash, a.TOTPSecret, a.TOTPLastStep, a.Epoch = "hash", "", "secret", 42, 2
		a.ClientID, a.Email = "c2", "evil@bravo.example" // who it is never changes
		return nil
	})
	if err != nil || up.PasswordHash != "hash" || up.ClientID != "c1" || up.Email != "ann@alpha.example" {
		t.Fatalf("update = %+v %v", up, err)
	}
	if got, _ := db.PortalAccount("p1"); got.TOTPSecret != "secret" || got.TOTPLastStep != 42 || got.Epoch != 2 || got.ClientID != "c1" {
		t.Errorf("after update = %+v", got)
	}
	if _, err := db.PortalAccountByInvite("inv1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("used invite still found: %v", err)
	}
	boom := errors.New("boom")
	if _, err := db.UpdatePortalAccount("p1", func(a *store.PortalAccount) error { a.Disabled = true; return boom }); !errors.Is(err, boom) {
		t.Errorf("aborted update: %v", err)
	}
	if got, _ := db.PortalAccount("p1"); got.Disabled {
		t.Error("an aborted update was kept")
	}
	if _, err := db.UpdatePortalAccount("nope", func(*store.PortalAccount) error { return nil }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("update unknown: %v", err)
	}

	s1 := store.PortalSession{Hash: "h1", AccountID: "p1", ClientID: "c1", CSRF: "x", CreatedAt: at, ExpiresAt: at.Add(time.Hour), Epoch: 2,
		SecondFactorAt: at}
	view := store.PortalSession{Hash: "h2", ClientID: "c1", ViewedBy: "u1", ViewedByName: "tina", CSRF: "y", ExpiresAt: at.Add(time.Hour)}
	for _, se := range []store.PortalSession{s1, view} {
		if err := db.PutPortalSession(se); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := db.PortalSession("h1"); err != nil || got.AccountID != "p1" || !got.SecondFactorAt.Equal(at) || got.Epoch != 2 || got.CSRF != "x" {
		t.Errorf("session = %+v %v", got, err)
	}
	if got, err := db.PortalSession("h2"); err != nil || got.ViewedBy != "u1" || got.ViewedByName != "tina" || got.AccountID != "" {
		t.Errorf("view session = %+v %v", got, err)
	}
	if _, err := db.PortalSession("nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown session: %v", err)
	}
	if err := db.DeletePortalSession("h2"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.PortalSession("h2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted session: %v", err)
	}
	if err := db.DeletePortalAccount("p1"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.PortalSession("h1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a deleted account's session stays: %v", err)
	}
	if _, err := db.PortalAccountByEmail("ann@alpha.example"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a deleted account's e-mail stays: %v", err)
	}
	if err := db.DeletePortalAccount("p1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("delete twice: %v", err)
	}
	// The e-mail is free again.
	if err := db.CreatePortalAccount(store.PortalAccount{ID: "p4", ClientID: "c1", Email: "ann@alpha.example"}); err != nil {
		t.Errorf("e-mail of a deleted account: %v", err)
	}
}
