-- A private deck's address is its owner's own: "u<owner id>-<deck id>",
-- so that its id takes nothing from anyone else and an upload by another
-- user can never learn that it exists. Cards keep their GUIDs (made from
-- the deck's own id), so Anki exports keep updating the same notes.
--
-- Ids of that form are now refused for public and group decks; one that
-- already holds a private deck's new address moves aside to "deck-<id>"
-- first (its maintainers re-upload it under a new id).
UPDATE decks SET slug = 'deck-' || slug
    WHERE owner_id IS NULL AND slug IN (SELECT 'u' || owner_id || '-' || slug FROM decks WHERE owner_id IS NOT NULL);
UPDATE decks SET slug = 'u' || owner_id || '-' || slug WHERE owner_id IS NOT NULL;
