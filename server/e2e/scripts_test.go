//go:build linux

package e2e_test

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/protocol"
)

// scriptOut is a script as the API shows it.
type scriptOut struct {
	api.Script
	ClientName string `json:"client_name"`
	Versions   []struct {
		Version int
		SHA256  string
	} `json:"versions"`
	Error string `json:"error"`
}

func sha(body string) string {
	s := sha256.Sum256([]byte(body))
	return hex.EncodeToString(s[:])
}

// twoClients starts a server with an online agent on Alpha and one on
// Bravo and a technician scoped to each.
type twoClients struct {
	e                    *env
	alpha, bravo         string // client IDs
	devA, devB           string
	techAlpha, techBravo string // API tokens
}

func startTwoClients(t *testing.T) *twoClients {
	e := startServer(t, serverConfig())
	c := &twoClients{e: e, alpha: e.createClient("Alpha"), bravo: e.createClient("Bravo")}
	_, c.devA, _ = onlineAgent(t, e, c.alpha, agentConfig())
	_, c.devB, _ = onlineAgent(t, e, c.bravo, agentConfig())
	e.createUser("alpha-tech", "technician", c.alpha)
	e.createUser("bravo-tech", "technician", c.bravo)
	c.techAlpha, c.techBravo = e.tokenFor("alpha-tech"), e.tokenFor("bravo-tech")
	return c
}

// runLibrary runs a library script as tok on one device and returns the
// job and the run's output.
func (c *twoClients) runLibrary(t *testing.T, tok, dev, lib string) (jobResp, string) {
	t.Helper()
	var j jobResp
	if code := c.e.apiAs(tok, "POST", "/api/v1/jobs", map[string]any{"devices": []string{dev}, "kind": "script", "library": lib}, &j); code != 201 {
		t.Fatalf("run %s on %s: %d", lib, dev, code)
	}
	c.e.waitState(j.Runs[0].ID, protocol.StateSucceeded)
	return j, c.e.output(j.Runs[0].ID).Stdout
}

// TestScriptOverwriteByOtherClientRefused is the attack of issue 14
// finding 1: a technician of Alpha saves a new version of a library script
// that a technician of Bravo then runs by name on a Bravo device. The save
// is refused and Bravo's device runs the script it always ran.
func TestScriptOverwriteByOtherClientRefused(t *testing.T) {
	c := startTwoClients(t)
	e := c.e
	var g scriptOut
	if code := e.api("POST", "/api/v1/scripts", map[string]any{"name": "report", "interpreter": "sh", "body": "echo legit-report"}, &g); code != 201 {
		t.Fatalf("admin saves a global script: %d", code)
	}
	// The attack: the same name, from a user scoped to Alpha.
	var res scriptOut
	code := e.apiAs(c.techAlpha, "POST", "/api/v1/scripts", map[string]any{"name": "report", "interpreter": "sh", "body": "echo pwned-by-alpha"}, &res)
	if code != 403 || !strings.Contains(res.Error, "every client") {
		t.Errorf("Alpha technician overwrites a global script: %d %+v, want 403", code, res)
	}
	// Naming Bravo as the owner is not found, by name or by ID.
	if code := e.apiAs(c.techAlpha, "POST", "/api/v1/scripts", map[string]any{"client": "Bravo", "name": "report", "interpreter": "sh", "body": "echo pwned"}, nil); code != 404 {
		t.Errorf("Alpha technician writes a script of Bravo: %d, want 404", code)
	}
	if code := e.apiAs(c.techAlpha, "POST", "/api/v1/scripts", map[string]any{"id": g.ID, "name": "report", "interpreter": "sh", "body": "echo pwned"}, nil); code != 403 {
		t.Errorf("Alpha technician writes the global script by ID: %d, want 403", code)
	}

	j, out := c.runLibrary(t, c.techBravo, c.devB, "report")
	if out != "legit-report\n" {
		t.Fatalf("Bravo's device ran %q, want the admin's global script", out)
	}
	if j.Job.Script == nil || j.Job.Script.ID != g.ID || j.Job.Script.Version != 1 || j.Job.Script.SHA256 != sha("echo legit-report") {
		t.Errorf("Bravo's job records %+v", j.Job.Script)
	}
	// A script of Alpha's own, of the same name, is Alpha's only.
	var own scriptOut
	if code := e.apiAs(c.techAlpha, "POST", "/api/v1/scripts", map[string]any{"client": c.alpha, "name": "report", "interpreter": "sh", "body": "echo alpha-report"}, &own); code != 201 || own.ClientID != c.alpha || own.Version != 1 {
		t.Fatalf("Alpha technician writes Alpha's script: %d %+v", code, own)
	}
	// Alpha's devices get Alpha's script of that name.
	if _, out := c.runLibrary(t, c.techAlpha, c.devA, "report"); out != "alpha-report\n" {
		t.Errorf("Alpha's device ran %q", out)
	}
	var evs []struct {
		Actor  string
		Detail map[string]string
	}
	e.api("GET", "/api/v1/audit?action=script.put", nil, &evs)
	if len(evs) != 2 || evs[1].Actor != "alpha-tech" || evs[1].Detail["client"] != c.alpha || evs[0].Detail["global"] != "true" || evs[1].Detail["sha256"] != sha("echo alpha-report") {
		t.Errorf("script saves audited as %+v", evs)
	}
}

