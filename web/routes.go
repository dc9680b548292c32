package web

import (
	"log/slog"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// routes builds the router: every route and the middleware order are here.
func (s *Server) routes() *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = s.handleError

	e.Use(
		middleware.Recover(),
		s.logRequests,
		// Text responses are compressed; the CSRF token in each page is
		// masked afresh (see maskToken), so compression reveals nothing
		// of it.
		middleware.GzipWithConfig(middleware.GzipConfig{Level: gzipLevel, MinLength: gzipMinLength, Skipper: notCompressed}),
		s.securityHeaders,
		removeUploads,
		// Every body is held to MaxBodyBytes but an Anki upload's (to
		// MaxAnkiUpload).
		middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: "1M", Skipper: isAnkiUpload}),   // MaxBodyBytes
		middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: "65M", Skipper: notAnkiUpload}), // MaxAnkiUpload and its form
		// No request waits longer than this for the database: a busy
		// server answers 503 rather than leaving people hanging.
		// An Anki upload (a collection with years of reviews) gets longer.
		middleware.ContextTimeoutWithConfig(middleware.ContextTimeoutConfig{Timeout: RequestTimeout, Skipper: isAnkiUpload}),
		middleware.ContextTimeoutWithConfig(middleware.ContextTimeoutConfig{Timeout: AnkiUploadTimeout, Skipper: notAnkiUpload}),
		admit(admitSlots()),
	)
	e.GET("/healthz", s.handleHealth)
	e.GET("/readyz", s.handleReady)
	e.GET("/static/:name", s.handleStatic)
	e.GET("/favicon.ico", s.handleFavicon)
	e.GET("/manifest.webmanifest", s.handleManifest)

	// An Anki upload may be large: the visitor must be logged in and
	// within their upload slot before its body is read (the CSRF check
	// reads it).
	e.POST(ankiUploadPath, s.handleAnkiUpload, s.loadSession, requireUser, s.ankiUploadGate, s.checkCSRF)

	// Everything else knows its visitor and checks CSRF on unsafe methods.
	web := e.Group("", s.loadSession, s.checkCSRF)
	web.GET("/login", s.handleLoginForm)
	web.POST("/login", s.handleLogin)
	web.GET("/signup", s.handleSignUpForm)
	web.POST("/signup", s.handleSignUp)
	web.POST("/logout", s.handleLogout)
	web.GET("/join/:code", s.handleJoin)
	web.POST("/join/:code", s.handleJoinSignUp)

	// Every route below needs a logged-in user; each handler passes that
	// user to the store, which filters every query by it.
	user := web.Group("", requireUser)
	user.GET("/", s.handleDashboard)
	user.GET("/decks", s.handleDecks)
	user.POST("/decks", s.handleUploadPrivate)
	user.GET("/decks/new", s.handleNewDeck) // ?group=ID for a group's deck
	user.POST("/decks/new", s.handleNewDeckSave)
	user.POST("/decks/new/lint", s.handleNewDeckLint)
	user.GET("/decks/:id", s.handleDeck)
	user.GET("/decks/:id/edit", s.handleEditDeck)
	user.POST("/decks/:id/edit", s.handleEditDeckSave)
	user.POST("/decks/:id/edit/lint", s.handleEditDeckLint)
	user.GET("/decks/:id/anki.csv", s.handleAnkiExport)
	user.GET("/decks/:id/anki.apkg", s.handleApkgExport)
	user.GET("/decks/:id/deck.md", s.handleDeckSource)
	user.GET("/media/:sum/:name", s.handleMedia)
	user.POST("/decks/:id/pause", s.handlePause)
	user.GET("/decks/:id/history", s.handleDeckHistory)
	user.POST("/decks/:id/move", s.handleMoveDeck)
	user.POST("/decks/:id/order", s.handleDeckOrder)
	user.POST("/decks/:id/hide", s.handleDeckHide)
	user.POST("/decks/:id/new-limit", s.handleDeckNewLimit)
	user.GET("/review", s.handleReview)
	user.POST("/review/undo", s.handleUndo)
	user.POST("/review/more", s.handleMoreNew)
	user.GET("/cram", s.handleCram)
	user.POST("/review/:card", s.handleRate)
	user.POST("/review/:card/action", s.handleCardAction)
	user.GET("/leeches", s.handleLeeches)
	user.GET("/stats", s.handleStats)
	user.GET("/cards/:id", s.handleCardInfo)
	user.GET("/settings", s.handleSettings)
	user.POST("/settings", s.handleSettingsSave)
	user.GET("/settings/schedule", s.handleSchedule)
	user.POST("/settings/optimize", s.handleOptimize)
	user.POST("/settings/params/reset", s.handleResetParams)
	user.POST("/settings/retention/optimal", s.handleOptimalRetention)
	user.POST("/admin/signup", s.handleOpenSignUp)
	user.POST("/admin/users/disable", s.handleDisableUser)
	user.POST("/settings/password", s.handleChangePassword)
	user.POST("/settings/sessions/revoke", s.handleRevokeSession)
	user.GET("/groups", s.handleGroups)
	user.POST("/groups", s.handleCreateGroup)
	user.GET("/groups/:id", s.handleGroup)
	user.POST("/groups/:id/decks", s.handleGroupUpload)
	user.POST("/groups/:id/:action", s.handleGroupAction) // invite, role, remove, leave, delete, exam, anonymous
	return e
}

