package web

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/flashd/flashd/store"
)

// statusOf maps store error codes to HTTP statuses. Another user's row is
// not found, never forbidden: its existence is not disclosed.
var statusOf = map[store.Code]int{
	store.ENotFound:     http.StatusNotFound,
	store.EInvalid:      http.StatusBadRequest,
	store.EConflict:     http.StatusConflict,
	store.EUnauthorized: http.StatusUnauthorized,
	store.EForbidden:    http.StatusForbidden,
	store.EBusy:         http.StatusServiceUnavailable,
	store.EInternal:     http.StatusInternalServerError,
}

// errorPage is the page shown for an error.
type errorPage struct {
	layout
	Status  int
	Message string
}

// handleError is the one place errors become responses. Internal errors
// are logged here, once, and shown without detail.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, msg := http.StatusInternalServerError, "Something went wrong on our side."
	var he *echo.HTTPError
	switch {
	case errors.As(err, &he):
		status = he.Code
		msg = http.StatusText(status)
		if m, ok := he.Message.(string); ok && status < 500 {
			msg = m
		}
	case errors.Is(err, context.Canceled) && c.Request().Context().Err() != nil:
		// The client went away: nobody reads the answer.
		s.log.Info("request abandoned", "method", c.Request().Method, "path", c.Request().URL.Path)
		c.NoContent(499) // nginx's "client closed request", for the log
		return
	case errors.Is(err, context.DeadlineExceeded):
		status, msg = http.StatusServiceUnavailable, "The server is busy; please try again in a moment."
	case store.ErrorCode(err) != store.EInternal:
		status = statusOf[store.ErrorCode(err)]
		msg = store.ErrorMessage(err)
	}
	switch {
	case status == http.StatusServiceUnavailable:
		// Overload is expected under load: worth a line, not an alarm.
		s.log.Warn("request refused", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
	case status >= 500:
		s.log.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
	}
	if c.Request().Method == http.MethodHead {
		c.NoContent(status)
		return
	}
	p := &errorPage{layout: s.layout(c, http.StatusText(status)), Status: status, Message: msg}
	if err := s.render(c, status, "error", p); err != nil {
		s.log.Error("render error page", "err", err)
		c.String(status, msg)
	}
}
