package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flashd/flashd/decks"
	"github.com/flashd/flashd/store"
)

func TestAnonymous(t *testing.T) {
	srv, _, _ := startServer(t)
	anon := newClient(t, srv)
	anon.get("/login") // a visitor's CSRF token
	for _, path := range []string{"/", "/decks", "/decks/aws-dva-c02-containers", "/review", "/review?kind=trap", "/leeches", "/settings"} {
		resp, _ := anon.get(path)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
			t.Errorf("GET %s: %d to %q, want a redirect to log in", path, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	if resp, _ := anon.get("/review", "HX-Request", "true"); resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("HX-Redirect") == "" {
		t.Errorf("htmx GET /review: %d, HX-Redirect %q", resp.StatusCode, resp.Header.Get("HX-Redirect"))
	}
	for _, path := range []string{"/review/1", "/review/undo", "/review/1/action", "/settings", "/admin/signup"} {
		if resp, _ := anon.post(path, url.Values{"rating": {"3"}, "token": {"0"}}); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("POST %s as a visitor: %d, want 401", path, resp.StatusCode)
		}
		if resp, _ := anon.post(path, url.Values{"csrf": {""}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("POST %s without CSRF: %d, want 403", path, resp.StatusCode)
		}
	}
}

func TestAccounts(t *testing.T) {
	srv, db, admin := startServer(t)
	ctx := context.Background()
	if u, _ := db.UserByID(ctx, 1); u == nil || !u.Admin || u.Username != "admin" {
		t.Fatalf("first account: %+v, want an admin", u)
	}
	bob := newClient(t, srv)
	bob.get("/signup")
	resp, body := bob.post("/signup", url.Values{"username": {"bob"}, "password": {"bob-password"}})
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "Sign-up is closed") {
		t.Errorf("sign-up while closed: %d", resp.StatusCode)
	}
	// Only the admin may open sign-up.
	if resp, _ := admin.post("/admin/signup", url.Values{"open": {"1"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("open sign-up: %d", resp.StatusCode)
	}
	bob.signUp("bob", "bob-password")
	if resp, _ := bob.post("/admin/signup", url.Values{"open": {"0"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a member closing sign-up: %d, want 403", resp.StatusCode)
	}
	carol := newClient(t, srv)
	carol.get("/signup")
	for _, tt := range []struct {
		user, pass string
		status     int
		msg        string
	}{
		{"BOB", "another-password", http.StatusConflict, "is taken"},
		{"c", "long-enough", http.StatusBadRequest, "A username is"},
		{"carol", "short", http.StatusBadRequest, "A password is"},
		{"carol'; DROP TABLE users; --", "long-enough", http.StatusBadRequest, "A username is"},
	} {
		resp, body := carol.post("/signup", url.Values{"username": {tt.user}, "password": {tt.pass}})
		if resp.StatusCode != tt.status || !strings.Contains(body, tt.msg) {
			t.Errorf("sign up %q/%q: %d, want %d with %q", tt.user, tt.pass, resp.StatusCode, tt.status, tt.msg)
		}
	}
	if n, _ := db.UserCount(ctx); n != 2 {
		t.Errorf("%d users, want 2", n)
	}

	// Log out, then log in with the wrong and the right password.
	if resp, _ := bob.post("/logout", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("log out: %d", resp.StatusCode)
	}
	if resp, _ := bob.get("/"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after log-out: %d, want a redirect", resp.StatusCode)
	}
	if resp := bob.logIn("bob", "wrong-password"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong password: %d", resp.StatusCode)
	}
	if resp := bob.logIn("bob", "bob-password"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("right password: %d", resp.StatusCode)
	}
	if resp, _ := bob.get("/"); resp.StatusCode != http.StatusOK {
		t.Errorf("after log-in: %d", resp.StatusCode)
	}
	// The log-in form returns to the page asked for, but never elsewhere.
	bob.post("/logout", nil)
	bob.get("/login")
	resp, _ = bob.post("/login", url.Values{"username": {"bob"}, "password": {"bob-password"}, "next": {"//evil.example/x"}})
	if resp.Header.Get("Location") != "/" {
		t.Errorf("open redirect: Location %q", resp.Header.Get("Location"))
	}
}

// throttledServer is a server whose log-in throttle runs on a clock the
// test moves, with one account.
func throttledServer(t *testing.T, user string) (*Server, *store.DB, *httptest.Server, *time.Time) {
	t.Helper()
	s, db := newTestServer(t)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	now := time.Now()
	db.Now = func() time.Time { return now }
	newClient(t, srv).signUp(user, user+"-password")
	return s, db, srv, &now
}

func TestLoginThrottle(t *testing.T) {
	_, _, srv, now := throttledServer(t, "admin")
	c := newClient(t, srv)
	for i := 0; i < LoginFreeAttempts; i++ {
		if resp := c.logIn("admin", "wrong"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i, resp.StatusCode)
		}
	}
	resp := c.logIn("admin", "admin-password")
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "1" {
		t.Errorf("after %d failures, at once: %d, Retry-After %q; want 429 and 1 s", LoginFreeAttempts, resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	// A forged X-Forwarded-For does not make a new address.
	c.get("/login")
	resp, _ = c.post("/login", url.Values{"username": {"admin"}, "password": {"admin-password"}}, "X-Forwarded-For", "203.0.113.9")
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("a forged X-Forwarded-For got around the throttle: %d", resp.StatusCode)
	}
	// A delay, not a lock: after it, the right password gets in.
	*now = now.Add(time.Second)
	if resp := c.logIn("admin", "admin-password"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after the delay: %d, want 303", resp.StatusCode)
	}
	// Another username from the same address is not slowed.
	if resp := newClient(t, srv).logIn("someone", "wrong"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("another user: %d, want 401", resp.StatusCode)
	}
}

// TestLoginThrottleBurst: 200 parallel guesses for one user get only the
// free attempts' password checks.
func TestLoginThrottleBurst(t *testing.T) {
	s, _ := newTestServer(t)
	srv := httptest.NewServer(s)
	defer srv.Close()
	newClient(t, srv).signUp("alice", "alice-password")
	hc, token := newLoginClient(t, srv)
	g := passwordChecks()
	before := g.checks.Load()
	var wg sync.WaitGroup
	codes := make([]int, 200)
	for i := range codes {
		wg.Go(func() {
			resp, err := postLogin(hc, srv, token, "alice", fmt.Sprintf("guess-%d", i))
			if err != nil {
				t.Error(err)
				return
			}
			codes[i] = resp.StatusCode
		})
	}
	wg.Wait()
	checked := g.checks.Load() - before
	refused := 0
	for _, code := range codes {
		if code == http.StatusTooManyRequests {
			refused++
		}
	}
	if checked > LoginFreeAttempts || refused < len(codes)-LoginFreeAttempts {
		t.Errorf("%d passwords checked, %d refused with 429, of %d guesses; want at most %d checked", checked, refused, len(codes), LoginFreeAttempts)
	}
}

// TestLoginThrottleNoLockout: failures on made-up names from one address
// slow the people behind it by at most LoginMaxDelayPerIP, and failures
// from spoofed addresses (behind a trusted proxy) do not keep a user out.
func TestLoginThrottleNoLockout(t *testing.T) {
	s, db, srv, now := throttledServer(t, "alice")
	attacker := newClient(t, srv)
	for i := range LoginFreeAttemptsPerIP + 10 {
		attacker.logIn(fmt.Sprintf("made-up-%d", i), "wrong")
		*now = now.Add(time.Second)
	}
	alice := newClient(t, srv)
	resp := alice.logIn("alice", "alice-password")
	if resp.StatusCode == http.StatusTooManyRequests {
		wait, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		if time.Duration(wait)*time.Second > LoginMaxDelayPerIP {
			t.Fatalf("alice behind the same address must wait %ds", wait)
		}
		*now = now.Add(time.Duration(wait) * time.Second)
		resp = alice.logIn("alice", "alice-password")
	}
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("alice after the address's delay: %d", resp.StatusCode)
	}

	// Behind a trusted proxy, 60 failures for alice from spoofed addresses.
	proxied, err := New(db, s.log, Options{TrustProxy: true})
	if err != nil {
		t.Fatal(err)
	}
	psrv := httptest.NewServer(proxied)
	defer psrv.Close()
	spoof := newClient(t, psrv)
	spoof.get("/login")
	for i := range 60 {
		spoof.post("/login", url.Values{"username": {"alice"}, "password": {"wrong"}}, "X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i))
	}
	if resp := newClient(t, psrv).logIn("alice", "alice-password"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("alice after failures from spoofed addresses: %d, want 303", resp.StatusCode)
	}
	// A megabyte of username is not a megabyte of table: the key is
	// capped, else the store would refuse it (a 500).
	if resp, _ := spoof.post("/login", url.Values{"username": {strings.Repeat("x", 900<<10)}, "password": {"wrong"}}); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a megabyte of username: %d, want 401", resp.StatusCode)
	}
}

// TestSessionCookie: cookies are HttpOnly and SameSite=Lax; over HTTPS
// (a proxy flashd trusts saying so) they are Secure, carry the __Host-
// prefix, and responses carry HSTS. Without --trust-proxy, a client's
// X-Forwarded-Proto is ignored.
func TestSessionCookie(t *testing.T) {
	s, db := newTestServer(t)
	proxied, err := New(db, s.log, Options{TrustProxy: true})
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	for _, tt := range []struct {
		name    string
		h       http.Handler
		https   bool
		cookie  string
		secured bool
	}{
		{"direct http", s, false, sessionCookie, false},
		{"direct, client claims https", s, true, sessionCookie, false},
		{"trusted proxy, https", proxied, true, "__Host-" + sessionCookie, true},
	} {
		i++
		srv := httptest.NewServer(tt.h)
		c := newClient(t, srv)
		proto := "http"
		if tt.https {
			proto = "https"
		}
		first, _ := c.get("/signup", "X-Forwarded-Proto", proto)
		// The browser would send a Secure cookie back over HTTPS; the
		// test's jar, talking plain HTTP, does not, so it is sent here.
		var header []string
		for _, ck := range first.Cookies() {
			if ck.Secure {
				header = []string{"Cookie", ck.Name + "=" + ck.Value}
			}
		}
		name := fmt.Sprintf("user%d", i)
		resp, _ := c.post("/signup", url.Values{"username": {name}, "password": {"password-" + name}}, append([]string{"X-Forwarded-Proto", proto}, header...)...)
		var session *http.Cookie
		for _, ck := range resp.Cookies() {
			if ck.Name == tt.cookie {
				session = ck
			}
		}
		if session == nil {
			t.Fatalf("%s: no %s cookie (status %d): %v", tt.name, tt.cookie, resp.StatusCode, resp.Cookies())
		}
		if !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Secure != tt.secured || session.Path != "/" {
			t.Errorf("%s: cookie HttpOnly=%v SameSite=%v Secure=%v Path=%q", tt.name, session.HttpOnly, session.SameSite, session.Secure, session.Path)
		}
		if hsts := resp.Header.Get("Strict-Transport-Security"); (hsts != "") != tt.secured {
			t.Errorf("%s: HSTS %q", tt.name, hsts)
		}
		if tt.name == "direct http" {
			// Open sign-up for the next accounts.
			c.get("/settings")
			c.post("/admin/signup", url.Values{"open": {"1"}})
		}
		srv.Close()
	}
}

// reviewCount counts a user's review rows, undone or not.
func reviewCount(t *testing.T, db *store.DB, username string) int {
	t.Helper()
	n, err := db.CountReviews(context.Background(), username)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestReviewFlow(t *testing.T) {
	srv, db, c := startServer(t)
	resp, body := c.get("/review")
	first, token := cardID(body), field(body, "token")
	if resp.StatusCode != 200 || first == "" || token == "" {
		t.Fatalf("review page: %d card %q token %q", resp.StatusCode, first, token)
	}
	if !strings.Contains(body, "20 new") || !strings.Contains(body, `data-key="3"`) || !strings.Contains(body, ">10m<") {
		t.Errorf("review page lacks counts, keys or intervals:\n%s", body)
	}
	rateForm := url.Values{"rating": {"3"}, "token": {token}}

	// Bad forms change nothing.
	for _, tt := range []struct {
		name   string
		path   string
		form   url.Values
		status int
	}{
		{"rating 0", "/review/" + first, url.Values{"rating": {"0"}, "token": {token}}, 400},
		{"rating 5", "/review/" + first, url.Values{"rating": {"5"}, "token": {token}}, 400},
		{"rating text", "/review/" + first, url.Values{"rating": {"good"}, "token": {token}}, 400},
		{"no token", "/review/" + first, url.Values{"rating": {"3"}}, 400},
		{"no CSRF", "/review/" + first, url.Values{"rating": {"3"}, "token": {token}, "csrf": {""}}, 403},
		{"forged CSRF", "/review/" + first, url.Values{"rating": {"3"}, "token": {token}, "csrf": {"forged-token-forged-token-forged-token"}}, 403},
		{"unknown card", "/review/999999", rateForm, 404},
		{"malformed card id", "/review/1%27%20OR%201=1", rateForm, 404},
		{"SQL in the kind", "/review/" + first, url.Values{"rating": {"3"}, "token": {token}, "kind": {"trap' OR '1'='1"}}, 400},
	} {
		if resp, _ := c.post(tt.path, tt.form); resp.StatusCode != tt.status {
			t.Errorf("%s: %d, want %d", tt.name, resp.StatusCode, tt.status)
		}
	}
	if n := reviewCount(t, db, "admin"); n != 0 {
		t.Fatalf("bad forms wrote %d reviews", n)
	}

	// A plain form post: saved, then redirected to the next card.
	resp, _ = c.post("/review/"+first, rateForm)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/review?" {
		t.Fatalf("rate: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// The same form again (a double click): no second review.
	resp, _ = c.post("/review/"+first, rateForm)
	if resp.StatusCode != http.StatusSeeOther || reviewCount(t, db, "admin") != 1 {
		t.Errorf("replay: %d, %d reviews, want 1", resp.StatusCode, reviewCount(t, db, "admin"))
	}
	// The same token in the header works as well as the field.
	_, body = c.get("/review")
	second := cardID(body)
	if second == first {
		t.Fatalf("the rated card is shown again")
	}
	form := url.Values{"rating": {"4"}, "token": {field(body, "token")}, "csrf": {""}}
	resp, frag := c.do(http.MethodPost, "/review/"+second, form, "X-CSRF-Token", c.csrf, "HX-Request", "true")
	if resp.StatusCode != 200 || !strings.HasPrefix(strings.TrimSpace(frag), `<section id="review"`) || strings.Contains(frag, "<html") {
		t.Fatalf("htmx rate: %d, want the review pane alone:\n%.300s", resp.StatusCode, frag)
	}
	if !strings.Contains(frag, "18 new") || !strings.Contains(frag, `name="undo"`) {
		t.Errorf("pane after two ratings lacks counts or undo:\n%s", frag)
	}

	// Undo the last rating: the card comes back, the row is kept.
	undo := url.Values{"undo": {field(frag, "undo")}}
	resp, frag = c.post("/review/undo", undo, "HX-Request", "true")
	if resp.StatusCode != 200 || cardID(frag) != second || !strings.Contains(frag, "19 new") {
		t.Errorf("undo: %d, card %s (want %s):\n%s", resp.StatusCode, cardID(frag), second, frag)
	}
	if reviewCount(t, db, "admin") != 2 {
		t.Errorf("undo deleted a review row")
	}
	// The same undo form again (a double press) does nothing more.
	_, frag = c.post("/review/undo", undo, "HX-Request", "true")
	if !strings.Contains(frag, "19 new") || !strings.Contains(frag, "Nothing to undo") {
		t.Errorf("repeated undo changed the queue:\n%s", frag)
	}

	// Another user sees his own queue and cannot rate with the admin's form.
	c.get("/settings")
	c.post("/admin/signup", url.Values{"open": {"1"}})
	bob := newClient(t, srv)
	bob.signUp("bob", "bob-password")
	_, body = bob.get("/review")
	if !strings.Contains(body, "20 new") || cardID(body) != first {
		t.Errorf("bob's queue is not his own:\n%s", body)
	}
	if resp, _ := bob.post("/review/undo", url.Values{"review": {"1"}}); resp.StatusCode != http.StatusSeeOther || reviewCount(t, db, "admin") != 2 {
		t.Errorf("bob undoing the admin's review: %d", resp.StatusCode)
	}
}

func TestScenarioAndActions(t *testing.T) {
	_, db, c := startServer(t)
	const deck = "aws-dva-c02-containers"
	filter := "deck=" + deck + "&kind=scenario"
	_, body := c.get("/review?" + filter)
	id := cardID(body)
	card := deckCard(t, db, 1, id)
	shown := pickOptions(body)
	if card.Kind != decks.KindScenario || len(shown) != len(card.Options) || len(shown) < 2 {
		t.Fatalf("scenario card %s (%s, %d options) shown with %d options:\n%s", id, card.Key, len(card.Options), len(shown), body)
	}
	// The options shown are the card's, each with its letter key; find a
	// wrong one and the right one by their text.
	wrong, right := -1, -1
	for i, o := range shown {
		a := optionIndex(card, o.HTML)
		if a < 0 || o.Letter != string(rune('A'+i)) || !strings.Contains(body, `data-key="`+string(rune('1'+i))+`"`) {
			t.Fatalf("option %d shown as %+v, not an option of %s with its letter key", i, o, card.Key)
		}
		switch {
		case card.Options[a].Correct && right < 0:
			right = i
		case !card.Options[a].Correct && wrong < 0:
			wrong = i
		}
	}
	if wrong < 0 || right < 0 {
		t.Fatalf("card %s: no wrong or no right option among %+v", card.Key, shown)
	}
	pick := func(i int) (*http.Response, string) {
		return c.get("/review?card="+id+"&pick="+shown[i].Pick+"&"+filter, "HX-Request", "true")
	}
	resp, frag := pick(wrong)
	if resp.StatusCode != 200 || !strings.Contains(frag, "Wrong.") || !strings.Contains(frag, `class="rating r1 suggested"`) {
		t.Errorf("wrong pick: %d, want Wrong and Again suggested:\n%s", resp.StatusCode, frag)
	}
	_, frag = pick(right)
	if !strings.Contains(frag, "Right!") || !strings.Contains(frag, `class="rating r3 suggested"`) || !strings.Contains(frag, card.BackHTML) {
		t.Errorf("right pick: want Right, Good suggested and the explanation:\n%s", frag)
	}
	if resp, _ := c.get("/review?card=" + id + "&pick=9"); resp.StatusCode != 400 {
		t.Errorf("pick out of range: %d", resp.StatusCode)
	}
	if resp, _ := c.get("/review?card=99999"); resp.StatusCode != 404 {
		t.Errorf("unknown card: %d", resp.StatusCode)
	}
	// Flag keeps the card on screen; suspend moves on.
	form := func(action string) url.Values {
		return url.Values{"action": {action}, "deck": {deck}, "kind": {"scenario"}}
	}
	resp, frag = c.post("/review/"+id+"/action", form("flag"), "HX-Request", "true")
	if resp.StatusCode != 200 || cardID(frag) != id || !strings.Contains(frag, "flagged") {
		t.Errorf("flag: %d\n%s", resp.StatusCode, frag)
	}
	_, frag = c.post("/review/"+id+"/action", form("suspend"), "HX-Request", "true")
	if cardID(frag) == id || !strings.Contains(frag, "Card suspended.") {
		t.Errorf("suspend did not move on:\n%s", frag)
	}
	// The deck page shows the suspended card, and unsuspends it.
	_, page := c.get("/decks/" + deck)
	if !strings.Contains(page, `<input type="hidden" name="back" value="/decks/`+deck+`#card-`+id+`">`) {
		t.Errorf("deck page does not offer to unsuspend card %s", id)
	}
	resp, _ = c.post("/review/"+id+"/action", url.Values{"action": {"unsuspend"}, "back": {"/decks/" + deck + "#card-" + id}})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/decks/"+deck) {
		t.Errorf("unsuspend: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, frag := c.get("/review?"+filter, "HX-Request", "true"); cardID(frag) != id {
		t.Errorf("unsuspended card is not back first in the queue")
	}
	if resp, _ := c.post("/review/"+id+"/action", url.Values{"action": {"explode"}}); resp.StatusCode != 400 {
		t.Errorf("unknown action: %d", resp.StatusCode)
	}
	if n := reviewCount(t, db, "admin"); n != 0 {
		t.Errorf("picks and actions wrote %d reviews", n)
	}
}

// builtinDeck returns the built-in deck with the given id, as the binary
// embeds it.
func builtinDeck(t testing.TB, id string) *decks.Deck {
	t.Helper()
	ds, err := decks.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.ID == id {
			return d
		}
	}
	t.Fatalf("no built-in deck %q", id)
	return nil
}

// deckCard returns the built-in deck's card behind a card id, as the user
// with id userID may study it.
func deckCard(t testing.TB, db *store.DB, userID int64, id string) *decks.Card {
	t.Helper()
	ctx := context.Background()
	u, err := db.UserByID(ctx, userID)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		t.Fatalf("card id %q: %v", id, err)
	}
	rc, err := db.ReviewCardByID(ctx, u, n)
	if err != nil {
		t.Fatalf("card %s: %v", id, err)
	}
	d := builtinDeck(t, rc.DeckSlug)
	for i := range d.Cards {
		if d.Cards[i].Key == rc.Key {
			return &d.Cards[i]
		}
	}
	t.Fatalf("card %s: no card %q in deck %s", id, rc.Key, rc.DeckSlug)
	return nil
}

// optionIndex returns the index, in the order written, of the card's
// option with the given HTML, or -1.
func optionIndex(c *decks.Card, html string) int {
	for i, o := range c.Options {
		if o.HTML == html {
			return i
		}
	}
	return -1
}

// shownOption is one option of a scenario card as a review pane shows it.
type shownOption struct {
	Pick   string // the index the option's pick link sends, before a pick
	Letter string
	HTML   string
	Class  string // after a pick: "correct", "picked" or both
}

var (
	pickOptionRE     = regexp.MustCompile(`(?s)<a class="option" data-key="[1-8]" href="[^"]*[?&]amp;pick=(\d+)[^"]*"[^>]*><span class="letter">([A-H])</span> (.*?) <kbd>`)
	revealedOptionRE = regexp.MustCompile(`(?s)<li class="([^"]*)"><span class="letter">([A-H])</span> (.*?)(?: <span class="(?:tick|cross)">[^<]*</span>)?</li>`)
)

// pickOptions returns the options of a pane waiting for a pick, in the
// order shown.
func pickOptions(body string) []shownOption {
	var out []shownOption
	for _, m := range pickOptionRE.FindAllStringSubmatch(body, -1) {
		out = append(out, shownOption{Pick: m[1], Letter: m[2], HTML: m[3]})
	}
	return out
}

// revealedOptions returns the options of a pane after a pick, in the
// order shown.
func revealedOptions(body string) []shownOption {
	i := strings.Index(body, `<ol class="options revealed">`)
	if i < 0 {
		return nil
	}
	body = body[i:]
	body = body[:strings.Index(body, "</ol>")]
	var out []shownOption
	for _, m := range revealedOptionRE.FindAllStringSubmatch(body, -1) {
		out = append(out, shownOption{Class: strings.TrimSpace(m[1]), Letter: m[2], HTML: m[3]})
	}
	return out
}

func TestSettingsForm(t *testing.T) {
	_, db, c := startServer(t)
	c.get("/settings")
	good := url.Values{"retention": {"0.85"}, "new_per_day": {"5"}, "reviews_per_day": {"100"}, "max_interval": {"365"}, "time_zone": {"Europe/Berlin"}}
	for _, tt := range []struct {
		name  string
		field string
		value string
	}{
		{"retention too high", "retention", "1.5"},
		{"retention text", "retention", "high"},
		{"negative limit", "new_per_day", "-1"},
		{"unknown zone", "time_zone", "Mars/Olympus_Mons"},
		{"SQL in the zone", "time_zone", "UTC'; DROP TABLE users; --"},
	} {
		form := url.Values{}
		for k, v := range good {
			form[k] = v
		}
		form.Set(tt.field, tt.value)
		if resp, body := c.post("/settings", form); resp.StatusCode != 400 || !strings.Contains(body, "Settings not saved") {
			t.Errorf("%s: %d", tt.name, resp.StatusCode)
		}
	}
	u, _ := db.UserByID(context.Background(), 1)
	if u.Retention != 0.9 || u.TimeZone != "UTC" {
		t.Fatalf("invalid forms changed the settings: %+v", u)
	}
	if resp, body := c.post("/settings", good); resp.StatusCode != 200 || !strings.Contains(body, "Settings saved.") {
		t.Fatalf("save: %d", resp.StatusCode)
	}
	u, _ = db.UserByID(context.Background(), 1)
	if u.Retention != 0.85 || u.NewPerDay != 5 || u.ReviewsPerDay != 100 || u.MaxInterval != 365 || u.TimeZone != "Europe/Berlin" {
		t.Errorf("saved settings: %+v", u)
	}
	if _, body := c.get("/"); !strings.Contains(body, "<strong>5</strong> cards left") {
		t.Errorf("dashboard ignores the new-card limit")
	}
}

// TestAnswerTime checks that a rating records the time from showing the
// card to the rating, capped at a minute, and the settings it was
// scheduled with; a shown time from the future records nothing.
func TestAnswerTime(t *testing.T) {
	_, db, c := startServer(t)
	clock := time.Now().Truncate(time.Millisecond)
	db.Now = func() time.Time { return clock }
	for _, tt := range []struct {
		wait   time.Duration
		forge  string
		wantMS int64
	}{
		{7 * time.Second, "", 7000},
		{5 * time.Minute, "", 60000},
		{3 * time.Second, "future", 0},
	} {
		_, page := c.get("/review")
		shown := field(page, "shown")
		if shown == "" {
			t.Fatalf("the rate form carries no shown time:\n%s", page)
		}
		if tt.forge == "future" {
			shown = fmt.Sprint(clock.Add(time.Hour).UnixMilli())
		}
		clock = clock.Add(tt.wait)
		if resp, _ := c.post("/review/"+cardID(page), url.Values{"rating": {"4"}, "token": {field(page, "token")}, "shown": {shown}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("rate: %d", resp.StatusCode)
		}
		log, err := db.ReviewLog(context.Background(), "admin")
		if err != nil || len(log) == 0 {
			t.Fatal(err)
		}
		last := log[len(log)-1]
		if last.AnswerMS != tt.wantMS || last.Retention != 0.9 || last.MaxInterval != 36500 || last.TimeZone != "UTC" || last.Params != store.ParamsDefault {
			t.Errorf("after %v (%s): logged %+v, want answer %d ms and the settings", tt.wait, tt.forge, last, tt.wantMS)
		}
	}
}
