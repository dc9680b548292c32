// Package web is flashd's HTTP server: Echo routes, handlers, templates and
// the static files they use (htmx is vendored in static/, nothing is
// loaded from a CDN). Handlers parse the request, call the store, and
// render; errors go back to one error handler that maps store error codes
// to HTTP statuses.
//
// Every page renders as a whole page, or as the page's content fragment
// when htmx asks for it (HX-Request, except history restores), and every
// response varies on HX-Request.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/flashd/flashd/decks"
	"github.com/flashd/flashd/store"
)

// MaxBodyBytes is the largest request body the server reads.
const MaxBodyBytes = 1 << 20

// RequestTimeout bounds the time a request may take, waiting for the
// database included.
const RequestTimeout = 10 * time.Second

// AnkiUploadTimeout bounds an Anki upload, which may replay years of
// reviews (within the server's 60 s write timeout).
const AnkiUploadTimeout = 50 * time.Second

// Server serves flashd over HTTP.
type Server struct {
	db     *store.DB
	log    *slog.Logger
	echo   *echo.Echo
	pages  *pages
	assets *assets

	// logins slows down password guessing (see throttle.go and
	// loginRules).
	logins *throttle

	builtinIDs map[string]bool // deck ids uploads may not take
	uploads    *uploadGate

	metrics *metrics // see Metrics

	trustProxy  bool   // X-Forwarded-* headers come from a proxy we trust
	csrfKey     []byte // signs visitors' CSRF tokens
	crossOrigin *http.CrossOriginProtection
}

// Log-in throttling: progressive delays, never a lock. A username from
// one address has LoginFreeAttempts attempts; after them each attempt
// waits a second after the last failure, doubling with each failure up to
// LoginMaxDelay. An address (over all usernames, so that one address
// cannot try a password on everyone) has LoginFreeAttemptsPerIP, with
// delays capped at LoginMaxDelayPerIP, so the people behind one NAT are
// slowed by at most that much when someone there guesses. Failures count
// for LoginWindow. No limit covers a username from every address: made-up
// or spoofed addresses could then lock its owner out.
const (
	LoginFreeAttempts      = 5
	LoginMaxDelay          = 15 * time.Minute
	LoginFreeAttemptsPerIP = 20
	LoginMaxDelayPerIP     = time.Minute
	LoginWindow            = 15 * time.Minute
)

// loginRules are the throttle's rules for log-ins.
var loginRules = map[string]throttleRule{
	"user": {Free: LoginFreeAttempts, Base: time.Second, Max: LoginMaxDelay, Window: LoginWindow, Describe: "for this username"},
	"ip":   {Free: LoginFreeAttemptsPerIP, Base: time.Second, Max: LoginMaxDelayPerIP, Window: LoginWindow, Describe: "from your address"},
}

// Options tune a Server.
type Options struct {
	// TrustProxy makes the server take the client's address from
	// X-Forwarded-For / X-Real-IP when the request comes from a loopback or
	// private address (a reverse proxy); otherwise the TCP peer counts.
	TrustProxy bool
}

// New returns a server for db. It parses every template up front, so a
// broken template stops the program here rather than failing a request.
func New(db *store.DB, log *slog.Logger, opts ...Options) (*Server, error) {
	as, err := loadAssets()
	if err != nil {
		return nil, err
	}
	ps, err := parsePages(as)
	if err != nil {
		return nil, err
	}
	s := &Server{db: db, log: log, pages: ps, assets: as,
		logins:  newThrottle(db, log, loginRules),
		uploads: newUploadGate(), metrics: newMetrics(db)}
	builtin, err := decks.Builtin()
	if err != nil {
		return nil, err
	}
	s.builtinIDs = map[string]bool{}
	for _, d := range builtin {
		s.builtinIDs[d.ID] = true
	}
	s.echo = s.routes()
	// The address log-ins are throttled by: the TCP peer, unless a
	// trusted proxy in front says otherwise.
	s.echo.IPExtractor = echo.ExtractIPDirect()
	key, err := db.ServerSecret(context.Background(), "csrf")
	if err != nil {
		return nil, err
	}
	s.csrfKey = []byte(key)
	s.crossOrigin = http.NewCrossOriginProtection()
	if len(opts) > 0 && opts[0].TrustProxy {
		s.trustProxy = true
		s.echo.IPExtractor = echo.ExtractIPFromXFFHeader()
	}
	return s, nil
}

// ServeHTTP makes the server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

// handleReady answers 200 "ready" when the database answers and has every
// migration of this binary, else 503 with the reason: a load balancer
// sends traffic to a replica only once it is ready.
func (s *Server) handleReady(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := s.db.Ready(ctx); err != nil {
		s.log.Warn("readiness check", "err", err)
		return c.String(http.StatusServiceUnavailable, "not ready: "+err.Error())
	}
	return c.String(http.StatusOK, "ready")
}

// handleHealth answers 200 "ok" when the database answers.
func (s *Server) handleHealth(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := s.db.Ping(ctx); err != nil {
		s.log.Error("health check", "err", err)
		return c.String(http.StatusServiceUnavailable, "database unavailable")
	}
	return c.String(http.StatusOK, "ok")
}