// gzipLevel is gzip's fastest: a review pane (3.6 KB, on the hot path)
// takes 32 µs and becomes 1.2 KB; level 5 took twice as long for 5% less.
// gzipMinLength leaves out the responses that fit one packet anyway.
const (
	gzipLevel     = 1
	gzipMinLength = 1024
)

// notCompressed skips compression for what is compressed already (images,
// .apkg and .colpkg files) and for range requests.
func notCompressed(c echo.Context) bool {
	r := c.Request()
	if r.Header.Get("Range") != "" {
		return true
	}
	p := r.URL.Path
	return strings.HasPrefix(p, "/media/") || strings.HasSuffix(p, ".png") || strings.HasSuffix(p, ".apkg") ||
		p == "/favicon.ico" || p == ankiUploadPath
}

// logRequests logs every request once, after it is served.
func (s *Server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err) // write the response now, so its status is logged
		}
		r := c.Request()
		took := time.Since(start)
		s.metrics.observeRequest(c.Path(), r.Method, c.Response().Status, took)
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method),
			slog.String("path", loggedPath(r.URL.Path)),
			slog.Int("status", c.Response().Status),
			slog.Duration("took", took))
		return nil
	}
}

// contentSecurityPolicy allows scripts and styles from this server only:
// no inline script, so injected markup cannot run code.
// contentSecurityPolicy allows images from flashd itself and data: URLs
// only: a remote image in a deck would tell its host the address of every
// member who studies the card.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// securityHeaders sets the headers every response carries, and HSTS over
// HTTPS.
func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		if s.secure(c) {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		h.Add("Vary", "HX-Request")
		return next(c)
	}
}

// loggedPath is a request path as the log may keep it: an invite code is
// a secret that lets anyone join its group, so it is left out.
func loggedPath(path string) string {
	if strings.HasPrefix(path, "/join/") {
		return "/join/…"
	}
	return path
}

// isAnkiUpload reports whether a request is an Anki upload, whose body
// may be larger than any other.
func isAnkiUpload(c echo.Context) bool {
	u := c.Request().URL
	return c.Request().Method == "POST" && u.Path == ankiUploadPath && u.RawPath == ""
}

// removeUploads deletes the temporary files of a multipart form once the
// request is done: the server removes only those of the request it made,
// and the timeout middleware hands handlers a copy.
func removeUploads(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		defer func() {
			if f := c.Request().MultipartForm; f != nil {
				f.RemoveAll()
			}
		}()
		return next(c)
	}
}

func notAnkiUpload(c echo.Context) bool { return !isAnkiUpload(c) }
