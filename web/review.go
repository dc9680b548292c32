package web

import (
	"fmt"
	"html"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/flashd/flashd/decks"
	"github.com/flashd/flashd/srs"
	"github.com/flashd/flashd/store"
)

// reviewPane is the part of the review page that htmx swaps after every
// answer: the card, its buttons and the counts.
type reviewPane struct {
	CSRF   string
	Filter store.Filter
	Query  string // the filter as a query string, for links and redirects

	Card  *cardView
	Token string
	// Shown is when the card was first shown in this showing (Unix ms):
	// the rate form sends it back, for the answer time the rating records.
	Shown   int64
	Flagged bool
	Leech   bool
	Buttons [4]ratingButton
	Counts  store.Counts
	NextDue string         // when nothing is due: when the next card is
	Undo    store.Undoable // what the undo button takes back (ID 0: none)
	Notice  string         // a short message, such as "already rated"
	// The session's progress: cards rated today of all of today's
	// (rated and left), and the time left at the learner's own pace.
	Done, Total int
	TimeLeft    string
	// FirstReview explains the rating buttons: the learner has no rating
	// yet.
	FirstReview bool
	// When nothing is left: the day so far, and what else to study.
	Summary  *store.DaySummary
	Decks    []store.Deck // the learner's decks, to cram one
	Revealed bool         // the answer is shown (a scenario card after a pick)

	// Scenario cards, after a pick.
	Picked  int  // index of the picked option, -1 before a pick
	Correct bool // the pick was right

	Choice bool // the card is a scenario (its options are picked)

	// Parts of the pane built in Go (see paneParts), not by the template.
	FormFields  template.HTML // the hidden fields every form of the pane sends
	ButtonsHTML template.HTML // the rating buttons
	ActionsHTML template.HTML // the bury, suspend and flag or unflag forms
}

// paneAction is a button of the pane that acts on the card shown.
type paneAction struct{ action, label, key string }

// cardActions are the pane's card actions; the last one flags the card,
// or unflags it when it is flagged.
var cardActions = [3]paneAction{{"bury", "Bury until tomorrow", "b"}, {"suspend", "Suspend", "!"}, {"flag", "Flag", "f"}}

// The parts of the review pane that repeat (the hidden fields of each
// form, the four rating buttons, the three action forms) are built here
// rather than by the template: every template action costs a reflective
// call of its escaper, and these were most of the pane's actions and of
// its rendering time (see BenchmarkPaneTemplate). Every value written is
// escaped for HTML text or a quoted attribute.

// htmlWriter writes HTML, escaping what it is told to.
type htmlWriter struct{ strings.Builder }

// raw writes trusted markup; text writes escaped text or attribute value.
func (w *htmlWriter) raw(s string)  { w.WriteString(s) }
func (w *htmlWriter) text(s string) { w.WriteString(html.EscapeString(s)) }

// hidden writes a hidden input.
func (w *htmlWriter) hidden(name, value string) {
	w.raw(`<input type="hidden" name="`)
	w.text(name)
	w.raw(`" value="`)
	w.text(value)
	w.raw(`">`)
}

// paneParts fills the pane's parts built in Go, once its card, buttons
// and flags are known.
func (p *reviewPane) paneParts() {
	p.FormFields = formFields(p.CSRF, p.Filter)
	if p.Card == nil {
		return
	}
	var w htmlWriter
	for _, b := range p.Buttons {
		w.raw(`<button type="submit" name="rating" value="`)
		w.text(strconv.Itoa(b.Rating))
		w.raw(`" class="rating r`)
		w.text(strconv.Itoa(b.Rating))
		if b.Suggested {
			w.raw(` suggested`)
		}
		w.raw(`" data-key="`)
		w.text(b.Key)
		w.raw(`"`)
		if b.Suggested {
			w.raw(` data-suggested`)
		}
		w.raw(`><span class="label">`)
		w.text(b.Label)
		w.raw(`</span> <span class="ivl">`)
		w.text(b.Interval)
		w.raw(`</span> <kbd>`)
		w.text(b.Key)
		w.raw("</kbd></button>\n")
	}
	p.ButtonsHTML = template.HTML(w.String())

	actions := cardActions
	if p.Flagged {
		actions[2] = paneAction{"unflag", "Unflag", "f"}
	}
	w.Reset()
	target := "/review/" + strconv.FormatInt(p.Card.ID, 10) + "/action"
	for _, a := range actions {
		w.raw(`<form class="inline" method="post" action="`)
		w.text(target)
		w.raw(`" hx-post="`)
		w.text(target)
		w.raw(`" hx-target="#review" hx-swap="outerHTML">`)
		w.raw(string(p.FormFields))
		w.hidden("action", a.action)
		w.raw(`<button type="submit" class="small" data-key="`)
		w.text(a.key)
		w.raw(`">`)
		w.text(a.label)
		w.raw(` <kbd>`)
		w.text(a.key)
		w.raw("</kbd></button></form>\n")
	}
	p.ActionsHTML = template.HTML(w.String())
}

