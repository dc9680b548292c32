package srs

// The optimizer fits a learner's 21 FSRS-6 weights to their own review
// log, as fsrs-rs (the optimizer Anki runs) does, in Go:
//
//   - The log becomes one sequence per card: each rating with the whole
//     study days since the card's previous one. A rating on a later study
//     day than the previous one is a "long-term review": it tests the
//     memory model, its label being recalled (Hard, Good, Easy) or
//     forgotten (Again). Same-day ratings shape the state but are not
//     predicted.
//   - Pre-training: the initial stability of each first rating is found
//     from the cards' first long-term reviews alone (the stability whose
//     forgetting curve best fits the recall observed at each delay, with a
//     pull towards the default), then ordered so that Again ≤ Hard ≤
//     Good ≤ Easy; a first rating with no data is scaled from the others.
//   - Training: Adam (learning rate 0.04, cosine annealing, batches of
//     about 512 predictions, 5 epochs) minimises the weighted log loss of
//     every long-term review's predicted recall (summed over each batch),
//     plus an L2 pull towards
//     the starting weights scaled by each weight's spread across learners;
//     recent reviews weigh more (0.25 to 1, cubically), and after every
//     step the weights are clipped into their bounds (Params.Validate).
//     The gradient comes from forward-mode automatic differentiation
//     (dual.go) over the model go-fsrs schedules with (model.go).
//   - Evaluation is time split: the weights are fitted on the oldest 80%
//     of the long-term reviews and both the fitted and the current weights
//     predict the newest 20%, each card's earlier history included. The
//     figures are log loss, RMSE over bins of similar reviews (fsrs-rs's
//     bins of delay, review count and lapses) and AUC. The fitted weights
//     are better only if their log loss is lower and their RMSE is not
//     higher; then they are the ones adopted, so the figures shown are
//     those of the weights in use.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"sync"
	"time"

	fsrs "github.com/open-spaced-repetition/go-fsrs/v4"
)

// MinReviews is the least number of long-term reviews (ratings on a later
// study day than the card's previous one) the optimizer fits weights to.
const MinReviews = 400

// Logged is one rating of a learner's log.
type Logged struct {
	Card   int64
	Rating Rating
	At     time.Time
	// Day is the study day the rating fell on (Settings.DayNumber in the
	// time zone in force then).
	Day int64
}

// History is a learner's review log arranged for the optimizer.
type History struct {
	cards  []cardLog
	labels []label // every long-term review, oldest first
}

// cardLog is one card's ratings, oldest first.
type cardLog struct {
	ratings []Rating
	elapsed []int   // whole study days since the previous rating (0 for the first)
	at      []int64 // Unix milliseconds
	weight  []float64
	test    []bool // whether this long-term review is held out
}

// label points at one long-term review.
type label struct {
	card, pos int
	at        int64
}

// NewHistory arranges ratings (in any order) for the optimizer.
func NewHistory(log []Logged) *History {
	sorted := slices.Clone(log)
	slices.SortStableFunc(sorted, func(a, b Logged) int {
		if a.Card != b.Card {
			return cmp.Compare(a.Card, b.Card)
		}
		return a.At.Compare(b.At)
	})
	h := &History{}
	for i := 0; i < len(sorted); {
		j := i
		for j < len(sorted) && sorted[j].Card == sorted[i].Card {
			j++
		}
		c := cardLog{}
		for k := i; k < j; k++ {
			e := 0
			if k > i {
				e = int(max(0, sorted[k].Day-sorted[k-1].Day))
			}
			if !sorted[k].Rating.Valid() {
				continue
			}
			c.ratings = append(c.ratings, sorted[k].Rating)
			c.elapsed = append(c.elapsed, e)
			c.at = append(c.at, sorted[k].At.UnixMilli())
		}
		c.weight = make([]float64, len(c.ratings))
		c.test = make([]bool, len(c.ratings))
		for pos := 1; pos < len(c.ratings); pos++ {
			if c.elapsed[pos] > 0 {
				h.labels = append(h.labels, label{card: len(h.cards), pos: pos, at: c.at[pos]})
			}
		}
		if len(c.ratings) > 0 {
			h.cards = append(h.cards, c)
		}
		i = j
	}
	slices.SortStableFunc(h.labels, func(a, b label) int { return cmp.Compare(a.at, b.at) })
	return h
}

