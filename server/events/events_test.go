package events

import (
	"slices"
	"testing"
)

func TestVisibleTo(t *testing.T) {
	alpha := func(c string) bool { return c == "alpha" }
	alphaBravo := func(c string) bool { return slices.Contains([]string{"alpha", "bravo"}, c) }
	cases := []struct {
		name   string
		e      Event
		all    bool
		canSee func(string) bool
		want   bool
	}{
		{"own client", Event{Type: "run", ClientID: "alpha"}, false, alpha, true},
		{"other client", Event{Type: "run", ClientID: "bravo"}, false, alpha, false},
		{"no client, scoped user", Event{Type: "job"}, false, alpha, false},
		{"no client, all-client user", Event{Type: "job"}, true, alpha, true},
		{"job on two clients, one visible", Event{Type: "job", Clients: []string{"alpha", "bravo"}}, false, alpha, false},
		{"job on two clients, both visible", Event{Type: "job", Clients: []string{"alpha", "bravo"}}, false, alphaBravo, true},
		{"job on one client", Event{Type: "job", ClientID: "bravo", Clients: []string{"bravo"}}, false, alpha, false},
	}
	for _, c := range cases {
		if got := c.e.VisibleTo(c.all, c.canSee); got != c.want {
			t.Errorf("%s: VisibleTo = %v, want %v", c.name, got, c.want)
		}
	}
}
