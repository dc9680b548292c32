package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/flashd/flashd/srs"
)

// The states of an optimization.
const (
	OptimizationRunning = "running" // fitting; Progress says how far
	OptimizationAdopted = "adopted" // the fitted weights were better and are in use
	OptimizationKept    = "kept"    // the fitted weights were not better; the current ones stay
	OptimizationRefused = "refused" // too few reviews to learn from
	OptimizationFailed  = "failed"  // stopped (the server shut down) or broke
	OptimizationReset   = "reset"   // the learner went back to the default weights
)

// optimizationStale is how long a running optimization may go without a
// progress update before it counts as abandoned (its server stopped) and
// another may start.
const optimizationStale = 2 * time.Minute

// Optimization is one run of the FSRS optimizer for a learner, or a reset
// to the default weights.
type Optimization struct {
	ID               int64   `db:"id"`
	UserID           int64   `db:"user_id"`
	State            string  `db:"state"`
	StartedAt        int64   `db:"started_at"`
	UpdatedAt        int64   `db:"updated_at"`
	FinishedAt       int64   `db:"finished_at"`
	Progress         float64 `db:"progress"`
	Reviews          int     `db:"reviews"`
	Train            int     `db:"train"`
	Test             int     `db:"test"`
	Message          string  `db:"message"`
	ParamsBefore     string  `db:"params_before"`
	ParamsAfter      string  `db:"params_after"`
	BeforeLogLoss    float64 `db:"before_log_loss"`
	BeforeRMSE       float64 `db:"before_rmse"`
	BeforeAUC        float64 `db:"before_auc"`
	AfterLogLoss     float64 `db:"after_log_loss"`
	AfterRMSE        float64 `db:"after_rmse"`
	AfterAUC         float64 `db:"after_auc"`
	OptimalRetention float64 `db:"optimal_retention"`
}

// Evaluated reports whether the run got as far as comparing weights.
func (o *Optimization) Evaluated() bool {
	return o.State == OptimizationAdopted || o.State == OptimizationKept
}

const optimizationColumns = `id, user_id, state, started_at, updated_at, finished_at, progress, reviews, train, test, message,
	params_before, params_after, before_log_loss, before_rmse, before_auc, after_log_loss, after_rmse, after_auc, optimal_retention`

// LatestOptimization returns the learner's most recent optimization (or
// reset), or nil if there is none.
func (db *DB) LatestOptimization(ctx context.Context, u *User) (*Optimization, error) {
	var o Optimization
	err := db.ro.GetContext(ctx, &o, `SELECT `+optimizationColumns+` FROM optimizations WHERE user_id = ? ORDER BY id DESC LIMIT 1`, u.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("latest optimization: %w", err)
	}
	return &o, nil
}

// StartOptimization begins fitting the learner's FSRS weights in the
// background and returns the running optimization; LatestOptimization
// follows its progress. One runs per learner at a time (EConflict while
// one does) and one per server: a second learner's run waits its turn.
func (db *DB) StartOptimization(ctx context.Context, u *User) (*Optimization, error) {
	if !db.goBackground() {
		return nil, Errorf(EBusy, "The server is shutting down: try again in a moment.")
	}
	o, err := db.beginOptimization(ctx, u)
	if err != nil {
		db.background.Done()
		return nil, err
	}
	uc := *u // the caller's user goes on being read by its request
	go func() {
		defer db.background.Done()
		// Waiting for the server's one slot, the run keeps its row fresh,
		// so that it does not look abandoned.
		tick := time.NewTicker(optimizationStale / 4)
		defer tick.Stop()
	wait:
		for {
			select {
			case db.optimizerSlot <- struct{}{}:
				defer func() { <-db.optimizerSlot }()
				break wait
			case <-tick.C:
				_ = db.write(db.stopping, func(tx *sqlx.Tx) error {
					_, err := tx.ExecContext(db.stopping, `UPDATE optimizations SET updated_at = ? WHERE id = ?`, db.now(), o.ID)
					return err
				})
			case <-db.stopping.Done():
				break wait
			}
		}
		if _, err := db.runOptimization(db.stopping, &uc, o, nil); err != nil {
			slog.Error("optimize", "user", uc.Username, "err", err)
		}
	}()
	return o, nil
}

// Optimize fits the learner's FSRS weights now, reporting progress (0 to
// 1) to progress if it is not nil, and returns the finished optimization.
func (db *DB) Optimize(ctx context.Context, u *User, progress func(float64)) (*Optimization, error) {
	o, err := db.beginOptimization(ctx, u)
	if err != nil {
		return nil, err
	}
	return db.runOptimization(ctx, u, o, progress)
}

