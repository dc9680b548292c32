package web

import (
	"sync"
	"time"
)

// throttle limits failed log-ins per key (a username, an address) within a
// sliding window. It lives in memory: a restart forgives everyone, which
// is fine for a single-process server.
type throttle struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	fails  map[string][]time.Time
	now    func() time.Time
}

func newThrottle(limit int, window time.Duration, now func() time.Time) *throttle {
	return &throttle{limit: limit, window: window, fails: map[string][]time.Time{}, now: now}
}

// recent returns the failures of key inside the window, dropping older
// ones.
func (t *throttle) recent(key string) []time.Time {
	cutoff := t.now().Add(-t.window)
	fs := t.fails[key]
	i := 0
	for i < len(fs) && !fs[i].After(cutoff) {
		i++
	}
	fs = fs[i:]
	if len(fs) == 0 {
		delete(t.fails, key)
		return nil
	}
	t.fails[key] = fs
	return fs
}

// Blocked reports whether key has used up its failures, and when it may
// try again.
func (t *throttle) Blocked(key string) (bool, time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fs := t.recent(key)
	if len(fs) < t.limit {
		return false, time.Time{}
	}
	return true, fs[len(fs)-t.limit].Add(t.window)
}

// Fail records a failure for key.
func (t *throttle) Fail(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.fails[key] = append(t.recent(key), t.now())
	if len(t.fails) > 100_000 {
		// Bound the memory a flood of made-up usernames can take.
		for k := range t.fails {
			t.recent(k)
		}
	}
}

// Reset forgets key's failures (after a successful log-in).
func (t *throttle) Reset(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.fails, key)
}
