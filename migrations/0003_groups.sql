-- Study groups, deck ownership and paused decks.

CREATE TABLE groups (
    id                INTEGER PRIMARY KEY,
    name              TEXT    NOT NULL,
    invite_code       TEXT    NOT NULL UNIQUE,   -- the /join/{code} secret
    invite_expires_at INTEGER,                   -- NULL: the link does not expire
    exam_at           INTEGER,                   -- the exam date the readiness figure looks at
    created_at        INTEGER NOT NULL
);

CREATE TABLE group_members (
    group_id  INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role      TEXT    NOT NULL CHECK (role IN ('owner', 'maintainer', 'member')),
    anonymous INTEGER NOT NULL DEFAULT 0,
    joined_at INTEGER NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);

-- A deck is public (both NULL: built-in or imported by the server's
-- operator), a group's, or one user's private deck.
ALTER TABLE decks ADD COLUMN group_id INTEGER REFERENCES groups (id) ON DELETE SET NULL;
ALTER TABLE decks ADD COLUMN owner_id INTEGER REFERENCES users (id) ON DELETE CASCADE;

-- Decks a user has paused: visible, but out of the review queue.
CREATE TABLE deck_pauses (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    deck_id INTEGER NOT NULL REFERENCES decks (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, deck_id)
);