// formFields renders the hidden fields every form of a review pane
// sends: the CSRF token and the queue's filter.
func formFields(csrf string, f store.Filter) template.HTML {
	var w htmlWriter
	w.hidden("csrf", csrf)
	if f.Deck != "" {
		w.hidden("deck", f.Deck)
	}
	if f.Kind != "" {
		w.hidden("kind", string(f.Kind))
	}
	if f.Group != 0 {
		w.hidden("group", strconv.FormatInt(f.Group, 10))
	}
	if f.AheadDays != 0 {
		w.hidden("ahead", strconv.Itoa(f.AheadDays))
	}
	return template.HTML(w.String())
}

// ratingButton is one answer button with the interval it would give.
type ratingButton struct {
	Rating    int
	Label     string
	Key       string
	Interval  string
	Suggested bool
}

// reviewPage is the whole review page.
type reviewPage struct {
	layout
	Pane *reviewPane
}

// parseFilter reads the deck, kind and group filter of a review request.
// A group the learner is not in filters out every deck: its decks are
// not the learner's to study.
func parseFilter(c echo.Context) (store.Filter, error) {
	f := store.Filter{Deck: c.FormValue("deck"), Kind: decks.Kind(c.FormValue("kind"))}
	if g := c.FormValue("group"); g != "" {
		id, err := strconv.ParseInt(g, 10, 64)
		if err != nil || id <= 0 {
			return f, store.Errorf(store.EInvalid, "Unknown group %q.", g)
		}
		f.Group = id
	}
	if a := c.FormValue("ahead"); a != "" {
		days, err := strconv.Atoi(a)
		if err != nil || days < 0 || days > maxAheadDays {
			return f, store.Errorf(store.EInvalid, "Review ahead 1 to %d days.", maxAheadDays)
		}
		f.AheadDays = days
	}
	switch f.Kind {
	case "", decks.KindTakeaway, decks.KindTrap, decks.KindScenario, decks.KindTopic:
	default:
		return f, store.Errorf(store.EInvalid, "Unknown card kind %q.", f.Kind)
	}
	return f, nil
}

// maxAheadDays is the furthest "review ahead" reaches.
const maxAheadDays = 30

func filterQuery(f store.Filter) string {
	v := url.Values{}
	if f.Deck != "" {
		v.Set("deck", f.Deck)
	}
	if f.Kind != "" {
		v.Set("kind", string(f.Kind))
	}
	if f.Group != 0 {
		v.Set("group", strconv.FormatInt(f.Group, 10))
	}
	if f.AheadDays != 0 {
		v.Set("ahead", strconv.Itoa(f.AheadDays))
	}
	return v.Encode()
}

// parseCardID reads the card id of the route; a malformed id is a card
// that does not exist.
func parseCardID(c echo.Context, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, store.Errorf(store.ENotFound, "Card not found.")
	}
	return id, nil
}

