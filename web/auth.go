package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/flashd/flashd/store"
)

const (
	sessionCookie = "flashd_session"
	csrfCookie    = "flashd_csrf" // for visitors without a session
)

// Context keys.
const (
	ctxUser    = "flashd.user"
	ctxSession = "flashd.session"
	ctxCSRF    = "flashd.csrf"
	// ctxCSRFMasked is the request's token as this response's pages
	// carry it (masked once per response).
	ctxCSRFMasked = "flashd.csrf.masked"
)

// currentUser returns the logged-in user, or nil.
func currentUser(c echo.Context) *store.User {
	u, _ := c.Get(ctxUser).(*store.User)
	return u
}

// secure reports whether cookies should carry the Secure attribute: the
// request came over TLS, directly or through a proxy that says so.
// secure reports whether the request came over HTTPS: on a TLS
// connection, or, behind a proxy flashd trusts (--trust-proxy), with
// X-Forwarded-Proto https. Without --trust-proxy that header is the
// client's word and is ignored.
func (s *Server) secure(c echo.Context) bool {
	r := c.Request()
	return r.TLS != nil || (s.trustProxy && r.Header.Get("X-Forwarded-Proto") == "https")
}

// cookieName is the name of a cookie on this request: over HTTPS with the
// __Host- prefix, which browsers accept only from the host itself, secure,
// for the whole path, so no sibling subdomain can set or shadow it.
func (s *Server) cookieName(c echo.Context, name string) string {
	if s.secure(c) {
		return "__Host-" + name
	}
	return name
}

func (s *Server) setCookie(c echo.Context, name, value string, maxAge time.Duration) {
	c.SetCookie(&http.Cookie{
		Name: s.cookieName(c, name), Value: value, Path: "/", MaxAge: int(maxAge.Seconds()),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secure(c),
	})
}

// cookie returns the value of the named cookie of this request, or "".
func (s *Server) cookie(c echo.Context, name string) string {
	ck, err := c.Cookie(s.cookieName(c, name))
	if err != nil {
		return ""
	}
	return ck.Value
}

// loadSession finds the user of the session cookie, if any, and the CSRF
// token of the request: the session's own, or for visitors a token kept in
// a cookie (double submit) and signed with the server's key, so only the
// server can make one. Pages of a logged-in user are never cached.
func (s *Server) loadSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if token := s.cookie(c, sessionCookie); token != "" {
			u, sess, err := s.db.SessionUser(c.Request().Context(), token)
			switch store.ErrorCode(err) {
			case "":
				c.Set(ctxUser, u)
				c.Set(ctxSession, token)
				c.Set(ctxCSRF, sess.CSRFToken)
				c.Response().Header().Set("Cache-Control", "no-store")
			case store.EUnauthorized, store.ENotFound:
				s.setCookie(c, sessionCookie, "", -time.Second)
			default:
				return err
			}
		}
		if c.Get(ctxCSRF) == nil {
			token := s.cookie(c, csrfCookie)
			if !s.validVisitorToken(token) {
				token = s.newVisitorToken()
				s.setCookie(c, csrfCookie, token, 24*time.Hour)
			}
			c.Set(ctxCSRF, token)
		}
		return next(c)
	}
}

// newVisitorToken returns a random token and its signature.
func (s *Server) newVisitorToken() string {
	nonce := newToken()
	return nonce + "." + s.signToken(nonce)
}

