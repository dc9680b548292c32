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

// Server serves flashd over HTTP.
type Server struct {
	db     *store.DB
	log    *slog.Logger
	echo   *echo.Echo
	pages  *pages
	assets *assets

	// Failed log-ins allowed in LoginWindow: per username and address,
	// per address, and per username from any address.
	userThrottle  *throttle
	ipThrottle    *throttle
	anyIPThrottle *throttle

	builtinIDs map[string]bool // deck ids uploads may not take
	uploads    *uploadGate
}

// Log-in throttling: after this many failures in the window, further
// attempts for the same username (or from the same address) are refused
// until the oldest failure leaves the window.
const (
	LoginFailuresPerUser      = 5  // one username from one address
	LoginFailuresPerIP        = 20 // one address, any usernames
	LoginFailuresPerUserAnyIP = 50 // one username, any addresses
	LoginWindow               = 15 * time.Minute
)

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
		userThrottle:  newThrottle(LoginFailuresPerUser, LoginWindow, time.Now),
		ipThrottle:    newThrottle(LoginFailuresPerIP, LoginWindow, time.Now),
		anyIPThrottle: newThrottle(LoginFailuresPerUserAnyIP, LoginWindow, time.Now),
		uploads:       newUploadGate()}
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
	if len(opts) > 0 && opts[0].TrustProxy {
		s.echo.IPExtractor = echo.ExtractIPFromXFFHeader()
	}
	return s, nil
}

// ServeHTTP makes the server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

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
