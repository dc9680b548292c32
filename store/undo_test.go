package store

import (
	"context"
	"testing"
	"time"

	"github.com/flashd/flashd/srs"
)

// TestUndoStack: ratings and card actions share one undo stack, taken
// back newest first; an undo of anything but the top, or a replayed one,
// changes nothing.
func TestUndoStack(t *testing.T) {
	db, alice, bob, _ := reviewSetup(t)
	ctx := context.Background()
	ids := cardIDs(t, db)

	first := next(t, db, alice, Filter{})
	rating := rate(t, db, alice, first.Card, srs.Good)
	if q := next(t, db, alice, Filter{}); q.Undo != (Undoable{ID: rating.ReviewID, Rating: srs.Good}) {
		t.Fatalf("top after a rating = %+v", q.Undo)
	}
	act := func(card int64, a CardAction) {
		t.Helper()
		if err := db.Act(ctx, alice, card, a); err != nil {
			t.Fatal(err)
		}
	}
	act(ids["T1/0"], ActionBury)
	act(ids["Q3/0"], ActionFlag)
	act(ids["Q3/0"], ActionFlag) // changes nothing: not on the stack
	if n := countRows(t, db, `SELECT COUNT(*) FROM card_actions WHERE user_id = ?`, alice.ID); n != 2 {
		t.Fatalf("%d card actions logged, want 2", n)
	}

	q := next(t, db, alice, Filter{})
	if q.Undo.Action != ActionFlag || q.Undo.What() != "the flag" {
		t.Fatalf("top = %+v, want the flag", q.Undo)
	}
	// The rating is no longer on top, and bob has no stack of alice's.
	if _, err := db.UndoLast(ctx, alice, Undoable{ID: rating.ReviewID}); ErrorCode(err) != EConflict {
		t.Fatalf("undo under the top: %v", err)
	}
	if _, err := db.UndoLast(ctx, bob, q.Undo); ErrorCode(err) != EConflict {
		t.Fatalf("bob undoes alice's flag: %v", err)
	}
	flag := q.Undo
	done, err := db.UndoLast(ctx, alice, flag)
	if err != nil || done.CardID != ids["Q3/0"] || done.Action != ActionFlag {
		t.Fatalf("undo flag = %+v, %v", done, err)
	}
	if st := stateOf(t, db, alice, ids["Q3/0"]); st.Flagged {
		t.Error("the flag stays after its undo")
	}
	if _, err := db.UndoLast(ctx, alice, flag); ErrorCode(err) != EConflict {
		t.Fatalf("replayed undo: %v", err)
	}

	q = next(t, db, alice, Filter{})
	if q.Undo.Action != ActionBury {
		t.Fatalf("top = %+v, want the bury", q.Undo)
	}
	newBefore := q.Counts.New
	if done, err = db.UndoLast(ctx, alice, q.Undo); err != nil || done.CardID != ids["T1/0"] {
		t.Fatalf("undo bury = %+v, %v", done, err)
	}
	if st := stateOf(t, db, alice, ids["T1/0"]); st.BuriedUntil != 0 {
		t.Errorf("buried until %d after the undo", st.BuriedUntil)
	}
	q = next(t, db, alice, Filter{})
	if q.Counts.New != newBefore+1 {
		t.Errorf("new cards %d after unburying, want %d", q.Counts.New, newBefore+1)
	}

	// Then the rating; a rating given after an action is above it.
	if q.Undo != (Undoable{ID: rating.ReviewID, Rating: srs.Good}) {
		t.Fatalf("top = %+v, want the rating", q.Undo)
	}
	if done, err = db.UndoLast(ctx, alice, q.Undo); err != nil || done.CardID != first.Card.ID {
		t.Fatalf("undo rating = %+v, %v", done, err)
	}
	if st := stateOf(t, db, alice, first.Card.ID); st.Phase != srs.New {
		t.Errorf("phase %v after undoing the first rating", st.Phase)
	}
	if q = next(t, db, alice, Filter{}); q.Undo.ID != 0 {
		t.Fatalf("stack not empty: %+v", q.Undo)
	}
	act(ids["Q2/0"], ActionSuspend)
	later := rate(t, db, alice, next(t, db, alice, Filter{}).Card, srs.Hard)
	if q = next(t, db, alice, Filter{}); q.Undo.ID != later.ReviewID || q.Undo.Action != "" {
		t.Fatalf("top = %+v, want the later rating %d", q.Undo, later.ReviewID)
	}
}