// pane builds the review pane: the card with id cardID if it is not 0,
// else the next card of the queue, with the option at index picked of the
// order shown (-1 for none) picked on the page of the card's state with
// token shownToken ("" for the state it has now).
func (s *Server) pane(c echo.Context, f store.Filter, cardID int64, picked int, shownToken string) (*reviewPane, error) {
	ctx := c.Request().Context()
	u := currentUser(c)
	read := time.Now()
	q, err := s.db.Next(ctx, u, f)
	if err != nil {
		return nil, err
	}
	s.metrics.queueRead.Observe(time.Since(read).Seconds())
	p := &reviewPane{CSRF: csrfToken(c), Filter: f, Query: filterQuery(f), Counts: q.Counts, Picked: -1, Undo: q.Undo,
		FirstReview: q.UndoID == 0}
	left := q.Counts.New + q.Counts.Learning + q.Counts.Review
	p.Done, p.Total, p.TimeLeft = q.DoneToday, q.DoneToday+left, formatTimeLeft(q.AnswerTime*time.Duration(left))
	rc := q.Card
	if cardID != 0 {
		if rc, err = s.db.ReviewCardByID(ctx, u, cardID); err != nil {
			return nil, err
		}
	}
	if rc == nil {
		if !q.NextDue.IsZero() {
			p.NextDue = formatDue(q.NextDue, s.db.Now(), u.Settings().Location)
		}
		if p.Summary, err = s.db.Today(ctx, u); err != nil {
			return nil, err
		}
		if p.Decks, err = s.db.Decks(ctx, u); err != nil {
			return nil, err
		}
		return p, nil
	}
	v := newCardView(&rc.Card)
	v.DeckSlug, v.DeckTitle = rc.DeckSlug, rc.DeckTitle
	p.Card, p.Token, p.Flagged, p.Leech = &v, rc.State.Token(), rc.State.Flagged, rc.State.Leech()
	p.Choice = v.Type == decks.TypeChoice
	p.Shown = shownAt(c.QueryParam("shown"), s.db.Now())
	intervals, err := srs.NewScheduler(u.Settings()).Preview(rc.State.SRS(), s.db.Now())
	if err != nil {
		return nil, err
	}
	suggested := srs.Good
	if v.Type == decks.TypeChoice {
		// The options in this showing's order (see shuffle.go): the pick,
		// the verdict and the option marked correct all index this order.
		v.Options = shuffleOptions(v.Options, optionOrder(len(v.Options), showingSeed(u.ID, rc.ID, &rc.State)))
		switch {
		case picked >= len(v.Options):
			return nil, store.Errorf(store.EInvalid, "Pick an option A to %c.", 'A'+len(v.Options)-1)
		case picked >= 0 && shownToken != "" && shownToken != p.Token:
			// Picked on a page of an earlier state of the card, whose
			// order may not be this one: show the card as it is now.
			p.Notice = "This card changed since that page was shown: pick again."
		case picked >= 0:
			p.Picked, p.Correct, p.Revealed = picked, v.Options[picked].Correct, true
			if !p.Correct {
				suggested = srs.Again
			}
		}
	}
	for i, r := range srs.Ratings {
		p.Buttons[i] = ratingButton{Rating: int(r), Label: r.String(), Key: strconv.Itoa(int(r)),
			Interval: formatInterval(intervals[i]), Suggested: r == suggested}
	}
	return p, nil
}

// renderPane answers with the pane alone for htmx, or the whole page.
func (s *Server) renderPane(c echo.Context, p *reviewPane) error {
	p.paneParts()
	if isFragment(c) {
		return s.renderTemplate(c, http.StatusOK, "review", "reviewpane", p)
	}
	return s.render(c, http.StatusOK, "review", &reviewPage{layout: s.layout(c, "Review"), Pane: p})
}

// handleReview shows the next card of the queue, or the card the query
// names (?card=ID, as after an undo), with a scenario option picked
// (?pick=N, the index in the order shown, and &token=, the rating token of
// the page it was picked on; see shuffle.go).
func (s *Server) handleReview(c echo.Context) error {
	f, err := parseFilter(c)
	if err != nil {
		return err
	}
	var cardID int64
	if v := c.QueryParam("card"); v != "" {
		if cardID, err = strconv.ParseInt(v, 10, 64); err != nil || cardID <= 0 {
			return store.Errorf(store.ENotFound, "Card not found.")
		}
	}
	picked := -1
	if v := c.QueryParam("pick"); v != "" {
		if picked, err = strconv.Atoi(v); err != nil || picked < 0 || picked >= decks.MaxOptions {
			return store.Errorf(store.EInvalid, "Pick an option A to %c.", 'A'+decks.MaxOptions-1)
		}
	}
	p, err := s.pane(c, f, cardID, picked, c.QueryParam("token"))
	if err != nil {
		return err
	}
	return s.renderPane(c, p)
}