// LongTermReviews is the number of reviews the optimizer can learn from.
func (h *History) LongTermReviews() int { return len(h.labels) }

// Metrics say how well a parameter set predicts a set of reviews.
type Metrics struct {
	LogLoss float64 // mean binary cross-entropy of the predicted recall
	RMSE    float64 // root mean square error of recall over bins of similar reviews
	AUC     float64 // probability a recalled review was predicted likelier than a forgotten one
	Reviews int
}

// Better reports whether m is better than o: lower log loss and an RMSE
// no higher.
func (m Metrics) Better(o Metrics) bool { return m.LogLoss < o.LogLoss && m.RMSE <= o.RMSE }

// Result is the outcome of Optimize.
type Result struct {
	// Params are the fitted weights; Before and After are the current
	// and the fitted weights' figures on the held-out reviews.
	Params        Params
	Before, After Metrics
	// Train and Test count the long-term reviews fitted and held out.
	Train, Test int
}

// Adopt reports whether the fitted weights should replace the current.
func (r Result) Adopt() bool { return r.After.Better(r.Before) }

// ErrNotEnoughReviews is returned by Optimize for a history too short to
// learn from.
var ErrNotEnoughReviews = errors.New("not enough reviews to optimize")

// Options tune Optimize; the zero value is fsrs-rs's defaults.
type Options struct {
	Epochs       int     // passes over the reviews, default 5
	BatchSize    int     // predictions per step, default 512
	LearningRate float64 // Adam's initial rate, default 0.04
	TestShare    float64 // share of the newest reviews held out, default 0.2
	Seed         uint64  // shuffles the batches
	Workers      int     // goroutines computing each step's gradient, default GOMAXPROCS
	// Progress, if set, is called after every step with the share done.
	Progress func(done float64)
}

