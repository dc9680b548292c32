package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/flashd/flashd/decks"
	"github.com/flashd/flashd/srs"
)

// CardState is one user's schedule of one card, with the flags the user
// set on it. A card the user never saw has the zero state (new).
type CardState struct {
	Phase          srs.Phase `db:"phase" json:"phase"`
	Due            int64     `db:"due" json:"due"`
	Stability      float64   `db:"stability" json:"stability"`
	Difficulty     float64   `db:"difficulty" json:"difficulty"`
	ScheduledDays  int       `db:"scheduled_days" json:"scheduled_days"`
	Reps           int       `db:"reps" json:"reps"`
	Lapses         int       `db:"lapses" json:"lapses"`
	LastReview     int64     `db:"last_review" json:"last_review"`
	RemainingSteps int       `db:"remaining_steps" json:"remaining_steps"`
	Suspended      bool      `db:"suspended" json:"-"`
	BuriedUntil    int64     `db:"buried_until" json:"-"`
	Flagged        bool      `db:"flagged" json:"-"`
	Version        int64     `db:"version" json:"-"`
}

// SRS returns the memory state for the scheduler.
func (cs *CardState) SRS() srs.State {
	st := srs.State{Phase: cs.Phase, Stability: cs.Stability, Difficulty: cs.Difficulty,
		ScheduledDays: cs.ScheduledDays, Reps: cs.Reps, Lapses: cs.Lapses, RemainingSteps: cs.RemainingSteps}
	if cs.Due != 0 {
		st.Due = time.UnixMilli(cs.Due).UTC()
	}
	if cs.LastReview != 0 {
		st.LastReview = time.UnixMilli(cs.LastReview).UTC()
	}
	return st
}

// setSRS copies a memory state in, at millisecond precision.
func (cs *CardState) setSRS(st srs.State) {
	cs.Phase, cs.Stability, cs.Difficulty = st.Phase, st.Stability, st.Difficulty
	cs.ScheduledDays, cs.Reps, cs.Lapses, cs.RemainingSteps = st.ScheduledDays, st.Reps, st.Lapses, st.RemainingSteps
	cs.Due, cs.LastReview = 0, 0
	if !st.Due.IsZero() {
		cs.Due = st.Due.UnixMilli()
	}
	if !st.LastReview.IsZero() {
		cs.LastReview = st.LastReview.UnixMilli()
	}
}

// Leech reports whether the card has lapsed srs.LeechLapses times.
func (cs *CardState) Leech() bool { return cs.Lapses >= srs.LeechLapses }

// Token is the review token of this state: a rating form carries it, and
// a rating is applied only while the state still has it.
func (cs *CardState) Token() string { return fmt.Sprint(cs.Version) }

// ReviewCard is a card with the deck it is in and one user's state of it.
type ReviewCard struct {
	Card
	DeckSlug  string `db:"deck_slug"`
	DeckTitle string `db:"deck_title"`
	State     CardState
}

// Filter narrows what a review session shows.
type Filter struct {
	Deck string     // deck id (slug); "" for every deck
	Kind decks.Kind // "" for every kind
}

// Counts is what is left to study today.
type Counts struct {
	New      int // new cards the daily limit still allows
	Learning int // learning and relearning cards due within srs.LearnAhead
	Review   int // review cards due today, within the daily limit
}

// Total is the number of cards left today.
func (c Counts) Total() int { return c.New + c.Learning + c.Review }

// Queue is the next card of a review session and what is left.
type Queue struct {
	Card   *ReviewCard // nil when nothing is due
	Counts Counts
	// NextDue is when the next card comes due, when nothing is due now
	// (zero if there is no card at all).
	NextDue time.Time
}

// visibleDecks selects the ids of the decks a user may see: public decks
// (built-in or imported by the operator), the decks of the user's groups,
// and the user's private decks. Its arguments are the user's id, twice.
const visibleDecks = `SELECT d.id FROM decks d WHERE d.owner_id = ? OR (d.owner_id IS NULL AND
	(d.group_id IS NULL OR d.group_id IN (SELECT gm.group_id FROM group_members gm WHERE gm.user_id = ?)))`

