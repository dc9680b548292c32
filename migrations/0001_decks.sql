-- Decks and their cards. Times are INTEGER Unix milliseconds, UTC.

CREATE TABLE decks (
    id          INTEGER PRIMARY KEY,
    slug        TEXT    NOT NULL UNIQUE,         -- the deck's front matter id
    title       TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',     -- sanitised HTML
    tags        TEXT    NOT NULL DEFAULT '',     -- space-separated
    source_hash TEXT    NOT NULL,                -- decks.Deck.Hash of the last import
    builtin     INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE cards (
    id           INTEGER PRIMARY KEY,
    deck_id      INTEGER NOT NULL REFERENCES decks (id) ON DELETE CASCADE,
    card_key     TEXT    NOT NULL,
    note_key     TEXT    NOT NULL,
    explicit_key INTEGER NOT NULL,
    cloze        INTEGER NOT NULL DEFAULT 0,
    position     INTEGER NOT NULL,
    section      TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    type         TEXT    NOT NULL,
    front_src    TEXT    NOT NULL,
    back_src     TEXT    NOT NULL,
    front_html   TEXT    NOT NULL,
    back_html    TEXT    NOT NULL,
    cloze_html   TEXT    NOT NULL DEFAULT '',
    options      TEXT    NOT NULL DEFAULT '',    -- JSON array of decks.Option
    content_hash TEXT    NOT NULL,
    guid         TEXT    NOT NULL,               -- export id, fixed when the card is created
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    retired_at   INTEGER,                        -- set when the card left the deck
    UNIQUE (deck_id, card_key)
);

CREATE INDEX cards_deck_position ON cards (deck_id, retired_at, position);
