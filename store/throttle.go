package store

// The log-in throttle's state lives here, in the login_attempts table,
// so that every replica on one database shares it and none forgives on
// restart. The web package says which keys an attempt counts against and
// which rule each follows (web.loginRules); the store decides, inside the
// reservation's write transaction, whether the attempt may be made: a
// decision taken outside it could be stale by the time the row is
// written, and parallel guesses on several replicas would each see the
// free attempts unused. The rule itself (ThrottleRule.wait) is a pure
// function of the key's rows, so it is tested without a database.
//
// Each attempt is a row per key: pending while its password is checked,
// then a failure until it leaves its key's window, or deleted when the
// check did not fail. A pending row counts as a failure at once (a burst
// of parallel guesses gets no more checks than the free attempts allow),
// and a row still pending AttemptTimeout after it was reserved is taken
// as a failure at its reservation: the process that held it died.

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// ThrottleRule is the allowance of one kind of throttle key: Free
// attempts without delay in Window; after them, each attempt must wait
// after the key's last failure for Base, doubling with every further
// failure, up to Max, and attempts beyond Free run one at a time. It
// never locks anyone out for longer than Max, and a key's failures leave
// the window one by one.
type ThrottleRule struct {
	Free   int           // attempts without delay in the window
	Base   time.Duration // the delay after the first failure beyond Free
	Max    time.Duration // the longest delay
	Window time.Duration // how long a failure counts
}

// wait returns when an attempt of a key may be made, given the key's
// failures in the window (how many, and the time of the latest), its
// attempts running and the time now; ok reports that it may be made now.
func (r ThrottleRule) wait(fails int, last time.Time, pending int, now time.Time) (until time.Time, ok bool) {
	n := fails + pending
	if n < r.Free {
		return time.Time{}, true
	}
	if pending > 0 {
		// Beyond the free attempts, one at a time.
		return now.Add(r.Base), false
	}
	if fails == 0 {
		// Free is 0 and nothing failed: there is no failure to wait after.
		return time.Time{}, true
	}
	delay := r.Base << min(n-r.Free, 30)
	if delay > r.Max || delay <= 0 {
		delay = r.Max
	}
	if at := last.Add(delay); now.Before(at) {
		return at, false
	}
	return time.Time{}, true
}

// ThrottleKey is one key an attempt counts against (such as a username
// from one address, or an address), and the rule it follows.
type ThrottleKey struct {
	Key  string
	Rule ThrottleRule
}

// MaxThrottleKey is the longest throttle key, in bytes, the store takes:
// a megabyte of made-up username must not be a megabyte of table.
const MaxThrottleKey = 256

// AttemptTimeout is how long an attempt may stay pending: after it, the
// attempt counts as a failure at the time it was reserved, as if it had
// failed then (its process died before saying how the check went). It is
// far longer than any password check may take.
const AttemptTimeout = time.Minute

// The cap on login_attempts. A flood of made-up usernames or addresses
// makes a row per attempt that no later attempt of its key prunes: every
// attemptSweepEvery rows reserved through one DB, the expired rows are
// deleted, and when more than 90% of maxAttemptRows remain, the rows
// closest to leaving their windows (and not pending) go until 80% is
// left. The table then holds at most 90% of the cap plus
// attemptSweepEvery rows per replica. Forgetting a failure early gives
// back at most one attempt of its key, which a flood of new keys would
// have had anyway.
const (
	maxAttemptRows    = 100_000
	attemptSweepEvery = 1_000
)

// Attempt is a password check reserved under the throttle, until
// FailAttempt or EndAttempt says how it went.
type Attempt struct {
	ids []int64 // its rows, one per key
}

// Refusal says why an attempt was not reserved: which key must wait, and
// until when.
type Refusal struct {
	Key   int       // the index of the key in ReserveAttempt's keys
	Until time.Time // when the attempt may be made
}

