package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/steward-rmm/steward/server/store"
)

// Accounts checks users (unique names in any case, atomic updates), sessions
// and API tokens, with not-found for unknown IDs.
func Accounts(t *testing.T, f Factory) {
	db := f.fresh(t)
	if _, err := db.User("nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("User: %v", err)
	}
	if _, err := db.UserByName("nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UserByName: %v", err)
	}
	if _, err := db.UpdateUser("nope", func(*store.User) error { return nil }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateUser: %v", err)
	}
	if _, err := db.Session("nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Session: %v", err)
	}
	if _, err := db.APITokenByHash("nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("APITokenByHash: %v", err)
	}
	if err := db.RevokeAPIToken("nope", ""); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RevokeAPIToken: %v", err)
	}
	if err := db.StampAPIToken("nope", "u1", time.Now()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("StampAPIToken: %v", err)
	}
	if err := db.CreateUser(store.User{ID: "u1", Name: "Alice", Role: "admin", TOTPSecret: "S", Recovery: []string{"r1"}}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateUser(store.User{ID: "u2", Name: "alice"}); !errors.Is(err, store.ErrExists) {
		t.Fatalf("a name differing in case: %v, want ErrExists", err)
	}
	if u, err := db.UserByName("ALICE"); err != nil || u.ID != "u1" || u.TOTPSecret != "S" {
		t.Fatalf("UserByName = %+v %v", u, err)
	}
	if err := db.CreateUser(store.User{ID: "u0", Name: "Bob"}); err != nil {
		t.Fatal(err)
	}
	// Users lists every user once, in ID order, the refused one not among them.
	if us, err := db.Users(); err != nil || len(us) != 2 || us[0].ID != "u0" || us[1].ID != "u1" || us[1].Name != "Alice" {
		t.Fatalf("Users = %+v %v, want u0 and u1", us, err)
	}
	// An error from fn leaves the user as it was.
	refuse := errors.New("refused")
	if _, err := db.UpdateUser("u1", func(u *store.User) error { u.Role = "x"; return refuse }); !errors.Is(err, refuse) {
		t.Fatalf("UpdateUser with a refusing fn: %v", err)
	}
	// Concurrent updates each see the previous one.
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := db.UpdateUser("u1", func(u *store.User) error { u.Epoch++; return nil }); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if u, _ := db.User("u1"); u.Epoch != 20 || u.Role != "admin" {
		t.Fatalf("user after 20 racing increments: epoch %d role %q", u.Epoch, u.Role)
	}
	now := time.Now().UTC().Truncate(time.Second)
	if err := db.PutSession(store.Session{Hash: "s1", UserID: "u1", ExpiresAt: now}); err != nil {
		t.Fatal(err)
	}
	if se, err := db.Session("s1"); err != nil || se.UserID != "u1" || !se.ExpiresAt.Equal(now) {
		t.Fatalf("Session = %+v %v", se, err)
	}
	if err := db.DeleteSession("s1"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Session("s1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted session: %v", err)
	}
	for _, tok := range []store.APIToken{{ID: "a1", Hash: "h1", UserID: "u1"}, {ID: "a2", Hash: "h2", UserID: "u2"}} {
		if err := db.PutAPIToken(tok); err != nil {
			t.Fatal(err)
		}
	}
	if toks, _ := db.APITokens("u1"); len(toks) != 1 || toks[0].ID != "a1" {
		t.Fatalf("u1's tokens %+v", toks)
	}
	if toks, _ := db.APITokens(""); len(toks) != 2 {
		t.Fatalf("all tokens %+v", toks)
	}
	if err := db.RevokeAPIToken("a2", "u1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoking another user's token: %v, want ErrNotFound", err)
	}
	if err := db.RevokeAPIToken("a1", "u1"); err != nil {
		t.Fatal(err)
	}
	if err := db.StampAPIToken("a1", "u1", now); err != nil {
		t.Fatal(err)
	}
	if tok, err := db.APITokenByHash("h1"); err != nil || !tok.Revoked || !tok.SecondFactorAt.Equal(now) {
		t.Fatalf("token a1 %+v %v", tok, err)
	}
	if tok, _ := db.APITokenByHash("h2"); tok.Revoked {
		t.Fatal("revoke by a non-owner took effect")
	}
}
