package store

import (
	"bytes"
	"context"
	"encoding/base64"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flashd/flashd/decks"
	"github.com/flashd/flashd/decks/anki"
	"github.com/flashd/flashd/srs"
)

// tripDeck has every kind of card an Anki package carries both ways:
// basic cards in two sections, a two-card cloze note with a hint, an
// image the server holds and code with braces.
const tripDeck = `---
id: trip
title: "Round trip: ECS"
tags: [aws, dva-c02]
---
## Key takeaways

### What does a task definition describe? {#task-def}
The blueprint of a task: image, **CPU** and memory.

![diagram](diagram.png)

### ECR push flow {#push}
Authenticate with {{c1::aws ecr get-login-password::command}}, then {{c2::docker push}} the image.

### Which Go literal is an empty map?
` + "`map[string]int{}`" + ` — braces and all.

## Traps

### An image pull fails before your code runs: which role?
The **task execution role**, not the task role.
`

// onePixelPNG is a 1x1 PNG.
var onePixelPNG, _ = base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")

// studyFor has u study every due card for days simulated days, with
// ratings drawn from a fixed seed, moving the clock a few hours a step.
func studyFor(t *testing.T, db *DB, u *User, clock *time.Time, days int) int {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 11))
	rated := 0
	for day := 0; day < days; day++ {
		for step := 0; step < 20; step++ {
			q := next(t, db, u, Filter{})
			if q.Card == nil {
				break
			}
			r := srs.Rating(1 + rng.IntN(4))
			if rng.IntN(3) > 0 {
				r = srs.Good
			}
			rate(t, db, u, q.Card, r)
			rated++
			*clock = clock.Add(time.Duration(1+rng.IntN(20)) * time.Minute)
		}
		*clock = clock.Add(24 * time.Hour)
	}
	return rated
}

// stateOf is a card's stored schedule by GUID and cloze number.
type cardSchedule struct {
	State      srs.State
	Suspended  bool
	Flagged    bool
	Buried     bool
	Front      string
	Back       string
	Reviews    int
	Kind       decks.Kind
	Type       decks.Type
	GUIDAndNum string
}

func schedules(t *testing.T, db *DB, u *User, slug string) map[string]cardSchedule {
	t.Helper()
	ctx := context.Background()
	d, err := db.DeckBySlug(ctx, u, slug)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := db.Cards(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]cardSchedule{}
	for _, c := range cs {
		var st CardState
		err := db.ro.Get(&st, `SELECT `+stateColumns+` FROM card_states WHERE user_id = ? AND card_id = ?`, u.ID, c.ID)
		if err != nil {
			st = CardState{}
		}
		key := c.GUID + "/" + string(rune('0'+c.Cloze))
		out[key] = cardSchedule{State: st.SRS(), Suspended: st.Suspended, Flagged: st.Flagged, Buried: st.BuriedUntil > db.now(),
			Front: unrewriteMedia(c.FrontHTML), Back: unrewriteMedia(c.BackHTML), Kind: c.Kind, Type: c.Type, GUIDAndNum: key,
			Reviews: countRows(t, db, `SELECT COUNT(*) FROM reviews WHERE user_id = ? AND card_id = ? AND undone_at IS NULL`, u.ID, c.ID)}
	}
	return out
}

