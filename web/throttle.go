package web

import (
	"context"
	"log/slog"
	"time"

	"github.com/flashd/flashd/store"
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
// free attempts allow. The rules are here (see loginRules); the state is
// in the database (store.DB.ReserveAttempt), so that every replica on it
// counts the same failures and a restart forgives no one. The store
// bounds it against floods of made-up usernames and addresses.
type throttle struct {
	db    *store.DB
	log   *slog.Logger
	rules map[string]throttleRule // by key kind
}

// throttleRule is the allowance of one kind of key (see store.ThrottleRule).
type throttleRule struct {
	Free     int           // attempts without delay in the window
	Base     time.Duration // the delay after the first failure beyond Free
	Max      time.Duration // the longest delay
	Window   time.Duration // how long a failure counts
	Describe string        // what the key is, for the message
}

func newThrottle(db *store.DB, log *slog.Logger, rules map[string]throttleRule) *throttle {
	return &throttle{db: db, log: log, rules: rules}
}

// A throttleKey is a key and the rule it follows.
type throttleKey struct{ kind, value string }

func (k throttleKey) String() string { return k.kind + ":" + k.value }

// reservation is an attempt reserved for a set of keys.
type reservation struct {
	t       *throttle
	keys    []throttleKey
	attempt *store.Attempt
}

// Reserve reserves an attempt for every key, or none: it returns the time
// the attempt may be made when one key must wait, and the rule of that
// key.
func (t *throttle) Reserve(ctx context.Context, keys ...throttleKey) (*reservation, time.Time, throttleRule, error) {
	sk := make([]store.ThrottleKey, len(keys))
	for i, k := range keys {
		r := t.rules[k.kind]
		sk[i] = store.ThrottleKey{Key: k.String(), Rule: store.ThrottleRule{Free: r.Free, Base: r.Base, Max: r.Max, Window: r.Window}}
	}
	a, refused, err := t.db.ReserveAttempt(ctx, sk)
	if err != nil {
		return nil, time.Time{}, throttleRule{}, err
	}
	if a == nil {
		return nil, refused.Until, t.rules[keys[refused.Key].kind], nil
	}
	return &reservation{t: t, keys: keys, attempt: a}, time.Time{}, throttleRule{}, nil
}

// finishTimeout bounds the write that ends a reservation.
const finishTimeout = 5 * time.Second

// finish runs end with a context that outlives the request's: how a
// check went must be recorded even when its client has gone. An error
// is logged and not returned: the check's answer stands, and the attempt
// left pending counts as a failure, then as one at its reservation after
// store.AttemptTimeout.
func (r *reservation) finish(ctx context.Context, end func(ctx context.Context) error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer cancel()
	if err := end(ctx); err != nil {
		r.t.log.Error("log-in throttle", "err", err)
	}
}

// Failed records the reserved attempt as a failure for every key.
func (r *reservation) Failed(ctx context.Context) {
	r.finish(ctx, func(ctx context.Context) error { return r.t.db.FailAttempt(ctx, r.attempt) })
}

// Succeeded ends the reserved attempt without a failure, and forgets the
// failures of the keys of kinds in reset.
func (r *reservation) Succeeded(ctx context.Context, reset ...string) {
	var forget []string
	for _, k := range r.keys {
		for _, kind := range reset {
			if k.kind == kind {
				forget = append(forget, k.String())
			}
		}
	}
	r.finish(ctx, func(ctx context.Context) error { return r.t.db.EndAttempt(ctx, r.attempt, forget...) })
}

// Released ends the reserved attempt as if it had not been made (the
// password was never checked).
func (r *reservation) Released(ctx context.Context) { r.Succeeded(ctx) }
