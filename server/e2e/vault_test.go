//go:build linux

package e2e_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/steward-rmm/steward/ctl"
	"github.com/steward-rmm/steward/server"
)

type vaultEntry struct {
	ID, Name, URL, Username string
}

func (e *env) addVaultEntry(client, name, password, notes string) vaultEntry {
	e.t.Helper()
	var v vaultEntry
	if code := e.api("POST", "/api/v1/clients/"+client+"/vault", map[string]any{"name": name, "url": "https://" + name + ".example/",
		"username": "admin-" + name, "password": password, "notes": notes}, &v); code != 201 {
		e.t.Fatalf("add vault entry %s: %d", name, code)
	}
	return v
}

// TestVaultEndToEnd: through the real server, an entry's password and
// notes are in no list and not in the database file; a reveal needs the
// vault-reveal permission and a fresh second factor, is audited with who,
// what and from where, and is rate-limited per user.
func TestVaultEndToEnd(t *testing.T) {
	cfg := serverConfig()
	cfg.VaultRevealsPerMinute = 3
	e := startServer(t, cfg)
	acme := e.createClient("Acme")
	const pw, notes = "Tr0ub4dor&3-e2e", "recovery: e2e-notes-7731"
	v := e.addVaultEntry(acme, "router", pw, notes)
	for _, p := range []string{"/api/v1/vault", "/api/v1/vault?q=router", "/api/v1/clients/Acme/vault", "/api/v1/vault/" + v.ID} {
		body := e.rawGet(t, p)
		if !strings.Contains(body, "admin-router") || strings.Contains(body, pw) || strings.Contains(body, notes) {
			t.Errorf("GET %s: %s", p, body)
		}
	}
	raw, err := os.ReadFile(filepath.Join(e.dir, "steward.db"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte("admin-router")) || bytes.Contains(raw, []byte(pw)) || bytes.Contains(raw, []byte(notes)) {
		t.Fatalf("database file: holds the username %v, the password %v, the notes %v",
			bytes.Contains(raw, []byte("admin-router")), bytes.Contains(raw, []byte(pw)), bytes.Contains(raw, []byte(notes)))
	}

	// The first-start token never passed two-factor: no reveal.
	boot, _ := os.ReadFile(filepath.Join(e.dir, "admin-token"))
	var refusal struct{ Error, Code string }
	if code := e.apiAs(strings.TrimSpace(string(boot)), "POST", "/api/v1/vault/"+v.ID+"/reveal", map[string]any{}, &refusal); code != 401 || refusal.Code != "fresh_2fa" {
		t.Fatalf("reveal without a fresh second factor: %d %+v", code, refusal)
	}
	// A help-desk user holds no vault permission.
	e.createUser("hd", "helpdesk")
	if code := e.apiAs(e.tokenFor("hd"), "GET", "/api/v1/vault", nil, nil); code != 403 {
		t.Fatalf("helpdesk lists the vault: %d", code)
	}
	var sec struct{ Password, Notes string }
	if code := e.api("POST", "/api/v1/vault/"+v.ID+"/reveal", map[string]any{"reason": "ticket 7"}, &sec); code != 200 || sec.Password != pw || sec.Notes != notes {
		t.Fatalf("reveal: %d %+v", code, sec)
	}
	sec.Notes = ""
	if code := e.api("POST", "/api/v1/vault/"+v.ID+"/copy", nil, &sec); code != 200 || sec.Password != pw || sec.Notes != "" {
		t.Fatalf("copy: %d %+v", code, sec)
	}
	var events []struct {
		Actor, Action, Target, Source string
		Detail                        map[string]string
	}
	e.api("GET", "/api/v1/audit?action=vault.", nil, &events)
	seen := map[string]bool{}
	for _, ev := range events {
		seen[ev.Action] = true
		if ev.Action == "vault.reveal" && (ev.Actor != "admin" || ev.Target != v.ID || ev.Source != "127.0.0.1" || ev.Detail["reason"] != "ticket 7") {
			t.Errorf("reveal event: %+v", ev)
		}
	}
	if !seen["vault.create"] || !seen["vault.reveal"] || !seen["vault.copy"] {
		t.Fatalf("audit events: %v", seen)
	}
	// Third in the minute passes, the fourth is refused.
	if code := e.api("POST", "/api/v1/vault/"+v.ID+"/reveal", nil, nil); code != 200 {
		t.Fatalf("third reveal: %d", code)
	}
	var limited struct{ Error string }
	if code := e.api("POST", "/api/v1/vault/"+v.ID+"/reveal", nil, &limited); code != 429 || !strings.Contains(limited.Error, "at most 3 a minute") {
		t.Fatalf("fourth reveal in a minute: %d %+v", code, limited)
	}
}

// TestVaultKeyRotationAndFileRules: the server refuses a key file others
// can read or one inside its data folder; after `vault rotate-key` the
// server reads every entry with the new key, and with the old one the
// vault is off (503) while everything else works.
func TestVaultKeyRotationAndFileRules(t *testing.T) {
	cfg := serverConfig()
	keys := t.TempDir()
	cfg.VaultKeyFile = filepath.Join(keys, "old.key")
	if _, err := server.GenerateVaultKey(cfg.VaultKeyFile, ""); err != nil {
		t.Fatal(err)
	}
	e := startServer(t, cfg)
	acme, bravo := e.createClient("Acme"), e.createClient("Bravo")
	va, vb := e.addVaultEntry(acme, "a-router", "pw-acme", ""), e.addVaultEntry(bravo, "b-router", "pw-bravo", "")
	e.stop()

	bad := e.cfg
	os.Chmod(cfg.VaultKeyFile, 0o644)
	if _, err := server.New(bad, testLogger(t)); err == nil || !strings.Contains(err.Error(), "mode 0644") {
		t.Fatalf("server with a world-readable key file: %v", err)
	}
	os.Chmod(cfg.VaultKeyFile, 0o600)
	bad.VaultKeyFile = filepath.Join(e.dir, "vault.key")
	if _, err := server.GenerateVaultKey(bad.VaultKeyFile, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := server.New(bad, testLogger(t)); err == nil || !strings.Contains(err.Error(), "inside the data folder") {
		t.Fatalf("server with the key inside its data folder: %v", err)
	}

	newKey := filepath.Join(keys, "new.key")
	if _, err := server.GenerateVaultKey(newKey, e.dir); err != nil {
		t.Fatal(err)
	}
	n, _, err := server.RotateVaultKey(e.dir, cfg.VaultKeyFile, newKey)
	if err != nil || n != 2 {
		t.Fatalf("rotate: %d %v", n, err)
	}
	e.cfg.VaultKeyFile = newKey
	e.start()
	for id, pw := range map[string]string{va.ID: "pw-acme", vb.ID: "pw-bravo"} {
		var sec struct{ Password string }
		if code := e.api("POST", "/api/v1/vault/"+id+"/reveal", nil, &sec); code != 200 || sec.Password != pw {
			t.Errorf("entry %s after rotation: %d %q", id, code, sec.Password)
		}
	}
	e.stop()
	e.cfg.VaultKeyFile = cfg.VaultKeyFile
	e.start()
	var off struct{ Error string }
	if code := e.api("POST", "/api/v1/vault/"+va.ID+"/reveal", nil, &off); code != 503 || !strings.Contains(off.Error, "vault is not configured") {
		t.Fatalf("the old key after rotation: %d %+v", code, off)
	}
	if code := e.api("GET", "/api/v1/clients", nil, nil); code != 200 {
		t.Fatalf("the rest of the server with the vault off: %d", code)
	}
}

// TestVaultCLI: stewardctl adds an entry with the password from its input
// (never an argument), lists without it, reveals and copies it.
func TestVaultCLI(t *testing.T) {
	e := startServer(t, serverConfig())
	e.createClient("Acme")
	run := func(stdin string, args ...string) (string, string, int) {
		var out, errb bytes.Buffer
		env := map[string]string{"STEWARD_SERVER": e.url, "STEWARD_TOKEN": e.token, "STEWARD_CA_FINGERPRINT": e.fp, "HOME": t.TempDir()}
		t.Setenv("XDG_CONFIG_HOME", t.TempDir())
		code := ctl.Execute(args, strings.NewReader(stdin), &out, &errb, func(k string) string { return env[k] })
		return out.String(), errb.String(), code
	}
	out, errs, code := run("cli-S3cret!\n", "vault", "add", "nas", "--client", "Acme", "--url", "https://nas.example/", "--username", "root")
	if code != 0 || !strings.Contains(out, "added nas") {
		t.Fatalf("vault add: %d %q %q", code, out, errs)
	}
	out, _, code = run("", "vault", "list", "--search", "nas")
	if code != 0 || !strings.Contains(out, "root") || strings.Contains(out, "cli-S3cret") {
		t.Fatalf("vault list: %d %q", code, out)
	}
	id := strings.Fields(strings.Split(out, "\n")[1])[0]
	if out, _, code = run("", "vault", "reveal", id, "--reason", "cli test"); code != 0 || !strings.Contains(out, "password: cli-S3cret!") {
		t.Fatalf("vault reveal: %d %q", code, out)
	}
	if out, _, code = run("", "vault", "copy", id); code != 0 || out != "cli-S3cret!" {
		t.Fatalf("vault copy to a pipe: %d %q, want the password alone", code, out)
	}
}