// TestAnkiRoundTrip exports a deck with a learner's history to .apkg,
// imports the package into a fresh database for a new learner, and gets
// the same cards, the same FSRS states and the same review counts back;
// importing it again changes nothing.
func TestAnkiRoundTrip(t *testing.T) {
	ctx := context.Background()
	db1, alice, _, clock := reviewSetup(t)
	if _, err := db1.ImportDeck(ctx, parse(t, tripDeck), ImportOptions{Media: map[string][]byte{"diagram.png": onePixelPNG}}); err != nil {
		t.Fatal(err)
	}
	if n := studyFor(t, db1, alice, clock, 40); n < 30 {
		t.Fatalf("only %d ratings in 40 days", n)
	}
	before := schedules(t, db1, alice, "trip")
	var ids []int64
	d1, _ := db1.DeckBySlug(ctx, alice, "trip")
	cs1, _ := db1.Cards(ctx, d1.ID)
	for _, c := range cs1 {
		ids = append(ids, c.ID)
	}
	if err := db1.Act(ctx, alice, ids[0], ActionSuspend); err != nil {
		t.Fatal(err)
	}
	if err := db1.Act(ctx, alice, ids[1], ActionFlag); err != nil {
		t.Fatal(err)
	}
	before = schedules(t, db1, alice, "trip")

	e, err := db1.AnkiExport(ctx, d1, alice)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Media) != 1 || !bytes.Equal(e.Media["diagram.png"], onePixelPNG) {
		t.Fatalf("export media = %v, want diagram.png", e.Media)
	}
	var pkg bytes.Buffer
	if err := anki.WritePackage(&pkg, e); err != nil {
		t.Fatal(err)
	}
	coll, err := anki.ReadPackage(bytes.NewReader(pkg.Bytes()), int64(pkg.Len()), anki.DefaultReadLimits)
	if err != nil {
		t.Fatal(err)
	}

	db2 := openTestDB(t)
	db2.Now = db1.Now
	carol, err := db2.CreateUser(ctx, "carol", "carol-secret-1", false, SignUpByAdmin)
	if err != nil {
		t.Fatal(err)
	}
	res, err := db2.ImportAnki(ctx, coll, AnkiImport{ImportOptions: ImportOptions{OwnerID: carol.ID}, Learner: carol})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Refusals) != 0 || len(res.Decks) != 1 {
		t.Fatalf("import: %d decks, refusals %v", len(res.Decks), res.Refusals)
	}
	dr := res.Decks[0]
	after := schedules(t, db2, carol, dr.Slug)
	if len(after) != len(before) {
		t.Fatalf("%d cards after the round trip, want %d", len(after), len(before))
	}
	totalBefore, totalAfter := 0, 0
	for key, b := range before {
		a, ok := after[key]
		if !ok {
			t.Errorf("card %s (%s) is missing after the round trip", key, b.Front)
			continue
		}
		totalBefore += b.Reviews
		totalAfter += a.Reviews
		if a.Front != b.Front || a.Back != b.Back || a.Kind != b.Kind || a.Type != b.Type {
			t.Errorf("card %s content changed:\n front %q\n    -> %q\n back  %q\n    -> %q\n kind %s -> %s, type %s -> %s", key, b.Front, a.Front, b.Back, a.Back, b.Kind, a.Kind, b.Type, a.Type)
		}
		if a.Reviews != b.Reviews || a.Suspended != b.Suspended || a.Flagged != b.Flagged {
			t.Errorf("card %s: reviews %d -> %d, suspended %v -> %v, flagged %v -> %v", key, b.Reviews, a.Reviews, b.Suspended, a.Suspended, b.Flagged, a.Flagged)
		}
		bs, as := b.State, a.State
		if as.Phase != bs.Phase || !as.Due.Equal(bs.Due) || !as.LastReview.Equal(bs.LastReview) || as.Reps != bs.Reps ||
			as.Lapses != bs.Lapses || as.ScheduledDays != bs.ScheduledDays || as.RemainingSteps != bs.RemainingSteps ||
			math.Abs(as.Stability-bs.Stability) > 1e-6 || math.Abs(as.Difficulty-bs.Difficulty) > 1e-6 {
			t.Errorf("card %s state changed:\n %+v\n-> %+v", key, bs, as)
		}
	}
	if totalAfter != totalBefore || totalBefore == 0 || dr.Reviews != totalBefore {
		t.Errorf("reviews: %d before, %d after, %d replayed", totalBefore, totalAfter, dr.Reviews)
	}
	if dr.Media != 1 {
		t.Errorf("media stored = %d, want 1", dr.Media)
	}
	// The image is served from the new deck to its owner only.
	var img string
	for _, c := range after {
		if strings.Contains(c.Back, "diagram.png") {
			img = c.Back
		}
	}
	if img == "" {
		t.Fatal("no card shows the image")
	}
	d2, err := db2.DeckBySlug(ctx, carol, dr.Slug)
	if err != nil {
		t.Fatal(err)
	}
	media, err := db2.DeckMedia(ctx, d2.ID)
	if err != nil || !bytes.Equal(media["diagram.png"], onePixelPNG) {
		t.Fatalf("deck media = %v, %v", media, err)
	}
	ct, data, err := db2.Media(ctx, carol, mediaSum(onePixelPNG), "diagram.png")
	if err != nil || ct != "image/png" || !bytes.Equal(data, onePixelPNG) {
		t.Errorf("Media = %q, %d bytes, %v", ct, len(data), err)
	}
	dave, _ := db2.CreateUser(ctx, "dave", "dave-secret-1", false, SignUpByAdmin)
	if _, _, err := db2.Media(ctx, dave, mediaSum(onePixelPNG), "diagram.png"); ErrorCode(err) != ENotFound {
		t.Errorf("another user gets a private deck's media: %v", err)
	}

	// The Markdown handed back is the deck's source and imports alone.
	src, err := db2.DeckSource(ctx, d2)
	if err != nil || src != string(dr.Markdown) {
		t.Errorf("deck source differs from the Markdown handed back (%v)", err)
	}
	if _, err := decks.Parse("back.md", dr.Markdown); err != nil {
		t.Errorf("the Markdown handed back does not parse: %v", err)
	}

	// The same package again: no card, review or deck added.
	again, err := db2.ImportAnki(ctx, coll, AnkiImport{ImportOptions: ImportOptions{OwnerID: carol.ID}, Learner: carol})
	if err != nil {
		t.Fatal(err)
	}
	if g := again.Decks[0]; g.Added != 0 || g.Reviews != 0 || g.Slug != dr.Slug || g.Kept != totalBefore {
		t.Errorf("re-import: %+v", g.ImportResult)
	}
	if !reflect.DeepEqual(schedules(t, db2, carol, dr.Slug), after) {
		t.Error("re-importing the package changed the cards or their schedules")
	}
	if n := countRows(t, db2, `SELECT COUNT(*) FROM decks WHERE owner_id = ?`, carol.ID); n != 1 {
		t.Errorf("carol has %d decks after two imports, want 1", n)
	}
	// Exporting the imported deck gives Anki the same notes again, so
	// Anki updates the ones it has instead of adding copies.
	e2, err := db2.AnkiExport(ctx, d2, carol)
	if err != nil {
		t.Fatal(err)
	}
	if n1, n2 := anki.Notes(e.Deck), anki.Notes(e2.Deck); !sameNotes(n1, n2) {
		t.Errorf("notes after the round trip differ:\n%+v\n%+v", n1, n2)
	}
}

