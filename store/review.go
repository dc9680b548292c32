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
	Flagged        bool      `db:"flagged" json:"flagged"`
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
	Deck  string     // deck id (slug); "" for every deck
	Kind  decks.Kind // "" for every kind
	Group int64      // a group's decks only; 0 for every deck
	// AheadDays brings the reviews due in the next days forward
	// ("review ahead"); 0 studies what is due today.
	AheadDays int
}

// Counts is what is left to study today (srs.Plan decides it).
type Counts = srs.Counts

// Queue is the next card of a review session and what is left.
type Queue struct {
	Card   *ReviewCard // nil when nothing is due
	Counts Counts
	// NextDue is when the next card comes due, when nothing is due now
	// (zero if there is no card at all).
	NextDue time.Time
	// UndoID is the latest rating not undone, 0 for none; Undo is the top
	// of the undo stack (a rating or a card action), what UndoLast takes
	// back (its ID is 0 when the stack is empty).
	UndoID int64
	Undo   Undoable
	// DoneToday counts the ratings given today; AnswerTime is the
	// learner's mean answer time over the last week, 0 when unknown.
	DoneToday  int
	AnswerTime time.Duration
}

// args concatenates query arguments.
func args(parts ...[]any) []any {
	var out []any
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// ReviewCardByID returns a card the user may study, with the user's state
// of it, or ENotFound.
func (db *DB) ReviewCardByID(ctx context.Context, u *User, cardID int64) (*ReviewCard, error) {
	if err := checkVisible(ctx, db.rq, u.ID, cardID); err != nil {
		return nil, err
	}
	return db.queueCard(ctx, db.rq, u.ID, cardID)
}

// checkVisible returns ENotFound unless the user may study the card.
func checkVisible(ctx context.Context, q sqlx.QueryerContext, userID, cardID int64) error {
	vis := deckVisible("c.deck_id", userID)
	var n int
	if err := sqlx.GetContext(ctx, q, &n, `SELECT COUNT(*) FROM cards c WHERE c.id = ? AND c.retired_at IS NULL AND `+vis.sql,
		args([]any{cardID}, vis.args)...); err != nil {
		return fmt.Errorf("get card %d: %w", cardID, err)
	}
	if n == 0 {
		return Errorf(ENotFound, "Card not found.")
	}
	return nil
}

// prefixed qualifies a column list with a table alias.
func prefixed(alias, cols string) string {
	fields := strings.Split(cols, ",")
	for i, f := range fields {
		fields[i] = alias + "." + strings.TrimSpace(f)
	}
	return strings.Join(fields, ", ")
}

// sqlPart is a piece of SQL with its own arguments.
type sqlPart struct {
	sql  string
	args []any
}

// and joins conditions with AND, their arguments in order.
func and(parts ...sqlPart) sqlPart {
	var out sqlPart
	for i, p := range parts {
		if i > 0 {
			out.sql += " AND "
		}
		out.sql += p.sql
		out.args = append(out.args, p.args...)
	}
	return out
}

// activeVisibleCards is the condition that card c is active and in a deck
// the user may see.
func activeVisibleCards(userID int64) sqlPart {
	return and(sqlPart{sql: `c.retired_at IS NULL`}, deckVisible("c.deck_id", userID))
}

// deckVisible is the condition that the deck with id column col is one
// the user may see: public (built-in or imported by the operator), a deck
// of one of the user's groups, the user's own, or one that left a group
// the user was in (deck_readers). It probes the deck and
// the membership by their keys.
func deckVisible(col string, userID int64) sqlPart {
	return sqlPart{`EXISTS (SELECT 1 FROM decks vd WHERE vd.id = ` + col + ` AND (vd.owner_id = ? OR (vd.owner_id IS NULL AND
		(vd.group_id IS NULL OR EXISTS (SELECT 1 FROM group_members vm WHERE vm.group_id = vd.group_id AND vm.user_id = ?)))
		OR EXISTS (SELECT 1 FROM deck_readers vr WHERE vr.user_id = ? AND vr.deck_id = vd.id)))`,
		[]any{userID, userID, userID}}
}

// The statements a rating runs inside its write transaction; store.Open
// prepares them (see stmtCache.warm).
const (
	stateColumns = `phase, due, stability, difficulty, scheduled_days, reps, lapses, last_review,
		remaining_steps, suspended, buried_until, flagged, version`
	loadStateSQL = `SELECT ` + stateColumns + ` FROM card_states WHERE user_id = ? AND card_id = ?`
	saveStateSQL = `INSERT INTO card_states (user_id, card_id, phase, due, stability, difficulty, scheduled_days, reps, lapses,
		last_review, remaining_steps, suspended, buried_until, flagged, version, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id, card_id) DO UPDATE SET phase = excluded.phase, due = excluded.due, stability = excluded.stability,
		difficulty = excluded.difficulty, scheduled_days = excluded.scheduled_days, reps = excluded.reps, lapses = excluded.lapses,
		last_review = excluded.last_review, remaining_steps = excluded.remaining_steps, suspended = excluded.suspended,
		buried_until = excluded.buried_until, flagged = excluded.flagged, version = excluded.version, updated_at = excluded.updated_at`
	insertReviewSQL = `INSERT INTO reviews (user_id, card_id, version, rating, reviewed_at, prev_phase, prev_interval_days,
		phase, due, stability, difficulty, interval_ms, before_state, retention, max_interval, time_zone, params, answer_ms)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`
	// countDaySQL adds a rating to the day's counts.
	countDaySQL = `INSERT INTO study_days (user_id, day, ratings, new_done, reviews_done, reviews_passed, answer_ms, timed)
		VALUES (?, ?, 1, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id, day) DO UPDATE SET ratings = study_days.ratings + 1,
		new_done = study_days.new_done + excluded.new_done, reviews_done = study_days.reviews_done + excluded.reviews_done,
		reviews_passed = study_days.reviews_passed + excluded.reviews_passed,
		answer_ms = study_days.answer_ms + excluded.answer_ms, timed = study_days.timed + excluded.timed`
	// studiedSQL counts a card the user studied for the first time and
	// moves the user's cursor in the deck to the first card of that kind,
	// from the old cursor on, that the user has not studied (past the
	// rated card when there is none). ORDER BY ... LIMIT 1 rather than
	// MIN: PostgreSQL walked the rest of the deck for MIN (9-13 ms a
	// rating, and predicate locks that made other learners' ratings fail
	// to serialize); both engines stop at the first card.
	studiedSQL = `INSERT INTO learner_decks (user_id, deck_id, kind, studied, next_position)
		VALUES (?, ?, ?, 1, COALESCE((SELECT c.position FROM cards c
			WHERE c.deck_id = ? AND c.kind = ? AND c.retired_at IS NULL AND c.position >= ?
			AND NOT EXISTS (SELECT 1 FROM card_states s WHERE s.user_id = ? AND s.card_id = c.id AND s.phase <> 0)
			ORDER BY c.position LIMIT 1), ?))
		ON CONFLICT (user_id, deck_id, kind) DO UPDATE SET studied = learner_decks.studied + 1, next_position = excluded.next_position`
)

// rateLoad reads, in one probe, the card (if the user may study it), the
// user's state of it and the user's cursor in its deck.
func rateLoad(userID, cardID int64) sqlPart {
	state := sqlPart{`card_states s ON s.user_id = ? AND s.card_id = c.id`, []any{userID}}
	cursor := sqlPart{`learner_decks l ON l.user_id = ? AND l.deck_id = c.deck_id AND l.kind = c.kind`, []any{userID}}
	card := and(sqlPart{`c.id = ? AND c.retired_at IS NULL`, []any{cardID}}, deckVisible("c.deck_id", userID))
	return sqlPart{`SELECT c.deck_id, c.kind, c.position,
		COALESCE(s.phase, 0), COALESCE(s.due, 0), COALESCE(s.stability, 0), COALESCE(s.difficulty, 0),
		COALESCE(s.scheduled_days, 0), COALESCE(s.reps, 0), COALESCE(s.lapses, 0), COALESCE(s.last_review, 0),
		COALESCE(s.remaining_steps, 0), COALESCE(s.suspended, 0), COALESCE(s.buried_until, 0),
		COALESCE(s.flagged, 0), COALESCE(s.version, 0), COALESCE(l.next_position, 0)
		FROM cards c LEFT JOIN ` + state.sql + ` LEFT JOIN ` + cursor.sql + ` WHERE ` + card.sql,
		args(state.args, cursor.args, card.args)}
}

// writeStatements are prepared on the writer connection at Open.
var writeStatements = []string{loadStateSQL, rateLoad(0, 0).sql, saveStateSQL, insertReviewSQL,
	countDaySQL, studiedSQL, lastRatingSQL, logActionSQL, lastActionSQL, savepointSQL, rollbackToSQL, releaseSQL}

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

// rateTarget is what a write on a card reads first.
type rateTarget struct {
	deckID   int64
	kind     decks.Kind
	position int
	state    CardState
	cursor   int
}

// loadTarget reads a card the user may study, the user's state of it and
// the user's cursor in its deck, or ENotFound.
func loadTarget(ctx context.Context, q sqlx.QueryerContext, userID, cardID int64) (*rateTarget, error) {
	load := rateLoad(userID, cardID)
	var t rateTarget
	st := &t.state
	err := q.QueryRowxContext(ctx, load.sql, load.args...).Scan(
		&t.deckID, &t.kind, &t.position,
		&st.Phase, &st.Due, &st.Stability, &st.Difficulty, &st.ScheduledDays, &st.Reps, &st.Lapses, &st.LastReview,
		&st.RemainingSteps, &st.Suspended, &st.BuriedUntil, &st.Flagged, &st.Version, &t.cursor)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, Errorf(ENotFound, "Card not found.")
	}
	if err != nil {
		return nil, err
	}
	return &t, nil
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

// ParamsDefault names the FSRS parameter set of a rating scheduled with
// go-fsrs's default weights; a rating scheduled with a learner's own
// weights records them (srs.Params.String).
const ParamsDefault = srs.ParamsDefaultName

// MaxAnswerTime caps the answer time a rating records, as Anki does.
const MaxAnswerTime = 60 * time.Second

// Rate applies a rating to a card for a user, exactly once: token must be
// the token of the state the card was shown in, else ErrStale. The new
// state, the review row and the counters a review step reads (the day's
// counts, the user's progress through the deck) are written in one
// transaction, and Rate returns once it is durable.
func (db *DB) Rate(ctx context.Context, u *User, cardID int64, token string, r srs.Rating) (*Rating, error) {
	return db.RateAnswered(ctx, u, cardID, token, r, 0)
}

// RateAnswered is Rate for a rating given answer (the time from showing
// the card to the rating; 0 when unknown, capped at MaxAnswerTime) after
// the card was shown. The review row records it with the settings the
// rating was scheduled with.
func (db *DB) RateAnswered(ctx context.Context, u *User, cardID int64, token string, r srs.Rating, answer time.Duration) (*Rating, error) {
	answer = min(max(answer, 0), MaxAnswerTime)
	if !r.Valid() {
		return nil, Errorf(EInvalid, "A rating is 1 (Again), 2 (Hard), 3 (Good) or 4 (Easy).")
	}
	set := u.Settings()
	sched := srs.NewScheduler(set)
	var out *Rating
	err := db.write(ctx, func(tx *sqlx.Tx) error {
		ctx := stmtContext(ctx)
		q := db.tq(tx)
		t, err := loadTarget(ctx, q, u.ID, cardID)
		if err != nil {
			return err
		}
		before := t.state
		if token != before.Token() {
			return ErrStale
		}
		now := db.Now().Truncate(time.Millisecond)
		after, err := rated(sched, before, now, r)
		if err != nil {
			return err
		}
		nowMS := now.UnixMilli()
		if err := saveState(ctx, q, u.ID, cardID, after, nowMS); err != nil {
			return err
		}
		after.Version++
		id, err := logRating(ctx, q, u, set, cardID, before, after, r, now, answer)
		if err != nil {
			return err
		}
		if before.Phase == srs.New {
			if _, err := q.ExecContext(ctx, studiedSQL, u.ID, t.deckID, string(t.kind),
				t.deckID, string(t.kind), t.cursor, u.ID, max(t.cursor, t.position+1)); err != nil {
				return err
			}
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

// rated is the state of a card in state before after rating r at now:
// FSRS's next state, and the flag a card gets when it becomes a leech (so
// leeches can be found and rewritten). Its version is before's.
func rated(sched *srs.Scheduler, before CardState, now time.Time, r srs.Rating) (CardState, error) {
	next, err := sched.Next(before.SRS(), now, r)
	if err != nil {
		return CardState{}, err
	}
	after := before
	after.setSRS(next)
	if after.Leech() {
		after.Flagged = true
	}
	return after, nil
}

// rowQueryer runs a statement that returns a row: a transaction, or its
// cached statements.
type rowQueryer interface {
	sqlx.ExecerContext
	QueryRowxContext(ctx context.Context, query string, args ...any) *sqlx.Row
}

// logRating appends a rating to the review log, with the settings it was
// scheduled with and its answer time, and counts it in the study day it
// fell on; it returns the review's id.
func logRating(ctx context.Context, q rowQueryer, u *User, set srs.Settings, cardID int64, before, after CardState, r srs.Rating, now time.Time, answer time.Duration) (int64, error) {
	nowMS := now.UnixMilli()
	prev, _ := json.Marshal(before)
	var id int64
	if err := q.QueryRowxContext(ctx, insertReviewSQL,
		u.ID, cardID, before.Version, int(r), nowMS, before.Phase, before.ScheduledDays, after.Phase, after.Due,
		after.Stability, after.Difficulty, after.Due-nowMS, string(prev),
		set.Retention, set.MaxIntervalDays, u.TimeZone, set.Params.String(), answer.Milliseconds()).Scan(&id); err != nil {
		return 0, err
	}
	wasNew, wasReview := dayCounts(before.Phase)
	passed, timed := dayTally(before.Phase, r, answer.Milliseconds())
	if _, err := q.ExecContext(ctx, countDaySQL, u.ID, set.DayNumber(now), wasNew, wasReview, passed, answer.Milliseconds(), timed); err != nil {
		return 0, err
	}
	return id, nil
}

// dayCounts says what a rating of a card in phase counts for in the day's
// limits: a new card introduced, or a review done (learning steps count
// for neither).
func dayCounts(phase srs.Phase) (newDone, reviewDone int) {
	switch phase {
	case srs.New:
		return 1, 0
	case srs.Review:
		return 0, 1
	}
	return 0, 0
}

// dayTally says what else a rating counts for in its day: a review
// passed (rated in review, not Again), and a timed rating (one with an
// answer time).
func dayTally(phase srs.Phase, r srs.Rating, answerMS int64) (passed, timed int) {
	if phase == srs.Review && r != srs.Again {
		passed = 1
	}
	if answerMS > 0 {
		timed = 1
	}
	return passed, timed
}

// lastRatingSQL reads a user's latest rating that is not undone: a probe
// of the (user_id, id) index that steps back over undone ratings only.
const lastRatingSQL = `SELECT id, card_id, before_state, reviewed_at, prev_phase, rating, answer_ms FROM reviews
	WHERE user_id = ? AND undone_at IS NULL ORDER BY id DESC LIMIT 1`

// Undo takes back the user's latest rating, which must be reviewID (the
// one the page offered to undo, so a repeated undo does nothing): the
// review row is marked undone, the card gets back the state it had
// before, and the counters the rating moved move back. It returns the
// card's id. Card actions given since stay; UndoLast takes back whatever
// is on top of the undo stack, rating or card action.
func (db *DB) Undo(ctx context.Context, u *User, reviewID int64) (int64, error) {
	var cardID int64
	err := db.write(ctx, func(tx *sqlx.Tx) error {
		var err error
		cardID, err = db.undoRating(ctx, tx, u, reviewID)
		return err
	})
	if err != nil {
		if ErrorCode(err) != EInternal {
			return 0, err
		}
		return 0, fmt.Errorf("undo: %w", err)
	}
	return cardID, nil
}

// undoRating is Undo's transaction body; it returns the card's id.
func (db *DB) undoRating(ctx context.Context, tx *sqlx.Tx, u *User, reviewID int64) (int64, error) {
	set := u.Settings()
	ctx = stmtContext(ctx)
	q := db.tq(tx)
	var last struct {
		ID         int64      `db:"id"`
		CardID     int64      `db:"card_id"`
		Before     string     `db:"before_state"`
		ReviewedAt int64      `db:"reviewed_at"`
		PrevPhase  srs.Phase  `db:"prev_phase"`
		Rating     srs.Rating `db:"rating"`
		AnswerMS   int64      `db:"answer_ms"`
	}
	err := sqlx.GetContext(ctx, q, &last, lastRatingSQL, u.ID)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && last.ID != reviewID) {
		return 0, Errorf(EConflict, "Nothing to undo: that rating was already undone.")
	}
	if err != nil {
		return 0, err
	}
	var before CardState
	if err := json.Unmarshal([]byte(last.Before), &before); err != nil {
		return 0, fmt.Errorf("decode review %d: %w", last.ID, err)
	}
	current, err := loadState(ctx, q, u.ID, last.CardID)
	if err != nil {
		return 0, err
	}
	// The flags the user set since stay; only the schedule goes back.
	// If the undone rating made the card a leech, the flag goes back to
	// what it was before it (a flag the learner had set stays; the
	// review row keeps it, from this version on).
	madeLeech := !before.Leech() && current.Leech()
	flaggedBefore := before.Flagged
	before.Suspended, before.BuriedUntil, before.Version = current.Suspended, current.BuriedUntil, current.Version
	before.Flagged = current.Flagged
	if madeLeech {
		before.Flagged = flaggedBefore
	}
	now := db.now()
	if err := saveState(ctx, q, u.ID, last.CardID, before, now); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE reviews SET undone_at = ? WHERE id = ?`, now, last.ID); err != nil {
		return 0, err
	}
	// The day's counts lose the rating; a day left without one is no
	// longer a study day.
	day := set.DayNumber(timeMS(last.ReviewedAt))
	wasNew, wasReview := dayCounts(last.PrevPhase)
	passed, timed := dayTally(last.PrevPhase, last.Rating, last.AnswerMS)
	if _, err := tx.ExecContext(ctx, `UPDATE study_days SET ratings = ratings - 1, new_done = new_done - ?,
		reviews_done = reviews_done - ?, reviews_passed = reviews_passed - ?, answer_ms = answer_ms - ?, timed = timed - ?
		WHERE user_id = ? AND day = ?`, wasNew, wasReview, passed, last.AnswerMS, timed, u.ID, day); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM study_days WHERE user_id = ? AND day = ? AND ratings <= 0 AND extra_new = 0`, u.ID, day); err != nil {
		return 0, err
	}
	if before.Phase == srs.New && current.Phase != srs.New {
		// The card is new again: the deck has one more card to learn,
		// and the cursor must not be past it. (A retired card is in
		// no count.)
		if _, err := tx.ExecContext(ctx, `UPDATE learner_decks SET studied = studied - 1,
			next_position = CASE WHEN learner_decks.next_position < c.position THEN learner_decks.next_position ELSE c.position END
			FROM cards c WHERE c.id = ? AND c.retired_at IS NULL AND learner_decks.user_id = ? AND learner_decks.deck_id = c.deck_id AND learner_decks.kind = c.kind`,
			last.CardID, u.ID); err != nil {
			return 0, err
		}
	}
	return last.CardID, nil
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

// Act applies a card action for a user, and puts it on the user's undo
// stack (see UndoLast). An action that changes nothing (flagging a
// flagged card) is not logged.
func (db *DB) Act(ctx context.Context, u *User, cardID int64, a CardAction) error {
	set := u.Settings()
	return db.write(ctx, func(tx *sqlx.Tx) error {
		ctx := stmtContext(ctx)
		q := db.tq(tx)
		t, err := loadTarget(ctx, q, u.ID, cardID)
		if err != nil {
			return err
		}
		st := t.state
		switch a {
		case ActionSuspend:
			st.Suspended = true
		case ActionUnsuspend:
			st.Suspended = false
		case ActionBury:
			st.BuriedUntil = set.NextDayStart(db.Now()).UnixMilli()
		case ActionFlag:
			st.Flagged = true
		case ActionUnflag:
			st.Flagged = false
		default:
			return Errorf(EInvalid, "Unknown card action %q.", a)
		}
		if st == t.state {
			return nil
		}
		now := db.now()
		if err := saveState(ctx, q, u.ID, cardID, st, now); err != nil {
			return err
		}
		_, err = q.ExecContext(ctx, logActionSQL, u.ID, cardID, string(a), u.ID,
			t.state.Suspended, t.state.BuriedUntil, t.state.Flagged, now)
		return err
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
	vis := activeVisibleCards(u.ID)
	var ls []Leech
	err := db.ro.SelectContext(ctx, &ls, `SELECT c.id AS card_id, d.slug AS deck_slug, d.title AS deck_title, c.kind, c.front_html,
		s.lapses, s.suspended
		FROM card_states s JOIN cards c ON c.id = s.card_id JOIN decks d ON d.id = c.deck_id
		WHERE s.user_id = ? AND s.lapses >= ? AND `+vis.sql+` ORDER BY s.lapses DESC, c.id`, args([]any{u.ID, srs.LeechLapses}, vis.args)...)
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

// LoggedReview is one row of the review log, with the settings the
// rating was scheduled with (zero for ratings from before they were
// recorded) and its answer time.
type LoggedReview struct {
	CardID      int64   `db:"card_id"`
	Rating      int     `db:"rating"`
	ReviewedAt  int64   `db:"reviewed_at"`
	Undone      bool    `db:"undone"`
	Retention   float64 `db:"retention"`
	MaxInterval int     `db:"max_interval"`
	TimeZone    string  `db:"time_zone"`
	Params      string  `db:"params"`
	AnswerMS    int64   `db:"answer_ms"`
	Stability   float64 `db:"stability"`
	Difficulty  float64 `db:"difficulty"`
	Due         int64   `db:"due"`
}

// ReviewLog returns a user's review log, oldest first.
func (db *DB) ReviewLog(ctx context.Context, username string) ([]LoggedReview, error) {
	var rs []LoggedReview
	err := db.ro.SelectContext(ctx, &rs, `SELECT r.card_id, r.rating, r.reviewed_at, r.undone_at IS NOT NULL AS undone,
		r.retention, r.max_interval, r.time_zone, r.params, r.answer_ms, r.stability, r.difficulty, r.due
		FROM reviews r JOIN users u ON u.id = r.user_id WHERE u.username_key = ? ORDER BY r.id`, strings.ToLower(username))
	if err != nil {
		return nil, fmt.Errorf("review log: %w", err)
	}
	return rs, nil
}

// CardStates returns a user's states of the cards of a deck, by card id;
// cards the user never touched are absent.
func (db *DB) CardStates(ctx context.Context, u *User, deckID int64) (map[int64]CardState, error) {
	vis := activeVisibleCards(u.ID)
	rows, err := db.ro.QueryxContext(ctx, `SELECT s.card_id, s.phase, s.due, s.stability, s.difficulty, s.scheduled_days, s.reps, s.lapses,
		s.last_review, s.remaining_steps, s.suspended, s.buried_until, s.flagged, s.version
		FROM card_states s JOIN cards c ON c.id = s.card_id WHERE s.user_id = ? AND c.deck_id = ? AND `+vis.sql, args([]any{u.ID, deckID}, vis.args)...)
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
