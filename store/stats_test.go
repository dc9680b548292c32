package store

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	fsrs "github.com/open-spaced-repetition/go-fsrs/v4"

	"github.com/flashd/flashd/srs"
)

// localDay is the test's own rule for the study day of t: the local date,
// minus one day before 04:00.
func localDay(t time.Time, loc *time.Location) string {
	lt := t.In(loc)
	if lt.Hour() < 4 {
		lt = lt.AddDate(0, 0, -1)
	}
	return lt.Format("2006-01-02")
}

// TestStats rates cards at generated times for a learner in Auckland
// (UTC+12/+13, with a DST change in the window), including ratings at
// 03:59 and 04:01 local time, undoes a few, and checks every figure
// against values computed here from the ratings themselves.
func TestStats(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	var md strings.Builder
	md.WriteString("---\nid: stats\ntitle: Stats\n---\n")
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&md, "### Q%d\nA%d\n", i, i)
	}
	importDeck(t, db, md.String())
	importDeck(t, db, "---\nid: other\ntitle: Other\n---\n### X\nY\n")
	u, _ := db.CreateUser(ctx, "kiwi", "kiwi-password", false, SignUpByAdmin)
	set := u.Settings()
	set.NewPerDay = 9999
	if err := db.UpdateSettings(ctx, u.ID, "Pacific/Auckland", set); err != nil {
		t.Fatal(err)
	}
	u, _ = db.UserByID(ctx, u.ID)
	loc, _ := time.LoadLocation("Pacific/Auckland")
	now := time.Date(2026, 7, 1, 12, 0, 0, 0, loc)

	// Rating times: boundary pairs around 04:00 (one across the DST end on
	// 2026-04-05), and a random spread over the last 400 days.
	var times []time.Time
	for _, d := range []time.Time{time.Date(2026, 4, 5, 0, 0, 0, 0, loc), time.Date(2026, 6, 30, 0, 0, 0, 0, loc), time.Date(2026, 7, 1, 0, 0, 0, 0, loc)} {
		times = append(times, time.Date(d.Year(), d.Month(), d.Day(), 3, 59, 0, 0, loc), time.Date(d.Year(), d.Month(), d.Day(), 4, 1, 0, 0, loc))
	}
	rng := rand.New(rand.NewPCG(7, 11))
	for i := 0; i < 300; i++ {
		times = append(times, now.Add(-time.Duration(rng.Int64N(int64(400*24*time.Hour)))))
	}
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })

	type rated struct {
		at     time.Time
		rating srs.Rating
		phase  srs.Phase
		ivl    int
		card   int64
	}
	var log []rated
	clock := times[0]
	db.Now = func() time.Time { return clock }
	cards := next(t, db, u, Filter{Deck: "stats"}).Card.ID // the first card's id; the deck's ids follow it
	for i, at := range times {
		clock = at
		id := cards + int64(rng.IntN(40))
		rc, err := db.ReviewCardByID(ctx, u, id)
		if err != nil {
			t.Fatal(err)
		}
		r := srs.Rating(1 + rng.IntN(4))
		res, err := db.Rate(ctx, u, id, rc.State.Token(), r)
		if err != nil {
			t.Fatal(err)
		}
		log = append(log, rated{at, r, res.Before.Phase, res.Before.ScheduledDays, id})
		if i%50 == 49 { // an undone rating does not count
			if _, err := db.Undo(ctx, u, res.ReviewID); err != nil {
				t.Fatal(err)
			}
			log = log[:len(log)-1]
		}
	}
	// A rating on the other deck shows in "all decks" only.
	clock = now.Add(-time.Hour)
	other := next(t, db, u, Filter{Deck: "other"}).Card
	rate(t, db, u, other, srs.Good)
	clock = now

	st, err := db.Stats(ctx, u, "stats")
	if err != nil {
		t.Fatal(err)
	}
	all, err := db.Stats(ctx, u, "")
	if err != nil {
		t.Fatal(err)
	}

	// Expected per-day counts, by phase.
	todayKey := localDay(now, loc)
	if got := st.Today.Format("2006-01-02"); got != todayKey || st.Days[HeatmapDays-1].Day.Format("2006-01-02") != todayKey {
		t.Fatalf("today: %s / %s, want %s", got, st.Days[HeatmapDays-1].Day.Format("2006-01-02"), todayKey)
	}
	oldest := st.Days[0].Day.Format("2006-01-02")
	want := map[string][4]int{}
	for _, r := range log {
		k := localDay(r.at, loc)
		if k < oldest {
			continue
		}
		c := want[k]
		c[r.phase]++
		want[k] = c
	}
	for _, dr := range st.Days {
		k := dr.Day.Format("2006-01-02")
		got := [4]int{dr.New, dr.Learning, dr.Review, dr.Relearning}
		if got != want[k] {
			t.Errorf("%s: got %v, want %v", k, got, want[k])
		}
		delete(want, k)
	}
	if len(want) > 0 {
		t.Errorf("days missing from the stats: %v", want)
	}
	// The boundary pairs fall on two study days each.
	for _, k := range []string{"2026-04-04", "2026-04-05", "2026-06-29", "2026-06-30"} {
		found := false
		for _, dr := range st.Days {
			found = found || (dr.Day.Format("2006-01-02") == k && dr.Total() > 0)
		}
		if !found {
			t.Errorf("no ratings on %s, which a 03:59 or 04:01 rating belongs to", k)
		}
	}
	if all.Days[HeatmapDays-1].Total() != st.Days[HeatmapDays-1].Total()+1 {
		t.Errorf("all decks today: %d, want the deck's %d plus 1", all.Days[HeatmapDays-1].Total(), st.Days[HeatmapDays-1].Total())
	}

	// Streaks, from the set of study days.
	studied := map[string]bool{}
	for _, r := range log {
		studied[localDay(r.at, loc)] = true
	}
	wantStreak := 0
	for d := now; ; d = d.AddDate(0, 0, -1) {
		if studied[localDay(d, loc)] {
			wantStreak++
		} else if wantStreak > 0 || localDay(d, loc) != todayKey {
			break
		}
	}
	if st.Streak != wantStreak {
		t.Errorf("streak %d, want %d", st.Streak, wantStreak)
	}
	longest, run := 0, 0
	for _, dr := range st.Days {
		if studied[dr.Day.Format("2006-01-02")] {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	if st.LongestStreak != longest || longest < 2 {
		t.Errorf("longest streak %d, want %d", st.LongestStreak, longest)
	}

	// True retention by window, young and mature.
	for _, w := range st.Retention {
		var py, y, pm, m int
		first := st.Days[HeatmapDays-w.Days].Day.Format("2006-01-02")
		for _, r := range log {
			if r.phase != srs.Review || localDay(r.at, loc) < first {
				continue
			}
			pass := 0
			if r.rating >= srs.Hard {
				pass = 1
			}
			if r.ivl < MatureDays {
				y, py = y+1, py+pass
			} else {
				m, pm = m+1, pm+pass
			}
		}
		if w.Young != y || w.PassedYoung != py || w.Mature != m || w.PassedMature != pm {
			t.Errorf("%s: young %d/%d mature %d/%d, want %d/%d and %d/%d", w.Label, w.PassedYoung, w.Young, w.PassedMature, w.Mature, py, y, pm, m)
		}
		if y > 0 && w.RateYoung != float64(py)/float64(y) {
			t.Errorf("%s: young rate %v", w.Label, w.RateYoung)
		}
	}
	if st.Retention[3].Young+st.Retention[3].Mature == 0 {
		t.Error("the generated history has no review-state ratings: the retention check tested nothing")
	}

	// Card states, distributions and the forecast, from the stored states.
	ref := fsrs.NewFSRS(set.Parameters())
	var counts CardCounts
	recall := make([]int, len(recallLabels))
	forecast := make([]int, ForecastDays)
	for i := int64(0); i < 40; i++ {
		rc, _ := db.ReviewCardByID(ctx, u, cards+i)
		s := rc.State
		switch s.Phase {
		case srs.New:
			counts.New++
			continue
		case srs.Learning:
			counts.Learning++
		case srs.Review:
			counts.Review++
		case srs.Relearning:
			counts.Relearning++
		}
		if s.Suspended {
			counts.Suspended++
		}
		if s.Lapses >= srs.LeechLapses {
			counts.Leech++
		}
		r, _ := recallAt(ref, fsrs.Card{State: fsrs.State(s.Phase), Stability: s.Stability, LastReview: time.UnixMilli(s.LastReview)}, now)
		recall[bucket(recallEdges, r)]++
		dueDay := localDay(time.UnixMilli(s.Due), loc)
		for k := 0; k < ForecastDays; k++ {
			day := localDay(now.AddDate(0, 0, k), loc)
			if (k == 0 && dueDay <= day) || (k > 0 && dueDay == day) {
				forecast[k]++
			}
		}
	}
	if st.Cards != counts {
		t.Errorf("card counts %+v, want %+v", st.Cards, counts)
	}
	if fmt.Sprint(st.Recall.Counts) != fmt.Sprint(recall) {
		t.Errorf("recall distribution %v, want %v", st.Recall.Counts, recall)
	}
	if fmt.Sprint(st.Forecast) != fmt.Sprint(forecast) {
		t.Errorf("forecast %v, want %v", st.Forecast, forecast)
	}
	if all.Cards.New != st.Cards.New || all.Cards.Learning+all.Cards.Review+all.Cards.Relearning != st.Cards.Learning+st.Cards.Review+st.Cards.Relearning+1 {
		t.Errorf("all decks counts %+v vs deck %+v", all.Cards, st.Cards)
	}

	// Readiness at an exam in 30 days: mean retrievability, unseen = 0.
	exam := now.AddDate(0, 0, 30)
	rd, err := db.Readiness(ctx, u, "stats", exam)
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	due := 0
	for i := int64(0); i < 40; i++ {
		rc, _ := db.ReviewCardByID(ctx, u, cards+i)
		s := rc.State
		if s.Phase == srs.New {
			continue
		}
		r, _ := recallAt(ref, fsrs.Card{State: fsrs.State(s.Phase), Stability: s.Stability, LastReview: time.UnixMilli(s.LastReview)}, exam)
		sum += r
		if s.Due < exam.UnixMilli() {
			due++
		}
	}
	if rd.Cards != 40 || rd.Unseen != counts.New || rd.DueBefore != due || math.Abs(rd.Recall-sum/40) > 1e-12 || rd.PerDay != float64((counts.New+due+29)/30) {
		t.Errorf("readiness %+v, want recall %v, %d unseen, %d due, %d a day", rd, sum/40, counts.New, due, (counts.New+due+29)/30)
	}

	// A card's history: every rating, undone ones marked.
	h, err := db.CardHistory(ctx, u, log[len(log)-1].card)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range log {
		if r.card == log[len(log)-1].card {
			n++
		}
	}
	kept := 0
	for _, e := range h {
		if !e.Undone {
			kept++
		}
	}
	if kept != n || h[len(h)-1].Recall <= 0 && len(h) > 1 {
		t.Errorf("history: %d kept entries, want %d; last %+v", kept, n, h[len(h)-1])
	}
	stranger, _ := db.CreateUser(ctx, "stranger", "stranger-password", false, SignUpByAdmin)
	if _, err := db.Stats(ctx, stranger, "nope"); ErrorCode(err) != ENotFound {
		t.Errorf("stats of an unknown deck: %v", err)
	}
	if h, _ := db.CardHistory(ctx, stranger, cards); len(h) != 0 {
		t.Errorf("a stranger sees kiwi's history: %d entries", len(h))
	}
}

// recallAt is the reference recall of a card at t: go-fsrs's forgetting
// curve with the elapsed time in fractional days (go-fsrs's own
// Retrievability rounds it down to whole days).
func recallAt(ref *fsrs.FSRS, c fsrs.Card, t time.Time) (float64, error) {
	if c.State == fsrs.New || c.LastReview.IsZero() {
		return 0, nil
	}
	return ref.Parameters.ForgettingCurve(max(0, t.Sub(c.LastReview).Hours()/24), c.Stability), nil
}
