package server

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestGroupFirstErrorStopsTheOthers: one member's error cancels the
// group's context, the others end on it, and wait returns that error
// only after all of them have returned.
func TestGroupFirstErrorStopsTheOthers(t *testing.T) {
	g := newGroup(context.Background())
	boom := errors.New("boom")
	ended := make(chan string, 3)
	for _, name := range []string{"a", "b"} {
		g.run(name, func() error {
			<-g.ctx.Done()
			ended <- name
			return nil
		})
	}
	g.run("failing", func() error { ended <- "failing"; return boom })
	err := g.wait()
	if !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "failing: ") {
		t.Fatalf("wait = %v, want the failing member's error", err)
	}
	if len(ended) != 3 {
		t.Fatalf("%d of 3 members had returned when wait did", len(ended))
	}
}