// visibleCards is the condition for the active cards of cards c the user
// may see; its arguments are visibleArgs.
const visibleCards = `c.retired_at IS NULL AND c.deck_id IN (` + visibleDecks + `)`

// studyCards narrows visibleCards to the decks the user has not paused;
// its arguments are studyArgs.
const studyCards = visibleCards + ` AND c.deck_id NOT IN (SELECT p.deck_id FROM deck_pauses p WHERE p.user_id = ?)`

func visibleArgs(userID int64) []any { return []any{userID, userID} }
func studyArgs(userID int64) []any   { return []any{userID, userID, userID} }

// args concatenates query arguments.
func args(parts ...[]any) []any {
	var out []any
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// stateJoin joins a user's state rows to cards c; s.* is NULL for cards
// the user never saw.
const stateJoin = `LEFT JOIN card_states s ON s.card_id = c.id AND s.user_id = ?`

// available is the condition for a card that is neither suspended nor
// buried at the given time.
const available = `COALESCE(s.suspended, 0) = 0 AND COALESCE(s.buried_until, 0) <= ?`

// filterSQL returns the SQL condition and arguments of a filter.
func filterSQL(f Filter) (string, []any) {
	var conds []string
	var args []any
	if f.Deck != "" {
		conds = append(conds, `c.deck_id = (SELECT id FROM decks WHERE slug = ?)`)
		args = append(args, f.Deck)
	}
	if f.Kind != "" {
		conds = append(conds, `c.kind = ?`)
		args = append(args, string(f.Kind))
	}
	if len(conds) == 0 {
		return "1 = 1", nil
	}
	return strings.Join(conds, " AND "), args
}

// doneToday counts a user's ratings since the start of the study day, by
// the phase the card was in: new cards introduced and reviews done.
func doneToday(ctx context.Context, q sqlx.QueryerContext, userID int64, dayStart int64) (newDone, reviewsDone int, err error) {
	err = q.QueryRowxContext(ctx, `SELECT
		COALESCE(SUM(CASE WHEN prev_phase = 0 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN prev_phase = 2 THEN 1 ELSE 0 END), 0)
		FROM reviews WHERE user_id = ? AND reviewed_at >= ? AND undone_at IS NULL`, userID, dayStart).Scan(&newDone, &reviewsDone)
	return
}

// Next returns the next card to review and the counts of what is left,
// following the queue order: learning and relearning cards due now (most
// overdue first), then review cards due today (by due time), then new
// cards in deck order, within the daily limits; when none of those is
// left, learning cards due within srs.LearnAhead. Counts.Learning counts
// the learning cards due within srs.LearnAhead.
func (db *DB) Next(ctx context.Context, u *User, f Filter) (*Queue, error) {
	// The counts and the pick are separate reads: a rating or an import in
	// between can take the picked card away. Count again then.
	for try := 0; ; try++ {
		q, err := db.next(ctx, u, f)
		if ErrorCode(err) == ENotFound && try < 3 {
			continue
		}
		return q, err
	}
}

func (db *DB) next(ctx context.Context, u *User, f Filter) (*Queue, error) {
	now := db.Now()
	set := u.Settings()
	nowMS, dayStart, dayEnd := now.UnixMilli(), set.DayStart(now).UnixMilli(), set.NextDayStart(now).UnixMilli()
	fsql, fargs := filterSQL(f)

	newDone, reviewsDone, err := doneToday(ctx, db.rq, u.ID, dayStart)
	if err != nil {
		return nil, fmt.Errorf("count today's reviews: %w", err)
	}
	newLeft := max(0, set.NewPerDay-newDone)
	reviewsLeft := max(0, set.ReviewsPerDay-reviewsDone)

	var q Queue
	aheadMS := nowMS + srs.LearnAhead.Milliseconds()
	// Learning and review cards are read from the user's states through
	// their (user_id, phase, due) index; new cards from the cards in deck
	// order. The review and new counts stop at the daily limit, so the
	// cost of a step does not grow with the size of the decks.
	const (
		statesFrom    = `FROM card_states s JOIN cards c ON c.id = s.card_id `
		statesFromAll = statesFrom + `JOIN decks d ON d.id = c.deck_id `
		cardsFromAll  = `FROM cards c JOIN decks d ON d.id = c.deck_id ` + stateJoin
	)
	scheduledWhere := func(cond string) string {
		return `WHERE s.user_id = ? AND ` + cond + ` AND s.suspended = 0 AND s.buried_until <= ? AND ` + studyCards + ` AND ` + fsql
	}
	scheduledArgs := func(condArgs ...any) []any {
		return args([]any{u.ID}, condArgs, []any{nowMS}, studyArgs(u.ID), fargs)
	}
	newWhere := ` WHERE COALESCE(s.phase, 0) = 0 AND ` + available + ` AND ` + studyCards + ` AND ` + fsql
	newArgs := args([]any{u.ID, nowMS}, studyArgs(u.ID), fargs)

	var learningNow int
	err = db.rq.QueryRowxContext(ctx, `SELECT COALESCE(SUM(CASE WHEN s.due <= ? THEN 1 ELSE 0 END), 0), COUNT(*) `+
		statesFrom+scheduledWhere(`s.phase IN (1, 3) AND s.due <= ?`), args([]any{nowMS}, scheduledArgs(aheadMS))...).Scan(&learningNow, &q.Counts.Learning)
	if err != nil {
		return nil, fmt.Errorf("count learning cards: %w", err)
	}
	if err := sqlx.GetContext(ctx, db.rq, &q.Counts.Review, `SELECT COUNT(*) FROM (SELECT 1 `+statesFrom+scheduledWhere(`s.phase = 2 AND s.due < ?`)+` LIMIT ?)`,
		args(scheduledArgs(dayEnd), []any{reviewsLeft})...); err != nil {
		return nil, fmt.Errorf("count due cards: %w", err)
	}
	// New cards are the cards to study minus those the user has a
	// non-new (or hidden) state for: two index counts, rather than probing
	// the user's state of every card.
	var cardCount, notNew int
	if f.Kind == "" {
		// Without a kind filter the decks' own counts of active cards do.
		deckCond, deckArgs := "", []any(nil)
		if f.Deck != "" {
			deckCond, deckArgs = ` AND d.slug = ?`, []any{f.Deck}
		}
		err = sqlx.GetContext(ctx, db.rq, &cardCount, `SELECT COALESCE(SUM(d.active_cards), 0) FROM decks d
			WHERE d.id IN (`+visibleDecks+`) AND d.id NOT IN (SELECT p.deck_id FROM deck_pauses p WHERE p.user_id = ?)`+deckCond,
			args(studyArgs(u.ID), deckArgs)...)
	} else {
		err = sqlx.GetContext(ctx, db.rq, &cardCount, `SELECT COUNT(*) FROM cards c WHERE `+studyCards+` AND `+fsql,
			args(studyArgs(u.ID), fargs)...)
	}
	if err != nil {
		return nil, fmt.Errorf("count new cards: %w", err)
	}
	if err := sqlx.GetContext(ctx, db.rq, &notNew, `SELECT COUNT(*) `+statesFrom+`WHERE s.user_id = ?
		AND NOT (s.phase = 0 AND s.suspended = 0 AND s.buried_until <= ?) AND `+studyCards+` AND `+fsql,
		args([]any{u.ID, nowMS}, studyArgs(u.ID), fargs)...); err != nil {
		return nil, fmt.Errorf("count new cards: %w", err)
	}
	q.Counts.New = min(cardCount-notNew, newLeft)

	pick := `SELECT ` + cardColumnsC + `, d.slug AS deck_slug, d.title AS deck_title `
	var query string
	var qargs []any
	switch {
	case learningNow > 0:
		query, qargs = pick+statesFromAll+scheduledWhere(`s.phase IN (1, 3) AND s.due <= ?`)+` ORDER BY s.due, c.id LIMIT 1`, scheduledArgs(nowMS)
	case q.Counts.Review > 0:
		query, qargs = pick+statesFromAll+scheduledWhere(`s.phase = 2 AND s.due < ?`)+` ORDER BY s.due, c.id LIMIT 1`, scheduledArgs(dayEnd)
	case q.Counts.New > 0:
		query, qargs = pick+cardsFromAll+newWhere+` ORDER BY c.deck_id, c.position LIMIT 1`, newArgs
	case q.Counts.Learning > 0:
		// Nothing else left: learning cards due within srs.LearnAhead
		// come early, as in Anki.
		query, qargs = pick+statesFromAll+scheduledWhere(`s.phase IN (1, 3) AND s.due <= ?`)+` ORDER BY s.due, c.id LIMIT 1`, scheduledArgs(aheadMS)
	default:
		next, err := db.nextDue(ctx, u, fsql, fargs, dayEnd, newLeft == 0, reviewsLeft == 0)
		if err != nil {
			return nil, err
		}
		q.NextDue = next
		return &q, nil
	}
	rc, err := db.reviewCard(ctx, db.rq, u.ID, query, qargs...)
	if err != nil {
		return nil, err
	}
	q.Card = rc
	return &q, nil
}

// nextDue says when the next card comes due when none is due now: the
// earliest learning or review card (not before its burial ends), and cards
// held back by a daily limit or a burial at the start of the next day.
func (db *DB) nextDue(ctx context.Context, u *User, fsql string, fargs []any, dayEnd int64, newCapped, reviewsCapped bool) (time.Time, error) {
	rows, err := db.ro.QueryxContext(ctx, `SELECT COALESCE(s.phase, 0) AS phase,
		MIN(CASE WHEN COALESCE(s.buried_until, 0) > COALESCE(s.due, 0) THEN s.buried_until ELSE COALESCE(s.due, 0) END) AS due
		FROM cards c `+stateJoin+` WHERE `+studyCards+` AND COALESCE(s.suspended, 0) = 0 AND `+fsql+`
		GROUP BY COALESCE(s.phase, 0)`, args([]any{u.ID}, studyArgs(u.ID), fargs)...)
	if err != nil {
		return time.Time{}, fmt.Errorf("next due: %w", err)
	}
	defer rows.Close()
	var next int64
	for rows.Next() {
		var phase srs.Phase
		var due int64
		if err := rows.Scan(&phase, &due); err != nil {
			return time.Time{}, fmt.Errorf("next due: %w", err)
		}
		switch {
		case phase == srs.New && (newCapped || due > 0):
			due = max(due, dayEnd)
		case phase == srs.New:
			continue // new cards were available: not a "next due" case
		case phase == srs.Review && reviewsCapped:
			due = max(due, dayEnd)
		}
		if next == 0 || due < next {
			next = due
		}
	}
	if err := rows.Err(); err != nil || next == 0 {
		return time.Time{}, err
	}
	return time.UnixMilli(next).UTC(), nil
}

// cardColumnsC is cardColumns qualified with the alias c.
var cardColumnsC = prefixed("c", cardColumns)

// prefixed qualifies a column list with a table alias.
func prefixed(alias, cols string) string {
	fields := strings.Split(cols, ",")
	for i, f := range fields {
		fields[i] = alias + "." + strings.TrimSpace(f)
	}
	return strings.Join(fields, ", ")
}

// reviewCard runs a query for one card and loads the user's state of it.
func (db *DB) reviewCard(ctx context.Context, q sqlx.QueryerContext, userID int64, query string, args ...any) (*ReviewCard, error) {
	var rc ReviewCard
	if err := sqlx.GetContext(ctx, q, &rc, query, args...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, Errorf(ENotFound, "Card not found.")
		}
		return nil, fmt.Errorf("get card: %w", err)
	}
	st, err := loadState(ctx, q, userID, rc.ID)
	if err != nil {
		return nil, err
	}
	rc.State = st
	return &rc, nil
}

