package srs

import (
	"math"
	"math/rand/v2"

	fsrs "github.com/open-spaced-repetition/go-fsrs/v4"
)

// Optimal retention: the desired retention that costs the least study time
// per card remembered, found by simulating a learner (the idea of Anki's
// "compute minimum recommended retention", fsrs-rs's simulate and
// optimal_retention, in a simpler model).
//
// The simulated learner meets NewPerDay new cards a day until the deck is
// used up, and reviews every card on the day it falls due; there is no
// daily review limit, so no card's schedule depends on another's and each
// card is simulated on its own, from its first day to the last simulated
// day, with a random stream of its own. A card's first rating is drawn
// from Costs.FirstRating and its memory state is FSRS's initial state for
// it (the same-day learning steps cost time, Costs.Learn, but are not
// modelled otherwise). At each review the card is recalled with the
// probability the forgetting curve gives for the whole days elapsed; a
// recalled card is rated Hard, Good or Easy as Costs.RecallRating says, a
// forgotten one Again (its relearning costs time, Costs.Review[0], but is
// not modelled otherwise). The new memory state is go-fsrs's
// Parameters.NextState for those days and that rating, and the next
// interval is the state's interval at the desired retention, rounded,
// within [1, MaxIntervalDays] days, without fuzz.
//
// Every card's stream yields one number for its first rating and two for
// each review (recall, then rating, the second drawn even when the card
// is forgotten), so the n-th review of a card uses the same numbers at
// every desired retention (common random numbers): the cost curve over
// retentions is smooth, not noisy, for a given seed.

// Costs are a learner's answer times, in seconds, and how often the
// learner presses each button.
type Costs struct {
	// Learn is the time spent on a new card's first sight, all its
	// same-day learning steps included.
	Learn float64
	// Review is the time of a review answered Again, Hard, Good or Easy
	// (Again includes the relearning that follows it).
	Review [4]float64
	// FirstRating are the relative frequencies of Again, Hard, Good and
	// Easy on a card's first sight.
	FirstRating [4]float64
	// RecallRating are the relative frequencies of Hard, Good and Easy on
	// a review the card was recalled at (index 1 to 3; index 0, Again, is
	// ignored: a recalled card is never rated Again).
	RecallRating [4]float64
}

// DefaultCosts returns the answer times and button frequencies of fsrs-rs's
// simulator defaults (SimulatorConfig, the version with one cost per
// rating that Anki's "compute minimum recommended retention" used): first
// ratings 24% Again, 9.4% Hard, 49.5% Good, 17.1% Easy; recalled reviews
// 22.4% Hard, 63.1% Good, 14.5% Easy; reviews 23.0 s Again (relearning
// included), 11.68 s Hard, 7.33 s Good, 5.6 s Easy. A new card costs 20 s,
// fsrs-rs's original learn cost and close to its later per-first-rating
// learn costs (33.79, 24.3, 13.68 and 6.5 s) weighted by the first
// ratings (18.3 s).
func DefaultCosts() Costs {
	return Costs{
		Learn:        20,
		Review:       [4]float64{23.0, 11.68, 7.33, 5.6},
		FirstRating:  [4]float64{0.24, 0.094, 0.495, 0.171},
		RecallRating: [4]float64{0, 0.224, 0.631, 0.145},
	}
}

// valid reports whether every time and frequency is finite and not
// negative and each set of frequencies has a positive total.
func (c Costs) valid() bool {
	ok := func(v float64) bool { return v >= 0 && !math.IsInf(v, 0) } // false for NaN too
	if !ok(c.Learn) {
		return false
	}
	var first, recall float64
	for i := range 4 {
		if !ok(c.Review[i]) || !ok(c.FirstRating[i]) || !ok(c.RecallRating[i]) {
			return false
		}
		first += c.FirstRating[i]
		if i > 0 {
			recall += c.RecallRating[i]
		}
	}
	return first > 0 && recall > 0 && !math.IsInf(first, 0) && !math.IsInf(recall, 0)
}

// RetentionSim is the study a simulation runs.
type RetentionSim struct {
	Cards           int    // cards in the deck, all new at the start
	Days            int    // days studied
	NewPerDay       int    // new cards introduced per day
	MaxIntervalDays int    // longest interval scheduled
	Seed            uint64 // seed of the random streams
}

// DefaultRetentionSim returns a year's study of a 1000-card deck at 20 new
// cards a day (the whole deck is introduced in 50 days, leaving most of
// the year for reviews) with the default maximum interval, 36500 days, and
// seed 42.
func DefaultRetentionSim() RetentionSim {
	return RetentionSim{Cards: 1000, Days: 365, NewPerDay: 20, MaxIntervalDays: 36500, Seed: 42}
}

func (s RetentionSim) valid() bool {
	return s.Cards > 0 && s.Days > 0 && s.NewPerDay > 0 && s.MaxIntervalDays > 0
}

// RetentionPoint is one point of the cost curve: a desired retention and
// the study time it costs per card remembered at the end.
type RetentionPoint struct{ Retention, SecondsPerCard float64 }

// Optimal retention is searched from retentionMinPct to retentionMaxPct
// percent in steps of one percent, as Anki does; retentionDefault is the
// answer for inputs that cannot be simulated.
const (
	retentionMinPct  = 70
	retentionMaxPct  = 95
	retentionDefault = 0.90
)

