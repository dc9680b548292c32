-- What a review step reads instead of counting: kept up to date by the
-- rating transaction (and by imports), so the cost of a step does not grow
-- with the learner's progress, review log or the server's users.

-- Each study day's counts of a learner: ratings given (the day is a study
-- day while it is above 0), cards introduced (rated while new) and reviews
-- done (rated while in review), for the daily limits. Rows from before
-- this migration are counted by the UTC date of the 04:00 day start, as
-- 0004 did; a day with a rating counts at least one.
ALTER TABLE study_days ADD COLUMN ratings INTEGER NOT NULL DEFAULT 0;
ALTER TABLE study_days ADD COLUMN new_done INTEGER NOT NULL DEFAULT 0;
ALTER TABLE study_days ADD COLUMN reviews_done INTEGER NOT NULL DEFAULT 0;
UPDATE study_days SET
    ratings = (SELECT COUNT(*) FROM reviews r WHERE r.user_id = study_days.user_id AND r.undone_at IS NULL
        AND (r.reviewed_at - 14400000) / 86400000 = study_days.day),
    new_done = (SELECT COUNT(*) FROM reviews r WHERE r.user_id = study_days.user_id AND r.undone_at IS NULL
        AND (r.reviewed_at - 14400000) / 86400000 = study_days.day AND r.prev_phase = 0),
    reviews_done = (SELECT COUNT(*) FROM reviews r WHERE r.user_id = study_days.user_id AND r.undone_at IS NULL
        AND (r.reviewed_at - 14400000) / 86400000 = study_days.day AND r.prev_phase = 2);
UPDATE study_days SET ratings = 1 WHERE ratings = 0;

-- Each deck's active cards by kind (the importer keeps them).
CREATE TABLE deck_kinds (
    deck_id      INTEGER NOT NULL REFERENCES decks (id) ON DELETE CASCADE,
    kind         TEXT    NOT NULL,
    active_cards INTEGER NOT NULL,
    PRIMARY KEY (deck_id, kind)
) WITHOUT ROWID;
INSERT INTO deck_kinds (deck_id, kind, active_cards)
    SELECT deck_id, kind, COUNT(*) FROM cards WHERE retired_at IS NULL GROUP BY deck_id, kind;

-- Each learner's progress through a deck's cards of one kind: how many of
-- its active cards the learner has studied (a state that is not new), and
-- a cursor: every active card of that kind before next_position has been
-- studied, so the next new card is found from there. 0 is always a valid
-- cursor; ratings move it on.
CREATE TABLE learner_decks (
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    deck_id       INTEGER NOT NULL REFERENCES decks (id) ON DELETE CASCADE,
    kind          TEXT    NOT NULL,
    studied       INTEGER NOT NULL DEFAULT 0,
    next_position INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, deck_id, kind)
) WITHOUT ROWID;
INSERT INTO learner_decks (user_id, deck_id, kind, studied, next_position)
    SELECT s.user_id, c.deck_id, c.kind, COUNT(*), 0 FROM card_states s JOIN cards c ON c.id = s.card_id
    WHERE c.retired_at IS NULL AND s.phase <> 0 GROUP BY s.user_id, c.deck_id, c.kind;

-- The next new card of a deck and kind, from the cursor.
CREATE INDEX cards_deck_kind_position ON cards (deck_id, kind, position) WHERE retired_at IS NULL;

-- The latest rating of a learner, for undo: an index probe.
CREATE INDEX reviews_user_id ON reviews (user_id, id);

-- Buried cards, to say when they come back.
CREATE INDEX card_states_buried ON card_states (user_id, buried_until);

-- A learner's decks: public ones, the groups', the learner's own.
CREATE INDEX decks_scope ON decks (owner_id, group_id);
CREATE INDEX decks_group ON decks (group_id);
