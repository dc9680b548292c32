package store

import (
	"context"
	"strings"

	"github.com/flashd/flashd/decks/anki"
)

// AnkiDeck maps a stored deck's active cards (retired ones are left out)
// to the Anki exporter's deck: the one mapping the command line and the
// web server both write from.
func (db *DB) AnkiDeck(ctx context.Context, d *Deck) (anki.Deck, error) {
	cs, err := db.Cards(ctx, d.ID)
	if err != nil {
		return anki.Deck{}, err
	}
	return AnkiDeckOf(d, cs), nil
}

// AnkiDeckOf maps a deck and its active cards (as Cards returns them) to
// the exporter's deck.
func AnkiDeckOf(d *Deck, cs []Card) anki.Deck {
	deck := anki.Deck{Title: d.Title, Tags: strings.Fields(d.Tags)}
	for i := range cs {
		c := &cs[i]
		deck.Cards = append(deck.Cards, anki.Card{GUID: c.GUID, NoteKey: c.NoteKey, Cloze: c.Cloze, Type: c.Type, Kind: c.Kind,
			Section: c.Section, FrontHTML: c.FrontHTML, BackHTML: c.BackHTML, ClozeHTML: c.ClozeHTML, Options: c.Options()})
	}
	return deck
}
