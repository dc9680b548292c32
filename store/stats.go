package store

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/flashd/flashd/srs"
)

// HeatmapDays is how many study days the statistics look back.
const HeatmapDays = 365

// MatureDays is the interval from which a card counts as mature, as in
// Anki.
const MatureDays = 21

// ForecastDays is how many days the due forecast looks ahead.
const ForecastDays = 30

// DayReviews are one study day's ratings, by the phase the card was in.
type DayReviews struct {
	Day                               time.Time // the local date (at UTC midnight)
	New, Learning, Review, Relearning int

	young, passedYoung, mature, passedMature int // review-state ratings, for retention
}

// Total is the day's number of ratings.
func (d DayReviews) Total() int { return d.New + d.Learning + d.Review + d.Relearning }

// Retention is true retention: of the ratings given to cards in review,
// the share passed (Hard, Good or Easy), for young and mature cards.
type Retention struct {
	Label                          string // "Today", "7 days", ...
	Days                           int
	PassedYoung, Young             int
	PassedMature, Mature           int
	RateYoung, RateMature, RateAll float64 // -1 without ratings
}

// Histogram is a distribution in labelled buckets.
type Histogram struct {
	Labels []string
	Counts []int
}

// CardCounts counts cards by state.
type CardCounts struct {
	New, Learning, Review, Relearning, Suspended, Leech int
}

// Stats is a learner's statistics over one deck or all decks.
type Stats struct {
	Today         time.Time    // the current study day (local date)
	Days          []DayReviews // the last HeatmapDays study days, oldest first; the last is today
	Streak        int          // consecutive study days up to today (or yesterday)
	LongestStreak int          // the longest run of study days within Days
	Forecast      []int        // cards coming due on each of the next ForecastDays days; [0] is today, overdue included
	Retention     []Retention  // today, 7, 30 and 365 days
	Desired       float64      // the learner's desired retention
	Cards         CardCounts
	Stability     Histogram // days, of cards that were reviewed
	Difficulty    Histogram // 1 to 10
	Recall        Histogram // current retrievability
}