// shownAt reads the time a card was shown from a form or link (Unix ms);
// a missing, malformed or future time, or one over an hour old, is now.
// It only feeds the answer time a rating records (capped at a minute), so
// a forged one misleads nobody but the learner's own statistics.
func shownAt(v string, now time.Time) int64 {
	ms, err := strconv.ParseInt(v, 10, 64)
	if err != nil || ms > now.UnixMilli() || ms < now.Add(-time.Hour).UnixMilli() {
		return now.UnixMilli()
	}
	return ms
}

// handleRate saves a rating. A replayed or stale token changes nothing and
// shows the queue as it is.
func (s *Server) handleRate(c echo.Context) error {
	cardID, err := parseCardID(c, "card")
	if err != nil {
		return err
	}
	f, err := parseFilter(c)
	if err != nil {
		return err
	}
	rating, err := strconv.Atoi(c.FormValue("rating"))
	if err != nil || !srs.Rating(rating).Valid() {
		return store.Errorf(store.EInvalid, "A rating is 1 (Again), 2 (Hard), 3 (Good) or 4 (Easy).")
	}
	token := c.FormValue("token")
	if token == "" {
		return store.Errorf(store.EInvalid, "The rating has no token: reload the page.")
	}
	notice := ""
	now := s.db.Now()
	answer := now.Sub(time.UnixMilli(shownAt(c.FormValue("shown"), now)))
	_, err = s.db.RateAnswered(c.Request().Context(), currentUser(c), cardID, token, srs.Rating(rating), answer)
	switch {
	case err == store.ErrStale:
		s.metrics.ratings.WithLabelValues("stale").Inc()
		notice = store.ErrorMessage(err)
	case err != nil:
		return err
	default:
		s.metrics.ratings.WithLabelValues("saved").Inc()
	}
	if !isFragment(c) {
		return c.Redirect(http.StatusSeeOther, "/review?"+filterQuery(f))
	}
	p, err := s.pane(c, f, 0, -1, "")
	if err != nil {
		return err
	}
	p.Notice = notice
	return s.renderPane(c, p)
}

// handleUndo takes back the top of the learner's undo stack (a rating,
// a bury, a suspension or a flag) and shows its card again, with a
// notice that says what was undone.
func (s *Server) handleUndo(c echo.Context) error {
	f, err := parseFilter(c)
	if err != nil {
		return err
	}
	ref := c.FormValue("undo")
	if ref == "" {
		ref = c.FormValue("review") // the form of earlier versions
	}
	want, err := store.ParseUndoRef(ref)
	if err != nil {
		return err
	}
	done, err := s.db.UndoLast(c.Request().Context(), currentUser(c), want)
	notice := ""
	var cardID int64
	switch store.ErrorCode(err) {
	case "":
		cardID = done.CardID
		notice = "Undone: " + done.What() + " of this card."
	case store.EConflict:
		notice = store.ErrorMessage(err)
	default:
		return err
	}
	if !isFragment(c) {
		q := filterQuery(f)
		if cardID != 0 {
			q += "&card=" + strconv.FormatInt(cardID, 10)
		}
		return c.Redirect(http.StatusSeeOther, "/review?"+q)
	}
	p, err := s.pane(c, f, cardID, -1, "")
	if err != nil {
		return err
	}
	p.Notice = notice
	return s.renderPane(c, p)
}

// handleMoreNew raises today's new-card limit ("study more": extra new
// cards today) and goes on with the review.
func (s *Server) handleMoreNew(c echo.Context) error {
	f, err := parseFilter(c)
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(c.FormValue("new"))
	if err != nil {
		return store.Errorf(store.EInvalid, "Ask for 1 to %d more new cards.", store.MaxExtraNew)
	}
	if err := s.db.AddNewToday(c.Request().Context(), currentUser(c), n); err != nil {
		return err
	}
	if !isFragment(c) {
		return c.Redirect(http.StatusSeeOther, "/review?"+filterQuery(f))
	}
	p, err := s.pane(c, f, 0, -1, "")
	if err != nil {
		return err
	}
	p.Notice = fmt.Sprintf("%d more new cards today.", n)
	return s.renderPane(c, p)
}

