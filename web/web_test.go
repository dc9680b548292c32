package web

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/flashd/flashd/decks"
	"github.com/flashd/flashd/store"
	"github.com/flashd/flashd/store/storetest"
)

// newTestServer returns a server on a fresh database holding the built-in
// decks and the deck in src (if any).
func newTestServer(tb testing.TB, srcs ...string) (*Server, *store.DB) {
	tb.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, storetest.Target(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	builtin, err := decks.Builtin()
	if err != nil {
		tb.Fatal(err)
	}
	for _, src := range srcs {
		d, err := decks.Parse("test.md", []byte(src))
		if err != nil {
			tb.Fatal(err)
		}
		builtin = append(builtin, d)
	}
	for _, d := range builtin {
		if _, err := db.ImportDeck(ctx, d, store.ImportOptions{}); err != nil {
			tb.Fatal(err)
		}
	}
	s, err := New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		tb.Fatal(err)
	}
	return s, db
}

// get sends a GET through the real router and returns the response.
func get(tb testing.TB, h http.Handler, target string, header ...string) *httptest.ResponseRecorder {
	tb.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestHealthz(t *testing.T) {
	s, db := newTestServer(t)
	if rec := get(t, s, "/healthz"); rec.Code != 200 || rec.Body.String() != "ok" {
		t.Errorf("healthz: got %d %q", rec.Code, rec.Body)
	}
	db.Close()
	if rec := get(t, s, "/healthz"); rec.Code != http.StatusServiceUnavailable {
		t.Errorf("healthz on a closed database: got %d", rec.Code)
	}
}

// startServer serves a test server over loopback and returns a client
// logged in as the first user (an admin).
func startServer(tb testing.TB, srcs ...string) (*httptest.Server, *store.DB, *client) {
	tb.Helper()
	s, db := newTestServer(tb, srcs...)
	srv := httptest.NewServer(s)
	tb.Cleanup(srv.Close)
	admin := newClient(tb, srv)
	admin.signUp("admin", "admin-password")
	return srv, db, admin
}

const evilDeck = `---
id: evil
title: Evil <script>alert(1)</script> deck
---
### Is this safe? <img src=x onerror=alert(1)>
<script>alert(2)</script><a href="javascript:alert(3)">click</a>
<iframe src="https://example.com"></iframe><p onclick="alert(4)">text</p>
`

func TestPages(t *testing.T) {
	_, _, c := startServer(t, evilDeck)
	tests := []struct {
		name   string
		target string
		header []string
		status int
		has    []string
		not    []string
	}{
		{"dashboard", "/", nil, 200,
			[]string{`href="/decks/aws-dva-c02-containers"`, "<!doctype html>", `<script src="/static/htmx.min.js?v=`, `<meta name="csrf-token"`, "day streak"},
			[]string{"<script>alert"}},
		{"dashboard as fragment", "/", []string{"HX-Request", "true"}, 200,
			[]string{`href="/decks/aws-dva-c02-containers"`}, []string{"<!doctype html>"}},
		{"boosted link gets the whole page", "/", []string{"HX-Request", "true", "HX-Boosted", "true"}, 200,
			[]string{"<!doctype html>"}, nil},
		{"history restore gets the whole page", "/", []string{"HX-Request", "true", "HX-History-Restore-Request", "true"}, 200,
			[]string{"<!doctype html>"}, nil},
		{"deck list", "/decks", nil, 200, []string{`<a href="/decks/aws-dva-c02-containers">AWS DVA-C02 1.6`}, []string{"<script>alert"}},
		{"built-in deck", "/decks/aws-dva-c02-containers", nil, 200,
			[]string{"task execution role", "<table>", `<code class="language-sh">`, `class="cloze"`, "kind-scenario", `class="correct"`}, nil},
		{"sanitised deck", "/decks/evil", nil, 200,
			[]string{"Is this safe?", "click", "text"},
			[]string{"<script>alert", "onerror", "javascript:", "<iframe", "onclick"}},
		{"unknown deck", "/decks/nope", nil, 404, []string{"Deck &#34;nope&#34; not found."}, nil},
		{"unknown route", "/nope", nil, 404, nil, nil},
		{"review", "/review", nil, 200, []string{`name="token"`, `id="review"`, "Show answer"}, nil},
		{"review of traps", "/review?kind=trap", nil, 200, []string{"kind-trap", `name="kind" value="trap"`}, nil},
		{"review of an unknown kind", "/review?kind=bogus", nil, 400, nil, nil},
		{"leeches", "/leeches", nil, 200, []string{"No leeches"}, nil},
		{"settings", "/settings", nil, 200, []string{`name="retention"`, "Open sign-up"}, nil},
		{"static file", "/static/style.css", nil, 200, []string{"prefers-color-scheme: dark"}, nil},
		{"unknown static file", "/static/nope.js", nil, 404, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := c.get(tt.target, tt.header...)
			if resp.StatusCode != tt.status {
				t.Fatalf("GET %s: got status %d, want %d", tt.target, resp.StatusCode, tt.status)
			}
			for _, want := range tt.has {
				if !strings.Contains(body, want) {
					t.Errorf("GET %s: body lacks %q", tt.target, want)
				}
			}
			for _, bad := range tt.not {
				if strings.Contains(body, bad) {
					t.Errorf("GET %s: body has %q", tt.target, bad)
				}
			}
			h := resp.Header
			if !strings.Contains(strings.Join(h.Values("Vary"), ","), "HX-Request") {
				t.Errorf("GET %s: Vary is %q", tt.target, h.Values("Vary"))
			}
			if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
				t.Errorf("GET %s: CSP is %q", tt.target, csp)
			}
			if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" {
				t.Errorf("GET %s: security headers missing: %v", tt.target, h)
			}
		})
	}
}