// sameNotes compares notes by GUID, type and fields (the deck name
// follows the title, which the round trip keeps too).
func sameNotes(a, b []anki.Note) bool {
	if len(a) != len(b) {
		return false
	}
	byGUID := map[string]anki.Note{}
	for _, n := range a {
		byGUID[n.GUID] = n
	}
	for _, n := range b {
		m, ok := byGUID[n.GUID]
		if !ok || m.NoteType != n.NoteType || m.Fields != n.Fields || m.Deck != n.Deck || !slices.Equal(m.Tags, n.Tags) {
			return false
		}
	}
	return true
}

// TestImportAnkiHistoryRules: what a real Anki log holds besides
// ratings. A "Forget" starts the card over, manual reschedules and
// previews that did not reschedule are left out with a warning,
// suspended, buried and flagged cards stay so, a card the learner
// already studied here keeps its schedule here, and a note that cannot
// come across is named while the rest imports.
func TestImportAnkiHistoryRules(t *testing.T) {
	ctx := context.Background()
	db, alice, _, clock := reviewSetup(t)
	day := func(d int) int64 { return clock.Add(time.Duration(d-60) * 24 * time.Hour).UnixMilli() }
	coll := &anki.Collection{
		Decks:     map[int64]anki.CollectionDeck{1: {ID: 1, Name: "Spanish::Verbs"}},
		Notetypes: map[int64]anki.Notetype{1: {ID: 1, Name: "Basic", Fields: []string{"Front", "Back"}}},
		Notes: []anki.CollectionNote{
			{ID: 1, GUID: "guid-00001", NotetypeID: 1, Fields: []string{"hablar", "to speak"}},
			{ID: 2, GUID: "guid-00002", NotetypeID: 1, Fields: []string{"comer", "to eat"}},
			{ID: 3, GUID: "guid-00003", NotetypeID: 1, Fields: []string{"vivir", "to live"}},
			{ID: 4, GUID: "guid-00004", NotetypeID: 1, Fields: []string{"ser", ""}}, // no back: refused
		},
		Cards: []anki.CollectionCard{
			{ID: 11, NoteID: 1, DeckID: 1, Type: 2, Queue: -1},           // suspended
			{ID: 12, NoteID: 2, DeckID: 1, Type: 2, Queue: -3, Flags: 1}, // buried, red flag
			{ID: 13, NoteID: 3, DeckID: 1, Type: 2, Queue: 2},
			{ID: 14, NoteID: 4, DeckID: 1},
		},
		Revlog: []anki.CollectionReview{
			{ID: day(0), CardID: 11, Ease: 3, Type: 0},
			{ID: day(1), CardID: 11, Ease: 3, Type: 0},
			{ID: day(5), CardID: 11, Ease: 0, Type: 4, Ivl: 0}, // Forget: starts over
			{ID: day(6), CardID: 11, Ease: 4, Type: 0},
			{ID: day(0), CardID: 12, Ease: 3, Type: 0},
			{ID: day(3), CardID: 12, Ease: 0, Type: 4, Ivl: 20, Factor: 2500}, // set due date: not a rating
			{ID: day(4), CardID: 12, Ease: 3, Type: 3, Factor: 0},             // preview: not a rating
			{ID: day(9), CardID: 12, Ease: 2, Type: 1, Factor: 2500},
			{ID: day(0), CardID: 13, Ease: 1, Type: 0},
			{ID: day(0) + 60_000, CardID: 13, Ease: 3, Type: 0},
		},
	}
	res, err := db.ImportAnki(ctx, coll, AnkiImport{ImportOptions: ImportOptions{OwnerID: alice.ID}, Learner: alice})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Decks) != 1 || res.Decks[0].Added != 3 || res.Decks[0].Reviews != 5 {
		t.Fatalf("import: %+v, %d reviews, warnings %q", res.Decks, res.Decks[0].Reviews, res.Warnings)
	}
	if len(res.Refusals) != 1 || res.Refusals[0].NoteID != 4 || !strings.Contains(res.Refusals[0].Reason, "back is empty") {
		t.Errorf("refusals: %v", res.Refusals)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "2 review log entries") {
		t.Errorf("warnings: %q", res.Warnings)
	}
	slug := res.Decks[0].Slug
	if !strings.HasPrefix(slug, "u") || !strings.Contains(slug, "anki-spanish-verbs") {
		t.Errorf("slug %q: want alice's private anki-spanish-verbs", slug)
	}
	got := schedules(t, db, alice, slug)
	g1, g2, g3 := got["guid-00001/0"], got["guid-00002/0"], got["guid-00003/0"]
	if !g1.Suspended || g1.Reviews != 1 || g1.State.Reps != 1 {
		t.Errorf("forgotten, suspended card: %+v", g1)
	}
	if !g2.Buried || !g2.Flagged || g2.Suspended || g2.Reviews != 2 {
		t.Errorf("buried, flagged card: %+v", g2)
	}
	if g3.Reviews != 2 || g3.State.Lapses != 0 || g3.State.Phase == srs.New {
		t.Errorf("plain card: %+v", g3)
	}
	// The cards' GUIDs are Anki's: an export updates the same notes.
	if d, _ := db.DeckBySlug(ctx, alice, slug); d != nil {
		deck, err := db.AnkiDeck(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range deck.Cards {
			if c.GUID != "guid-00001" && c.GUID != "guid-00002" && c.GUID != "guid-00003" {
				t.Errorf("exported GUID %q is not Anki's", c.GUID)
			}
		}
	}

	// Alice studies vivir here, then imports the package again: her
	// flashd schedule of it stands, nothing is added twice.
	q := next(t, db, alice, Filter{Deck: slug})
	for i := 0; i < 400 && (q.Card == nil || q.Card.GUID != "guid-00003"); i++ {
		if q.Card != nil {
			rate(t, db, alice, q.Card, srs.Good) // another card first
		} else {
			*clock = clock.Add(24 * time.Hour)
		}
		q = next(t, db, alice, Filter{Deck: slug})
	}
	if q.Card == nil {
		t.Fatal("vivir never came due")
	}
	rate(t, db, alice, q.Card, srs.Easy)
	studied := schedules(t, db, alice, slug)["guid-00003/0"]
	again, err := db.ImportAnki(ctx, coll, AnkiImport{ImportOptions: ImportOptions{OwnerID: alice.ID}, Learner: alice})
	if err != nil {
		t.Fatal(err)
	}
	if d := again.Decks[0]; d.Added != 0 || d.Reviews != 0 || d.Kept != 5 {
		t.Errorf("re-import: %+v", d)
	}
	if after := schedules(t, db, alice, slug)["guid-00003/0"]; !reflect.DeepEqual(after, studied) {
		t.Errorf("re-import changed a card studied here:\n%+v\n%+v", studied, after)
	}

	// A collection with nothing flashd can take imports nothing.
	empty := &anki.Collection{Decks: coll.Decks, Notetypes: coll.Notetypes, Notes: coll.Notes[3:], Cards: coll.Cards[3:]}
	if _, err := db.ImportAnki(ctx, empty, AnkiImport{ImportOptions: ImportOptions{OwnerID: alice.ID}}); ErrorCode(err) != EInvalid {
		t.Errorf("empty collection: %v", err)
	}
}

