package store

import (
	"context"
	"fmt"
	"slices"

	"github.com/jmoiron/sqlx"
)

// A learner's choices about decks (learner_deck_prefs): the order of the
// decks on Today (which is also the order "deck order" gathers new cards
// in), decks hidden from Today, and a daily limit of new cards per deck.
// Moving a deck writes the position of every deck the learner sees, so
// the order is always total; decks the learner never placed come after
// the placed ones, by title.

// MaxDeckNewPerDay is the highest daily limit of new cards of one deck.
const MaxDeckNewPerDay = 9999

// DeckPrefs is what a learner chose about one deck.
type DeckPrefs struct {
	Hidden   bool // hidden from Today and "Study now"
	NewLimit int  // daily limit of new cards from the deck, -1 for none
}

// DeckPrefs returns u's choices about a deck u may see.
func (db *DB) DeckPrefs(ctx context.Context, u *User, deckID int64) (DeckPrefs, error) {
	p := DeckPrefs{NewLimit: -1}
	err := db.ro.QueryRowxContext(ctx, `SELECT COALESCE(MAX(hidden), 0), COALESCE(MAX(new_per_day), -1)
		FROM learner_deck_prefs WHERE user_id = ? AND deck_id = ?`, u.ID, deckID).Scan(&p.Hidden, &p.NewLimit)
	if err != nil {
		return p, fmt.Errorf("deck preferences: %w", err)
	}
	return p, nil
}

// ReorderDeck moves a deck one place up (by < 0) or down (by > 0) in u's
// deck order; at either end it stays.
func (db *DB) ReorderDeck(ctx context.Context, u *User, slug string, by int) error {
	d, err := db.DeckBySlug(ctx, u, slug)
	if err != nil {
		return err
	}
	return db.write(ctx, func(tx *sqlx.Tx) error {
		order, err := deckOrderOf(ctx, tx, u.ID)
		if err != nil {
			return err
		}
		i := slices.Index(order, d.ID)
		j := i + min(1, max(-1, by))
		if i < 0 || j < 0 || j >= len(order) || i == j {
			return nil
		}
		order[i], order[j] = order[j], order[i]
		return writeDeckOrder(ctx, tx, u.ID, order)
	})
}

// SetDeckHidden hides a deck from u's Today and "Study now", or shows it
// again. A hidden deck keeps its schedule; its own Study button studies it.
func (db *DB) SetDeckHidden(ctx context.Context, u *User, slug string, hidden bool) error {
	d, err := db.DeckBySlug(ctx, u, slug)
	if err != nil {
		return err
	}
	return db.write(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO learner_deck_prefs (user_id, deck_id, hidden) VALUES (?, ?, ?)
			ON CONFLICT (user_id, deck_id) DO UPDATE SET hidden = excluded.hidden`, u.ID, d.ID, hidden)
		return err
	})
}

// SetDeckNewLimit sets u's daily limit of new cards from a deck, 0 to
// MaxDeckNewPerDay, or removes it (limit < 0). The overall daily limit
// still holds.
func (db *DB) SetDeckNewLimit(ctx context.Context, u *User, slug string, limit int) error {
	if limit > MaxDeckNewPerDay {
		return Errorf(EInvalid, "A deck's new cards per day must be between 0 and %d (or empty for no limit of its own).", MaxDeckNewPerDay)
	}
	d, err := db.DeckBySlug(ctx, u, slug)
	if err != nil {
		return err
	}
	var value any
	if limit >= 0 {
		value = limit
	}
	return db.write(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO learner_deck_prefs (user_id, deck_id, new_per_day) VALUES (?, ?, ?)
			ON CONFLICT (user_id, deck_id) DO UPDATE SET new_per_day = excluded.new_per_day`, u.ID, d.ID, value)
		return err
	})
}

// putGroupDecksFirst moves a group's decks to the top of a member's deck
// order (keeping their order among themselves), so a member who just
// joined studies what the group studies first. Running it twice gives the
// same order.
func putGroupDecksFirst(ctx context.Context, tx *sqlx.Tx, userID, groupID int64) error {
	order, err := deckOrderOf(ctx, tx, userID)
	if err != nil {
		return err
	}
	var group []int64
	if err := tx.SelectContext(ctx, &group, `SELECT id FROM decks WHERE group_id = ?`, groupID); err != nil {
		return fmt.Errorf("group decks: %w", err)
	}
	first, rest := make([]int64, 0, len(order)), make([]int64, 0, len(order))
	for _, id := range order {
		if slices.Contains(group, id) {
			first = append(first, id)
		} else {
			rest = append(rest, id)
		}
	}
	return writeDeckOrder(ctx, tx, userID, append(first, rest...))
}

// deckOrderOf returns the ids of the decks a user sees, in the user's
// deck order.
func deckOrderOf(ctx context.Context, tx *sqlx.Tx, userID int64) ([]int64, error) {
	ids := visibleDeckIDs(userID)
	var order []int64
	err := tx.SelectContext(ctx, &order, `SELECT d.id FROM decks d
		LEFT JOIN learner_deck_prefs dp ON dp.user_id = ? AND dp.deck_id = d.id
		WHERE d.id IN `+ids.sql+` ORDER BY `+deckOrder, args([]any{userID}, ids.args)...)
	if err != nil {
		return nil, fmt.Errorf("deck order: %w", err)
	}
	return order, nil
}

// writeDeckOrder stores order as the positions 1, 2, ... of the decks.
func writeDeckOrder(ctx context.Context, tx *sqlx.Tx, userID int64, order []int64) error {
	for i, id := range order {
		if _, err := tx.ExecContext(ctx, `INSERT INTO learner_deck_prefs (user_id, deck_id, position) VALUES (?, ?, ?)
			ON CONFLICT (user_id, deck_id) DO UPDATE SET position = excluded.position`, userID, id, i+1); err != nil {
			return fmt.Errorf("deck order: %w", err)
		}
	}
	return nil
}
