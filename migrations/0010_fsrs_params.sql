-- Per-learner FSRS-6 weights, fitted by the optimizer to the learner's own
-- review log ('' means go-fsrs's defaults; otherwise srs.Params.String:
-- "fsrs6:" and the 21 weights).
ALTER TABLE users ADD COLUMN fsrs_params TEXT NOT NULL DEFAULT '';

-- One run of the optimizer (or a reset to the defaults) for a learner:
-- its progress while it runs, then what it found. The figures are the
-- current (before) and fitted (after) weights' log loss, RMSE over bins
-- and AUC on the newest fifth of the learner's long-term reviews, held
-- out of the fit.
CREATE TABLE optimizations (
    id                INTEGER PRIMARY KEY,
    user_id           INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    state             TEXT    NOT NULL, -- running, adopted, kept, refused, failed, reset
    started_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL, -- a running row not updated for minutes was abandoned
    finished_at       INTEGER NOT NULL DEFAULT 0,
    progress          REAL    NOT NULL DEFAULT 0, -- 0 to 1
    reviews           INTEGER NOT NULL DEFAULT 0, -- long-term reviews in the log
    train             INTEGER NOT NULL DEFAULT 0,
    test              INTEGER NOT NULL DEFAULT 0,
    message           TEXT    NOT NULL DEFAULT '',
    params_before     TEXT    NOT NULL DEFAULT '',
    params_after      TEXT    NOT NULL DEFAULT '',
    before_log_loss   REAL    NOT NULL DEFAULT 0,
    before_rmse       REAL    NOT NULL DEFAULT 0,
    before_auc        REAL    NOT NULL DEFAULT 0,
    after_log_loss    REAL    NOT NULL DEFAULT 0,
    after_rmse        REAL    NOT NULL DEFAULT 0,
    after_auc         REAL    NOT NULL DEFAULT 0,
    optimal_retention REAL    NOT NULL DEFAULT 0  -- 0: not computed
);
CREATE INDEX optimizations_user ON optimizations (user_id, id);
-- At most one run per learner at a time.
CREATE UNIQUE INDEX optimizations_running ON optimizations (user_id) WHERE state = 'running';
