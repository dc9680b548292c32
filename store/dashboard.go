package store

import (
	"context"
	"fmt"

	"github.com/flashd/flashd/srs"
)

// DeckSummary is a deck with what one user has left to study in it today.
type DeckSummary struct {
	Deck
	Counts Counts
	Paused bool // the user paused the deck: its cards are not in the queue
}

// Dashboard is what the home page shows a user.
type Dashboard struct {
	Decks        []DeckSummary
	Total        Counts // over every deck, within the daily limits
	ReviewsToday int    // ratings given since the study day began
	Streak       int    // consecutive study days with a rating, up to today or yesterday
}

// Dashboard returns a user's decks with today's counts, today's ratings and
// the streak.
func (db *DB) Dashboard(ctx context.Context, u *User) (*Dashboard, error) {
	now := db.Now()
	set := u.Settings()
	nowMS, dayStart, dayEnd := now.UnixMilli(), set.DayStart(now).UnixMilli(), set.NextDayStart(now).UnixMilli()
	newDone, reviewsDone, err := doneToday(ctx, db.ro, u.ID, dayStart)
	if err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	newLeft := max(0, set.NewPerDay-newDone)
	reviewsLeft := max(0, set.ReviewsPerDay-reviewsDone)

	var rows []struct {
		Deck
		Learning int `db:"learning"`
		Review   int `db:"review"`
		New      int `db:"new"`
	}
	err = db.ro.SelectContext(ctx, &rows, `SELECT d.id, d.slug, d.title, d.description, d.tags, d.source_hash, d.builtin, d.created_at, d.updated_at,
		COUNT(c.id) AS cards,
		COALESCE(SUM(CASE WHEN s.phase IN (1, 3) AND s.due <= ? AND `+available+` THEN 1 ELSE 0 END), 0) AS learning,
		COALESCE(SUM(CASE WHEN s.phase = 2 AND s.due < ? AND `+available+` THEN 1 ELSE 0 END), 0) AS review,
		COALESCE(SUM(CASE WHEN COALESCE(s.phase, 0) = 0 AND `+available+` THEN 1 ELSE 0 END), 0) AS new
		FROM decks d JOIN cards c ON c.deck_id = d.id AND `+visibleCards+` `+stateJoin+`
		GROUP BY d.id ORDER BY d.title, d.id`, args([]any{nowMS + srs.LearnAhead.Milliseconds(), nowMS, dayEnd, nowMS, nowMS}, visibleArgs(u.ID), []any{u.ID})...)
	if err != nil {
		return nil, fmt.Errorf("dashboard decks: %w", err)
	}
	paused, err := db.pausedDecks(ctx, u)
	if err != nil {
		return nil, err
	}
	dash := &Dashboard{}
	var newAll, reviewAll int
	for _, r := range rows {
		if paused[r.ID] {
			dash.Decks = append(dash.Decks, DeckSummary{Deck: r.Deck, Paused: true})
			continue
		}
		dash.Decks = append(dash.Decks, DeckSummary{Deck: r.Deck, Counts: Counts{
			New: min(r.New, newLeft), Learning: r.Learning, Review: min(r.Review, reviewsLeft)}})
		dash.Total.Learning += r.Learning
		newAll += r.New
		reviewAll += r.Review
	}
	dash.Total.New = min(newAll, newLeft)
	dash.Total.Review = min(reviewAll, reviewsLeft)

	if err := db.ro.GetContext(ctx, &dash.ReviewsToday, `SELECT COUNT(*) FROM reviews WHERE user_id = ? AND reviewed_at >= ? AND undone_at IS NULL`,
		u.ID, dayStart); err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	if dash.Streak, err = db.streak(ctx, u); err != nil {
		return nil, err
	}
	return dash, nil
}

// streak counts the consecutive study days, ending today (or yesterday,
// when today has no rating yet), on which the user rated a card. It reads
// the user's study days, newest first, and stops at the first gap.
func (db *DB) streak(ctx context.Context, u *User) (int, error) {
	today := u.Settings().DayNumber(db.Now())
	rows, err := db.ro.QueryContext(ctx, `SELECT day FROM study_days WHERE user_id = ? AND day <= ? ORDER BY day DESC`, u.ID, today)
	if err != nil {
		return 0, fmt.Errorf("streak: %w", err)
	}
	defer rows.Close()
	streak, expect := 0, today
	for rows.Next() {
		var day int64
		if err := rows.Scan(&day); err != nil {
			return 0, fmt.Errorf("streak: %w", err)
		}
		if streak == 0 && day == today-1 {
			expect = day // nothing yet today, but yesterday counts
		}
		if day != expect {
			break
		}
		streak++
		expect--
	}
	return streak, rows.Err()
}