func (s *Server) signToken(nonce string) string {
	m := hmac.New(sha256.New, s.csrfKey)
	m.Write([]byte("csrf-visitor\x00" + nonce))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// validVisitorToken reports whether token was made by newVisitorToken
// with this server's key.
func (s *Server) validVisitorToken(token string) bool {
	nonce, sig, ok := strings.Cut(token, ".")
	return ok && len(nonce) >= 32 && hmac.Equal([]byte(sig), []byte(s.signToken(nonce)))
}

// csrfToken returns the token forms of this request must carry, masked
// afresh for each response (see maskToken).
func csrfToken(c echo.Context) string {
	if m, ok := c.Get(ctxCSRFMasked).(string); ok {
		return m
	}
	t, _ := c.Get(ctxCSRF).(string)
	m := maskToken(t)
	c.Set(ctxCSRFMasked, m)
	return m
}

// maskToken hides a secret token behind a fresh one-time pad: the result
// is the pad and the token XOR the pad, base64-encoded. Pages are
// compressed, and a secret that is the same in every response would let
// an attacker who can inject text into a page and watch its compressed
// size guess it (BREACH); a masked token differs in every response.
func maskToken(token string) string {
	if token == "" {
		return ""
	}
	b := make([]byte, 2*len(token))
	rand.Read(b[:len(token)]) // never fails (crypto/rand)
	for i := range len(token) {
		b[len(token)+i] = b[i] ^ token[i]
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// unmaskToken undoes maskToken; a value that is not a masked token
// gives "".
func unmaskToken(masked string) string {
	b, err := base64.RawURLEncoding.DecodeString(masked)
	if err != nil || len(b) == 0 || len(b)%2 != 0 {
		return ""
	}
	n := len(b) / 2
	for i := range n {
		b[n+i] ^= b[i]
	}
	return string(b[n:])
}

// sameCSRF reports whether a sent token is the request's token, masked
// (as pages carry it) or as it is (as the visitor cookie carries it:
// the plain token never appears in a page, so accepting it gives an
// attacker nothing).
func sameCSRF(sent, token string) bool {
	return store.SameToken(unmaskToken(sent), token) || store.SameToken(sent, token)
}

// checkCSRF rejects unsafe requests from another site (by the browser's
// Sec-Fetch-Site or Origin header, as net/http's CrossOriginProtection
// reads them) and those that do not carry the request's CSRF token as the
// form field "csrf" of the body or the header X-CSRF-Token (never from
// the URL, which leaks into logs and Referer headers), before any handler
// runs.
func (s *Server) checkCSRF(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		if err := s.crossOrigin.Check(r); err != nil {
			return store.Errorf(store.EForbidden, "This form came from another site: open flashd and try again.")
		}
		sent := r.Header.Get("X-CSRF-Token")
		if sent == "" {
			sent = r.PostFormValue("csrf")
		}
		token, _ := c.Get(ctxCSRF).(string)
		if !sameCSRF(sent, token) {
			return store.Errorf(store.EForbidden, "This form has expired or did not come from flashd: reload the page and try again.")
		}
		return next(c)
	}
}

// requireUser sends visitors without a session to the log-in page.
func requireUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if currentUser(c) != nil {
			return next(c)
		}
		r := c.Request()
		if r.Method != http.MethodGet {
			return store.Errorf(store.EUnauthorized, "Please log in.")
		}
		target := "/login?next=" + url.QueryEscape(r.URL.RequestURI())
		if isHTMX(c) {
			c.Response().Header().Set("HX-Redirect", target)
			return c.NoContent(http.StatusUnauthorized)
		}
		return c.Redirect(http.StatusSeeOther, target)
	}
}

// localPath returns next if it is a path on this server, else "/".
func localPath(next string) string {
	// Browsers drop tabs and newlines from URLs and read "\\" as "/", so
	// any control character or backslash could turn "/x" into "//host".
	for _, r := range next {
		if r < ' ' || r == 0x7f || r == '\\' {
			return "/"
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
		return "/"
	}
	return next
}

// authPage is the log-in and sign-up form.
type authPage struct {
	layout
	Username  string
	Next      string
	Error     string
	FirstUser bool // no account yet: this one becomes admin
	Closed    bool // sign-up is closed
}

func (s *Server) handleLoginForm(c echo.Context) error {
	if currentUser(c) != nil {
		return c.Redirect(http.StatusSeeOther, localPath(c.QueryParam("next")))
	}
	p := &authPage{layout: s.layout(c, "Log in"), Next: localPath(c.QueryParam("next"))}
	n, err := s.db.UserCount(c.Request().Context())
	if err != nil {
		return err
	}
	p.FirstUser = n == 0
	return s.render(c, http.StatusOK, "login", p)
}

// handleLogin checks a username and password, under the log-in
// throttle: the attempt is reserved before the password is checked.
func (s *Server) handleLogin(c echo.Context) error {
	username := strings.TrimSpace(c.FormValue("username"))
	p := &authPage{layout: s.layout(c, "Log in"), Username: username, Next: localPath(c.FormValue("next"))}
	// Keys are capped: no username is longer, and a megabyte of name
	// must not be a megabyte of the throttle's table.
	name, ip := capKey(strings.ToLower(username)), addressKey(c.RealIP())
	ctx := c.Request().Context()
	res, at, rule, err := s.logins.Reserve(ctx, throttleKey{"user", name + "|" + ip}, throttleKey{"ip", ip})
	if err != nil {
		return err
	}
	if res == nil {
		wait := max(time.Second, at.Sub(s.db.Now()).Round(time.Second))
		c.Response().Header().Set("Retry-After", fmtSeconds(wait))
		p.Error = "Too many failed log-ins " + rule.Describe + ". Try again in " + wait.String() + "."
		return s.render(c, http.StatusTooManyRequests, "login", p)
	}
	// A check that cannot start in time fails with 503, which is not a
	// failed log-in: the throttle does not count it.
	var u *store.User
	err = s.checkPassword(c, func(ctx context.Context) (err error) {
		u, err = s.db.Authenticate(ctx, username, c.FormValue("password"))
		return err
	})
	if store.ErrorCode(err) == store.EUnauthorized {
		res.Failed(ctx)
		p.Error = store.ErrorMessage(err)
		return s.render(c, http.StatusUnauthorized, "login", p)
	}
	if store.ErrorCode(err) == store.EForbidden { // a disabled account
		res.Released(ctx)
		p.Error = store.ErrorMessage(err)
		return s.render(c, http.StatusForbidden, "login", p)
	}
	if err != nil {
		res.Released(ctx)
		return err
	}
	res.Succeeded(ctx, "user")
	return s.startSession(c, u, p.Next)
}

// addressKey is the address a log-in is throttled by: an IPv4 address,
// or an IPv6 address's /64, since one subscriber commonly holds a whole
// /64 and could otherwise take a fresh allowance for every attempt.
func addressKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return capKey(ip)
	}
	if a.Is4() || a.Is4In6() {
		return a.Unmap().String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}

