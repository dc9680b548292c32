package store

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	fsrs "github.com/open-spaced-repetition/go-fsrs/v4"

	"github.com/flashd/flashd/srs"
)

const groupDeck = `---
id: group-deck
title: Group deck
---
### G1
A1
### G2
A2
### G3
A3
### G4
A4
### G5
A5
`

// groupSetup makes a group with an owner and three members and imports a
// deck into it.
func groupSetup(t *testing.T) (db *DB, g *Group, owner *User, members []*User, clock *time.Time) {
	t.Helper()
	db = openTestDB(t)
	c := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	clock = &c
	db.Now = func() time.Time { return *clock }
	ctx := context.Background()
	mk := func(name string) *User {
		u, err := db.CreateUser(ctx, name, name+"-password", false, SignUpByAdmin)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	owner = mk("owner")
	var err error
	if g, err = db.CreateGroup(ctx, owner, "  DVA   study group "); err != nil {
		t.Fatal(err)
	}
	if g.Name != "DVA study group" || g.Role != RoleOwner {
		t.Fatalf("created group: %+v", g)
	}
	for _, name := range []string{"ann", "ben", "cat"} {
		u := mk(name)
		if _, err := db.JoinGroup(ctx, u, g.InviteCode); err != nil {
			t.Fatal(err)
		}
		members = append(members, u)
	}
	opt, err := db.GroupUploadScope(ctx, owner, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ImportDeck(ctx, parse(t, groupDeck), opt); err != nil {
		t.Fatal(err)
	}
	return db, g, owner, members, clock
}

func TestGroupVisibility(t *testing.T) {
	db, g, owner, members, _ := groupSetup(t)
	ctx := context.Background()
	outsider, _ := db.CreateUser(ctx, "out", "out-password", false, SignUpByAdmin)
	ann := members[0]

	if _, err := db.DeckBySlug(ctx, ann, "group-deck"); err != nil {
		t.Errorf("member cannot see the group deck: %v", err)
	}
	d, err := db.DeckBySlug(ctx, outsider, "group-deck")
	if ErrorCode(err) != ENotFound {
		t.Errorf("outsider sees the group deck: %+v %v", d, err)
	}
	if _, err := db.Group(ctx, outsider, g.ID); ErrorCode(err) != ENotFound {
		t.Errorf("outsider sees the group: %v", err)
	}
	q := next(t, db, ann, Filter{Deck: "group-deck"})
	if q.Card == nil {
		t.Fatal("member has no group card to study")
	}
	if _, err := db.ReviewCardByID(ctx, outsider, q.Card.ID); ErrorCode(err) != ENotFound {
		t.Errorf("outsider reads a group card: %v", err)
	}
	if _, err := db.Rate(ctx, outsider, q.Card.ID, "0", srs.Good); ErrorCode(err) != ENotFound {
		t.Errorf("outsider rates a group card: %v", err)
	}
	if q := next(t, db, outsider, Filter{}); q.Card != nil {
		t.Errorf("outsider's queue holds %s", q.Card.FrontSrc)
	}

	// A private deck is its owner's alone, at an address of the owner's
	// own: another user's private deck with the same id is no conflict,
	// so an upload never learns that someone's private deck exists.
	res, err := db.ImportDeck(ctx, parse(t, "---\nid: mine\ntitle: Mine\n---\n### P\nQ\n"), ImportOptions{OwnerID: ann.ID})
	if err != nil || res.Slug != privateSlug(ann.ID, "mine") {
		t.Fatalf("private import: %+v, %v", res, err)
	}
	if _, err := db.DeckBySlug(ctx, members[1], res.Slug); ErrorCode(err) != ENotFound {
		t.Errorf("another member sees ann's private deck: %v", err)
	}
	if theirs, err := db.ImportDeck(ctx, parse(t, "---\nid: mine\ntitle: Theirs\n---\n### P\nQ\n"), ImportOptions{OwnerID: outsider.ID}); err != nil || theirs.Slug == res.Slug {
		t.Errorf("another user's private deck with the same id: %+v, %v", theirs, err)
	}
	if _, err := db.ImportDeck(ctx, parse(t, "---\nid: "+res.Slug+"\ntitle: Squat\n---\n### P\nQ\n"), ImportOptions{GroupID: g.ID}); ErrorCode(err) != EInvalid {
		t.Errorf("a group deck taking a private deck's address: %v", err)
	}
	if _, err := db.ImportDeck(ctx, parse(t, "---\nid: group-deck\ntitle: X\n---\n### P\nQ\n"), ImportOptions{}); ErrorCode(err) != EConflict {
		t.Errorf("a public deck over a group's id: %v", err)
	}

	// Pausing a deck takes it out of the queue, not out of sight.
	if err := db.SetPaused(ctx, ann, "group-deck", true); err != nil {
		t.Fatal(err)
	}
	if q := next(t, db, ann, Filter{Deck: "group-deck"}); q.Card != nil || q.Counts.New != 0 {
		t.Errorf("paused deck still queued: %+v", q.Counts)
	}
	if _, err := db.DeckBySlug(ctx, ann, "group-deck"); err != nil {
		t.Errorf("paused deck hidden: %v", err)
	}
	if err := db.SetPaused(ctx, outsider, "group-deck", true); ErrorCode(err) != ENotFound {
		t.Errorf("outsider pauses the group deck: %v", err)
	}

	// Deleting the group keeps its decks, as the owner's private decks
	// that its former members keep studying.
	if err := db.DeleteGroup(ctx, ann, g.ID); ErrorCode(err) != EForbidden {
		t.Errorf("member deletes the group: %v", err)
	}
	if err := db.DeleteGroup(ctx, owner, g.ID); err != nil {
		t.Fatal(err)
	}
	slug := privateSlug(owner.ID, "group-deck") // a private deck now, at its owner's address
	if _, err := db.DeckBySlug(ctx, owner, slug); err != nil {
		t.Errorf("owner lost the deck: %v", err)
	}
	if _, err := db.DeckBySlug(ctx, ann, slug); err != nil {
		t.Errorf("a former member lost the deck: %v", err)
	}
	if _, err := db.DeckBySlug(ctx, outsider, slug); ErrorCode(err) != ENotFound {
		t.Errorf("an outsider sees the deck: %v", err)
	}
}

func TestGroupMembership(t *testing.T) {
	db, g, owner, members, clock := groupSetup(t)
	ctx := context.Background()
	ann, ben := members[0], members[1]
	if err := db.SetExamDate(ctx, ann, g.ID, *clock); ErrorCode(err) != EForbidden {
		t.Errorf("member sets the exam date: %v", err)
	}
	if _, err := db.GroupUploadScope(ctx, ann, g.ID); ErrorCode(err) != EForbidden {
		t.Errorf("member may upload: %v", err)
	}
	if err := db.SetRole(ctx, owner, g.ID, ann.ID, RoleMaintainer); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GroupUploadScope(ctx, ann, g.ID); err != nil {
		t.Errorf("maintainer may not upload: %v", err)
	}
	if err := db.SetRole(ctx, ann, g.ID, ben.ID, RoleMaintainer); ErrorCode(err) != EForbidden {
		t.Errorf("maintainer changes roles: %v", err)
	}
	if err := db.SetRole(ctx, owner, g.ID, owner.ID, RoleMember); ErrorCode(err) != ENotFound {
		t.Errorf("owner demotes themself: %v", err)
	}
	if err := db.RemoveMember(ctx, owner, g.ID, ben.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.JoinGroup(ctx, ben, g.InviteCode); ErrorCode(err) != ENotFound {
		t.Errorf("a removed member rejoins with the old link: %v", err)
	}
	if _, err := db.Group(ctx, ben, g.ID); ErrorCode(err) != ENotFound {
		t.Errorf("removed member still in: %v", err)
	}
	if err := db.LeaveGroup(ctx, owner, g.ID); ErrorCode(err) != EInvalid {
		t.Errorf("owner leaves: %v", err)
	}
	if err := db.LeaveGroup(ctx, ann, g.ID); err != nil {
		t.Fatal(err)
	}

	// A new invite link replaces the old one; an expiring one expires.
	old := g.InviteCode
	if err := db.RotateInvite(ctx, owner, g.ID, 24*time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := db.JoinGroup(ctx, ben, old); ErrorCode(err) != ENotFound {
		t.Errorf("old invite still works: %v", err)
	}
	g, _ = db.Group(ctx, owner, g.ID)
	if _, err := db.JoinGroup(ctx, ben, g.InviteCode); err != nil {
		t.Errorf("new invite: %v", err)
	}
	*clock = clock.Add(25 * time.Hour)
	if _, _, err := db.SignUpAndJoin(ctx, g.InviteCode, "late", "late-password"); ErrorCode(err) != ENotFound {
		t.Errorf("expired invite: %v", err)
	}
	if n, _ := db.UserCount(ctx); n != 4 {
		t.Errorf("an expired invite created an account: %d users", n)
	}
}

// TestGroupPreviews: the preview of an action that asks for confirmation
// refuses whom the action refuses, with the same code, says what the
// action would change, and changes nothing.
func TestGroupPreviews(t *testing.T) {
	db, g, owner, members, _ := groupSetup(t)
	ctx := context.Background()
	ann, ben := members[0], members[1]
	if err := db.SetAnonymous(ctx, ben, g.ID, true); err != nil {
		t.Fatal(err)
	}
	outsider, err := db.CreateUser(ctx, "outsider", "outsider-password", false, SignUpByAdmin)
	if err != nil {
		t.Fatal(err)
	}
	invite := func(u *User) (*GroupChange, error) { return db.PreviewRotateInvite(ctx, u, g.ID) }
	remove := func(m *User) func(u *User) (*GroupChange, error) {
		return func(u *User) (*GroupChange, error) { return db.PreviewRemoveMember(ctx, u, g.ID, m.ID) }
	}
	leave := func(u *User) (*GroupChange, error) { return db.PreviewLeaveGroup(ctx, u, g.ID) }
	del := func(u *User) (*GroupChange, error) { return db.PreviewDeleteGroup(ctx, u, g.ID) }
	for _, tc := range []struct {
		name    string
		preview func(*User) (*GroupChange, error)
		u       *User
		want    Code
	}{
		{"an outsider replaces the invite", invite, outsider, ENotFound},
		{"a member replaces the invite", invite, ann, EForbidden},
		{"the owner replaces the invite", invite, owner, ""},
		{"an outsider removes ann", remove(ann), outsider, ENotFound},
		{"a member removes ben", remove(ben), ann, EForbidden},
		{"the owner removes the owner", remove(owner), owner, ENotFound},
		{"the owner removes an outsider", remove(outsider), owner, ENotFound},
		{"the owner removes ann", remove(ann), owner, ""},
		{"an outsider leaves", leave, outsider, ENotFound},
		{"the owner leaves", leave, owner, EInvalid},
		{"a member leaves", leave, ann, ""},
		{"an outsider deletes", del, outsider, ENotFound},
		{"a member deletes", del, ann, EForbidden},
		{"the owner deletes", del, owner, ""},
	} {
		if _, err := tc.preview(tc.u); ErrorCode(err) != tc.want {
			t.Errorf("%s: %v, want code %q", tc.name, err, tc.want)
		}
	}
	ch, err := del(owner)
	if err != nil || ch.Group.Name != "DVA study group" || ch.Group.Members != 4 || ch.Decks != 1 {
		t.Errorf("delete preview: %+v, %v", ch, err)
	}
	if ch, err := remove(ben)(owner); err != nil || ch.Member != "Anonymous member" {
		t.Errorf("an anonymous member's name: %+v, %v", ch, err)
	}
	if ch, err := remove(ann)(owner); err != nil || ch.Member != "ann" {
		t.Errorf("a member's name: %+v, %v", ch, err)
	}
	after, err := db.Group(ctx, owner, g.ID)
	if err != nil || after.Members != 4 || after.InviteCode != g.InviteCode {
		t.Errorf("the previews changed the group: %+v, %v", after, err)
	}
}

// TestGroupReport gives the members known review histories at fixed times
// and checks the group page's figures against go-fsrs run directly on the
// same histories.
func TestGroupReport(t *testing.T) {
	db, g, owner, members, clock := groupSetup(t)
	ctx := context.Background()
	start := *clock
	ref := fsrs.NewFSRS(srs.DefaultSettings().Parameters())

	// history[m][card] is the ratings member m gives card G<card+1>, one a
	// day from the start.
	history := map[int][][]srs.Rating{
		0: {{srs.Good, srs.Good, srs.Good}, {srs.Easy}, {srs.Good, srs.Good, srs.Again, srs.Good}, {}, {}},
		1: {{srs.Easy, srs.Again, srs.Good, srs.Again}, {srs.Good}, {}, {}, {}},
		2: {}, // studies nothing
	}
	refCards := map[[2]int]fsrs.Card{}
	var cardIDs [5]int64
	for m := 0; m < 3; m++ {
		for ci, ratings := range history[m] {
			for day, r := range ratings {
				*clock = start.Add(time.Duration(day)*24*time.Hour + time.Duration(ci)*time.Minute)
				var rc *ReviewCard
				if cardIDs[ci] == 0 {
					rc = next(t, db, members[m], Filter{Deck: "group-deck"}).Card
					if rc.FrontSrc != "G"+string(rune('1'+ci)) {
						t.Fatalf("member %d got %s, want G%d", m, rc.FrontSrc, ci+1)
					}
					cardIDs[ci] = rc.ID
				} else {
					rc, _ = db.ReviewCardByID(ctx, members[m], cardIDs[ci])
				}
				rate(t, db, members[m], rc, r)
				key := [2]int{m, ci}
				c, ok := refCards[key]
				if !ok {
					c = fsrs.NewCard(*clock)
				}
				info, err := ref.Next(c, *clock, fsrs.Rating(r))
				if err != nil {
					t.Fatal(err)
				}
				refCards[key] = info.Card
			}
		}
	}
	now := start.Add(5 * 24 * time.Hour)
	exam := start.Add(30 * 24 * time.Hour)
	*clock = now
	if err := db.SetExamDate(ctx, owner, g.ID, exam); err != nil {
		t.Fatal(err)
	}
	if err := db.SetAnonymous(ctx, members[1], g.ID, true); err != nil {
		t.Fatal(err)
	}
	rep, err := db.GroupReport(ctx, members[0], g.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Cards != 5 || len(rep.Members) != 4 || !rep.ReadyAt.Equal(exam) {
		t.Fatalf("report: %d cards, %d members, ready at %v", rep.Cards, len(rep.Members), rep.ReadyAt)
	}

	// Expected readiness, by hand: mean retrievability at the exam over the
	// 5 cards (unseen = 0) per member, then the mean over the 4 members.
	wantReady := make([]float64, 3)
	var group float64
	for m := 0; m < 3; m++ {
		for ci := 0; ci < 5; ci++ {
			if c, ok := refCards[[2]int{m, ci}]; ok {
				r, _ := recallAt(ref, c, exam)
				wantReady[m] += r / 5
			}
		}
		group += wantReady[m]
	}
	group /= 4 // the owner studied nothing
	byName := map[string]MemberReport{}
	for _, mr := range rep.Members {
		byName[mr.Name] = mr
	}
	ann, anon, cat, own := byName["ann"], byName["Anonymous member"], byName["cat"], byName["owner"]
	if !ann.You || anon.UserID != members[1].ID || own.Role != RoleOwner {
		t.Fatalf("members: %+v", rep.Members)
	}
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-12 }
	for _, c := range []struct {
		name string
		got  MemberReport
		want float64
	}{{"ann", ann, wantReady[0]}, {"ben", anon, wantReady[1]}, {"cat", cat, wantReady[2]}, {"owner", own, 0}} {
		if !near(c.got.Readiness, c.want) {
			t.Errorf("%s readiness: got %v, want %v", c.name, c.got.Readiness, c.want)
		}
	}
	if !near(rep.Readiness, group) {
		t.Errorf("group readiness: got %v, want %v", rep.Readiness, group)
	}

	// The other figures, counted by hand from the histories above.
	if ann.Reviews7d != 8 || anon.Reviews7d != 5 || cat.Reviews7d != 0 {
		t.Errorf("reviews in 7 days: ann %d ben %d cat %d", ann.Reviews7d, anon.Reviews7d, cat.Reviews7d)
	}
	// Retention counts the ratings given to cards in review, from the log.
	wantPassed, wantRated := 0, 0
	for _, r := range mustLog(t, db, "ann") {
		if r.PrevPhase == int(srs.Review) {
			wantRated++
			if r.Rating >= 2 {
				wantPassed++
			}
		}
	}
	if wantRated == 0 || ann.Retention30dN != wantRated || !near(ann.Retention30d, float64(wantPassed)/float64(wantRated)) {
		t.Errorf("ann retention: got %v of %d, want %d/%d", ann.Retention30d, ann.Retention30dN, wantPassed, wantRated)
	}
	if cat.Retention30d != -1 {
		t.Errorf("cat has no review ratings, got retention %v", cat.Retention30d)
	}
	learned, due := 0, 0
	for ci := 0; ci < 5; ci++ {
		if c, ok := refCards[[2]int{0, ci}]; ok {
			if c.State == fsrs.Review {
				learned++
			}
			if !c.Due.After(now) {
				due++
			}
		}
	}
	// Last studied: ann's last rating was G3's fourth (day 3), ben's G1's
	// fourth (day 3); cat and the owner never studied.
	days := func(at time.Time) int {
		set := members[0].Settings()
		return int(set.DayNumber(now) - set.DayNumber(at))
	}
	if want := days(start.Add(3*24*time.Hour + 2*time.Minute)); ann.LastStudiedDays != want || want < 1 {
		t.Errorf("ann last studied %d days ago, want %d", ann.LastStudiedDays, want)
	}
	if want := days(start.Add(3 * 24 * time.Hour)); anon.LastStudiedDays != want {
		t.Errorf("ben last studied %d days ago, want %d", anon.LastStudiedDays, want)
	}
	if cat.LastStudiedDays != -1 || own.LastStudiedDays != -1 {
		t.Errorf("cat and owner never studied: %d, %d", cat.LastStudiedDays, own.LastStudiedDays)
	}
	if ann.Learned != learned || ann.DueNow != due {
		t.Errorf("ann learned %d due %d, want %d and %d", ann.Learned, ann.DueNow, learned, due)
	}

	// Hardest cards: lapses come from Again on a card in review: ben's G1
	// twice, ann's G3 once.
	wantLapses := map[int64]int{}
	for key, c := range refCards {
		wantLapses[cardIDs[key[1]]] += int(c.Lapses)
	}
	if wantLapses[cardIDs[0]] != 2 || wantLapses[cardIDs[2]] != 1 {
		t.Fatalf("the histories should give G1 2 lapses and G3 1: %v", wantLapses)
	}
	if len(rep.Hardest) != 2 || rep.Hardest[0].CardID != cardIDs[0] || rep.Hardest[0].Lapses != 2 ||
		rep.Hardest[1].CardID != cardIDs[2] || rep.Hardest[1].Lapses != 1 || rep.Hardest[0].Learners != 2 {
		t.Errorf("hardest: %+v, want G1 (2 lapses) then G3 (1)", rep.Hardest)
	}
	rAnn, _ := recallAt(ref, refCards[[2]int{0, 0}], now)
	rBen, _ := recallAt(ref, refCards[[2]int{1, 0}], now)
	if !near(rep.Hardest[0].MeanRecall, (rAnn+rBen)/2) {
		t.Errorf("G1 recall now: got %v, want %v", rep.Hardest[0].MeanRecall, (rAnn+rBen)/2)
	}
	for _, h := range rep.Hardest {
		if h.Lapses == 0 {
			t.Errorf("a card without lapses is listed as hard: %+v", h)
		}
	}
	outsider, _ := db.CreateUser(ctx, "out", "out-password", false, SignUpByAdmin)
	if _, err := db.GroupReport(ctx, outsider, g.ID); ErrorCode(err) != ENotFound {
		t.Errorf("outsider reads the report: %v", err)
	}
}

type logRow struct {
	Rating    int `db:"rating"`
	PrevPhase int `db:"prev_phase"`
}

func mustLog(t *testing.T, db *DB, username string) []logRow {
	t.Helper()
	var rs []logRow
	if err := db.ro.Select(&rs, `SELECT r.rating, r.prev_phase FROM reviews r JOIN users u ON u.id = r.user_id WHERE u.username = ? AND r.undone_at IS NULL`, username); err != nil {
		t.Fatal(err)
	}
	return rs
}

// TestGroupNames: names others will see are plain, well-formed text.
func TestGroupNames(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	u, err := db.CreateUser(ctx, "owner", "owner-password", false, SignUpByAdmin)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"admin\u202egnp.exe", "bad\xffutf8", "bell\x07", "iso\u2066late\u2069", ""} {
		if _, err := db.CreateGroup(ctx, u, bad); ErrorCode(err) != EInvalid {
			t.Errorf("CreateGroup(%q): %v, want EInvalid", bad, err)
		}
	}
	if g, err := db.CreateGroup(ctx, u, "Ça va — 日本語 study"); err != nil || g.Name != "Ça va — 日本語 study" {
		t.Errorf("a plain Unicode name: %v, %v", g, err)
	}
}

// TestDeckEditScope checks who may replace a deck in the editor: the
// same people who may upload it again.
func TestDeckEditScope(t *testing.T) {
	db, g, owner, members, _ := groupSetup(t)
	ctx := context.Background()
	ann, ben := members[0], members[1]
	if err := db.SetRole(ctx, owner, g.ID, ben.ID, RoleMaintainer); err != nil {
		t.Fatal(err)
	}
	outsider, _ := db.CreateUser(ctx, "out", "out-password", false, SignUpByAdmin)
	importDeck(t, db, baseDeck) // a public deck
	private, err := db.ImportDeck(ctx, parse(t, strings.Replace(baseDeck, "id: demo", "id: mine", 1)), ImportOptions{OwnerID: ann.ID})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		u    *User
		slug string
		code Code
		want ImportOptions
	}{
		{"group owner", owner, "group-deck", "", ImportOptions{GroupID: g.ID}},
		{"maintainer", ben, "group-deck", "", ImportOptions{GroupID: g.ID}},
		{"member", ann, "group-deck", EForbidden, ImportOptions{}},
		{"outsider", outsider, "group-deck", ENotFound, ImportOptions{}},
		{"public deck", owner, "demo", EForbidden, ImportOptions{}},
		{"private deck's owner", ann, private.Slug, "", ImportOptions{OwnerID: ann.ID}},
		{"another user's private deck", ben, private.Slug, ENotFound, ImportOptions{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, opt, err := db.DeckEditScope(ctx, tt.u, tt.slug)
			if got := ErrorCode(err); got != tt.code {
				t.Fatalf("got code %q (%v), want %q", got, err, tt.code)
			}
			if err == nil && (opt.GroupID != tt.want.GroupID || opt.OwnerID != tt.want.OwnerID) {
				t.Errorf("got options %+v, want %+v", opt, tt.want)
			}
			if err == nil && tt.slug == private.Slug && d.SourceID() != "mine" {
				t.Errorf("private deck's source id: got %q, want mine", d.SourceID())
			}
		})
	}
}

// TestReservedDeckID checks that no shared deck takes /decks/new, the
// new-deck editor's address, while a private deck may have the id.
func TestReservedDeckID(t *testing.T) {
	db, g, _, members, _ := groupSetup(t)
	ctx := context.Background()
	d := parse(t, strings.Replace(baseDeck, "id: demo", "id: "+ReservedDeckID, 1))
	if _, err := db.ImportDeck(ctx, d, ImportOptions{GroupID: g.ID}); ErrorCode(err) != EInvalid {
		t.Errorf("group deck %q: got %v, want invalid", ReservedDeckID, err)
	}
	if _, err := db.ImportDeck(ctx, d, ImportOptions{OwnerID: members[0].ID}); err != nil {
		t.Errorf("private deck %q: %v", ReservedDeckID, err)
	}
}