func (o Options) withDefaults() Options {
	if o.Epochs <= 0 {
		o.Epochs = 5
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 512
	}
	if o.LearningRate <= 0 {
		o.LearningRate = 0.04
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.TestShare <= 0 || o.TestShare >= 1 {
		o.TestShare = 0.2
	}
	return o
}

// Optimize fits weights to h, starting from (and comparing with) current,
// and evaluates both on the newest reviews held out. It returns
// ErrNotEnoughReviews (wrapped, with the count) below MinReviews, and the
// context's error once ctx is done.
func Optimize(ctx context.Context, h *History, current Params, opt Options) (Result, error) {
	opt = opt.withDefaults()
	n := len(h.labels)
	if n < MinReviews {
		return Result{}, fmt.Errorf("%w: %d reviews on later days, at least %d needed", ErrNotEnoughReviews, n, MinReviews)
	}
	cut := h.cut(opt.TestShare)
	h.split(cut)
	fitted, err := h.fit(ctx, current.orDefault(), opt)
	if err != nil {
		return Result{}, err
	}
	res := Result{Params: fitted, Train: cut, Test: n - cut}
	var wg sync.WaitGroup
	wg.Go(func() { res.Before = h.evaluate(current.orDefault(), true) })
	res.After = h.evaluate(fitted, true)
	wg.Wait()
	return res, nil
}

// FitHeldOut fits weights as Optimize does, to the long-term reviews it
// does not hold out (the oldest 1 - opt.TestShare), without evaluating.
func FitHeldOut(ctx context.Context, h *History, start Params, opt Options) (Params, error) {
	opt = opt.withDefaults()
	h.split(h.cut(opt.TestShare))
	return h.fit(ctx, start.orDefault(), opt)
}

// cut is the index of the first long-term review held out when the
// newest share of them is.
func (h *History) cut(share float64) int {
	n := len(h.labels)
	return n - int(math.Round(float64(n)*share))
}

// Item is one long-term review with the card's ratings before it, oldest
// first (the predicted review last), and the whole study days before
// each: the training item of fsrs-rs (its FSRSItem).
type Item struct {
	Ratings []Rating
	Elapsed []int
}

// TrainingItems returns the long-term reviews Optimize fits when it holds
// out the newest share (0 means its default), oldest first, as items for
// another optimizer; EvaluateHeldOut scores any weights on the rest.
func (h *History) TrainingItems(share float64) []Item {
	share = Options{TestShare: share}.withDefaults().TestShare
	var items []Item
	for _, l := range h.labels[:h.cut(share)] {
		c := &h.cards[l.card]
		items = append(items, Item{Ratings: c.ratings[:l.pos+1], Elapsed: c.elapsed[:l.pos+1]})
	}
	return items
}

// EvaluateHeldOut returns how well p predicts the newest share (0 means
// Optimize's default) of h's long-term reviews, the part Optimize holds
// out.
func EvaluateHeldOut(h *History, p Params, share float64) Metrics {
	share = Options{TestShare: share}.withDefaults().TestShare
	h.split(h.cut(share))
	return h.evaluate(p.orDefault(), true)
}

// split marks the labels from index cut on as held out and weighs the
// others by recency.
func (h *History) split(cut int) {
	for i, l := range h.labels {
		c := &h.cards[l.card]
		c.test[l.pos] = i >= cut
		c.weight[l.pos] = 0
		if i < cut {
			x := float64(i) / math.Max(1, float64(cut-1))
			c.weight[l.pos] = 0.25 + 0.75*x*x*x
		}
	}
}

// fit runs pre-training and training on the labels not held out.
func (h *History) fit(ctx context.Context, start Params, opt Options) (Params, error) {
	init, counts := h.pretrain(start)
	p := start
	copy(p[:4], init[:])
	p.clip()
	anchor := p

	// Batches of whole cards, about opt.BatchSize predictions each.
	rng := rand.New(rand.NewPCG(opt.Seed, 0x5eed))
	order := make([]int, 0, len(h.cards))
	for i, c := range h.cards {
		if c.trainLabels() > 0 {
			order = append(order, i)
		}
	}
	rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	var batches [][]int
	var cur []int
	size, total := 0, 0
	for _, ci := range order {
		k := h.cards[ci].trainLabels()
		cur = append(cur, ci)
		size += k
		total += k
		if size >= opt.BatchSize {
			batches, cur, size = append(batches, cur), nil, 0
		}
	}
	if len(cur) > 0 {
		batches = append(batches, cur)
	}
	if total == 0 {
		return p, nil
	}

	steps := opt.Epochs * len(batches)
	var adam adamState
	step := 0
	for range opt.Epochs {
		rng.Shuffle(len(batches), func(i, j int) { batches[i], batches[j] = batches[j], batches[i] })
		for _, b := range batches {
			if err := ctx.Err(); err != nil {
				return Params{}, err
			}
			grad, labels := h.gradient(&p, b, opt.Workers)
			// L2 pull towards the anchor, in proportion to the batch.
			scale := float64(labels) / float64(total)
			for i := range grad {
				dev := paramSpread[i]
				grad[i] += 2 * (p[i] - anchor[i]) / (dev * dev) * scale
			}
			lr := opt.LearningRate * (1 + math.Cos(math.Pi*float64(step)/float64(steps))) / 2
			adam.step(&p, &grad, lr)
			p.clip()
			step++
			if opt.Progress != nil {
				opt.Progress(float64(step) / float64(steps))
			}
		}
	}
	orderInitial(&p, counts)
	return p, nil
}

// paramSpread is how much each weight varies across learners (the
// standard deviations fsrs-rs regularises with): the L2 pull holds a
// weight less the more it varies.
var paramSpread = [21]float64{
	6.43, 9.66, 17.58, 27.85, 0.57, 0.28, 0.6, 0.12, 0.39, 0.18, 0.33, 0.3, 0.09, 0.16, 0.57, 0.25,
	1.03, 0.31, 0.32, 0.14, 0.27,
}

func (c *cardLog) trainLabels() int {
	n := 0
	for pos := 1; pos < len(c.ratings); pos++ {
		if c.elapsed[pos] > 0 && !c.test[pos] {
			n++
		}
	}
	return n
}

// gradient returns the gradient of the weighted log loss summed over the
// training labels of the cards in batch (summed, as fsrs-rs does: the L2
// pull, scaled by the batch's share of all labels, then weighs as much
// over an epoch as one label's loss), and how many labels there were.
// Up to workers goroutines share the cards; their sums are added in a
// fixed order, so the result does not depend on how they were scheduled.
func (h *History) gradient(p *Params, batch []int, workers int) (grad [21]float64, labels int) {
	type part struct {
		sum    dual
		labels int
	}
	workers = max(1, min(workers, len(batch)/8))
	parts := make([]part, workers)
	var wg sync.WaitGroup
	for w := range workers {
		cards := batch[w*len(batch)/workers : (w+1)*len(batch)/workers]
		run := func() {
			var pt part // local: the parts share cache lines
			defer func() { parts[w] = pt }()
			m := newModel(p)
			for _, ci := range cards {
				c := &h.cards[ci]
				st := m.first(c.ratings[0])
				for pos := 1; pos < len(c.ratings); pos++ {
					if c.elapsed[pos] > 0 && !c.test[pos] {
						r := m.retrievability(float64(c.elapsed[pos]), st.s).clamp(1e-4, 1-1e-4)
						var ll dual
						if c.ratings[pos] > Again {
							ll = r.log()
						} else {
							ll = constant(1).sub(r).log()
						}
						pt.sum = pt.sum.add(ll.scale(-c.weight[pos]))
						pt.labels++
					}
					if pos < len(c.ratings)-1 {
						st = m.next(st, c.elapsed[pos], c.ratings[pos])
					}
				}
			}
		}
		if w == workers-1 {
			run()
			continue
		}
		wg.Add(1)
		go func() { defer wg.Done(); run() }()
	}
	wg.Wait()
	var sum dual
	for _, pt := range parts {
		sum = sum.add(pt.sum)
		labels += pt.labels
	}
	copy(grad[:], sum.d[:])
	return grad, labels
}

// adamState is the Adam optimizer's moment estimates.
type adamState struct {
	m, v [21]float64
	t    int
}

func (a *adamState) step(p *Params, grad *[21]float64, lr float64) {
	const beta1, beta2, eps = 0.9, 0.999, 1e-8
	a.t++
	b1 := 1 - math.Pow(beta1, float64(a.t))
	b2 := 1 - math.Pow(beta2, float64(a.t))
	for i := range p {
		a.m[i] = beta1*a.m[i] + (1-beta1)*grad[i]
		a.v[i] = beta2*a.v[i] + (1-beta2)*grad[i]*grad[i]
		p[i] -= lr * (a.m[i] / b1) / (math.Sqrt(a.v[i]/b2) + eps)
	}
}

// pretrain finds the initial stability of each first rating from the
// cards' first long-term reviews not held out, and how many cards each
// first rating has.
func (h *History) pretrain(start Params) (init [4]float64, counts [4]int) {
	type group struct{ recalled, n float64 }
	byDelay := [4]map[int]*group{}
	recalled, all := 0.0, 0.0
	for _, c := range h.cards {
		// The first long-term review: every earlier one is the same day.
		pos := 1
		for pos < len(c.ratings) && c.elapsed[pos] == 0 {
			pos++
		}
		if pos >= len(c.ratings) || c.test[pos] {
			continue
		}
		first := c.ratings[0] - 1
		if byDelay[first] == nil {
			byDelay[first] = map[int]*group{}
		}
		g := byDelay[first][c.elapsed[pos]]
		if g == nil {
			g = &group{}
			byDelay[first][c.elapsed[pos]] = g
		}
		g.n++
		all++
		if c.ratings[pos] > Again {
			g.recalled++
			recalled++
		}
		counts[first]++
	}
	avg := 0.9
	if all > 0 {
		avg = recalled / all
	}
	def := DefaultParams()
	decay := -def[20]
	factor := math.Pow(0.9, 1/decay) - 1
	var fitted [4]bool
	for r := range 4 {
		// Delays seen at least 6 times, within 100 days (a year for Easy):
		// rarer and longer ones are outliers of the learner's routine.
		longest := 100
		if r == 3 {
			longest = 365
		}
		type point struct{ t, recall, n float64 }
		var pts []point
		for t, g := range byDelay[r] {
			if g.n >= 6 && t <= longest {
				// Laplace smoothing towards the learner's average recall.
				pts = append(pts, point{float64(t), (g.recalled + avg) / (g.n + 1), g.n})
			}
		}
		if len(pts) == 0 {
			continue
		}
		slices.SortFunc(pts, func(a, b point) int { return cmp.Compare(a.t, b.t) }) // a fixed order of summing
		loss := func(s float64) float64 {
			l := math.Abs(s-start[r]) / 16
			for _, pt := range pts {
				pr := math.Pow(1+factor*pt.t/s, decay)
				l -= (pt.recall*math.Log(pr) + (1-pt.recall)*math.Log(1-pr)) * pt.n
			}
			return l
		}
		lo, hi := minStability, paramBounds[r][1]
		for range 200 { // ternary search: the loss is unimodal in s
			m1, m2 := lo+(hi-lo)/3, hi-(hi-lo)/3
			if loss(m1) < loss(m2) {
				hi = m2
			} else {
				lo = m1
			}
		}
		init[r], fitted[r] = (lo+hi)/2, true
	}
	// A first rating without data: the start's value, scaled as the
	// fitted ones were on average (geometrically).
	logRatio, k := 0.0, 0
	for r := range 4 {
		if fitted[r] {
			logRatio += math.Log(init[r] / start[r])
			k++
		}
	}
	for r := range 4 {
		if !fitted[r] {
			init[r] = start[r]
			if k > 0 {
				init[r] *= math.Exp(logRatio / float64(k))
			}
		}
	}
	p := Params{}
	copy(p[:4], init[:])
	orderInitial(&p, counts)
	copy(init[:], p[:4])
	return init, counts
}

// orderInitial makes the initial stabilities grow with the first rating:
// of two out of order, the one with fewer cards takes the other's value.
func orderInitial(p *Params, counts [4]int) {
	for range 3 {
		for a := range 3 {
			for b := a + 1; b < 4; b++ {
				if p[a] > p[b] {
					if counts[a] > counts[b] {
						p[b] = p[a]
					} else {
						p[a] = p[b]
					}
				}
			}
		}
	}
	for i := range 4 {
		p[i] = min(max(p[i], paramBounds[i][0]), paramBounds[i][1])
	}
}

// evaluate returns p's figures on the held-out labels (test) or on all.
func (h *History) evaluate(p Params, test bool) Metrics {
	m := newRealModel(&p)
	type bin struct{ pred, real, n float64 }
	bins := map[[3]int]*bin{}
	var preds []scored
	loss := 0.0
	for _, c := range h.cards {
		st := m.first(c.ratings[0])
		longTerm, lapses := 0, 0
		for pos := 1; pos < len(c.ratings); pos++ {
			if c.elapsed[pos] > 0 {
				longTerm++
				if !test || c.test[pos] {
					r := math.Min(math.Max(m.retrievability(float64(c.elapsed[pos]), st.Stability), 1e-4), 1-1e-4)
					y := 0.0
					if c.ratings[pos] > Again {
						y = 1
					}
					loss -= y*math.Log(r) + (1-y)*math.Log(1-r)
					preds = append(preds, scored{r, y})
					key := [3]int{delayBin(c.elapsed[pos]), lengthBin(longTerm + 1), lapseBin(lapses)}
					b := bins[key]
					if b == nil {
						b = &bin{}
						bins[key] = b
					}
					b.pred += r
					b.real += y
					b.n++
				}
				if c.ratings[pos] == Again {
					lapses++
				}
			}
			st = m.next(st, c.elapsed[pos], c.ratings[pos])
		}
	}
	out := Metrics{Reviews: len(preds)}
	if len(preds) == 0 {
		return out
	}
	out.LogLoss = loss / float64(len(preds))
	// Summed in key order: a map's order would change the last bits.
	keys := make([][3]int, 0, len(bins))
	for k := range bins {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [3]int) int { return slices.Compare(a[:], b[:]) })
	se, n := 0.0, 0.0
	for _, k := range keys {
		b := bins[k]
		d := b.pred/b.n - b.real/b.n
		se += d * d * b.n
		n += b.n
	}
	out.RMSE = math.Sqrt(se / n)
	out.AUC = auc(preds)
	return out
}

