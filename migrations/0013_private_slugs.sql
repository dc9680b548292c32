-- A private deck's address is its owner's own: "u<owner id>-<deck id>",
-- so that its id takes nothing from anyone else and an upload by another
-- user can never learn that it exists. Cards keep their GUIDs (made from
-- the deck's own id), so Anki exports keep updating the same notes.
UPDATE decks SET slug = 'u' || owner_id || '-' || slug WHERE owner_id IS NOT NULL AND slug NOT LIKE 'u' || owner_id || '-%';
