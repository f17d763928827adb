package boltstore

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/steward-rmm/steward/server/store"
	bolt "go.etcd.io/bbolt"
)

// unpack writes a gzipped fixture as the steward.db of a new data folder.
func unpack(t *testing.T, fixture string) string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", fixture))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(zr); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "steward.db"), buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// schemaOf reads the stored format version of a closed data folder.
func schemaOf(t *testing.T, dir string) string {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, "steward.db"), 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v string
	_ = db.View(func(tx *bolt.Tx) error { v = string(tx.Bucket(bMeta).Get([]byte(metaSchema))); return nil })
	return v
}

// TestTodayFixtureOpens opens testdata/today-v1.db.gz, a data folder the
// server on main wrote in format 1 before the store contract (made with
// that code's store: one client, two enrollment tokens, an approved
// device with inventory and health, a job of two runs with output and a
// result, two users one with TOTP and recovery codes, an API token, a web
// session, a script in two versions, an update target and result, a shell
// session record, and four audit records of which the last two are keyed
// with fixtureAuditKey). Everything is found as written, the audit chain
// verifies, the database is migrated to SchemaVersion, and it keeps
// working: a new enrollment, result and audit record.
func TestTodayFixtureOpens(t *testing.T) {
	dir := unpack(t, "today-v1.db.gz")
	if v := schemaOf(t, dir); v != "1" {
		t.Fatalf("fixture schema %q, want 1", v)
	}
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	check := func(what string, ok bool, got ...any) {
		t.Helper()
		if !ok {
			t.Errorf("%s: %+v", what, got)
		}
	}
	cs, err := db.Clients()
	check("clients", err == nil && len(cs) == 1 && cs[0].ID == "c_acme" && cs[0].Name == "Acme" && cs[0].CreatedAt.Equal(at), cs, err)
	toks, err := db.EnrollTokens("c_acme")
	check("enroll tokens", err == nil && len(toks) == 2, toks, err)
	for _, tk := range toks {
		switch tk.ID {
		case "et_single":
			check("single-use token", tk.Hash == "hash-single" && tk.MaxUses == 1 && tk.Uses == 1 && tk.ExpiresAt.Equal(at.Add(24*time.Hour)), tk)
		case "et_multi":
			check("approval token", tk.RequireApproval && tk.MaxUses == 10 && tk.Uses == 0, tk)
		}
	}
	d, err := db.Device("d_one")
	check("device", err == nil && d.ClientID == "c_acme" && d.Hostname == "host-one" && d.KeyHash == "key-one" && d.MachineID == "machine-one" &&
		!d.Pending && d.ApprovedBy == "admin" && d.AgentVersion == "1.2.3" && d.Heartbeat.PendingReboot && d.Heartbeat.User == "alice" &&
		d.Heartbeat.PatchCount == 3 && len(d.Transitions) == 1 && d.LastSeen.Equal(at.Add(time.Minute)), d, err)
	// The documents come back as the JSON the old server nested in the
	// record; the server decodes them.
	inv, err := db.Inventory("d_one")
	var invDoc struct{ Hostname, Platform string }
	check("inventory", err == nil && inv.Hash == "invhash" && json.Unmarshal(inv.Doc, &invDoc) == nil && invDoc.Hostname == "host-one" &&
		invDoc.Platform == "debian", inv, err)
	h, err := db.Health("d_one")
	var hDoc struct {
		LastUser string `json:"last_user"`
		Software []struct{ Name string }
	}
	check("health", err == nil && json.Unmarshal(h.Doc, &hDoc) == nil && hDoc.LastUser == "alice" && len(hDoc.Software) == 1 &&
		hDoc.Software[0].Name == "curl", h, err)
	// The used-up token is still used up; the key is still bound.
	_, _, err = db.Enroll("hash-single", at, store.Device{ID: "d_new", KeyHash: "key-new"})
	check("used-up token", errors.Is(err, store.ErrTokenUsedUp), err)
	again, existing, err := db.Enroll("hash-multi", at, store.Device{ID: "d_x", KeyHash: "key-one"})
	check("re-enrollment keeps the device", err == nil && existing && again.ID == "d_one", again, err)

	j, err := db.Job("j_000000000000000001")
	var spec struct{ Script *struct{ Body string } }
	check("job", err == nil && j.Kind == "script" && j.Runs == 2 && j.Script != nil && j.Script.Version == 2 && json.Unmarshal(j.Spec, &spec) == nil &&
		spec.Script != nil && spec.Script.Body == "echo hello v2" && j.States[store.StateSucceeded] == 1 && j.States[store.StateQueued] == 1, j, err)
	runs, err := db.JobRuns(j.ID)
	check("runs", err == nil && len(runs) == 2 && runs[0].State == store.StateSucceeded && runs[0].Stdout == 12 && runs[0].Stderr == 5 &&
		runs[1].State == store.StateQueued, runs, err)
	out, next, err := db.Output("r_000000000000000001", "stdout", 0, 0)
	check("stdout", err == nil && string(out) == "hello world\n" && next == 12, string(out), next, err)
	errOut, _, _ := db.Output("r_000000000000000001", "stderr", 0, 0)
	check("stderr", string(errOut) == "warn\n", string(errOut))
	pend, err := db.PendingRuns("d_one")
	check("pending", err == nil && len(pend) == 1 && pend[0].ID == "r_000000000000000002", pend, err)
	dr, err := db.DeviceRuns("d_one", 0)
	check("device runs", err == nil && len(dr) == 2, dr, err)
	res, err := db.ApplyRunOps([]store.RunOp{{RunID: "r_000000000000000001", Finish: &store.RunFinish{State: store.StateFailed, ExitCode: 9}}})
	check("a repeated result keeps the first", err == nil && !res[0].Changed && res[0].Run.State == store.StateSucceeded, res, err)

	u, err := db.UserByName("ADMIN")
	check("admin user", err == nil && u.ID == "u_admin" && u.PasswordHash == "pwhash" && u.TOTPSecret == "JBSWY3DPEHPK3PXP" &&
		u.TOTPLastStep == 12345 && len(u.Recovery) == 2 && u.Epoch == 2 && string(u.Prefs) == `{"theme":"dark"}` && u.AllClients, u, err)
	tech, err := db.User("u_tech")
	check("tech user", err == nil && tech.Name == "Tech" && len(tech.Clients) == 1 && tech.Clients[0] == "c_acme", tech, err)
	at1, err := db.APITokenByHash("tokhash")
	check("api token", err == nil && at1.ID == "at_one" && at1.UserID == "u_admin" && len(at1.Perms) == 1 && at1.Epoch == 2 &&
		at1.SecondFactorAt.Equal(at), at1, err)
	se, err := db.Session("sesshash")
	check("session", err == nil && se.UserID == "u_admin" && se.CSRF == "csrf" && se.SecondFactorAt.Equal(at), se, err)
	sc, err := db.ScriptByName("", "hello")
	check("script", err == nil && sc.Version == 2 && sc.Body == "echo hello v2" && sc.SHA256 == store.ScriptHash(sc.Body), sc, err)
	if err == nil {
		v1, err := db.ScriptVersion(sc.ID, 1)
		check("script version 1", err == nil && v1.Body == "echo hello", v1, err)
	}
	tg, ok, err := db.UpdateTargetFor("d_one", "c_acme")
	check("update target", err == nil && ok && tg.Version == "1.2.4" && tg.Scope == store.UpdateScopeClient, tg, err)
	ur, err := db.UpdateResultOf("d_one")
	check("update result", err == nil && ur.Version == "1.2.4" && ur.State == "succeeded", ur, err)
	shells, err := db.ShellSessions()
	check("shell sessions", err == nil && len(shells) == 1 && shells[0].ID == "sh_one" && shells[0].BytesOut == 200 &&
		shells[0].Recording == "sh_one.cast" && shells[0].Ended.Equal(at.Add(time.Minute)), shells, err)
	if v, _ := db.Meta("first-admin"); v != "u_admin" {
		t.Errorf("meta first-admin = %q", v)
	}

	from, err := db.SetAuditKey(fixtureAuditKey)
	check("keyed chain start", err == nil && from == 3, from, err)
	n, err := db.VerifyAudit(store.AuditAnchors{KeyedFrom: 3})
	check("audit verifies", err == nil && n == 4, n, err)
	e, err := db.AppendAudit(store.AuditEvent{At: at, Actor: "admin", Action: "client.create"})
	check("audit appends", err == nil && e.Seq == 5 && e.MAC != "", e, err)
	if n, err := db.VerifyAudit(store.AuditAnchors{KeyedFrom: 3, Heads: map[uint64]string{5: e.MAC}}); err != nil || n != 5 {
		t.Errorf("audit after append: %d %v", n, err)
	}
	db.Close()
	if v := schemaOf(t, dir); v != strconv.Itoa(SchemaVersion) {
		t.Fatalf("schema after open %q, want %d", v, SchemaVersion)
	}
}

