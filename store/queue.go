package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/flashd/flashd/decks"
	"github.com/flashd/flashd/srs"
)

// The review queue: the store reads the inputs of srs.Plan in one read
// transaction, from rows the rating transaction keeps up to date (the
// day's counts in study_days, each learner's progress through each deck
// and kind in learner_decks, the decks' card counts in deck_kinds), and
// srs.Plan decides. Every read below is an index probe or a walk bounded
// by what is due or by the daily limits, never by the learner's progress,
// the length of the review log or the number of users.

// dayAndUndo reads the day's counts, the top of the undo stack (the
// latest rating and the latest card action, each an index probe) and the
// week's answer times (at most seven rows).
func dayAndUndo(userID, day int64) sqlPart {
	today := sqlPart{`study_days sd ON sd.user_id = ? AND sd.day = ?`, []any{userID, day}}
	rating := sqlPart{`(SELECT id, rating FROM reviews WHERE user_id = ? AND undone_at IS NULL ORDER BY id DESC LIMIT 1)`, []any{userID}}
	action := sqlPart{`(SELECT id, action, after_review FROM card_actions WHERE user_id = ? AND undone_at IS NULL ORDER BY id DESC LIMIT 1)`, []any{userID}}
	week := sqlPart{`(SELECT SUM(answer_ms) AS answer_ms, SUM(timed) AS timed FROM study_days
		WHERE user_id = ? AND day > ? AND day <= ?)`, []any{userID, day - 7, day}}
	return sqlPart{`SELECT COALESCE(sd.new_done, 0), COALESCE(sd.reviews_done, 0), COALESCE(sd.ratings, 0), COALESCE(sd.extra_new, 0),
		COALESCE(lr.id, 0), COALESCE(lr.rating, 0), COALESCE(la.id, 0), COALESCE(la.action, ''), COALESCE(la.after_review, 0),
		COALESCE(w.answer_ms, 0), COALESCE(w.timed, 0)
		FROM (SELECT 1 AS one) o LEFT JOIN ` + today.sql + ` LEFT JOIN ` + rating.sql + ` lr ON 1 = 1
		LEFT JOIN ` + action.sql + ` la ON 1 = 1 LEFT JOIN ` + week.sql + ` w ON 1 = 1`,
		args(today.args, rating.args, action.args, week.args)}
}

// studyDecks lists the decks a learner may see, by kind, in the
// learner's deck order, with the learner's progress through them, the new
// cards the learner has hidden (suspended or buried) in them, and the
// learner's choices about each deck (hidden from Today, a daily limit of
// its new cards, -1 for none).
func studyDecks(userID, nowMS int64) sqlPart {
	paused := sqlPart{`EXISTS (SELECT 1 FROM deck_pauses p WHERE p.user_id = ? AND p.deck_id = d.id)`, []any{userID}}
	hidden := sqlPart{`(SELECT COUNT(*) FROM card_states s JOIN cards c ON c.id = s.card_id
		WHERE s.user_id = ? AND s.phase = 0 AND (s.suspended <> 0 OR s.buried_until > ?)
		AND c.deck_id = d.id AND c.kind = k.kind AND c.retired_at IS NULL)`, []any{userID, nowMS}}
	visible := visibleDeckIDs(userID)
	progress := sqlPart{`learner_decks l ON l.user_id = ? AND l.deck_id = d.id AND l.kind = k.kind`, []any{userID}}
	prefs := sqlPart{`learner_deck_prefs dp ON dp.user_id = ? AND dp.deck_id = d.id`, []any{userID}}
	return sqlPart{`SELECT d.id, d.slug, COALESCE(d.group_id, 0), k.kind, k.active_cards,
		COALESCE(l.studied, 0) AS studied, COALESCE(l.next_position, 0) AS next_position,
		` + paused.sql + ` AS paused, ` + hidden.sql + ` AS hidden_new,
		COALESCE(dp.hidden, 0), COALESCE(dp.new_per_day, -1)
		FROM ` + visible.sql + ` v JOIN decks d ON d.id = v.id JOIN deck_kinds k ON k.deck_id = d.id
		LEFT JOIN ` + progress.sql + ` LEFT JOIN ` + prefs.sql + `
		ORDER BY ` + deckOrder + `, k.kind`, args(paused.args, hidden.args, visible.args, progress.args, prefs.args)}
}