// ReserveAttempt reserves an attempt for every key, or for none, in one
// write transaction: it returns the attempt, or nil and the first key
// that must wait. Rows of the keys that have left their windows are
// deleted on the way.
func (db *DB) ReserveAttempt(ctx context.Context, keys []ThrottleKey) (*Attempt, Refusal, error) {
	if len(keys) == 0 {
		return nil, Refusal{}, Errorf(EInvalid, "An attempt counts against at least one key.")
	}
	for _, k := range keys {
		if k.Key == "" || len(k.Key) > MaxThrottleKey {
			return nil, Refusal{}, Errorf(EInvalid, "A throttle key has 1 to %d bytes.", MaxThrottleKey)
		}
	}
	if err := db.maybeSweepAttempts(ctx, len(keys)); err != nil {
		return nil, Refusal{}, err
	}
	var a *Attempt
	var refused Refusal
	err := db.writeAttempts(ctx, db.attemptSlots.reserve, func(tx *sqlx.Tx) error {
		// From scratch: on PostgreSQL this may run again.
		a, refused = nil, Refusal{}
		now := timeMS(db.now())
		stale := now.Add(-AttemptTimeout).UnixMilli()
		// What has left its key's window no longer counts: a failure, or
		// an attempt pending for so long that it counts as one.
		expired := sqlPart{sql: "("}
		names := make([]any, len(keys))
		for i, k := range keys {
			if i > 0 {
				expired.sql += " OR "
			}
			expired.sql += "(throttle_key = ? AND at <= ?)"
			expired.args = append(expired.args, k.Key, now.Add(-k.Rule.Window).UnixMilli())
			names[i] = k.Key
		}
		expired.sql += ")"
		del := and(expired, sqlPart{"(pending = 0 OR at <= ?)", []any{stale}})
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_attempts WHERE `+del.sql, del.args...); err != nil {
			return err
		}
		var counts []struct {
			Key     string `db:"throttle_key"`
			Fails   int
			Last    int64
			Pending int
		}
		ofKeys := oneOf("throttle_key", names)
		if err := tx.SelectContext(ctx, &counts, `SELECT throttle_key,
			SUM(CASE WHEN pending = 0 OR at <= ? THEN 1 ELSE 0 END) AS fails,
			COALESCE(MAX(CASE WHEN pending = 0 OR at <= ? THEN at END), 0) AS last,
			SUM(CASE WHEN pending = 1 AND at > ? THEN 1 ELSE 0 END) AS pending
			FROM login_attempts WHERE `+ofKeys.sql+` GROUP BY throttle_key`, args([]any{stale, stale, stale}, ofKeys.args)...); err != nil {
			return err
		}
		for i, k := range keys {
			var fails, pending int
			var last int64
			for _, c := range counts {
				if c.Key == k.Key {
					fails, last, pending = c.Fails, c.Last, c.Pending
				}
			}
			if until, ok := k.Rule.wait(fails, timeMS(last), pending, now); !ok {
				refused = Refusal{Key: i, Until: until}
				return nil
			}
		}
		var rows sqlPart
		for i, k := range keys {
			if i > 0 {
				rows.sql += ", "
			}
			rows.sql += "(?, ?, ?, 1)"
			rows.args = append(rows.args, k.Key, now.UnixMilli(), now.Add(k.Rule.Window).UnixMilli())
		}
		res := &Attempt{}
		if err := tx.SelectContext(ctx, &res.ids, `INSERT INTO login_attempts (throttle_key, at, expires_at, pending) VALUES `+rows.sql+` RETURNING id`, rows.args...); err != nil {
			return err
		}
		a = res
		return nil
	})
	if err != nil {
		return nil, Refusal{}, fmt.Errorf("reserve attempt: %w", err)
	}
	return a, refused, nil
}

// FailAttempt records the reserved attempt as a failure for every key,
// counted from now.
func (db *DB) FailAttempt(ctx context.Context, a *Attempt) error {
	err := db.writeAttempts(ctx, db.attemptSlots.finish, func(tx *sqlx.Tx) error {
		now := db.now()
		ids := oneOf("id", a.rows())
		// A row keeps its window (expires_at - at), from now. A row swept
		// meanwhile stays forgotten.
		_, err := tx.ExecContext(ctx, `UPDATE login_attempts SET pending = 0, expires_at = expires_at - at + ?, at = ? WHERE `+ids.sql,
			args([]any{now, now}, ids.args)...)
		return err
	})
	if err != nil {
		return fmt.Errorf("record failed attempt: %w", err)
	}
	return nil
}

// EndAttempt ends the reserved attempt without a failure (its check
// succeeded, or never ran), and forgets the failures of the keys in
// forget.
func (db *DB) EndAttempt(ctx context.Context, a *Attempt, forget ...string) error {
	err := db.writeAttempts(ctx, db.attemptSlots.finish, func(tx *sqlx.Tx) error {
		gone := oneOf("id", a.rows())
		if len(forget) > 0 {
			// Attempts of those keys still running stay: they may yet
			// fail.
			names := make([]any, len(forget))
			for i, k := range forget {
				names[i] = k
			}
			fails := and(oneOf("throttle_key", names), sqlPart{"(pending = 0 OR at <= ?)", []any{db.now() - AttemptTimeout.Milliseconds()}})
			gone = sqlPart{"(" + gone.sql + " OR (" + fails.sql + "))", args(gone.args, fails.args)}
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM login_attempts WHERE `+gone.sql, gone.args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("end attempt: %w", err)
	}
	return nil
}

// rows returns the ids of the attempt's rows, as query arguments.
func (a *Attempt) rows() []any {
	out := make([]any, len(a.ids))
	for i, id := range a.ids {
		out[i] = id
	}
	return out
}

// oneOf is the condition that column is one of values (at least one).
func oneOf(column string, values []any) sqlPart {
	return sqlPart{column + " IN (?" + strings.Repeat(", ?", len(values)-1) + ")", values}
}

// maybeSweepAttempts sweeps login_attempts when the n rows about to be
// reserved take this DB's count of rows reserved past a multiple of
// attemptSweepEvery. The count is the process's own: it only spreads the
// sweeps out, and every replica sweeps after its share of the rows.
func (db *DB) maybeSweepAttempts(ctx context.Context, n int) error {
	every := int64(db.attemptLimits.every)
	if every == 0 {
		every = attemptSweepEvery
	}
	after := db.attemptRows.Add(int64(n))
	if (after-int64(n))/every == after/every {
		return nil
	}
	return db.sweepAttempts(ctx)
}

// sweepAttempts deletes the rows that have left their windows, then, if
// more than 90% of the cap remain, the rows closest to leaving theirs
// until 80% is left, sparing attempts running.
func (db *DB) sweepAttempts(ctx context.Context) error {
	limit := db.attemptLimits.rows
	if limit == 0 {
		limit = maxAttemptRows
	}
	err := db.writeAttempts(ctx, db.attemptSlots.reserve, func(tx *sqlx.Tx) error {
		now := db.now()
		_, err := tx.ExecContext(ctx, `DELETE FROM login_attempts WHERE expires_at <= ? AND (pending = 0 OR at <= ?)`,
			now, now-AttemptTimeout.Milliseconds())
		return err
	})
	if err != nil {
		return fmt.Errorf("sweep attempts: %w", err)
	}
	// Counted outside a write, which on PostgreSQL would hold every
	// reservation up meanwhile (see writeAttempts).
	var rows int
	if err := db.ro.GetContext(ctx, &rows, `SELECT COUNT(*) FROM login_attempts`); err != nil {
		return fmt.Errorf("count attempts: %w", err)
	}
	if rows <= limit*9/10 {
		return nil
	}
	err = db.writeAttempts(ctx, db.attemptSlots.reserve, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM login_attempts WHERE id IN (
			SELECT id FROM login_attempts WHERE pending = 0 OR at <= ? ORDER BY expires_at LIMIT ?)`,
			db.now()-AttemptTimeout.Milliseconds(), rows-limit*8/10)
		return err
	})
	if err != nil {
		return fmt.Errorf("cap attempts: %w", err)
	}
	return nil
}

// writeAttempts runs fn in a write transaction that is the only one
// writing login_attempts until it ends. On SQLite it already is (one
// writer per database). On PostgreSQL, SERIALIZABLE alone would keep
// reservations correct, but parallel ones, for one address above all,
// nearly always conflict (each reads the rows the other inserts) and ran
// again so often that some gave up busy. So fn's transaction first locks
// the table, before taking its snapshot (LOCK TABLE takes none), and
// throttle writes queue instead of conflicting, each seeing the ones
// before it; reads do not wait. A throttle write is a few short
// statements, committed without waiting for the WAL flush: a crash of
// PostgreSQL may forget its last moment of attempts, as a restart forgave
// every attempt when they were kept in memory.
//
// Throttle writes wait for one of the process's slots first (slots is
// nil on SQLite), so that a burst of log-ins waits in Go, not holding
// every pooled connection in the lock's queue, and reservations have
// their own slots apart from the writes that end attempts, so that a
// check's outcome is recorded without waiting behind the whole burst.
func (db *DB) writeAttempts(ctx context.Context, slots chan struct{}, fn func(tx *sqlx.Tx) error) error {
	if slots != nil {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		defer func() { <-slots }()
	}
	return db.write(ctx, func(tx *sqlx.Tx) error {
		if db.pg {
			if _, err := tx.ExecContext(ctx, `SET LOCAL synchronous_commit = off; LOCK TABLE login_attempts IN SHARE ROW EXCLUSIVE MODE`); err != nil {
				return err
			}
		}
		return fn(tx)
	})
}

// attemptSlots are the slots of writeAttempts, on PostgreSQL.
type attemptSlots struct {
	reserve, finish chan struct{}
}

// newAttemptSlots returns PostgreSQL's slots: two of each, so that one
// write waits for the lock while the other holds it.
func newAttemptSlots() attemptSlots {
	return attemptSlots{reserve: make(chan struct{}, 2), finish: make(chan struct{}, 2)}
}
