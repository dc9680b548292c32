package srs

import (
	"math"

	fsrs "github.com/open-spaced-repetition/go-fsrs/v4"
)

// Stability and difficulty bounds, as go-fsrs keeps them.
const (
	minStability  = 0.001
	maxStability  = 36500
	minDifficulty = 1
	maxDifficulty = 10
	// minInitStability is the floor go-fsrs puts under a first rating's
	// stability, whatever the weight says.
	minInitStability = 0.1
)

// model is the FSRS-6 memory model of go-fsrs v4 (its scheduler's
// formulas, short-term scheduling on) evaluated on duals, so that every
// figure it gives carries its gradient with respect to the weights.
// TestModelMatchesGoFSRS holds it to go-fsrs's own states.
type model struct {
	w             [len(Params{})]dual
	decay, factor dual // forgetting curve: R = (1 + factor·t/S)^decay
	easyInitD     dual // the initial difficulty of Easy, the mean reversion target
}

// newModel returns the model for weights p.
func newModel(p *Params) *model {
	m := &model{w: weightsDual(p)}
	m.decay = m.w[20].scale(-1)
	// factor = 0.9^(1/decay) - 1
	m.factor = constant(math.Log(0.9)).div(m.decay).exp().addc(-1)
	m.easyInitD = m.initDifficulty(Easy)
	return m
}

// memory is a card's memory state on duals.
type memory struct{ s, d dual }

func (m *model) initDifficulty(r Rating) dual {
	// w4 - e^(w5·(r-1)) + 1
	return m.w[4].sub(m.w[5].scale(float64(r - 1)).exp()).addc(1)
}

// first is the state after a card's first rating.
func (m *model) first(r Rating) memory {
	s := maxDual(m.w[r-1], constant(minInitStability)).clamp(minStability, maxStability)
	return memory{s: s, d: m.initDifficulty(r).clamp(minDifficulty, maxDifficulty)}
}

// retrievability is the probability of recall t days after a review
// that left stability s.
func (m *model) retrievability(t float64, s dual) dual {
	s = s.clamp(minStability, maxStability)
	// (1 + factor·t/s)^decay
	return m.factor.scale(t).div(s).addc(1).pow(m.decay)
}

// next is the state after rating r given elapsed whole study days after
// the review that left st.
func (m *model) next(st memory, elapsed int, r Rating) memory {
	w := &m.w
	// Difficulty: a linear step damped towards 10, then mean reversion
	// towards the initial difficulty of Easy.
	delta := w[6].scale(-float64(r - 3))
	nextD := st.d.add(constant(10).sub(st.d).mul(delta).scale(1.0 / 9))
	d := w[7].mul(m.easyInitD).add(constant(1).sub(w[7]).mul(nextD)).clamp(minDifficulty, maxDifficulty)

	s := st.s.clamp(minStability, maxStability)
	var ns dual
	switch {
	case elapsed == 0:
		// Same-day review: sinc = e^(w17·(r-3+w18)) · S^-w19, at least
		// 1 unless the card was forgotten.
		sinc := w[17].mul(w[18].addc(float64(r - 3))).exp().mul(s.pow(w[19].scale(-1)))
		if r >= Hard {
			sinc = maxDual(sinc, constant(1))
		}
		ns = s.mul(sinc)
	case r == Again:
		rr := m.retrievability(float64(elapsed), s)
		// w11 · D^-w12 · ((S+1)^w13 - 1) · e^((1-R)·w14), at most S / e^(w17·w18)
		f := w[11].mul(st.d.pow(w[12].scale(-1))).
			mul(s.addc(1).pow(w[13]).addc(-1)).
			mul(constant(1).sub(rr).mul(w[14]).exp())
		ceil := s.div(w[17].mul(w[18]).exp())
		ns = minDual(f, ceil)
	default:
		rr := m.retrievability(float64(elapsed), s)
		// S · (1 + e^w8 · (11-D) · S^-w9 · (e^((1-R)·w10) - 1) · hard · easy)
		gain := w[8].exp().mul(constant(11).sub(st.d)).
			mul(s.pow(w[9].scale(-1))).
			mul(constant(1).sub(rr).mul(w[10]).exp().addc(-1))
		switch r {
		case Hard:
			gain = gain.mul(w[15])
		case Easy:
			gain = gain.mul(w[16])
		}
		ns = s.mul(gain.addc(1))
	}
	return memory{s: ns.clamp(minStability, maxStability), d: d}
}

// realModel is the model on plain values: go-fsrs's own formulas, for
// figures that need no gradient (evaluation, replays, simulations).
type realModel struct{ p fsrs.Parameters }

func newRealModel(p *Params) *realModel {
	gp := fsrs.DefaultParam()
	gp.W = fsrs.Weights(p.orDefault())
	return &realModel{p: gp}
}

// first is the state after a card's first rating.
func (m *realModel) first(r Rating) fsrs.MemoryState {
	return m.p.NextState(nil, 0.9, 0, fsrs.Rating(r)).Memory
}

// next is the state after rating r given elapsed whole study days.
func (m *realModel) next(st fsrs.MemoryState, elapsed int, r Rating) fsrs.MemoryState {
	return m.p.NextState(&st, 0.9, uint64(elapsed), fsrs.Rating(r)).Memory
}

// retrievability is the probability of recall t days after a review
// that left stability s.
func (m *realModel) retrievability(t, s float64) float64 { return m.p.ForgettingCurve(t, s) }