// deckOrder is the learner's deck order, over decks d and their
// learner_deck_prefs dp: the decks the learner placed, then the others by
// title. Today lists the decks in this order and "deck order" gathers
// new cards in it.
const deckOrder = `dp.position IS NULL, dp.position, d.title, d.id`

// newTodaySQL counts the cards a learner introduced (rated while new)
// per deck since a time, the study day's start: a walk of the day's
// ratings, which the daily limits bound. It is read only when a deck
// of the step has a daily limit of its own.
const newTodaySQL = `SELECT c.deck_id, COUNT(*) FROM reviews r JOIN cards c ON c.id = r.card_id
	WHERE r.user_id = ? AND r.reviewed_at >= ? AND r.prev_phase = 0 AND r.undone_at IS NULL
	GROUP BY c.deck_id`

// queueStatements are the statements of a review step, prepared on the
// read pool when the database opens, so a step never waits to prepare one.
var queueStatements = []string{dayAndUndo(0, 0).sql, studyDecks(0, 0).sql, learningSQL, reviewsDueSQL, learningAtSQL, reviewAtSQL,
	nextNewSQL, queueCardSQL, laterLearningSQL, laterReviewSQL, buriedSQL, sessionUserSQL, newTodaySQL}

const (
	// learningSQL counts the learning and relearning cards due by a
	// time, with the earliest due time, per deck and kind; learningAtSQL
	// lists those due at one time (the earliest), for the pick.
	learningSQL = `SELECT c.deck_id, c.kind, COUNT(*), MIN(s.due) FROM card_states s JOIN cards c ON c.id = s.card_id
		WHERE s.user_id = ? AND s.phase IN (1, 3) AND s.due <= ? AND s.suspended = 0 AND s.buried_until <= ? AND c.retired_at IS NULL
		GROUP BY c.deck_id, c.kind`
	learningAtSQL = `SELECT s.card_id, c.deck_id, c.kind FROM card_states s JOIN cards c ON c.id = s.card_id
		WHERE s.user_id = ? AND s.phase IN (1, 3) AND s.due = ? AND s.suspended = 0 AND s.buried_until <= ? AND c.retired_at IS NULL`

	// reviewsDueSQL and reviewAtSQL do the same for the review cards due
	// before a time (the study day's end).
	reviewsDueSQL = `SELECT c.deck_id, c.kind, COUNT(*), MIN(s.due) FROM card_states s JOIN cards c ON c.id = s.card_id
		WHERE s.user_id = ? AND s.phase = 2 AND s.due < ? AND s.suspended = 0 AND s.buried_until <= ? AND c.retired_at IS NULL
		GROUP BY c.deck_id, c.kind`
	reviewAtSQL = `SELECT s.card_id, c.deck_id, c.kind FROM card_states s JOIN cards c ON c.id = s.card_id
		WHERE s.user_id = ? AND s.phase = 2 AND s.due = ? AND s.suspended = 0 AND s.buried_until <= ? AND c.retired_at IS NULL`

	// nextNewSQL finds the first new card of a deck and kind from the
	// learner's cursor that is neither suspended nor buried.
	// NOT EXISTS walks the deck's active cards in order from the cursor
	// and stops at the first (PostgreSQL planned the LEFT JOIN form as a
	// hash join over all the learner's states: 37 times slower).
	nextNewSQL = `SELECT c.id, c.position FROM cards c
		WHERE c.deck_id = ? AND c.kind = ? AND c.retired_at IS NULL AND c.position >= ?
		AND NOT EXISTS (SELECT 1 FROM card_states s WHERE s.user_id = ? AND s.card_id = c.id
			AND (s.phase <> 0 OR s.suspended <> 0 OR s.buried_until > ?))
		ORDER BY c.position LIMIT 1`

	// laterLearningSQL and laterReviewSQL walk the cards due after a time.
	laterLearningSQL = `SELECT s.due, c.deck_id, c.kind FROM card_states s JOIN cards c ON c.id = s.card_id
		WHERE s.user_id = ? AND s.phase IN (1, 3) AND s.due > ? AND s.suspended = 0 AND s.buried_until <= ? AND c.retired_at IS NULL
		ORDER BY s.due`
	laterReviewSQL = `SELECT s.due, c.deck_id, c.kind FROM card_states s JOIN cards c ON c.id = s.card_id
		WHERE s.user_id = ? AND s.phase = 2 AND s.due >= ? AND s.suspended = 0 AND s.buried_until <= ? AND c.retired_at IS NULL
		ORDER BY s.due`
	// buriedSQL lists the learner's buried cards: when each comes back.
	buriedSQL = `SELECT CASE WHEN s.due > s.buried_until THEN s.due ELSE s.buried_until END, c.deck_id, c.kind
		FROM card_states s JOIN cards c ON c.id = s.card_id
		WHERE s.user_id = ? AND s.buried_until > ? AND s.suspended = 0 AND c.retired_at IS NULL`

	// queueCardSQL reads a card with its deck and the learner's state.
	queueCardSQL = `SELECT ` + cardColumnsPrefixed + `, d.slug AS deck_slug, d.title AS deck_title,
		COALESCE(s.phase, 0), COALESCE(s.due, 0), COALESCE(s.stability, 0), COALESCE(s.difficulty, 0),
		COALESCE(s.scheduled_days, 0), COALESCE(s.reps, 0), COALESCE(s.lapses, 0), COALESCE(s.last_review, 0),
		COALESCE(s.remaining_steps, 0), COALESCE(s.suspended, 0), COALESCE(s.buried_until, 0),
		COALESCE(s.flagged, 0), COALESCE(s.version, 0)
		FROM cards c JOIN decks d ON d.id = c.deck_id LEFT JOIN card_states s ON s.user_id = ? AND s.card_id = c.id
		WHERE c.id = ?`
)

