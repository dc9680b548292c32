-- Nobody loses progress to another member's action: a deck that leaves a
-- group (the group was deleted, or its owner moved the deck) stays
-- readable and studyable to the group's former members (deck_readers),
-- and every change to a deck records who made it (deck_changes, the deck
-- history owners and maintainers see).
CREATE TABLE deck_readers (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    deck_id INTEGER NOT NULL REFERENCES decks (id) ON DELETE CASCADE,
    since   INTEGER NOT NULL,
    PRIMARY KEY (user_id, deck_id)
);
CREATE INDEX deck_readers_deck ON deck_readers (deck_id);

CREATE TABLE deck_changes (
    id      INTEGER PRIMARY KEY,
    deck_id INTEGER NOT NULL REFERENCES decks (id) ON DELETE CASCADE,
    user_id INTEGER REFERENCES users (id) ON DELETE SET NULL, -- NULL: the operator (command line)
    at      INTEGER NOT NULL,
    action  TEXT    NOT NULL, -- created, updated, moved, group-deleted
    added   INTEGER NOT NULL DEFAULT 0,
    updated INTEGER NOT NULL DEFAULT 0,
    retired INTEGER NOT NULL DEFAULT 0,
    detail  TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX deck_changes_deck ON deck_changes (deck_id, id);
