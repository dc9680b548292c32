package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/flashd/flashd/decks"
	"github.com/flashd/flashd/decks/anki"
)

// Deck is an imported deck.
type Deck struct {
	ID          int64  `db:"id"`
	Slug        string `db:"slug"`
	Title       string `db:"title"`
	Description string `db:"description"` // sanitised HTML
	Tags        string `db:"tags"`        // space-separated
	SourceHash  string `db:"source_hash"`
	Builtin     bool   `db:"builtin"`
	GroupID     *int64 `db:"group_id"` // set for a group's deck
	OwnerID     *int64 `db:"owner_id"` // set for a private deck
	CreatedAt   int64  `db:"created_at"`
	UpdatedAt   int64  `db:"updated_at"`
	// Cards counts the deck's active cards (listings only).
	Cards int `db:"cards"`
}

// Card is an imported card: the authored content of decks.Card plus its
// identity in the database.
type Card struct {
	ID          int64      `db:"id"`
	DeckID      int64      `db:"deck_id"`
	Key         string     `db:"card_key"`
	NoteKey     string     `db:"note_key"`
	ExplicitKey bool       `db:"explicit_key"`
	Cloze       int        `db:"cloze"`
	Position    int        `db:"position"`
	Section     string     `db:"section"`
	Kind        decks.Kind `db:"kind"`
	Type        decks.Type `db:"type"`
	FrontSrc    string     `db:"front_src"`
	BackSrc     string     `db:"back_src"`
	FrontHTML   string     `db:"front_html"`
	BackHTML    string     `db:"back_html"`
	ClozeHTML   string     `db:"cloze_html"`
	OptionsJSON string     `db:"options"`
	ContentHash string     `db:"content_hash"`
	GUID        string     `db:"guid"`
	CreatedAt   int64      `db:"created_at"`
	UpdatedAt   int64      `db:"updated_at"`
	RetiredAt   *int64     `db:"retired_at"`
}

// Options decodes the options of a choice card.
func (c *Card) Options() []decks.Option {
	var opts []decks.Option
	if c.OptionsJSON != "" {
		_ = json.Unmarshal([]byte(c.OptionsJSON), &opts) // written by ImportDeck from a valid value
	}
	return opts
}

// ImportResult counts what an import did to a deck.
type ImportResult struct {
	Deck      string // the deck's id
	Slug      string // its address, /decks/{slug}
	Added     int    // new cards, and retired cards that came back
	Updated   int    // cards whose content changed
	Retired   int    // cards that left the deck
	Unchanged int
	Skipped   bool // the deck's source was the same as last time
	// Superseded: a built-in deck was left alone because this source was
	// imported before and has since been replaced by a newer one.
	Superseded bool
}

func (r ImportResult) String() string {
	return fmt.Sprintf("deck %s: %d added, %d updated, %d retired, %d unchanged", r.Deck, r.Added, r.Updated, r.Retired, r.Unchanged)
}

// ImportOptions say whose deck is imported. With neither GroupID nor
// OwnerID the deck is public: every user sees it.
type ImportOptions struct {
	Builtin bool  // the deck ships with flashd
	GroupID int64 // the deck belongs to this group
	OwnerID int64 // the deck is this user's private deck
	// ActorID is the user making the change, for the deck's history (0:
	// the operator at the command line).
	ActorID int64
	// ConfirmRetire asks for a confirmation before an update retires
	// more than half of the deck's cards: without ConfirmedHash equal to
	// the deck's source hash, such an import writes nothing and fails
	// with a *RetireError listing the cards it would retire.
	ConfirmRetire bool
	ConfirmedHash string
	// Media are files to add to (or replace in) the deck, by the name its
	// cards use: images and links naming a file the deck holds are served
	// from the deck (see MediaURL).
	Media map[string][]byte
}

// RetireError is the answer to an import that would retire most of a
// deck's cards before it is confirmed.
type RetireError struct {
	Deck   string
	Hash   string   // the source hash to confirm with
	Active int      // the deck's active cards before the import
	Fronts []string // the fronts of the cards it would retire
}

