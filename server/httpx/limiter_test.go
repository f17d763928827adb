package httpx

import (
	"testing"
	"time"
)

// TestFailLimiter: a key is blocked at its max failures in the window,
// free again once the oldest leave it or after a reset; keys are apart.
func TestFailLimiter(t *testing.T) {
	l := NewFailLimiter(time.Minute, 3)
	t0 := time.Unix(1000, 0)
	for i := 0; i < 3; i++ {
		if l.Blocked("user:ann", t0) {
			t.Fatalf("blocked after %d failures", i)
		}
		l.Fail("user:ann", t0.Add(time.Duration(i)*time.Second))
	}
	if !l.Blocked("user:ann", t0.Add(3*time.Second)) {
		t.Fatal("not blocked after 3 failures")
	}
	if l.Blocked("ip:10.0.0.1", t0) {
		t.Fatal("another key blocked")
	}
	if l.Blocked("user:ann", t0.Add(61*time.Second)) {
		t.Fatal("still blocked once the first failure left the window")
	}
	l.Fail("user:ann", t0.Add(62*time.Second))
	l.Reset("user:ann")
	if l.Blocked("user:ann", t0.Add(62*time.Second)) {
		t.Fatal("blocked after a reset")
	}
}
