package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/steward-rmm/steward/server/store"
)

// ClientPage checks profiles (unknown client refused, values kept), custom
// field definitions (ordered, replaced, deleted), pinned fields in their
// order, and contacts: e-mail unique per client whatever its case, a
// changed e-mail frees the old one, a contact never changes client, one
// refused contact in a batch stores none of it, and queries that search,
// filter, page, and keep to their client and scope.
func ClientPage(t *testing.T, f Factory) {
	open := f(t)
	db := f.reopen(t, open)
	at := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	for _, c := range []store.Client{{ID: "c1", Name: "Alpha"}, {ID: "c2", Name: "Bravo"}} {
		if err := db.CreateClient(c); err != nil {
			t.Fatal(err)
		}
	}

	// Profiles.
	if _, err := db.ClientProfile("c1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("profile never stored: %v, want ErrNotFound", err)
	}
	if err := db.PutClientProfile(store.ClientProfile{ClientID: "nope"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("profile of an unknown client: %v, want ErrNotFound", err)
	}
	p := store.ClientProfile{ClientID: "c2", Phone: "020 7946 0000", PhoneE164: "+442079460000", Domains: []string{"b.example", "c.example"},
		Ranking: 4, TicketLimit: 10, Custom: map[string]string{"cf1": "42"}, ModifiedAt: at, ModifiedBy: "admin", TimeZone: "Europe/Paris"}
	if err := db.PutClientProfile(p); err != nil {
		t.Fatal(err)
	}
	if err := db.PutClientProfile(store.ClientProfile{ClientID: "c1", Ranking: 1, ModifiedAt: at}); err != nil {
		t.Fatal(err)
	}
	if got, err := db.ClientProfile("c2"); err != nil || got.PhoneE164 != p.PhoneE164 || !slices.Equal(got.Domains, p.Domains) ||
		got.Custom["cf1"] != "42" || got.TimeZone != "Europe/Paris" || got.Ranking != 4 || !got.ModifiedAt.Equal(at) {
		t.Errorf("profile = %+v %v", got, err)
	}
	if ps, err := db.ClientProfiles(); err != nil || len(ps) != 2 || ps[0].ClientID != "c1" || ps[1].ClientID != "c2" {
		t.Errorf("profiles in client order = %+v %v", ps, err)
	}

	// Custom fields and pins.
	for _, fd := range []store.ClientField{{ID: "cf2", Label: "Contract", Type: "choice", Options: []string{"gold", "silver"}, Order: 1},
		{ID: "cf1", Label: "Seats", Type: "number", Order: 1}, {ID: "cf0", Label: "Renewal", Type: "date", Order: 2}} {
		if err := db.PutClientField(fd); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.PutClientField(store.ClientField{ID: "cf0", Label: "Renewal date", Type: "date", Order: 0}); err != nil {
		t.Fatal(err)
	}
	fs, err := db.ClientFields()
	if err != nil || len(fs) != 3 || fs[0].ID != "cf0" || fs[0].Label != "Renewal date" || fs[1].ID != "cf1" || fs[2].ID != "cf2" ||
		!slices.Equal(fs[2].Options, []string{"gold", "silver"}) {
		t.Errorf("fields by order then ID = %+v %v", fs, err)
	}
	if err := db.DeleteClientField("cf1"); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteClientField("cf1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("delete a deleted field: %v", err)
	}
	if fs, _ := db.ClientFields(); len(fs) != 2 {
		t.Errorf("fields after delete = %+v", fs)
	}
	if keys, err := db.PinnedFields(); err != nil || len(keys) != 0 {
		t.Errorf("pins never set = %v %v", keys, err)
	}
	if err := db.SetPinnedFields([]string{"ranking", "cf2", "phone"}); err != nil {
		t.Fatal(err)
	}

	// Contacts.
	ct := func(id, client, name, email string) store.Contact {
		return store.Contact{ID: id, ClientID: client, Name: name, Email: email, CreatedAt: at, ModifiedAt: at}
	}
	batch := []store.Contact{ct("k1", "c1", "bob Smith", "Bob@Example.com"), ct("k2", "c1", "Alice", "alice@example.com"),
		ct("k3", "c1", "Carol", ""), ct("k4", "c2", "Bob Other", "bob@example.com")}
	batch[2].Disabled = true
	batch[0].Devices = []string{"d1", "d2"}
	batch[0].PhoneE164, batch[0].Phone = "+12125550100", "(212) 555-0100"
	if err := db.PutContacts(batch); err != nil {
		t.Fatal(err)
	}
	if err := db.PutContacts([]store.Contact{ct("k9", "nope", "X", "")}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("contact of an unknown client: %v", err)
	}
	if err := db.PutContacts([]store.Contact{ct("k5", "c1", "Dup", "BOB@example.COM")}); !errors.Is(err, store.ErrExists) {
		t.Errorf("an e-mail of the same client in another case: %v, want ErrExists", err)
	}
	if err := db.PutContacts([]store.Contact{ct("k6", "c1", "Fine", "fine@example.com"), ct("k7", "c1", "Dup", "alice@example.com")}); !errors.Is(err, store.ErrExists) {
		t.Errorf("a batch with a taken e-mail: %v, want ErrExists", err)
	}
	if _, err := db.Contact("k6"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a refused batch stored part of itself: %v", err)
	}
	if err := db.PutContacts([]store.Contact{ct("k1", "c2", "Moved", "")}); !errors.Is(err, store.ErrExists) {
		t.Errorf("a contact moving client: %v, want ErrExists", err)
	}
	if _, err := db.Contact("nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown contact: %v", err)
	}
	got, err := db.Contact("k1")
	if err != nil || got.ClientID != "c1" || got.PhoneE164 != "+12125550100" || !slices.Equal(got.Devices, []string{"d1", "d2"}) {
		t.Errorf("contact = %+v %v", got, err)
	}
	// A changed e-mail frees the old one for another contact.
	got.Email = "robert@example.com"
	if err := db.PutContacts([]store.Contact{got}); err != nil {
		t.Fatal(err)
	}
	if err := db.PutContacts([]store.Contact{ct("k8", "c1", "New Bob", "bob@example.com")}); err != nil {
		t.Errorf("an e-mail freed by a change: %v", err)
	}

	query := func(q store.ContactQuery) []string {
		t.Helper()
		cs, n, err := db.Contacts(q)
		if err != nil {
			t.Fatal(err)
		}
		ids := []string{fmt.Sprint(n)}
		for _, c := range cs {
			ids = append(ids, c.ID)
		}
		return ids
	}
	for _, tc := range []struct {
		q    store.ContactQuery
		want []string
	}{
		{store.ContactQuery{ClientID: "c1"}, []string{"4", "k2", "k1", "k3", "k8"}},
		{store.ContactQuery{ClientID: "c1", Search: "BOB"}, []string{"2", "k1", "k8"}},
		{store.ContactQuery{ClientID: "c1", Search: "robert@"}, []string{"1", "k1"}},
		{store.ContactQuery{ClientID: "c1", Status: "disabled"}, []string{"1", "k3"}},
		{store.ContactQuery{ClientID: "c1", Status: "active", Offset: 1, Limit: 1}, []string{"3", "k1"}},
		{store.ContactQuery{ClientID: "c1", Offset: 10}, []string{"4"}},
		{store.ContactQuery{Search: "bob"}, []string{"3", "k4", "k1", "k8"}},
		{store.ContactQuery{Search: "bob", Scope: store.Scope{Only: true, Clients: []string{"c2"}}}, []string{"1", "k4"}},
		{store.ContactQuery{ClientID: "c1", Scope: store.Scope{Only: true, Clients: []string{"c2"}}}, []string{"0"}},
	} {
		if got := query(tc.q); !slices.Equal(got, tc.want) {
			t.Errorf("Contacts(%+v) = %v, want %v", tc.q, got, tc.want)
		}
	}

	// A renamed and disabled contact is found by its new name and state only.
	k2, _ := db.Contact("k2")
	k2.Name, k2.Email, k2.Disabled = "Zed", "zed@example.com", true
	if err := db.PutContacts([]store.Contact{k2}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		q    store.ContactQuery
		want []string
	}{
		{store.ContactQuery{ClientID: "c1", Search: "alice"}, []string{"0"}},
		{store.ContactQuery{ClientID: "c1", Search: "zed"}, []string{"1", "k2"}},
		{store.ContactQuery{ClientID: "c1", Status: "disabled"}, []string{"2", "k3", "k2"}},
		{store.ContactQuery{ClientID: "c1"}, []string{"4", "k1", "k3", "k8", "k2"}},
	} {
		if got := query(tc.q); !slices.Equal(got, tc.want) {
			t.Errorf("after a rename, Contacts(%+v) = %v, want %v", tc.q, got, tc.want)
		}
	}

	// Everything is still there after a reopen.
	db.Close()
	db = f.reopen(t, open)
	if keys, err := db.PinnedFields(); err != nil || !slices.Equal(keys, []string{"ranking", "cf2", "phone"}) {
		t.Errorf("pins after reopen = %v %v", keys, err)
	}
	if got := query(store.ContactQuery{ClientID: "c2"}); !slices.Equal(got, []string{"1", "k4"}) {
		t.Errorf("contacts after reopen = %v", got)
	}
}