func (e *RetireError) Error() string {
	return fmt.Sprintf("This upload would retire %d of the %d cards of deck %s.", len(e.Fronts), e.Active, e.Deck)
}

// sameScope reports whether an existing deck belongs where opt imports.
func (opt ImportOptions) sameScope(d *Deck) bool {
	id := func(p *int64) int64 {
		if p == nil {
			return 0
		}
		return *p
	}
	return id(d.GroupID) == opt.GroupID && id(d.OwnerID) == opt.OwnerID
}

// nullable turns 0 into NULL.
func nullable(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

const cardColumns = `id, deck_id, card_key, note_key, explicit_key, cloze, position, section, kind, type,
	front_src, back_src, front_html, back_html, cloze_html, options, content_hash, guid,
	created_at, updated_at, retired_at`

// ImportDeck adds a deck or brings it up to date with d in one
// transaction: it adds new cards, updates edited ones, and retires cards
// that left the deck (they keep their schedules and history), matching
// cards by the rules of decks.Match. A deck whose source hash is unchanged
// is skipped without writing.
func (db *DB) ImportDeck(ctx context.Context, d *decks.Deck, opt ImportOptions) (ImportResult, error) {
	res := ImportResult{Deck: d.ID}
	if err := checkMedia(opt.Media); err != nil {
		return res, err
	}
	slug := d.ID
	switch {
	case opt.OwnerID != 0:
		slug = privateSlug(opt.OwnerID, d.ID)
	case privateSlugPattern.MatchString(d.ID):
		return res, Errorf(EInvalid, "Deck ids of the form u<number>-... are the addresses of private decks: choose another id in the front matter.")
	case d.ID == ReservedDeckID:
		return res, Errorf(EInvalid, "The deck id %q is the address of the new-deck editor: choose another id in the front matter.", d.ID)
	}
	res.Slug = slug
	// An import may be long: it runs alone, so a rating waits for it at
	// most once, and ratings never share its transaction.
	err := db.writeAlone(ctx, func(tx *sqlx.Tx) error {
		// Afresh on each attempt (PostgreSQL may run this again): the
		// counts, and the deck, whose copy storeMedia rewrites the cards'
		// media addresses in.
		res = ImportResult{Deck: d.ID, Slug: slug}
		dd := *d
		return importDeckTx(ctx, tx, &dd, opt, db.now(), &res)
	})
	var re *RetireError
	if errors.As(err, &re) {
		return ImportResult{}, re
	}
	if ErrorCode(err) == EConflict {
		return ImportResult{}, err
	}
	if err != nil {
		return ImportResult{}, fmt.Errorf("import deck %q: %w", d.ID, err)
	}
	return res, nil
}

// importDeckTx is ImportDeck inside a write transaction; res.Slug is the
// deck's address.
func importDeckTx(ctx context.Context, tx *sqlx.Tx, d *decks.Deck, opt ImportOptions, now int64, res *ImportResult) error {
	slug := res.Slug
	action := "created"
	var deck Deck
	err := tx.GetContext(ctx, &deck, `SELECT id, slug, source_hash, group_id, owner_id FROM decks WHERE slug = ?`, slug)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if err := tx.GetContext(ctx, &deck.ID, `INSERT INTO decks (slug, title, description, tags, source_hash, source, builtin, group_id, owner_id, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			slug, d.Title, d.DescriptionHTML, strings.Join(d.Tags, " "), d.Hash, d.Source, opt.Builtin, nullable(opt.GroupID), nullable(opt.OwnerID), now, now); err != nil {
			return err
		}
	case err != nil:
		return err
	case !opt.sameScope(&deck):
		// Deck ids are unique on a server, so that /decks/{id} names one
		// deck; another group's deck keeps its id. (Private decks have
		// addresses of their own, so none is ever in the way.)
		return Errorf(EConflict, "The deck id %q is already used by another deck on this server: choose another id in the front matter.", d.ID)
	case deck.SourceHash == d.Hash:
		res.Skipped = true
		if opt.Builtin {
			if err := noteBuiltin(ctx, tx, slug, d.Hash, now); err != nil {
				return err
			}
		}
		// Decks imported before sources were kept get theirs now.
		if _, err := tx.ExecContext(ctx, `UPDATE decks SET source = ? WHERE id = ? AND source = ''`, d.Source, deck.ID); err != nil {
			return err
		}
		return tx.GetContext(ctx, &res.Unchanged, `SELECT COUNT(*) FROM cards WHERE deck_id = ? AND retired_at IS NULL`, deck.ID)
	default:
		if opt.Builtin {
			var seen int
			if err := tx.GetContext(ctx, &seen, `SELECT COUNT(*) FROM builtin_imports WHERE slug = ? AND source_hash = ?`, slug, d.Hash); err != nil {
				return err
			}
			if seen > 0 {
				// This source was replaced by a newer one: leave the deck.
				res.Skipped, res.Superseded = true, true
				return nil
			}
		}
		action = "updated"
		if _, err := tx.ExecContext(ctx, `UPDATE decks SET title = ?, description = ?, tags = ?, source_hash = ?, source = ?, builtin = ?, updated_at = ? WHERE id = ?`,
			d.Title, d.DescriptionHTML, strings.Join(d.Tags, " "), d.Hash, d.Source, opt.Builtin, now, deck.ID); err != nil {
			return err
		}
	}
	if err := storeMedia(ctx, tx, deck.ID, d, opt.Media, now); err != nil {
		return err
	}
	var active int
	if err := tx.GetContext(ctx, &active, `SELECT COUNT(*) FROM cards WHERE deck_id = ? AND retired_at IS NULL`, deck.ID); err != nil {
		return err
	}
	retired, err := importCards(ctx, tx, deck.ID, d, now, res)
	if err != nil {
		return err
	}
	if opt.ConfirmRetire && len(retired) >= 2 && 2*len(retired) > active && opt.ConfirmedHash != d.Hash {
		return &RetireError{Deck: d.ID, Hash: d.Hash, Active: active, Fronts: retired}
	}
	if err := pruneMedia(ctx, tx, deck.ID); err != nil {
		return err
	}
	if err := recordChange(ctx, tx, deck.ID, opt.ActorID, now, action, *res, ""); err != nil {
		return err
	}
	if opt.Builtin {
		if err := noteBuiltin(ctx, tx, slug, d.Hash, now); err != nil {
			return err
		}
	}
	return recount(ctx, tx, deck.ID)
}

// noteBuiltin records that the built-in deck at slug now has the source
// with this hash.
func noteBuiltin(ctx context.Context, tx *sqlx.Tx, slug, hash string, now int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO builtin_imports (slug, source_hash, imported_at) VALUES (?, ?, ?)
		ON CONFLICT (slug, source_hash) DO NOTHING`, slug, hash, now)
	return err
}

// ImportBuiltin imports the decks that ship with flashd (ImportDeck with
// Builtin set) and calls report with each deck's result or error; an
// error report returns ends the import with that error. On PostgreSQL the
// whole import runs under an advisory lock, so of replicas starting
// together one imports and the others find the decks up to date. A deck
// source that was imported before and has since been replaced is left
// alone (Superseded): an older binary restarting during an upgrade never
// takes a deck back.
func (db *DB) ImportBuiltin(ctx context.Context, ds []*decks.Deck, report func(ImportResult, error) error) error {
	if db.pg {
		unlock, err := db.advisoryLock(ctx, lockBuiltin)
		if err != nil {
			return fmt.Errorf("built-in decks: %w", err)
		}
		defer unlock()
	}
	for _, d := range ds {
		res, err := db.ImportDeck(ctx, d, ImportOptions{Builtin: true})
		res.Deck = d.ID
		if err := report(res, err); err != nil {
			return err
		}
	}
	return nil
}

// recount brings what the review queue reads of a deck up to date after
// its cards changed: its active cards, in all and by kind, and each
// learner's progress through it (the cards studied, by kind). Cursors go
// back to the deck's start, since cards may have moved or come back; the
// next rating of a new card moves each forward again.
func recount(ctx context.Context, tx *sqlx.Tx, deckID int64) error {
	for _, st := range []struct {
		sql  string
		args []any
	}{
		{`UPDATE decks SET active_cards = (SELECT COUNT(*) FROM cards c WHERE c.deck_id = ? AND c.retired_at IS NULL) WHERE id = ?`,
			[]any{deckID, deckID}},
		{`DELETE FROM deck_kinds WHERE deck_id = ?`, []any{deckID}},
		{`INSERT INTO deck_kinds (deck_id, kind, active_cards)
			SELECT deck_id, kind, COUNT(*) FROM cards WHERE deck_id = ? AND retired_at IS NULL GROUP BY deck_id, kind`, []any{deckID}},
		{`DELETE FROM learner_decks WHERE deck_id = ?`, []any{deckID}},
		{`INSERT INTO learner_decks (user_id, deck_id, kind, studied, next_position)
			SELECT s.user_id, c.deck_id, c.kind, COUNT(*), 0 FROM cards c JOIN card_states s ON s.card_id = c.id
			WHERE c.deck_id = ? AND c.retired_at IS NULL AND s.phase <> 0 GROUP BY s.user_id, c.deck_id, c.kind`, []any{deckID}},
	} {
		if _, err := tx.ExecContext(ctx, st.sql, st.args...); err != nil {
			return fmt.Errorf("recount deck: %w", err)
		}
	}
	return nil
}

// importCards applies the cards of d to the deck's stored cards.
func importCards(ctx context.Context, tx *sqlx.Tx, deckID int64, d *decks.Deck, now int64, res *ImportResult) (retired []string, err error) {
	var old []Card
	if err := tx.SelectContext(ctx, &old, `SELECT `+cardColumns+` FROM cards WHERE deck_id = ? ORDER BY id`, deckID); err != nil {
		return nil, err
	}
	known := make([]decks.Known, len(old))
	for i, c := range old {
		known[i] = decks.Known{Key: c.Key, Explicit: c.ExplicitKey, Cloze: c.Cloze, Position: c.Position,
			Front: c.FrontSrc, Back: c.BackSrc, Retired: c.RetiredAt != nil}
	}
	match := decks.Match(known, d.Cards)

	insert, err := tx.PreparexContext(ctx, `INSERT INTO cards (deck_id, card_key, note_key, explicit_key, cloze, position, section, kind, type,
		front_src, back_src, front_html, back_html, cloze_html, options, content_hash, guid, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return nil, err
	}
	defer insert.Close()
	update, err := tx.PreparexContext(ctx, `UPDATE cards SET card_key = ?, note_key = ?, explicit_key = ?, position = ?, section = ?, kind = ?, type = ?,
		front_src = ?, back_src = ?, front_html = ?, back_html = ?, cloze_html = ?, options = ?, content_hash = ?,
		updated_at = ?, retired_at = NULL WHERE id = ?`)
	if err != nil {
		return nil, err
	}
	defer update.Close()

	continued := make([]bool, len(old))
	for i := range d.Cards {
		c := &d.Cards[i]
		opts := ""
		if len(c.Options) > 0 {
			b, err := json.Marshal(c.Options)
			if err != nil {
				return nil, err
			}
			opts = string(b)
		}
		hash := c.ContentHash()
		j := match[i]
		if j < 0 {
			if _, err := insert.ExecContext(ctx, deckID, c.Key, c.NoteKey, c.Explicit, c.Cloze, i, c.Section, c.Kind, c.Type,
				c.Front, c.Back, c.FrontHTML, c.BackHTML, c.ClozeHTML, opts, hash, guid(d.ID, c.NoteKey, c.Type), now, now); err != nil {
				return nil, err
			}
			res.Added++
			continue
		}
		continued[j] = true
		o := old[j]
		same := o.RetiredAt == nil && o.ContentHash == hash && o.Key == c.Key && o.FrontSrc == c.Front && o.BackSrc == c.Back && o.ExplicitKey == c.Explicit
		if same && o.Position == i && o.NoteKey == c.NoteKey {
			res.Unchanged++
			continue
		}
		updatedAt := o.UpdatedAt
		switch {
		case o.RetiredAt != nil:
			res.Added++
			updatedAt = now
		case o.ContentHash != hash:
			res.Updated++
			updatedAt = now
		default:
			// Only the source text, key or position moved: nothing a learner
			// sees changed.
			res.Unchanged++
		}
		if _, err := update.ExecContext(ctx, c.Key, c.NoteKey, c.Explicit, i, c.Section, c.Kind, c.Type,
			c.Front, c.Back, c.FrontHTML, c.BackHTML, c.ClozeHTML, opts, hash, updatedAt, o.ID); err != nil {
			return nil, err
		}
	}
	for j, o := range old {
		if continued[j] || o.RetiredAt != nil {
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE cards SET retired_at = ?, updated_at = ? WHERE id = ?`, now, now, o.ID); err != nil {
			return nil, err
		}
		res.Retired++
		retired = append(retired, o.FrontSrc)
	}
	return retired, nil
}

