package store

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flashd/flashd/store/storetest"
)

var testRule = ThrottleRule{Free: 3, Base: time.Second, Max: 8 * time.Second, Window: 10 * time.Minute}

func TestThrottleRuleWait(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name      string
		rule      ThrottleRule // testRule when zero
		fails     int
		last      time.Duration // before now
		pending   int
		wantOK    bool
		wantUntil time.Duration // after now
	}{
		{name: "fresh", wantOK: true},
		{name: "within the free attempts", fails: 2, wantOK: true},
		{name: "running count", fails: 1, pending: 2, wantUntil: time.Second},
		{name: "first delay", fails: 3, wantUntil: time.Second},
		{name: "first delay over", fails: 3, last: time.Second, wantOK: true},
		{name: "doubled", fails: 5, last: time.Second, wantUntil: 3 * time.Second},
		{name: "capped", fails: 40, wantUntil: 8 * time.Second},
		{name: "capped, over", fails: 40, last: 8 * time.Second, wantOK: true},
		{name: "beyond free, one at a time", fails: 3, last: time.Hour, pending: 1, wantUntil: time.Second},
		{name: "no free attempts, nothing failed", rule: ThrottleRule{Base: time.Second, Max: time.Second, Window: time.Minute}, wantOK: true},
	} {
		rule := tt.rule
		if rule == (ThrottleRule{}) {
			rule = testRule
		}
		until, ok := rule.wait(tt.fails, now.Add(-tt.last), tt.pending, now)
		if ok != tt.wantOK || (!ok && !until.Equal(now.Add(tt.wantUntil))) {
			t.Errorf("%s: ok %v, until now%+v; want ok %v, until now%+v", tt.name, ok, until.Sub(now), tt.wantOK, tt.wantUntil)
		}
	}
}

// reserve reserves an attempt on keys, failing the test on an error.
func reserve(tb testing.TB, db *DB, keys ...ThrottleKey) (*Attempt, Refusal) {
	tb.Helper()
	a, r, err := db.ReserveAttempt(context.Background(), keys)
	if err != nil {
		tb.Fatal(err)
	}
	return a, r
}

func fail(tb testing.TB, db *DB, a *Attempt) {
	tb.Helper()
	if err := db.FailAttempt(context.Background(), a); err != nil {
		tb.Fatal(err)
	}
}

func end(tb testing.TB, db *DB, a *Attempt, forget ...string) {
	tb.Helper()
	if err := db.EndAttempt(context.Background(), a, forget...); err != nil {
		tb.Fatal(err)
	}
}

func attemptRows(tb testing.TB, db *DB) int {
	tb.Helper()
	var n int
	if err := db.ro.Get(&n, `SELECT COUNT(*) FROM login_attempts`); err != nil {
		tb.Fatal(err)
	}
	return n
}

// TestReserveAttempt: free attempts, then a delay after the last failure
// that doubles up to the cap; a success forgets; failures leave the
// window.
func TestReserveAttempt(t *testing.T) {
	db := openTestDB(t)
	now := db.Now()
	db.Now = func() time.Time { return now }
	k := ThrottleKey{"user:ann|1.2.3.4", testRule}
	mustFail := func() {
		t.Helper()
		a, r := reserve(t, db, k)
		if a == nil {
			t.Fatalf("refused until %v", r.Until)
		}
		fail(t, db, a)
	}
	for range testRule.Free {
		mustFail()
	}
	for _, delay := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second} {
		if a, r := reserve(t, db, k); a != nil || r.Key != 0 || !r.Until.Equal(now.Add(delay)) {
			t.Fatalf("reserved %v, may try at %v; want a wait of %v", a != nil, r.Until, delay)
		}
		now = now.Add(delay)
		mustFail()
	}
	now = now.Add(8 * time.Second)
	a, _ := reserve(t, db, k)
	if a == nil {
		t.Fatal("refused after the delay")
	}
	end(t, db, a, k.Key)
	if a, _ := reserve(t, db, k); a == nil {
		t.Error("refused after a success")
	} else {
		end(t, db, a)
	}
	for range testRule.Free {
		mustFail()
	}
	now = now.Add(testRule.Window + time.Second)
	if a, _ := reserve(t, db, k); a == nil {
		t.Error("refused after the window")
	} else {
		end(t, db, a)
	}
	if n := attemptRows(t, db); n != 0 {
		t.Errorf("%d rows left after the window and a release, want 0", n)
	}
}

