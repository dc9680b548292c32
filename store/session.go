package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// DaySummary is what a learner did in the study day so far, for the end
// of a review session.
type DaySummary struct {
	Reviewed int           // ratings given today
	Time     time.Duration // their answer times (ratings with one)
	// ReviewsDone counts today's ratings of cards in review, and
	// ReviewsPassed those that were not Again: today's retention.
	ReviewsDone, ReviewsPassed int
	ExtraNew                   int // extra new cards asked for today
	Streak                     int // study days in a row, up to today
}

// Retention is the share of today's reviews that were not Again, or -1
// when there was none.
func (d *DaySummary) Retention() float64 {
	if d.ReviewsDone == 0 {
		return -1
	}
	return float64(d.ReviewsPassed) / float64(d.ReviewsDone)
}

// Today sums up the learner's study day so far: one row of study_days,
// and the streak.
func (db *DB) Today(ctx context.Context, u *User) (*DaySummary, error) {
	out := &DaySummary{}
	err := db.readTx(ctx, func(ctx context.Context, q cached) error {
		day := u.Settings().DayNumber(db.Now())
		var answerMS int64
		err := q.QueryRowxContext(ctx, `SELECT COALESCE(SUM(ratings), 0), COALESCE(SUM(answer_ms), 0), COALESCE(SUM(reviews_done), 0),
			COALESCE(SUM(reviews_passed), 0), COALESCE(SUM(extra_new), 0) FROM study_days WHERE user_id = ? AND day = ?`, u.ID, day).
			Scan(&out.Reviewed, &answerMS, &out.ReviewsDone, &out.ReviewsPassed, &out.ExtraNew)
		if err != nil {
			return err
		}
		out.Time = time.Duration(answerMS) * time.Millisecond
		out.Streak, err = db.streak(ctx, q, u)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("today: %w", err)
	}
	return out, nil
}

// MaxExtraNew caps the extra new cards a learner may ask for in a day.
const MaxExtraNew = 500

// AddNewToday raises the learner's new-card limit for today by n cards
// (Anki's "increase today's new card limit"); tomorrow the limit is the
// learner's setting again. Per-deck limits still hold.
func (db *DB) AddNewToday(ctx context.Context, u *User, n int) error {
	if n < 1 || n > MaxExtraNew {
		return Errorf(EInvalid, "Ask for 1 to %d more new cards.", MaxExtraNew)
	}
	day := u.Settings().DayNumber(db.Now())
	err := db.write(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(stmtContext(ctx), `INSERT INTO study_days (user_id, day, extra_new) VALUES (?, ?, ?)
			ON CONFLICT (user_id, day) DO UPDATE SET extra_new = CASE WHEN study_days.extra_new + excluded.extra_new > ? THEN ? ELSE study_days.extra_new + excluded.extra_new END`,
			u.ID, day, n, MaxExtraNew, MaxExtraNew)
		return err
	})
	if err != nil {
		return fmt.Errorf("more new cards: %w", err)
	}
	return nil
}

// MaxCram caps the cards of one cram session.
const MaxCram = 1000

// CramCards lists the active cards a cram session of filter f goes
// through: the cards of the decks the learner may see that match it, in
// deck order (by title) and each deck's order. A cram reads cards only:
// it never touches the learner's schedule. f must name a deck or a kind.
func (db *DB) CramCards(ctx context.Context, u *User, f Filter) ([]int64, error) {
	if f.Deck == "" && f.Kind == "" && f.Group == 0 {
		return nil, Errorf(EInvalid, "Choose a deck or a kind of card to cram.")
	}
	visible := visibleDeckIDs(u.ID)
	query := `SELECT c.id FROM ` + visible.sql + ` v JOIN decks d ON d.id = v.id JOIN cards c ON c.deck_id = d.id
		WHERE c.retired_at IS NULL AND (? = '' OR d.slug = ?) AND (? = '' OR c.kind = ?) AND (? = 0 OR d.group_id = ?)
		ORDER BY d.title, d.id, c.position LIMIT ?`
	var ids []int64
	err := db.ro.SelectContext(ctx, &ids, query, args(visible.args,
		[]any{f.Deck, f.Deck, string(f.Kind), string(f.Kind), f.Group, f.Group, MaxCram})...)
	if err != nil {
		return nil, fmt.Errorf("cram cards: %w", err)
	}
	if len(ids) == 0 {
		return nil, Errorf(ENotFound, "No cards to cram there.")
	}
	return ids, nil
}
