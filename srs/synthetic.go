package srs

import (
	"math"
	"math/rand/v2"
	"time"

	fsrs "github.com/open-spaced-repetition/go-fsrs/v4"
)

// ForgetfulParams are the weights of a learner unlike the default one, for
// simulations whose answer is known (tests, benchmarks, fsrscompare): they
// forget faster (lower initial stabilities), their stability grows less on
// recall and is lower after a lapse, and their memory decays more steeply.
func ForgetfulParams() Params {
	p := DefaultParams()
	p[0], p[1], p[2], p[3] = 0.1, 0.6, 1.2, 4.5
	p[8] = 1.4
	p[11] = 1.1
	p[20] = 0.35
	return p
}

// Simulation describes a synthetic learner for SimulateLog.
type Simulation struct {
	// Truth are the weights the learner's memory really follows;
	// Scheduled those the scheduler believes in (zero: the defaults).
	Truth, Scheduled Params
	Cards, Days      int // cards introduced (evenly over the days), days studied
	Retention        float64
	Seed             uint64
	Start            time.Time // the first study day (at 04:00 UTC)
}

// SimulateLog returns the review log of a learner whose memory follows
// sim.Truth, scheduled by sim.Scheduled: each day it meets its share of
// new cards (one to four, mostly Good; Again and Hard repeated the same
// day until Good), and reviews each card on the day the scheduler's
// interval for the desired retention ends, recalling it with the
// probability the truth gives for the days elapsed (Hard, Good or Easy
// when recalled, Again then a same-day Good when not). The log is what
// the optimizer would read from a learner's history, for tests and for
// comparing optimizers on data whose answer is known.
func SimulateLog(sim Simulation) []Logged {
	if sim.Retention == 0 {
		sim.Retention = 0.9
	}
	if sim.Start.IsZero() {
		sim.Start = time.Date(2026, 1, 1, 4, 0, 0, 0, time.UTC)
	}
	truth, belief := sim.Truth.orDefault(), sim.Scheduled.orDefault()
	tm, bm := newRealModel(&truth), newRealModel(&belief)
	rng := rand.New(rand.NewPCG(sim.Seed, 0xc0ffee))
	type card struct {
		truth, belief fsrs.MemoryState
		last, due     int
	}
	var log []Logged
	var cards []card
	day0 := sim.Start.Unix() / 86400
	rate := func(id, day, minute int, r Rating) {
		log = append(log, Logged{Card: int64(id), Rating: r, Day: day0 + int64(day),
			At: sim.Start.Add(time.Duration(day)*24*time.Hour + time.Duration(minute)*time.Minute)})
	}
	// recalledRating draws Hard, Good or Easy for a recalled review.
	recalledRating := func() Rating {
		switch x := rng.Float64(); {
		case x < 0.15:
			return Hard
		case x < 0.92:
			return Good
		}
		return Easy
	}
	decay := -belief[20]
	factor := math.Pow(0.9, 1/decay) - 1
	interval := func(s float64) int {
		ivl := s / factor * (math.Pow(sim.Retention, 1/decay) - 1)
		return int(min(max(math.Round(ivl), 1), 36500))
	}
	introduced := 0
	for day := range sim.Days {
		minute := 0
		// Reviews due today.
		for id := range cards {
			c := &cards[id]
			if c.due != day {
				continue
			}
			elapsed := day - c.last
			recall := tm.retrievability(float64(elapsed), c.truth.Stability)
			r := Again
			if rng.Float64() < recall {
				r = recalledRating()
			}
			minute++
			rate(id, day, minute, r)
			c.truth, c.belief = tm.next(c.truth, elapsed, r), bm.next(c.belief, elapsed, r)
			if r == Again { // relearned the same day
				minute++
				rate(id, day, minute, Good)
				c.truth, c.belief = tm.next(c.truth, 0, Good), bm.next(c.belief, 0, Good)
			}
			c.last, c.due = day, day+interval(c.belief.Stability)
		}
		// New cards.
		target := (day + 1) * sim.Cards / max(sim.Days, 1)
		for ; introduced < target; introduced++ {
			id := len(cards)
			var r Rating
			switch x := rng.Float64(); {
			case x < 0.2:
				r = Again
			case x < 0.3:
				r = Hard
			case x < 0.9:
				r = Good
			default:
				r = Easy
			}
			minute++
			rate(id, day, minute, r)
			c := card{truth: tm.first(r), belief: bm.first(r), last: day}
			for r < Good { // learning steps, the same day
				r = Good
				minute++
				rate(id, day, minute, r)
				c.truth, c.belief = tm.next(c.truth, 0, r), bm.next(c.belief, 0, r)
			}
			c.due = day + interval(c.belief.Stability)
			cards = append(cards, c)
		}
	}
	return log
}