// maxThrottleKey is the longest key part the log-in throttle keeps.
const maxThrottleKey = 64

func capKey(s string) string {
	if len(s) > maxThrottleKey {
		return s[:maxThrottleKey]
	}
	return s
}

// startSession logs a user in and redirects to next.
func (s *Server) startSession(c echo.Context, u *store.User, next string) error {
	// A log-in rotates the session: the browser's previous one, if any,
	// ends, and the new token is fresh.
	if old, ok := c.Get(ctxSession).(string); ok {
		if err := s.db.DeleteSession(c.Request().Context(), old); err != nil {
			return err
		}
	}
	token, err := s.db.CreateSession(c.Request().Context(), u.ID, c.Request().UserAgent())
	if err != nil {
		return err
	}
	s.setCookie(c, sessionCookie, token, store.SessionTTL)
	return s.redirect(c, localPath(next))
}

func (s *Server) handleSignUpForm(c echo.Context) error {
	if currentUser(c) != nil {
		return c.Redirect(http.StatusSeeOther, "/")
	}
	p, err := s.signUpPage(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "signup", p)
}

func (s *Server) signUpPage(c echo.Context) (*authPage, error) {
	ctx := c.Request().Context()
	p := &authPage{layout: s.layout(c, "Sign up"), Next: localPath(c.QueryParam("next"))}
	n, err := s.db.UserCount(ctx)
	if err != nil {
		return nil, err
	}
	open, err := s.db.OpenSignUp(ctx)
	if err != nil {
		return nil, err
	}
	p.FirstUser, p.Closed = n == 0, n > 0 && !open
	return p, nil
}

// handleSignUp creates an account (the first one becomes admin; later ones
// need open sign-up) and logs it in.
func (s *Server) handleSignUp(c echo.Context) error {
	p, err := s.signUpPage(c)
	if err != nil {
		return err
	}
	p.Username = strings.TrimSpace(c.FormValue("username"))
	var u *store.User
	err = s.checkPassword(c, func(ctx context.Context) (err error) {
		u, err = s.db.CreateUser(ctx, p.Username, c.FormValue("password"), false, store.SignUpIfOpen)
		return err
	})
	switch store.ErrorCode(err) {
	case "":
		if err := s.detectedTimeZone(c, u); err != nil {
			return err
		}
		return s.startSession(c, u, "/")
	case store.EInvalid, store.EConflict, store.EForbidden:
		p.Error = store.ErrorMessage(err)
		return s.render(c, statusOf[store.ErrorCode(err)], "signup", p)
	}
	return err
}

// detectedTimeZone gives a new account the time zone its browser reported
// in the sign-up form (app.js fills the hidden field time_zone from
// Intl.DateTimeFormat), so that the learner's day starts at 04:00 where
// they are without a trip to the settings. A missing or unknown zone (no
// JavaScript, an old browser) leaves the default, UTC, which settings
// change.
func (s *Server) detectedTimeZone(c echo.Context, u *store.User) error {
	tz := strings.TrimSpace(c.FormValue("time_zone"))
	if tz == "" || tz == u.TimeZone {
		return nil
	}
	err := s.db.SetTimeZone(c.Request().Context(), u.ID, tz)
	if store.ErrorCode(err) == store.EInvalid {
		return nil
	}
	return err
}

// handleLogout ends the session.
func (s *Server) handleLogout(c echo.Context) error {
	if token, ok := c.Get(ctxSession).(string); ok {
		if err := s.db.DeleteSession(c.Request().Context(), token); err != nil {
			return err
		}
	}
	s.setCookie(c, sessionCookie, "", -time.Second)
	return s.redirect(c, "/login")
}

// redirect answers a form post: 303 for plain forms, HX-Redirect for htmx.
func (s *Server) redirect(c echo.Context, to string) error {
	if isHTMX(c) && c.Request().Header.Get("HX-Boosted") != "true" {
		c.Response().Header().Set("HX-Redirect", to)
		return c.NoContent(http.StatusOK)
	}
	return c.Redirect(http.StatusSeeOther, to)
}

// newToken returns 32 random bytes, base64url-encoded.
func newToken() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

func fmtSeconds(d time.Duration) string { return strconv.Itoa(int(d.Seconds())) }
