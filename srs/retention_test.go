package srs

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	fsrs "github.com/open-spaced-repetition/go-fsrs/v4"
)

// retentionForgetful are weights of a learner whose memory decays much
// faster than the default learner's: far smaller initial stabilities and
// slower growth of stability on recall.
func retentionForgetful() Params {
	p := DefaultParams()
	p[0], p[1], p[2], p[3] = 0.05, 0.2, 0.5, 1.5
	p[8] = 1.0
	return p
}

func TestOptimalRetentionCurve(t *testing.T) {
	best, curve := OptimalRetention(Params{}, DefaultCosts(), DefaultRetentionSim())
	if len(curve) != 26 {
		t.Fatalf("curve has %d points, want 26", len(curve))
	}
	minCost, argMin := math.Inf(1), 0.0
	for i, pt := range curve {
		if want := 0.70 + 0.01*float64(i); math.Abs(pt.Retention-want) > 1e-9 {
			t.Errorf("point %d at retention %v, want %v", i, pt.Retention, want)
		}
		if !(pt.SecondsPerCard > 0) || math.IsInf(pt.SecondsPerCard, 0) {
			t.Errorf("point %d costs %v seconds per card", i, pt.SecondsPerCard)
		}
		if pt.SecondsPerCard < minCost {
			minCost, argMin = pt.SecondsPerCard, pt.Retention
		}
	}
	if curve[0].Retention != 0.70 || curve[25].Retention != 0.95 {
		t.Errorf("curve spans %v to %v, want 0.7 to 0.95", curve[0].Retention, curve[25].Retention)
	}
	if best != argMin {
		t.Errorf("best %v, but the curve's minimum is at %v", best, argMin)
	}
	// Each point is seconds / remembered of a Workload run.
	for _, i := range []int{0, 10, 20, 25} {
		s, r := Workload(Params{}, DefaultCosts(), DefaultRetentionSim(), curve[i].Retention)
		if got := s / r; got != curve[i].SecondsPerCard {
			t.Errorf("at %v the curve says %v seconds per card, Workload %v", curve[i].Retention, curve[i].SecondsPerCard, got)
		}
	}
	t.Logf("optimal retention %v, %.1f s per card remembered", best, minCost)
}

func TestWorkloadRetentionMonotone(t *testing.T) {
	for _, p := range []Params{{}, retentionForgetful()} {
		var lastS, lastR float64
		for i, r := range []float64{0.70, 0.80, 0.90, 0.95} {
			s, rem := Workload(p, DefaultCosts(), DefaultRetentionSim(), r)
			if rem <= 0 || rem > 1000 {
				t.Errorf("%v at %v: %v cards remembered of 1000", p, r, rem)
			}
			if i > 0 && !(s > lastS && rem > lastR) {
				t.Errorf("%v: raising retention to %v gave %v s and %v remembered, after %v s and %v", p, r, s, rem, lastS, lastR)
			}
			lastS, lastR = s, rem
		}
	}
}

func TestOptimalRetentionForgetfulLearner(t *testing.T) {
	costs, sim := DefaultCosts(), DefaultRetentionSim()
	_, normal := OptimalRetention(Params{}, costs, sim)
	best, forgetful := OptimalRetention(retentionForgetful(), costs, sim)
	if len(forgetful) != len(normal) {
		t.Fatalf("curves of %d and %d points", len(forgetful), len(normal))
	}
	for i := range normal {
		if !(forgetful[i].SecondsPerCard > normal[i].SecondsPerCard) {
			t.Errorf("at %v a forgetful learner spends %v s per card remembered, the default one %v",
				normal[i].Retention, forgetful[i].SecondsPerCard, normal[i].SecondsPerCard)
		}
	}
	again, curve := OptimalRetention(retentionForgetful(), costs, sim)
	if again != best || !reflect.DeepEqual(curve, forgetful) {
		t.Errorf("the same call gave %v %v, then %v %v", best, forgetful, again, curve)
	}
	s, r := Workload(retentionForgetful(), costs, sim, 0.85)
	sim.Seed++
	if s2, r2 := Workload(retentionForgetful(), costs, sim, 0.85); s2 == s && r2 == r {
		t.Errorf("another seed gave the same workload, %v s and %v remembered", s, r)
	}
}

