package web

import (
	"strings"
	"sync"
	"time"
)

// throttle slows down password guessing with progressive delays: each key
// (a username from one address, or an address) has some free attempts in
// a window; after them, each attempt must wait for a delay after the
// key's last failure that doubles with every further failure, up to a
// cap. It never locks anyone out for longer than the cap, and a key's
// failures leave the window one by one.
//
// An attempt is reserved before its password is checked, atomically for
// all its keys, and counts as a failure until it is known to have
// succeeded: a burst of parallel guesses gets no more checks than the
// free attempts allow. It lives in memory: a restart forgives everyone,
// which is fine for a single-process server.
type throttle struct {
	mu    sync.Mutex
	rules map[string]throttleRule // by key prefix
	keys  map[string]*attempts
	now   func() time.Time
}

// throttleRule is the allowance of one kind of key.
type throttleRule struct {
	Free     int           // attempts without delay in the window
	Base     time.Duration // the delay after the first failure beyond Free
	Max      time.Duration // the longest delay
	Window   time.Duration // how long a failure counts
	Describe string        // what the key is, for the message
}

// attempts are one key's failures in the window and its checks running.
type attempts struct {
	fails   []time.Time
	pending int
}

// maxThrottleKeys bounds the memory a flood of made-up usernames or
// addresses can take.
const maxThrottleKeys = 100_000

func newThrottle(rules map[string]throttleRule, now func() time.Time) *throttle {
	return &throttle{rules: rules, keys: map[string]*attempts{}, now: now}
}

// A throttleKey is a key and the rule it follows.
type throttleKey struct{ kind, value string }

func (k throttleKey) String() string { return k.kind + ":" + k.value }

// reservation is an attempt reserved for a set of keys.
type reservation struct {
	t    *throttle
	keys []throttleKey
}

// Reserve reserves an attempt for every key, or none: it returns the time
// the attempt may be made when one key must wait, and the rule of that
// key.
func (t *throttle) Reserve(keys ...throttleKey) (*reservation, time.Time, throttleRule) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	for _, k := range keys {
		rule := t.rules[k.kind]
		a := t.recent(k, rule, now)
		n := len(a.fails) + a.pending
		if n < rule.Free {
			continue
		}
		if a.pending > 0 {
			// Beyond the free attempts, one at a time.
			return nil, now.Add(rule.Base), rule
		}
		delay := rule.Base << min(n-rule.Free, 30)
		if delay > rule.Max || delay <= 0 {
			delay = rule.Max
		}
		if at := a.fails[len(a.fails)-1].Add(delay); now.Before(at) {
			return nil, at, rule
		}
	}
	for _, k := range keys {
		t.get(k).pending++
	}
	t.prune()
	return &reservation{t: t, keys: keys}, time.Time{}, throttleRule{}
}

// recent returns key's attempts with the failures outside the window
// dropped.
func (t *throttle) recent(k throttleKey, rule throttleRule, now time.Time) *attempts {
	a := t.keys[k.String()]
	if a == nil {
		return &attempts{}
	}
	cutoff := now.Add(-rule.Window)
	i := 0
	for i < len(a.fails) && !a.fails[i].After(cutoff) {
		i++
	}
	a.fails = a.fails[i:]
	return a
}

func (t *throttle) get(k throttleKey) *attempts {
	a := t.keys[k.String()]
	if a == nil {
		a = &attempts{}
		t.keys[k.String()] = a
	}
	return a
}

// prune keeps the map of keys bounded: past maxThrottleKeys it forgets
// keys with no attempt running until a tenth of the cap is free, those
// with nothing left in their window first. It runs only when the map has
// grown past the cap, so its cost per attempt stays constant; forgetting a
// key's failures gives back at most that key's free attempts, which a
// flood of new keys would have had anyway.
func (t *throttle) prune() {
	if len(t.keys) <= maxThrottleKeys {
		return
	}
	target := maxThrottleKeys * 9 / 10
	now := t.now()
	for pass := 0; pass < 2 && len(t.keys) > target; pass++ {
		for name, a := range t.keys {
			if len(t.keys) <= target {
				break
			}
			if a.pending > 0 {
				continue
			}
			if pass == 0 {
				kind, value, _ := strings.Cut(name, ":")
				t.recent(throttleKey{kind, value}, t.rules[kind], now)
				if len(a.fails) > 0 {
					continue
				}
			}
			delete(t.keys, name)
		}
	}
}

// Failed records the reserved attempt as a failure for every key.
func (r *reservation) Failed() {
	r.t.mu.Lock()
	defer r.t.mu.Unlock()
	now := r.t.now()
	for _, k := range r.keys {
		a := r.t.get(k)
		a.pending--
		a.fails = append(a.fails, now)
	}
}

// Succeeded ends the reserved attempt without a failure, and forgets the
// failures of the keys of kinds in reset.
func (r *reservation) Succeeded(reset ...string) {
	r.t.mu.Lock()
	defer r.t.mu.Unlock()
	for _, k := range r.keys {
		a := r.t.get(k)
		a.pending--
		for _, kind := range reset {
			if k.kind == kind {
				a.fails = nil
			}
		}
		if a.pending == 0 && len(a.fails) == 0 {
			delete(r.t.keys, k.String())
		}
	}
}

// Released ends the reserved attempt as if it had not been made (the
// password was never checked).
func (r *reservation) Released() { r.Succeeded() }
