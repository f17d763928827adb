package ctl

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestEveryCommandHasShort walks every stewardctl command: each one says
// what it does in --help.
func TestEveryCommandHasShort(t *testing.T) {
	a := &App{Getenv: func(string) string { return "" }}
	var walk func(c *cobra.Command)
	n := 0
	walk = func(c *cobra.Command) {
		n++
		if strings.TrimSpace(c.Short) == "" {
			t.Errorf("%q has no Short", c.CommandPath())
		}
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(a.root())
	if n < 50 {
		t.Fatalf("walked only %d commands", n)
	}
}

// TestUnknownSubcommand: a word a group does not know is an error naming
// it and the group, with the valid subcommands; the group alone and --help
// still print help and succeed.
func TestUnknownSubcommand(t *testing.T) {
	dir := t.TempDir()
	env := func(k string) string {
		if k == "HOME" || k == "XDG_CONFIG_HOME" {
			return dir
		}
		return ""
	}
	t.Setenv("XDG_CONFIG_HOME", dir)
	for _, tc := range []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"software", "vm"}, 1, []string{`unknown command "vm" for "stewardctl software"`, "list", "search"}},
		{[]string{"jobs", "outptu"}, 1, []string{`unknown command "outptu" for "stewardctl jobs"`, "Did you mean this?", "output"}},
		{[]string{"softwar"}, 1, []string{`unknown command "softwar" for "stewardctl"`, "software"}},
		{[]string{"completion", "fish2"}, 1, []string{`unknown command "fish2" for "stewardctl completion"`, "bash"}},
		{[]string{"scripts", "bogus", "x"}, 1, []string{`unknown command "bogus" for "stewardctl scripts"`, "versions"}},
	} {
		var out, errb bytes.Buffer
		code := Execute(tc.args, strings.NewReader(""), &out, &errb, env)
		if code != tc.code {
			t.Errorf("%v: exit %d, want %d (%q)", tc.args, code, tc.code, errb.String())
		}
		for _, w := range tc.want {
			if !strings.Contains(errb.String(), w) {
				t.Errorf("%v: stderr %q lacks %q", tc.args, errb.String(), w)
			}
		}
	}
	for _, args := range [][]string{{"software"}, {"software", "--help"}, {"--help"}, {"jobs", "list", "--help"}} {
		var out, errb bytes.Buffer
		if code := Execute(args, strings.NewReader(""), &out, &errb, env); code != 0 || !strings.Contains(out.String(), "Usage:") {
			t.Errorf("%v: exit %d, out %q err %q", args, code, out.String(), errb.String())
		}
	}
}
