package ctl

import (
	"bytes"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
)

// runAgents runs the agents command on its own (the root registers it).
func runAgents(t *testing.T, srv *httptest.Server, fp string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	a := &App{In: strings.NewReader(""), Out: &out, Err: io.Discard, Getenv: func(string) string { return "" },
		cfg: Config{Server: srv.URL, Token: "tok", Fingerprint: fp}, output: "table"}
	if len(args) > 0 && args[0] == "-o" {
		a.output, args = args[1], args[2:]
	}
	cmd := a.agentsCmd()
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(io.Discard)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.Execute()
	return out.String(), err
}

func TestAgentsCommands(t *testing.T) {
	srv, seen, fp := fakeAPI(t, map[string]string{
		"GET /api/v1/releases": `{"enabled":true,"releases":[
			{"version":"2.0.0","valid":false,"error":"release invalid: 2.0.0: signature does not verify"},
			{"version":"1.2.0","valid":true,"created":"2026-11-23T10:00:00Z","files":[
				{"os":"linux","arch":"amd64","name":"steward-agent-linux-amd64","size":1,"sha256":"ab"},
				{"os":"darwin","arch":"arm64","name":"steward-agent-darwin-arm64","size":1,"sha256":"cd"}]}]}`,
		"POST /api/v1/updates": `{"version":"1.2.0","counts":{"offered":3,"up_to_date":2},"offered":["d_1","d_2","d_3"]}`,
		"GET /api/v1/updates": `{"targets":[{"scope":"client","id":"c_1","version":"1.2.0","set_by":"admin"}],
			"results":[{"device_id":"d_1","hostname":"web\u001b[2J-01","agent_version":"1.1.0","version":"1.2.0","state":"rolled_back","reason":"did not start"}]}`,
	})
	out, err := runAgents(t, srv, fp, "releases")
	if err != nil || !strings.Contains(out, "darwin/arm64 linux/amd64") || !strings.Contains(out, "signature does not verify") {
		t.Fatalf("releases: %q %v", out, err)
	}
	// Without --version the newest valid release is chosen, not the
	// newest directory.
	out, err = runAgents(t, srv, fp, "update", "--client", "Acme")
	if err != nil || !strings.Contains(out, "agent version 1.2.0 set for client Acme; offered to 3") || !strings.Contains(out, "up to date: 2") {
		t.Fatalf("update: %q %v", out, err)
	}
	if last := (*seen)[len(*seen)-1]; last != `POST /api/v1/updates {"version":"1.2.0","client":"Acme"}` {
		t.Fatalf("request %q", last)
	}
	if _, err = runAgents(t, srv, fp, "update", "--device", "d_9", "--version", "1.2.0"); err != nil {
		t.Fatal(err)
	}
	if last := (*seen)[len(*seen)-1]; last != `POST /api/v1/updates {"version":"1.2.0","devices":["d_9"]}` {
		t.Fatalf("request %q", last)
	}
	if _, err = runAgents(t, srv, fp, "update", "--clear"); err != nil {
		t.Fatal(err)
	}
	if last := (*seen)[len(*seen)-1]; last != `POST /api/v1/updates {"version":""}` {
		t.Fatalf("clear request %q", last)
	}
	n := len(*seen)
	for _, bad := range [][]string{{"update", "--clear", "--version", "1.0.0"}, {"update", "--client", "x", "--device", "d_1"}} {
		if _, err := runAgents(t, srv, fp, bad...); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	if len(*seen) != n {
		t.Fatalf("refused invocations reached the server: %v", (*seen)[n:])
	}
	out, err = runAgents(t, srv, fp, "status")
	if err != nil || !strings.Contains(out, "client:c_1") || !strings.Contains(out, "rolled_back") || strings.Contains(out, "\x1b") {
		t.Fatalf("status: %q %v", out, err)
	}
}
