package store

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/flashd/flashd/srs"
)

// prefsSetup imports the decks "alpha" and "beta" (titles in that order,
// six takeaways each) and creates a learner with roomy daily limits in a
// zone far from UTC.
func prefsSetup(t *testing.T) (*DB, *User, *time.Time) {
	t.Helper()
	db := openTestDB(t)
	clock := time.Date(2026, 3, 7, 18, 0, 0, 0, time.UTC) // 10:00 in Los Angeles
	db.Now = func() time.Time { return clock }
	// Imported beta first: the order must come from the titles (or the
	// learner), not from which deck the server saw first.
	importDeck(t, db, counterDeck("beta", []int{1, 2, 3, 4, 5, 6}))
	importDeck(t, db, counterDeck("alpha", []int{1, 2, 3, 4, 5, 6}))
	u, err := db.CreateUser(context.Background(), "prefs", "prefs-secret", false, SignUpByAdmin)
	if err != nil {
		t.Fatal(err)
	}
	set := u.Settings()
	set.NewPerDay = 50
	if err := db.UpdateSettings(context.Background(), u.ID, "America/Los_Angeles", set); err != nil {
		t.Fatal(err)
	}
	u, _ = db.UserByID(context.Background(), u.ID)
	return db, u, &clock
}

// newDecks rates Easy (out of learning for days) the next n new cards and returns
// the slug of each one's deck.
func newDecks(t *testing.T, db *DB, u *User, f Filter, n int) []string {
	t.Helper()
	var out []string
	for range n {
		q := next(t, db, u, f)
		if q.Card == nil {
			break
		}
		if q.Card.State.Phase != srs.New {
			t.Fatalf("card %q is not new", q.Card.FrontSrc)
		}
		out = append(out, q.Card.DeckSlug)
		rate(t, db, u, q.Card, srs.Easy)
	}
	return out
}

// TestGatherInterleaved: by default new cards come from each deck in
// turn; a learner who chose deck order gets the first deck's first.
func TestGatherInterleaved(t *testing.T) {
	db, u, _ := prefsSetup(t)
	if u.NewGather != srs.GatherInterleaved {
		t.Fatalf("a new learner gathers %v, want interleaved", u.NewGather)
	}
	if got := newDecks(t, db, u, Filter{}, 4); !slices.Equal(got, []string{"alpha", "beta", "alpha", "beta"}) {
		t.Errorf("interleaved: new cards from %v", got)
	}

	set := u.Settings()
	set.Gather = srs.GatherDeckOrder
	if err := db.UpdateSettings(context.Background(), u.ID, "America/Los_Angeles", set); err != nil {
		t.Fatal(err)
	}
	u, _ = db.UserByID(context.Background(), u.ID)
	if got := newDecks(t, db, u, Filter{}, 3); !slices.Equal(got, []string{"alpha", "alpha", "alpha"}) {
		t.Errorf("deck order: new cards from %v", got)
	}
	set.Gather = srs.Gather(7)
	if err := db.UpdateSettings(context.Background(), u.ID, "UTC", set); ErrorCode(err) != EInvalid {
		t.Errorf("an unknown gather order: %v, want EInvalid", err)
	}
}

