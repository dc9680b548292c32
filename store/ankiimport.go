package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"net/url"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/flashd/flashd/decks"
	"github.com/flashd/flashd/decks/anki"
	"github.com/flashd/flashd/srs"
)

// AnkiImport says where the decks of an Anki collection go and whose
// review history comes with them.
type AnkiImport struct {
	// ImportOptions place the decks (public, a group's or a user's
	// private decks) and name who imports them.
	ImportOptions
	// Learner, when set, gets the collection's review history: each
	// card's ratings are replayed through the learner's scheduler, and
	// suspended, buried and flagged cards stay so. Cards the learner has
	// already studied here keep their schedule here.
	Learner *User
	// Limits bound each deck's Markdown (zero: no cap, as for the
	// operator).
	Limits decks.Limits
}

// AnkiDeckResult is what the import did with one Anki deck.
type AnkiDeckResult struct {
	Name string // the Anki deck's name
	ImportResult
	// Markdown is the deck as flashd keeps it: the file to edit and
	// upload again.
	Markdown []byte
	// Reviews counts the ratings added to the learner's log; Kept those
	// left out because the learner had already studied the card here.
	Reviews, Kept int
	// Media counts the media files stored with the deck.
	Media int
}

// AnkiImportResult is what ImportAnki did.
type AnkiImportResult struct {
	Decks []AnkiDeckResult
	// Refusals name each note left out, and why.
	Refusals []anki.Refusal
	// Warnings name what else did not come across (media flashd does not
	// keep, reviews it cannot replay).
	Warnings []string
}

// ImportAnki brings the decks of an Anki collection in, in one
// transaction: each deck becomes a flashd deck written as Markdown
// (anki.Markdown) and imported like an upload, with the media its cards
// show; with opt.Learner, the learner's ratings follow. Re-importing the
// same collection updates the same decks and cards (keys come from the
// notes' GUIDs), never duplicates them. Notes that cannot come across are
// listed in the result; anything else that fails imports nothing.
func (db *DB) ImportAnki(ctx context.Context, c *anki.Collection, opt AnkiImport) (AnkiImportResult, error) {
	var res AnkiImportResult
	files, refusals := anki.Markdown(c, opt.Limits)
	res.Refusals = refusals
	if len(files) == 0 {
		return res, Errorf(EInvalid, "The package holds no deck with cards flashd can import.")
	}
	type parsed struct {
		file  anki.DeckFile
		deck  *decks.Deck
		media map[string][]byte
		slug  string
	}
	var all []parsed
	for _, f := range files {
		d, err := decks.ParseContext(ctx, f.Slug+".md", f.Markdown, opt.Limits)
		if err != nil {
			return res, Errorf(EInvalid, "Anki deck %q: %v", f.Name, err)
		}
		media, warnings := deckMediaOf(d, c.Media)
		res.Warnings = append(res.Warnings, prefixAll("deck "+f.Name+": ", warnings)...)
		// The same Markdown with other media must refresh the cards.
		d.Hash = hashWithMedia(d.Hash, media)
		slug := d.ID
		if opt.OwnerID != 0 {
			slug = privateSlug(opt.OwnerID, d.ID)
		}
		all = append(all, parsed{file: f, deck: d, media: media, slug: slug})
	}
	for _, p := range all {
		if err := checkMedia(p.media); err != nil {
			return res, err
		}
	}
	err := db.writeAlone(ctx, func(tx *sqlx.Tx) error {
		res.Decks = res.Decks[:0]
		now := db.now()
		for _, p := range all {
			r := ImportResult{Deck: p.deck.ID, Slug: p.slug}
			o := opt.ImportOptions
			o.Media = p.media
			if err := importDeckTx(ctx, tx, p.deck, o, now, &r); err != nil {
				return err
			}
			dr := AnkiDeckResult{Name: p.file.Name, ImportResult: r, Markdown: p.file.Markdown, Media: len(p.media)}
			if opt.Learner != nil {
				if err := importAnkiHistory(ctx, tx, db.tq(tx), c, p.file, p.slug, opt.Learner, now, &dr, &res.Warnings); err != nil {
					return err
				}
			}
			res.Decks = append(res.Decks, dr)
		}
		return nil
	})
	if err != nil {
		var re *RetireError
		if errors.As(err, &re) || ErrorCode(err) != EInternal {
			return res, err
		}
		return res, fmt.Errorf("import Anki collection: %w", err)
	}
	return res, nil
}

