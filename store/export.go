package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/flashd/flashd/decks/anki"
	"github.com/flashd/flashd/srs"
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
		options := c.Options()
		for j := range options {
			options[j].HTML = unrewriteMedia(options[j].HTML)
		}
		deck.Cards = append(deck.Cards, anki.Card{GUID: c.GUID, NoteKey: c.NoteKey, Cloze: c.Cloze, Type: c.Type, Kind: c.Kind,
			Section: c.Section, FrontHTML: unrewriteMedia(c.FrontHTML), BackHTML: unrewriteMedia(c.BackHTML),
			ClozeHTML: unrewriteMedia(c.ClozeHTML), Options: options, Tags: anki.CommentTags(c.BackSrc),
			Modified: time.UnixMilli(c.UpdatedAt).UTC()})
	}
	return deck
}

// DeckSource returns the Markdown a deck was last imported from; empty
// for a deck not imported since sources were kept.
func (db *DB) DeckSource(ctx context.Context, d *Deck) (string, error) {
	var src string
	if err := db.ro.GetContext(ctx, &src, `SELECT source FROM decks WHERE id = ?`, d.ID); err != nil {
		return "", fmt.Errorf("deck source: %w", err)
	}
	return src, nil
}

// AnkiExport maps a stored deck to an .apkg export: its active cards and
// the media they show and, for a learner (u not nil), the learner's
// settings and each card's schedule, flags and review log (the ratings
// that stand, with the state before and after each).
func (db *DB) AnkiExport(ctx context.Context, d *Deck, u *User) (anki.Export, error) {
	cs, err := db.Cards(ctx, d.ID)
	if err != nil {
		return anki.Export{}, err
	}
	e := anki.Export{Deck: AnkiDeckOf(d, cs), Now: db.Now(), Settings: srs.DefaultSettings()}
	held, err := db.DeckMedia(ctx, d.ID)
	if err != nil {
		return anki.Export{}, err
	}
	// Only what the active cards show goes into the package.
	e.Media = map[string][]byte{}
	for _, c := range e.Deck.Cards {
		parts := []string{c.FrontHTML, c.BackHTML, c.ClozeHTML}
		for _, o := range c.Options {
			parts = append(parts, o.HTML)
		}
		for _, h := range parts {
			for name := range mediaNames(h) {
				if data, ok := held[name]; ok {
					e.Media[name] = data
				}
			}
		}
	}
	if u == nil {
		return e, nil
	}
	e.Settings = u.Settings()
	index := make(map[int64]int, len(cs))
	for i, c := range cs {
		index[c.ID] = i
	}
	var states []struct {
		CardID int64 `db:"card_id"`
		CardState
	}
	err = db.ro.SelectContext(ctx, &states, `SELECT s.card_id, `+prefixed("s", stateColumns)+` FROM card_states s JOIN cards c ON c.id = s.card_id
		WHERE s.user_id = ? AND c.deck_id = ? AND c.retired_at IS NULL`, u.ID, d.ID)
	if err != nil {
		return anki.Export{}, fmt.Errorf("export states: %w", err)
	}
	e.Progress = make([]*anki.Progress, len(cs))
	for _, s := range states {
		p := &anki.Progress{State: s.SRS(), Suspended: s.Suspended, Flagged: s.Flagged}
		if s.BuriedUntil > 0 {
			p.BuriedUntil = time.UnixMilli(s.BuriedUntil).UTC()
		}
		e.Progress[index[s.CardID]] = p
	}
	var log []struct {
		CardID   int64  `db:"card_id"`
		Rating   int    `db:"rating"`
		At       int64  `db:"reviewed_at"`
		Before   string `db:"before_state"`
		AnswerMS int64  `db:"answer_ms"`
	}
	err = db.ro.SelectContext(ctx, &log, `SELECT r.card_id, r.rating, r.reviewed_at, r.before_state, r.answer_ms FROM reviews r JOIN cards c ON c.id = r.card_id
		WHERE r.user_id = ? AND c.deck_id = ? AND c.retired_at IS NULL AND r.undone_at IS NULL ORDER BY r.card_id, r.reviewed_at, r.id`, u.ID, d.ID)
	if err != nil {
		return anki.Export{}, fmt.Errorf("export review log: %w", err)
	}
	for i, l := range log {
		p := e.Progress[index[l.CardID]]
		if p == nil {
			continue // a log without a state cannot be: ratings write both
		}
		var before CardState
		if err := json.Unmarshal([]byte(l.Before), &before); err != nil {
			return anki.Export{}, fmt.Errorf("export review log: card %d: %w", l.CardID, err)
		}
		r := anki.Review{At: time.UnixMilli(l.At).UTC(), Rating: srs.Rating(l.Rating), Before: before.SRS(),
			AnswerTime: time.Duration(l.AnswerMS) * time.Millisecond}
		p.Log = append(p.Log, r)
		if i > 0 && log[i-1].CardID == l.CardID {
			p.Log[len(p.Log)-2].After = r.Before
		}
	}
	for _, p := range e.Progress {
		if p != nil && len(p.Log) > 0 {
			p.Log[len(p.Log)-1].After = p.State
		}
	}
	return e, nil
}