// guid is a card's export id: a hash of the deck id, the note key the
// card had when it was created and whether it is a cloze, kept for good
// after that. Cloze cards of one note share it. The note kind is part of
// it because Anki refuses to update a note whose type changed: a card
// rewritten from basic to cloze gets a new id.
//
// A card imported from Anki keeps its note's GUID (anki.NoteKey makes
// the key from it), so exporting it back updates the note it came from.
func guid(deck, noteKey string, t decks.Type) string {
	// (at least 8 characters, as Anki's and flashd's GUIDs are, so that
	// a key such as "anki-6162" written by hand is not taken for one).
	if g, ok := anki.GUIDFromKey(noteKey); ok && len(g) >= 8 {
		return g
	}
	kind := "basic"
	if t == decks.TypeCloze {
		kind = "cloze"
	}
	sum := sha256.Sum256([]byte(deck + "\x00" + kind + "\x00" + noteKey))
	return hex.EncodeToString(sum[:8])
}

const deckColumns = `d.id, d.slug, d.title, d.description, d.tags, d.source_hash, d.builtin, d.group_id, d.owner_id, d.created_at, d.updated_at,
	d.active_cards AS cards`

// Decks lists the decks a user may see, with their numbers of active
// cards, by title.
func (db *DB) Decks(ctx context.Context, u *User) ([]Deck, error) {
	var ds []Deck
	ids := visibleDeckIDs(u.ID)
	err := db.ro.SelectContext(ctx, &ds, `SELECT `+deckColumns+` FROM decks d WHERE d.id IN `+ids.sql+` ORDER BY d.title, d.id`, ids.args...)
	if err != nil {
		return nil, fmt.Errorf("list decks: %w", err)
	}
	return ds, nil
}