// cardColumnsPrefixed is cardColumns qualified with the alias c.
const cardColumnsPrefixed = `c.id, c.deck_id, c.card_key, c.note_key, c.explicit_key, c.cloze, c.position, c.section, c.kind, c.type,
	c.front_src, c.back_src, c.front_html, c.back_html, c.cloze_html, c.options, c.content_hash, c.guid,
	c.created_at, c.updated_at, c.retired_at`

// visibleDeckIDsSQL selects the ids of the decks a user may see, from
// three index lookups: public decks (built-in or imported by the
// operator), the decks of the user's groups, and the user's own decks. Its
// arguments are the user's id twice; visibleDeckIDs carries them.
const visibleDeckIDsSQL = `(SELECT id FROM decks WHERE owner_id IS NULL AND group_id IS NULL
	UNION ALL SELECT dg.id FROM group_members gm JOIN decks dg ON dg.group_id = gm.group_id AND dg.owner_id IS NULL WHERE gm.user_id = ?
	UNION ALL SELECT id FROM decks WHERE owner_id = ?
	UNION ALL SELECT dr.id FROM deck_readers r JOIN decks dr ON dr.id = r.deck_id WHERE r.user_id = ?
		AND (dr.owner_id IS NULL OR dr.owner_id <> ?) AND (dr.owner_id IS NOT NULL OR dr.group_id IS NOT NULL)
		AND NOT EXISTS (SELECT 1 FROM group_members gr WHERE gr.group_id = dr.group_id AND gr.user_id = ?))`

// visibleDeckIDs is visibleDeckIDsSQL with its arguments.
func visibleDeckIDs(userID int64) sqlPart {
	return sqlPart{visibleDeckIDsSQL, []any{userID, userID, userID, userID, userID}}
}

