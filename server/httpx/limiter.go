package httpx

import (
	"sync"
	"time"
)

// Sign-in limits shared by the operators' and the customer portal's
// sign-ins: at most SignInMaxFailures failures per key (an account, an
// address) in SignInWindow.
const (
	SignInWindow      = 5 * time.Minute
	SignInMaxFailures = 5
)

// FailLimiter counts failures per key (an account, a source address) in a
// sliding window and says when a key has had too many.
type FailLimiter struct {
	mu     sync.Mutex // guards fails; lock order: a leaf
	fails  map[string][]time.Time
	window time.Duration
	max    int
}

// NewFailLimiter allows at most max failures per key within window.
func NewFailLimiter(window time.Duration, max int) *FailLimiter {
	return &FailLimiter{fails: map[string][]time.Time{}, window: window, max: max}
}

// Blocked reports whether key has too many recent failures.
func (l *FailLimiter) Blocked(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.recent(key, now)) >= l.max
}

func (l *FailLimiter) recent(key string, now time.Time) []time.Time {
	ts := l.fails[key]
	i := 0
	for i < len(ts) && now.Sub(ts[i]) > l.window {
		i++
	}
	ts = ts[i:]
	if len(ts) == 0 {
		delete(l.fails, key)
	} else {
		l.fails[key] = ts
	}
	return ts
}

// Fail records a failure of key at now.
func (l *FailLimiter) Fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fails[key] = append(l.recent(key, now), now)
}

// Reset forgets key's failures (after a success).
func (l *FailLimiter) Reset(key string) {
	l.mu.Lock()
	delete(l.fails, key)
	l.mu.Unlock()
}
