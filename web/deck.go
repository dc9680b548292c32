package web

import (
	"html/template"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/flashd/flashd/decks"
	"github.com/flashd/flashd/store"
)

// decksPage lists the decks.
type decksPage struct {
	layout
	Decks []store.Deck
}

// handleDecks lists every deck.
func (s *Server) handleDecks(c echo.Context) error {
	ds, err := s.db.Decks(c.Request().Context())
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
}

type optionView struct {
	Letter  string
	HTML    template.HTML
	Correct bool
}

func newCardView(c *store.Card) cardView {
	v := cardView{ID: c.ID, Kind: c.Kind, Type: c.Type, Cloze: c.Cloze, Section: c.Section,
		FrontHTML: trusted(c.FrontHTML), BackHTML: trusted(c.BackHTML)}
	for i, o := range c.Options() {
		v.Options = append(v.Options, optionView{Letter: string(rune('A' + i)), HTML: trusted(o.HTML), Correct: o.Correct})
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
	Counts      map[string]int // active cards by kind
}

// handleDeck shows one deck with every active card, rendered.
func (s *Server) handleDeck(c echo.Context) error {
	ctx := c.Request().Context()
	d, err := s.db.DeckBySlug(ctx, c.Param("id"))
	if err != nil {
		return err
	}
	cs, err := s.db.Cards(ctx, d.ID)
	if err != nil {
		return err
	}
	p := &deckPage{layout: s.layout(c, d.Title), Deck: d, Tags: strings.Fields(d.Tags),
		Description: trusted(d.Description), Counts: map[string]int{}}
	for i := range cs {
		p.Cards = append(p.Cards, newCardView(&cs[i]))
		p.Counts[string(cs[i].Kind)]++
	}
	return s.render(c, http.StatusOK, "deck", p)
}
