package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// hangGuard bounds how long a test waits for something that should happen
// before it fails instead of hanging. It is not a timing assertion.
const hangGuard = time.Minute

// recv returns the next value of ch, or fails the test after hangGuard.
func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(hangGuard):
		t.Fatalf("hung waiting for %s", what)
		panic("unreachable")
	}
}

// TestPasswordGateLimit runs many checks at once through a gate of n slots:
// no more than n ever run together, and n do (the gate does not serialise).
func TestPasswordGateLimit(t *testing.T) {
	const n, total = 3, 40
	g := newPasswordGate(n)
	var cur, peak atomic.Int64
	entered := make(chan struct{}, total)
	release := make(chan struct{})
	errs := make(chan error, total)
	for range total {
		go func() {
			errs <- g.do(context.Background(), func() error {
				c := cur.Add(1)
				defer cur.Add(-1)
				for p := peak.Load(); c > p && !peak.CompareAndSwap(p, c); p = peak.Load() {
				}
				entered <- struct{}{}
				<-release
				return nil
			})
		}()
	}
	for i := range n { // the first n checks are all inside at once
		recv(t, entered, fmt.Sprintf("check %d of the first %d to start", i+1, n))
	}
	close(release)
	for range total {
		if err := recv(t, errs, "a check to end"); err != nil {
			t.Errorf("check failed: %v", err)
		}
	}
	if p := peak.Load(); p != n {
		t.Errorf("%d checks ran at once, want %d", p, n)
	}
	if p := g.peak.Load(); p != n {
		t.Errorf("the gate counted %d checks at once, want %d", p, n)
	}
	if c := g.checks.Load(); c != total {
		t.Errorf("the gate counted %d checks, want %d", c, total)
	}
	if r, l := g.running.Load(), len(g.slots); r != 0 || l != 0 {
		t.Errorf("after all checks: %d running, %d slots taken", r, l)
	}
}

// TestPasswordGateShortDeadline: with less time left than one check takes,
// the gate refuses at once, even with free slots, and runs nothing.
func TestPasswordGateShortDeadline(t *testing.T) {
	g := newPasswordGate(2)
	g.cost = time.Hour // the estimate, far above the deadline
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ran := false
	err := g.do(ctx, func() error { ran = true; return nil })
	if !errors.Is(err, errPasswordsBusy) {
		t.Errorf("got %v, want errPasswordsBusy", err)
	}
	if ran || g.checks.Load() != 0 {
		t.Errorf("the check ran (%v, %d checks)", ran, g.checks.Load())
	}
	if g.rejected.Load() != 1 || len(g.slots) != 0 {
		t.Errorf("rejected %d, %d slots taken", g.rejected.Load(), len(g.slots))
	}

	// A deadline already passed is refused the same way.
	ctx, cancel = context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	if err := g.do(ctx, func() error { ran = true; return nil }); !errors.Is(err, errPasswordsBusy) || ran {
		t.Errorf("past deadline: got %v, ran %v", err, ran)
	}
}

// TestPasswordGateCancel: a request cancelled while it waits for a slot
// returns at once with its context's error and leaves the slot free.
func TestPasswordGateCancel(t *testing.T) {
	g := newPasswordGate(1)
	entered, release, first := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		first <- g.do(context.Background(), func() error { close(entered); <-release; return nil })
	}()
	recv(t, entered, "the first check to start")

	ctx, cancel := context.WithCancel(context.Background())
	ran := false
	second := make(chan error, 1)
	go func() { second <- g.do(ctx, func() error { ran = true; return nil }) }()
	for g.waiting.Load() != 1 { // until the second request waits
		runtime.Gosched()
	}
	cancel()
	if err := recv(t, second, "the cancelled request to return"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled wait: got %v, want context.Canceled", err)
	}
	if ran {
		t.Error("the cancelled request ran its check")
	}
	if w, l := g.waiting.Load(), len(g.slots); w != 0 || l != 1 {
		t.Errorf("after the cancel: %d waiting, %d slots taken, want 0 and 1 (the first check's)", w, l)
	}

	close(release)
	if err := recv(t, first, "the first check to end"); err != nil {
		t.Fatal(err)
	}
	// The slot is free: the next check gets it.
	third := make(chan error, 1)
	go func() { third <- g.do(context.Background(), func() error { return nil }) }()
	if err := recv(t, third, "a check after the cancel"); err != nil {
		t.Error(err)
	}
	if c := g.checks.Load(); c != 2 {
		t.Errorf("%d checks ran, want 2", c)
	}
}

