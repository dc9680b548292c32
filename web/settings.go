package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/flashd/flashd/srs"
	"github.com/flashd/flashd/store"
)

// settingsForm holds the settings as the form shows them.
type settingsForm struct {
	Retention     float64
	NewPerDay     int
	ReviewsPerDay int
	MaxInterval   int
	TimeZone      string
}

// settingsPage is the settings form, and for admins the server switches.
type settingsPage struct {
	layout
	Form       settingsForm
	Zones      []string
	OpenSignUp bool
	Error      string
	Saved      string
}

// commonZones are offered in the time zone field; any IANA name works.
var commonZones = []string{"UTC", "Europe/London", "Europe/Berlin", "Europe/Paris", "Europe/Madrid", "Europe/Warsaw",
	"America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Sao_Paulo",
	"Asia/Kolkata", "Asia/Singapore", "Asia/Tokyo", "Asia/Shanghai", "Australia/Sydney", "Pacific/Auckland"}

func (s *Server) settingsPage(c echo.Context) (*settingsPage, error) {
	u := currentUser(c)
	open, err := s.db.OpenSignUp(c.Request().Context())
	if err != nil {
		return nil, err
	}
	return &settingsPage{layout: s.layout(c, "Settings"), Zones: commonZones, OpenSignUp: open,
		Form: settingsForm{Retention: u.Retention, NewPerDay: u.NewPerDay, ReviewsPerDay: u.ReviewsPerDay,
			MaxInterval: u.MaxInterval, TimeZone: u.TimeZone}}, nil
}

func (s *Server) handleSettings(c echo.Context) error {
	p, err := s.settingsPage(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "settings", p)
}

// handleSettingsSave validates and stores the settings; an invalid form
// changes nothing and is shown again with the error.
func (s *Server) handleSettingsSave(c echo.Context) error {
	p, err := s.settingsPage(c)
	if err != nil {
		return err
	}
	f := settingsForm{TimeZone: strings.TrimSpace(c.FormValue("time_zone"))}
	var errs []error
	parseFloat := func(name string, dst *float64) {
		v, err := strconv.ParseFloat(c.FormValue(name), 64)
		*dst = v
		errs = append(errs, err)
	}
	parseInt := func(name string, dst *int) {
		v, err := strconv.Atoi(c.FormValue(name))
		*dst = v
		errs = append(errs, err)
	}
	parseFloat("retention", &f.Retention)
	parseInt("new_per_day", &f.NewPerDay)
	parseInt("reviews_per_day", &f.ReviewsPerDay)
	parseInt("max_interval", &f.MaxInterval)
	p.Form = f
	for _, e := range errs {
		if e != nil {
			p.Error = "Settings not saved: every field needs a number."
			return s.render(c, http.StatusBadRequest, "settings", p)
		}
	}
	set := srs.Settings{Retention: f.Retention, NewPerDay: f.NewPerDay, ReviewsPerDay: f.ReviewsPerDay, MaxIntervalDays: f.MaxInterval}
	err = s.db.UpdateSettings(c.Request().Context(), currentUser(c).ID, f.TimeZone, set)
	if store.ErrorCode(err) == store.EInvalid {
		p.Error = store.ErrorMessage(err)
		return s.render(c, http.StatusBadRequest, "settings", p)
	}
	if err != nil {
		return err
	}
	p.Saved = "Settings saved."
	return s.render(c, http.StatusOK, "settings", p)
}

// handleOpenSignUp lets an admin open or close sign-up.
func (s *Server) handleOpenSignUp(c echo.Context) error {
	if err := s.db.SetOpenSignUp(c.Request().Context(), currentUser(c), c.FormValue("open") == "1"); err != nil {
		return err
	}
	return s.redirect(c, "/settings")
}