// AheadLink is the review page of the pane's filter reviewing days
// ahead.
func (p *reviewPane) AheadLink(days int) string {
	f := p.Filter
	f.AheadDays = days
	return "/review?" + filterQuery(f)
}

// formatTimeLeft says how long a session has left, "" when unknown.
func formatTimeLeft(d time.Duration) string {
	switch {
	case d <= 0:
		return ""
	case d < time.Minute:
		return "under a minute left"
	case d < 90*time.Minute:
		return fmt.Sprintf("about %d min left", int(d.Round(time.Minute)/time.Minute))
	}
	return fmt.Sprintf("about %.1f h left", d.Hours())
}

// formatSpent says how long was spent, "" for nothing.
func formatSpent(d time.Duration) string {
	switch {
	case d <= 0:
		return ""
	case d < time.Second:
		return "under a second"
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Round(time.Second)/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Round(time.Minute)/time.Minute))
	}
	return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Round(time.Minute)/time.Minute)%60)
}

// handleCardAction suspends, buries or flags a card, then moves on.
func (s *Server) handleCardAction(c echo.Context) error {
	cardID, err := parseCardID(c, "card")
	if err != nil {
		return err
	}
	f, err := parseFilter(c)
	if err != nil {
		return err
	}
	action := store.CardAction(c.FormValue("action"))
	if err := s.db.Act(c.Request().Context(), currentUser(c), cardID, action); err != nil {
		return err
	}
	if back := c.FormValue("back"); back != "" {
		return s.redirect(c, localPath(back))
	}
	if !isFragment(c) {
		return c.Redirect(http.StatusSeeOther, "/review?"+filterQuery(f))
	}
	// Flagging keeps the card on screen; the other actions move on.
	keep := int64(0)
	if action == store.ActionFlag || action == store.ActionUnflag {
		keep = cardID
	}
	p, err := s.pane(c, f, keep, -1, "")
	if err != nil {
		return err
	}
	p.Notice = map[store.CardAction]string{
		store.ActionSuspend: "Card suspended.", store.ActionUnsuspend: "Card unsuspended.",
		store.ActionBury: "Card buried until tomorrow.", store.ActionFlag: "Card flagged.", store.ActionUnflag: "Flag removed.",
	}[action]
	return s.renderPane(c, p)
}

// formatInterval writes a duration the way Anki's buttons do: 1m, 10m,
// 3h, 4d, 1.5mo, 2.1y.
func formatInterval(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "<1m"
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Round(time.Minute)/time.Minute))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh", int(d.Round(time.Hour)/time.Hour))
	}
	days := d.Hours() / 24
	switch {
	case days < 30:
		return fmt.Sprintf("%.0fd", days)
	case days < 365:
		return fmt.Sprintf("%.1fmo", days/30)
	}
	return fmt.Sprintf("%.1fy", days/365)
}

// formatDue says when a time comes, relative to now, in the user's zone.
func formatDue(t, now time.Time, loc *time.Location) string {
	lt := t.In(loc)
	d := t.Sub(now)
	switch {
	case d <= time.Minute:
		return "now"
	case d < time.Hour:
		return fmt.Sprintf("in %d minutes (%s)", int(d.Round(time.Minute)/time.Minute), lt.Format("15:04"))
	case d < 24*time.Hour:
		return fmt.Sprintf("in %s (%s)", formatInterval(d), lt.Format("15:04"))
	}
	return lt.Format("Mon 2 Jan 15:04")
}

// leechesPage lists the user's leeches.
type leechesPage struct {
	layout
	Cards []store.Leech
}

func (s *Server) handleLeeches(c echo.Context) error {
	ls, err := s.db.Leeches(c.Request().Context(), currentUser(c))
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "leeches", &leechesPage{layout: s.layout(c, "Leeches"), Cards: ls})
}
