-- How a learner gathers new cards from several decks: 1 interleaves the
-- decks (the default), 0 takes them in the learner's deck order.
ALTER TABLE users ADD COLUMN new_gather INTEGER NOT NULL DEFAULT 1;

-- A learner's choices about one deck: its place in the learner's deck
-- order (NULL: after the placed decks, by title), whether it is hidden
-- from Today and from "Study now" (its own Study button still studies
-- it), and a daily limit of new cards from it (NULL: only the learner's
-- overall limit).
CREATE TABLE learner_deck_prefs (
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    deck_id     INTEGER NOT NULL REFERENCES decks (id) ON DELETE CASCADE,
    position    INTEGER,
    hidden      INTEGER NOT NULL DEFAULT 0,
    new_per_day INTEGER,
    PRIMARY KEY (user_id, deck_id)
) WITHOUT ROWID;