// studyDeck is one deck and kind the learner may see, with the learner's
// progress through it.
type studyDeck struct {
	ID           int64
	Slug         string
	GroupID      int64 // the group the deck belongs to, 0 for none
	Kind         decks.Kind
	Active       int
	Studied      int
	NextPosition int
	Paused       bool
	HiddenNew    int
	// Hidden says the learner hid the deck from Today and "Study now";
	// NewLimit is the learner's daily limit of new cards from the deck,
	// -1 for none.
	Hidden   bool
	NewLimit int
}

// available is the number of new cards the learner can be shown now.
func (d *studyDeck) available() int { return max(0, d.Active-d.Studied-d.HiddenNew) }

// queueRead is one review step's reads, in one read transaction.
type queueRead struct {
	db   *DB
	ctx  context.Context
	q    cached
	u    *User
	set  srs.Settings
	now  time.Time
	nowM int64
	// decks the step studies, in deck order, and by (deck, kind)
	decks   []studyDeck
	inQueue map[deckKind]bool
	// undoID is the latest rating not undone, undo the top of the undo
	// stack
	undoID int64
	undo   Undoable
	// ratingsToday counts the ratings of the study day
	ratingsToday int
	// answerTime is the mean answer time of the week's timed ratings, 0
	// when there is none
	answerTime time.Duration
	// newToday counts the cards introduced today per deck, read only
	// when a deck of the step has a daily limit of its own (see
	// readNewToday).
	newToday map[int64]int
}

type deckKind struct {
	deck int64
	kind decks.Kind
}

// readTx runs fn in a read transaction on the read-only pool: every read
// in it sees one snapshot.
//
// Read transactions take a slot first: the slots queue in arrival order
// (a Go channel's waiting senders are served first in, first out), while
// database/sql hands a freed connection to a random waiter, which let an
// unlucky request wait for seconds under load.
//
// The request's deadline bounds the wait for a slot; the statements then
// run under a context that cannot be cancelled (stmtContext).
func (db *DB) readTx(ctx context.Context, fn func(ctx context.Context, q cached) error) error {
	select {
	case db.readSlots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-db.readSlots }()
	ctx = stmtContext(ctx)
	tx, err := db.ro.BeginTxx(ctx, db.readOptions())
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return fn(ctx, cached{c: db.rq.c, tx: tx})
}

// readOptions are a read transaction's options: on PostgreSQL, REPEATABLE
// READ, so that all its statements see one snapshot as on SQLite.
func (db *DB) readOptions() *sql.TxOptions {
	if db.pg {
		return &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead}
	}
	return &sql.TxOptions{ReadOnly: true}
}

// stmtContext returns ctx without its cancellation, for the short
// statements of the hot path: for every statement run under a cancellable
// context the SQLite driver starts a goroutine to interrupt it, and
// database/sql one per transaction and result set; under load those were
// hundreds of goroutines waiting to be scheduled. A request's deadline
// still bounds its wait for the writer and for a read slot.
func stmtContext(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }

// Next returns the next card to review and the counts of what is left, as
// srs.Plan decides from one snapshot; Queue.UndoID is the rating an undo
// would take back.
func (db *DB) Next(ctx context.Context, u *User, f Filter) (*Queue, error) {
	var out *Queue
	err := db.readTx(ctx, func(ctx context.Context, q cached) error {
		r := &queueRead{db: db, ctx: ctx, q: q, u: u, set: u.Settings(), now: db.Now()}
		r.nowM = r.now.UnixMilli()
		var err error
		out, err = r.step(f)
		return err
	})
	if err != nil {
		if ErrorCode(err) != EInternal {
			return nil, err
		}
		return nil, fmt.Errorf("next card: %w", err)
	}
	return out, nil
}