// basicCollection is a collection of one deck of basic notes, one card
// each, made at created.
func basicCollection(created time.Time, deckID int64, deckName string, guids ...string) *anki.Collection {
	c := &anki.Collection{Created: created,
		Decks:     map[int64]anki.CollectionDeck{deckID: {ID: deckID, Name: deckName}},
		Notetypes: map[int64]anki.Notetype{1: {ID: 1, Name: "Basic", Fields: []string{"Front", "Back"}}},
	}
	for i, g := range guids {
		id := int64(i + 1)
		c.Notes = append(c.Notes, anki.CollectionNote{ID: id, GUID: g, NotetypeID: 1, Fields: []string{"Question " + g + "?", "Answer " + g + "."}})
		c.Cards = append(c.Cards, anki.CollectionCard{ID: id, NoteID: id, DeckID: deckID})
	}
	return c
}

// TestImportAnkiDeckIdentity: a deck is known by the Anki deck it came
// from. Two collections' "Default" decks stay two decks (neither retires
// the other's cards); a deck renamed in Anki updates in place; a notes
// file updates the deck of its name only when it is a version of it; a
// note moved to another Anki deck does not get its history twice.
func TestImportAnkiDeckIdentity(t *testing.T) {
	ctx := context.Background()
	db, alice, _, clock := reviewSetup(t)
	imp := func(c *anki.Collection, learner *User) AnkiDeckResult {
		t.Helper()
		res, err := db.ImportAnki(ctx, c, AnkiImport{ImportOptions: ImportOptions{OwnerID: alice.ID}, Learner: learner})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Decks) != 1 {
			t.Fatalf("%d decks", len(res.Decks))
		}
		return res.Decks[0]
	}
	t1, t2 := clock.Add(-900*24*time.Hour), clock.Add(-800*24*time.Hour)
	a := basicCollection(t1, 1, "Default", "guid-aaaa1", "guid-aaaa2")
	a.Notes[0].Tags = []string{"verb", "irregular", "trap"}
	a.Revlog = []anki.CollectionReview{{ID: clock.Add(-48 * time.Hour).UnixMilli(), CardID: 1, Ease: 3}}
	b := basicCollection(t2, 1, "Default", "guid-bbbb1")
	da, db2 := imp(a, alice), imp(b, alice)
	if da.Slug == db2.Slug || da.Added != 2 || db2.Added != 1 || db2.Retired != 0 {
		t.Fatalf("two collections' Default decks: %+v and %+v", da.ImportResult, db2.ImportResult)
	}
	if n := countRows(t, db, `SELECT COUNT(*) FROM cards c JOIN decks d ON d.id = c.deck_id WHERE d.slug = ? AND c.retired_at IS NULL`, da.Slug); n != 2 {
		t.Errorf("the first Default deck has %d active cards after the second import, want 2", n)
	}
	// A note's own tags come back in the export.
	dA, _ := db.DeckBySlug(ctx, alice, da.Slug)
	deckA, err := db.AnkiDeck(ctx, dA)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range anki.Notes(deckA) {
		if want := []string{"verb", "irregular", "trap", "section::Traps"}; n.GUID == "guid-aaaa1" && !slices.Equal(n.Tags, want) {
			t.Errorf("exported tags %q, want %q (the note's tags, then its kind and section)", n.Tags, want)
		}
	}

	renamed := basicCollection(t1, 1, "Spanish", "guid-aaaa1", "guid-aaaa2")
	renamed.Revlog = a.Revlog
	if r := imp(renamed, alice); r.Slug != da.Slug || r.Added != 0 || r.Retired != 0 || r.Reviews != 0 {
		t.Errorf("renamed deck: %+v, reviews %d; want the same deck %s, nothing added", r.ImportResult, r.Reviews, da.Slug)
	}
	if d, err := db.DeckBySlug(ctx, alice, da.Slug); err != nil || d.Title != "Spanish" {
		t.Errorf("renamed deck's title: %v %v", d, err)
	}

	// The note moves to another deck of the same collection: its card
	// there is new to flashd, but its history came in already.
	moved := basicCollection(t1, 2, "Moved", "guid-aaaa1")
	moved.Revlog = a.Revlog
	if r := imp(moved, alice); r.Added != 1 || r.Reviews != 0 || r.Kept != 1 {
		t.Errorf("moved note: %+v, reviews %d, kept %d", r.ImportResult, r.Reviews, r.Kept)
	}
	if h, _ := db.ReviewHistory(ctx, alice); len(h) != 1 {
		t.Errorf("alice has %d ratings after the imports, want 1", len(h))
	}

	text := func(rows ...string) *anki.Collection {
		c, err := anki.ReadText([]byte("#separator:tab\n#html:true\n" + strings.Join(rows, "\n") + "\n"))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	t1a := imp(text("one\tuno", "two\tdos"), nil)
	t2a := imp(text("red\trojo"), nil)
	if t1a.Slug == t2a.Slug || t2a.Retired != 0 {
		t.Errorf("two unrelated notes files: %+v and %+v", t1a.ImportResult, t2a.ImportResult)
	}
	if r := imp(text("one\tuno", "two\tdos", "three\ttres"), nil); r.Slug != t1a.Slug || r.Added != 1 || r.Retired != 0 {
		t.Errorf("a longer version of the first file: %+v, want it to update %s", r.ImportResult, t1a.Slug)
	}
}

