package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/flashd/flashd/srs"
	"github.com/flashd/flashd/store"
)

// dashboardPage is the home page of a logged-in user.
type dashboardPage struct {
	layout
	Dash *store.Dashboard
	// Arrange shows the controls that order and hide decks.
	Arrange bool
	// Interleaved says new cards come from each deck in turn.
	Interleaved bool
	// Last is the index of the last deck shown (it cannot move down).
	Last int
}

// handleDashboard shows today's counts per deck, today's reviews and the
// streak.
func (s *Server) handleDashboard(c echo.Context) error {
	d, err := s.db.Dashboard(c.Request().Context(), currentUser(c))
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "dashboard", &dashboardPage{layout: s.layout(c, "Today"), Dash: d,
		Arrange: c.QueryParam("arrange") == "1", Interleaved: currentUser(c).NewGather == srs.GatherInterleaved, Last: len(d.Decks) - 1})
}