// loadState returns a user's state of a card, the zero state if none.
func loadState(ctx context.Context, q sqlx.QueryerContext, userID, cardID int64) (CardState, error) {
	var st CardState
	err := sqlx.GetContext(ctx, q, &st, loadStateSQL, userID, cardID)
	if errors.Is(err, sql.ErrNoRows) {
		return CardState{}, nil
	}
	if err != nil {
		return CardState{}, fmt.Errorf("get card state: %w", err)
	}
	return st, nil
}

// ReviewCardByID returns a card the user may study, with the user's state
// of it, or ENotFound.
func (db *DB) ReviewCardByID(ctx context.Context, u *User, cardID int64) (*ReviewCard, error) {
	return db.reviewCard(ctx, db.rq, u.ID, `SELECT `+prefixed("c", cardColumns)+`, d.slug AS deck_slug, d.title AS deck_title
		FROM cards c JOIN decks d ON d.id = c.deck_id WHERE c.id = ? AND `+visibleCards, args([]any{cardID}, visibleArgs(u.ID))...)
}

// The statements a rating runs inside its write transaction; store.Open
// prepares them (see stmtCache.warm).
const (
	loadStateSQL = `SELECT phase, due, stability, difficulty, scheduled_days, reps, lapses, last_review,
		remaining_steps, suspended, buried_until, flagged, version FROM card_states WHERE user_id = ? AND card_id = ?`
	checkVisibleSQL = `SELECT COUNT(*) FROM cards c WHERE c.id = ? AND ` + visibleCards
	saveStateSQL    = `INSERT INTO card_states (user_id, card_id, phase, due, stability, difficulty, scheduled_days, reps, lapses,
		last_review, remaining_steps, suspended, buried_until, flagged, version, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id, card_id) DO UPDATE SET phase = excluded.phase, due = excluded.due, stability = excluded.stability,
		difficulty = excluded.difficulty, scheduled_days = excluded.scheduled_days, reps = excluded.reps, lapses = excluded.lapses,
		last_review = excluded.last_review, remaining_steps = excluded.remaining_steps, suspended = excluded.suspended,
		buried_until = excluded.buried_until, flagged = excluded.flagged, version = excluded.version, updated_at = excluded.updated_at`
	insertReviewSQL = `INSERT INTO reviews (user_id, card_id, version, rating, reviewed_at, prev_phase, prev_interval_days,
		phase, due, stability, difficulty, interval_ms, before_state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	insertStudyDaySQL = `INSERT INTO study_days (user_id, day) VALUES (?, ?) ON CONFLICT (user_id, day) DO NOTHING`
)

// writeStatements are prepared on the writer connection at Open.
var writeStatements = []string{loadStateSQL, checkVisibleSQL, saveStateSQL, insertReviewSQL, insertStudyDaySQL}

// checkVisible returns ENotFound unless the user may study the card.
func checkVisible(ctx context.Context, q sqlx.QueryerContext, userID, cardID int64) error {
	var n int
	if err := sqlx.GetContext(ctx, q, &n, checkVisibleSQL, args([]any{cardID}, visibleArgs(userID))...); err != nil {
		return err
	}
	if n == 0 {
		return Errorf(ENotFound, "Card not found.")
	}
	return nil
}

// saveState writes a user's state of a card, bumping its version.
func saveState(ctx context.Context, tx sqlx.ExecerContext, userID, cardID int64, st CardState, now int64) error {
	_, err := tx.ExecContext(ctx, saveStateSQL,
		userID, cardID, st.Phase, st.Due, st.Stability, st.Difficulty, st.ScheduledDays, st.Reps, st.Lapses,
		st.LastReview, st.RemainingSteps, st.Suspended, st.BuriedUntil, st.Flagged, st.Version+1, now)
	return err
}

// ErrStale is returned by Rate when the token no longer matches the card's
// state: the rating was already applied (a replay or double click) or the
// card changed since the page was shown. Nothing was written.
var ErrStale = Errorf(EConflict, "This card was already rated; here is the next one.")

// Rating is the outcome of Rate.
type Rating struct {
	ReviewID int64
	Before   CardState
	After    CardState
}

// Rate applies a rating to a card for a user, exactly once: token must be
// the token of the state the card was shown in, else ErrStale. The new
// state and the review row are written in one transaction.
func (db *DB) Rate(ctx context.Context, u *User, cardID int64, token string, r srs.Rating) (*Rating, error) {
	if !r.Valid() {
		return nil, Errorf(EInvalid, "A rating is 1 (Again), 2 (Hard), 3 (Good) or 4 (Easy).")
	}
	var out *Rating
	err := db.write(ctx, func(tx *sqlx.Tx) error {
		if err := checkVisible(ctx, db.tq(tx), u.ID, cardID); err != nil {
			return err
		}
		before, err := loadState(ctx, db.tq(tx), u.ID, cardID)
		if err != nil {
			return err
		}
		if token != before.Token() {
			return ErrStale
		}
		now := db.Now().Truncate(time.Millisecond)
		next, err := srs.NewScheduler(u.Settings()).Next(before.SRS(), now, r)
		if err != nil {
			return err
		}
		after := before
		after.setSRS(next)
		if after.Leech() {
			// Leeches are flagged so they can be found and rewritten.
			after.Flagged = true
		}
		if err := saveState(ctx, db.tq(tx), u.ID, cardID, after, now.UnixMilli()); err != nil {
			return err
		}
		after.Version++
		prev, _ := json.Marshal(before)
		res, err := db.tq(tx).ExecContext(ctx, insertReviewSQL,
			u.ID, cardID, before.Version, int(r), now.UnixMilli(), before.Phase, before.ScheduledDays, after.Phase, after.Due,
			after.Stability, after.Difficulty, after.Due-now.UnixMilli(), string(prev))
		if err != nil {
			return err
		}
		id, _ := res.LastInsertId()
		if _, err := db.tq(tx).ExecContext(ctx, insertStudyDaySQL,
			u.ID, u.Settings().DayNumber(now)); err != nil {
			return err
		}
		out = &Rating{ReviewID: id, Before: before, After: after}
		return nil
	})
	if err != nil {
		if ErrorCode(err) != EInternal {
			return nil, err
		}
		return nil, fmt.Errorf("rate card %d: %w", cardID, err)
	}
	return out, nil
}

// LastReview returns the id of the user's latest rating that can be
// undone, or 0.
func (db *DB) LastReview(ctx context.Context, u *User) (int64, error) {
	var id sql.NullInt64
	err := sqlx.GetContext(ctx, db.rq, &id, `SELECT MAX(id) FROM reviews WHERE user_id = ? AND undone_at IS NULL`, u.ID)
	if err != nil {
		return 0, fmt.Errorf("last review: %w", err)
	}
	return id.Int64, nil
}

// Undo takes back the user's latest rating, which must be reviewID (the
// one the page offered to undo, so a repeated undo does nothing): the
// review row is marked undone and the card gets back the state it had
// before. It returns the card's id.
func (db *DB) Undo(ctx context.Context, u *User, reviewID int64) (int64, error) {
	var cardID int64
	err := db.write(ctx, func(tx *sqlx.Tx) error {
		var last struct {
			ID         int64  `db:"id"`
			CardID     int64  `db:"card_id"`
			Before     string `db:"before_state"`
			ReviewedAt int64  `db:"reviewed_at"`
		}
		err := tx.GetContext(ctx, &last, `SELECT id, card_id, before_state, reviewed_at FROM reviews
			WHERE user_id = ? AND undone_at IS NULL ORDER BY id DESC LIMIT 1`, u.ID)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && last.ID != reviewID) {
			return Errorf(EConflict, "Nothing to undo: that rating was already undone.")
		}
		if err != nil {
			return err
		}
		var before CardState
		if err := json.Unmarshal([]byte(last.Before), &before); err != nil {
			return fmt.Errorf("decode review %d: %w", last.ID, err)
		}
		current, err := loadState(ctx, db.tq(tx), u.ID, last.CardID)
		if err != nil {
			return err
		}
		// The flags the user set since stay; only the schedule goes back.
		before.Suspended, before.BuriedUntil, before.Version = current.Suspended, current.BuriedUntil, current.Version
		before.Flagged = current.Flagged && (before.Leech() || !current.Leech())
		now := db.now()
		if err := saveState(ctx, db.tq(tx), u.ID, last.CardID, before, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE reviews SET undone_at = ? WHERE id = ?`, now, last.ID); err != nil {
			return err
		}
		// The study day stays a study day only if another rating is left in it.
		set := u.Settings()
		at := timeMS(last.ReviewedAt)
		var left int
		if err := tx.GetContext(ctx, &left, `SELECT COUNT(*) FROM reviews WHERE user_id = ? AND reviewed_at >= ? AND reviewed_at < ? AND undone_at IS NULL`,
			u.ID, set.DayStart(at).UnixMilli(), set.NextDayStart(at).UnixMilli()); err != nil {
			return err
		}
		if left == 0 {
			if _, err := tx.ExecContext(ctx, `DELETE FROM study_days WHERE user_id = ? AND day = ?`, u.ID, set.DayNumber(at)); err != nil {
				return err
			}
		}
		cardID = last.CardID
		return nil
	})
	if err != nil {
		if ErrorCode(err) != EInternal {
			return 0, err
		}
		return 0, fmt.Errorf("undo: %w", err)
	}
	return cardID, nil
}

