package web

import (
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/flashd/flashd/store"
)

// handleDeckOrder moves a deck one place up or down in the learner's deck
// order (Today's list, and the order "deck order" gathers new cards in).
func (s *Server) handleDeckOrder(c echo.Context) error {
	by := 0
	switch c.FormValue("dir") {
	case "up":
		by = -1
	case "down":
		by = 1
	default:
		return store.Errorf(store.EInvalid, "Move a deck up or down.")
	}
	if err := s.db.ReorderDeck(c.Request().Context(), currentUser(c), c.Param("id"), by); err != nil {
		return err
	}
	return s.redirect(c, localPath(c.FormValue("back")))
}

// handleDeckHide hides a deck from the learner's Today and "Study now", or
// shows it again.
func (s *Server) handleDeckHide(c echo.Context) error {
	if err := s.db.SetDeckHidden(c.Request().Context(), currentUser(c), c.Param("id"), c.FormValue("hidden") == "1"); err != nil {
		return err
	}
	return s.redirect(c, localPath(c.FormValue("back")))
}

// handleDeckNewLimit sets or (when empty) removes the learner's daily
// limit of new cards from a deck.
func (s *Server) handleDeckNewLimit(c echo.Context) error {
	limit := -1
	if v := strings.TrimSpace(c.FormValue("new_per_day")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return store.Errorf(store.EInvalid, "A deck's new cards per day must be a whole number from 0 to %d, or empty for no limit of its own.", store.MaxDeckNewPerDay)
		}
		limit = n
	}
	if err := s.db.SetDeckNewLimit(c.Request().Context(), currentUser(c), c.Param("id"), limit); err != nil {
		return err
	}
	return s.redirect(c, localPath(c.FormValue("back")))
}
