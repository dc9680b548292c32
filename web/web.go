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

	// Failed log-ins allowed per username and per client address in
	// LoginWindow.
	userThrottle *throttle
	ipThrottle   *throttle
}

// Log-in throttling: after this many failures in the window, further
// attempts for the same username (or from the same address) are refused
// until the oldest failure leaves the window.
const (
	LoginFailuresPerUser = 5
	LoginFailuresPerIP   = 20
	LoginWindow          = 15 * time.Minute
)

// New returns a server for db. It parses every template up front, so a
// broken template stops the program here rather than failing a request.
func New(db *store.DB, log *slog.Logger) (*Server, error) {
	as, err := loadAssets()
	if err != nil {
		return nil, err
	}
	ps, err := parsePages(as)
	if err != nil {
		return nil, err
	}
	s := &Server{db: db, log: log, pages: ps, assets: as,
		userThrottle: newThrottle(LoginFailuresPerUser, LoginWindow, time.Now),
		ipThrottle:   newThrottle(LoginFailuresPerIP, LoginWindow, time.Now)}
	s.echo = s.routes()
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
