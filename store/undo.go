package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/jmoiron/sqlx"

	"github.com/flashd/flashd/srs"
)

// The undo stack: a learner's ratings (the review log) and card actions
// (card_actions), newest first. Undo takes back the top one only, so a
// page that offered to undo something else, or an undo sent twice,
// changes nothing. An action records the learner's latest review id when
// it was given (after_review): it is newer than every rating up to that
// id and older than every later one.

const (
	// logActionSQL logs a card action with the card's flags before it.
	logActionSQL = `INSERT INTO card_actions (user_id, card_id, action, after_review, suspended, buried_until, flagged, acted_at)
		VALUES (?, ?, ?, COALESCE((SELECT MAX(id) FROM reviews WHERE user_id = ?), 0), ?, ?, ?, ?)`
	// lastActionSQL reads a learner's latest card action not undone: a
	// probe of the (user_id, id) index.
	lastActionSQL = `SELECT id, card_id, action, after_review, suspended, buried_until, flagged FROM card_actions
		WHERE user_id = ? AND undone_at IS NULL ORDER BY id DESC LIMIT 1`
)

// Undoable is the top of a learner's undo stack.
type Undoable struct {
	// Action is the card action to take back, "" for a rating.
	Action CardAction
	// ID is the review's id (a rating) or the card action's.
	ID int64
	// Rating is the rating given, for a rating.
	Rating srs.Rating
}

// Ref names the undoable in a form: "r" and a review's id, or "a" and a
// card action's. ParseUndoRef reads it back.
func (u Undoable) Ref() string {
	if u.Action != "" {
		return "a" + strconv.FormatInt(u.ID, 10)
	}
	return "r" + strconv.FormatInt(u.ID, 10)
}

// What says what undoing it takes back, for a button or a notice: "the
// Good rating", "the bury".
func (u Undoable) What() string {
	if u.Action != "" {
		return "the " + string(u.Action)
	}
	return "the " + u.Rating.String() + " rating"
}

// ParseUndoRef reads an Undoable's Ref; a bare number is a review's id
// (the form of earlier versions).
func ParseUndoRef(ref string) (Undoable, error) {
	var u Undoable
	num := ref
	if len(ref) > 0 && (ref[0] == 'a' || ref[0] == 'r') {
		num = ref[1:]
		if ref[0] == 'a' {
			u.Action = "action" // the real one is read from the log
		}
	}
	id, err := strconv.ParseInt(num, 10, 64)
	if err != nil || id <= 0 {
		return u, Errorf(EInvalid, "Nothing to undo.")
	}
	u.ID = id
	return u, nil
}

// lastAction is a row of card_actions.
type lastAction struct {
	ID          int64      `db:"id"`
	CardID      int64      `db:"card_id"`
	Action      CardAction `db:"action"`
	AfterReview int64      `db:"after_review"`
	Suspended   bool       `db:"suspended"`
	BuriedUntil int64      `db:"buried_until"`
	Flagged     bool       `db:"flagged"`
}

// topOfStack picks the newer of a learner's latest rating (reviewID with
// rating, 0 for none) and latest card action (nil for none).
func topOfStack(reviewID int64, rating srs.Rating, a *lastAction) Undoable {
	if a != nil && a.ID != 0 && a.AfterReview >= reviewID {
		return Undoable{Action: a.Action, ID: a.ID}
	}
	if reviewID == 0 {
		return Undoable{}
	}
	return Undoable{ID: reviewID, Rating: rating}
}

// Undone is what UndoLast took back.
type Undone struct {
	Undoable
	CardID int64
}

// UndoLast takes back the top of the learner's undo stack, which must be
// want (what the page offered): a rating as Undo does, or a card action,
// whose card gets back the flag the action changed. Anything else is
// EConflict and changes nothing.
func (db *DB) UndoLast(ctx context.Context, u *User, want Undoable) (*Undone, error) {
	var out *Undone
	err := db.write(ctx, func(tx *sqlx.Tx) error {
		out = nil
		ctx := stmtContext(ctx)
		q := db.tq(tx)
		var reviewID int64
		var rating srs.Rating
		err := q.QueryRowxContext(ctx, `SELECT id, rating FROM reviews WHERE user_id = ? AND undone_at IS NULL ORDER BY id DESC LIMIT 1`, u.ID).
			Scan(&reviewID, &rating)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		var a lastAction
		err = sqlx.GetContext(ctx, q, &a, lastActionSQL, u.ID)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		top := topOfStack(reviewID, rating, &a)
		if top.ID == 0 || top.ID != want.ID || (top.Action == "") != (want.Action == "") {
			return Errorf(EConflict, "Nothing to undo: that was already undone.")
		}
		if top.Action == "" {
			cardID, err := db.undoRating(ctx, tx, u, top.ID)
			out = &Undone{Undoable: top, CardID: cardID}
			return err
		}
		st, err := loadState(ctx, q, u.ID, a.CardID)
		if err != nil {
			return err
		}
		// Only what the action changed goes back.
		switch a.Action {
		case ActionSuspend, ActionUnsuspend:
			st.Suspended = a.Suspended
		case ActionBury:
			st.BuriedUntil = a.BuriedUntil
		case ActionFlag, ActionUnflag:
			st.Flagged = a.Flagged
		}
		now := db.now()
		if err := saveState(ctx, q, u.ID, a.CardID, st, now); err != nil {
			return err
		}
		if _, err := q.ExecContext(ctx, `UPDATE card_actions SET undone_at = ? WHERE id = ?`, now, a.ID); err != nil {
			return err
		}
		out = &Undone{Undoable: top, CardID: a.CardID}
		return nil
	})
	if err != nil {
		if ErrorCode(err) != EInternal {
			return nil, err
		}
		return nil, fmt.Errorf("undo: %w", err)
	}
	return out, nil
}