func TestStaticCaching(t *testing.T) {
	s, _ := newTestServer(t)
	url := s.assets.url("htmx.min.js")
	rec := get(t, s, url)
	if rec.Code != 200 || !strings.Contains(rec.Header().Get("Cache-Control"), "immutable") {
		t.Errorf("GET %s: %d, Cache-Control %q", url, rec.Code, rec.Header().Get("Cache-Control"))
	}
	if ct := rec.Header().Get("Content-Type"); !strings.Contains(ct, "javascript") {
		t.Errorf("htmx content type %q", ct)
	}
	if rec := get(t, s, "/static/htmx.min.js?v=old"); strings.Contains(rec.Header().Get("Cache-Control"), "immutable") {
		t.Error("a stale hash was cached for good")
	}
	if rec := get(t, s, url, "If-None-Match", rec.Header().Get("ETag")); rec.Code != http.StatusNotModified {
		t.Errorf("conditional GET: got %d, want 304", rec.Code)
	}
}

func TestBodyLimit(t *testing.T) {
	s, _ := newTestServer(t)
	req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(strings.Repeat("x", MaxBodyBytes+1)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: got %d, want 413", rec.Code)
	}
}

func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{
		"/review?deck=x":       "/review?deck=x",
		"/groups/1#members":    "/groups/1#members",
		"":                     "/",
		"review":               "/",
		"//evil.example/x":     "/",
		"/\t/evil.example":     "/",
		"/\n/evil.example":     "/",
		"/\\evil.example":      "/",
		"\\\\evil.example":     "/",
		"https://evil.example": "/",
		"/\x7f/evil.example":   "/",
		"javascript:alert(1)":  "/",
	} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// newThrottleDB opens a fresh database for the throttle's own tests,
// with a clock the test moves.
func newThrottleDB(t *testing.T) (*store.DB, *time.Time) {
	t.Helper()
	db, err := store.Open(context.Background(), storetest.Target(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return now }
	return db, &now
}

func TestThrottle(t *testing.T) {
	db, now := newThrottleDB(t)
	rules := map[string]throttleRule{
		"user": {Free: 3, Base: time.Second, Max: 8 * time.Second, Window: 10 * time.Minute},
		"ip":   {Free: 5, Base: time.Second, Max: time.Minute, Window: 10 * time.Minute},
	}
	th := newThrottle(db, slog.New(slog.DiscardHandler), rules)
	ctx := context.Background()
	k := throttleKey{"user", "ann|1.2.3.4"}
	reserve := func(keys ...throttleKey) (*reservation, time.Time) {
		t.Helper()
		r, at, _, err := th.Reserve(ctx, keys...)
		if err != nil {
			t.Fatal(err)
		}
		return r, at
	}
	fail := func() {
		t.Helper()
		r, at := reserve(k)
		if r == nil {
			t.Fatalf("refused until %v", at)
		}
		r.Failed(ctx)
	}
	for range 3 {
		fail()
	}
	// Beyond the free attempts: a delay after the last failure that
	// doubles, up to the cap; never a lock.
	for _, delay := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second} {
		if r, at := reserve(k); r != nil || !at.Equal(now.Add(delay)) {
			t.Fatalf("reserved %v, may try at %v; want a wait of %v", r != nil, at, delay)
		}
		*now = now.Add(delay)
		r, _ := reserve(k)
		if r == nil {
			t.Fatalf("still refused after waiting %v", delay)
		}
		r.Failed(ctx)
	}
	// A success forgets the user's failures.
	*now = now.Add(8 * time.Second)
	r, _ := reserve(k)
	r.Succeeded(ctx, "user")
	if r, _ := reserve(k); r == nil {
		t.Error("refused after a success")
	} else {
		r.Released(ctx)
	}
	// Failures leave the window.
	for range 3 {
		fail()
	}
	*now = now.Add(10*time.Minute + time.Second)
	if r, _ := reserve(k); r == nil {
		t.Error("refused after the window")
	} else {
		r.Released(ctx)
	}
}