// DeckBySlug returns the deck with the given id (slug) if the user may see
// it, or an ENotFound error.
func (db *DB) DeckBySlug(ctx context.Context, u *User, slug string) (*Deck, error) {
	var d Deck
	vis := deckVisible("d.id", u.ID)
	err := db.ro.GetContext(ctx, &d, `SELECT `+deckColumns+` FROM decks d WHERE d.slug = ? AND `+vis.sql, args([]any{slug}, vis.args)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, Errorf(ENotFound, "Deck %q not found.", slug)
	}
	if err != nil {
		return nil, fmt.Errorf("get deck %q: %w", slug, err)
	}
	return &d, nil
}

// OperatorDeck returns any deck by id (slug), for the command line, which
// acts as the server's operator; web requests use DeckBySlug.
func (db *DB) OperatorDeck(ctx context.Context, slug string) (*Deck, error) {
	var d Deck
	err := db.ro.GetContext(ctx, &d, `SELECT `+deckColumns+` FROM decks d WHERE d.slug = ?`, slug)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, Errorf(ENotFound, "Deck %q not found.", slug)
	}
	if err != nil {
		return nil, fmt.Errorf("get deck %q: %w", slug, err)
	}
	return &d, nil
}

// Cards returns a deck's active cards in deck order.
func (db *DB) Cards(ctx context.Context, deckID int64) ([]Card, error) {
	var cs []Card
	err := db.ro.SelectContext(ctx, &cs, `SELECT `+cardColumns+` FROM cards WHERE deck_id = ? AND retired_at IS NULL ORDER BY position`, deckID)
	if err != nil {
		return nil, fmt.Errorf("list cards of deck %d: %w", deckID, err)
	}
	return cs, nil
}

