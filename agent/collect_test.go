package agent

import (
	"testing"
	"time"
)

func TestHealthDelayIsJitteredAfterBase(t *testing.T) {
	if d := healthDelay(-1); d != 0 {
		t.Fatalf("negative base: %v, want at once", d)
	}
	seen := map[time.Duration]bool{}
	for range 50 {
		d := healthDelay(0)
		if d < DefaultHealthDelay || d > 3*DefaultHealthDelay {
			t.Fatalf("default delay %v outside [%v, %v]", d, DefaultHealthDelay, 3*DefaultHealthDelay)
		}
		seen[d] = true
	}
	if len(seen) < 2 {
		t.Fatal("50 agents would all scan at the same moment: no jitter")
	}
	if d := healthDelay(time.Second); d < time.Second || d > 3*time.Second {
		t.Fatalf("1s base gave %v", d)
	}
}
