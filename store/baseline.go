package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Baseline runs review steps as bare SQL, for measuring how close the
// server comes to the database: the statements a step runs (the rating's
// write transaction, then the reads of the next card's page in one read
// transaction), prepared once, through database/sql alone, with flashd's
// connection settings, but without FSRS, sqlx, JSON, the writer queue or
// HTTP. Each rating commits on its own (one sync each); the server's
// writer commits waiting ratings together.
type Baseline struct {
	rw, ro *sql.DB
	write  [5]*sql.Stmt // load, save, insert review, count day, studied
	read   [6]*sql.Stmt // day and undo, study decks, learning, reviews due, card, next new
}

// OpenBaseline opens the database at path (which must exist and be
// migrated) for Baseline steps.
func OpenBaseline(path string) (*Baseline, error) {
	rw, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, err
	}
	rw.SetMaxOpenConns(1)
	ro, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		rw.Close()
		return nil, err
	}
	b := &Baseline{rw: rw, ro: ro}
	writes := []string{rateLoad(0, 0).sql, saveStateSQL, insertReviewSQL, countDaySQL, studiedSQL}
	reads := []string{dayAndUndo(0, 0).sql, studyDecks(0, 0).sql, learningSQL, reviewsDueSQL, queueCardSQL, nextNewSQL}
	for i, q := range writes {
		if b.write[i], err = rw.Prepare(q); err != nil {
			b.Close()
			return nil, fmt.Errorf("prepare: %w", err)
		}
	}
	for i, q := range reads {
		if b.read[i], err = ro.Prepare(q); err != nil {
			b.Close()
			return nil, fmt.Errorf("prepare: %w", err)
		}
	}
	return b, nil
}

// Close closes the baseline's connections.
func (b *Baseline) Close() error {
	b.ro.Close()
	return b.rw.Close()
}

// Step rates cardID for userID at now with a fixed new state, a learning
// card due in 10 minutes when learning is set, else a review due in 30
// days, and reads what the next page needs: the day's counts,
// the user's decks, the learning and due review cards, the
// next new card of the rated card's deck and kind, and the row of
// nextCard, the card the caller rates next.
func (b *Baseline) Step(ctx context.Context, userID, cardID, nextCard int64, now time.Time, learning bool) error {
	nowMS, day := now.UnixMilli(), now.Add(-4*time.Hour).Unix()/86400
	tx, err := b.rw.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var deckID, position, cursor int64
	var kind string
	var st CardState
	err = tx.Stmt(b.write[0]).QueryRowContext(ctx, rateLoad(userID, cardID).args...).Scan(&deckID, &kind, &position,
		&st.Phase, &st.Due, &st.Stability, &st.Difficulty, &st.ScheduledDays, &st.Reps, &st.Lapses, &st.LastReview,
		&st.RemainingSteps, &st.Suspended, &st.BuriedUntil, &st.Flagged, &st.Version, &cursor)
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	phase, due, days := 2, nowMS+30*86400_000, 30
	if learning {
		phase, due, days = 1, nowMS+10*60_000, 0
	}
	if _, err := tx.Stmt(b.write[1]).ExecContext(ctx, userID, cardID, phase, due, 30.5, 4.9, days, st.Reps+1, st.Lapses,
		nowMS, 0, false, 0, false, st.Version+1, nowMS); err != nil {
		return fmt.Errorf("save: %w", err)
	}
	var id int64
	if err := tx.Stmt(b.write[2]).QueryRowContext(ctx, userID, cardID, st.Version, 3, nowMS, st.Phase, st.ScheduledDays, phase, due,
		30.5, 4.9, due-nowMS, "{}", 0.9, 36500, "UTC", ParamsDefault, 4000).Scan(&id); err != nil {
		return fmt.Errorf("insert review: %w", err)
	}
	wasNew, wasReview := 0, 0
	if st.Phase == 0 {
		wasNew = 1
	} else if st.Phase == 2 {
		wasReview = 1
	}
	if _, err := tx.Stmt(b.write[3]).ExecContext(ctx, userID, day, wasNew, wasReview, wasReview, 4000, 1); err != nil {
		return fmt.Errorf("count day: %w", err)
	}
	if st.Phase == 0 {
		if _, err := tx.Stmt(b.write[4]).ExecContext(ctx, userID, deckID, kind, deckID, kind, cursor, userID, max(cursor, position+1)); err != nil {
			return fmt.Errorf("studied: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}

	rtx, err := b.ro.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer rtx.Rollback()
	var newDone, reviewsDone, ratings, extraNew, undo, rating, action, afterReview, answerMS, timed int64
	var actionName string
	if err := rtx.Stmt(b.read[0]).QueryRowContext(ctx, dayAndUndo(userID, day).args...).Scan(&newDone, &reviewsDone, &ratings, &extraNew,
		&undo, &rating, &action, &actionName, &afterReview, &answerMS, &timed); err != nil {
		return fmt.Errorf("day: %w", err)
	}
	if err := drain(rtx.Stmt(b.read[1]).QueryContext(ctx, studyDecks(userID, nowMS).args...)); err != nil {
		return fmt.Errorf("decks: %w", err)
	}
	if err := drain(rtx.Stmt(b.read[2]).QueryContext(ctx, userID, nowMS+20*60_000, nowMS)); err != nil {
		return fmt.Errorf("learning: %w", err)
	}
	if err := drain(rtx.Stmt(b.read[3]).QueryContext(ctx, userID, nowMS+86400_000, nowMS)); err != nil {
		return fmt.Errorf("reviews: %w", err)
	}
	var newID, newPos int64
	if err := rtx.Stmt(b.read[5]).QueryRowContext(ctx, deckID, kind, cursor, userID, nowMS).Scan(&newID, &newPos); err != nil && err != sql.ErrNoRows {
		return fmt.Errorf("next new: %w", err)
	}
	var c Card
	var deckSlug, deckTitle string
	err = rtx.Stmt(b.read[4]).QueryRowContext(ctx, userID, nextCard).Scan(
		&c.ID, &c.DeckID, &c.Key, &c.NoteKey, &c.ExplicitKey, &c.Cloze, &c.Position, &c.Section, &c.Kind, &c.Type,
		&c.FrontSrc, &c.BackSrc, &c.FrontHTML, &c.BackHTML, &c.ClozeHTML, &c.OptionsJSON, &c.ContentHash, &c.GUID,
		&c.CreatedAt, &c.UpdatedAt, &c.RetiredAt, &deckSlug, &deckTitle,
		&st.Phase, &st.Due, &st.Stability, &st.Difficulty, &st.ScheduledDays, &st.Reps, &st.Lapses, &st.LastReview,
		&st.RemainingSteps, &st.Suspended, &st.BuriedUntil, &st.Flagged, &st.Version)
	if err != nil {
		return fmt.Errorf("card: %w", err)
	}
	return nil
}

// drain reads a query's rows to the end.
func drain(rows *sql.Rows, err error) error {
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	dest := make([]any, len(cols))
	for i := range dest {
		dest[i] = new(any)
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
	}
	return rows.Err()
}