// Stats computes a user's statistics over the deck with the given id (slug),
// or over every deck when it is "". Local days start at 04:00 in the user's
// time zone.
func (db *DB) Stats(ctx context.Context, u *User, deck string) (*Stats, error) {
	set := u.Settings()
	now := db.Now()
	st := &Stats{Today: set.Day(now), Desired: set.Retention}

	// The study days of the last year: starts[i] begins day i, starts[n]
	// is tomorrow's start.
	today := set.DayStart(now)
	starts := make([]time.Time, HeatmapDays+1)
	y, m, d := today.Date()
	for i := 0; i <= HeatmapDays; i++ {
		starts[i] = time.Date(y, m, d-(HeatmapDays-1)+i, srs.DayStartHour, 0, 0, 0, set.Location)
	}
	st.Days = make([]DayReviews, HeatmapDays)
	for i := range st.Days {
		st.Days[i].Day = set.Day(starts[i])
	}

	deckCond, deckArgs := "", []any{}
	if deck != "" {
		dk, err := db.DeckBySlug(ctx, u, deck)
		if err != nil {
			return nil, err
		}
		deckCond, deckArgs = ` AND card_id IN (SELECT id FROM cards WHERE deck_id = ?)`, []any{dk.ID}
	}

	// One pass over the year's ratings, in time order, read from the
	// covering index.
	rows, err := db.ro.QueryContext(ctx, `SELECT reviewed_at, rating, prev_phase, prev_interval_days FROM reviews
		WHERE user_id = ? AND reviewed_at >= ? AND reviewed_at < ? AND undone_at IS NULL`+deckCond+` ORDER BY reviewed_at`,
		args([]any{u.ID, starts[0].UnixMilli(), starts[HeatmapDays].UnixMilli()}, deckArgs)...)
	if err != nil {
		return nil, fmt.Errorf("stats: %w", err)
	}
	day := 0
	next := starts[1].UnixMilli()
	for rows.Next() {
		var at int64
		var rating, phase, ivl int
		if err := rows.Scan(&at, &rating, &phase, &ivl); err != nil {
			rows.Close()
			return nil, fmt.Errorf("stats: %w", err)
		}
		for at >= next {
			day++
			next = starts[day+1].UnixMilli()
		}
		dr := &st.Days[day]
		switch srs.Phase(phase) {
		case srs.New:
			dr.New++
		case srs.Learning:
			dr.Learning++
		case srs.Review:
			dr.Review++
			passed := 0
			if rating >= int(srs.Hard) {
				passed = 1
			}
			if ivl < MatureDays {
				dr.young++
				dr.passedYoung += passed
			} else {
				dr.mature++
				dr.passedMature += passed
			}
		case srs.Relearning:
			dr.Relearning++
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("stats: %w", err)
	}

	// Streaks, from the days.
	for i := HeatmapDays - 1; i >= 0; i-- {
		if st.Days[i].Total() > 0 {
			st.Streak++
		} else if i < HeatmapDays-1 || st.Streak > 0 {
			break // today may be empty without breaking the streak
		}
	}
	run := 0
	for _, dr := range st.Days {
		if dr.Total() > 0 {
			run++
			st.LongestStreak = max(st.LongestStreak, run)
		} else {
			run = 0
		}
	}

	for _, w := range []struct {
		label string
		days  int
	}{{"Today", 1}, {"7 days", 7}, {"30 days", 30}, {"365 days", 365}} {
		r := Retention{Label: w.label, Days: w.days}
		for _, dr := range st.Days[HeatmapDays-w.days:] {
			r.PassedYoung += dr.passedYoung
			r.Young += dr.young
			r.PassedMature += dr.passedMature
			r.Mature += dr.mature
		}
		r.RateYoung, r.RateMature, r.RateAll = share(r.PassedYoung, r.Young), share(r.PassedMature, r.Mature), share(r.PassedYoung+r.PassedMature, r.Young+r.Mature)
		st.Retention = append(st.Retention, r)
	}

	if err := db.cardStats(ctx, u, deck, deckArgs, starts, st); err != nil {
		return nil, err
	}
	return st, nil
}

// share is passed/total, or -1 when total is 0.
func share(passed, total int) float64 {
	if total == 0 {
		return -1
	}
	return float64(passed) / float64(total)
}

// The histogram buckets.
var (
	stabilityEdges  = []float64{1, 3, 7, 14, 30, 90, 180, 365}
	stabilityLabels = []string{"<1d", "1-3d", "3-7d", "1-2w", "2w-1m", "1-3m", "3-6m", "6m-1y", ">1y"}
	difficultyEdges = []float64{2, 3, 4, 5, 6, 7, 8, 9}
	difficultyLabel = []string{"1-2", "2-3", "3-4", "4-5", "5-6", "6-7", "7-8", "8-9", "9-10"}
	recallEdges     = []float64{0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95}
	recallLabels    = []string{"<50%", "50-60%", "60-70%", "70-80%", "80-85%", "85-90%", "90-95%", "95-100%"}
)

// bucket returns the index of the bucket v falls in, given ascending
// upper edges (a value equal to an edge goes to the bucket above it).
func bucket(edges []float64, v float64) int {
	for i, e := range edges {
		if v < e {
			return i
		}
	}
	return len(edges)
}

// cardStats fills the card counts, the memory distributions and the due
// forecast from the user's card states.
func (db *DB) cardStats(ctx context.Context, u *User, deck string, deckArgs []any, starts []time.Time, st *Stats) error {
	cond := activeVisibleCards(u.ID)
	if deck != "" {
		cond = and(cond, sqlPart{`c.deck_id = ?`, deckArgs})
	}
	var total int
	if err := db.ro.GetContext(ctx, &total, `SELECT COUNT(*) FROM cards c WHERE `+cond.sql, cond.args...); err != nil {
		return fmt.Errorf("card stats: %w", err)
	}
	rows, err := db.ro.QueryContext(ctx, `SELECT s.phase, s.due, s.stability, s.difficulty, s.lapses, s.last_review, s.suspended
		FROM card_states s JOIN cards c ON c.id = s.card_id WHERE s.user_id = ? AND `+cond.sql, args([]any{u.ID}, cond.args)...)
	if err != nil {
		return fmt.Errorf("card stats: %w", err)
	}
	defer rows.Close()
	st.Stability = Histogram{Labels: stabilityLabels, Counts: make([]int, len(stabilityLabels))}
	st.Difficulty = Histogram{Labels: difficultyLabel, Counts: make([]int, len(difficultyLabel))}
	st.Recall = Histogram{Labels: recallLabels, Counts: make([]int, len(recallLabels))}
	st.Forecast = make([]int, ForecastDays)
	sched := srs.NewScheduler(u.Settings())
	now := db.Now()
	set := u.Settings()
	tomorrow := starts[len(starts)-1]
	y, m, d := tomorrow.Date()
	forecastEnd := time.Date(y, m, d+ForecastDays-1, srs.DayStartHour, 0, 0, 0, set.Location)
	seen := 0
	for rows.Next() {
		var phase, lapses int
		var due, last int64
		var stab, diff float64
		var suspended bool
		if err := rows.Scan(&phase, &due, &stab, &diff, &lapses, &last, &suspended); err != nil {
			return fmt.Errorf("card stats: %w", err)
		}
		if lapses >= srs.LeechLapses {
			st.Cards.Leech++
		}
		if suspended {
			st.Cards.Suspended++
		}
		switch srs.Phase(phase) {
		case srs.New:
			continue // counted with the cards that have no state
		case srs.Learning:
			st.Cards.Learning++
		case srs.Review:
			st.Cards.Review++
		case srs.Relearning:
			st.Cards.Relearning++
		}
		seen++
		st.Stability.Counts[bucket(stabilityEdges, stab)]++
		st.Difficulty.Counts[bucket(difficultyEdges, diff)]++
		r := sched.Retrievability(srs.State{Phase: srs.Phase(phase), Stability: stab, LastReview: timeMS(last)}, now)
		st.Recall.Counts[bucket(recallEdges, r)]++
		if !suspended && due < forecastEnd.UnixMilli() {
			i := 0
			if due >= tomorrow.UnixMilli() {
				i = int(set.DayNumber(timeMS(due)) - set.DayNumber(now))
			}
			if i >= 0 && i < ForecastDays {
				st.Forecast[i]++
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("card stats: %w", err)
	}
	st.Cards.New = total - seen
	return nil
}

// Readiness is the predicted recall of a deck (or all decks) at a date.
type Readiness struct {
	At     time.Time
	Recall float64 // mean retrievability at At over the active cards; unseen cards count 0
	Cards  int
	Unseen int
	// DueBefore counts the ratings already scheduled before At (each
	// studied card's next review, if it falls before At).
	DueBefore int
	// PerDay is the reviews a day it takes to stay on course: every unseen
	// card introduced and every scheduled review done before At, spread
	// over the days left. -1 when At is not in the future.
	PerDay float64
}

// Readiness predicts recall at a date for the user's active cards of a
// deck (or all decks), as FSRS retrievability, and the daily reviews it
// takes to get there.
func (db *DB) Readiness(ctx context.Context, u *User, deck string, at time.Time) (*Readiness, error) {
	cond := activeVisibleCards(u.ID)
	if deck != "" {
		dk, err := db.DeckBySlug(ctx, u, deck)
		if err != nil {
			return nil, err
		}
		cond = and(cond, sqlPart{`c.deck_id = ?`, []any{dk.ID}})
	}
	rd := &Readiness{At: at, PerDay: -1}
	if err := db.ro.GetContext(ctx, &rd.Cards, `SELECT COUNT(*) FROM cards c WHERE `+cond.sql, cond.args...); err != nil {
		return nil, fmt.Errorf("readiness: %w", err)
	}
	rows, err := db.ro.QueryContext(ctx, `SELECT s.phase, s.due, s.stability, s.last_review FROM card_states s JOIN cards c ON c.id = s.card_id
		WHERE s.user_id = ? AND s.phase > 0 AND `+cond.sql, args([]any{u.ID}, cond.args)...)
	if err != nil {
		return nil, fmt.Errorf("readiness: %w", err)
	}
	defer rows.Close()
	sched := srs.NewScheduler(u.Settings())
	seen := 0
	var sum float64
	for rows.Next() {
		var phase int
		var due, last int64
		var stab float64
		if err := rows.Scan(&phase, &due, &stab, &last); err != nil {
			return nil, fmt.Errorf("readiness: %w", err)
		}
		seen++
		sum += sched.Retrievability(srs.State{Phase: srs.Phase(phase), Stability: stab, LastReview: timeMS(last)}, at)
		if due < at.UnixMilli() {
			rd.DueBefore++
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("readiness: %w", err)
	}
	rd.Unseen = rd.Cards - seen
	if rd.Cards > 0 {
		rd.Recall = sum / float64(rd.Cards)
	}
	if days := at.Sub(db.Now()).Hours() / 24; days > 0 {
		rd.PerDay = math.Ceil(float64(rd.Unseen+rd.DueBefore) / math.Max(1, math.Floor(days)))
	}
	return rd, nil
}

// HistoryEntry is one rating in a card's history, with the memory state
// after it.
type HistoryEntry struct {
	At         time.Time
	Rating     srs.Rating
	PrevPhase  srs.Phase
	Phase      srs.Phase
	Stability  float64
	Difficulty float64
	// Recall is the retrievability the card had when it was rated (0 the
	// first time).
	Recall   float64
	Interval time.Duration // until the next review
	Undone   bool
}

// CardHistory returns the user's full review history of a card they may
// see, oldest first.
func (db *DB) CardHistory(ctx context.Context, u *User, cardID int64) ([]HistoryEntry, error) {
	if err := checkVisible(ctx, db.ro, u.ID, cardID); err != nil {
		return nil, err
	}
	rows, err := db.ro.QueryContext(ctx, `SELECT reviewed_at, rating, prev_phase, phase, stability, difficulty, interval_ms, undone_at IS NOT NULL
		FROM reviews WHERE user_id = ? AND card_id = ? ORDER BY id`, u.ID, cardID)
	if err != nil {
		return nil, fmt.Errorf("card history: %w", err)
	}
	defer rows.Close()
	sched := srs.NewScheduler(u.Settings())
	var out []HistoryEntry
	var prev HistoryEntry // the last rating that was not undone
	hasPrev := false
	for rows.Next() {
		var e HistoryEntry
		var at, ivl int64
		var rating, prevPhase, phase int
		if err := rows.Scan(&at, &rating, &prevPhase, &phase, &e.Stability, &e.Difficulty, &ivl, &e.Undone); err != nil {
			return nil, fmt.Errorf("card history: %w", err)
		}
		e.At, e.Rating, e.PrevPhase, e.Phase, e.Interval = timeMS(at), srs.Rating(rating), srs.Phase(prevPhase), srs.Phase(phase), time.Duration(ivl)*time.Millisecond
		if hasPrev {
			e.Recall = sched.Retrievability(srs.State{Phase: prev.Phase, Stability: prev.Stability, LastReview: prev.At}, e.At)
		}
		out = append(out, e)
		if !e.Undone {
			prev, hasPrev = e, true
		}
	}
	return out, rows.Err()
}