// TestReserveAttemptAtomically: attempts running count as failures, and
// a refusal by one key reserves nothing on the others.
func TestReserveAttemptAtomically(t *testing.T) {
	db := openTestDB(t)
	k := ThrottleKey{"user:ann|1.2.3.4", testRule}
	var held []*Attempt
	for range testRule.Free {
		a, _ := reserve(t, db, k)
		if a == nil {
			t.Fatal("refused within the free attempts")
		}
		held = append(held, a)
	}
	if a, r := reserve(t, db, k); a != nil || !r.Until.Equal(db.Now().Add(testRule.Base)) {
		t.Fatalf("reserved %v while %d run, until %v", a != nil, testRule.Free, r.Until)
	}
	ip := ThrottleKey{"ip:5.6.7.8", ThrottleRule{Free: 5, Base: time.Second, Max: time.Minute, Window: 10 * time.Minute}}
	other := ThrottleKey{"user:bob|5.6.7.8", testRule}
	for range ip.Rule.Free {
		a, _ := reserve(t, db, ip)
		fail(t, db, a)
	}
	if a, r := reserve(t, db, other, ip); a != nil || r.Key != 1 {
		t.Fatalf("reserved %v, refused by key %d; want the address (1) to wait", a != nil, r.Key)
	}
	// Had the refusal left a row on other, its last free attempt would
	// now be refused.
	for i := range testRule.Free {
		a, _ := reserve(t, db, other)
		if a == nil {
			t.Fatalf("free attempt %d of another key refused after a refusal by the address", i+1)
		}
		held = append(held, a)
	}
	for _, a := range held {
		end(t, db, a)
	}
	if a, _ := reserve(t, db, k); a == nil {
		t.Error("refused once the running attempts ended without failing")
	}
}

// TestAttemptTimeout: an attempt never finished (its process died) stops
// holding the others up after AttemptTimeout and counts as a failure at
// its reservation, which then leaves the window like any failure.
func TestAttemptTimeout(t *testing.T) {
	db := openTestDB(t)
	start := db.Now()
	now := start
	db.Now = func() time.Time { return now }
	k := ThrottleKey{"user:ann|1.2.3.4", testRule}
	for range testRule.Free {
		a, _ := reserve(t, db, k)
		if a == nil {
			t.Fatal("refused within the free attempts")
		}
	}
	now = now.Add(AttemptTimeout - time.Millisecond)
	if a, _ := reserve(t, db, k); a != nil {
		t.Fatal("reserved while the others may still run")
	}
	// Three failures at start: the delay after them is a second long.
	now = start.Add(AttemptTimeout)
	a, r := reserve(t, db, k)
	if a == nil {
		t.Fatalf("refused until %v after the attempts timed out", r.Until)
	}
	fail(t, db, a)
	// Four failures now: the next waits two seconds.
	if a, r := reserve(t, db, k); a != nil || !r.Until.Equal(now.Add(2*time.Second)) {
		t.Fatalf("reserved %v, until now%+v; want a wait of 2s after four failures", a != nil, r.Until.Sub(now))
	}
	// The stale ones leave the window from their reservation: one
	// failure is left, within the free attempts.
	now = start.Add(testRule.Window + time.Millisecond)
	if a, r := reserve(t, db, k); a == nil {
		t.Fatalf("refused until %v once the stale attempts left the window", r.Until)
	}
	if n := attemptRows(t, db); n != 2 {
		t.Errorf("%d rows, want the failure and the attempt running", n)
	}
}

func TestThrottleKeyLength(t *testing.T) {
	db := openTestDB(t)
	for _, key := range []string{"", string(make([]byte, MaxThrottleKey+1))} {
		if _, _, err := db.ReserveAttempt(context.Background(), []ThrottleKey{{key, testRule}}); ErrorCode(err) != EInvalid {
			t.Errorf("key of %d bytes: %v, want invalid", len(key), err)
		}
	}
	if n := attemptRows(t, db); n != 0 {
		t.Errorf("%d rows reserved", n)
	}
}

// openTwice opens one new database twice, as two replicas would, with one
// clock.
func openTwice(t *testing.T) (*DB, *DB, *time.Time) {
	t.Helper()
	target := storetest.Target(t)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var dbs [2]*DB
	for i := range dbs {
		db, err := Open(context.Background(), target)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		db.Now = func() time.Time { return now }
		dbs[i] = db
	}
	return dbs[0], dbs[1], &now
}