// CardAction is something a user does to a card besides rating it.
type CardAction string

// The card actions.
const (
	ActionSuspend   CardAction = "suspend"   // hide from reviews until unsuspended
	ActionUnsuspend CardAction = "unsuspend" // undo ActionSuspend
	ActionBury      CardAction = "bury"      // hide until the next study day
	ActionFlag      CardAction = "flag"      // mark for attention
	ActionUnflag    CardAction = "unflag"    // remove the mark
)

// Act applies a card action for a user.
func (db *DB) Act(ctx context.Context, u *User, cardID int64, a CardAction) error {
	return db.write(ctx, func(tx *sqlx.Tx) error {
		if err := checkVisible(ctx, db.tq(tx), u.ID, cardID); err != nil {
			return err
		}
		st, err := loadState(ctx, db.tq(tx), u.ID, cardID)
		if err != nil {
			return err
		}
		switch a {
		case ActionSuspend:
			st.Suspended = true
		case ActionUnsuspend:
			st.Suspended = false
		case ActionBury:
			st.BuriedUntil = u.Settings().NextDayStart(db.Now()).UnixMilli()
		case ActionFlag:
			st.Flagged = true
		case ActionUnflag:
			st.Flagged = false
		default:
			return Errorf(EInvalid, "Unknown card action %q.", a)
		}
		return saveState(ctx, db.tq(tx), u.ID, cardID, st, db.now())
	})
}

