package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/flashd/flashd/srs"
)

// counterDeck writes a deck whose cards are the given numbers, in that
// order, in two sections, so the kinds interleave in position order.
func counterDeck(slug string, nums []int) string {
	var take, traps strings.Builder
	for i, n := range nums {
		b := &take
		if i%3 == 2 {
			b = &traps
		}
		fmt.Fprintf(b, "### %s card %d {#c%d}\nAnswer %d.\n\n", slug, n, n, n)
	}
	return "---\nid: " + slug + "\ntitle: " + slug + "\n---\n## Key takeaways\n\n" + take.String() + "## Traps\n\n" + traps.String()
}

// TestCountersMatchRecount drives random ratings, undos, burials,
// suspensions and re-imports (cards added, removed, brought back and
// moved), and after each checks that what the rating transaction and the
// importer keep equals a recount from scratch, and that Next's counts and
// new card equal a brute-force reading of the queue.
func TestCountersMatchRecount(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) { countersMatchRecount(t, seed) })
	}
}

func countersMatchRecount(t *testing.T, seed uint64) {
	db := openTestDB(t)
	ctx := context.Background()
	clock := time.Date(2026, 3, 7, 9, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return clock }
	rng := rand.New(rand.NewPCG(seed, 7))
	nums := func(n int) []int {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	}
	decksNow := map[string][]int{"alpha": nums(12), "beta": nums(9)}
	for slug, ns := range decksNow {
		importDeck(t, db, counterDeck(slug, ns))
	}
	u, err := db.CreateUser(ctx, "counter", "counter-secret", false, SignUpByAdmin)
	if err != nil {
		t.Fatal(err)
	}
	set := u.Settings()
	set.NewPerDay, set.ReviewsPerDay = 7, 5
	set.Gather = srs.GatherDeckOrder // the brute force below reads deck order
	if err := db.UpdateSettings(ctx, u.ID, "Europe/Berlin", set); err != nil {
		t.Fatal(err)
	}
	u, _ = db.UserByID(ctx, u.ID)

	for step := 0; step < 400; step++ {
		q := next(t, db, u, Filter{})
		checkCounters(t, db, u, q, step)
		if t.Failed() {
			return
		}
		switch op := rng.IntN(20); {
		case op < 12 && q.Card != nil:
			rate(t, db, u, q.Card, srs.Rating(1+rng.IntN(4)))
		case op < 14 && q.UndoID != 0:
			if _, err := db.Undo(ctx, u, q.UndoID); err != nil {
				t.Fatal(err)
			}
		case op < 15 && q.Card != nil:
			act := []CardAction{ActionBury, ActionSuspend, ActionFlag}[rng.IntN(3)]
			if err := db.Act(ctx, u, q.Card.ID, act); err != nil {
				t.Fatal(err)
			}
		case op < 16:
			// Unsuspend everything now and then.
			if _, err := db.rw.ExecContext(ctx, `UPDATE card_states SET suspended = 0 WHERE user_id = ?`, u.ID); err != nil {
				t.Fatal(err)
			}
		case op < 17:
			// Re-import a deck: drop a card, bring one back, add one, and
			// swap two.
			slug := []string{"alpha", "beta"}[rng.IntN(2)]
			ns := append([]int(nil), decksNow[slug]...)
			if len(ns) > 3 {
				ns = append(ns[:1+rng.IntN(len(ns)-2)], ns[2+rng.IntN(len(ns)-2):]...)
			}
			ns = append(ns, 100+step)
			i, j := rng.IntN(len(ns)), rng.IntN(len(ns))
			ns[i], ns[j] = ns[j], ns[i]
			if rng.IntN(2) == 0 {
				ns = append(ns, rng.IntN(12)) // may come back from retirement
			}
			ns = dedupe(ns)
			decksNow[slug] = ns
			importDeck(t, db, counterDeck(slug, ns))
		default:
			clock = clock.Add(time.Duration(rng.IntN(40)) * time.Minute)
		}
		clock = clock.Add(time.Duration(rng.IntN(90)) * time.Second)
	}
}