func TestRetentionInvalidInputs(t *testing.T) {
	good := DefaultRetentionSim()
	sims := map[string]RetentionSim{}
	for name, f := range map[string]func(*RetentionSim){
		"no cards":        func(s *RetentionSim) { s.Cards = 0 },
		"negative cards":  func(s *RetentionSim) { s.Cards = -5 },
		"no days":         func(s *RetentionSim) { s.Days = 0 },
		"negative days":   func(s *RetentionSim) { s.Days = -1 },
		"no new cards":    func(s *RetentionSim) { s.NewPerDay = 0 },
		"no max interval": func(s *RetentionSim) { s.MaxIntervalDays = 0 },
	} {
		s := good
		f(&s)
		sims[name] = s
	}
	for name, sim := range sims {
		if s, r := Workload(Params{}, DefaultCosts(), sim, 0.9); s != 0 || r != 0 {
			t.Errorf("%s: Workload gave %v, %v, want 0, 0", name, s, r)
		}
		if best, curve := OptimalRetention(Params{}, DefaultCosts(), sim); best != 0.9 || curve != nil {
			t.Errorf("%s: OptimalRetention gave %v, %v, want 0.9 and no curve", name, best, curve)
		}
	}
	costs := map[string]func(*Costs){
		"negative learn":     func(c *Costs) { c.Learn = -1 },
		"NaN review":         func(c *Costs) { c.Review[2] = math.NaN() },
		"infinite review":    func(c *Costs) { c.Review[0] = math.Inf(1) },
		"no first ratings":   func(c *Costs) { c.FirstRating = [4]float64{} },
		"negative first":     func(c *Costs) { c.FirstRating[1] = -0.5 },
		"only Again recalls": func(c *Costs) { c.RecallRating = [4]float64{1, 0, 0, 0} },
	}
	for name, f := range costs {
		c := DefaultCosts()
		f(&c)
		if s, r := Workload(Params{}, c, good, 0.9); s != 0 || r != 0 {
			t.Errorf("%s: Workload gave %v, %v, want 0, 0", name, s, r)
		}
		if best, curve := OptimalRetention(Params{}, c, good); best != 0.9 || curve != nil {
			t.Errorf("%s: OptimalRetention gave %v, %v, want 0.9 and no curve", name, best, curve)
		}
	}
	bad := DefaultParams()
	bad[20] = 0 // no forgetting curve decay
	if s, r := Workload(bad, DefaultCosts(), good, 0.9); s != 0 || r != 0 {
		t.Errorf("invalid weights: Workload gave %v, %v", s, r)
	}
	if best, curve := OptimalRetention(bad, DefaultCosts(), good); best != 0.9 || curve != nil {
		t.Errorf("invalid weights: OptimalRetention gave %v, %v", best, curve)
	}
	for _, r := range []float64{0, 1, -0.5, 1.5, math.NaN()} {
		if s, rem := Workload(Params{}, DefaultCosts(), good, r); s != 0 || rem != 0 {
			t.Errorf("retention %v: Workload gave %v, %v", r, s, rem)
		}
	}
}

// With intervals capped at a day every card introduced is reviewed every
// later day, so the time spent and the cards remembered can be counted.
func TestWorkloadRetentionCounts(t *testing.T) {
	costs := DefaultCosts()
	costs.Learn, costs.Review = 20, [4]float64{10, 10, 10, 10}
	// 25 cards at 10 a day: 10 on day 0, 10 on day 1, 5 on day 2; the last
	// day is day 4, when every card is reviewed.
	sim := RetentionSim{Cards: 25, Days: 5, NewPerDay: 10, MaxIntervalDays: 1, Seed: 7}
	s, r := Workload(Params{}, costs, sim, 0.8)
	if want := 25*20 + (10*4+10*3+5*2)*10.0; s != want || r != 25 {
		t.Errorf("Workload gave %v s and %v remembered, want %v and 25", s, r, want)
	}
	// A single day: only learning, and every card learnt that day is known.
	sim = RetentionSim{Cards: 100, Days: 1, NewPerDay: 30, MaxIntervalDays: 36500, Seed: 7}
	if s, r := Workload(Params{}, costs, sim, 0.9); s != 30*20 || r != 30 {
		t.Errorf("one day: %v s and %v remembered, want 600 and 30", s, r)
	}
	// Cards never introduced cost nothing and are not remembered.
	sim = RetentionSim{Cards: 1000, Days: 30, NewPerDay: 10, MaxIntervalDays: 36500, Seed: 7}
	_, r = Workload(Params{}, costs, sim, 0.9)
	if !(r > 0 && r <= 300) {
		t.Errorf("300 cards introduced, %v remembered", r)
	}
}

