package store

import (
	"context"
	"errors"
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
	if _, err := db.DeckBySlug(ctx, ann, "group-deck"); err != nil {
		t.Fatalf("a former member after the group was deleted: %v", err)
	}
	if rc, err := db.ReviewCardByID(ctx, ann, q.Card.ID); err != nil || rc.State.Reps != 1 {
		t.Errorf("the card she studied: %+v, %v", rc, err)
	}
	if q2 := next(t, db, ann, Filter{Deck: "group-deck"}); q2.Card == nil || q2.Counts.New != 4 && q2.Counts.New+q2.Counts.Learning != 5 {
		t.Errorf("her queue in the deck: %+v", q2.Counts)
	}
	ds, _ := db.Decks(ctx, ann)
	n := 0
	for _, d := range ds {
		if d.Slug == "group-deck" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the deck is listed %d times for her", n)
	}
	if _, err := db.DeckBySlug(ctx, outsider, "group-deck"); ErrorCode(err) != ENotFound {
		t.Errorf("an outsider: %v", err)
	}
	_, hist, err := db.DeckHistory(ctx, owner, "group-deck")
	if err != nil || len(hist) != 2 || hist[0].Action != "group-deleted" || hist[0].Who != "owner" || hist[1].Action != "created" || hist[1].Added != 5 {
		t.Errorf("history %+v, %v", hist, err)
	}
	if _, _, err := db.DeckHistory(ctx, ann, "group-deck"); ErrorCode(err) != EForbidden {
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
