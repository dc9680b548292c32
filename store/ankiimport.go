package store

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
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
// same collection updates the same decks (found by the Anki deck they
// came from, even renamed) and cards (keys come from the notes' GUIDs),
// never duplicates them; a deck of another collection never takes the
// place of one already here. Notes that cannot come across are listed in
// the result; anything else that fails imports nothing.
func (db *DB) ImportAnki(ctx context.Context, c *anki.Collection, opt AnkiImport) (AnkiImportResult, error) {
	var res AnkiImportResult
	files, refusals, err := anki.Markdown(ctx, c, opt.Limits)
	res.Refusals = refusals
	if err != nil {
		return res, err
	}
	if len(files) == 0 {
		return res, Errorf(EInvalid, "The package holds no deck with cards flashd can import.")
	}
	type parsed struct {
		file   anki.DeckFile
		deck   *decks.Deck
		media  map[string][]byte
		slug   string
		origin string
	}
	var all []parsed
	taken := map[string]bool{}
	for _, f := range files {
		origin := ankiOrigin(c, f)
		id, err := db.ankiDeckID(ctx, opt.ImportOptions, origin, f, taken)
		if err != nil {
			return res, err
		}
		if id != f.Slug {
			f.Markdown = bytes.Replace(f.Markdown, []byte("---\nid: "+f.Slug+"\n"), []byte("---\nid: "+id+"\n"), 1)
			f.Slug = id
		}
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
		all = append(all, parsed{file: f, deck: d, media: media, slug: slug, origin: origin})
	}
	for _, p := range all {
		if err := checkMedia(p.media); err != nil {
			return res, err
		}
	}
	var log map[int64][]anki.CollectionReview
	if opt.Learner != nil {
		var warnings []string
		log, warnings = ankiLogByCard(c, db.Now())
		res.Warnings = append(res.Warnings, warnings...)
	}
	readWarnings := len(res.Warnings)
	err = db.writeAlone(ctx, func(tx *sqlx.Tx) error {
		// Afresh on each attempt (PostgreSQL may run this again): the
		// results, the history's warnings, and each deck's copy, whose
		// cards storeMedia rewrites.
		res.Decks = res.Decks[:0]
		res.Warnings = res.Warnings[:readWarnings]
		now := db.now()
		for _, p := range all {
			r := ImportResult{Deck: p.deck.ID, Slug: p.slug}
			o := opt.ImportOptions
			o.Media = p.media
			d := *p.deck
			if err := importDeckTx(ctx, tx, &d, o, now, &r); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE decks SET anki_origin = ? WHERE slug = ?`, p.origin, p.slug); err != nil {
				return err
			}
			dr := AnkiDeckResult{Name: p.file.Name, ImportResult: r, Markdown: p.file.Markdown, Media: len(p.media)}
			if opt.Learner != nil {
				if err := importAnkiHistory(ctx, tx, db.tq(tx), c, log, p.file, p.slug, opt.Learner, now, &dr, &res.Warnings); err != nil {
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

// ankiOrigin names the Anki deck a deck file came from: the collection
// (its creation time) and the deck's id in it, which stay when the deck
// is renamed; a notes file has neither, so its deck is known by name.
func ankiOrigin(c *anki.Collection, f anki.DeckFile) string {
	if c.Created.IsZero() {
		return "text:" + f.Name
	}
	return fmt.Sprintf("anki:%d:%d", c.Created.Unix(), f.AnkiDeckID)
}

// ankiDeckID chooses the deck id (front matter id) an Anki deck is
// imported under: that of the deck in the same place (public, the group,
// the owner's) that came from the same Anki deck; else that of the deck
// there with the id the file proposes if the two share a card (a notes
// file, which names its deck only by name, often Anki's "Default", or a
// package of the same notes); else the proposed id, with "-2", "-3"...
// when a deck here (or another deck of this import, in taken) already
// has it, so that an import never replaces an unrelated deck.
func (db *DB) ankiDeckID(ctx context.Context, opt ImportOptions, origin string, f anki.DeckFile, taken map[string]bool) (string, error) {
	local := func(slug string) string {
		if opt.OwnerID != 0 {
			return strings.TrimPrefix(slug, privateSlug(opt.OwnerID, ""))
		}
		return slug
	}
	full := func(id string) string {
		if opt.OwnerID != 0 {
			return privateSlug(opt.OwnerID, id)
		}
		return id
	}
	var candidates []string
	if err := db.ro.SelectContext(ctx, &candidates, `SELECT slug FROM decks WHERE anki_origin = ?
		AND COALESCE(owner_id, 0) = ? AND COALESCE(group_id, 0) = ? ORDER BY id`, origin, opt.OwnerID, opt.GroupID); err != nil {
		return "", fmt.Errorf("find imported deck: %w", err)
	}
	// A collection's creation time is a day, not a unique stamp (genanki
	// writes the same one into every package): an origin match is trusted
	// as is only under the same title; otherwise the decks must share a
	// card.
	for _, slug := range candidates {
		var title string
		if err := db.ro.GetContext(ctx, &title, `SELECT title FROM decks WHERE slug = ?`, slug); err != nil {
			return "", fmt.Errorf("find imported deck: %w", err)
		}
		if id := local(slug); !taken[id] && title == f.Name && !strings.HasPrefix(origin, "text:") {
			taken[id] = true
			return id, nil
		}
	}
	var same []string
	if err := db.ro.SelectContext(ctx, &same, `SELECT slug FROM decks WHERE slug = ?
		AND COALESCE(owner_id, 0) = ? AND COALESCE(group_id, 0) = ?`, full(f.Slug), opt.OwnerID, opt.GroupID); err != nil {
		return "", fmt.Errorf("find imported deck: %w", err)
	}
	mine := make(map[string]bool, len(f.Cards))
	for _, k := range f.Cards {
		mine[k] = true
	}
	for _, slug := range append(candidates, same...) {
		var keys []string
		if err := db.ro.SelectContext(ctx, &keys, `SELECT c.card_key FROM cards c JOIN decks d ON d.id = c.deck_id WHERE d.slug = ?`, slug); err != nil {
			return "", fmt.Errorf("find imported deck: %w", err)
		}
		if id := local(slug); !taken[id] && slices.ContainsFunc(keys, func(k string) bool { return mine[k] }) {
			taken[id] = true
			return id, nil
		}
	}
	for n := 1; n < 1000; n++ {
		id := f.Slug
		if n > 1 {
			suffix := fmt.Sprintf("-%d", n)
			id = strings.TrimRight(f.Slug[:min(len(f.Slug), 64-len(suffix))], "-") + suffix
		}
		if taken[id] {
			continue
		}
		var exists int
		if err := db.ro.GetContext(ctx, &exists, `SELECT COUNT(*) FROM decks WHERE slug = ?`, full(id)); err != nil {
			return "", fmt.Errorf("find free deck id: %w", err)
		}
		if exists == 0 {
			taken[id] = true
			return id, nil
		}
	}
	return "", Errorf(EConflict, "No free deck id for %q.", f.Slug)
}

// importAnkiHistory replays the review log of one imported deck's cards
// for the learner. A card whose note the learner has already studied
// here, in this deck or any other (a deck moved or renamed in Anki, an
// export of a flashd deck imported back), keeps its schedule here: its
// Anki ratings are not replayed twice.
func importAnkiHistory(ctx context.Context, tx *sqlx.Tx, q cached, c *anki.Collection, log map[int64][]anki.CollectionReview, f anki.DeckFile, slug string, u *User, now int64, dr *AnkiDeckResult, warnings *[]string) error {
	var rows []struct {
		ID        int64  `db:"id"`
		Key       string `db:"card_key"`
		GUID      string `db:"guid"`
		Cloze     int    `db:"cloze"`
		Elsewhere bool   `db:"elsewhere"`
	}
	if err := tx.SelectContext(ctx, &rows, `SELECT c.id, c.card_key, c.guid, c.cloze, EXISTS (SELECT 1 FROM cards o JOIN card_states s ON s.card_id = o.id
			WHERE s.user_id = ? AND s.phase <> 0 AND o.guid = c.guid AND o.cloze = c.cloze AND o.id <> c.id) AS elsewhere
		FROM cards c JOIN decks d ON d.id = c.deck_id WHERE d.slug = ? AND c.retired_at IS NULL`, u.ID, slug); err != nil {
		return err
	}
	byKey := make(map[string]int64, len(rows))
	elsewhere := map[int64]bool{}
	for _, r := range rows {
		byKey[r.Key] = r.ID
		if r.Elsewhere {
			elsewhere[r.ID] = true
		}
	}
	cardOf := map[int64]int64{} // Anki card id -> flashd card id
	for ankiID, key := range f.Cards {
		if id, ok := byKey[key]; ok {
			cardOf[ankiID] = id
		}
	}
	set := u.Settings()
	marks := map[int64]cardMarks{}
	var ratings []srs.Logged
	unscheduled := 0
	ankiIDs := make([]int64, 0, len(cardOf))
	for id := range cardOf {
		ankiIDs = append(ankiIDs, id)
	}
	slices.Sort(ankiIDs)
	cards := make(map[int64]*anki.CollectionCard, len(c.Cards))
	for i := range c.Cards {
		cards[c.Cards[i].ID] = &c.Cards[i]
	}
	for _, ankiID := range ankiIDs {
		id := cardOf[ankiID]
		if elsewhere[id] {
			dr.Kept += len(log[ankiID])
			continue
		}
		ac := cards[ankiID]
		m := cardMarks{Suspended: ac.Queue == -1, Flagged: ac.Flags&7 != 0}
		if ac.Queue == -2 || ac.Queue == -3 {
			// Anki unburies at the next day's start.
			m.BuriedUntil = set.NextDayStart(time.UnixMilli(now)).UnixMilli()
		}
		if m != (cardMarks{}) {
			marks[id] = m
		}
		rs := log[ankiID]
		if len(rs) == 0 && ac.Type != 0 {
			unscheduled++
		}
		for _, r := range rs {
			ratings = append(ratings, srs.Logged{Card: id, Rating: srs.Rating(r.Ease), At: time.UnixMilli(r.ID).UTC()})
		}
	}
	if unscheduled > 0 {
		*warnings = append(*warnings, fmt.Sprintf("deck %s: %d cards had a schedule in Anki but no review log to rebuild it from; they start as new", f.Name, unscheduled))
	}
	added, kept, err := importHistoryTx(ctx, tx, q, u, ratings, marks, true, now)
	if err != nil {
		return err
	}
	dr.Reviews, dr.Kept = added, dr.Kept+kept
	return nil
}

// ankiLogByCard turns Anki's review log into each card's ratings, oldest
// first, as Anki's FSRS reads its log: a "Forget" (a manual entry with no
// ease factor) drops the card's earlier ratings; other manual and
// rescheduled entries, and reviews in a filtered deck that did not
// reschedule, are not ratings. A rating timed before 2001 or after now
// (a wrong clock) cannot be replayed and is left out. A collection of
// Anki's first scheduler counts learning-step buttons one fewer: its
// ease 2 and 3 there are Good and Easy, as Anki's upgrade reads them.
func ankiLogByCard(c *anki.Collection, now time.Time) (map[int64][]anki.CollectionReview, []string) {
	rows := slices.Clone(c.Revlog)
	slices.SortStableFunc(rows, func(a, b anki.CollectionReview) int { return cmp.Compare(a.ID, b.ID) })
	earliest := time.Date(2001, 9, 9, 0, 0, 0, 0, time.UTC).UnixMilli()
	latest := now.Add(time.Minute).UnixMilli()
	byCard := map[int64][]anki.CollectionReview{}
	skipped, outOfTime := 0, 0
	// Anki 2.1.0-2.1.43 wrote schedVer 1 into every exported
	// collection.anki21, even from a V2 collection: only a legacy 1
	// package's is trusted, and only with scheduled cards (Anki upgrades
	// only then).
	v1 := c.SchedulerV1 && c.Format == "collection.anki2" &&
		slices.ContainsFunc(c.Cards, func(card anki.CollectionCard) bool { return card.Queue != 0 })
	for _, r := range rows {
		switch {
		case r.Type == 4 && r.Factor == 0:
			byCard[r.CardID] = nil // forgotten: a new card again
			continue
		case r.Ease < 1 || r.Ease > 4 || r.Type >= 4 || r.Type == 3 && r.Factor == 0:
			skipped++
			continue
		case r.ID < earliest || r.ID > latest:
			outOfTime++
			continue
		}
		if v1 && (r.Type == 0 || r.Type == 2) && (r.Ease == 2 || r.Ease == 3) {
			r.Ease++
		}
		byCard[r.CardID] = append(byCard[r.CardID], r)
	}
	var warnings []string
	if skipped > 0 {
		warnings = append(warnings, fmt.Sprintf("%d review log entries are not ratings flashd replays (manual reschedules, previews without rescheduling) and were left out", skipped))
	}
	if outOfTime > 0 {
		warnings = append(warnings, fmt.Sprintf("%d reviews are dated before 2001 or in the future (a wrong clock) and were left out", outOfTime))
	}
	return byCard, warnings
}

// deckMediaOf picks the media files of a collection that a deck's cards
// show (an image's src or a link's href naming one), saying which it
// cannot keep.
func deckMediaOf(d *decks.Deck, media map[string][]byte) (map[string][]byte, []string) {
	out := map[string][]byte{}
	var warnings []string
	seen := map[string]bool{}
	look := func(s string) {
		for _, name := range slices.Sorted(maps.Keys(mediaNames(s))) {
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
