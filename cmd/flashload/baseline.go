package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/flashd/flashd/store"
)

// baseline measures the raw SQLite transactions of a rating, in this
// process, on a scratch database of the same shape (schema, load deck, one
// learner): read the card state, write it back, append the review row,
// commit; one writer connection, as the server has. It returns the
// transactions per second.
func baseline(ctx context.Context, cfg *config, stderr io.Writer) (float64, error) {
	dir, err := os.MkdirTemp("", "flashload-baseline-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "baseline.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		return 0, err
	}
	if _, err := db.ImportDeck(ctx, loadDeck(cfg.cards), store.ImportOptions{}); err != nil {
		db.Close()
		return 0, err
	}
	u, err := db.CreateUser(ctx, "baseline", "baseline-password", false, store.SignUpByAdmin)
	db.Close()
	if err != nil {
		return 0, err
	}
	raw, err := sql.Open("sqlite", store.DSN(path, false))
	if err != nil {
		return 0, err
	}
	defer raw.Close()
	raw.SetMaxOpenConns(1)

	n := 0
	start := time.Now()
	for time.Since(start) < cfg.baseFor {
		card := int64(1 + n%cfg.cards)
		if err := rateRaw(ctx, raw, u.ID, card, time.Now().UnixMilli()); err != nil {
			return 0, err
		}
		n++
	}
	rps := float64(n) / time.Since(start).Seconds()
	fmt.Fprintf(stderr, "flashload: baseline %d raw rating transactions in %s\n", n, time.Since(start).Round(time.Millisecond))
	return rps, nil
}

// rateRaw is one rating as bare SQL: the statements store.Rate runs, with
// a fixed new state instead of the FSRS step.
func rateRaw(ctx context.Context, raw *sql.DB, userID, cardID, now int64) error {
	tx, err := raw.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var version int64
	err = tx.QueryRowContext(ctx, `SELECT version FROM card_states WHERE user_id = ? AND card_id = ?`, userID, cardID).Scan(&version)
	if err != nil && err != sql.ErrNoRows {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO card_states (user_id, card_id, phase, due, stability, difficulty, reps, last_review, version, updated_at)
		VALUES (?, ?, 1, ?, 2.3, 5.1, 1, ?, ?, ?)
		ON CONFLICT (user_id, card_id) DO UPDATE SET phase = excluded.phase, due = excluded.due, stability = excluded.stability,
		difficulty = excluded.difficulty, reps = card_states.reps + 1, last_review = excluded.last_review, version = excluded.version,
		updated_at = excluded.updated_at`, userID, cardID, now+600_000, now, version+1, now); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO reviews (user_id, card_id, version, rating, reviewed_at, prev_phase, prev_interval_days,
		phase, due, stability, difficulty, interval_ms, before_state) VALUES (?, ?, ?, 3, ?, 0, 0, 1, ?, 2.3, 5.1, 600000, '{}')`,
		userID, cardID, version, now, now+600_000); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO study_days (user_id, day) VALUES (?, ?) ON CONFLICT (user_id, day) DO NOTHING`, userID, now/86400_000); err != nil {
		return err
	}
	return tx.Commit()
}