// The bins of RMSE(bins): reviews alike in delay, in how many long-term
// reviews the card has had and in lapses, on logarithmic scales (the
// bases fsrs-rs uses, so the figures compare).
func delayBin(t int) int {
	return int(math.Round(2.48 * math.Pow(3.62, math.Floor(math.Log(float64(t))/math.Log(3.62))) * 100))
}

func lengthBin(n int) int {
	return int(math.Round(1.99 * math.Pow(1.89, math.Floor(math.Log(float64(n))/math.Log(1.89)))))
}

func lapseBin(n int) int {
	if n == 0 {
		return 0
	}
	return int(math.Round(1.65 * math.Pow(1.73, math.Floor(math.Log(float64(n))/math.Log(1.73)))))
}

// scored is one prediction and what happened.
type scored struct{ p, y float64 }

// auc is the area under the ROC curve: the share of (recalled, forgotten)
// pairs whose recalled review was predicted likelier, ties counting half.
func auc(s []scored) float64 {
	sort.Slice(s, func(i, j int) bool { return s[i].p < s[j].p })
	pos, neg := 0.0, 0.0
	rankSum := 0.0
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j].p == s[i].p {
			j++
		}
		rank := float64(i+j+1) / 2 // mean rank of the tie, from 1
		for k := i; k < j; k++ {
			if s[k].y == 1 {
				rankSum += rank
				pos++
			} else {
				neg++
			}
		}
		i = j
	}
	if pos == 0 || neg == 0 {
		return 0.5
	}
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}

// Memory returns the stability and difficulty one card's ratings (oldest
// first, each on its study day) leave under weights p, by go-fsrs's own
// memory-state formulas: what the card's state would hold had it always
// been scheduled with p.
func Memory(p Params, log []Logged) (stability, difficulty float64, err error) {
	if len(log) == 0 {
		return 0, 0, errors.New("memory state: no ratings")
	}
	m := newRealModel(&p)
	var st fsrs.MemoryState
	for i, l := range log {
		if !l.Rating.Valid() {
			return 0, 0, fmt.Errorf("memory state: rating %d", l.Rating)
		}
		if i == 0 {
			st = m.first(l.Rating)
			continue
		}
		st = m.next(st, int(max(0, l.Day-log[i-1].Day)), l.Rating)
	}
	return st.Stability, st.Difficulty, nil
}

// Distance is how far apart two parameter sets are: the root mean square
// of their weights' differences, each in units of its spread across
// learners (so 1 is a typical difference between two people).
func Distance(a, b Params) float64 {
	a, b = a.orDefault(), b.orDefault()
	sum := 0.0
	for i := range a {
		d := (a[i] - b[i]) / paramSpread[i]
		sum += d * d
	}
	return math.Sqrt(sum / float64(len(a)))
}