// TestThrottleReservesAtomically: attempts running count as failures, so
// a burst gets only the free attempts, and a refusal by one key reserves
// nothing on the others.
func TestThrottleReservesAtomically(t *testing.T) {
	db, _ := newThrottleDB(t)
	th := newThrottle(db, slog.New(slog.DiscardHandler), loginRules)
	ctx := context.Background()
	reserve := func(keys ...throttleKey) (*reservation, throttleRule) {
		t.Helper()
		r, _, rule, err := th.Reserve(ctx, keys...)
		if err != nil {
			t.Fatal(err)
		}
		return r, rule
	}
	k := throttleKey{"user", "ann|1.2.3.4"}
	var held []*reservation
	for range LoginFreeAttempts {
		r, _ := reserve(k)
		if r == nil {
			t.Fatal("refused within the free attempts")
		}
		held = append(held, r)
	}
	if r, _ := reserve(k); r != nil {
		t.Fatal("a sixth attempt while five run")
	}
	ip := throttleKey{"ip", "5.6.7.8"}
	other := throttleKey{"user", "bob|5.6.7.8"}
	for range LoginFreeAttemptsPerIP {
		r, _ := reserve(ip)
		r.Failed(ctx)
	}
	if r, rule := reserve(other, ip); r != nil || rule.Describe != loginRules["ip"].Describe {
		t.Fatalf("reserved %v, refused %q; want the address to wait", r != nil, rule.Describe)
	}
	// Had the refusal reserved an attempt on other, the last of its free
	// attempts would now be refused.
	for i := range LoginFreeAttempts {
		r, _ := reserve(other)
		if r == nil {
			t.Fatalf("free attempt %d of another key refused: the address's refusal reserved on it", i+1)
		}
		held = append(held, r)
	}
	for _, r := range held {
		r.Released(ctx)
	}
	if r, _ := reserve(k); r == nil {
		t.Error("refused once the running attempts ended without failing")
	}
}

