package store

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/flashd/flashd/srs"
)

// DeckSummary is a deck with what one user has left to study in it today.
type DeckSummary struct {
	Deck
	Counts Counts
	Paused bool // the user paused the deck: its cards are not in the queue
	// NewLimit is the user's daily limit of new cards from the deck, -1
	// for none (the overall limit still holds).
	NewLimit int
}

// Dashboard is what the home page shows a user.
type Dashboard struct {
	// Decks are the user's decks in the user's deck order; Hidden the
	// decks the user hid from Today (their Study buttons still work).
	Decks        []DeckSummary
	Hidden       []DeckSummary
	Total        Counts // over every deck, within the daily limits
	ReviewsToday int    // ratings given since the study day began
	Streak       int    // consecutive study days with a rating, up to today or yesterday
}

// Dashboard returns a user's decks with today's counts, today's ratings and
// the streak. The counts are srs.Plan's, per deck and over all decks, from
// the same reads as a review step, so the review page agrees with them.
func (db *DB) Dashboard(ctx context.Context, u *User) (*Dashboard, error) {
	dash := &Dashboard{}
	err := db.readTx(ctx, func(ctx context.Context, q cached) error {
		r := &queueRead{db: db, ctx: ctx, q: q, u: u, set: u.Settings(), now: db.Now()}
		r.nowM = r.now.UnixMilli()
		done, err := r.readDay()
		if err != nil {
			return err
		}
		all, err := readStudyDecks(ctx, q, u.ID, r.nowM)
		if err != nil {
			return err
		}
		r.inQueue = map[deckKind]bool{}
		perDeck := map[int64]*srs.QueueInput{}
		prefs := map[int64]studyDeck{}
		for _, d := range all {
			prefs[d.ID] = d
			if d.Paused || d.Hidden {
				continue
			}
			r.add(d)
			if perDeck[d.ID] == nil {
				perDeck[d.ID] = &srs.QueueInput{Now: r.now, Settings: r.set, Done: done}
			}
		}
		if err := r.readNewToday(); err != nil {
			return err
		}
		total := srs.QueueInput{Now: r.now, Settings: r.set, Done: done, New: r.newByDeck()}
		for _, n := range total.New {
			perDeck[n.Deck].New = []srs.DeckNew{n}
		}
		if total.LearningDue, total.LearningHead, err = r.scheduled(learningSQL, r.now.Add(srs.LearnAhead).UnixMilli(),
			func(deck int64, n int) { perDeck[deck].LearningDue += n }); err != nil {
			return fmt.Errorf("learning cards: %w", err)
		}
		if total.ReviewsDue, total.ReviewHead, err = r.scheduled(reviewsDueSQL, r.set.NextDayStart(r.now).UnixMilli(),
			func(deck int64, n int) { perDeck[deck].ReviewsDue += n }); err != nil {
			return fmt.Errorf("due reviews: %w", err)
		}
		dash.Total = srs.Plan(total).Counts
		dash.ReviewsToday = r.ratingsToday
		ids := visibleDeckIDs(u.ID)
		var ds []Deck
		if err := sqlx.SelectContext(ctx, q, &ds, `SELECT `+deckColumns+` FROM decks d
			LEFT JOIN learner_deck_prefs dp ON dp.user_id = ? AND dp.deck_id = d.id
			WHERE d.id IN `+ids.sql+` ORDER BY `+deckOrder, args([]any{u.ID}, ids.args)...); err != nil {
			return fmt.Errorf("dashboard decks: %w", err)
		}
		for _, d := range ds {
			p, known := prefs[d.ID]
			sum := DeckSummary{Deck: d, NewLimit: -1}
			if known {
				sum.NewLimit = p.NewLimit
			}
			in, ok := perDeck[d.ID]
			switch {
			case !known:
				// no cards: nothing to study or to hide
			case p.Hidden:
				dash.Hidden = append(dash.Hidden, sum)
			case ok:
				sum.Counts = srs.Plan(*in).Counts
				dash.Decks = append(dash.Decks, sum)
			case d.Cards > 0 && p.Paused:
				sum.Paused = true
				dash.Decks = append(dash.Decks, sum)
			}
		}
		dash.Streak, err = db.streak(ctx, q, u)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	return dash, nil
}

// streak counts the consecutive study days, ending today (or yesterday,
// when today has no rating yet), on which the user rated a card. It reads
// the user's study days, newest first, and stops at the first gap.
func (db *DB) streak(ctx context.Context, q sqlx.QueryerContext, u *User) (int, error) {
	today := u.Settings().DayNumber(db.Now())
	rows, err := q.QueryContext(ctx, `SELECT day FROM study_days WHERE user_id = ? AND day <= ? AND ratings > 0 ORDER BY day DESC`, u.ID, today)
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