// importAnkiHistory replays the review log of one imported deck's cards
// for the learner.
func importAnkiHistory(ctx context.Context, tx *sqlx.Tx, q cached, c *anki.Collection, f anki.DeckFile, slug string, u *User, now int64, dr *AnkiDeckResult, warnings *[]string) error {
	var rows []struct {
		ID  int64  `db:"id"`
		Key string `db:"card_key"`
	}
	if err := tx.SelectContext(ctx, &rows, `SELECT c.id, c.card_key FROM cards c JOIN decks d ON d.id = c.deck_id
		WHERE d.slug = ? AND c.retired_at IS NULL`, slug); err != nil {
		return err
	}
	byKey := make(map[string]int64, len(rows))
	for _, r := range rows {
		byKey[r.Key] = r.ID
	}
	cardOf := map[int64]int64{} // Anki card id -> flashd card id
	for ankiID, key := range f.Cards {
		if id, ok := byKey[key]; ok {
			cardOf[ankiID] = id
		}
	}
	set := u.Settings()
	marks := map[int64]cardMarks{}
	for _, ac := range c.Cards {
		id, ok := cardOf[ac.ID]
		if !ok {
			continue
		}
		m := cardMarks{Suspended: ac.Queue == -1, Flagged: ac.Flags&7 != 0}
		if ac.Queue == -2 || ac.Queue == -3 {
			// Anki unburies at the next day's start.
			m.BuriedUntil = set.NextDayStart(time.UnixMilli(now)).UnixMilli()
		}
		if m != (cardMarks{}) {
			marks[id] = m
		}
	}
	log, skipped := ankiRatings(c.Revlog, cardOf)
	if skipped > 0 {
		*warnings = append(*warnings, fmt.Sprintf("deck %s: %d review log entries are not ratings flashd replays (manual reschedules, previews without rescheduling) and were left out", f.Name, skipped))
	}
	added, kept, err := importHistoryTx(ctx, tx, q, u, log, marks, true, now)
	if err != nil {
		return err
	}
	dr.Reviews, dr.Kept = added, kept
	return nil
}

// ankiRatings turns Anki review log rows of the mapped cards into
// ratings, as the FSRS optimizer reads Anki's log: a "Forget" (a manual
// entry that set the card back to new) drops the card's earlier ratings;
// other manual and rescheduled entries and reviews in a filtered deck
// that did not reschedule are not ratings and are skipped.
func ankiRatings(revlog []anki.CollectionReview, cardOf map[int64]int64) (log []srs.Logged, skipped int) {
	rows := slices.Clone(revlog)
	slices.SortStableFunc(rows, func(a, b anki.CollectionReview) int { return cmpInt(a.ID, b.ID) })
	byCard := map[int64][]srs.Logged{}
	for _, r := range rows {
		id, ok := cardOf[r.CardID]
		if !ok {
			continue
		}
		switch {
		case r.Type == 4 && r.Ease == 0 && r.Ivl == 0:
			byCard[id] = nil // forgotten: a new card again
			continue
		case r.Ease < 1 || r.Ease > 4 || r.Type >= 4 || r.Type == 3 && r.Factor == 0:
			skipped++
			continue
		}
		byCard[id] = append(byCard[id], srs.Logged{Card: id, Rating: srs.Rating(r.Ease), At: time.UnixMilli(r.ID).UTC()})
	}
	ids := make([]int64, 0, len(byCard))
	for id := range byCard {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		log = append(log, byCard[id]...)
	}
	return log, skipped
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// deckMediaOf picks the media files of a collection that a deck's cards
// show (an image's src or a link's href naming one), saying which it
// cannot keep.
func deckMediaOf(d *decks.Deck, media map[string][]byte) (map[string][]byte, []string) {
	out := map[string][]byte{}
	var warnings []string
	seen := map[string]bool{}
	look := func(s string) {
		for _, m := range mediaAttr.FindAllStringSubmatch(s, -1) {
			v := html.UnescapeString(m[2])
			name := v
			if u, err := url.PathUnescape(v); err == nil {
				name = u
			}
			data, ok := media[name]
			if !ok || seen[name] {
				continue
			}
			seen[name] = true
			switch _, kept := MediaContentType(name); {
			case !kept:
				warnings = append(warnings, fmt.Sprintf("media file %q is not an image or sound flashd serves; it was left out", name))
			case len(data) > MaxMediaFile:
				warnings = append(warnings, fmt.Sprintf("media file %q is larger than %d MiB; it was left out", name, MaxMediaFile>>20))
			default:
				out[name] = data
			}
		}
	}
	for _, c := range d.Cards {
		look(c.FrontHTML)
		look(c.BackHTML)
		look(c.ClozeHTML)
		for _, o := range c.Options {
			look(o.HTML)
		}
	}
	return out, warnings
}

// hashWithMedia mixes the names and contents of a deck's media into its
// source hash.
func hashWithMedia(hash string, media map[string][]byte) string {
	if len(media) == 0 {
		return hash
	}
	names := make([]string, 0, len(media))
	for n := range media {
		names = append(names, n)
	}
	slices.Sort(names)
	h := sha256.New()
	h.Write([]byte(hash))
	for _, n := range names {
		fmt.Fprintf(h, "\x00%s\x00%s", n, mediaSum(media[n]))
	}
	return hex.EncodeToString(h.Sum(nil))
}

func prefixAll(prefix string, ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = prefix + s
	}
	return out
}
