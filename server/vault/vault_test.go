package vault

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/auditlog"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
	boltstore "github.com/steward-rmm/steward/server/store/bolt"
)

// rig is a vault wing on a real bbolt store and audit log, its routes
// served as the principal in the test's "X-Test-User" header (the
// server's router, with its permission and fresh-2FA checks, is tested
// end to end in server/e2e).
type rig struct {
	t     *testing.T
	dir   string
	db    *boltstore.DB
	alog  *auditlog.Log
	w     *Wing
	srv   *httptest.Server
	users map[string]*httpx.Principal
	now   time.Time
}

type clientScope struct{ st Store }

func (c clientScope) ResolveClient(p *httpx.Principal, ref string) (store.Client, bool) {
	cs, _ := c.st.Clients()
	for _, x := range cs {
		if (x.ID == ref || x.Name == ref) && p.CanSeeClient(x.ID) {
			return x, true
		}
	}
	return store.Client{}, false
}

type burstRecorder struct{ calls []string }

func (b *burstRecorder) VaultRevealBurst(user, client string, n int, _ time.Time) {
	b.calls = append(b.calls, user)
}

func testKey(t *testing.T, fill byte) *MasterKey {
	k, err := NewMasterKey(bytes.Repeat([]byte{fill}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newRig(t *testing.T, master *MasterKey, cfg Config) *rig {
	t.Helper()
	r := &rig{t: t, dir: t.TempDir(), now: time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)}
	var err error
	if r.db, err = boltstore.Open(r.dir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.db.Close() })
	for _, c := range []string{"c_a", "c_b"} {
		if err := r.db.CreateClient(store.Client{ID: c, Name: strings.ToUpper(c[2:])}); err != nil {
			t.Fatal(err)
		}
	}
	clock := func() time.Time { return r.now }
	r.alog, err = auditlog.Open(auditlog.Config{DataDir: r.dir}, auditlog.Deps{Store: r.db, Now: clock, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.alog.Close)
	r.users = map[string]*httpx.Principal{
		"tina": {UserID: "u_tina", Name: "tina", AllClients: true, Remote: "192.0.2.7"},
		"ann":  {UserID: "u_ann", Name: "ann", Clients: []string{"c_a"}, Remote: "192.0.2.8"},
	}
	cfg.Master = master
	r.start(cfg, nil)
	return r
}

// start (re)builds the wing with cfg.
func (r *rig) start(cfg Config, alerts Alerts) {
	if r.srv != nil {
		r.srv.Close()
	}
	r.w = New(Deps{Config: cfg, Store: r.db, Clients: clientScope{r.db}, Audit: r.alog, Alerts: alerts,
		Now: func() time.Time { return r.now }, Log: slog.New(slog.DiscardHandler)})
	mux := http.NewServeMux()
	for _, rt := range r.w.Routes() {
		mux.HandleFunc(rt.Method+" "+rt.Pattern, func(w http.ResponseWriter, q *http.Request) {
			rt.H(w, q, r.users[q.Header.Get("X-Test-User")])
		})
	}
	r.srv = httptest.NewServer(mux)
	r.t.Cleanup(r.srv.Close)
}

func (r *rig) call(user, method, path string, body any) (int, []byte) {
	r.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, r.srv.URL+path, rd)
	req.Header.Set("X-Test-User", user)
	resp, err := r.srv.Client().Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (r *rig) add(client, name, password, notes string) api.VaultEntry {
	r.t.Helper()
	code, b := r.call("tina", "POST", "/api/v1/clients/"+client+"/vault", api.VaultEntryRequest{Name: name,
		URL: "https://" + name + ".example/login", Username: "admin-" + name, Password: &password, Notes: &notes})
	if code != 201 {
		r.t.Fatalf("add %s: %d %s", name, code, b)
	}
	var e api.VaultEntry
	if err := json.Unmarshal(b, &e); err != nil {
		r.t.Fatal(err)
	}
	return e
}

func (r *rig) reveal(user, id string) (int, api.VaultSecret, string) {
	r.t.Helper()
	code, b := r.call(user, "POST", "/api/v1/vault/"+id+"/reveal", api.VaultRevealRequest{Reason: "ticket 42"})
	var s api.VaultSecret
	_ = json.Unmarshal(b, &s)
	return code, s, string(b)
}

func (r *rig) audited(action string) []store.AuditEvent {
	r.t.Helper()
	ev, err := r.alog.Query(store.AuditQuery{Action: action})
	if err != nil {
		r.t.Fatal(err)
	}
	var out []store.AuditEvent
	for _, e := range ev {
		if e.Action == action {
			out = append(out, e)
		}
	}
	return out
}

// TestRawDatabaseHoldsNoSecret: after entries are added and one changed,
// the database file's bytes hold no password, no notes and no data key
// in clear (nor in base64, the JSON form of bytes).
func TestRawDatabaseHoldsNoSecret(t *testing.T) {
	r := newRig(t, testKey(t, 7), Config{})
	secrets := []string{"Hunter2-router-Pa55!", "backup codes: 1111-2222 notes-body", "mail-S3cret-pw", "second password Zq9"}
	a := r.add("c_a", "router", secrets[0], secrets[1])
	r.add("c_b", "mail", secrets[2], "")
	pw := secrets[3]
	if code, b := r.call("tina", "PUT", "/api/v1/vault/"+a.ID, api.VaultEntryRequest{Name: "router", Username: "admin-router", Password: &pw}); code != 200 {
		t.Fatalf("update: %d %s", code, b)
	}
	if code, s, b := r.reveal("tina", a.ID); code != 200 || s.Password != secrets[3] || s.Notes != secrets[1] {
		t.Fatalf("reveal after update: %d %s", code, b)
	}
	k, err := r.db.VaultKey("c_a")
	if err != nil {
		t.Fatal(err)
	}
	dk, err := r.w.d.Master.unwrap("c_a", k.Wrapped)
	if err != nil {
		t.Fatal(err)
	}
	r.db.Close()
	raw, err := os.ReadFile(filepath.Join(r.dir, "steward.db"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte("admin-router")) {
		t.Fatal("the database file does not hold the entry's username: the test reads the wrong file")
	}
	needles := map[string][]byte{"data key": dk, "data key (base64)": []byte(base64.StdEncoding.EncodeToString(dk))}
	for _, s := range secrets {
		needles[s] = []byte(s)
		needles[s+" (base64)"] = []byte(base64.StdEncoding.EncodeToString([]byte(s)))
	}
	for what, n := range needles {
		if bytes.Contains(raw, n) {
			t.Errorf("the raw database holds %s in clear", what)
		}
	}
}

// TestMovedCiphertextRefused: a sealed secret written (as an attacker with
// the database would) onto another entry of the same client, or onto an
// entry of another client, does not open; nor does a data key moved to
// another client. Each refusal is audited.
func TestMovedCiphertextRefused(t *testing.T) {
	r := newRig(t, testKey(t, 7), Config{})
	a1 := r.add("c_a", "one", "pw-one", "")
	a2 := r.add("c_a", "two", "pw-two", "")
	b1 := r.add("c_b", "three", "pw-three", "")
	get := func(id string) store.VaultEntry {
		e, err := r.db.VaultEntry(id)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	e1, e2, e3 := get(a1.ID), get(a2.ID), get(b1.ID)
	// Swap between two entries of client A.
	e1.Sealed, e2.Sealed = e2.Sealed, e1.Sealed
	for _, e := range []store.VaultEntry{e1, e2} {
		if err := r.db.PutVaultEntry(e); err != nil {
			t.Fatal(err)
		}
		if code, s, b := r.reveal("tina", e.ID); code != 409 || s.Password != "" {
			t.Errorf("reveal of %s after a swap within the client: %d %s, want 409 and no password", e.Name, code, b)
		}
	}
	// A's sealed secret onto B's entry.
	e3.Sealed = get(a1.ID).Sealed
	if err := r.db.PutVaultEntry(e3); err != nil {
		t.Fatal(err)
	}
	if code, _, b := r.reveal("tina", e3.ID); code != 409 || strings.Contains(b, "pw-") {
		t.Errorf("reveal of B's entry holding A's secret: %d %s, want 409", code, b)
	}
	if n := len(r.audited("vault.open_failed")); n != 3 {
		t.Errorf("%d vault.open_failed events, want 3", n)
	}
	// The secrets put back open again: the refusals were the swap's doing.
	e1.Sealed, e2.Sealed = e2.Sealed, e1.Sealed
	for _, e := range []store.VaultEntry{e1, e2} {
		if err := r.db.PutVaultEntry(e); err != nil {
			t.Fatal(err)
		}
	}
	if code, s, b := r.reveal("tina", a2.ID); code != 200 || s.Password != "pw-two" {
		t.Fatalf("reveal after restoring: %d %s", code, b)
	}
	// Client A's wrapped data key given to client B: B's entries do not
	// open (the key's wrapping is bound to its client).
	ka, _ := r.db.VaultKey("c_a")
	ka.ClientID = "c_b"
	if err := r.db.ReplaceVaultKeys([]store.VaultKey{ka}); err != nil {
		t.Fatal(err)
	}
	e3.Sealed = get(a1.ID).Sealed // even with A's own secret on it
	if err := r.db.PutVaultEntry(e3); err != nil {
		t.Fatal(err)
	}
	if code, _, b := r.reveal("tina", e3.ID); code != 409 {
		t.Errorf("reveal under a data key moved from A to B: %d %s, want 409", code, b)
	}
}

// TestRotation: after a rotation every entry opens with the new master
// key and none with the old; entries were not re-encrypted.
func TestRotation(t *testing.T) {
	old, next := testKey(t, 7), testKey(t, 9)
	r := newRig(t, old, Config{})
	want := map[string]string{}
	for i, c := range []string{"c_a", "c_b", "c_a"} {
		e := r.add(c, "entry"+string(rune('a'+i)), "pw-"+c+string(rune('a'+i)), "")
		want[e.ID] = "pw-" + c + string(rune('a'+i))
	}
	before, _ := r.db.VaultEntries(store.VaultQuery{})
	n, err := Rotate(r.db, old, next)
	if err != nil || n != 2 {
		t.Fatalf("rotate: %d %v, want 2 keys", n, err)
	}
	after, _ := r.db.VaultEntries(store.VaultQuery{})
	for i := range before {
		if !bytes.Equal(before[i].Sealed, after[i].Sealed) {
			t.Errorf("entry %s was re-encrypted by the rotation", before[i].ID)
		}
	}
	if _, err := Rotate(r.db, old, testKey(t, 3)); err == nil {
		t.Error("a second rotation from the old key succeeded")
	}
	r.start(Config{Master: next}, nil)
	for id, pw := range want {
		if code, s, b := r.reveal("tina", id); code != 200 || s.Password != pw {
			t.Errorf("entry %s with the new key: %d %s", id, code, b)
		}
	}
	r.start(Config{Master: old}, nil)
	if ok, why := r.w.Configured(); ok || !strings.Contains(why, "not the one the data keys were wrapped with") {
		t.Fatalf("the old key after rotation: configured %v (%s)", ok, why)
	}
	for id := range want {
		if code, _, b := r.reveal("tina", id); code != 503 || !strings.Contains(b, "vault is not configured") {
			t.Errorf("entry %s with the old key: %d %s, want 503", id, code, b)
		}
	}
	ks, _ := r.db.VaultKeys()
	for _, k := range ks {
		if _, err := old.unwrap(k.ClientID, k.Wrapped); err == nil {
			t.Errorf("client %s's data key still opens with the old master key", k.ClientID)
		}
	}
}

// TestListsNeverCarrySecrets: lists, searches and lookups hold no password
// and no notes.
func TestListsNeverCarrySecrets(t *testing.T) {
	r := newRig(t, testKey(t, 7), Config{})
	e := r.add("c_a", "router", "PW-in-list?", "NOTES-in-list?")
	r.add("c_a", "switch", "PW-2", "NOTES-2")
	for _, p := range []string{"/api/v1/vault", "/api/v1/vault?q=rout", "/api/v1/vault?q=admin-router", "/api/v1/vault?q=router.example",
		"/api/v1/clients/c_a/vault", "/api/v1/clients/A/vault?q=switch", "/api/v1/vault/" + e.ID} {
		code, b := r.call("tina", "GET", p, nil)
		if code != 200 || !strings.Contains(string(b), `"name"`) {
			t.Fatalf("GET %s: %d %s", p, code, b)
		}
		for _, s := range []string{"PW-", "NOTES-", "password", "notes", "sealed"} {
			if strings.Contains(string(b), s) {
				t.Errorf("GET %s shows %q: %s", p, s, b)
			}
		}
	}
	var hits []api.VaultEntry
	_, b := r.call("tina", "GET", "/api/v1/vault?q=ROUTER", nil)
	if json.Unmarshal(b, &hits); len(hits) != 1 || hits[0].ID != e.ID {
		t.Fatalf("search by name: %s", b)
	}
}

// TestScopedUserSeesOnlyTheirClient: a user of client A gets 404 for
// every entry of B and B's lists, and A's only in searches.
func TestScopedUserSeesOnlyTheirClient(t *testing.T) {
	r := newRig(t, testKey(t, 7), Config{})
	r.add("c_a", "alpha-router", "pa", "")
	b := r.add("c_b", "bravo-router", "pb", "")
	pw := "x"
	for _, c := range []struct{ method, path string }{{"GET", "/api/v1/vault/" + b.ID}, {"PUT", "/api/v1/vault/" + b.ID},
		{"DELETE", "/api/v1/vault/" + b.ID}, {"POST", "/api/v1/vault/" + b.ID + "/reveal"}, {"POST", "/api/v1/vault/" + b.ID + "/copy"},
		{"GET", "/api/v1/clients/c_b/vault"}, {"POST", "/api/v1/clients/c_b/vault"}, {"GET", "/api/v1/clients/B/vault-settings"},
		{"PUT", "/api/v1/clients/c_b/vault-settings"}} {
		code, body := r.call("ann", c.method, c.path, api.VaultEntryRequest{Name: "n", Password: &pw})
		if code != 404 || strings.Contains(string(body), "bravo") {
			t.Errorf("%s %s as ann: %d %s, want 404", c.method, c.path, code, body)
		}
	}
	_, body := r.call("ann", "GET", "/api/v1/vault?q=router", nil)
	if !strings.Contains(string(body), "alpha-router") || strings.Contains(string(body), "bravo") {
		t.Errorf("ann's search: %s", body)
	}
}

// TestRevealAuditedLimitedAndReported: reveals and copies are audited
// apart with who, what, from where and why; past the per-minute limit a
// reveal is refused (429) until the minute passes; more distinct entries
// than the hourly threshold raise vault.reveal_burst once.
func TestRevealAuditedLimitedAndReported(t *testing.T) {
	r := newRig(t, testKey(t, 7), Config{})
	alerts := &burstRecorder{}
	r.start(Config{Master: r.w.d.Master, RevealsPerMinute: 3, BurstPerHour: 3}, alerts)
	var ids []string
	for i := 0; i < 5; i++ {
		ids = append(ids, r.add("c_a", "e"+string(rune('0'+i)), "pw"+string(rune('0'+i)), "n").ID)
	}
	code, b := r.call("tina", "POST", "/api/v1/vault/"+ids[0]+"/copy", nil)
	var cp api.VaultSecret
	if json.Unmarshal(b, &cp); code != 200 || cp.Password != "pw0" || cp.Notes != "" {
		t.Fatalf("copy: %d %s (a copy carries the password alone)", code, b)
	}
	for i := 1; i < 3; i++ {
		if code, _, b := r.reveal("tina", ids[i]); code != 200 {
			t.Fatalf("reveal %d: %d %s", i, code, b)
		}
	}
	code, b = r.call("tina", "POST", "/api/v1/vault/"+ids[3]+"/reveal", nil)
	if code != 429 || !strings.Contains(string(b), "at most 3 a minute") || strings.Contains(string(b), "pw3") {
		t.Fatalf("fourth reveal in a minute: %d %s, want 429", code, b)
	}
	// Another user has their own allowance.
	if code, _, b := r.reveal("ann", ids[3]); code != 200 {
		t.Fatalf("ann's reveal: %d %s", code, b)
	}
	r.now = r.now.Add(61 * time.Second)
	if code, _, b := r.reveal("tina", ids[3]); code != 200 {
		t.Fatalf("reveal after a minute: %d %s", code, b)
	}
	if len(alerts.calls) != 1 || alerts.calls[0] != "tina" {
		t.Fatalf("burst reports %v, want one for tina (4 distinct entries > 3 in an hour)", alerts.calls)
	}
	if code, _, _ := r.reveal("tina", ids[4]); code != 200 || len(alerts.calls) != 1 {
		t.Fatalf("a burst is reported once an hour: %v", alerts.calls)
	}
	rev := r.audited("vault.reveal")
	if len(rev) != 5 || rev[0].Actor != "tina" || rev[0].Source != "192.0.2.7" || rev[0].Target != ids[1] ||
		rev[0].Detail["reason"] != "ticket 42" || rev[0].Client != "c_a" || rev[0].At.IsZero() {
		t.Fatalf("reveal events: %+v", rev)
	}
	if cps := r.audited("vault.copy"); len(cps) != 1 || cps[0].Target != ids[0] {
		t.Fatalf("copy events: %+v", cps)
	}
	if n := len(r.audited("vault.reveal_limited")); n != 1 {
		t.Fatalf("%d refused reveals audited, want 1", n)
	}
	if bursts := r.audited("vault.reveal_burst"); len(bursts) != 1 || bursts[0].Detail["entries"] != "4" {
		t.Fatalf("burst events: %+v", bursts)
	}
}

// TestReasonRequired: a client's setting (or the server's) makes a reveal
// without a reason fail; settings default off, portal access too.
func TestReasonRequired(t *testing.T) {
	r := newRig(t, testKey(t, 7), Config{})
	e := r.add("c_a", "router", "pw", "")
	code, b := r.call("tina", "GET", "/api/v1/clients/c_a/vault-settings", nil)
	if code != 200 || !strings.Contains(string(b), `"portal_access":false`) || !strings.Contains(string(b), `"require_reason":false`) {
		t.Fatalf("default settings: %d %s", code, b)
	}
	on := true
	if code, b := r.call("tina", "PUT", "/api/v1/clients/c_a/vault-settings", api.VaultSettingsRequest{RequireReason: &on}); code != 200 {
		t.Fatalf("settings: %d %s", code, b)
	}
	if code, b := r.call("tina", "POST", "/api/v1/vault/"+e.ID+"/reveal", api.VaultRevealRequest{Reason: "  "}); code != 400 || !strings.Contains(string(b), "reason is required") {
		t.Fatalf("reveal without a reason: %d %s", code, b)
	}
	if code, _, b := r.reveal("tina", e.ID); code != 200 {
		t.Fatalf("reveal with a reason: %d %s", code, b)
	}
	r.add("c_b", "other", "pw", "")
	r.start(Config{Master: r.w.d.Master, RequireReason: true}, nil)
	ids, _ := r.db.VaultEntries(store.VaultQuery{ClientID: "c_b"})
	if code, _ := r.call("tina", "POST", "/api/v1/vault/"+ids[0].ID+"/copy", nil); code != 400 {
		t.Fatalf("copy without a reason under --vault-require-reason: %d", code)
	}
}

// TestEntryValidation: only http and https login URLs; hostile names stay
// data; oversized bodies 413.
func TestEntryValidation(t *testing.T) {
	r := newRig(t, testKey(t, 7), Config{})
	pw := "p"
	for _, u := range []string{"javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "ftp://x.example", "//evil.example", "https://", "https://a b"} {
		if code, b := r.call("tina", "POST", "/api/v1/clients/c_a/vault", api.VaultEntryRequest{Name: "x", URL: u, Password: &pw}); code != 400 {
			t.Errorf("URL %q: %d %s, want 400", u, code, b)
		}
	}
	code, b := r.call("tina", "POST", "/api/v1/clients/c_a/vault", api.VaultEntryRequest{Name: `<img src=x onerror=alert(1)>`, URL: "http://192.0.2.1:8080/", Password: &pw})
	if code != 201 || !strings.Contains(string(b), `\u003cimg src=x onerror=alert(1)\u003e`) {
		t.Fatalf("hostile name: %d %s", code, b)
	}
	big := strings.Repeat("x", maxBody+1)
	if code, _ := r.call("tina", "POST", "/api/v1/clients/c_a/vault", api.VaultEntryRequest{Name: "x", Notes: &big}); code != 413 {
		t.Fatalf("oversized body: %d, want 413", code)
	}
}

// TestUnconfigured: without a master key every vault route but the
// settings answers 503 saying why.
func TestUnconfigured(t *testing.T) {
	r := newRig(t, nil, Config{})
	for _, p := range []string{"/api/v1/vault", "/api/v1/clients/c_a/vault", "/api/v1/vault/x"} {
		if code, b := r.call("tina", "GET", p, nil); code != 503 || !strings.Contains(string(b), "vault is not configured: no master key") {
			t.Errorf("GET %s without a key: %d %s", p, code, b)
		}
	}
	if code, _ := r.call("tina", "GET", "/api/v1/clients/c_a/vault-settings", nil); code != 200 {
		t.Errorf("settings without a key: %d", code)
	}
}

// TestKeyFileRules: a key file group or world may read is refused, as is
// one inside the data folder; gen-key writes mode 0600 and never replaces.
func TestKeyFileRules(t *testing.T) {
	data, outside := t.TempDir(), t.TempDir()
	path := filepath.Join(outside, "vault.key")
	k, err := GenerateKeyFile(path, data)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("generated key file mode %o", fi.Mode().Perm())
	}
	if got, err := LoadKeyFile(path, data); err != nil || got.ID != k.ID {
		t.Fatalf("load: %v", err)
	}
	if _, err := GenerateKeyFile(path, data); err == nil {
		t.Fatal("gen-key replaced an existing key file")
	}
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604} {
		os.Chmod(path, mode)
		if _, err := LoadKeyFile(path, data); err == nil || !strings.Contains(err.Error(), "group and others must have no access") {
			t.Errorf("mode %o: %v", mode, err)
		}
	}
	os.Chmod(path, 0o400)
	if _, err := LoadKeyFile(path, data); err != nil {
		t.Errorf("mode 0400: %v", err)
	}
	inside := filepath.Join(data, "sub", "vault.key")
	os.MkdirAll(filepath.Dir(inside), 0o700)
	os.WriteFile(inside, []byte(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))), 0o600)
	if _, err := LoadKeyFile(inside, data); err == nil || !strings.Contains(err.Error(), "inside the data folder") {
		t.Errorf("key inside the data folder: %v", err)
	}
	// Through a symbolic link into the data folder too.
	link := filepath.Join(outside, "link.key")
	os.Symlink(inside, link)
	if _, err := LoadKeyFile(link, data); err == nil {
		t.Error("a link to a key inside the data folder was accepted")
	}
	if _, err := ParseKey("c2hvcnQ="); err == nil {
		t.Error("a short key was accepted")
	}
}

