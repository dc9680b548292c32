package store

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/flashd/flashd/srs"
)

// seedSyntheticLog gives u the review log of a simulated learner over the
// deck's first cards, through ImportHistory.
func seedSyntheticLog(t *testing.T, db *DB, u *User, sim srs.Simulation) []srs.Logged {
	t.Helper()
	ctx := context.Background()
	var ids []int64
	if err := db.ro.SelectContext(ctx, &ids, `SELECT id FROM cards ORDER BY deck_id, position`); err != nil {
		t.Fatal(err)
	}
	log := srs.SimulateLog(sim)
	for i := range log {
		if int(log[i].Card) >= len(ids) {
			t.Fatalf("simulation uses %d cards, the deck has %d", log[i].Card+1, len(ids))
		}
		log[i].Card = ids[log[i].Card]
	}
	if n, err := db.ImportHistory(ctx, u, log); err != nil || n != len(log) {
		t.Fatalf("import history: %d of %d, %v", n, len(log), err)
	}
	return log
}

// optimizerSetup is a learner with a simulated history over a generated
// deck (100 cards more than the simulation uses), on a clock a day after
// the last rating.
func optimizerSetup(t *testing.T, sim srs.Simulation) (*DB, *User, []srs.Logged) {
	t.Helper()
	db := openTestDB(t)
	importDeck(t, db, genDeck(sim.Cards+100))
	u, err := db.CreateUser(context.Background(), "learner", "learner-password", false, SignUpByAdmin)
	if err != nil {
		t.Fatal(err)
	}
	log := seedSyntheticLog(t, db, u, sim)
	db.Now = func() time.Time { return log[len(log)-1].At.Add(24 * time.Hour) }
	return db, u, log
}

func stateOf(t *testing.T, db *DB, u *User, card int64) CardState {
	t.Helper()
	st, err := loadTarget(context.Background(), db.rq, u.ID, card)
	if err != nil {
		t.Fatal(err)
	}
	return st.state
}

