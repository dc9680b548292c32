package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flashd/flashd/srs"
)

// TestDeleteGroupKeepsMembersAccess: after the owner deletes the group,
// its members still see and study its deck, with their history; others
// still do not; the deck's history says what happened.
func TestDeleteGroupKeepsMembersAccess(t *testing.T) {
	db, g, owner, members, _ := groupSetup(t)
	ctx := context.Background()
	ann := members[0]
	q := next(t, db, ann, Filter{Deck: "group-deck"})
	rate(t, db, ann, q.Card, srs.Good)
	outsider, _ := db.CreateUser(ctx, "outsider", "outsider-pw", false, SignUpByAdmin)

	if err := db.DeleteGroup(ctx, owner, g.ID); err != nil {
		t.Fatal(err)
	}
	// Now a private deck of the owner, at the owner's address.
	slug := privateSlug(owner.ID, "group-deck")
	if _, err := db.DeckBySlug(ctx, ann, slug); err != nil {
		t.Fatalf("a former member after the group was deleted: %v", err)
	}
	if rc, err := db.ReviewCardByID(ctx, ann, q.Card.ID); err != nil || rc.State.Reps != 1 {
		t.Errorf("the card she studied: %+v, %v", rc, err)
	}
	if q2 := next(t, db, ann, Filter{Deck: slug}); q2.Card == nil || q2.Counts.New != 4 || q2.Counts.Learning != 1 {
		t.Errorf("her queue in the deck: %+v", q2.Counts)
	}
	ds, _ := db.Decks(ctx, ann)
	n := 0
	for _, d := range ds {
		if d.Slug == slug {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the deck is listed %d times for her", n)
	}
	if _, err := db.DeckBySlug(ctx, outsider, slug); ErrorCode(err) != ENotFound {
		t.Errorf("an outsider: %v", err)
	}
	_, hist, err := db.DeckHistory(ctx, owner, slug)
	if err != nil || len(hist) != 2 || hist[0].Action != "group-deleted" || hist[0].Who != "owner" || hist[1].Action != "created" || hist[1].Added != 5 {
		t.Errorf("history %+v, %v", hist, err)
	}
	if _, _, err := db.DeckHistory(ctx, ann, slug); ErrorCode(err) != EForbidden {
		t.Errorf("a former member's view of the history: %v", err)
	}
}

// TestMoveDeck: the group's owner moves its deck to another group they
// maintain; the old group's members keep it, the new group's get it; no
// one else may move it.
func TestMoveDeck(t *testing.T) {
	db, g, owner, members, _ := groupSetup(t)
	ctx := context.Background()
	ann, ben := members[0], members[1]
	g2, err := db.CreateGroup(ctx, ben, "Second group")
	if err != nil {
		t.Fatal(err)
	}
	// ben owns g2; owner joins it as a maintainer.
	if _, err := db.JoinGroup(ctx, owner, g2.InviteCode); err != nil {
		t.Fatal(err)
	}
	dora, _ := db.CreateUser(ctx, "dora", "dora-secret-pw", false, SignUpByAdmin)
	db.JoinGroup(ctx, dora, g2.InviteCode)

	if err := db.MoveDeck(ctx, owner, "group-deck", g2.ID); ErrorCode(err) != EForbidden {
		t.Errorf("moving into a group where one is only a member: %v", err)
	}
	if err := db.SetRole(ctx, ben, g2.ID, owner.ID, RoleMaintainer); err != nil {
		t.Fatal(err)
	}
	if err := db.MoveDeck(ctx, ann, "group-deck", g2.ID); ErrorCode(err) != ENotFound {
		t.Errorf("moving into a group one is not in: %v", err)
	}
	db.JoinGroup(ctx, ann, g2.InviteCode)
	if err := db.SetRole(ctx, ben, g2.ID, ann.ID, RoleMaintainer); err != nil {
		t.Fatal(err)
	}
	if err := db.MoveDeck(ctx, ann, "group-deck", g2.ID); ErrorCode(err) != EForbidden || !strings.Contains(err.Error(), "owner of the deck's group") {
		t.Errorf("a member of the deck's group moving it: %v", err)
	}
	if err := db.RemoveMember(ctx, ben, g2.ID, ann.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.MoveDeck(ctx, owner, "group-deck", g2.ID); err != nil {
		t.Fatal(err)
	}
	for _, u := range []*User{ann, dora, owner} {
		if _, err := db.DeckBySlug(ctx, u, "group-deck"); err != nil {
			t.Errorf("%s after the move: %v", u.Username, err)
		}
	}
	gd, _ := db.GroupDecks(ctx, ben, g2.ID)
	if len(gd) != 1 || gd[0].Slug != "group-deck" {
		t.Errorf("the new group's decks: %+v", gd)
	}
	_, hist, _ := db.DeckHistory(ctx, ben, "group-deck")
	if len(hist) == 0 || hist[0].Action != "moved" || !strings.Contains(hist[0].Detail, g.Name) || !strings.Contains(hist[0].Detail, "Second group") {
		t.Errorf("history: %+v", hist)
	}
}

// TestRetireNeedsConfirmation: an upload that would retire most of a
// deck's cards writes nothing until it is confirmed, and says which.
func TestRetireNeedsConfirmation(t *testing.T) {
	db, g, owner, _, _ := groupSetup(t)
	ctx := context.Background()
	opt, _ := db.GroupUploadScope(ctx, owner, g.ID)
	opt.ConfirmRetire, opt.ActorID = true, owner.ID
	short := parse(t, "---\nid: group-deck\ntitle: Group deck\n---\n### G1\nA1\n### G2\nA2\n")
	_, err := db.ImportDeck(ctx, short, opt)
	var re *RetireError
	if !errors.As(err, &re) || len(re.Fronts) != 3 || re.Active != 5 || re.Fronts[0] != "G3" {
		t.Fatalf("an import retiring 3 of 5: %v (%+v)", err, re)
	}
	if n := countRows(t, db, `SELECT COUNT(*) FROM cards WHERE retired_at IS NULL`); n != 5 {
		t.Errorf("the unconfirmed import retired cards: %d active", n)
	}
	opt.ConfirmedHash = re.Hash
	res, err := db.ImportDeck(ctx, short, opt)
	if err != nil || res.Retired != 3 {
		t.Fatalf("confirmed: %+v, %v", res, err)
	}
	// Retiring a few is no question.
	opt.ConfirmedHash = ""
	if _, err := db.ImportDeck(ctx, parse(t, "---\nid: group-deck\ntitle: Group deck\n---\n### G1\nA1\n"), opt); err != nil {
		t.Errorf("retiring 1 of 2: %v", err)
	}
	_, hist, _ := db.DeckHistory(ctx, owner, "group-deck")
	if len(hist) != 3 || hist[0].Retired != 1 || hist[1].Retired != 3 || hist[0].Who != "owner" {
		t.Errorf("history: %+v", hist)
	}
}

// TestPrivateAddressesHold: a deck that becomes private (its group
// deleted) moves to its owner's address, so the owner's re-upload updates
// it and another group may take the id; a private deck moved into a group
// takes its own id back, unless another deck has it.
func TestPrivateAddressesHold(t *testing.T) {
	db, g, owner, members, _ := groupSetup(t)
	ctx := context.Background()
	if err := db.DeleteGroup(ctx, owner, g.ID); err != nil {
		t.Fatal(err)
	}
	res, err := db.ImportDeck(ctx, parse(t, groupDeck), ImportOptions{OwnerID: owner.ID})
	if err != nil || res.Added != 0 || res.Slug != privateSlug(owner.ID, "group-deck") {
		t.Errorf("the owner's re-upload of the formerly group deck: %+v, %v", res, err)
	}
	g2, _ := db.CreateGroup(ctx, members[0], "Another")
	if _, err := db.ImportDeck(ctx, parse(t, groupDeck), ImportOptions{GroupID: g2.ID}); err != nil {
		t.Errorf("another group taking the id: %v", err)
	}
	// Moving the private deck into a group of the owner's: its own id is
	// taken (by g2's deck), so the move is refused and nothing changes.
	g3, _ := db.CreateGroup(ctx, owner, "Third")
	if err := db.MoveDeck(ctx, owner, res.Slug, g3.ID); ErrorCode(err) != EConflict {
		t.Errorf("moving onto a taken id: %v", err)
	}
	mine, err := db.ImportDeck(ctx, parse(t, "---\nid: mine\ntitle: Mine\n---\n### P\nQ\n"), ImportOptions{OwnerID: owner.ID})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.MoveDeck(ctx, owner, mine.Slug, g3.ID); err != nil {
		t.Fatal(err)
	}
	if d, err := db.DeckBySlug(ctx, owner, "mine"); err != nil || d.GroupID == nil || *d.GroupID != g3.ID {
		t.Errorf("the moved deck at its own id: %+v, %v", d, err)
	}
	opt, _ := db.GroupUploadScope(ctx, owner, g3.ID)
	if r, err := db.ImportDeck(ctx, parse(t, "---\nid: mine\ntitle: Mine\n---\n### P\nQ\n### P2\nQ2\n"), opt); err != nil || r.Added != 1 {
		t.Errorf("the group's upload updates the moved deck: %+v, %v", r, err)
	}
}

// TestMigratePrivateSlugs: migration 0013 moves private decks to their
// owner's address, and a public deck already holding one aside first.
func TestMigratePrivateSlugs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "flashd.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	u, _ := db.CreateUser(ctx, "ann", "ann-secret-pw", false, SignUpByAdmin)
	for _, q := range []string{
		`DELETE FROM schema_migrations WHERE name = '0013_private_slugs.sql'`,
		fmt.Sprintf(`INSERT INTO decks (slug, title, description, tags, source_hash, builtin, owner_id, created_at, updated_at) VALUES ('notes', 'N', '', '', 'h1', 0, %d, 0, 0)`, u.ID),
		fmt.Sprintf(`INSERT INTO decks (slug, title, description, tags, source_hash, builtin, created_at, updated_at) VALUES ('u%d-notes', 'Public', '', '', 'h2', 0, 0, 0)`, u.ID),
	} {
		if _, err := db.rw.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen (migration 0013 again): %v", err)
	}
	defer db.Close()
	var slugs []string
	db.ro.SelectContext(ctx, &slugs, `SELECT slug FROM decks ORDER BY slug`)
	want := []string{fmt.Sprintf("deck-u%d-notes", u.ID), fmt.Sprintf("u%d-notes", u.ID)}
	if strings.Join(slugs, " ") != strings.Join(want, " ") {
		t.Errorf("slugs %v, want %v", slugs, want)
	}
}