// retentionDayByDay simulates the model literally, a day at a time:
// reviewing the cards due each day and then introducing that day's new
// cards, with the same random stream per card as Workload.
func retentionDayByDay(p Params, costs Costs, sim RetentionSim, r float64) (seconds, remembered float64, recalls, reviews int) {
	fp := fsrs.DefaultParam()
	fp.W = fsrs.Weights(p.orDefault())
	draw := func(u float64, probs []float64, first fsrs.Rating) fsrs.Rating {
		var total float64
		for _, q := range probs {
			total += q
		}
		acc := 0.0
		for i, q := range probs {
			acc += q / total
			if u < acc {
				return first + fsrs.Rating(i)
			}
		}
		return first + fsrs.Rating(len(probs)-1)
	}
	interval := func(ivl float64) int {
		return int(min(max(math.Round(ivl), 1), float64(sim.MaxIntervalDays)))
	}
	type card struct {
		g         rand.PCG
		st        fsrs.ItemState
		last, due int
	}
	var cards []*card
	for day := range sim.Days {
		for _, c := range cards {
			if c.due != day {
				continue
			}
			elapsed := day - c.last
			recalled := retentionUniform(&c.g) < fp.ForgettingCurve(float64(elapsed), c.st.Memory.Stability)
			rating := draw(retentionUniform(&c.g), costs.RecallRating[1:], fsrs.Hard)
			reviews++
			if recalled {
				recalls++
			} else {
				rating = fsrs.Again
			}
			seconds += costs.Review[rating-1]
			c.st = fp.NextState(&c.st.Memory, r, uint64(elapsed), rating)
			c.last, c.due = day, day+interval(c.st.Interval)
		}
		for n := 0; n < sim.NewPerDay && len(cards) < sim.Cards; n++ {
			c := &card{last: day}
			retentionStream(&c.g, sim.Seed, len(cards))
			c.st = fp.NextState(nil, r, 0, draw(retentionUniform(&c.g), costs.FirstRating[:], fsrs.Again))
			c.due = day + interval(c.st.Interval)
			seconds += costs.Learn
			cards = append(cards, c)
		}
	}
	for _, c := range cards {
		remembered += fp.ForgettingCurve(float64(sim.Days-1-c.last), c.st.Memory.Stability)
	}
	return seconds, remembered, recalls, reviews
}

func TestRetentionWorkloadMatchesDayByDay(t *testing.T) {
	costs := DefaultCosts()
	costs.FirstRating = [4]float64{1, 1, 5, 2} // not normalised
	for _, tc := range []struct {
		p   Params
		sim RetentionSim
		r   float64
	}{
		{Params{}, RetentionSim{Cards: 300, Days: 200, NewPerDay: 7, MaxIntervalDays: 36500, Seed: 1}, 0.9},
		{Params{}, RetentionSim{Cards: 300, Days: 200, NewPerDay: 7, MaxIntervalDays: 20, Seed: 2}, 0.75},
		{retentionForgetful(), RetentionSim{Cards: 500, Days: 120, NewPerDay: 9, MaxIntervalDays: 36500, Seed: 3}, 0.95},
	} {
		s, rem := Workload(tc.p, costs, tc.sim, tc.r)
		ws, wrem, recalls, reviews := retentionDayByDay(tc.p, costs, tc.sim, tc.r)
		if math.Abs(s-ws) > 1e-9*ws || rem != wrem {
			t.Errorf("%+v at %v: Workload %v s %v remembered, day by day %v s %v", tc.sim, tc.r, s, rem, ws, wrem)
		}
		// Reviews come when the predicted recall has fallen to about the
		// desired retention (higher for intervals rounded up to a day),
		// or earlier when the maximum interval cuts them short.
		rate := float64(recalls) / float64(reviews)
		hi := tc.r + 0.05
		if tc.sim.MaxIntervalDays < 36500 {
			hi = 1
		}
		if reviews < 1000 || rate < tc.r-0.03 || rate > hi {
			t.Errorf("%+v at %v: %d of %d reviews recalled (%.3f)", tc.sim, tc.r, recalls, reviews, rate)
		}
	}
}

func BenchmarkOptimalRetention(b *testing.B) {
	costs, sim := DefaultCosts(), DefaultRetentionSim()
	for b.Loop() {
		OptimalRetention(Params{}, costs, sim)
	}
}
