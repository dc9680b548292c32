package srs

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	fsrs "github.com/open-spaced-repetition/go-fsrs/v4"
)

// randomParams returns weights scattered around the defaults, within
// their bounds.
func randomParams(rng *rand.Rand) Params {
	p := DefaultParams()
	for i := range p {
		p[i] += (rng.Float64()*2 - 1) * paramSpread[i] * 0.3
	}
	p.clip()
	return p
}

// TestModelMatchesGoFSRS holds the optimizer's model (on duals) to
// go-fsrs's own memory states, for random weights and rating sequences
// with same-day and later reviews.
func TestModelMatchesGoFSRS(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 200 {
		p := randomParams(rng)
		if trial == 0 {
			p = DefaultParams()
		}
		gp := fsrs.DefaultParam()
		gp.W = fsrs.Weights(p)
		m := newModel(&p)
		var st memory
		var ref *fsrs.MemoryState
		for step := range 12 {
			r := Rating(1 + rng.IntN(4))
			elapsed := 0
			if step > 0 && rng.IntN(3) > 0 {
				elapsed = 1 + rng.IntN(60)
			}
			if step == 0 {
				st = m.first(r)
			} else {
				if got, want := m.retrievability(float64(elapsed), st.s).v, gp.ForgettingCurve(float64(elapsed), ref.Stability); math.Abs(got-want) > 1e-12 {
					t.Fatalf("trial %d step %d: R = %v, go-fsrs %v", trial, step, got, want)
				}
				st = m.next(st, elapsed, r)
			}
			item := gp.NextState(ref, 0.9, uint64(elapsed), fsrs.Rating(r))
			ref = &item.Memory
			if math.Abs(st.s.v-ref.Stability) > 1e-9*math.Max(1, ref.Stability) || math.Abs(st.d.v-ref.Difficulty) > 1e-9 {
				t.Fatalf("trial %d step %d (rating %d after %d days): model S=%v D=%v, go-fsrs S=%v D=%v",
					trial, step, r, elapsed, st.s.v, st.d.v, ref.Stability, ref.Difficulty)
			}
		}
	}
}

// TestGradientMatchesFiniteDifferences checks the dual gradient of the
// training loss against central differences.
func TestGradientMatchesFiniteDifferences(t *testing.T) {
	log := SimulateLog(Simulation{Cards: 60, Days: 90, Seed: 3})
	h := NewHistory(log)
	h.split(len(h.labels))
	batch := make([]int, len(h.cards))
	for i := range batch {
		batch[i] = i
	}
	p := randomParams(rand.New(rand.NewPCG(5, 6)))
	loss := func(q Params) float64 {
		m := newRealModel(&q)
		sum, n := 0.0, 0.0
		for _, ci := range batch {
			c := &h.cards[ci]
			st := m.first(c.ratings[0])
			for pos := 1; pos < len(c.ratings); pos++ {
				if c.elapsed[pos] > 0 {
					r := math.Min(math.Max(m.retrievability(float64(c.elapsed[pos]), st.Stability), 1e-4), 1-1e-4)
					if c.ratings[pos] > Again {
						sum -= c.weight[pos] * math.Log(r)
					} else {
						sum -= c.weight[pos] * math.Log(1-r)
					}
					n += c.weight[pos]
				}
				st = m.next(st, c.elapsed[pos], c.ratings[pos])
			}
		}
		return sum
	}
	grad, labels := h.gradient(&p, batch, 2)
	if labels != len(h.labels) {
		t.Fatalf("gradient saw %d labels, history has %d", labels, len(h.labels))
	}
	for i := range p {
		eps := 1e-6 * math.Max(1, math.Abs(p[i]))
		up, down := p, p
		up[i] += eps
		down[i] -= eps
		fd := (loss(up) - loss(down)) / (2 * eps)
		if math.Abs(fd-grad[i]) > 1e-5*math.Max(1, math.Abs(fd)) {
			t.Errorf("weight %d: gradient %v, finite difference %v", i, grad[i], fd)
		}
	}
}