// FirstCardID returns the id of a deck's first active card, for tools.
func (db *DB) FirstCardID(ctx context.Context, slug string) (int64, error) {
	var id int64
	err := db.ro.GetContext(ctx, &id, `SELECT c.id FROM cards c JOIN decks d ON d.id = c.deck_id
		WHERE d.slug = ? AND c.retired_at IS NULL ORDER BY c.position LIMIT 1`, slug)
	if err != nil {
		return 0, fmt.Errorf("first card of %q: %w", slug, err)
	}
	return id, nil
}

// recordChange adds a line to a deck's history.
func recordChange(ctx context.Context, tx *sqlx.Tx, deckID, actorID, at int64, action string, res ImportResult, detail string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO deck_changes (deck_id, user_id, at, action, added, updated, retired, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		deckID, nullable(actorID), at, action, res.Added, res.Updated, res.Retired, detail)
	return err
}

// DeckChange is one line of a deck's history.
type DeckChange struct {
	At      int64  `db:"at"`
	Who     string `db:"who"` // "" for the operator
	Action  string `db:"action"`
	Added   int    `db:"added"`
	Updated int    `db:"updated"`
	Retired int    `db:"retired"`
	Detail  string `db:"detail"`
}

// DeckHistory returns the changes of a deck, newest first, for its owner
// or its group's owner and maintainers (EForbidden for other users who
// may see the deck, ENotFound for the rest).
func (db *DB) DeckHistory(ctx context.Context, u *User, slug string) (*Deck, []DeckChange, error) {
	d, err := db.DeckBySlug(ctx, u, slug)
	if err != nil {
		return nil, nil, err
	}
	if ok, err := db.canManageDeck(ctx, db.ro, u, d); err != nil {
		return nil, nil, err
	} else if !ok {
		return nil, nil, Errorf(EForbidden, "Only the deck's owner, or its group's owner and maintainers, see its history.")
	}
	var cs []DeckChange
	err = db.ro.SelectContext(ctx, &cs, `SELECT c.at, COALESCE(u.username, '') AS who, c.action, c.added, c.updated, c.retired, c.detail
		FROM deck_changes c LEFT JOIN users u ON u.id = c.user_id WHERE c.deck_id = ? ORDER BY c.id DESC LIMIT 500`, d.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("deck history: %w", err)
	}
	return d, cs, nil
}