// TestScriptOfAnotherClientNotFound: a script of Bravo does not exist for a
// user scoped to Alpha, whichever way it is named, and global scripts are
// readable but not deletable by scoped users.
func TestScriptOfAnotherClientNotFound(t *testing.T) {
	c := startTwoClients(t)
	e := c.e
	var b scriptOut
	if code := e.apiAs(c.techBravo, "POST", "/api/v1/scripts", map[string]any{"client": "Bravo", "name": "bravo-only", "interpreter": "sh",
		"body": "echo bravo-secret-body"}, &b); code != 201 || b.ClientID != c.bravo || b.ClientName != "Bravo" {
		t.Fatalf("Bravo technician saves a Bravo script: %d %+v", code, b)
	}
	var g scriptOut
	e.api("POST", "/api/v1/scripts", map[string]any{"name": "global-one", "interpreter": "sh", "body": "echo g"}, &g)

	for _, p := range []string{"/api/v1/scripts/" + b.ID, "/api/v1/scripts/bravo-only", "/api/v1/scripts/bravo-only?client=Bravo",
		"/api/v1/scripts/bravo-only?client=" + c.bravo, "/api/v1/scripts/" + b.ID + "?version=1"} {
		body := e.rawStatus(t, c.techAlpha, "GET", p)
		if body.code != 404 || strings.Contains(body.text, "bravo-secret") {
			t.Errorf("Alpha technician reads %s: %d %s, want 404", p, body.code, body.text)
		}
	}
	list := e.rawStatus(t, c.techAlpha, "GET", "/api/v1/scripts")
	if list.code != 200 || strings.Contains(list.text, "bravo") || !strings.Contains(list.text, "global-one") {
		t.Errorf("Alpha technician's script list: %d %s", list.code, list.text)
	}
	for _, p := range []string{"/api/v1/scripts/" + b.ID, "/api/v1/scripts/bravo-only", "/api/v1/scripts/bravo-only?client=Bravo"} {
		if code := e.apiAs(c.techAlpha, "DELETE", p, nil, nil); code != 404 {
			t.Errorf("Alpha technician deletes %s: %d, want 404", p, code)
		}
	}
	if code := e.apiAs(c.techAlpha, "POST", "/api/v1/scripts", map[string]any{"id": b.ID, "name": "bravo-only", "interpreter": "sh", "body": "echo pwned"}, nil); code != 404 {
		t.Errorf("Alpha technician saves a version of Bravo's script by ID: %d, want 404", code)
	}
	// Alpha cannot run it by ID either, on its own devices or Bravo's.
	for _, dev := range []string{c.devA, c.devB} {
		if code := e.apiAs(c.techAlpha, "POST", "/api/v1/jobs", map[string]any{"devices": []string{dev}, "kind": "script", "library": b.ID}, nil); code != 400 && code != 404 {
			t.Errorf("Alpha technician runs Bravo's script by ID on %s: %d", dev, code)
		}
	}
	var refused struct{ Error string }
	if code := e.apiAs(c.techAlpha, "POST", "/api/v1/scripts", map[string]any{"name": "fresh-global", "interpreter": "sh", "body": "id"}, &refused); code != 403 || !strings.Contains(refused.Error, "global") {
		t.Errorf("Alpha technician writes a new global script: %d %q, want 403", code, refused.Error)
	}
	if code := e.apiAs(c.techAlpha, "DELETE", "/api/v1/scripts/"+g.ID, nil, nil); code != 403 {
		t.Errorf("Alpha technician deletes a global script: %d, want 403", code)
	}
	if code := e.apiAs(c.techAlpha, "GET", "/api/v1/scripts/global-one", nil, nil); code != 200 {
		t.Errorf("Alpha technician reads a global script: %d", code)
	}
	// Bravo's script is unchanged and Bravo's device runs it.
	var now scriptOut
	if code := e.apiAs(c.techBravo, "GET", "/api/v1/scripts/bravo-only", nil, &now); code != 200 || now.Version != 1 || now.Body != "echo bravo-secret-body" {
		t.Fatalf("Bravo's script after the attempts: %d %+v", code, now)
	}
	if _, out := c.runLibrary(t, c.techBravo, c.devB, "bravo-only"); out != "bravo-secret-body\n" {
		t.Errorf("Bravo's device ran %q", out)
	}
}