// Leech is a card a user keeps forgetting.
type Leech struct {
	CardID    int64      `db:"card_id"`
	DeckSlug  string     `db:"deck_slug"`
	DeckTitle string     `db:"deck_title"`
	Kind      decks.Kind `db:"kind"`
	FrontHTML string     `db:"front_html"`
	Lapses    int        `db:"lapses"`
	Suspended bool       `db:"suspended"`
}

// Leeches lists the user's cards with at least srs.LeechLapses lapses,
// most lapses first.
func (db *DB) Leeches(ctx context.Context, u *User) ([]Leech, error) {
	var ls []Leech
	err := db.ro.SelectContext(ctx, &ls, `SELECT c.id AS card_id, d.slug AS deck_slug, d.title AS deck_title, c.kind, c.front_html,
		s.lapses, s.suspended
		FROM card_states s JOIN cards c ON c.id = s.card_id JOIN decks d ON d.id = c.deck_id
		WHERE s.user_id = ? AND s.lapses >= ? AND `+visibleCards+` ORDER BY s.lapses DESC, c.id`, args([]any{u.ID, srs.LeechLapses}, visibleArgs(u.ID))...)
	if err != nil {
		return nil, fmt.Errorf("list leeches: %w", err)
	}
	return ls, nil
}

// CountReviews counts the review rows of a user, undone ones included.
func (db *DB) CountReviews(ctx context.Context, username string) (int, error) {
	var n int
	err := sqlx.GetContext(ctx, db.rq, &n, `SELECT COUNT(*) FROM reviews r JOIN users u ON u.id = r.user_id WHERE u.username_key = ?`, strings.ToLower(username))
	return n, err
}