// TestDeckNewLimit: a deck's own daily limit of new cards holds within the
// overall one, counts the learner's local day, gives way to other decks,
// is undone with an undone rating, and lets the deck go on the next local
// day.
func TestDeckNewLimit(t *testing.T) {
	db, u, clock := prefsSetup(t)
	ctx := context.Background()
	if err := db.SetDeckNewLimit(ctx, u, "alpha", 2); err != nil {
		t.Fatal(err)
	}
	if q := next(t, db, u, Filter{}); q.Counts.New != 2+6 {
		t.Errorf("new cards left %d, want alpha's 2 plus beta's 6", q.Counts.New)
	}
	if q := next(t, db, u, Filter{Deck: "alpha"}); q.Counts.New != 2 {
		t.Errorf("alpha alone: %d new left, want its limit 2", q.Counts.New)
	}
	got := newDecks(t, db, u, Filter{}, 6)
	if want := []string{"alpha", "beta", "alpha", "beta", "beta", "beta"}; !slices.Equal(got, want) {
		t.Errorf("new cards from %v, want %v", got, want)
	}
	q := next(t, db, u, Filter{Deck: "alpha"})
	if q.Counts.New != 0 || (q.Card != nil && q.Card.State.Phase == srs.New) {
		t.Fatalf("alpha at its limit still offers new cards: %+v", q.Counts)
	}
	// Undo the last rating of an alpha card: one alpha card comes back.
	var lastAlpha int64
	if err := db.ro.Get(&lastAlpha, `SELECT r.id FROM reviews r JOIN cards c ON c.id = r.card_id JOIN decks d ON d.id = c.deck_id
		WHERE r.user_id = ? AND d.slug = 'alpha' ORDER BY r.id DESC LIMIT 1`, u.ID); err != nil {
		t.Fatal(err)
	}
	for {
		q := next(t, db, u, Filter{})
		if _, err := db.Undo(ctx, u, q.UndoID); err != nil {
			t.Fatal(err)
		}
		if q.UndoID == lastAlpha {
			break
		}
	}
	if q := next(t, db, u, Filter{Deck: "alpha"}); q.Counts.New != 1 {
		t.Errorf("after undoing an alpha card, %d alpha new left, want 1", q.Counts.New)
	}

	// 19:30 in Los Angeles is 03:30 UTC the next day: still the same
	// local study day, so alpha takes one more and is capped.
	*clock = time.Date(2026, 3, 8, 3, 30, 0, 0, time.UTC)
	newDecks(t, db, u, Filter{Deck: "alpha"}, 1)
	if q := next(t, db, u, Filter{Deck: "alpha"}); q.Counts.New != 0 {
		t.Errorf("same local day: %d alpha new left, want 0", q.Counts.New)
	}
	// After 04:00 local time (05:30 PDT, the clocks went forward) a new
	// study day begins.
	*clock = time.Date(2026, 3, 8, 12, 30, 0, 0, time.UTC)
	if q := next(t, db, u, Filter{Deck: "alpha"}); q.Counts.New != 2 {
		t.Errorf("next local day: %d alpha new, want 2", q.Counts.New)
	}
	if err := db.SetDeckNewLimit(ctx, u, "alpha", -1); err != nil {
		t.Fatal(err)
	}
	if q := next(t, db, u, Filter{Deck: "alpha"}); q.Counts.New != 6-2 {
		t.Errorf("limit removed: %d alpha new, want the 4 left", q.Counts.New)
	}
	if err := db.SetDeckNewLimit(ctx, u, "alpha", MaxDeckNewPerDay+1); ErrorCode(err) != EInvalid {
		t.Errorf("a limit above the maximum: %v", err)
	}
}