// TestOptimizeRecoversSyntheticLearner fits a simulated learner's log and
// checks the fitted weights predict the held-out reviews better than the
// defaults, and are nearer the truth.
func TestOptimizeRecoversSyntheticLearner(t *testing.T) {
	truth := ForgetfulParams()
	log := SimulateLog(Simulation{Truth: truth, Cards: 1500, Days: 240, Seed: 7})
	h := NewHistory(log)
	if h.LongTermReviews() < MinReviews {
		t.Fatalf("simulation gave only %d long-term reviews", h.LongTermReviews())
	}
	var calls int
	var last float64
	res, err := Optimize(context.Background(), h, Params{}, Options{Progress: func(done float64) {
		if done < last {
			t.Errorf("progress went back from %v to %v", last, done)
		}
		calls, last = calls+1, done
	}})
	if err != nil {
		t.Fatal(err)
	}
	if calls == 0 || last != 1 {
		t.Errorf("progress: %d calls, last %v; want calls ending at 1", calls, last)
	}
	if res.Train+res.Test != h.LongTermReviews() || res.Test != res.After.Reviews || res.Test != res.Before.Reviews {
		t.Errorf("split %d + %d of %d reviews, evaluated %d / %d", res.Train, res.Test, h.LongTermReviews(), res.Before.Reviews, res.After.Reviews)
	}
	if !res.Adopt() {
		t.Fatalf("fitted weights not adopted: before %+v, after %+v", res.Before, res.After)
	}
	if err := res.Params.Validate(); err != nil {
		t.Fatal(err)
	}
	// Nearer the truth, measured where it matters: the recall predicted
	// on the held-out reviews.
	truthFit := h.evaluate(truth, true)
	if !(res.After.LogLoss < res.Before.LogLoss) || res.After.LogLoss-truthFit.LogLoss > 0.2*(res.Before.LogLoss-truthFit.LogLoss) {
		t.Errorf("log loss: defaults %.4f, fitted %.4f, truth %.4f: fitted should close at least 80%% of the gap",
			res.Before.LogLoss, res.After.LogLoss, truthFit.LogLoss)
	}
	if math.Abs(res.Params[20]-truth[20]) >= math.Abs(DefaultParams()[20]-truth[20]) {
		t.Errorf("decay %.3f: no nearer the truth %.3f than the default %.3f", res.Params[20], truth[20], DefaultParams()[20])
	}
	for i := 1; i < 4; i++ {
		if res.Params[i] < res.Params[i-1] {
			t.Errorf("initial stabilities out of order: %v", res.Params[:4])
		}
	}
	t.Logf("before %+v\nafter  %+v\ntruth  %+v\nparams %v", res.Before, res.After, truthFit, res.Params)
}

// TestOptimizeRefusesShortHistory: below MinReviews long-term reviews the
// optimizer says so instead of fitting.
func TestOptimizeRefusesShortHistory(t *testing.T) {
	log := SimulateLog(Simulation{Cards: 40, Days: 30, Seed: 9})
	h := NewHistory(log)
	if h.LongTermReviews() >= MinReviews {
		t.Fatalf("history has %d long-term reviews; the test needs fewer than %d", h.LongTermReviews(), MinReviews)
	}
	_, err := Optimize(context.Background(), h, Params{}, Options{})
	if !errors.Is(err, ErrNotEnoughReviews) {
		t.Fatalf("Optimize on %d reviews: err %v, want ErrNotEnoughReviews", h.LongTermReviews(), err)
	}
}

func TestOptimizeStopsWhenCancelled(t *testing.T) {
	h := NewHistory(SimulateLog(Simulation{Cards: 800, Days: 120, Seed: 11}))
	ctx, cancel := context.WithCancel(context.Background())
	steps := 0
	_, err := Optimize(ctx, h, Params{}, Options{Progress: func(float64) {
		steps++
		if steps == 2 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) || steps != 2 {
		t.Fatalf("err %v after %d steps, want context.Canceled after 2", err, steps)
	}
}

func TestParamsRoundTrip(t *testing.T) {
	p := randomParams(rand.New(rand.NewPCG(13, 14)))
	got, err := ParseParams(p.String())
	if err != nil || got != p {
		t.Fatalf("ParseParams(%q) = %v, %v", p.String(), got, err)
	}
	if s := (Params{}).String(); s != ParamsDefaultName {
		t.Errorf("defaults named %q", s)
	}
	if got, err := ParseParams(DefaultParams().String()); err != nil || !got.IsDefault() {
		t.Errorf("defaults read back as %v, %v", got, err)
	}
	for _, bad := range []string{"fsrs5:1,2", "fsrs6:1,2,3", "fsrs6:" + "NaN" + p.String()[len("fsrs6:")+3:]} {
		if _, err := ParseParams(bad); err == nil {
			t.Errorf("ParseParams(%q) accepted", bad)
		}
	}
	out := p
	out[20] = 0.9
	if err := out.Validate(); err == nil {
		t.Error("decay 0.9 accepted, bound is 0.8")
	}
}

func TestAUC(t *testing.T) {
	tests := []struct {
		s    []scored
		want float64
	}{
		{[]scored{{0.9, 1}, {0.8, 1}, {0.2, 0}}, 1},
		{[]scored{{0.1, 1}, {0.8, 0}}, 0},
		{[]scored{{0.5, 1}, {0.5, 0}}, 0.5},
		{[]scored{{0.9, 1}, {0.3, 1}, {0.5, 0}}, 0.5},
	}
	for _, tt := range tests {
		if got := auc(tt.s); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("auc(%v) = %v, want %v", tt.s, got, tt.want)
		}
	}
}

// TestTrainingItems: the items handed to another optimizer are the
// long-term reviews not held out, each with its card's history, and the
// held-out figures are Optimize's own.
func TestTrainingItems(t *testing.T) {
	h := NewHistory(SimulateLog(Simulation{Truth: ForgetfulParams(), Cards: 400, Days: 120, Seed: 17}))
	items := h.TrainingItems(0)
	if want := h.cut(0.2); len(items) != want {
		t.Fatalf("%d items, want %d", len(items), want)
	}
	for i, it := range items {
		last := len(it.Ratings) - 1
		if len(it.Elapsed) != len(it.Ratings) || it.Elapsed[0] != 0 || it.Elapsed[last] <= 0 {
			t.Fatalf("item %d: %+v", i, it)
		}
	}
	res, err := Optimize(context.Background(), h, Params{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := EvaluateHeldOut(h, res.Params, 0); got != res.After {
		t.Errorf("EvaluateHeldOut = %+v, Optimize said %+v", got, res.After)
	}
}
