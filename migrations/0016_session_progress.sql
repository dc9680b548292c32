-- The undo stack's card actions, and what a study session shows of its
-- day: time spent, today's retention and extra new cards.

-- Every bury, suspend and flag (and their reverses) a learner gives, with
-- the card's flags before it, so undo can take it back. after_review is
-- the learner's latest review id when the action was given: it orders
-- actions among ratings in the one undo stack (an action is newer than
-- every rating with an id up to it).
CREATE TABLE card_actions (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    card_id      INTEGER NOT NULL REFERENCES cards (id) ON DELETE CASCADE,
    action       TEXT    NOT NULL,
    after_review INTEGER NOT NULL,
    suspended    INTEGER NOT NULL, -- the card's flags before the action
    buried_until INTEGER NOT NULL,
    flagged      INTEGER NOT NULL,
    acted_at     INTEGER NOT NULL,
    undone_at    INTEGER
);
CREATE INDEX card_actions_user ON card_actions (user_id, id);

-- Per study day: the answer time of the ratings that have one (answer_ms
-- over timed, for the time-left estimate and the session's time spent),
-- the reviews passed (rated in review, not Again: today's retention is
-- reviews_passed over reviews_done), and the extra new cards the learner
-- asked for that day. Days before this migration have no answer times or
-- passes counted; the estimate reads the last week, so it is whole a week
-- after the upgrade.
ALTER TABLE study_days ADD COLUMN answer_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE study_days ADD COLUMN timed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE study_days ADD COLUMN reviews_passed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE study_days ADD COLUMN extra_new INTEGER NOT NULL DEFAULT 0;
