package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

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
	// Interleaved: new cards come from each deck in turn, not in the
	// learner's deck order.
	Interleaved bool
}

// settingsPage is the settings form, the learner's FSRS parameters with
// the optimizer, and for admins the server switches.
type settingsPage struct {
	layout
	Form       settingsForm
	Zones      []string
	OpenSignUp bool
	Error      string
	Saved      string
	Schedule   *schedulePane

	// Account: the password form's outcome, the user's sessions, and for
	// an admin every account.
	PasswordError string
	PasswordSaved string
	Sessions      []store.SessionInfo
	Accounts      []store.User
	AccountError  string
}

// schedulePane shows which FSRS parameters schedule the learner, the
// latest optimization (running, with its progress, or its figures) and
// the optimal retention it found.
type schedulePane struct {
	layout
	Own       bool                // the learner's own weights, not the defaults
	Latest    *store.Optimization // nil before the first run
	Retention float64             // the learner's desired retention
	Error     string
}

// Running reports whether an optimization is in progress.
func (p *schedulePane) Running() bool {
	return p.Latest != nil && p.Latest.State == store.OptimizationRunning
}

// SuggestRetention reports whether the optimal retention found differs
// from the learner's desired retention.
func (p *schedulePane) SuggestRetention() bool {
	return p.Latest != nil && p.Latest.OptimalRetention > 0 && fmt.Sprintf("%.2f", p.Latest.OptimalRetention) != fmt.Sprintf("%.2f", p.Retention)
}