// TestThrottleShared: what one replica counts, the other sees.
func TestThrottleShared(t *testing.T) {
	a, b, now := openTwice(t)
	k := ThrottleKey{"user:ann|1.2.3.4", testRule}
	for i := range testRule.Free {
		db := []*DB{a, b}[i%2]
		at, _ := reserve(t, db, k)
		if at == nil {
			t.Fatalf("free attempt %d refused", i+1)
		}
		fail(t, db, at)
	}
	for _, db := range []*DB{a, b} {
		if at, r := reserve(t, db, k); at != nil || !r.Until.Equal(now.Add(time.Second)) {
			t.Errorf("after %d failures on both replicas: reserved %v, until %v", testRule.Free, at != nil, r.Until)
		}
	}
	// A success on one forgets the failures on both.
	*now = now.Add(time.Second)
	at, _ := reserve(t, a, k)
	if at == nil {
		t.Fatal("refused after the delay")
	}
	end(t, a, at, k.Key)
	if at, _ := reserve(t, b, k); at == nil {
		t.Error("the other replica still counts the forgotten failures")
	}
}

// TestThrottleSharedBurst: parallel reservations on two replicas get no
// more than the free attempts between them.
func TestThrottleSharedBurst(t *testing.T) {
	a, b, _ := openTwice(t)
	keys := []ThrottleKey{
		{"user:ann|1.2.3.4", ThrottleRule{Free: 5, Base: time.Second, Max: 15 * time.Minute, Window: 15 * time.Minute}},
		{"ip:1.2.3.4", ThrottleRule{Free: 20, Base: time.Second, Max: time.Minute, Window: 15 * time.Minute}},
	}
	const burst = 60
	var reserved, refused atomic.Int64
	var wg sync.WaitGroup
	for i := range burst {
		db := []*DB{a, b}[i%2]
		wg.Go(func() {
			at, _, err := db.ReserveAttempt(context.Background(), keys)
			switch {
			case err != nil:
				t.Errorf("reservation %d: %v", i, err)
			case at != nil:
				reserved.Add(1)
			default:
				refused.Add(1)
			}
		})
	}
	wg.Wait()
	if got := reserved.Load(); got != int64(keys[0].Rule.Free) || refused.Load() != burst-got {
		t.Errorf("%d reserved, %d refused of %d parallel attempts on two replicas; want %d reserved", got, refused.Load(), burst, keys[0].Rule.Free)
	}
	if n := attemptRows(t, a); n != 2*keys[0].Rule.Free {
		t.Errorf("%d rows, want %d", n, 2*keys[0].Rule.Free)
	}
}

// TestAttemptsBounded: a flood of made-up keys keeps the table under its
// cap, and rows that left their windows are swept though their keys never
// come back.
func TestAttemptsBounded(t *testing.T) {
	db := openTestDB(t)
	now := db.Now()
	db.Now = func() time.Time { return now }
	db.attemptLimits.rows, db.attemptLimits.every = 200, 10
	held, _ := reserve(t, db, ThrottleKey{"user:running", testRule})
	for i := range 1000 {
		a, _ := reserve(t, db, ThrottleKey{fmt.Sprintf("user:made-up-%d|1.2.3.4", i), testRule})
		if a == nil {
			t.Fatalf("a new key's first attempt refused")
		}
		fail(t, db, a)
		if n := attemptRows(t, db); n > 200 {
			t.Fatalf("%d rows after %d attempts, cap 200", n, i+1)
		}
	}
	// The attempt running survives the flood: it may still fail.
	var pending int
	if err := db.ro.Get(&pending, `SELECT COUNT(*) FROM login_attempts WHERE id = ? AND pending = 1`, held.ids[0]); err != nil || pending != 1 {
		t.Errorf("the attempt running was swept: %d rows, %v", pending, err)
	}
	end(t, db, held)
	now = now.Add(testRule.Window)
	for i := range 10 {
		a, _ := reserve(t, db, ThrottleKey{fmt.Sprintf("user:later-%d|1.2.3.4", i), testRule})
		fail(t, db, a)
	}
	if n := attemptRows(t, db); n > 10 {
		t.Errorf("%d rows after the window, want the 10 new ones at most", n)
	}
}