// TestLoginThrottleShared: two replicas on one database count the same
// failures: guesses spread over both get no more than the free attempts,
// and a success on one forgets the failures on both.
func TestLoginThrottleShared(t *testing.T) {
	target := storetest.Target(t)
	now := time.Now()
	var srvs [2]*httptest.Server
	for i := range srvs {
		db, err := store.Open(context.Background(), target)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		db.Now = func() time.Time { return now }
		s, err := New(db, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		srvs[i] = httptest.NewServer(s)
		t.Cleanup(srvs[i].Close)
	}
	newClient(t, srvs[0]).signUp("ann", "ann-password")
	clients := [2]*client{newClient(t, srvs[0]), newClient(t, srvs[1])}
	for i := range LoginFreeAttempts {
		if resp := clients[i%2].logIn("ann", "wrong"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d on replica %d: %d", i+1, i%2, resp.StatusCode)
		}
	}
	for i, c := range clients {
		if resp := c.logIn("ann", "ann-password"); resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "1" {
			t.Errorf("replica %d after %d failures spread over both: %d, Retry-After %q; want 429 and 1 s", i, LoginFreeAttempts, resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	}
	now = now.Add(time.Second)
	if resp := clients[0].logIn("ann", "ann-password"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("after the delay: %d, want 303", resp.StatusCode)
	}
	// The success forgot the failures: the other replica lets a wrong
	// password be checked at once.
	if resp := newClient(t, srvs[1]).logIn("ann", "wrong"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("replica 1 after a success on replica 0: %d, want 401", resp.StatusCode)
	}
}

// TestCSRFHardening: the token is read from the body or the header only,
// a cross-site request is refused even with the token, a visitor token
// the server did not sign is replaced, and a logged-in page is not cached.
func TestCSRFHardening(t *testing.T) {
	srv, db, c := startServer(t)
	_, body := c.get("/settings")
	if !strings.Contains(body, "Settings") {
		t.Fatal("no settings page")
	}
	form := url.Values{"retention": {"0.8"}, "new_per_day": {"5"}, "reviews_per_day": {"50"}, "max_interval": {"100"}, "time_zone": {"UTC"}}
	// The token in the query string does not count.
	resp, _ := c.do(http.MethodPost, "/settings?csrf="+url.QueryEscape(c.csrf), form)
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("token in the query: %d, want 403", resp.StatusCode)
	}
	// Another site's form, token and all.
	withToken := url.Values{"csrf": {c.csrf}}
	for k, v := range form {
		withToken[k] = v
	}
	for _, h := range [][]string{{"Sec-Fetch-Site", "cross-site"}, {"Origin", "https://evil.example"}} {
		if resp, _ := c.do(http.MethodPost, "/settings", withToken, h...); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s %s: %d, want 403", h[0], h[1], resp.StatusCode)
		}
	}
	if u, _ := db.UserByID(context.Background(), 1); u.Retention != 0.9 {
		t.Fatalf("a refused form changed the settings: retention %v", u.Retention)
	}
	if resp, _ := c.do(http.MethodPost, "/settings", withToken, "Sec-Fetch-Site", "same-origin"); resp.StatusCode != http.StatusOK {
		t.Errorf("same-origin form: %d", resp.StatusCode)
	}
	if resp, _ := c.get("/"); resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("logged-in page Cache-Control %q", resp.Header.Get("Cache-Control"))
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src 'self' data:;") {
		t.Errorf("CSP lets images come from elsewhere: %q", csp)
	}

	// A visitor's CSRF cookie the server did not make is not accepted.
	v := newClient(t, srv)
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/login", strings.NewReader(url.Values{"username": {"x"}, "password": {"y"}, "csrf": {strings.Repeat("a", 43)}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: csrfCookie, Value: strings.Repeat("a", 43)})
	resp2, err := v.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != http.StatusForbidden {
		t.Errorf("visitor token of the attacker's choosing: %d, want 403", resp2.StatusCode)
	}
}

// TestInviteCodesNotLogged: the request log leaves invite codes out.
func TestInviteCodesNotLogged(t *testing.T) {
	_, db := newTestServer(t)
	var buf bytes.Buffer
	s, err := New(db, slog.New(slog.NewTextHandler(&buf, nil)))
	if err != nil {
		t.Fatal(err)
	}
	code := "Zx9secretInviteCode123"
	get(t, s, "/join/"+code)
	get(t, s, "/decks")
	if strings.Contains(buf.String(), code) || !strings.Contains(buf.String(), "path=/join/…") || !strings.Contains(buf.String(), "path=/decks") {
		t.Errorf("request log:\n%s", buf.String())
	}
}

// TestThrottleTimeouts: an attempt stays pending for its password check
// (under the request's deadline) and the write that ends it; only an
// attempt nobody ended may be taken as a failure.
func TestThrottleTimeouts(t *testing.T) {
	if longest := RequestTimeout + finishTimeout; store.AttemptTimeout <= longest {
		t.Errorf("store.AttemptTimeout %v: an attempt may run for %v", store.AttemptTimeout, longest)
	}
}

// TestThrottleAddressKey: an IPv6 subscriber's /64 is one address. (That
// a flood of keys keeps the throttle's table bounded is the store's to
// show: store.TestAttemptsBounded.)
func TestThrottleAddressKey(t *testing.T) {
	if a, b := addressKey("2001:db8:1:2::1"), addressKey("2001:db8:1:2:ffff::9"); a != b || a != "2001:db8:1:2::/64" {
		t.Errorf("one /64: %q and %q", a, b)
	}
	if a := addressKey("::ffff:192.0.2.7"); a != "192.0.2.7" {
		t.Errorf("IPv4 in IPv6: %q", a)
	}
	// Every key the log-in makes fits the store's limit.
	long := strings.Repeat("x", 900<<10)
	if n := len(throttleKey{"user", capKey(long) + "|" + addressKey(long)}.String()); n > store.MaxThrottleKey {
		t.Errorf("a key of %d bytes, the store takes %d", n, store.MaxThrottleKey)
	}
}