// step reads the inputs, plans, and loads the picked card.
func (r *queueRead) step(f Filter) (*Queue, error) {
	done, err := r.readDay()
	if err != nil {
		return nil, err
	}
	if err := r.readDecks(f); err != nil {
		return nil, err
	}
	if err := r.readNewToday(); err != nil {
		return nil, err
	}
	in := srs.QueueInput{Now: r.now, Settings: r.set, Done: done}
	ahead := r.now.Add(srs.LearnAhead).UnixMilli()
	dayEnd := r.set.NextDayStart(r.now).AddDate(0, 0, f.AheadDays).UnixMilli()
	if in.LearningDue, in.LearningHead, err = r.scheduled(learningSQL, ahead, nil); err != nil {
		return nil, fmt.Errorf("learning cards: %w", err)
	}
	if in.ReviewsDue, in.ReviewHead, err = r.scheduled(reviewsDueSQL, dayEnd, nil); err != nil {
		return nil, fmt.Errorf("due reviews: %w", err)
	}
	in.New = r.newByDeck()

	for {
		st := srs.Plan(in)
		q := &Queue{Counts: Counts(st.Counts), UndoID: r.undoID, Undo: r.undo, DoneToday: r.ratingsToday, AnswerTime: r.answerTime}
		var cardID int64
		switch st.Group {
		case srs.GroupNone:
			if in.Later, err = r.readLater(dayEnd); err != nil {
				return nil, err
			}
			q.NextDue = srs.Plan(in).NextDue
			return q, nil
		case srs.GroupNew:
			if cardID, err = r.firstNew(st.Deck); err != nil {
				return nil, err
			}
			if cardID == 0 {
				// The deck's counts promised a new card the walk did not
				// find: plan again without the deck rather than fail.
				for i := range in.New {
					if in.New[i].Deck == st.Deck {
						in.New[i].Available = 0
					}
				}
				continue
			}
		case srs.GroupLearning, srs.GroupLearnAhead:
			if cardID, err = r.headAt(learningAtSQL, in.LearningHead.Due); err != nil {
				return nil, fmt.Errorf("learning card: %w", err)
			}
		case srs.GroupReview:
			if cardID, err = r.headAt(reviewAtSQL, in.ReviewHead.Due); err != nil {
				return nil, fmt.Errorf("review card: %w", err)
			}
		}
		if cardID == 0 {
			return nil, fmt.Errorf("queue: the %v group's first card vanished from the snapshot", st.Group)
		}
		if q.Card, err = r.db.queueCard(r.ctx, r.q, r.u.ID, cardID); err != nil {
			return nil, err
		}
		return q, nil
	}
}

// readDay reads the day's counts, the top of the undo stack and the
// week's answer times. The extra new cards the learner asked for today
// raise the day's new-card limit.
func (r *queueRead) readDay() (srs.DayCounts, error) {
	var d srs.DayCounts
	var extraNew, answerMS, timed int64
	var rating srs.Rating
	var a lastAction
	q := dayAndUndo(r.u.ID, r.set.DayNumber(r.now))
	err := r.q.QueryRowxContext(r.ctx, q.sql, q.args...).Scan(&d.NewDone, &d.ReviewsDone, &r.ratingsToday, &extraNew,
		&r.undoID, &rating, &a.ID, &a.Action, &a.AfterReview, &answerMS, &timed)
	if err != nil {
		return d, fmt.Errorf("today's counts: %w", err)
	}
	r.undo = topOfStack(r.undoID, rating, &a)
	if timed > 0 {
		r.answerTime = time.Duration(answerMS/timed) * time.Millisecond
	}
	r.set.NewPerDay += int(extraNew)
	return d, nil
}

// readDecks reads the decks and kinds the step studies: visible, not
// paused, and matching the filter; a deck the learner hid from Today is
// studied only when the filter names it (by its id or its group).
func (r *queueRead) readDecks(f Filter) error {
	all, err := readStudyDecks(r.ctx, r.q, r.u.ID, r.nowM)
	if err != nil {
		return err
	}
	r.inQueue = map[deckKind]bool{}
	for _, d := range all {
		if d.Paused || (f.Deck != "" && d.Slug != f.Deck) || (f.Kind != "" && d.Kind != f.Kind) ||
			(f.Group != 0 && d.GroupID != f.Group) || (d.Hidden && f.Deck == "" && f.Group == 0) {
			continue
		}
		r.add(d)
	}
	return nil
}

// add puts a deck and kind into the step.
func (r *queueRead) add(d studyDeck) {
	r.decks = append(r.decks, d)
	r.inQueue[deckKind{d.ID, d.Kind}] = true
}

