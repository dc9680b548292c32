package web

import (
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/flashd/flashd/decks"
	"github.com/flashd/flashd/decks/anki"
	"github.com/flashd/flashd/srs"
	"github.com/flashd/flashd/store"
)

// decksPage lists the decks.
type decksPage struct {
	layout
	Decks  []store.Deck
	Upload uploadResult
	Anki   ankiUploadResult
}

// handleDecks lists every deck.
func (s *Server) handleDecks(c echo.Context) error {
	ds, err := s.db.Decks(c.Request().Context(), currentUser(c))
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "decks", &decksPage{layout: s.layout(c, "Decks"), Decks: ds})
}

// cardView is a card as the deck page shows it.
type cardView struct {
	ID        int64
	DeckSlug  string
	DeckTitle string
	Kind      decks.Kind
	Type      decks.Type
	Cloze     int
	Section   string
	FrontHTML template.HTML
	BackHTML  template.HTML
	Options   []optionView

	// The viewer's schedule of the card, on the deck page.
	Status    string // new, learning, review or relearning
	Due       string
	Lapses    int
	Suspended bool
	Flagged   bool
	CSRF      string // for the card's own forms

	// Preview: the card is the deck editor's, not yet imported (ID numbers
	// it in the preview), and Line is its heading's line.
	Preview bool
	Line    int
}

// optionKey is the key that picks the option shown at index i: its digit,
// 1 to 8. Letters would collide with the review's own keys (b buries, f
// flags, i opens the card info wherever a card is shown), and before a
// pick no rating button is on screen, so the digits are free.
func optionKey(i int) string { return string(rune('1' + i)) }

// setSchedule fills in the viewer's schedule of the card from its state.
func (v *cardView) setSchedule(st store.CardState, now time.Time, loc *time.Location) {
	v.Status, v.Lapses, v.Suspended, v.Flagged = strings.ToLower(st.Phase.String()), st.Lapses, st.Suspended, st.Flagged
	if st.Phase != srs.New {
		v.Due = formatDue(time.UnixMilli(st.Due), now, loc)
	}
}

type optionView struct {
	Letter  string
	Key     string // the key that picks it (optionKey)
	HTML    template.HTML
	Correct bool
}

func newCardView(c *store.Card) cardView {
	v := cardView{ID: c.ID, Kind: c.Kind, Type: c.Type, Cloze: c.Cloze, Section: c.Section,
		FrontHTML: trusted(c.FrontHTML), BackHTML: trusted(c.BackHTML)}
	for i, o := range c.Options() {
		v.Options = append(v.Options, optionView{Letter: string(rune('A' + i)), Key: optionKey(i), HTML: trusted(o.HTML), Correct: o.Correct})
	}
	return v
}

// deckPage shows a deck and its cards.
type deckPage struct {
	layout
	Deck        *store.Deck
	Description template.HTML
	Tags        []string
	Cards       []cardView
	Counts      map[string]int  // active cards by kind
	Paused      bool            // the viewer paused the deck
	Prefs       store.DeckPrefs // the viewer's choices about the deck
	// Manage: the viewer owns the deck or its group (or maintains it),
	// sees its history, and may move it to one of MoveTo.
	Manage bool
	MoveTo []store.Group
	// MediaWarnings say what of the deck's images an Anki CSV cannot
	// carry.
	MediaWarnings []string
}

// handleDeck shows one deck with every active card, rendered.
func (s *Server) handleDeck(c echo.Context) error {
	ctx := c.Request().Context()
	d, err := s.db.DeckBySlug(ctx, currentUser(c), c.Param("id"))
	if err != nil {
		return err
	}
	cs, err := s.db.Cards(ctx, d.ID)
	if err != nil {
		return err
	}
	u := currentUser(c)
	states, err := s.db.CardStates(ctx, u, d.ID)
	if err != nil {
		return err
	}
	paused, err := s.db.Paused(ctx, u, d.ID)
	if err != nil {
		return err
	}
	prefs, err := s.db.DeckPrefs(ctx, u, d.ID)
	if err != nil {
		return err
	}
	p := &deckPage{layout: s.layout(c, d.Title), Deck: d, Tags: strings.Fields(d.Tags),
		Description: trusted(d.Description), Counts: map[string]int{}, Paused: paused, Prefs: prefs}
	p.MediaWarnings = anki.MediaWarnings(store.AnkiDeckOf(d, cs))
	if p.Manage, err = s.db.CanManageDeck(ctx, u, d); err != nil {
		return err
	}
	if p.Manage {
		gs, err := s.db.Groups(ctx, u)
		if err != nil {
			return err
		}
		for _, g := range gs {
			if g.Role.CanUpload() && (d.GroupID == nil || *d.GroupID != g.ID) {
				p.MoveTo = append(p.MoveTo, g)
			}
		}
	}
	now := s.db.Now()
	for i := range cs {
		v := newCardView(&cs[i])
		st := states[cs[i].ID]
		v.DeckSlug, v.CSRF = d.Slug, p.CSRF
		v.setSchedule(st, now, u.Settings().Location)
		p.Cards = append(p.Cards, v)
		p.Counts[string(cs[i].Kind)]++
	}
	return s.render(c, http.StatusOK, "deck", p)
}

// deckHistoryPage lists who changed a deck, and how.
type deckHistoryPage struct {
	layout
	Deck    *store.Deck
	Changes []store.DeckChange
}

// handleDeckHistory shows a deck's history to its owner, or its group's
// owner and maintainers.
func (s *Server) handleDeckHistory(c echo.Context) error {
	d, changes, err := s.db.DeckHistory(c.Request().Context(), currentUser(c), c.Param("id"))
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "deckhistory", &deckHistoryPage{layout: s.layout(c, "History of "+d.Title), Deck: d, Changes: changes})
}

// handleMoveDeck moves a deck into another group.
func (s *Server) handleMoveDeck(c echo.Context) error {
	to, err := strconv.ParseInt(c.Request().PostFormValue("group"), 10, 64)
	if err != nil {
		return store.Errorf(store.EInvalid, "Choose the group to move the deck to.")
	}
	if err := s.db.MoveDeck(c.Request().Context(), currentUser(c), c.Param("id"), to); err != nil {
		return err
	}
	return s.redirect(c, "/decks/"+c.Param("id")+"/history")
}