func (s *Server) schedulePane(c echo.Context) (*schedulePane, error) {
	u := currentUser(c)
	latest, err := s.db.LatestOptimization(c.Request().Context(), u)
	if err != nil {
		return nil, err
	}
	return &schedulePane{layout: s.layout(c, "Settings"), Own: u.FSRSParams != "", Latest: latest, Retention: u.Retention}, nil
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
	sched, err := s.schedulePane(c)
	if err != nil {
		return nil, err
	}
	token, _ := c.Get(ctxSession).(string)
	sessions, err := s.db.Sessions(c.Request().Context(), u, token)
	if err != nil {
		return nil, err
	}
	var accounts []store.User
	if u.Admin {
		if accounts, err = s.db.Users(c.Request().Context()); err != nil {
			return nil, err
		}
	}
	return &settingsPage{layout: s.layout(c, "Settings"), Zones: commonZones, OpenSignUp: open, Schedule: sched, Sessions: sessions, Accounts: accounts,
		Form: settingsForm{Retention: u.Retention, NewPerDay: u.NewPerDay, ReviewsPerDay: u.ReviewsPerDay,
			MaxInterval: u.MaxInterval, TimeZone: u.TimeZone, Interleaved: u.NewGather == srs.GatherInterleaved}}, nil
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
	f := settingsForm{TimeZone: strings.TrimSpace(c.FormValue("time_zone")), Interleaved: p.Form.Interleaved}
	var errs []error
	switch c.FormValue("gather") {
	case "interleaved":
		f.Interleaved = true
	case "deck-order":
		f.Interleaved = false
	case "": // a form without the choice keeps it
	default:
		errs = append(errs, fmt.Errorf("unknown gather order %q", c.FormValue("gather")))
	}
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
	set := srs.Settings{Retention: f.Retention, NewPerDay: f.NewPerDay, ReviewsPerDay: f.ReviewsPerDay, MaxIntervalDays: f.MaxInterval,
		Gather: srs.GatherDeckOrder}
	if f.Interleaved {
		set.Gather = srs.GatherInterleaved
	}
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

// renderSchedule answers an htmx request with the schedule pane alone and
// any other with the settings page.
func (s *Server) renderSchedule(c echo.Context, status int, errMsg string) error {
	if !isFragment(c) {
		if errMsg == "" {
			return s.redirect(c, "/settings#schedule")
		}
		p, err := s.settingsPage(c)
		if err != nil {
			return err
		}
		p.Schedule.Error = errMsg
		return s.render(c, status, "settings", p)
	}
	p, err := s.schedulePane(c)
	if err != nil {
		return err
	}
	p.Error = errMsg
	return s.renderTemplate(c, status, "settings", "schedule", p)
}

// handleSchedule is the schedule pane, which polls it while an
// optimization runs.
func (s *Server) handleSchedule(c echo.Context) error {
	if !isFragment(c) {
		return s.redirect(c, "/settings#schedule")
	}
	return s.renderSchedule(c, http.StatusOK, "")
}

// handleOptimize starts fitting the learner's FSRS parameters in the
// background.
func (s *Server) handleOptimize(c echo.Context) error {
	_, err := s.db.StartOptimization(c.Request().Context(), currentUser(c))
	if store.ErrorCode(err) == store.EConflict {
		return s.renderSchedule(c, http.StatusConflict, store.ErrorMessage(err))
	}
	if err != nil {
		return err
	}
	return s.renderSchedule(c, http.StatusOK, "")
}

// handleResetParams puts the learner back on the default parameters.
func (s *Server) handleResetParams(c echo.Context) error {
	u := currentUser(c)
	if latest, err := s.db.LatestOptimization(c.Request().Context(), u); err != nil {
		return err
	} else if latest != nil && latest.State == store.OptimizationRunning {
		return s.renderSchedule(c, http.StatusConflict, "An optimization is running; reset once it has finished.")
	}
	if err := s.db.ResetParams(c.Request().Context(), u); err != nil {
		return err
	}
	return s.renderSchedule(c, http.StatusOK, "")
}

// handleOptimalRetention sets the learner's desired retention to the
// optimal retention the latest optimization found (the value comes from
// the server, not the form).
func (s *Server) handleOptimalRetention(c echo.Context) error {
	u := currentUser(c)
	latest, err := s.db.LatestOptimization(c.Request().Context(), u)
	if err != nil {
		return err
	}
	if latest == nil || latest.OptimalRetention == 0 {
		return s.renderSchedule(c, http.StatusConflict, "No optimal retention yet: optimize your schedule first.")
	}
	set := u.Settings()
	set.Retention = min(max(latest.OptimalRetention, 0.70), 0.99)
	if err := s.db.UpdateSettings(c.Request().Context(), u.ID, u.TimeZone, set); err != nil {
		return err
	}
	return s.redirect(c, "/settings#schedule")
}

// handleChangePassword changes the user's password, under the log-in
// throttle (the current password is a password check like a log-in), and
// ends the user's other sessions.
func (s *Server) handleChangePassword(c echo.Context) error {
	u := currentUser(c)
	p, err := s.settingsPage(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	res, at, rule, err := s.logins.Reserve(ctx, throttleKey{"user", capKey(strings.ToLower(u.Username)) + "|" + addressKey(c.RealIP())})
	if err != nil {
		return err
	}
	if res == nil {
		wait := max(time.Second, at.Sub(s.db.Now()).Round(time.Second))
		c.Response().Header().Set("Retry-After", fmtSeconds(wait))
		p.PasswordError = "Too many wrong passwords " + rule.Describe + ". Try again in " + wait.String() + "."
		return s.render(c, http.StatusTooManyRequests, "settings", p)
	}
	token, _ := c.Get(ctxSession).(string)
	err = s.checkPassword(c, func(ctx context.Context) error {
		return s.db.ChangePassword(ctx, u, c.Request().PostFormValue("current"), c.Request().PostFormValue("new"), token)
	})
	switch store.ErrorCode(err) {
	case "":
		res.Succeeded(ctx, "user")
		if p.Sessions, err = s.db.Sessions(c.Request().Context(), u, token); err != nil {
			return err
		}
		p.PasswordSaved = "Password changed. Your other sessions have been logged out."
		return s.render(c, http.StatusOK, "settings", p)
	case store.EUnauthorized:
		res.Failed(ctx)
		p.PasswordError = store.ErrorMessage(err)
		return s.render(c, http.StatusUnauthorized, "settings", p)
	case store.EInvalid:
		res.Released(ctx)
		p.PasswordError = store.ErrorMessage(err)
		return s.render(c, http.StatusBadRequest, "settings", p)
	}
	res.Released(ctx)
	return err
}

// handleRevokeSession ends one of the user's sessions.
func (s *Server) handleRevokeSession(c echo.Context) error {
	if err := s.db.RevokeSession(c.Request().Context(), currentUser(c), c.Request().PostFormValue("session")); err != nil {
		return err
	}
	return s.redirect(c, "/settings#sessions")
}

// handleDisableUser lets an admin disable or enable an account.
func (s *Server) handleDisableUser(c echo.Context) error {
	err := s.db.SetDisabled(c.Request().Context(), currentUser(c), c.Request().PostFormValue("username"), c.Request().PostFormValue("disabled") == "1")
	if code := store.ErrorCode(err); code == store.EInvalid || code == store.ENotFound {
		p, perr := s.settingsPage(c)
		if perr != nil {
			return perr
		}
		p.AccountError = store.ErrorMessage(err)
		return s.render(c, http.StatusBadRequest, "settings", p)
	}
	if err != nil {
		return err
	}
	return s.redirect(c, "/settings#accounts")
}
