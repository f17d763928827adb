package ctl

import (
	"strings"
	"testing"
)

// TestFlagErrorsNameTheFlag: a bad flag value is refused before any
// request, naming that flag and only it (not the API's field names).
func TestFlagErrorsNameTheFlag(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	srv, seen, fp := fakeAPI(t, map[string]string{})
	for _, tc := range []struct {
		args []string
		want string
		not  []string
	}{
		{[]string{"tokens", "create", "--client", "Acme", "--uses", "-1"}, "--uses must be at least 1 (or 0 for unlimited)",
			[]string{"expires", "max_uses"}},
		{[]string{"tokens", "create", "--client", "Acme", "--uses", "2000000"}, "--uses may be at most 1000000", []string{"expires"}},
		{[]string{"tokens", "create", "--client", "Acme", "--expires", "soon"}, `--expires "soon": want a duration`, []string{"uses"}},
		{[]string{"tokens", "create", "--client", "Acme", "--expires", "-1d"}, "--expires must be at least 1s", []string{"uses"}},
		{[]string{"tokens", "create", "--client", "Acme", "--expires", "400d"}, "--expires may be at most 365d", []string{"uses"}},
		{[]string{"run", "d_1", "--timeout", "-5s", "--", "true"}, "--timeout must be at least 1s", nil},
		{[]string{"run", "d_1", "--timeout", "8d", "--", "true"}, "--timeout may be at most 7d", nil},
		{[]string{"run", "d_1", "--expires", "x", "--", "true"}, `--expires "x": want a duration`, nil},
		{[]string{"power", "reboot", "d_1", "--delay", "-1m"}, "--delay must be at least 1s", nil},
		{[]string{"devices", "list", "--limit", "0"}, "--limit must be at least 1", nil},
		{[]string{"audit", "list", "--limit", "-3"}, "--limit must be at least 1", nil},
		{[]string{"patches", "install", "d_1", "--all", "--reboot", "at soon"}, `--reboot "at soon": want`, []string{"--at"}},
		{[]string{"patches", "install", "d_1", "--all", "--reboot", "always"}, `--reboot "always": want never`, nil},
	} {
		_, errs, code := runCtl(t, srv, fp, tc.args...)
		if code != 1 || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d %q, want %q", tc.args, code, errs, tc.want)
		}
		for _, n := range tc.not {
			if strings.Contains(errs, n) {
				t.Errorf("%v: %q also mentions %q", tc.args, errs, n)
			}
		}
	}
	if len(*seen) != 0 {
		t.Fatalf("bad flags reached the server: %q", *seen)
	}
	// "0" is the documented unlimited and passes.
	if _, errs, _ := runCtl(t, srv, fp, "tokens", "create", "--client", "Acme", "--uses", "0"); strings.Contains(errs, "--uses") {
		t.Errorf("--uses 0 refused: %q", errs)
	}
}

// TestAPIFieldsBecomeFlags: what the server still refuses is reported with
// the command's flag names.
func TestAPIFieldsBecomeFlags(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	srv, _, fp := fakeAPI(t, map[string]string{
		"POST /api/v1/tokens": `400 {"error":"expires_seconds must be at most a year and max_uses at most 1000000"}`,
		"POST /api/v1/jobs":   `400 {"error":"timeout_seconds must be between 0 and 604800"}`,
	})
	_, errs, code := runCtl(t, srv, fp, "tokens", "create", "--client", "Acme", "--uses", "5")
	if code != 1 || !strings.Contains(errs, "--expires must be at most a year and --uses at most 1000000") ||
		strings.Contains(errs, "_seconds") {
		t.Errorf("tokens create: %d %q", code, errs)
	}
	_, errs, code = runCtl(t, srv, fp, "run", "d_1", "--timeout", "1m", "--", "true")
	if code != 1 || !strings.Contains(errs, "--timeout must be between 0 and 604800") {
		t.Errorf("run: %d %q", code, errs)
	}
}