// Workload simulates a learner with weights p studying as sim says at
// desired retention r (see the model above) and returns the total seconds
// spent (learning and reviews, at costs) and the expected number of cards
// remembered at the end of the last day: the sum of every introduced
// card's retrievability then (a card reviewed that day counts 1).
//
// It returns 0, 0 for inputs it cannot simulate: sim.Cards, Days,
// NewPerDay or MaxIntervalDays below 1, weights p outside their bounds
// (Params.Validate), negative, infinite or NaN costs or frequencies,
// first or recall frequencies that add up to 0, or r not in (0, 1).
// The result depends only on its arguments.
func Workload(p Params, costs Costs, sim RetentionSim, r float64) (seconds, remembered float64) {
	if !sim.valid() || !costs.valid() || p.Validate() != nil || !(r > 0 && r < 1) {
		return 0, 0
	}
	w := newRetentionWorld(p, costs, sim)
	return w.run(r)
}

// OptimalRetention returns the desired retention, from 0.70 to 0.95 in
// steps of 0.01, at which Workload finds the fewest seconds spent per card
// remembered (the lowest such retention if several tie), and the cost
// curve, one point per retention in increasing order, for a page to show. For inputs Workload cannot simulate it returns 0.90 (the default
// desired retention) and no curve.
func OptimalRetention(p Params, costs Costs, sim RetentionSim) (best float64, curve []RetentionPoint) {
	if !sim.valid() || !costs.valid() || p.Validate() != nil {
		return retentionDefault, nil
	}
	w := newRetentionWorld(p, costs, sim)
	curve = make([]RetentionPoint, 0, retentionMaxPct-retentionMinPct+1)
	best, bestCost := retentionDefault, math.Inf(1)
	for pct := retentionMinPct; pct <= retentionMaxPct; pct++ {
		r := float64(pct) / 100
		seconds, remembered := w.run(r)
		cost := math.Inf(1)
		if remembered > 0 {
			cost = seconds / remembered
		}
		curve = append(curve, RetentionPoint{Retention: r, SecondsPerCard: cost})
		if cost < bestCost {
			best, bestCost = r, cost
		}
	}
	return best, curve
}

// retentionWorld is what every run of one simulation shares.
type retentionWorld struct {
	fp     fsrs.Parameters
	costs  Costs
	sim    RetentionSim
	first  [4]float64 // cumulative first-rating probabilities, Again..Easy
	recall [4]float64 // cumulative recall-rating probabilities, Hard..Easy at 1..3
}

func newRetentionWorld(p Params, costs Costs, sim RetentionSim) *retentionWorld {
	w := &retentionWorld{fp: fsrs.DefaultParam(), costs: costs, sim: sim}
	w.fp.W = fsrs.Weights(p.orDefault())
	w.fp.EnableFuzz = false
	var firstSum, recallSum float64
	for i := range 4 {
		firstSum += costs.FirstRating[i]
		if i > 0 {
			recallSum += costs.RecallRating[i]
		}
	}
	var acc float64
	for i := range 4 {
		acc += costs.FirstRating[i] / firstSum
		w.first[i] = acc
	}
	acc = 0
	for i := 1; i < 4; i++ {
		acc += costs.RecallRating[i] / recallSum
		w.recall[i] = acc
	}
	w.first[3], w.recall[3] = 1, 1 // no rounding gap above the last button
	return w
}

// retentionMix is splitmix64's finaliser, spreading seeds over the PCG's
// state.
func retentionMix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// retentionStream seeds the random stream of card i under seed.
func retentionStream(g *rand.PCG, seed uint64, i int) {
	g.Seed(retentionMix(seed), retentionMix(seed^retentionMix(uint64(i))))
}

// retentionUniform returns a number in [0, 1) from g.
func retentionUniform(g *rand.PCG) float64 { return float64(g.Uint64()>>11) * 0x1p-53 }

// interval returns the days until the next review of a card whose new
// state gave the raw interval ivl: rounded, at least a day, at most the
// maximum interval nor (as nothing later is simulated) the length of the
// simulation.
func (w *retentionWorld) interval(ivl float64) int {
	hi := min(w.sim.MaxIntervalDays, w.sim.Days)
	if !(ivl < float64(hi)) { // also NaN
		return hi
	}
	return max(int(math.Round(ivl)), 1)
}

// run simulates every card at desired retention r.
func (w *retentionWorld) run(r float64) (seconds, remembered float64) {
	var g rand.PCG
	last := w.sim.Days - 1
	for i := range w.sim.Cards {
		day := i / w.sim.NewPerDay
		if day >= w.sim.Days {
			break // this card and the rest are never introduced
		}
		retentionStream(&g, w.sim.Seed, i)
		u := retentionUniform(&g)
		rating := fsrs.Easy
		for k := range 3 {
			if u < w.first[k] {
				rating = fsrs.Rating(k + 1)
				break
			}
		}
		seconds += w.costs.Learn
		st := w.fp.NextState(nil, r, 0, rating)
		due := day + w.interval(st.Interval)
		for due <= last {
			elapsed := due - day
			recalled := retentionUniform(&g) < w.fp.ForgettingCurve(float64(elapsed), st.Memory.Stability)
			u := retentionUniform(&g)
			rating = fsrs.Again
			if recalled {
				rating = fsrs.Easy
				for k := 1; k < 3; k++ {
					if u < w.recall[k] {
						rating = fsrs.Rating(k + 1)
						break
					}
				}
			}
			seconds += w.costs.Review[rating-1]
			st = w.fp.NextState(&st.Memory, r, uint64(elapsed), rating)
			day = due
			due = day + w.interval(st.Interval)
		}
		remembered += w.fp.ForgettingCurve(float64(last-day), st.Memory.Stability)
	}
	return seconds, remembered
}