// ReservedDeckID is the one deck id no shared deck may have: /decks/new is
// the new-deck editor's address. (A private deck lives at its owner's own
// address, so it may.)
const ReservedDeckID = "new"

// SourceID returns the id the deck's front matter gives it: its address
// without a private deck's owner prefix.
func (d *Deck) SourceID() string {
	if d.OwnerID != nil {
		return strings.TrimPrefix(d.Slug, privateSlug(*d.OwnerID, ""))
	}
	return d.Slug
}

// DeckEditScope checks that u may replace the deck at slug (the owner of a
// private deck, or the owner or a maintainer of its group: who may upload
// it again) and returns it with the import options that replace it. A
// deck u cannot see is ENotFound; one u sees but may not change is
// EForbidden.
func (db *DB) DeckEditScope(ctx context.Context, u *User, slug string) (*Deck, ImportOptions, error) {
	d, err := db.DeckBySlug(ctx, u, slug)
	if err != nil {
		return nil, ImportOptions{}, err
	}
	ok, err := db.canManageDeck(ctx, db.ro, u, d)
	if err != nil {
		return nil, ImportOptions{}, fmt.Errorf("edit deck %q: %w", slug, err)
	}
	if !ok {
		return nil, ImportOptions{}, Errorf(EForbidden, "Only the deck's owner, or its group's owner and maintainers, can edit it.")
	}
	opt := ImportOptions{}
	if d.OwnerID != nil {
		opt.OwnerID = *d.OwnerID
	} else {
		opt.GroupID = *d.GroupID // canManageDeck allows no other deck
	}
	return d, opt, nil
}

