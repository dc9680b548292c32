-- Each deck's number of active cards, kept by the importer, so the review
-- queue does not count a deck's cards on every step.
ALTER TABLE decks ADD COLUMN active_cards INTEGER NOT NULL DEFAULT 0;
UPDATE decks SET active_cards = (SELECT COUNT(*) FROM cards c WHERE c.deck_id = decks.id AND c.retired_at IS NULL);