func dedupe(ns []int) []int {
	seen := map[int]bool{}
	var out []int
	for _, n := range ns {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// checkCounters compares the kept counters and Next's answer with a
// recount from the cards, states and review log.
func checkCounters(t *testing.T, db *DB, u *User, q *Queue, step int) {
	t.Helper()
	set := u.Settings()
	now := db.Now()
	nowMS, dayStart, dayEnd := now.UnixMilli(), set.DayStart(now).UnixMilli(), set.NextDayStart(now).UnixMilli()
	at := fmt.Sprintf("step %d", step)

	// Today's counts.
	var kept, recount [3]int
	db.ro.QueryRow(`SELECT COALESCE(MAX(ratings), 0), COALESCE(MAX(new_done), 0), COALESCE(MAX(reviews_done), 0) FROM study_days WHERE user_id = ? AND day = ?`,
		u.ID, set.DayNumber(now)).Scan(&kept[0], &kept[1], &kept[2])
	db.ro.QueryRow(`SELECT COUNT(*), COALESCE(SUM(CASE WHEN prev_phase = 0 THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN prev_phase = 2 THEN 1 ELSE 0 END), 0) FROM reviews
		WHERE user_id = ? AND undone_at IS NULL AND reviewed_at >= ? AND reviewed_at < ?`, u.ID, dayStart, dayEnd).Scan(&recount[0], &recount[1], &recount[2])
	if kept != recount {
		t.Errorf("%s: day counts (ratings, new, reviews) kept %v, recounted %v", at, kept, recount)
	}
	// Studied cards per deck and kind, and the cursors.
	var bad int
	db.ro.QueryRow(`SELECT COUNT(*) FROM (
		SELECT l.deck_id, l.kind, l.studied FROM learner_decks l WHERE l.user_id = ? AND l.studied <> 0
		EXCEPT
		SELECT c.deck_id, c.kind, COUNT(*) FROM card_states s JOIN cards c ON c.id = s.card_id
		WHERE s.user_id = ? AND c.retired_at IS NULL AND s.phase <> 0 GROUP BY c.deck_id, c.kind) AS wrong`, u.ID, u.ID).Scan(&bad)
	var missing int
	db.ro.QueryRow(`SELECT COUNT(*) FROM (
		SELECT c.deck_id, c.kind, COUNT(*) FROM card_states s JOIN cards c ON c.id = s.card_id
		WHERE s.user_id = ? AND c.retired_at IS NULL AND s.phase <> 0 GROUP BY c.deck_id, c.kind
		EXCEPT
		SELECT l.deck_id, l.kind, l.studied FROM learner_decks l WHERE l.user_id = ?) AS missing`, u.ID, u.ID).Scan(&missing)
	if bad+missing > 0 {
		t.Errorf("%s: studied counts differ from a recount (%d kept wrong, %d missing)", at, bad, missing)
	}
	var behind int
	db.ro.QueryRow(`SELECT COUNT(*) FROM learner_decks l JOIN cards c ON c.deck_id = l.deck_id AND c.kind = l.kind
		AND c.retired_at IS NULL AND c.position < l.next_position
		LEFT JOIN card_states s ON s.user_id = l.user_id AND s.card_id = c.id
		WHERE l.user_id = ? AND COALESCE(s.phase, 0) = 0`, u.ID).Scan(&behind)
	if behind > 0 {
		t.Errorf("%s: %d new cards lie behind a cursor", at, behind)
	}
	// The queue, counted by brute force.
	var newDone, reviewsDone, learning, due, avail int
	newDone, reviewsDone = recount[1], recount[2]
	db.ro.QueryRow(`SELECT
		COALESCE(SUM(CASE WHEN s.phase IN (1, 3) AND s.due <= ? AND s.suspended = 0 AND s.buried_until <= ? THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN s.phase = 2 AND s.due < ? AND s.suspended = 0 AND s.buried_until <= ? THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN COALESCE(s.phase, 0) = 0 AND COALESCE(s.suspended, 0) = 0 AND COALESCE(s.buried_until, 0) <= ? THEN 1 ELSE 0 END), 0)
		FROM cards c LEFT JOIN card_states s ON s.user_id = ? AND s.card_id = c.id WHERE c.retired_at IS NULL`,
		nowMS+srs.LearnAhead.Milliseconds(), nowMS, dayEnd, nowMS, nowMS, u.ID).Scan(&learning, &due, &avail)
	want := Counts{New: min(avail, max(0, set.NewPerDay-newDone)), Learning: learning, Review: min(due, max(0, set.ReviewsPerDay-reviewsDone))}
	if q.Counts != want {
		t.Errorf("%s: Next counts %+v, brute force %+v", at, q.Counts, want)
	}
	if q.Card != nil && q.Card.State.Phase == srs.New {
		var first int64
		db.ro.QueryRow(`SELECT c.id FROM cards c JOIN decks d ON d.id = c.deck_id LEFT JOIN card_states s ON s.user_id = ? AND s.card_id = c.id
			WHERE c.retired_at IS NULL AND COALESCE(s.phase, 0) = 0 AND COALESCE(s.suspended, 0) = 0 AND COALESCE(s.buried_until, 0) <= ?
			ORDER BY d.title, d.id, c.position LIMIT 1`, u.ID, nowMS).Scan(&first)
		if q.Card.ID != first && learning == 0 && q.Counts.Review == 0 {
			t.Errorf("%s: new card %d, want %d, the first in deck order", at, q.Card.ID, first)
		}
	}
}