// TestImportAnkiLogQuirks: ratings dated outside what can be replayed
// are left out with a warning, and a first-scheduler collection's
// learning buttons are read as Anki's upgrade reads them.
func TestImportAnkiLogQuirks(t *testing.T) {
	ctx := context.Background()
	db, alice, _, clock := reviewSetup(t)
	c := basicCollection(clock.Add(-100*24*time.Hour), 1, "Old", "guid-old01", "guid-old02")
	c.SchedulerV1, c.Format, c.Cards[1].Queue = true, "collection.anki2", 2 // a legacy 1 package with scheduled cards
	c.Revlog = []anki.CollectionReview{
		{ID: 1000, CardID: 1, Ease: 3},                                            // 1970
		{ID: clock.Add(time.Hour).UnixMilli(), CardID: 1, Ease: 3},                // in the future
		{ID: clock.Add(-72 * time.Hour).UnixMilli(), CardID: 2, Ease: 3},          // learning Good in V1: Easy
		{ID: clock.Add(-24 * time.Hour).UnixMilli(), CardID: 2, Ease: 3, Type: 1}, // review Good stays Good
	}
	res, err := db.ImportAnki(ctx, c, AnkiImport{ImportOptions: ImportOptions{OwnerID: alice.ID}, Learner: alice})
	if err != nil {
		t.Fatal(err)
	}
	if res.Decks[0].Reviews != 2 || !slices.ContainsFunc(res.Warnings, func(w string) bool { return strings.Contains(w, "2 reviews are dated before 2001 or in the future") }) {
		t.Errorf("reviews %d, warnings %q", res.Decks[0].Reviews, res.Warnings)
	}
	var ratings []int
	if err := db.ro.Select(&ratings, `SELECT rating FROM reviews WHERE user_id = ? ORDER BY reviewed_at`, alice.ID); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ratings, []int{4, 3}) {
		t.Errorf("replayed ratings %v, want [4 3] (V1 learning Good is Easy)", ratings)
	}
}

