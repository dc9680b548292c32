package store

import (
	"context"
	"testing"
	"time"

	fsrs "github.com/open-spaced-repetition/go-fsrs/v4"

	"github.com/flashd/flashd/decks"
	"github.com/flashd/flashd/srs"
)

const reviewDeck = `---
id: demo
title: Demo
---
## Key takeaways

### Q1
A1

### Q2
A2

### Q3
A3

## Traps

### T1
B1

## Scenarios

### S1
- [ ] wrong
- [x] right
`

// reviewSetup opens a database with the review deck and two users, with
// the clock in a variable the test can move.
func reviewSetup(t *testing.T) (db *DB, alice, bob *User, clock *time.Time) {
	t.Helper()
	db = openTestDB(t)
	c := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	clock = &c
	db.Now = func() time.Time { return *clock }
	importDeck(t, db, reviewDeck)
	ctx := context.Background()
	var err error
	if alice, err = db.CreateUser(ctx, "alice", "alice-secret", false, SignUpIfOpen); err != nil {
		t.Fatal(err)
	}
	if bob, err = db.CreateUser(ctx, "bob", "bob-secret-2", false, SignUpByAdmin); err != nil {
		t.Fatal(err)
	}
	return db, alice, bob, clock
}

func next(t *testing.T, db *DB, u *User, f Filter) *Queue {
	t.Helper()
	q, err := db.Next(context.Background(), u, f)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func rate(t *testing.T, db *DB, u *User, card *ReviewCard, r srs.Rating) *Rating {
	t.Helper()
	res, err := db.Rate(context.Background(), u, card.ID, card.State.Token(), r)
	if err != nil {
		t.Fatalf("rate %s: %v", card.FrontSrc, err)
	}
	return res
}

func countRows(t *testing.T, db *DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.ro.Get(&n, query, args...); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRateOnceAndUndo(t *testing.T) {
	db, alice, bob, _ := reviewSetup(t)
	ctx := context.Background()
	q := next(t, db, alice, Filter{})
	if q.Card == nil || q.Card.FrontSrc != "Q1" || q.Counts != (Counts{New: 5}) {
		t.Fatalf("first card: %+v counts %+v", q.Card, q.Counts)
	}
	card := q.Card
	res := rate(t, db, alice, card, srs.Good)
	if res.After.Phase != srs.Learning || res.After.Reps != 1 {
		t.Errorf("after Good on a new card: %+v", res.After)
	}
	if n := countRows(t, db, `SELECT COUNT(*) FROM reviews WHERE user_id = ?`, alice.ID); n != 1 {
		t.Errorf("got %d review rows, want 1", n)
	}
	// The same form again: nothing changes.
	if _, err := db.Rate(ctx, alice, card.ID, card.State.Token(), srs.Good); err != ErrStale {
		t.Errorf("replayed token: got %v, want ErrStale", err)
	}
	if n := countRows(t, db, `SELECT COUNT(*) FROM reviews`); n != 1 {
		t.Errorf("replay added a review: %d rows", n)
	}
	// Bob's schedule is his own.
	if q := next(t, db, bob, Filter{}); q.Card.ID != card.ID || q.Card.State.Phase != srs.New || q.Counts.New != 5 {
		t.Errorf("bob sees alice's state: %+v %+v", q.Card.State, q.Counts)
	}
	// Bob cannot undo alice's rating.
	if _, err := db.Undo(ctx, bob, res.ReviewID); ErrorCode(err) != EConflict {
		t.Errorf("bob undoing alice's review: got %v", err)
	}
	// Alice undoes: the card is new again, the row is kept and marked.
	cardID, err := db.Undo(ctx, alice, res.ReviewID)
	if err != nil || cardID != card.ID {
		t.Fatalf("undo: %d %v", cardID, err)
	}
	got, _ := db.ReviewCardByID(ctx, alice, card.ID)
	want := res.Before
	want.Version = got.State.Version
	if got.State != want {
		t.Errorf("after undo: got %+v, want %+v", got.State, want)
	}
	if n := countRows(t, db, `SELECT COUNT(*) FROM reviews WHERE undone_at IS NOT NULL`); n != 1 {
		t.Errorf("undone rows: %d, want 1", n)
	}
	// A second undo of the same rating does nothing.
	if _, err := db.Undo(ctx, alice, res.ReviewID); ErrorCode(err) != EConflict {
		t.Errorf("second undo: got %v", err)
	}
	// The token of the state before the undo no longer works.
	if _, err := db.Rate(ctx, alice, card.ID, res.After.Token(), srs.Good); err != ErrStale {
		t.Errorf("token from before the undo: got %v", err)
	}
	if q := next(t, db, alice, Filter{}); q.Counts.New != 5 {
		t.Errorf("undo did not give back the new card: %+v", q.Counts)
	}
}

func TestRateRejects(t *testing.T) {
	db, alice, _, _ := reviewSetup(t)
	ctx := context.Background()
	card := next(t, db, alice, Filter{}).Card
	if _, err := db.Rate(ctx, alice, card.ID, "0", 5); ErrorCode(err) != EInvalid {
		t.Errorf("rating 5: %v", err)
	}
	if _, err := db.Rate(ctx, alice, 99999, "0", srs.Good); ErrorCode(err) != ENotFound {
		t.Errorf("unknown card: %v", err)
	}
	// A retired card is not found either.
	importDeck(t, db, "---\nid: demo\ntitle: Demo\n---\n### Q2\nA2\n")
	if _, err := db.Rate(ctx, alice, card.ID, "0", srs.Good); ErrorCode(err) != ENotFound {
		t.Errorf("retired card: %v", err)
	}
	if n := countRows(t, db, `SELECT COUNT(*) FROM reviews`); n != 0 {
		t.Errorf("rejected ratings wrote %d reviews", n)
	}
}

// TestQueueOrder checks learning cards due now come first, then due
// reviews, then new cards in deck order; and the kind filter.
func TestQueueOrder(t *testing.T) {
	db, alice, _, clock := reviewSetup(t)
	// Q1 -> Easy (review, due in days); Q2 -> Again (learning, due in 1m).
	q1 := next(t, db, alice, Filter{}).Card
	rate(t, db, alice, q1, srs.Easy)
	q2 := next(t, db, alice, Filter{}).Card
	if q2.FrontSrc != "Q2" {
		t.Fatalf("second card %s, want Q2 (deck order)", q2.FrontSrc)
	}
	rate(t, db, alice, q2, srs.Again)
	// Within the minute the learning card is not due: next new card.
	if c := next(t, db, alice, Filter{}).Card; c.FrontSrc != "Q3" {
		t.Errorf("before the step is over: got %s, want Q3", c.FrontSrc)
	}
	*clock = clock.Add(2 * time.Minute)
	q := next(t, db, alice, Filter{})
	if q.Card.FrontSrc != "Q2" || q.Counts != (Counts{New: 3, Learning: 1}) {
		t.Errorf("learning card due: got %s %+v", q.Card.FrontSrc, q.Counts)
	}
	// Days later Q1 is a due review; with Q2 also due, learning still wins.
	*clock = clock.Add(30 * 24 * time.Hour)
	q = next(t, db, alice, Filter{})
	if q.Card.FrontSrc != "Q2" || q.Counts.Review != 1 {
		t.Errorf("learning before review: got %s %+v", q.Card.FrontSrc, q.Counts)
	}
	rate(t, db, alice, q.Card, srs.Easy)
	if c := next(t, db, alice, Filter{}).Card; c.FrontSrc != "Q1" {
		t.Errorf("review before new: got %s", c.FrontSrc)
	}
	if c := next(t, db, alice, Filter{Kind: decks.KindTrap}).Card; c == nil || c.FrontSrc != "T1" {
		t.Errorf("trap filter: got %+v", c)
	}
	if c := next(t, db, alice, Filter{Deck: "nope"}).Card; c != nil {
		t.Errorf("unknown deck filter: got %s", c.FrontSrc)
	}
}

// TestDailyLimitsAndDayBoundary checks the new-card limit counts on the
// learner's day, which starts at 04:00 in the learner's time zone.
func TestDailyLimitsAndDayBoundary(t *testing.T) {
	db, alice, _, clock := reviewSetup(t)
	ctx := context.Background()
	set := alice.Settings()
	set.NewPerDay = 2
	if err := db.UpdateSettings(ctx, alice.ID, "America/New_York", set); err != nil {
		t.Fatal(err)
	}
	alice, _ = db.UserByID(ctx, alice.ID)
	ny, _ := time.LoadLocation("America/New_York")
	*clock = time.Date(2026, 3, 2, 3, 0, 0, 0, ny) // 03:00: still Sunday's study day
	for i := 0; i < 2; i++ {
		rate(t, db, alice, next(t, db, alice, Filter{}).Card, srs.Easy)
	}
	*clock = time.Date(2026, 3, 2, 3, 59, 0, 0, ny)
	q := next(t, db, alice, Filter{})
	if q.Card != nil || q.Counts.New != 0 {
		t.Fatalf("03:59: limit of 2 reached, got %+v", q.Counts)
	}
	if want := time.Date(2026, 3, 2, 4, 0, 0, 0, ny); !q.NextDue.Equal(want) {
		t.Errorf("next due: got %v, want the next day start %v", q.NextDue.In(ny), want)
	}
	*clock = time.Date(2026, 3, 2, 4, 1, 0, 0, ny)
	if q := next(t, db, alice, Filter{}); q.Counts.New != 2 || q.Card == nil {
		t.Errorf("04:01: a new day, got %+v", q.Counts)
	}
}

func TestSuspendBuryFlagLeech(t *testing.T) {
	db, alice, _, clock := reviewSetup(t)
	ctx := context.Background()
	q1 := next(t, db, alice, Filter{}).Card
	if err := db.Act(ctx, alice, q1.ID, ActionSuspend); err != nil {
		t.Fatal(err)
	}
	q2 := next(t, db, alice, Filter{}).Card
	if q2.FrontSrc != "Q2" {
		t.Fatalf("suspended card still shown")
	}
	db.Act(ctx, alice, q2.ID, ActionBury)
	if c := next(t, db, alice, Filter{}).Card; c.FrontSrc != "Q3" {
		t.Errorf("buried card shown: %s", c.FrontSrc)
	}
	*clock = alice.Settings().NextDayStart(*clock).Add(time.Minute)
	if c := next(t, db, alice, Filter{}).Card; c.FrontSrc != "Q2" {
		t.Errorf("buried card not back the next day: got %s", c.FrontSrc)
	}
	if err := db.Act(ctx, alice, 99999, ActionFlag); ErrorCode(err) != ENotFound {
		t.Errorf("flag an unknown card: %v", err)
	}
	if err := db.Act(ctx, alice, q2.ID, "explode"); ErrorCode(err) != EInvalid {
		t.Errorf("unknown action: %v", err)
	}

	// Eight lapses make a leech, flagged and listed.
	card, _ := db.ReviewCardByID(ctx, alice, q2.ID)
	rate(t, db, alice, card, srs.Easy)
	for lapse := 0; lapse < srs.LeechLapses; lapse++ {
		*clock = clock.Add(60 * 24 * time.Hour)
		card, _ = db.ReviewCardByID(ctx, alice, card.ID)
		rate(t, db, alice, card, srs.Again)
		*clock = clock.Add(15 * time.Minute)
		card, _ = db.ReviewCardByID(ctx, alice, card.ID)
		rate(t, db, alice, card, srs.Easy)
	}
	card, _ = db.ReviewCardByID(ctx, alice, card.ID)
	if !card.State.Leech() || !card.State.Flagged {
		t.Errorf("after %d lapses: %+v", card.State.Lapses, card.State)
	}
	ls, err := db.Leeches(ctx, alice)
	if err != nil || len(ls) != 1 || ls[0].CardID != card.ID || ls[0].Lapses != srs.LeechLapses {
		t.Errorf("leeches: %+v %v", ls, err)
	}

	// Undoing the rating that made a leech drops the leech flag, but not a
	// flag the learner had set by hand.
	for _, manual := range []bool{false, true} {
		if _, err := db.rw.Exec(`UPDATE card_states SET lapses = ?, phase = 2, flagged = ? WHERE user_id = ? AND card_id = ?`,
			srs.LeechLapses-1, manual, alice.ID, card.ID); err != nil {
			t.Fatal(err)
		}
		*clock = clock.Add(60 * 24 * time.Hour)
		card, _ = db.ReviewCardByID(ctx, alice, card.ID)
		res := rate(t, db, alice, card, srs.Again)
		if !res.After.Leech() || !res.After.Flagged {
			t.Fatalf("manual=%v: the 8th lapse must flag: %+v", manual, res.After)
		}
		if _, err := db.Undo(ctx, alice, res.ReviewID); err != nil {
			t.Fatal(err)
		}
		card, _ = db.ReviewCardByID(ctx, alice, card.ID)
		if card.State.Flagged != manual || card.State.Leech() {
			t.Errorf("manual flag %v: after undo flagged=%v lapses=%d", manual, card.State.Flagged, card.State.Lapses)
		}
	}
}

// TestReplayThroughStore rates one card through the store at fixed times
// and checks every stored state against go-fsrs run directly on the same
// history: what the database keeps is exactly what go-fsrs computes.
func TestReplayThroughStore(t *testing.T) {
	db, alice, _, clock := reviewSetup(t)
	ctx := context.Background()
	ref := fsrs.NewFSRS(alice.Settings().Parameters())
	card := next(t, db, alice, Filter{}).Card
	// go-fsrs gets alice's study clock (she is in UTC: the time moved back
	// srs.DayStartHour hours), and its due dates move forward again.
	const shift = srs.DayStartHour * time.Hour
	refCard := fsrs.NewCard(clock.Add(-shift))
	steps := []struct {
		after time.Duration
		r     srs.Rating
	}{
		{0, srs.Again}, {time.Minute, srs.Good}, {10 * time.Minute, srs.Good}, {26 * time.Hour, srs.Good},
		{3 * 24 * time.Hour, srs.Hard}, {9*24*time.Hour + 1234*time.Millisecond, srs.Good}, {20 * 24 * time.Hour, srs.Again},
		{10 * time.Minute, srs.Good}, {2 * 24 * time.Hour, srs.Easy}, {40 * 24 * time.Hour, srs.Good},
	}
	for i, st := range steps {
		*clock = clock.Add(st.after)
		res := rate(t, db, alice, card, st.r)
		info, err := ref.Next(refCard, clock.Add(-shift), fsrs.Rating(st.r))
		if err != nil {
			t.Fatal(err)
		}
		refCard = info.Card
		want := refCard
		want.Due, want.LastReview = refCard.Due.Add(shift), refCard.LastReview.Add(shift)
		card, _ = db.ReviewCardByID(ctx, alice, card.ID)
		got := card.State
		if got.Stability != want.Stability || got.Difficulty != want.Difficulty ||
			got.Due != want.Due.UnixMilli() || int(got.Phase) != int(want.State) ||
			got.Reps != int(want.Reps) || got.Lapses != int(want.Lapses) || got.ScheduledDays != int(want.ScheduledDays) {
			t.Fatalf("step %d: stored %+v, go-fsrs %+v", i, got, want)
		}
		var row struct {
			Stability  float64 `db:"stability"`
			Difficulty float64 `db:"difficulty"`
			Due        int64   `db:"due"`
		}
		db.ro.Get(&row, `SELECT stability, difficulty, due FROM reviews WHERE id = ?`, res.ReviewID)
		if row.Stability != want.Stability || row.Difficulty != want.Difficulty || row.Due != want.Due.UnixMilli() {
			t.Fatalf("step %d: review row %+v, go-fsrs %+v", i, row, want)
		}
	}
}

func TestDashboardAndStreak(t *testing.T) {
	db, alice, _, clock := reviewSetup(t)
	ctx := context.Background()
	// Study on three consecutive days (UTC), skip a day, then today.
	days := []time.Time{
		time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC),
		time.Date(2026, 3, 3, 23, 0, 0, 0, time.UTC),
		time.Date(2026, 3, 5, 3, 30, 0, 0, time.UTC), // before 04:00: counts for the 4th
		time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC),
	}
	for _, d := range days {
		*clock = d
		q := next(t, db, alice, Filter{})
		rate(t, db, alice, q.Card, srs.Easy)
	}
	dash, err := db.Dashboard(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	if dash.Streak != 4 || dash.ReviewsToday != 1 {
		t.Errorf("streak %d, today %d: want 4 and 1", dash.Streak, dash.ReviewsToday)
	}
	if len(dash.Decks) != 1 || dash.Decks[0].Slug != "demo" || dash.Decks[0].Cards != 5 {
		t.Errorf("decks: %+v", dash.Decks)
	}
	// Tomorrow without a review yet: the streak still stands.
	*clock = time.Date(2026, 3, 6, 9, 0, 0, 0, time.UTC)
	if d, _ := db.Dashboard(ctx, alice); d.Streak != 4 || d.ReviewsToday != 0 {
		t.Errorf("next morning: streak %d today %d", d.Streak, d.ReviewsToday)
	}
	// A day missed: it is gone.
	*clock = time.Date(2026, 3, 7, 9, 0, 0, 0, time.UTC)
	if d, _ := db.Dashboard(ctx, alice); d.Streak != 0 {
		t.Errorf("after a missed day: streak %d", d.Streak)
	}
}

// TestDashboardLearnAhead checks that the dashboard counts the learning
// cards the review page will show (due within srs.LearnAhead).
func TestDashboardLearnAhead(t *testing.T) {
	db, alice, _, _ := reviewSetup(t)
	rate(t, db, alice, next(t, db, alice, Filter{}).Card, srs.Again) // due in a minute
	dash, err := db.Dashboard(context.Background(), alice)
	if err != nil {
		t.Fatal(err)
	}
	q := next(t, db, alice, Filter{})
	if dash.Total.Learning != 1 || dash.Total.Learning != q.Counts.Learning {
		t.Errorf("dashboard learning %d, review page %d, want 1", dash.Total.Learning, q.Counts.Learning)
	}
}

// TestReplayWithRecordedSettings changes a learner's settings midway and
// checks that replaying the review log with the settings each row
// recorded reproduces every stored state.
func TestReplayWithRecordedSettings(t *testing.T) {
	db, alice, _, clock := reviewSetup(t)
	ctx := context.Background()
	card := next(t, db, alice, Filter{}).Card
	changes := map[int]func(){
		3: func() {
			set := alice.Settings()
			set.Retention, set.MaxIntervalDays = 0.8, 30
			if err := db.UpdateSettings(ctx, alice.ID, "Asia/Tokyo", set); err != nil {
				t.Fatal(err)
			}
		},
		6: func() {
			set := alice.Settings()
			set.Retention = 0.97
			if err := db.UpdateSettings(ctx, alice.ID, "America/New_York", set); err != nil {
				t.Fatal(err)
			}
		},
	}
	ratings := []srs.Rating{srs.Good, srs.Good, srs.Easy, srs.Good, srs.Hard, srs.Again, srs.Good, srs.Good, srs.Easy}
	for i, r := range ratings {
		if change, ok := changes[i]; ok {
			change()
			alice, _ = db.UserByID(ctx, alice.ID)
		}
		*clock = clock.Add(time.Duration(1+i*i) * 19 * time.Hour)
		card, _ = db.ReviewCardByID(ctx, alice, card.ID)
		rate(t, db, alice, card, r)
	}
	log, err := db.ReviewLog(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	var st srs.State
	retentions := map[float64]bool{}
	for i, row := range log {
		loc, err := time.LoadLocation(row.TimeZone)
		if err != nil {
			t.Fatal(err)
		}
		retentions[row.Retention] = true
		set := srs.Settings{Retention: row.Retention, MaxIntervalDays: row.MaxInterval, Location: loc}
		if st, err = srs.NewScheduler(set).Next(st, time.UnixMilli(row.ReviewedAt).UTC(), srs.Rating(row.Rating)); err != nil {
			t.Fatal(err)
		}
		if st.Stability != row.Stability || st.Difficulty != row.Difficulty || st.Due.UnixMilli() != row.Due {
			t.Fatalf("row %d (%+v): replayed S=%v D=%v due=%d", i, row, st.Stability, st.Difficulty, st.Due.UnixMilli())
		}
	}
	if len(log) != len(ratings) || len(retentions) != 3 {
		t.Errorf("%d rows with retentions %v, want %d rows under 3 settings", len(log), retentions, len(ratings))
	}
	final, _ := db.ReviewCardByID(ctx, alice, card.ID)
	if final.State.Stability != st.Stability || final.State.Due != st.Due.UnixMilli() {
		t.Errorf("stored %+v, replayed %+v", final.State, st)
	}
}
