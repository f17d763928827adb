package web

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/steward-rmm/steward/protocol"
)

// TestTerminalStatesMatchProtocol holds the dashboard's set of terminal
// run states to protocol.Terminal, the one definition.
func TestTerminalStatesMatchProtocol(t *testing.T) {
	b, err := os.ReadFile("static/assets/lib/format.js")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`export const TERMINAL = new Set\(\[([^\]]*)\]\)`).FindSubmatch(b)
	if m == nil {
		t.Fatal("format.js defines no TERMINAL set")
	}
	var js []string
	for _, q := range strings.Split(string(m[1]), ",") {
		js = append(js, strings.Trim(strings.TrimSpace(q), `'"`))
	}
	var want []string
	for _, s := range protocol.RunStates {
		if protocol.Terminal(s) {
			want = append(want, s)
		}
	}
	slices.Sort(js)
	slices.Sort(want)
	if !slices.Equal(js, want) {
		t.Fatalf("dashboard TERMINAL %v, protocol.Terminal %v", js, want)
	}
}