// TestOptimizeAdoptsRecomputesAndSchedules fits a simulated learner's log
// through the store: the fitted weights are adopted, every studied card's
// memory state is recomputed under them, the next rating is scheduled
// and logged with them, and a reset goes back to the defaults.
func TestOptimizeAdoptsRecomputesAndSchedules(t *testing.T) {
	db, u, log := optimizerSetup(t, srs.Simulation{Truth: srs.ForgetfulParams(), Cards: 1200, Days: 200, Seed: 21})
	ctx := context.Background()
	card := log[len(log)-1].Card
	before := stateOf(t, db, u, card)

	var calls int
	o, err := db.Optimize(ctx, u, func(float64) { calls++ })
	if err != nil {
		t.Fatal(err)
	}
	if o.State != OptimizationAdopted || calls == 0 || o.Progress != 1 {
		t.Fatalf("optimization %s after %d progress calls (%s)", o.State, calls, o.Message)
	}
	if !(o.AfterLogLoss < o.BeforeLogLoss) || o.AfterRMSE > o.BeforeRMSE || o.Train+o.Test != o.Reviews || o.Test == 0 {
		t.Errorf("figures: %+v", o)
	}
	if o.OptimalRetention < 0.7 || o.OptimalRetention > 0.95 {
		t.Errorf("optimal retention %v", o.OptimalRetention)
	}
	latest, err := db.LatestOptimization(ctx, u)
	if err != nil || latest == nil || latest.ID != o.ID || latest.State != OptimizationAdopted || latest.AfterLogLoss != o.AfterLogLoss {
		t.Fatalf("latest = %+v, %v", latest, err)
	}
	u, _ = db.UserByID(ctx, u.ID)
	p := u.Settings().Params
	if u.FSRSParams != o.ParamsAfter || p.IsDefault() {
		t.Fatalf("user's parameters %q, optimization's %q", u.FSRSParams, o.ParamsAfter)
	}

	// Recomputed under the new weights; due dates untouched.
	var cardLog []srs.Logged
	for _, l := range log {
		if l.Card == card {
			cardLog = append(cardLog, l)
		}
	}
	wantS, wantD, _ := srs.Memory(p, cardLog)
	after := stateOf(t, db, u, card)
	if after.Stability != wantS || after.Difficulty != wantD || after.Due != before.Due || after.Version != before.Version {
		t.Errorf("card state %+v, want S=%v D=%v with due %d and version %d kept", after, wantS, wantD, before.Due, before.Version)
	}

	// The next rating schedules with the learner's weights and logs them.
	rc, err := db.ReviewCardByID(ctx, u, card)
	if err != nil {
		t.Fatal(err)
	}
	res, err := db.RateAnswered(ctx, u, card, rc.State.Token(), srs.Good, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := srs.NewScheduler(u.Settings()).Next(rc.State.SRS(), db.Now().Truncate(time.Millisecond), srs.Good)
	def := srs.DefaultSettings()
	withDefaults, _ := srs.NewScheduler(def).Next(rc.State.SRS(), db.Now().Truncate(time.Millisecond), srs.Good)
	if res.After.Stability != want.Stability || res.After.Stability == withDefaults.Stability {
		t.Errorf("rated S=%v, learner's weights give %v, defaults %v", res.After.Stability, want.Stability, withDefaults.Stability)
	}
	rows, _ := db.ReviewLog(ctx, "learner")
	if got := rows[len(rows)-1].Params; got != o.ParamsAfter {
		t.Errorf("review logged params %q, want %q", got, o.ParamsAfter)
	}

	// Reset: the defaults again, and the states they give.
	if err := db.ResetParams(ctx, u); err != nil {
		t.Fatal(err)
	}
	u, _ = db.UserByID(ctx, u.ID)
	other := log[0].Card
	var otherLog []srs.Logged
	for _, l := range log {
		if l.Card == other {
			otherLog = append(otherLog, l)
		}
	}
	s0, d0, _ := srs.Memory(srs.Params{}, otherLog)
	if st := stateOf(t, db, u, other); u.FSRSParams != "" || st.Stability != s0 || st.Difficulty != d0 {
		t.Errorf("after reset: params %q, state S=%v D=%v, want defaults' S=%v D=%v", u.FSRSParams, st.Stability, st.Difficulty, s0, d0)
	}
	if latest, _ := db.LatestOptimization(ctx, u); latest.State != OptimizationReset || latest.ParamsBefore != o.ParamsAfter {
		t.Errorf("latest after reset: %+v (it must record the weights it reset from)", latest)
	}
}

// TestMemoryMatchesScheduler: replaying a card's log through srs.Memory
// gives the state the scheduler stored, rating by rating, across study
// days and time zones, so recomputing on adoption changes nothing but
// the weights.
func TestMemoryMatchesScheduler(t *testing.T) {
	db, alice, _, clock := reviewSetup(t)
	ctx := context.Background()
	set := alice.Settings()
	if err := db.UpdateSettings(ctx, alice.ID, "Pacific/Auckland", set); err != nil {
		t.Fatal(err)
	}
	alice, _ = db.UserByID(ctx, alice.ID)
	ratings := []srs.Rating{srs.Again, srs.Good, srs.Good, srs.Hard, srs.Good, srs.Again, srs.Good, srs.Easy, srs.Good, srs.Good}
	for i := range 30 {
		q := next(t, db, alice, Filter{})
		if q.Card == nil {
			*clock = clock.Add(9 * time.Hour)
			continue
		}
		rate(t, db, alice, q.Card, ratings[i%len(ratings)])
		*clock = clock.Add(time.Duration(3+i*i%17) * time.Hour)
	}
	l, err := db.optimizerLog(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	byCard := map[int64][]srs.Logged{}
	for _, r := range l.ratings {
		byCard[r.Card] = append(byCard[r.Card], r)
	}
	if len(byCard) < 2 {
		t.Fatalf("only %d cards rated", len(byCard))
	}
	for card, cl := range byCard {
		s, d, err := srs.Memory(srs.Params{}, cl)
		if err != nil {
			t.Fatal(err)
		}
		st := stateOf(t, db, alice, card)
		if math.Abs(s-st.Stability) > 1e-12 || math.Abs(d-st.Difficulty) > 1e-12 {
			t.Errorf("card %d (%d ratings): replay S=%v D=%v, stored S=%v D=%v", card, len(cl), s, d, st.Stability, st.Difficulty)
		}
	}
}

// TestOptimizeRefusesShortHistory: below the minimum the run says so and
// the learner keeps the default weights.
func TestOptimizeRefusesShortHistory(t *testing.T) {
	db, alice, _, _ := reviewSetup(t)
	ctx := context.Background()
	rate(t, db, alice, next(t, db, alice, Filter{}).Card, srs.Good)
	o, err := db.Optimize(ctx, alice, nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.State != OptimizationRefused || !strings.Contains(o.Message, "at least 400") || o.OptimalRetention == 0 {
		t.Errorf("optimization %+v", o)
	}
	alice, _ = db.UserByID(ctx, alice.ID)
	if alice.FSRSParams != "" {
		t.Errorf("parameters %q after a refusal", alice.FSRSParams)
	}
}

// TestStartOptimizationRunsInBackground: the run is recorded at once,
// a second one for the same learner is refused while it runs, and it
// finishes on its own.
func TestStartOptimizationRunsInBackground(t *testing.T) {
	db, u, _ := optimizerSetup(t, srs.Simulation{Truth: srs.ForgetfulParams(), Cards: 800, Days: 150, Seed: 5})
	ctx := context.Background()
	db.optimizerSlot <- struct{}{} // hold the server's one slot: the run waits
	o, err := db.StartOptimization(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if o.State != OptimizationRunning {
		t.Fatalf("started in state %s", o.State)
	}
	if _, err := db.StartOptimization(ctx, u); ErrorCode(err) != EConflict {
		t.Errorf("second start: %v, want EConflict", err)
	}
	if latest, _ := db.LatestOptimization(ctx, u); latest.State != OptimizationRunning || latest.Progress != 0 {
		t.Errorf("while waiting: %+v", latest)
	}
	<-db.optimizerSlot
	db.background.Wait()
	latest, err := db.LatestOptimization(ctx, u)
	if err != nil || latest.ID != o.ID || latest.State == OptimizationRunning || latest.FinishedAt == 0 {
		t.Fatalf("after the run: %+v, %v", latest, err)
	}
	// An abandoned run (its server stopped) does not block a new one.
	if _, err := db.rw.ExecContext(ctx, `UPDATE optimizations SET state = 'running', updated_at = 0 WHERE id = ?`, o.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Optimize(ctx, u, nil); err != nil {
		t.Fatalf("after an abandoned run: %v", err)
	}
	var state string
	if err := db.ro.GetContext(ctx, &state, `SELECT state FROM optimizations WHERE id = ?`, o.ID); err != nil || state != OptimizationFailed {
		t.Errorf("abandoned run is %q, %v; want failed", state, err)
	}
}

// TestImportHistory: imported ratings land in the log with the states and
// counters the scheduler and the rating transaction would have given,
// and a card studied here already is refused with nothing written.
func TestImportHistory(t *testing.T) {
	db, alice, bob, _ := reviewSetup(t)
	ctx := context.Background()
	var ids []int64
	if err := db.ro.SelectContext(ctx, &ids, `SELECT id FROM cards ORDER BY position LIMIT 3`); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC)
	log := []srs.Logged{
		{Card: ids[0], Rating: srs.Good, At: at},
		{Card: ids[0], Rating: srs.Good, At: at.Add(10 * time.Minute)},
		{Card: ids[0], Rating: srs.Again, At: at.Add(72 * time.Hour)},
		{Card: ids[1], Rating: srs.Easy, At: at.Add(time.Hour)},
	}
	n, err := db.ImportHistory(ctx, alice, log)
	if err != nil || n != 4 {
		t.Fatalf("import: %d, %v", n, err)
	}
	sched := srs.NewScheduler(alice.Settings())
	var want srs.State
	for _, l := range log[:3] {
		want, _ = sched.Next(want, l.At, l.Rating)
	}
	got := stateOf(t, db, alice, ids[0])
	if got.Stability != want.Stability || got.Due != want.Due.UnixMilli() || got.Lapses != 1 || got.Version != 3 {
		t.Errorf("state %+v, replay %+v", got, want)
	}
	if c := countRows(t, db, `SELECT COUNT(*) FROM reviews WHERE user_id = ?`, alice.ID); c != 4 {
		t.Errorf("%d reviews", c)
	}
	if c := countRows(t, db, `SELECT SUM(ratings) FROM study_days WHERE user_id = ?`, alice.ID); c != 4 {
		t.Errorf("study days count %d ratings", c)
	}
	if c := countRows(t, db, `SELECT SUM(studied) FROM learner_decks WHERE user_id = ?`, alice.ID); c != 2 {
		t.Errorf("learner decks count %d studied cards", c)
	}
	// Studying goes on from there: the lapsed card is relearning and the
	// other due for review, both from the imported schedule.
	if q := next(t, db, alice, Filter{}); q.Counts.Learning != 1 || q.Counts.Review != 1 || q.Card == nil || q.Card.ID != ids[0] {
		t.Errorf("queue after import: %+v, card %+v", q.Counts, q.Card)
	}
	// A card with a history here is refused, and nothing of the batch lands.
	_, err = db.ImportHistory(ctx, alice, []srs.Logged{{Card: ids[2], Rating: srs.Good, At: at}, {Card: ids[1], Rating: srs.Good, At: at}})
	if ErrorCode(err) != EConflict {
		t.Errorf("re-import: %v, want EConflict", err)
	}
	if c := countRows(t, db, `SELECT COUNT(*) FROM reviews WHERE user_id = ?`, alice.ID); c != 4 {
		t.Errorf("refused import wrote: %d reviews", c)
	}
	// Bob's history is his own.
	if _, err := db.ImportHistory(ctx, bob, log); err != nil {
		t.Errorf("bob: %v", err)
	}
}

// TestStartOptimizationWhileClosing: no background run starts once the
// database is closing, and none is left recorded as running.
func TestStartOptimizationWhileClosing(t *testing.T) {
	db, alice, _, _ := reviewSetup(t)
	db.backgroundMu.Lock()
	db.closing = true
	db.backgroundMu.Unlock()
	if _, err := db.StartOptimization(context.Background(), alice); ErrorCode(err) != EBusy {
		t.Errorf("start while closing: %v, want EBusy", err)
	}
	if latest, err := db.LatestOptimization(context.Background(), alice); err != nil || latest != nil {
		t.Errorf("a run was recorded: %+v, %v", latest, err)
	}
}
