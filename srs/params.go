package srs

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	fsrs "github.com/open-spaced-repetition/go-fsrs/v4"
)

// Params are the 21 FSRS-6 weights a learner is scheduled with. The zero
// value stands for go-fsrs's defaults, so a learner who never optimized
// (and every settings value built without weights) uses them.
type Params [21]float64

// DefaultParams returns go-fsrs's default FSRS-6 weights.
func DefaultParams() Params { return Params(fsrs.DefaultWeights()) }

// IsDefault reports whether p stands for the default weights.
func (p Params) IsDefault() bool { return p == Params{} || p == DefaultParams() }

// orDefault returns the weights p stands for.
func (p Params) orDefault() Params {
	if p == (Params{}) {
		return DefaultParams()
	}
	return p
}

// ParamsDefaultName is how a review log row names the default weights.
const ParamsDefaultName = "fsrs6-default"

// paramsPrefix starts the name of an optimized parameter set.
const paramsPrefix = "fsrs6:"

// String names p as the review log records it: ParamsDefaultName for the
// defaults, else "fsrs6:" and the 21 weights, comma separated, each with
// the shortest decimal that reads back exactly.
func (p Params) String() string {
	if p.IsDefault() {
		return ParamsDefaultName
	}
	var b strings.Builder
	b.WriteString(paramsPrefix)
	for i, w := range p {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatFloat(w, 'g', -1, 64))
	}
	return b.String()
}

// ParseParams reads a parameter set written by Params.String; "" is the
// defaults too. The weights must lie within the optimizer's bounds.
func ParseParams(s string) (Params, error) {
	if s == "" || s == ParamsDefaultName {
		return Params{}, nil
	}
	rest, ok := strings.CutPrefix(s, paramsPrefix)
	if !ok {
		return Params{}, fmt.Errorf("FSRS parameters %.40q: want %q or %q and 21 weights", s, ParamsDefaultName, paramsPrefix)
	}
	fields := strings.Split(rest, ",")
	if len(fields) != len(Params{}) {
		return Params{}, fmt.Errorf("FSRS parameters: want 21 weights, got %d", len(fields))
	}
	var p Params
	for i, f := range fields {
		w, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil {
			return Params{}, fmt.Errorf("FSRS parameters: weight %d: %v", i, err)
		}
		p[i] = w
	}
	if err := p.Validate(); err != nil {
		return Params{}, err
	}
	return p, nil
}

// paramBounds are the ranges each weight is kept in (those of fsrs-rs's
// parameter clipper with one relearning step and short-term scheduling
// on): outside them the model's formulas stop meaning what they say.
var paramBounds = [21][2]float64{
	{0.001, 100}, {0.001, 100}, {0.001, 100}, {0.001, 100}, // initial stability per first rating
	{1, 10},                // initial difficulty of Good... base
	{0.001, 4}, {0.001, 4}, // difficulty: first-rating spread, change per rating
	{0.001, 0.75},                    // mean reversion
	{0, 4.5}, {0, 0.8}, {0.001, 3.5}, // recall stability: scale, S decay, R gain
	{0.001, 5}, {0.001, 0.25}, {0.001, 0.9}, {0, 4}, // forget stability
	{0, 1}, {1, 6}, // hard penalty, easy bonus
	{0, 2}, {0, 2}, {0.01, 0.8}, // same-day (short-term) stability
	{0.1, 0.8}, // decay of the forgetting curve
}

// Validate reports weights that are not finite or outside their bounds.
func (p Params) Validate() error {
	if p == (Params{}) {
		return nil
	}
	for i, w := range p {
		lo, hi := paramBounds[i][0], paramBounds[i][1]
		if math.IsNaN(w) || w < lo || w > hi {
			return fmt.Errorf("FSRS parameters: weight %d is %v, must be within [%v, %v]", i, w, lo, hi)
		}
	}
	return nil
}

// clip moves every weight into its bounds.
func (p *Params) clip() {
	for i := range p {
		p[i] = min(max(p[i], paramBounds[i][0]), paramBounds[i][1])
	}
}