// beginOptimization records a running optimization for u, unless one
// already runs; one abandoned by a stopped server is closed first.
func (db *DB) beginOptimization(ctx context.Context, u *User) (*Optimization, error) {
	now := db.now()
	o := &Optimization{UserID: u.ID, State: OptimizationRunning, StartedAt: now, UpdatedAt: now, ParamsBefore: u.Settings().Params.String()}
	err := db.write(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE optimizations SET state = ?, finished_at = ?, message = 'Interrupted: the server stopped before it finished.'
			WHERE user_id = ? AND state = ? AND updated_at < ?`,
			OptimizationFailed, now, u.ID, OptimizationRunning, now-optimizationStale.Milliseconds()); err != nil {
			return err
		}
		return tx.QueryRowxContext(ctx, `INSERT INTO optimizations (user_id, state, started_at, updated_at, params_before) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			o.UserID, o.State, o.StartedAt, o.UpdatedAt, o.ParamsBefore).Scan(&o.ID)
	})
	if ErrorCode(err) == EConflict {
		return nil, Errorf(EConflict, "An optimization of your schedule is already running.")
	}
	if err != nil {
		return nil, fmt.Errorf("start optimization: %w", err)
	}
	return o, nil
}

// runOptimization fits, evaluates and, if better, adopts the learner's
// weights, recording the outcome in o's row.
func (db *DB) runOptimization(ctx context.Context, u *User, o *Optimization, progress func(float64)) (*Optimization, error) {
	finish := func(o *Optimization) error {
		o.FinishedAt, o.UpdatedAt = db.now(), db.now()
		if o.State == OptimizationRunning {
			o.State = OptimizationFailed
		}
		// Recorded even when ctx is done: the row must not stay running.
		ctx := context.WithoutCancel(ctx)
		return db.write(ctx, func(tx *sqlx.Tx) error {
			_, err := tx.NamedExecContext(ctx, `UPDATE optimizations SET state = :state, updated_at = :updated_at, finished_at = :finished_at,
				progress = :progress, reviews = :reviews, train = :train, test = :test, message = :message, params_after = :params_after,
				before_log_loss = :before_log_loss, before_rmse = :before_rmse, before_auc = :before_auc,
				after_log_loss = :after_log_loss, after_rmse = :after_rmse, after_auc = :after_auc, optimal_retention = :optimal_retention
				WHERE id = :id`, o)
			return err
		})
	}
	log, err := db.optimizerLog(ctx, u)
	if err != nil {
		o.Message = "Failed: could not read your review log."
		return o, errors.Join(err, finish(o))
	}
	h := srs.NewHistory(log.ratings)
	o.Reviews = h.LongTermReviews()
	current := u.Settings().Params

	last := time.Time{}
	res, err := srs.Optimize(ctx, h, current, srs.Options{Progress: func(done float64) {
		if progress != nil {
			progress(done)
		}
		if now := time.Now(); now.Sub(last) >= 250*time.Millisecond || done == 1 {
			last = now
			// Progress is best effort: a failed update only delays the bar.
			_ = db.write(ctx, func(tx *sqlx.Tx) error {
				_, err := tx.ExecContext(ctx, `UPDATE optimizations SET progress = ?, updated_at = ? WHERE id = ?`, done, db.now(), o.ID)
				return err
			})
		}
	}})
	switch {
	case errors.Is(err, srs.ErrNotEnoughReviews):
		o.State = OptimizationRefused
		o.Message = fmt.Sprintf("Not enough history yet: %d reviews on a later day than the card's previous one, and the optimizer needs at least %d. Your schedule keeps its current parameters.", o.Reviews, srs.MinReviews)
		o.OptimalRetention, _ = srs.OptimalRetention(current, log.costs(), srs.DefaultRetentionSim())
		return o, finish(o)
	case ctx.Err() != nil:
		o.Message = "Stopped before it finished: the server shut down. Your schedule keeps its current parameters."
		return o, errors.Join(ctx.Err(), finish(o))
	case err != nil:
		o.Message = "Failed: " + err.Error()
		return o, errors.Join(err, finish(o))
	}
	o.Progress, o.Train, o.Test = 1, res.Train, res.Test
	o.BeforeLogLoss, o.BeforeRMSE, o.BeforeAUC = res.Before.LogLoss, res.Before.RMSE, res.Before.AUC
	o.AfterLogLoss, o.AfterRMSE, o.AfterAUC = res.After.LogLoss, res.After.RMSE, res.After.AUC
	o.ParamsAfter = res.Params.String()
	use := current
	if res.Adopt() {
		o.State, use = OptimizationAdopted, res.Params
		o.Message = "Your own parameters predict your newest reviews better than the current ones, so your schedule uses them from now on."
	} else {
		o.State = OptimizationKept
		o.Message = "The fitted parameters did not predict your newest reviews better than the current ones, so your schedule keeps the current ones."
	}
	o.OptimalRetention, _ = srs.OptimalRetention(use, log.costs(), srs.DefaultRetentionSim())
	if o.State == OptimizationAdopted {
		if err := db.setParams(ctx, u, use); err != nil {
			o.State, o.Message = OptimizationFailed, "Failed: the new parameters could not be saved."
			return o, errors.Join(err, finish(o))
		}
	}
	return o, finish(o)
}

