package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestAccountSelfService: in Settings a learner sees where they are
// logged in and logs another browser out, changes their password (which
// logs the other browsers out), and an admin disables an account.
func TestAccountSelfService(t *testing.T) {
	srv, db, admin := startServer(t)
	admin.get("/settings")
	admin.post("/admin/signup", url.Values{"open": {"1"}})
	laptop := newClient(t, srv)
	laptop.signUp("ann", "ann-secret-pw")
	phone := newClient(t, srv)
	if resp := phone.logIn("ann", "ann-secret-pw"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("phone log-in: %d", resp.StatusCode)
	}
	tablet := newClient(t, srv)
	tablet.logIn("ann", "ann-secret-pw")

	_, page := laptop.get("/settings")
	if n := strings.Count(page, `name="session"`); n != 2 || !strings.Contains(page, "this browser") {
		t.Fatalf("session list shows %d other sessions:\n%s", n, page)
	}
	// Log the tablet out from the laptop (the list is newest first: the
	// tablet's is the first other one).
	id := regexp.MustCompile(`name="session" value="([0-9a-f]+)"`).FindStringSubmatch(page)[1]
	if resp, _ := laptop.post("/settings/sessions/revoke", url.Values{"session": {id}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	if resp, _ := tablet.get("/settings"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the revoked tablet still gets in: %d", resp.StatusCode)
	}
	if resp, _ := phone.get("/settings"); resp.StatusCode != http.StatusOK {
		t.Errorf("the phone was logged out too: %d", resp.StatusCode)
	}
	// Another user's session handle is not found.
	if resp, _ := admin.post("/settings/sessions/revoke", url.Values{"session": {id}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("revoking a handle that is not yours: %d", resp.StatusCode)
	}

	// Change the password.
	laptop.get("/settings")
	resp, body := laptop.post("/settings/password", url.Values{"current": {"wrong"}, "new": {"a-brand-new-one"}})
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "current password is wrong") {
		t.Errorf("wrong current password: %d", resp.StatusCode)
	}
	resp, body = laptop.post("/settings/password", url.Values{"current": {"ann-secret-pw"}, "new": {"qwerty123"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "most common") {
		t.Errorf("a common password: %d", resp.StatusCode)
	}
	resp, body = laptop.post("/settings/password", url.Values{"current": {"ann-secret-pw"}, "new": {"a-brand-new-one"}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Password changed") {
		t.Fatalf("change: %d", resp.StatusCode)
	}
	if resp, _ := phone.get("/settings"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the phone is still logged in after the change: %d", resp.StatusCode)
	}
	if resp, _ := laptop.get("/settings"); resp.StatusCode != http.StatusOK {
		t.Errorf("the laptop, which changed it, was logged out: %d", resp.StatusCode)
	}
	if resp := newClient(t, srv).logIn("ann", "a-brand-new-one"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("log-in with the new password: %d", resp.StatusCode)
	}

	// The admin disables ann: her sessions end, her log-ins are refused.
	admin.get("/settings")
	if resp, _ := admin.post("/admin/users/disable", url.Values{"username": {"ann"}, "disabled": {"1"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("disable: %d", resp.StatusCode)
	}
	if resp, _ := laptop.get("/settings"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("a disabled user's session: %d", resp.StatusCode)
	}
	if resp := newClient(t, srv).logIn("ann", "a-brand-new-one"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a disabled user's log-in: %d", resp.StatusCode)
	}
	// A member cannot disable anyone.
	u, _ := db.UserByID(context.Background(), 1)
	member := newClient(t, srv)
	member.signUp("ben", "ben-secret-pw")
	member.get("/settings")
	if resp, _ := member.post("/admin/users/disable", url.Values{"username": {u.Username}, "disabled": {"1"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a member disabling the admin: %d", resp.StatusCode)
	}
}

// TestLoginRotatesSession: logging in again from a logged-in browser ends
// its previous session; the new token is a fresh one.
func TestLoginRotatesSession(t *testing.T) {
	srv, db, c := startServer(t)
	u, _ := url.Parse(srv.URL)
	old := ""
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == sessionCookie {
			old = ck.Value
		}
	}
	if old == "" {
		t.Fatal("no session cookie after sign-up")
	}
	c.get("/settings")
	if resp, _ := c.post("/login", url.Values{"username": {"admin"}, "password": {"admin-password"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("log-in again: %d", resp.StatusCode)
	}
	if _, _, err := db.SessionUser(context.Background(), old); err == nil {
		t.Error("the previous session still works after a new log-in")
	}
	if resp, _ := c.get("/settings"); resp.StatusCode != http.StatusOK {
		t.Errorf("the new session: %d", resp.StatusCode)
	}
}

// TestChangePasswordThrottled: guessing the current password in Settings
// is a password check like a log-in, under the same throttle.
func TestChangePasswordThrottled(t *testing.T) {
	_, _, srv, now := throttledServer(t, "ann")
	c := newClient(t, srv)
	c.logIn("ann", "ann-password")
	c.get("/settings")
	for i := range LoginFreeAttempts {
		if resp, _ := c.post("/settings/password", url.Values{"current": {"guess"}, "new": {"a-brand-new-one"}}); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong guess %d: %d", i, resp.StatusCode)
		}
	}
	resp, body := c.post("/settings/password", url.Values{"current": {"ann-password"}, "new": {"a-brand-new-one"}})
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || !strings.Contains(body, "Too many wrong passwords") {
		t.Errorf("after %d wrong guesses: %d", LoginFreeAttempts, resp.StatusCode)
	}
	*now = now.Add(time.Second)
	if resp, _ := c.post("/settings/password", url.Values{"current": {"ann-password"}, "new": {"a-brand-new-one"}}); resp.StatusCode != http.StatusOK {
		t.Errorf("after the delay: %d", resp.StatusCode)
	}
}

// TestSignUpTimeZone checks the time zone a sign-up form sends (app.js
// fills it from the browser): a known one is the new account's, an
// unknown or missing one leaves UTC and still creates the account, on
// both the sign-up page and an invite link.
func TestSignUpTimeZone(t *testing.T) {
	w := newGroupWorld(t)
	db := w.db
	for _, tt := range []struct {
		name, path, zone, want string
	}{
		{"tokyo", "/signup", "Asia/Tokyo", "Asia/Tokyo"},
		{"martian", "/signup", "Mars/Olympus_Mons", "UTC"},
		{"local", "/signup", "Local", "UTC"},
		{"nozone", "/signup", "", "UTC"},
		{"invited", w.invite, "America/Sao_Paulo", "America/Sao_Paulo"},
	} {
		c := newClient(t, w.anon.srv)
		c.get(tt.path)
		resp, body := c.post(tt.path, url.Values{"username": {tt.name}, "password": {tt.name + "-password"}, "time_zone": {tt.zone}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Errorf("%s: sign up: %d %s", tt.name, resp.StatusCode, body)
			continue
		}
		u, err := db.Authenticate(context.Background(), tt.name, tt.name+"-password")
		if err != nil {
			t.Fatal(err)
		}
		if u.TimeZone != tt.want {
			t.Errorf("%s: signed up with %q, zone %q, want %q", tt.name, tt.zone, u.TimeZone, tt.want)
		}
	}
}