// readNewToday reads the cards introduced today per deck when a deck of
// the step has a daily limit of its own.
func (r *queueRead) readNewToday() error {
	limited := false
	for _, d := range r.decks {
		limited = limited || d.NewLimit >= 0
	}
	if !limited {
		return nil
	}
	rows, err := r.q.QueryContext(r.ctx, newTodaySQL, r.u.ID, r.set.DayStart(r.now).UnixMilli())
	if err != nil {
		return fmt.Errorf("new cards today: %w", err)
	}
	defer rows.Close()
	r.newToday = map[int64]int{}
	for rows.Next() {
		var deck int64
		var n int
		if err := rows.Scan(&deck, &n); err != nil {
			return fmt.Errorf("new cards today: %w", err)
		}
		r.newToday[deck] = n
	}
	return rows.Err()
}

// readStudyDecks lists the decks and kinds a user may see, in deck order.
func readStudyDecks(ctx context.Context, q sqlx.QueryerContext, userID, nowMS int64) ([]studyDeck, error) {
	sd := studyDecks(userID, nowMS)
	rows, err := q.QueryxContext(ctx, sd.sql, sd.args...)
	if err != nil {
		return nil, fmt.Errorf("study decks: %w", err)
	}
	defer rows.Close()
	var out []studyDeck
	for rows.Next() {
		var d studyDeck
		if err := rows.Scan(&d.ID, &d.Slug, &d.GroupID, &d.Kind, &d.Active, &d.Studied, &d.NextPosition, &d.Paused, &d.HiddenNew,
			&d.Hidden, &d.NewLimit); err != nil {
			return nil, fmt.Errorf("study decks: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// scheduled counts the learning or review cards due by a time in the
// step's decks, per deck and kind in SQL, and returns how many there are
// and the earliest due time (as a head whose card is not known yet: see
// headAt). perDeck, if not nil, gets each deck's count.
func (r *queueRead) scheduled(countSQL string, by int64, perDeck func(deck int64, n int)) (int, *srs.Due, error) {
	rows, err := r.q.QueryContext(r.ctx, countSQL, r.u.ID, by, r.nowM)
	if err != nil {
		return 0, nil, err
	}
	defer rows.Close()
	total, first := 0, int64(0)
	for rows.Next() {
		var deck, due int64
		var kind decks.Kind
		var n int
		if err := rows.Scan(&deck, &kind, &n, &due); err != nil {
			return 0, nil, err
		}
		if !r.inQueue[deckKind{deck, kind}] {
			continue
		}
		total += n
		if first == 0 || due < first {
			first = due
		}
		if perDeck != nil {
			perDeck(deck, n)
		}
	}
	if err := rows.Err(); err != nil || total == 0 {
		return 0, nil, err
	}
	return total, &srs.Due{Due: timeMS(first)}, nil
}

// headAt returns the card due first at a due time in the step's decks
// (the lowest id among those due at that time), or 0. It is read only
// for the group srs.Plan picks from.
func (r *queueRead) headAt(atSQL string, due time.Time) (int64, error) {
	rows, err := r.q.QueryContext(r.ctx, atSQL, r.u.ID, due.UnixMilli(), r.nowM)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var head int64
	for rows.Next() {
		var card, deck int64
		var kind decks.Kind
		if err := rows.Scan(&card, &deck, &kind); err != nil {
			return 0, err
		}
		if r.inQueue[deckKind{deck, kind}] && (head == 0 || card < head) {
			head = card
		}
	}
	return head, rows.Err()
}

// firstDue returns the earliest due time of a query whose rows are
// (due, deck_id, kind), over the step's decks.
// When ordered, the rows come in due order and the first in the step's
// decks is the answer.
func (r *queueRead) firstDue(query string, ordered bool, args ...any) (time.Time, error) {
	rows, err := r.q.QueryContext(r.ctx, query, args...)
	if err != nil {
		return time.Time{}, err
	}
	defer rows.Close()
	var first int64
	for rows.Next() {
		var due, deck int64
		var kind decks.Kind
		if err := rows.Scan(&due, &deck, &kind); err != nil {
			return time.Time{}, err
		}
		if r.inQueue[deckKind{deck, kind}] && (first == 0 || due < first) {
			first = due
			if ordered {
				break
			}
		}
	}
	if first == 0 {
		return time.Time{}, rows.Err()
	}
	return timeMS(first), rows.Err()
}

// newByDeck sums the new cards available in each deck of the step, in
// the learner's deck order, within each deck's own daily limit.
func (r *queueRead) newByDeck() []srs.DeckNew {
	var out []srs.DeckNew
	limits := map[int64]int{}
	for _, d := range r.decks {
		if n := len(out); n > 0 && out[n-1].Deck == d.ID {
			out[n-1].Available += d.available()
			continue
		}
		if d.NewLimit >= 0 {
			limits[d.ID] = max(0, d.NewLimit-r.newToday[d.ID])
		}
		out = append(out, srs.DeckNew{Deck: d.ID, Available: d.available()})
	}
	for i, n := range out {
		if left, ok := limits[n.Deck]; ok && n.Available > left {
			out[i].Available, out[i].Capped = left, true
		}
	}
	return out
}

// firstNew returns the first new card in deck order of a deck, over the
// kinds the step studies, or 0.
func (r *queueRead) firstNew(deckID int64) (int64, error) {
	var best int64
	bestPos := -1
	for _, d := range r.decks {
		if d.ID != deckID || d.available() == 0 {
			continue
		}
		var id int64
		var pos int
		err := r.q.QueryRowxContext(r.ctx, nextNewSQL, d.ID, string(d.Kind), d.NextPosition, r.u.ID, r.nowM).Scan(&id, &pos)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("next new card: %w", err)
		}
		if bestPos < 0 || pos < bestPos {
			best, bestPos = id, pos
		}
	}
	return best, nil
}

// readLater reads what comes due after now, when nothing is due now.
func (r *queueRead) readLater(dayEnd int64) (srs.Later, error) {
	var l srs.Later
	var err error
	ahead := r.now.Add(srs.LearnAhead).UnixMilli()
	if l.Learning, err = r.firstDue(laterLearningSQL, true, r.u.ID, ahead, r.nowM); err != nil {
		return l, fmt.Errorf("next learning card: %w", err)
	}
	if l.Review, err = r.firstDue(laterReviewSQL, true, r.u.ID, dayEnd, r.nowM); err != nil {
		return l, fmt.Errorf("next review card: %w", err)
	}
	if l.Buried, err = r.firstDue(buriedSQL, false, r.u.ID, r.nowM); err != nil {
		return l, fmt.Errorf("buried cards: %w", err)
	}
	return l, nil
}

// queueCard reads a card with its deck and the user's state of it.
func (db *DB) queueCard(ctx context.Context, q sqlx.QueryerContext, userID, cardID int64) (*ReviewCard, error) {
	var rc ReviewCard
	c, st := &rc.Card, &rc.State
	err := q.QueryRowxContext(ctx, queueCardSQL, userID, cardID).Scan(
		&c.ID, &c.DeckID, &c.Key, &c.NoteKey, &c.ExplicitKey, &c.Cloze, &c.Position, &c.Section, &c.Kind, &c.Type,
		&c.FrontSrc, &c.BackSrc, &c.FrontHTML, &c.BackHTML, &c.ClozeHTML, &c.OptionsJSON, &c.ContentHash, &c.GUID,
		&c.CreatedAt, &c.UpdatedAt, &c.RetiredAt, &rc.DeckSlug, &rc.DeckTitle,
		&st.Phase, &st.Due, &st.Stability, &st.Difficulty, &st.ScheduledDays, &st.Reps, &st.Lapses, &st.LastReview,
		&st.RemainingSteps, &st.Suspended, &st.BuriedUntil, &st.Flagged, &st.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, Errorf(ENotFound, "Card not found.")
	}
	if err != nil {
		return nil, fmt.Errorf("get card %d: %w", cardID, err)
	}
	return &rc, nil
}