// TestClientScriptOnlyOnItsClientsDevices: a script of Bravo never runs on
// another client's device, even for a user of every client.
func TestClientScriptOnlyOnItsClientsDevices(t *testing.T) {
	c := startTwoClients(t)
	e := c.e
	var b scriptOut
	if code := e.api("POST", "/api/v1/scripts", map[string]any{"client": c.bravo, "name": "bravo-fix", "interpreter": "sh", "body": "echo fix"}, &b); code != 201 {
		t.Fatalf("save: %d", code)
	}
	for _, devs := range [][]string{{c.devA}, {c.devA, c.devB}} {
		var res struct{ Error string }
		if code := e.api("POST", "/api/v1/jobs", map[string]any{"devices": devs, "kind": "script", "library": b.ID}, &res); code != 403 || !strings.Contains(res.Error, "only on that client") {
			t.Errorf("Bravo's script by ID on %v: %d %s, want 403", devs, code, res.Error)
		}
	}
	// By name, Alpha's devices do not see Bravo's script at all.
	if code := e.api("POST", "/api/v1/jobs", map[string]any{"devices": []string{c.devA}, "kind": "script", "library": "bravo-fix"}, nil); code != 400 {
		t.Errorf("Bravo's script by name on Alpha: %d, want 400", code)
	}
	if code := e.api("POST", "/api/v1/jobs", map[string]any{"client": "Alpha", "kind": "script", "library": b.ID}, nil); code != 403 {
		t.Errorf("Bravo's script on client Alpha: %d, want 403", code)
	}
	if _, out := c.runLibrary(t, e.token, c.devB, "bravo-fix"); out != "fix\n" {
		t.Errorf("on Bravo: %q", out)
	}
}

// TestJobPinsScriptVersionAndHash: a job records the version and the
// SHA-256 of the body it sent; later edits and a delete do not change what
// it shows, and NAME@VERSION runs an older version.
func TestJobPinsScriptVersionAndHash(t *testing.T) {
	c := startTwoClients(t)
	e := c.e
	save := func(body string) scriptOut {
		var s scriptOut
		if code := e.apiAs(c.techBravo, "POST", "/api/v1/scripts", map[string]any{"client": "Bravo", "name": "inv", "interpreter": "sh", "body": body}, &s); code != 201 {
			t.Fatalf("save %q: %d", body, code)
		}
		return s
	}
	v1 := save("echo inv-one")
	j1, out := c.runLibrary(t, c.techBravo, c.devB, "inv")
	if out != "inv-one\n" {
		t.Fatalf("v1 ran %q", out)
	}
	v2 := save("echo inv-two")
	if v2.ID != v1.ID || v2.Version != 2 || v2.SHA256 != sha("echo inv-two") {
		t.Fatalf("v2: %+v", v2)
	}
	var got struct{ Job api.Job }
	e.apiAs(c.techBravo, "GET", "/api/v1/jobs/"+j1.Job.ID, nil, &got)
	want := api.ScriptRef{ID: v1.ID, ClientID: c.bravo, Name: "inv", Version: 1, SHA256: sha("echo inv-one")}
	if got.Job.Script == nil || *got.Job.Script != want || got.Job.Library != "inv@1" || got.Job.Spec.Script.Body != "echo inv-one" {
		t.Fatalf("job after an edit shows %+v %q, want %+v", got.Job.Script, got.Job.Library, want)
	}
	jOld, out := c.runLibrary(t, c.techBravo, c.devB, "inv@1")
	if out != "inv-one\n" || jOld.Job.Script.Version != 1 {
		t.Errorf("inv@1 ran %q as %+v", out, jOld.Job.Script)
	}
	if _, out := c.runLibrary(t, c.techBravo, c.devB, "inv"); out != "inv-two\n" {
		t.Errorf("inv ran %q", out)
	}
	if code := e.apiAs(c.techBravo, "POST", "/api/v1/jobs", map[string]any{"devices": []string{c.devB}, "kind": "script", "library": "inv@3"}, nil); code != 400 {
		t.Errorf("a version that does not exist: %d", code)
	}
	// Old versions stay readable.
	var old scriptOut
	if code := e.apiAs(c.techBravo, "GET", "/api/v1/scripts/"+v1.ID+"?version=1", nil, &old); code != 200 || old.Body != "echo inv-one" || len(old.Versions) != 2 {
		t.Errorf("version 1: %d %+v", code, old)
	}
	// The CLI shows the same.
	out, errs, code := e.ctl(t, "jobs", "show", j1.Job.ID)
	if code != 0 || !strings.Contains(out, "script: inv v1 ("+v1.ID+") sha256 "+sha("echo inv-one")) {
		t.Errorf("stewardctl jobs show: %d %q %q", code, out, errs)
	}
	// Deleting the script keeps the job's record.
	if code := e.apiAs(c.techBravo, "DELETE", "/api/v1/scripts/inv", nil, nil); code != 200 {
		t.Fatalf("delete: %d", code)
	}
	e.apiAs(c.techBravo, "GET", "/api/v1/jobs/"+j1.Job.ID, nil, &got)
	if got.Job.Script == nil || *got.Job.Script != want {
		t.Errorf("job after the delete shows %+v", got.Job.Script)
	}
	if code := e.apiAs(c.techBravo, "POST", "/api/v1/jobs", map[string]any{"devices": []string{c.devB}, "kind": "script", "library": "inv"}, nil); code != 400 {
		t.Errorf("a deleted script runs: %d", code)
	}
}

