-- Media files a deck's cards show (images, sounds), such as those that
-- come with a deck imported from Anki. A file is addressed by its content
-- hash and name, /media/{sha256}/{name}, so the address outlives a deck's
-- move to another group; only a user who may see a deck holding it gets
-- it.
CREATE TABLE deck_media (
    deck_id      INTEGER NOT NULL REFERENCES decks (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,               -- as the deck's fields name it
    sha256       TEXT    NOT NULL,               -- hex of the content's SHA-256
    content_type TEXT    NOT NULL,
    data         BLOB    NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (deck_id, name)
);
CREATE INDEX deck_media_hash ON deck_media (sha256);

-- The Markdown a deck was last imported from, handed back at
-- /decks/{id}/deck.md (Markdown is a deck's source of truth, also for a
-- deck that came from Anki).
ALTER TABLE decks ADD COLUMN source TEXT NOT NULL DEFAULT '';

-- The Anki deck a deck was imported from ("anki:<collection crt>:<deck
-- id>", or "text:<deck name>" for a notes file), so that importing the
-- same collection again updates it even when the deck was renamed, and
-- never a deck of another collection that happens to share its name.
ALTER TABLE decks ADD COLUMN anki_origin TEXT NOT NULL DEFAULT '';

-- An imported card's note is looked up by GUID across a learner's decks.
CREATE INDEX cards_guid ON cards (guid, cloze);
