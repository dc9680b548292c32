-- Every source of a built-in deck this server has imported. A process
-- starting with a built-in deck whose source was imported before and has
-- since been replaced (an older replica restarting during an upgrade)
-- leaves the deck alone: built-in decks only move forward.
CREATE TABLE builtin_imports (
    slug        TEXT    NOT NULL,
    source_hash TEXT    NOT NULL,
    imported_at BIGINT  NOT NULL,
    PRIMARY KEY (slug, source_hash)
);
INSERT INTO builtin_imports (slug, source_hash, imported_at)
    SELECT slug, source_hash, updated_at FROM decks WHERE builtin = 1;