// TestDeckMediaPruned: a media file no card shows any more leaves the
// deck at the next upload, and an export carries only what active cards
// show.
func TestDeckMediaPruned(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	src := "---\nid: pics\ntitle: Pics\n---\n### One?\n![a](a.png)\n\n### Two?\n![b](b.png)\n"
	media := map[string][]byte{"a.png": onePixelPNG, "b.png": append([]byte{}, onePixelPNG...), "c.png": onePixelPNG}
	if _, err := db.ImportDeck(ctx, parse(t, src), ImportOptions{Media: media}); err != nil {
		t.Fatal(err)
	}
	d, err := db.OperatorDeck(ctx, "pics")
	if err != nil {
		t.Fatal(err)
	}
	held := func() []string {
		m, err := db.DeckMedia(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for n := range m {
			names = append(names, n)
		}
		slices.Sort(names)
		return names
	}
	if got := held(); !slices.Equal(got, []string{"a.png", "b.png"}) {
		t.Errorf("held after the first upload: %v, want a.png and b.png (c.png is shown by no card)", got)
	}
	// Card two's image goes; card one is retired but keeps its image.
	edited := "---\nid: pics\ntitle: Pics\n---\n### Two?\nNo picture now.\n"
	if _, err := db.ImportDeck(ctx, parse(t, edited), ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := held(); !slices.Equal(got, []string{"a.png"}) {
		t.Errorf("held after the edit: %v, want a.png only (still shown by the retired card)", got)
	}
	e, err := db.AnkiExport(ctx, d, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Media) != 0 {
		t.Errorf("the export carries %d media files, want none: no active card shows one", len(e.Media))
	}
}