// TestStewardctlScriptsPerClient drives the library from the CLI.
func TestStewardctlScriptsPerClient(t *testing.T) {
	c := startTwoClients(t)
	e := c.e
	dir := t.TempDir()
	f := dir + "/s.sh"
	writeFile(t, f, "echo from-ctl\n")
	out, errs, code := e.ctl(t, "scripts", "put", "tool", "--file", f, "--client", "Bravo")
	if code != 0 || !strings.Contains(out, "client Bravo") || !strings.Contains(out, "version 1") {
		t.Fatalf("scripts put --client: %d %q %q", code, out, errs)
	}
	out, errs, code = e.ctl(t, "scripts", "put", "tool", "--file", f, "--global")
	if code != 0 || !strings.Contains(out, "global") {
		t.Fatalf("scripts put --global: %d %q %q", code, out, errs)
	}
	out, _, _ = e.ctl(t, "scripts", "list", "--client", "Bravo")
	if strings.Count(out, "tool") != 2 || !strings.Contains(out, "client Bravo") {
		t.Errorf("scripts list --client: %q", out)
	}
	out, _, _ = e.ctl(t, "scripts", "show", "tool", "--client", "Bravo")
	if !strings.Contains(out, "client Bravo") || !strings.Contains(out, "echo from-ctl") || !strings.Contains(out, sha("echo from-ctl\n")) {
		t.Errorf("scripts show: %q", out)
	}
	out, errs, code = e.ctl(t, "run", c.devB, "--library", "tool@1", "--wait")
	if code != 0 || out != "from-ctl\n" {
		t.Errorf("run --library tool@1: %d %q %q", code, out, errs)
	}
	_, errs, code = e.ctl(t, "run", c.devA, "--library", "tool", "--wait")
	if code != 0 {
		t.Errorf("run the global tool on Alpha: %d %q", code, errs)
	}
	out, errs, code = e.ctl(t, "scripts", "delete", "tool", "--client", "Bravo")
	if code != 0 || !strings.Contains(out, "deleted tool") {
		t.Errorf("scripts delete: %d %q %q", code, out, errs)
	}
	out, _, _ = e.ctl(t, "scripts", "list")
	if strings.Contains(out, "client Bravo") || !strings.Contains(out, "global") {
		t.Errorf("after delete: %q", out)
	}
}

type status struct {
	code int
	text string
}

// rawStatus makes a request as tok and returns the status and body.
func (e *env) rawStatus(t *testing.T, tok, method, path string) status {
	t.Helper()
	req, _ := http.NewRequest(method, e.url+path, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := e.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return status{resp.StatusCode, string(b)}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}