// CanManageDeck reports whether u owns the private deck d, or owns or
// maintains its group: who sees its history and may move it.
func (db *DB) CanManageDeck(ctx context.Context, u *User, d *Deck) (bool, error) {
	return db.canManageDeck(ctx, db.ro, u, d)
}

// canManageDeck is CanManageDeck on q.
func (db *DB) canManageDeck(ctx context.Context, q sqlx.QueryerContext, u *User, d *Deck) (bool, error) {
	switch {
	case d.OwnerID != nil:
		return *d.OwnerID == u.ID, nil
	case d.GroupID != nil:
		var role string
		err := sqlx.GetContext(ctx, q, &role, `SELECT role FROM group_members WHERE group_id = ? AND user_id = ?`, *d.GroupID, u.ID)
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		return err == nil && Role(role).CanUpload(), err
	}
	return false, nil
}

// MoveDeck moves a deck into another group: the deck's owner (a private
// deck) or its group's owner may, into a group they own or maintain. The
// old group's members keep reading and studying it, and the move is
// recorded in the deck's history.
func (db *DB) MoveDeck(ctx context.Context, u *User, slug string, toGroup int64) error {
	d, err := db.DeckBySlug(ctx, u, slug)
	if err != nil {
		return err
	}
	target, err := db.Group(ctx, u, toGroup)
	if err != nil {
		return err
	}
	if !target.Role.CanUpload() {
		return Errorf(EForbidden, "You can move a deck only into a group you own or maintain.")
	}
	return db.write(ctx, func(tx *sqlx.Tx) error {
		var from string
		switch {
		case d.OwnerID != nil && *d.OwnerID == u.ID:
			from = "your private decks"
		case d.GroupID != nil && *d.GroupID == toGroup:
			return Errorf(EInvalid, "The deck is in that group already.")
		case d.GroupID != nil:
			var role string
			if err := tx.GetContext(ctx, &role, `SELECT role FROM group_members WHERE group_id = ? AND user_id = ?`, *d.GroupID, u.ID); err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if Role(role) != RoleOwner {
				return Errorf(EForbidden, "Only the owner of the deck's group can move it.")
			}
			if err := tx.GetContext(ctx, &from, `SELECT name FROM groups WHERE id = ?`, *d.GroupID); err != nil {
				return err
			}
			if err := keepReaders(ctx, tx, d.ID, *d.GroupID, db.now()); err != nil {
				return err
			}
		default:
			return Errorf(EForbidden, "Only the deck's owner can move it.")
		}
		slug := d.Slug
		if d.OwnerID != nil {
			// Out of its owner's namespace: the deck takes its own id as its
			// address, if no other deck has it.
			slug = strings.TrimPrefix(d.Slug, privateSlug(*d.OwnerID, ""))
			var n int
			if err := tx.GetContext(ctx, &n, `SELECT COUNT(*) FROM decks WHERE slug = ?`, slug); err != nil {
				return err
			}
			if n > 0 {
				return Errorf(EConflict, "Another deck already has the id %q: change this deck's id in its front matter and upload it again before moving it.", slug)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE decks SET group_id = ?, owner_id = NULL, slug = ?, updated_at = ? WHERE id = ?`, toGroup, slug, db.now(), d.ID); err != nil {
			return err
		}
		return recordChange(ctx, tx, d.ID, u.ID, db.now(), "moved", ImportResult{}, fmt.Sprintf("from %s to the group %s", from, target.Name))
	})
}

// keepReaders lets every member of group keep reading and studying deck
// after it leaves the group.
func keepReaders(ctx context.Context, tx *sqlx.Tx, deckID, groupID, now int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO deck_readers (user_id, deck_id, since) SELECT user_id, ?, ? FROM group_members WHERE group_id = ?
		ON CONFLICT (user_id, deck_id) DO NOTHING`, deckID, now, groupID)
	return err
}

// privateSlug is the address of a user's private deck: the owner's own
// namespace, so a private deck's id is never in anyone else's way.
func privateSlug(ownerID int64, id string) string { return fmt.Sprintf("u%d-%s", ownerID, id) }

// privateSlugPattern matches the addresses private decks have.
var privateSlugPattern = regexp.MustCompile(`^u[0-9]+-`)