// TestPasswordGateCost: the estimate follows measured checks, within
// bounds, and checks that never reached bcrypt do not count.
func TestPasswordGateCost(t *testing.T) {
	g := newPasswordGate(1)
	if got := g.expectedCost(); got != initialCheckCost {
		t.Errorf("before any check: %v, want %v", got, initialCheckCost)
	}
	g.observe(300 * time.Millisecond) // the first measurement replaces the guess
	if got, want := g.expectedCost(), 300*time.Millisecond; got != want {
		t.Errorf("after one check: %v, want %v", got, want)
	}
	g.observe(1100 * time.Millisecond) // later ones count for 1/8
	if got, want := g.expectedCost(), 400*time.Millisecond; got != want {
		t.Errorf("after a slow check: %v, want %v", got, want)
	}
	g.observe(time.Hour)
	if got := g.expectedCost(); got > maxCheckCost {
		t.Errorf("estimate %v above %v", got, maxCheckCost)
	}
	if hashed(errors.New("find user: disk I/O error")) || !hashed(nil) {
		t.Error("hashed: wrong for an internal error or success")
	}
}

// newLoginClient returns a visitor's HTTP client, with its CSRF cookie,
// and the CSRF token to post with it.
func newLoginClient(t *testing.T, srv *httptest.Server) (*http.Client, string) {
	t.Helper()
	c := newClient(t, srv)
	c.get("/login") // the CSRF cookie and token of a visitor
	if c.csrf == "" {
		t.Fatal("no CSRF token on /login")
	}
	c.http.Timeout = hangGuard
	return c.http, c.csrf
}

// postLogin posts the log-in form. It is safe to call from any goroutine:
// it returns an error rather than failing the test.
func postLogin(hc *http.Client, srv *httptest.Server, csrf, username, password string) (*http.Response, error) {
	form := url.Values{"username": {username}, "password": {password}, "csrf": {csrf}}
	resp, err := hc.Post(srv.URL+"/login", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	return resp, nil
}

// TestPasswordLoginBurst sends many log-ins with the right password at
// once through the real router: each is logged in or told the server is
// busy, nothing else, and at least one per core gets in.
func TestPasswordLoginBurst(t *testing.T) {
	const burst = 32
	s, _ := newTestServer(t)
	// This test is about the password gate: the log-in throttle, which
	// would refuse most of a burst for one user, is out of its way.
	lax := throttleRule{Free: 1000, Base: time.Second, Max: time.Second, Window: time.Minute}
	s.logins = newThrottle(s.db, s.log, map[string]throttleRule{"user": lax, "ip": lax})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	newClient(t, srv).signUp("admin", "admin-password")
	clients, tokens := make([]*http.Client, burst), make([]string, burst)
	for i := range burst {
		clients[i], tokens[i] = newLoginClient(t, srv)
	}
	g := passwordChecks()
	before := g.checks.Load()

	type result struct {
		status int
		retry  string
		err    error
	}
	results := make(chan result, burst)
	var start sync.WaitGroup
	start.Add(1)
	for i := range burst {
		go func() {
			start.Wait()
			resp, err := postLogin(clients[i], srv, tokens[i], "admin", "admin-password")
			if err != nil {
				results <- result{err: err}
				return
			}
			results <- result{status: resp.StatusCode, retry: resp.Header.Get("Retry-After")}
		}()
	}
	start.Done()
	ok, busy, turnedAway := 0, 0, 0
	for range burst {
		r := recv(t, results, "a log-in response")
		switch {
		case r.err != nil:
			t.Errorf("log-in: %v", r.err)
		case r.status == http.StatusSeeOther:
			ok++
		case r.status == http.StatusServiceUnavailable:
			// From the gate, with Retry-After; or, on a slow machine,
			// a check that started in time but ended too late for the
			// session to be stored.
			busy++
			if r.retry == "1" {
				turnedAway++
			}
		default:
			t.Errorf("log-in: status %d", r.status)
		}
	}
	checks := int(g.checks.Load() - before)
	t.Logf("%d logged in, %d busy (%d turned away by the gate); %d password checks", ok, busy, turnedAway, checks)
	if n := runtime.GOMAXPROCS(0); ok < min(n, burst) {
		t.Errorf("%d log-ins succeeded, want at least %d (GOMAXPROCS)", ok, n)
	}
	// Each log-in took one check, and no request the gate turned away
	// ran one.
	if checks < ok || checks > burst-turnedAway {
		t.Errorf("%d password checks for %d log-ins and %d requests turned away", checks, ok, turnedAway)
	}
	if p, n := g.peak.Load(), int64(runtime.GOMAXPROCS(0)); p > n {
		t.Errorf("%d password checks ran at once, more than GOMAXPROCS %d", p, n)
	}
}

// TestPasswordLoginShortDeadline: a log-in with less time left than one
// password check answers 503 with Retry-After at once, without hashing,
// and is not counted as a failed log-in by the throttles.
func TestPasswordLoginShortDeadline(t *testing.T) {
	s, _ := newTestServer(t)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	newClient(t, srv).signUp("alice", "alice-password")

	// A visitor's CSRF token, sent as cookie and field.
	rec := get(t, s, "/login")
	token := ""
	for _, ck := range rec.Result().Cookies() {
		if ck.Name == csrfCookie {
			token = ck.Value
		}
	}
	if token == "" {
		t.Fatal("no CSRF cookie on /login")
	}

	g := passwordChecks()
	login := func(password string) *httptest.ResponseRecorder {
		t.Helper()
		// Half a check's time left: too little to start one.
		ctx, cancel := context.WithTimeout(context.Background(), g.expectedCost()/2)
		defer cancel()
		form := url.Values{"username": {"alice"}, "password": {password}, "csrf": {token}}
		req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(form.Encode())).WithContext(ctx)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: csrfCookie, Value: token})
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec
	}

	before := g.checks.Load()
	// More wrong passwords than the per-user throttle allows: none is a
	// failure, since none was checked.
	for i := range LoginFreeAttempts + 1 {
		rec := login("wrong-password")
		if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != "1" {
			t.Fatalf("log-in %d with a short deadline: %d, Retry-After %q", i, rec.Code, rec.Header().Get("Retry-After"))
		}
	}
	if got := g.checks.Load(); got != before {
		t.Errorf("%d password checks ran for requests turned away", got-before)
	}

	// With the full deadline the same visitor logs in: not throttled.
	c := newClient(t, srv)
	if resp := c.logIn("alice", "alice-password"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("log-in after busy answers: %d, want 303", resp.StatusCode)
	}
	if got := g.checks.Load() - before; got != 1 {
		t.Errorf("%d password checks for one log-in, want 1", got)
	}
}