// fixtureAuditKey is the audit key the fixture's keyed records were
// written with.
var fixtureAuditKey = []byte("fixture-audit-key-0123456789abcdef")

// TestMigration2ConvertsLegacyScripts: a format-1 database holding a
// library written before scripts had owners (bucket "scripts", keyed by
// name, newest version only) opens with them as global scripts keeping
// name, version and body; the old bucket is gone, and a second open
// changes nothing.
func TestMigration2ConvertsLegacyScripts(t *testing.T) {
	dir := unpack(t, "today-v1.db.gz")
	old := map[string]any{"name": "cleanup", "version": 4, "interpreter": "sh", "body": "rm -rf /tmp/x",
		"args": []string{"a"}, "updated_at": time.Now(), "updated_by": "admin"}
	raw, _ := json.Marshal(old)
	bdb, err := bolt.Open(filepath.Join(dir, "steward.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := bdb.Update(func(tx *bolt.Tx) error { return tx.Bucket(bScripts1).Put([]byte("cleanup"), raw) }); err != nil {
		t.Fatal(err)
	}
	bdb.Close()
	for i := 0; i < 2; i++ {
		db, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		sc, err := db.ScriptByName("", "cleanup")
		if err != nil || sc.Version != 4 || sc.Body != "rm -rf /tmp/x" || sc.ClientID != "" || sc.SHA256 != store.ScriptHash(sc.Body) || len(sc.Args) != 1 {
			t.Fatalf("open %d: converted script %+v %v", i, sc, err)
		}
		if v, err := db.ScriptVersion(sc.ID, 4); err != nil || v.Body != sc.Body {
			t.Fatalf("open %d: version 4: %+v %v", i, v, err)
		}
		if all, _ := db.Scripts(store.ScriptQuery{}); len(all) != 2 {
			t.Fatalf("open %d: %d scripts, want the fixture's and the converted one", i, len(all))
		}
		_ = db.db.View(func(tx *bolt.Tx) error {
			if tx.Bucket(bScripts1) != nil {
				t.Errorf("open %d: the legacy scripts bucket is still there", i)
			}
			return nil
		})
		db.Close()
	}
}

// TestMigrationFailureLeavesDatabase: a migration that fails leaves the
// file in its old format (one transaction), with a clear error.
func TestMigrationFailureLeavesDatabase(t *testing.T) {
	dir := unpack(t, "today-v1.db.gz")
	bdb, err := bolt.Open(filepath.Join(dir, "steward.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := bdb.Update(func(tx *bolt.Tx) error { return tx.Bucket(bScripts1).Put([]byte("bad"), []byte("{not json")) }); err != nil {
		t.Fatal(err)
	}
	bdb.Close()
	_, err = Open(dir)
	if err == nil || !strings.Contains(err.Error(), "migration to schema 2") || !strings.Contains(err.Error(), `"bad"`) {
		t.Fatalf("open with a broken legacy script: %v", err)
	}
	if v := schemaOf(t, dir); v != "1" {
		t.Fatalf("schema after a failed migration %q, want 1", v)
	}
}

// TestNewerSchemaRefused: a data folder from a newer server is refused
// with ErrNewerSchema and left untouched.
func TestNewerSchemaRefused(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetMeta(metaSchema, "99"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(dir); !errors.Is(err, store.ErrNewerSchema) || !strings.Contains(err.Error(), "schema version 99") {
		t.Fatalf("open of schema 99: %v", err)
	}
	if v := schemaOf(t, dir); v != "99" {
		t.Fatalf("schema after refusal %q", v)
	}
}

// TestMigrationsNumbered: migrations[i] goes to version i+1 and the last
// one reaches SchemaVersion; a new database gets SchemaVersion.
func TestMigrationsNumbered(t *testing.T) {
	for i, m := range migrations {
		if m.to != i+1 || m.about == "" {
			t.Errorf("migration %d: to %d %q", i, m.to, m.about)
		}
	}
	if len(migrations) != SchemaVersion {
		t.Fatalf("%d migrations for schema %d", len(migrations), SchemaVersion)
	}
	dir := t.TempDir()
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if v := schemaOf(t, dir); v != strconv.Itoa(SchemaVersion) {
		t.Fatalf("new database schema %q", v)
	}
}
