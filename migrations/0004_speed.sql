-- Indexes and tables that keep the per-user pages fast on long histories.

-- The review log read by time for one user, covering what the daily
-- counts, statistics and group summaries need, so they never touch the
-- table rows.
CREATE INDEX reviews_user_time_cover ON reviews (user_id, reviewed_at, card_id, rating, prev_phase, undone_at);
DROP INDEX reviews_user_time;

-- card_states clustered by (user_id, card_id): a user's states are read
-- together, so they are stored together.
CREATE TABLE card_states_new (
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    card_id         INTEGER NOT NULL REFERENCES cards (id) ON DELETE CASCADE,
    phase           INTEGER NOT NULL DEFAULT 0,
    due             INTEGER NOT NULL DEFAULT 0,
    stability       REAL    NOT NULL DEFAULT 0,
    difficulty      REAL    NOT NULL DEFAULT 0,
    scheduled_days  INTEGER NOT NULL DEFAULT 0,
    reps            INTEGER NOT NULL DEFAULT 0,
    lapses          INTEGER NOT NULL DEFAULT 0,
    last_review     INTEGER NOT NULL DEFAULT 0,
    remaining_steps INTEGER NOT NULL DEFAULT 0,
    suspended       INTEGER NOT NULL DEFAULT 0,
    buried_until    INTEGER NOT NULL DEFAULT 0,
    flagged         INTEGER NOT NULL DEFAULT 0,
    version         INTEGER NOT NULL DEFAULT 0,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (user_id, card_id)
) WITHOUT ROWID;
INSERT INTO card_states_new SELECT user_id, card_id, phase, due, stability, difficulty, scheduled_days, reps, lapses,
    last_review, remaining_steps, suspended, buried_until, flagged, version, updated_at FROM card_states;
DROP TABLE card_states;
ALTER TABLE card_states_new RENAME TO card_states;
CREATE INDEX card_states_due ON card_states (user_id, phase, due);
CREATE INDEX card_states_card ON card_states (card_id);

-- The study days of each user (days since 1970-01-01 of the local date
-- of the study day, which starts at 04:00 in the user's zone when the
-- rating was given): streaks read a few rows instead of the review log.
-- Ratings from before this table are counted by their UTC date.
CREATE TABLE study_days (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    day     INTEGER NOT NULL,
    PRIMARY KEY (user_id, day)
) WITHOUT ROWID;
INSERT INTO study_days (user_id, day)
    SELECT DISTINCT user_id, (reviewed_at - 14400000) / 86400000 FROM reviews WHERE undone_at IS NULL;
