package web

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/flashd/flashd/store"
)

// Password checks (bcrypt, in store.DB.Authenticate, CreateUser and
// SignUpAndJoin) take tens of milliseconds of CPU each. Run all at once, a
// burst of log-ins shares the cores so thinly that almost none finishes
// before the request deadline, while the hashing goes on burning CPU for
// requests already answered 503. So they go through a gate: at most one
// check per core at a time, and a request that cannot start its check in
// time to finish it before its deadline gives up at once, without hashing.

// initialCheckCost is the expected duration of one password check until
// one has been measured: bcrypt at its default cost on one core.
const initialCheckCost = 100 * time.Millisecond

// Bounds on a measured check duration, so one odd sample (a stall, a clock
// jump) cannot make the estimate zero or absurd.
const (
	minCheckCost = time.Millisecond
	maxCheckCost = RequestTimeout
)

// errPasswordsBusy says a password check could not start in time.
var errPasswordsBusy = errors.New("too many password checks waiting")

// passwordGate is a semaphore for password checks that knows how long a
// check takes.
type passwordGate struct {
	slots chan struct{} // one element per check running

	mu       sync.Mutex
	cost     time.Duration // moving average of a check's duration
	measured bool          // cost is from measurements, not the initial guess

	// Counters, read by tests (and fit for metrics).
	checks   atomic.Int64 // checks started
	running  atomic.Int64 // checks running now
	peak     atomic.Int64 // most checks ever running at once
	waiting  atomic.Int64 // requests waiting for a slot now
	rejected atomic.Int64 // requests turned away busy
}

func newPasswordGate(slots int) *passwordGate {
	return &passwordGate{slots: make(chan struct{}, max(1, slots)), cost: initialCheckCost}
}

// passwordChecks is the process's gate. It is package-level because the
// resource it shares out, the CPU, belongs to the process, not to one
// Server: two servers in one process share the same cores. It is made on
// first use rather than at init, so that its size is GOMAXPROCS as the
// program has set it by then, not as it was before main ran.
var passwordChecks = sync.OnceValue(func() *passwordGate {
	return newPasswordGate(runtime.GOMAXPROCS(0))
})

// expectedCost returns the current estimate of one check's duration.
func (g *passwordGate) expectedCost() time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.cost
}

// observe adds a measured check duration to the moving average, like
// TCP's smoothed round-trip time (RFC 6298): the first measurement replaces
// the initial guess, later ones count for 1/8.
func (g *passwordGate) observe(d time.Duration) {
	d = min(max(d, minCheckCost), maxCheckCost)
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.measured {
		g.cost, g.measured = d, true
		return
	}
	g.cost += (d - g.cost) / 8
}

// do runs check once a slot is free. It waits at most until ctx's deadline
// less the expected cost of a check, and not at all when less time than
// that is left; then it returns errPasswordsBusy without running check.
// When ctx is cancelled while waiting, do returns ctx's error at once. A
// check that has started runs to its end: bcrypt cannot be interrupted.
func (g *passwordGate) do(ctx context.Context, check func() error) error {
	if err := g.ctxErr(ctx); err != nil {
		return err
	}
	var wait time.Duration = -1 // no deadline: wait until cancelled
	if deadline, ok := ctx.Deadline(); ok {
		if wait = time.Until(deadline) - g.expectedCost(); wait <= 0 {
			g.rejected.Add(1)
			return errPasswordsBusy
		}
	}
	select {
	case g.slots <- struct{}{}:
	default:
		if err := g.wait(ctx, wait); err != nil {
			return err
		}
	}
	defer func() { <-g.slots }()
	if err := g.ctxErr(ctx); err != nil {
		// The slot came free just as ctx ended.
		return err
	}

	g.checks.Add(1)
	n := g.running.Add(1)
	defer g.running.Add(-1) // before the slot is released
	for p := g.peak.Load(); n > p && !g.peak.CompareAndSwap(p, n); p = g.peak.Load() {
	}

	start := time.Now()
	err := check()
	if hashed(err) {
		// Even when ctx ended meanwhile: bcrypt ignores it, so the
		// sample is a true one, and dropping slow ones would bias the
		// estimate low just when checks are slow.
		g.observe(time.Since(start))
	}
	return err
}

// wait blocks until it has taken a slot, ctx ends, or (if wait >= 0) wait
// has passed.
func (g *passwordGate) wait(ctx context.Context, wait time.Duration) error {
	g.waiting.Add(1)
	defer g.waiting.Add(-1)
	var timeout <-chan time.Time
	if wait >= 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case g.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return g.ctxErr(ctx)
	case <-timeout:
		g.rejected.Add(1)
		return errPasswordsBusy
	}
}

// ctxErr returns ctx's error, with a passed deadline reported as
// errPasswordsBusy: the request ran out of time waiting.
func (g *passwordGate) ctxErr(ctx context.Context) error {
	err := ctx.Err()
	if errors.Is(err, context.DeadlineExceeded) {
		g.rejected.Add(1)
		return errPasswordsBusy
	}
	return err
}

// hashed reports whether a check that returned err ran bcrypt, so that its
// duration is a fair sample: store validates input (EInvalid) before
// hashing, and an internal error may come before it too.
func hashed(err error) bool {
	switch store.ErrorCode(err) {
	case "", store.EUnauthorized, store.EConflict, store.EForbidden, store.ENotFound:
		return true
	}
	return false
}

// checkPassword runs check, a store call that hashes or compares a
// password, through the process's password gate, with the request's
// context. When the check cannot start in time it answers 503 with
// Retry-After: 1, and check does not run.
//
// Every handler that reaches bcrypt calls the store through here, e.g.
//
//	var u *store.User
//	err := s.checkPassword(c, func(ctx context.Context) (err error) {
//		u, err = s.db.Authenticate(ctx, username, password)
//		return err
//	})
func (s *Server) checkPassword(c echo.Context, check func(ctx context.Context) error) error {
	ctx := c.Request().Context()
	err := passwordChecks().do(ctx, func() error { return check(ctx) })
	if errors.Is(err, errPasswordsBusy) {
		c.Response().Header().Set("Retry-After", "1")
		return &store.Error{Code: store.EBusy, Message: "The server is busy checking passwords: try again in a moment.", Err: err}
	}
	return err
}
