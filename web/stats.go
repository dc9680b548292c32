package web

import (
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/flashd/flashd/store"
)

// statsPage is the statistics of one deck or all decks.
type statsPage struct {
	layout
	Deck      string // deck id, "" for all decks
	Decks     []store.Deck
	Days      int // range of the reviews chart: 30, 90 or 365
	Stats     *store.Stats
	Heatmap   template.HTML
	Reviews   template.HTML
	Forecast  template.HTML
	Stability template.HTML
	Diff      template.HTML
	Recall    template.HTML
	Readiness *store.Readiness
	ExamDate  string
}

// handleStats shows the statistics. ?deck=ID narrows them to a deck,
// ?days=30|90|365 sets the reviews chart's range, ?exam=YYYY-MM-DD asks
// for the predicted recall on that date.
func (s *Server) handleStats(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	deck := c.QueryParam("deck")
	days := 30
	if v := c.QueryParam("days"); v != "" {
		days, _ = strconv.Atoi(v)
		if days != 30 && days != 90 && days != 365 {
			return store.Errorf(store.EInvalid, "The range is 30, 90 or 365 days.")
		}
	}
	st, err := s.db.Stats(ctx, u, deck)
	if err != nil {
		return err
	}
	ds, err := s.db.Decks(ctx, u)
	if err != nil {
		return err
	}
	p := &statsPage{layout: s.layout(c, "Statistics"), Deck: deck, Decks: ds, Days: days, Stats: st}
	p.Heatmap = heatmap(st.Days)

	recent := st.Days[len(st.Days)-days:]
	labels := make([]string, days)
	layers := []series{{Name: "New", Class: "bar-new"}, {Name: "Learning", Class: "bar-learn"}, {Name: "Review", Class: "bar-review"}, {Name: "Relearning", Class: "bar-relearn"}}
	for i := range layers {
		layers[i].Values = make([]int, days)
	}
	for i, d := range recent {
		labels[i] = d.Day.Format("2 Jan")
		layers[0].Values[i], layers[1].Values[i], layers[2].Values[i], layers[3].Values[i] = d.New, d.Learning, d.Review, d.Relearning
	}
	p.Reviews = barChart("reviews", "Reviews per day, last "+strconv.Itoa(days)+" days", "Reviews", "Day", labels, layers, days/6)

	flabels := make([]string, len(st.Forecast))
	for i := range st.Forecast {
		flabels[i] = st.Today.AddDate(0, 0, i).Format("2 Jan")
	}
	p.Forecast = barChart("forecast", "Cards due per day, next 30 days", "Cards due", "Day", flabels, []series{{Name: "Due", Class: "bar", Values: st.Forecast}}, 5)
	p.Stability = histogram("stability", "Stability of studied cards", "Stability (days until recall falls to 90%)", st.Stability)
	p.Diff = histogram("difficulty", "Difficulty of studied cards (1 easiest to 10 hardest)", "Difficulty (1 easiest, 10 hardest)", st.Difficulty)
	p.Recall = histogram("recall", "Current predicted recall of studied cards", "Predicted recall now", st.Recall)

	loc := u.Settings().Location
	exam := s.db.Now().AddDate(0, 0, 30)
	if v := c.QueryParam("exam"); v != "" {
		if exam, err = time.ParseInLocation("2006-01-02", v, loc); err != nil {
			return store.Errorf(store.EInvalid, "An exam date looks like 2027-03-01.")
		}
		exam = exam.Add(9 * time.Hour) // the morning of the exam
	}
	p.ExamDate = exam.In(loc).Format("2006-01-02")
	if p.Readiness, err = s.db.Readiness(ctx, u, deck, exam); err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "stats", p)
}

// cardInfoPage is a card with the viewer's full history of it.
type cardInfoPage struct {
	layout
	Card    cardView
	History []store.HistoryEntry
	Current store.CardState
}

// handleCardInfo shows a card's review history with the memory state after
// each rating.
func (s *Server) handleCardInfo(c echo.Context) error {
	id, err := parseCardID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	u := currentUser(c)
	rc, err := s.db.ReviewCardByID(ctx, u, id)
	if err != nil {
		return err
	}
	h, err := s.db.CardHistory(ctx, u, id)
	if err != nil {
		return err
	}
	v := newCardView(&rc.Card)
	loc := u.Settings().Location
	v.DeckSlug, v.DeckTitle, v.CSRF = rc.DeckSlug, rc.DeckTitle, csrfToken(c)
	v.setSchedule(rc.State, s.db.Now(), loc)
	// Newest first, as Anki's card info lists them, in the learner's zone.
	h = slices.Clone(h)
	slices.Reverse(h)
	for i := range h {
		h[i].At = h[i].At.In(loc)
	}
	return s.render(c, http.StatusOK, "card", &cardInfoPage{layout: s.layout(c, "Card info"), Card: v, History: h, Current: rc.State})
}