// TestUndoRef: a stack entry's form reference reads back as the same
// entry, and nonsense is invalid.
func TestUndoRef(t *testing.T) {
	for _, u := range []Undoable{{ID: 12, Rating: srs.Easy}, {ID: 7, Action: ActionBury}} {
		got, err := ParseUndoRef(u.Ref())
		if err != nil || got.ID != u.ID || (got.Action == "") != (u.Action == "") {
			t.Errorf("ParseUndoRef(%q) = %+v, %v", u.Ref(), got, err)
		}
	}
	if got, err := ParseUndoRef("42"); err != nil || got.ID != 42 || got.Action != "" {
		t.Errorf("a bare number = %+v, %v; want review 42", got, err)
	}
	for _, bad := range []string{"", "a", "r-1", "x5", "a0"} {
		if _, err := ParseUndoRef(bad); ErrorCode(err) != EInvalid {
			t.Errorf("ParseUndoRef(%q): %v", bad, err)
		}
	}
}

// TestToday: the day's summary counts ratings, answer time and today's
// retention, and an undo takes its rating out of all of them.
func TestToday(t *testing.T) {
	db, alice, _, clock := reviewSetup(t)
	ctx := context.Background()
	// Learn every card today; tomorrow they are due for review.
	for q := next(t, db, alice, Filter{}); q.Card != nil; q = next(t, db, alice, Filter{}) {
		if _, err := db.RateAnswered(ctx, alice, q.Card.ID, q.Card.State.Token(), srs.Easy, 4*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	*clock = clock.Add(30 * 24 * time.Hour)
	answers := []struct {
		r      srs.Rating
		answer time.Duration
	}{{srs.Good, 6 * time.Second}, {srs.Again, 10 * time.Second}, {srs.Good, 0}, {srs.Easy, 2 * time.Second}}
	var last *Rating
	for _, a := range answers {
		q := next(t, db, alice, Filter{})
		if q.Card == nil || q.Card.State.Phase != srs.Review {
			t.Fatalf("no review card due: %+v", q)
		}
		var err error
		if last, err = db.RateAnswered(ctx, alice, q.Card.ID, q.Card.State.Token(), a.r, a.answer); err != nil {
			t.Fatal(err)
		}
	}
	day, err := db.Today(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	if day.Reviewed != 4 || day.Time != 18*time.Second || day.ReviewsDone != 4 || day.ReviewsPassed != 3 || day.Retention() != 0.75 {
		t.Errorf("today = %+v (retention %v), want 4 reviewed in 18s, 3 of 4 passed", day, day.Retention())
	}
	if day.Streak != 1 {
		t.Errorf("streak %d, want 1 (a month passed since the first day)", day.Streak)
	}
	// The mean over the week's timed ratings: 18 s over 3.
	if q := next(t, db, alice, Filter{}); q.AnswerTime != 6*time.Second || q.DoneToday != 4 {
		t.Errorf("answer time %v, done %d; want 6s and 4", q.AnswerTime, q.DoneToday)
	}
	if _, err := db.UndoLast(ctx, alice, Undoable{ID: last.ReviewID}); err != nil {
		t.Fatal(err)
	}
	if day, _ = db.Today(ctx, alice); day.Reviewed != 3 || day.Time != 16*time.Second || day.ReviewsPassed != 2 {
		t.Errorf("after undo, today = %+v; want 3 reviewed in 16s, 2 passed", day)
	}
}

// TestAddNewToday: extra new cards raise today's limit only, and a day
// with extra cards asked for but no rating is not a study day.
func TestAddNewToday(t *testing.T) {
	db, alice, _, clock := reviewSetup(t)
	ctx := context.Background()
	set := alice.Settings()
	set.NewPerDay = 1
	if err := db.UpdateSettings(ctx, alice.ID, "UTC", set); err != nil {
		t.Fatal(err)
	}
	alice, _ = db.UserByID(ctx, alice.ID)
	if q := next(t, db, alice, Filter{}); q.Counts.New != 1 {
		t.Fatalf("new %d, want the limit of 1", q.Counts.New)
	}
	if err := db.AddNewToday(ctx, alice, 2); err != nil {
		t.Fatal(err)
	}
	if q := next(t, db, alice, Filter{}); q.Counts.New != 3 {
		t.Errorf("new %d after asking for 2 more, want 3", q.Counts.New)
	}
	for _, n := range []int{0, -1, MaxExtraNew + 1} {
		if err := db.AddNewToday(ctx, alice, n); ErrorCode(err) != EInvalid {
			t.Errorf("AddNewToday(%d): %v", n, err)
		}
	}
	if day, _ := db.Today(ctx, alice); day.Streak != 0 || day.ExtraNew != 2 {
		t.Errorf("today = %+v; want no streak and 2 extra", day)
	}
	*clock = clock.Add(24 * time.Hour)
	if q := next(t, db, alice, Filter{}); q.Counts.New != 1 {
		t.Errorf("new %d the next day, want the limit of 1 again", q.Counts.New)
	}
}

// TestReviewAhead: a filter with AheadDays brings reviews due in the
// next days forward.
func TestReviewAhead(t *testing.T) {
	db, alice, _, clock := reviewSetup(t)
	ctx := context.Background()
	for q := next(t, db, alice, Filter{}); q.Card != nil; q = next(t, db, alice, Filter{}) {
		rate(t, db, alice, q.Card, srs.Easy)
	}
	*clock = clock.Add(24 * time.Hour)
	due := next(t, db, alice, Filter{}).Counts.Review
	var firstDue int64
	if err := db.ro.Get(&firstDue, `SELECT MIN(due) FROM card_states WHERE user_id = ?`, alice.ID); err != nil {
		t.Fatal(err)
	}
	days := int(time.UnixMilli(firstDue).Sub(*clock).Hours()/24) + 1
	ahead := next(t, db, alice, Filter{AheadDays: days})
	if due != 0 || ahead.Card == nil || ahead.Counts.Review == 0 {
		t.Fatalf("due %d today; %d days ahead: %+v", due, days, ahead.Counts)
	}
	if _, err := db.Rate(ctx, alice, ahead.Card.ID, ahead.Card.State.Token(), srs.Good); err != nil {
		t.Fatalf("rate a card ahead: %v", err)
	}
}

// TestCramCards: a cram names a deck or kind, lists only cards the
// learner may see, in deck order, and writes nothing.
func TestCramCards(t *testing.T) {
	db, alice, _, _ := reviewSetup(t)
	ctx := context.Background()
	ids := cardIDs(t, db)
	if _, err := db.CramCards(ctx, alice, Filter{}); ErrorCode(err) != EInvalid {
		t.Errorf("cram of everything: %v", err)
	}
	got, err := db.CramCards(ctx, alice, Filter{Deck: "demo", Kind: "takeaway"})
	if err != nil {
		t.Fatal(err)
	}
	want := []int64{ids["Q1/0"], ids["Q2/0"], ids["Q3/0"]}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("cram = %v, want %v", got, want)
	}
	if _, err := db.CramCards(ctx, alice, Filter{Deck: "nobody-has-this"}); ErrorCode(err) != ENotFound {
		t.Errorf("cram of an unknown deck: %v", err)
	}
	if n := countRows(t, db, `SELECT COUNT(*) FROM card_states`); n != 0 {
		t.Errorf("a cram wrote %d card states", n)
	}
}
