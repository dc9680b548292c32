-- Accounts, sessions, per-user scheduling state and the review log.

CREATE TABLE users (
    id              INTEGER PRIMARY KEY,
    username        TEXT    NOT NULL,
    username_key    TEXT    NOT NULL UNIQUE,        -- lower-cased, for lookups
    password_hash   TEXT    NOT NULL,               -- bcrypt
    is_admin        INTEGER NOT NULL DEFAULT 0,
    time_zone       TEXT    NOT NULL DEFAULT 'UTC', -- IANA name
    retention       REAL    NOT NULL DEFAULT 0.9,
    max_interval    INTEGER NOT NULL DEFAULT 36500, -- days
    new_per_day     INTEGER NOT NULL DEFAULT 20,
    reviews_per_day INTEGER NOT NULL DEFAULT 200,
    created_at      INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT    PRIMARY KEY,                 -- SHA-256 of the cookie's token
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Server-wide settings such as open sign-up.
CREATE TABLE server_settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- One learner's schedule of one card. A card without a row is new.
CREATE TABLE card_states (
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    card_id         INTEGER NOT NULL REFERENCES cards (id) ON DELETE CASCADE,
    phase           INTEGER NOT NULL DEFAULT 0,     -- srs.Phase: 0 new, 1 learning, 2 review, 3 relearning
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
    version         INTEGER NOT NULL DEFAULT 0,     -- bumped by every rating and undo: the review token
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (user_id, card_id)
);
CREATE INDEX card_states_due ON card_states (user_id, phase, due);

-- The review log: append-only. Undo marks a row undone and restores the
-- state it recorded as "before".
CREATE TABLE reviews (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    card_id      INTEGER NOT NULL REFERENCES cards (id) ON DELETE CASCADE,
    version      INTEGER NOT NULL,                  -- card_states.version the rating was given for
    rating       INTEGER NOT NULL,
    reviewed_at  INTEGER NOT NULL,
    prev_phase   INTEGER NOT NULL,
    phase        INTEGER NOT NULL,
    due          INTEGER NOT NULL,
    stability    REAL    NOT NULL,
    difficulty   REAL    NOT NULL,
    interval_ms  INTEGER NOT NULL,                  -- due - reviewed_at
    before_state TEXT    NOT NULL,                  -- JSON of the card_states row before
    undone_at    INTEGER,
    UNIQUE (user_id, card_id, version)
);
CREATE INDEX reviews_user_time ON reviews (user_id, reviewed_at);