// TestDeckOrderAndHide: the learner's order decides Today's list and the
// deck-order gather; a hidden deck leaves Today and "Study now" but its
// own Study still works; another learner is not affected, and a deck the
// learner cannot see is not found.
func TestDeckOrderAndHide(t *testing.T) {
	db, u, _ := prefsSetup(t)
	ctx := context.Background()
	set := u.Settings()
	set.Gather = srs.GatherDeckOrder
	if err := db.UpdateSettings(ctx, u.ID, "UTC", set); err != nil {
		t.Fatal(err)
	}
	u, _ = db.UserByID(ctx, u.ID)
	other, err := db.CreateUser(ctx, "other", "other-secret", false, SignUpByAdmin)
	if err != nil {
		t.Fatal(err)
	}
	order := func(who *User) (shown, hidden []string) {
		t.Helper()
		d, err := db.Dashboard(ctx, who)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range d.Decks {
			shown = append(shown, s.Slug)
		}
		for _, s := range d.Hidden {
			hidden = append(hidden, s.Slug)
		}
		return shown, hidden
	}
	if shown, _ := order(u); !slices.Equal(shown, []string{"alpha", "beta"}) {
		t.Fatalf("default order %v, want by title", shown)
	}
	if err := db.ReorderDeck(ctx, u, "beta", -1); err != nil {
		t.Fatal(err)
	}
	if err := db.ReorderDeck(ctx, u, "beta", -1); err != nil { // at the top already
		t.Fatal(err)
	}
	if shown, _ := order(u); !slices.Equal(shown, []string{"beta", "alpha"}) {
		t.Errorf("after moving beta up: %v", shown)
	}
	if got := newDecks(t, db, u, Filter{}, 2); !slices.Equal(got, []string{"beta", "beta"}) {
		t.Errorf("deck order after the move: new cards from %v", got)
	}
	if shown, _ := order(other); !slices.Equal(shown, []string{"alpha", "beta"}) {
		t.Errorf("another learner's order changed: %v", shown)
	}

	if err := db.SetDeckHidden(ctx, u, "beta", true); err != nil {
		t.Fatal(err)
	}
	shown, hidden := order(u)
	if !slices.Equal(shown, []string{"alpha"}) || !slices.Equal(hidden, []string{"beta"}) {
		t.Errorf("after hiding beta: shown %v, hidden %v", shown, hidden)
	}
	d, _ := db.Dashboard(ctx, u)
	if d.Total.New != 6 {
		t.Errorf("Today counts %d new with beta hidden, want alpha's 6", d.Total.New)
	}
	for _, s := range newDecks(t, db, u, Filter{}, 3) {
		if s != "alpha" {
			t.Errorf("Study now gave a card of the hidden deck %s", s)
		}
	}
	if got := newDecks(t, db, u, Filter{Deck: "beta"}, 1); !slices.Equal(got, []string{"beta"}) {
		t.Errorf("the hidden deck's own Study: %v", got)
	}
	if err := db.SetDeckHidden(ctx, u, "beta", false); err != nil {
		t.Fatal(err)
	}
	if shown, hidden := order(u); !slices.Equal(shown, []string{"beta", "alpha"}) || hidden != nil {
		t.Errorf("shown again: %v, hidden %v", shown, hidden)
	}

	// A private deck of another learner is not found.
	if _, err := db.ImportDeck(ctx, parse(t, counterDeck("secret", []int{1})), ImportOptions{OwnerID: other.ID}); err != nil {
		t.Fatal(err)
	}
	ds, _ := db.Decks(ctx, other)
	var secret string
	for _, d := range ds {
		if d.Title == "secret" {
			secret = d.Slug
		}
	}
	for name, err := range map[string]error{
		"reorder": db.ReorderDeck(ctx, u, secret, 1),
		"hide":    db.SetDeckHidden(ctx, u, secret, true),
		"limit":   db.SetDeckNewLimit(ctx, u, secret, 3),
	} {
		if ErrorCode(err) != ENotFound {
			t.Errorf("%s another learner's deck: %v, want ENotFound", name, err)
		}
	}
}

// TestJoinPutsGroupDecksFirst: joining a group puts its decks at the top
// of the member's order, and the group filter studies only them.
func TestJoinPutsGroupDecksFirst(t *testing.T) {
	db, u, _ := prefsSetup(t)
	ctx := context.Background()
	owner, err := db.CreateUser(ctx, "owner", "owner-secret", false, SignUpByAdmin)
	if err != nil {
		t.Fatal(err)
	}
	g, err := db.CreateGroup(ctx, owner, "Crew")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ImportDeck(ctx, parse(t, counterDeck("zulu", []int{1, 2, 3})), ImportOptions{GroupID: g.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.JoinGroup(ctx, u, g.InviteCode); err != nil {
		t.Fatal(err)
	}
	d, err := db.Dashboard(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	var shown []string
	for _, s := range d.Decks {
		shown = append(shown, s.Slug)
	}
	if !slices.Equal(shown, []string{"zulu", "alpha", "beta"}) {
		t.Errorf("after joining: %v, want the group's deck first", shown)
	}
	for _, s := range newDecks(t, db, u, Filter{Group: g.ID}, 5) {
		if s != "zulu" {
			t.Errorf("the group's review gave a card of %s", s)
		}
	}
	// A group the learner is not in gives nothing.
	other, err := db.CreateGroup(ctx, owner, "Other")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ImportDeck(ctx, parse(t, counterDeck("yankee", []int{1})), ImportOptions{GroupID: other.ID}); err != nil {
		t.Fatal(err)
	}
	if q := next(t, db, u, Filter{Group: other.ID}); q.Card != nil || q.Counts.Total() != 0 {
		t.Errorf("another group's review: %+v", q.Counts)
	}
}