// TestPasswordSignUpGated: sign-up hashes through the gate.
func TestPasswordSignUpGated(t *testing.T) {
	s, _ := newTestServer(t)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	g := passwordChecks()
	before := g.checks.Load()
	newClient(t, srv).signUp("alice", "alice-password")
	if got := g.checks.Load() - before; got != 1 {
		t.Errorf("%d password checks for one sign-up, want 1", got)
	}
}

// TestPasswordLoginBurstShortDeadlines sends a burst of log-ins whose
// deadlines leave room for a few checks only, the overload of the load
// test in small: the rest are turned away with 503 rather than hashed
// late, and nothing else goes wrong. How many get in depends on the
// machine, so the test only logs it.
func TestPasswordLoginBurstShortDeadlines(t *testing.T) {
	const burst = 32
	s, _ := newTestServer(t)
	lax := throttleRule{Free: 1000, Base: time.Second, Max: time.Second, Window: time.Minute}
	s.logins = newThrottle(s.db, s.log, map[string]throttleRule{"user": lax, "ip": lax}) // see TestPasswordLoginBurst
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	c := newClient(t, srv)
	c.signUp("alice", "alice-password")
	if resp := c.logIn("alice", "alice-password"); resp.StatusCode != http.StatusSeeOther { // a measured check
		t.Fatalf("log-in: %d", resp.StatusCode)
	}
	rec := get(t, s, "/login")
	token := ""
	for _, ck := range rec.Result().Cookies() {
		if ck.Name == csrfCookie {
			token = ck.Value
		}
	}
	g := passwordChecks()
	timeout := 4 * g.expectedCost()
	before, rejectedBefore := g.checks.Load(), g.rejected.Load()

	codes := make(chan int, burst)
	var start sync.WaitGroup
	start.Add(1)
	for range burst {
		go func() {
			start.Wait()
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			form := url.Values{"username": {"alice"}, "password": {"alice-password"}, "csrf": {token}}
			req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(form.Encode())).WithContext(ctx)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.AddCookie(&http.Cookie{Name: csrfCookie, Value: token})
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			codes <- rec.Code
		}()
	}
	start.Done()
	ok, busy := 0, 0
	for range burst {
		switch code := recv(t, codes, "a log-in response"); code {
		case http.StatusSeeOther:
			ok++
		case http.StatusServiceUnavailable:
			busy++
		default:
			t.Errorf("log-in: status %d", code)
		}
	}
	t.Logf("deadline %v: %d logged in, %d busy; %d checks ran, %d turned away by the gate",
		timeout, ok, busy, g.checks.Load()-before, g.rejected.Load()-rejectedBefore)
	if p, n := g.peak.Load(), int64(runtime.GOMAXPROCS(0)); p > n {
		t.Errorf("%d password checks ran at once, more than GOMAXPROCS %d", p, n)
	}
}