// TestConcurrentFirstEntries: entries racing to be a client's first make
// one data key, and every one of them opens.
func TestConcurrentFirstEntries(t *testing.T) {
	r := newRig(t, testKey(t, 7), Config{RevealsPerMinute: 100})
	r.start(Config{Master: r.w.d.Master, RevealsPerMinute: 100}, nil)
	ids := make(chan string, 20)
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			pw := "pw-" + strconv.Itoa(i)
			code, b := r.call("tina", "POST", "/api/v1/clients/c_b/vault", api.VaultEntryRequest{Name: "e" + strconv.Itoa(i), Password: &pw})
			var e api.VaultEntry
			if code != 201 || json.Unmarshal(b, &e) != nil {
				t.Errorf("create %d: %d %s", i, code, b)
				return
			}
			ids <- e.ID
		}(i)
	}
	wg.Wait()
	close(ids)
	if ks, _ := r.db.VaultKeys(); len(ks) != 1 {
		t.Fatalf("%d data keys for one client", len(ks))
	}
	n := 0
	for id := range ids {
		if code, s, b := r.reveal("tina", id); code != 200 || !strings.HasPrefix(s.Password, "pw-") {
			t.Errorf("reveal %s: %d %s", id, code, b)
		}
		n++
	}
	if n != 20 {
		t.Fatalf("%d entries made", n)
	}
}