// ResetParams puts the learner back on the default FSRS weights and
// records it.
func (db *DB) ResetParams(ctx context.Context, u *User) error {
	before := u.Settings().Params.String()
	if err := db.setParams(ctx, u, srs.Params{}); err != nil {
		return err
	}
	now := db.now()
	return db.write(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO optimizations (user_id, state, started_at, updated_at, finished_at, progress, params_before, params_after, message)
			VALUES (?, ?, ?, ?, ?, 1, ?, ?, 'Back on the default parameters.')`,
			u.ID, OptimizationReset, now, now, now, before, srs.ParamsDefaultName)
		return err
	})
}

// recomputeCards is how many cards' memory states one write transaction
// recomputes, so that ratings never wait long behind a recomputation.
const recomputeCards = 200

// setParams makes p the learner's weights and recomputes the stability
// and difficulty of every card the learner studied from its review log
// under p, as Anki does when parameters change; due dates stay, and the
// next rating of each card schedules with p. The cards are recomputed a
// chunk at a time, each chunk reading its cards' logs in the transaction
// that writes them, so a rating given meanwhile is never overwritten.
func (db *DB) setParams(ctx context.Context, u *User, p srs.Params) error {
	text := ""
	if !p.IsDefault() {
		text = p.String()
	}
	if err := db.write(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE users SET fsrs_params = ? WHERE id = ?`, text, u.ID)
		return err
	}); err != nil {
		return fmt.Errorf("set parameters: %w", err)
	}
	u.FSRSParams = text
	var cards []int64
	if err := db.ro.SelectContext(ctx, &cards, `SELECT card_id FROM card_states WHERE user_id = ? AND phase != ? ORDER BY card_id`, u.ID, int(srs.New)); err != nil {
		return fmt.Errorf("set parameters: %w", err)
	}
	for len(cards) > 0 {
		chunk := cards[:min(len(cards), recomputeCards)]
		cards = cards[len(chunk):]
		err := db.write(ctx, func(tx *sqlx.Tx) error {
			query, args, err := sqlx.In(`SELECT r.card_id, r.rating, r.reviewed_at, r.time_zone FROM reviews r
				WHERE r.user_id = ? AND r.undone_at IS NULL AND r.card_id IN (?) ORDER BY r.card_id, r.reviewed_at, r.id`, u.ID, chunk)
			if err != nil {
				return err
			}
			var rows []ratingRow
			if err := tx.SelectContext(ctx, &rows, query, args...); err != nil {
				return err
			}
			byCard := map[int64][]srs.Logged{}
			for _, r := range rows {
				byCard[r.CardID] = append(byCard[r.CardID], r.logged(u))
			}
			for card, log := range byCard {
				s, d, err := srs.Memory(p, log)
				if err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `UPDATE card_states SET stability = ?, difficulty = ? WHERE user_id = ? AND card_id = ? AND phase != ?`,
					s, d, u.ID, card, int(srs.New)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("recompute memory states: %w", err)
		}
	}
	return nil
}

// ratingRow is one rating as the optimizer reads it.
type ratingRow struct {
	CardID     int64  `db:"card_id"`
	Rating     int    `db:"rating"`
	ReviewedAt int64  `db:"reviewed_at"`
	TimeZone   string `db:"time_zone"`
	PrevPhase  int    `db:"prev_phase"`
	AnswerMS   int64  `db:"answer_ms"`
}

// logged is the rating on the study day it fell on, in the time zone it
// was given in (the learner's current one for rows older than that
// record).
func (r ratingRow) logged(u *User) srs.Logged {
	zone := r.TimeZone
	if zone == "" {
		zone = u.TimeZone
	}
	at := timeMS(r.ReviewedAt)
	return srs.Logged{Card: r.CardID, Rating: srs.Rating(r.Rating), At: at, Day: srs.Settings{Location: location(zone)}.DayNumber(at)}
}

// optimizerLog is a learner's log as the optimizer and the retention
// simulation read it.
type optimizerLog struct {
	ratings []srs.Logged
	rows    []ratingRow
}

// optimizerLog reads the learner's ratings that stand (not undone).
func (db *DB) optimizerLog(ctx context.Context, u *User) (*optimizerLog, error) {
	var rows []ratingRow
	if err := db.ro.SelectContext(ctx, &rows, `SELECT card_id, rating, reviewed_at, time_zone, prev_phase, answer_ms FROM reviews
		WHERE user_id = ? AND undone_at IS NULL ORDER BY card_id, reviewed_at, id`, u.ID); err != nil {
		return nil, fmt.Errorf("review log: %w", err)
	}
	l := &optimizerLog{rows: rows, ratings: make([]srs.Logged, len(rows))}
	for i, r := range rows {
		l.ratings[i] = r.logged(u)
	}
	return l, nil
}

// minCostSamples is how many timed answers a figure of Costs needs before
// the learner's own replaces the default.
const minCostSamples = 20

// costs returns the learner's answer times and button habits where the
// log has enough of them, the simulator's defaults elsewhere.
func (l *optimizerLog) costs() srs.Costs {
	c := srs.DefaultCosts()
	var review, relearn [5]struct {
		ms float64
		n  int
	}
	var first, buttons [5]int // first ratings; review-phase ratings by button
	firsts := 0
	var learnMS float64
	var learnN int
	for i := 0; i < len(l.rows); {
		j := i
		for j < len(l.rows) && l.rows[j].CardID == l.rows[i].CardID {
			j++
		}
		// The card's first study day: its first rating and the same-day
		// learning steps after it.
		day := l.ratings[i].Day
		var ms int64
		timed := true
		for k := i; k < j && l.ratings[k].Day == day; k++ {
			ms += l.rows[k].AnswerMS
			timed = timed && l.rows[k].AnswerMS > 0
		}
		if l.rows[i].PrevPhase == int(srs.New) {
			first[l.rows[i].Rating]++
			firsts++
			if timed {
				learnMS += float64(ms)
				learnN++
			}
		}
		for k := i; k < j; k++ {
			r := l.rows[k]
			if r.Rating < 1 || r.Rating > 4 {
				continue
			}
			if srs.Phase(r.PrevPhase) == srs.Review {
				buttons[r.Rating]++
			}
			if r.AnswerMS <= 0 {
				continue
			}
			switch srs.Phase(r.PrevPhase) {
			case srs.Review:
				review[r.Rating].ms += float64(r.AnswerMS)
				review[r.Rating].n++
			case srs.Relearning:
				relearn[r.Rating].ms += float64(r.AnswerMS)
				relearn[r.Rating].n++
			}
		}
		i = j
	}
	if learnN >= minCostSamples {
		c.Learn = learnMS / float64(learnN) / 1000
	}
	for r := 1; r <= 4; r++ {
		if review[r].n >= minCostSamples {
			c.Review[r-1] = review[r].ms / float64(review[r].n) / 1000
		}
	}
	// A lapse costs its relearning too.
	relearnMS, relearnN := 0.0, 0
	for _, x := range relearn {
		relearnMS, relearnN = relearnMS+x.ms, relearnN+x.n
	}
	if review[1].n >= minCostSamples && relearnN >= minCostSamples {
		c.Review[0] += relearnMS / float64(relearnN) / 1000
	}
	if firsts >= minCostSamples {
		for r := 1; r <= 4; r++ {
			c.FirstRating[r-1] = float64(first[r]) / float64(firsts)
		}
	}
	if recalled := buttons[2] + buttons[3] + buttons[4]; recalled >= minCostSamples {
		for r := 2; r <= 4; r++ {
			c.RecallRating[r-1] = float64(buttons[r]) / float64(recalled)
		}
	}
	return c
}

// ReviewHistory returns the learner's ratings that stand (not undone), on
// the study days they fell on, as the optimizer reads them.
func (db *DB) ReviewHistory(ctx context.Context, u *User) ([]srs.Logged, error) {
	l, err := db.optimizerLog(ctx, u)
	if err != nil {
		return nil, err
	}
	return l.ratings, nil
}