// LoggedReview is one row of the review log.
type LoggedReview struct {
	CardID     int64 `db:"card_id"`
	Rating     int   `db:"rating"`
	ReviewedAt int64 `db:"reviewed_at"`
	Undone     bool  `db:"undone"`
}

// ReviewLog returns a user's review log, oldest first.
func (db *DB) ReviewLog(ctx context.Context, username string) ([]LoggedReview, error) {
	var rs []LoggedReview
	err := db.ro.SelectContext(ctx, &rs, `SELECT r.card_id, r.rating, r.reviewed_at, r.undone_at IS NOT NULL AS undone
		FROM reviews r JOIN users u ON u.id = r.user_id WHERE u.username_key = ? ORDER BY r.id`, strings.ToLower(username))
	if err != nil {
		return nil, fmt.Errorf("review log: %w", err)
	}
	return rs, nil
}

// CardStates returns a user's states of the cards of a deck, by card id;
// cards the user never touched are absent.
func (db *DB) CardStates(ctx context.Context, u *User, deckID int64) (map[int64]CardState, error) {
	rows, err := db.ro.QueryxContext(ctx, `SELECT s.card_id, s.phase, s.due, s.stability, s.difficulty, s.scheduled_days, s.reps, s.lapses,
		s.last_review, s.remaining_steps, s.suspended, s.buried_until, s.flagged, s.version
		FROM card_states s JOIN cards c ON c.id = s.card_id WHERE s.user_id = ? AND c.deck_id = ? AND `+visibleCards, args([]any{u.ID, deckID}, visibleArgs(u.ID))...)
	if err != nil {
		return nil, fmt.Errorf("card states: %w", err)
	}
	defer rows.Close()
	states := map[int64]CardState{}
	for rows.Next() {
		var row struct {
			CardID int64 `db:"card_id"`
			CardState
		}
		if err := rows.StructScan(&row); err != nil {
			return nil, fmt.Errorf("card states: %w", err)
		}
		states[row.CardID] = row.CardState
	}
	return states, rows.Err()
}

// ReviewKey names one applied rating: the card state version it was given
// for is unique per user and card.
type ReviewKey struct {
	UserID  int64
	CardID  int64
	Version string
}

// ReviewVersions counts the review rows of the given users by ReviewKey,
// undone ones included (a load tool compares them with what it was told).
func (db *DB) ReviewVersions(ctx context.Context, userIDs []int64) (map[ReviewKey]int, error) {
	out := map[ReviewKey]int{}
	for _, id := range userIDs {
		rows, err := db.ro.QueryContext(ctx, `SELECT card_id, version FROM reviews WHERE user_id = ?`, id)
		if err != nil {
			return nil, fmt.Errorf("review versions: %w", err)
		}
		for rows.Next() {
			var card, version int64
			if err := rows.Scan(&card, &version); err != nil {
				rows.Close()
				return nil, err
			}
			out[ReviewKey{id, card, fmt.Sprint(version)}]++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}
