package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/flashd/flashd/decks"
	"github.com/flashd/flashd/store"
)

// A cram goes through the cards of one deck or kind without touching the
// learner's schedule (Anki's filtered deck with rescheduling off): no
// card state, review or counter is written, so it is plain GET links.
// Its whole state is in the link: the round, the place in the round, and
// the cards marked Again, which come back in the next round until every
// card was answered Got it once. The first round is the deck's cards as
// store.CramCards lists them; later rounds list their cards in the link.

// cramState is where a cram session is.
type cramState struct {
	Filter store.Filter
	Round  int     // 1 for the deck's cards, then the cards missed
	Index  int     // the place in the round
	Redo   []int64 // the round's cards, for rounds after the first
	Again  []int64 // the cards missed in this round
	Seen   int     // cards answered so far
	Missed int     // of them, answered Again
}

// cramPane is the cram page's part htmx swaps.
type cramPane struct {
	State     cramState
	Card      *cardView
	Place     int // the card's place in its round, from 1
	RoundSize int
	Again     string // the link that answers Again
	GotIt     string // the link that answers Got it
	Restart   string // the link of a new cram of the same cards
	Choice    bool
}

// cramPage is the whole cram page.
type cramPage struct {
	layout
	Pane *cramPane
}

// parseIDs reads a comma-separated list of card ids.
func parseIDs(v string) ([]int64, error) {
	if v == "" {
		return nil, nil
	}
	parts := strings.Split(v, ",")
	if len(parts) > store.MaxCram {
		return nil, store.Errorf(store.EInvalid, "A cram holds at most %d cards.", store.MaxCram)
	}
	ids := make([]int64, 0, len(parts))
	for _, p := range parts {
		id, err := strconv.ParseInt(p, 10, 64)
		if err != nil || id <= 0 {
			return nil, store.Errorf(store.EInvalid, "This cram link is broken: start the cram again.")
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func joinIDs(ids []int64) string {
	var b strings.Builder
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(id, 10))
	}
	return b.String()
}

// parseCram reads a cram's state from its link.
func parseCram(c echo.Context) (cramState, error) {
	f, err := parseFilter(c)
	if err != nil {
		return cramState{}, err
	}
	st := cramState{Filter: f, Round: 1}
	num := func(name string, into *int) error {
		v := c.QueryParam(name)
		if v == "" {
			return nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 1e6 {
			return store.Errorf(store.EInvalid, "This cram link is broken: start the cram again.")
		}
		*into = n
		return nil
	}
	for name, into := range map[string]*int{"round": &st.Round, "i": &st.Index, "seen": &st.Seen, "missed": &st.Missed} {
		if err := num(name, into); err != nil {
			return st, err
		}
	}
	if st.Redo, err = parseIDs(c.QueryParam("redo")); err != nil {
		return st, err
	}
	if st.Again, err = parseIDs(c.QueryParam("again")); err != nil {
		return st, err
	}
	if st.Round < 1 || (st.Round > 1 && len(st.Redo) == 0) {
		return st, store.Errorf(store.EInvalid, "This cram link is broken: start the cram again.")
	}
	return st, nil
}

// link is the cram page of a state.
func (st cramState) link() string {
	v, _ := url.ParseQuery(filterQuery(st.Filter))
	if st.Round > 1 {
		v.Set("round", strconv.Itoa(st.Round))
		v.Set("redo", joinIDs(st.Redo))
	}
	if st.Index > 0 {
		v.Set("i", strconv.Itoa(st.Index))
	}
	if len(st.Again) > 0 {
		v.Set("again", joinIDs(st.Again))
	}
	if st.Seen > 0 {
		v.Set("seen", strconv.Itoa(st.Seen))
	}
	if st.Missed > 0 {
		v.Set("missed", strconv.Itoa(st.Missed))
	}
	return "/cram?" + v.Encode()
}

// answered is the state after answering the card at the state's place;
// again says it was answered Again.
func (st cramState) answered(card int64, again bool) cramState {
	next := st
	next.Index++
	next.Seen++
	if again {
		next.Missed++
		next.Again = append(append([]int64(nil), st.Again...), card)
	}
	return next
}

// handleCram shows the card at a cram's place, or the cram's end.
func (s *Server) handleCram(c echo.Context) error {
	st, err := parseCram(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	u := currentUser(c)
	round := st.Redo
	if st.Round == 1 {
		if round, err = s.db.CramCards(ctx, u, st.Filter); err != nil {
			return err
		}
	}
	if st.Index >= len(round) && len(st.Again) > 0 {
		// The round is over: the cards missed in it make the next one.
		round = st.Again
		st = cramState{Filter: st.Filter, Round: st.Round + 1, Redo: round, Seen: st.Seen, Missed: st.Missed}
	}
	restart := cramState{Filter: st.Filter, Round: 1}
	p := &cramPane{State: st, RoundSize: len(round), Restart: restart.link()}
	if st.Index < len(round) {
		id := round[st.Index]
		rc, err := s.db.ReviewCardByID(ctx, u, id)
		if err != nil {
			return err
		}
		v := newCardView(&rc.Card)
		v.DeckSlug, v.DeckTitle = rc.DeckSlug, rc.DeckTitle
		p.Card, p.Place, p.Choice = &v, st.Index+1, v.Type == decks.TypeChoice
		p.Again, p.GotIt = st.answered(id, true).link(), st.answered(id, false).link()
	}
	if isFragment(c) {
		return s.renderTemplate(c, http.StatusOK, "cram", "crampane", p)
	}
	return s.render(c, http.StatusOK, "cram", &cramPage{layout: s.layout(c, "Cram"), Pane: p})
}
