// Command fsrscompare measures flashd's FSRS optimizer against fsrs-rs,
// the optimizer Anki runs, through the npm package
// @open-spaced-repetition/binding 0.5.0 (see binding/README.md; run
// "npm install" in cmd/fsrscompare/binding first).
//
// Usage:
//
//	go run ./cmd/fsrscompare [--sizes 10000,100000] [--db FILE] [--runs 3]
//
// For each review log it fits weights with both optimizers on the same
// training part (the oldest 80% of the long-term reviews, as flashd's
// Optimize splits them) and scores both, with the same code, on the
// held-out newest 20%: log loss and RMSE over bins, beside the default
// weights and, for synthetic logs, the weights the simulated learner
// really has. Times are the best of --runs of the fit alone (pre-training
// and training): flashd's FitHeldOut against fsrs-rs's compute_parameters
// call; flashd's Optimize adds its two evaluations to it.
// The logs are synthetic learners (srs.SimulateLog, one profile per
// size) and, with --db, every learner of a flashd database with enough
// history.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/flashd/flashd/srs"
	"github.com/flashd/flashd/store"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "fsrscompare:", err)
		os.Exit(1)
	}
}

// dataset is one review log to fit.
type dataset struct {
	name  string
	log   []srs.Logged
	truth *srs.Params // the simulated learner's weights, if known
}

// profiles are the simulated learners: one who forgets faster than the
// defaults assume, and one who remembers better.
var profiles = []struct {
	name  string
	truth func() srs.Params
}{
	{"forgetful", srs.ForgetfulParams},
	{"strong", func() srs.Params {
		p := srs.DefaultParams()
		p[0], p[1], p[2], p[3], p[4], p[8], p[9], p[20] = 0.6, 2.5, 5, 15, 5.5, 2.1, 0.12, 0.2
		return p
	}},
}

func run() error {
	sizes := flag.String("sizes", "10000,100000", "sizes (ratings) of the synthetic logs, comma separated")
	dbPath := flag.String("db", "", "also fit every learner of this flashd database with enough history")
	runs := flag.Int("runs", 3, "timed runs of each optimizer; the best is reported")
	node := flag.String("node", "node", "the Node.js binary")
	flag.Parse()

	var sets []dataset
	for i, f := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1000 {
			return fmt.Errorf("--sizes: %q is not a size of at least 1000", f)
		}
		for _, pr := range profiles {
			truth := pr.truth()
			log := srs.SimulateLog(srs.Simulation{Truth: truth, Cards: n / 11, Days: 365, Seed: uint64(i + 1)})
			sets = append(sets, dataset{name: fmt.Sprintf("synthetic %s %dk", pr.name, len(log)/1000), log: log, truth: &truth})
		}
	}
	if *dbPath != "" {
		more, err := fromDB(*dbPath)
		if err != nil {
			return err
		}
		sets = append(sets, more...)
	}
	bindingDir, err := bindingDir()
	if err != nil {
		return err
	}
	fmt.Printf("flashd: Go %s, GOMAXPROCS %d; fsrs-rs: @open-spaced-repetition/binding 0.5.0 in %s\n\n", runtime.Version(), runtime.GOMAXPROCS(0), *node)
	fmt.Println("| log | long-term reviews (fit / held out) | log loss: defaults / flashd / fsrs-rs / truth | RMSE(bins): defaults / flashd / fsrs-rs / truth | flashd vs fsrs-rs log loss | fit time flashd / fsrs-rs | distance to truth flashd / fsrs-rs |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, d := range sets {
		if err := compare(d, bindingDir, *node, *runs); err != nil {
			return fmt.Errorf("%s: %w", d.name, err)
		}
	}
	return nil
}

// fromDB reads every learner's log of a flashd database.
func fromDB(path string) ([]dataset, error) {
	ctx := context.Background()
	db, err := store.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	users, err := db.Users(ctx)
	if err != nil {
		return nil, err
	}
	var sets []dataset
	for i := range users {
		log, err := db.ReviewHistory(ctx, &users[i])
		if err != nil {
			return nil, err
		}
		if h := srs.NewHistory(log); h.LongTermReviews() < srs.MinReviews {
			fmt.Fprintf(os.Stderr, "fsrscompare: %s: %d ratings, %d long-term reviews, too few to fit\n", users[i].Username, len(log), h.LongTermReviews())
			continue
		}
		sets = append(sets, dataset{name: "learner " + users[i].Username, log: log})
	}
	return sets, nil
}

// bindingDir finds cmd/fsrscompare/binding with its node_modules.
func bindingDir() (string, error) {
	dir := filepath.Join("cmd", "fsrscompare", "binding")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@open-spaced-repetition", "binding")); err != nil {
		return "", fmt.Errorf("the fsrs-rs binding is not installed: run (cd %s && npm install --no-save --no-audit --no-fund) from the repository root", dir)
	}
	return filepath.Abs(dir)
}

// compare fits d with both optimizers and prints a table row.
func compare(d dataset, bindingDir, node string, runs int) error {
	h := srs.NewHistory(d.log)
	ctx := context.Background()
	res, err := srs.Optimize(ctx, h, srs.Params{}, srs.Options{})
	if err != nil {
		return err
	}
	best := time.Duration(math.MaxInt64)
	for range runs {
		start := time.Now()
		p, err := srs.FitHeldOut(ctx, h, srs.Params{}, srs.Options{})
		if err != nil {
			return err
		}
		if best = min(best, time.Since(start)); p != res.Params {
			return errors.New("FitHeldOut and Optimize fitted different weights")
		}
	}

	theirs, ms, err := fsrsRS(h.TrainingItems(0), bindingDir, node, runs)
	if err != nil {
		return err
	}
	theirFit := srs.EvaluateHeldOut(h, theirs, 0)
	truthLL, truthRMSE, distOurs, distTheirs := "–", "–", "–", "–"
	if d.truth != nil {
		tf := srs.EvaluateHeldOut(h, *d.truth, 0)
		truthLL, truthRMSE = fmt.Sprintf("%.4f", tf.LogLoss), fmt.Sprintf("%.4f", tf.RMSE)
		distOurs, distTheirs = fmt.Sprintf("%.3f", srs.Distance(res.Params, *d.truth)), fmt.Sprintf("%.3f", srs.Distance(theirs, *d.truth))
	}
	fmt.Printf("| %s | %d / %d | %.4f / **%.4f** / %.4f / %s | %.4f / **%.4f** / %.4f / %s | %+.2f%% | %.0f ms / %.0f ms | %s / %s |\n",
		d.name, res.Train, res.Test,
		res.Before.LogLoss, res.After.LogLoss, theirFit.LogLoss, truthLL,
		res.Before.RMSE, res.After.RMSE, theirFit.RMSE, truthRMSE,
		100*(res.After.LogLoss-theirFit.LogLoss)/theirFit.LogLoss,
		float64(best.Microseconds())/1000, ms, distOurs, distTheirs)
	return nil
}

// fsrsRS fits items with fsrs-rs and returns its weights and its best
// time in milliseconds.
func fsrsRS(items []srs.Item, bindingDir, node string, runs int) (srs.Params, float64, error) {
	type review struct {
		Rating int `json:"rating"`
		DeltaT int `json:"delta_t"`
	}
	type item struct {
		Reviews []review `json:"reviews"`
	}
	in := struct {
		Items           []item `json:"items"`
		EnableShortTerm bool   `json:"enable_short_term"`
		Evaluate        bool   `json:"evaluate"`
	}{EnableShortTerm: true}
	for _, it := range items {
		var x item
		for i, r := range it.Ratings {
			x.Reviews = append(x.Reviews, review{int(r), it.Elapsed[i]})
		}
		in.Items = append(in.Items, x)
	}
	dir, err := os.MkdirTemp("", "fsrscompare")
	if err != nil {
		return srs.Params{}, 0, err
	}
	defer os.RemoveAll(dir)
	inPath, outPath := filepath.Join(dir, "in.json"), filepath.Join(dir, "out.json")
	b, err := json.Marshal(in)
	if err != nil {
		return srs.Params{}, 0, err
	}
	if err := os.WriteFile(inPath, b, 0o600); err != nil {
		return srs.Params{}, 0, err
	}
	var p srs.Params
	best := math.Inf(1)
	for range runs {
		cmd := exec.Command(node, filepath.Join(bindingDir, "optimize.mjs"), inPath, outPath)
		cmd.Dir, cmd.Stderr = bindingDir, os.Stderr
		if err := cmd.Run(); err != nil {
			return srs.Params{}, 0, fmt.Errorf("fsrs-rs: %w", err)
		}
		var out struct {
			Parameters []float64 `json:"parameters"`
			MS         float64   `json:"ms"`
		}
		b, err := os.ReadFile(outPath)
		if err != nil {
			return srs.Params{}, 0, err
		}
		if err := json.Unmarshal(b, &out); err != nil {
			return srs.Params{}, 0, err
		}
		if len(out.Parameters) != len(p) {
			return srs.Params{}, 0, errors.New("fsrs-rs: want 21 parameters")
		}
		copy(p[:], out.Parameters)
		best = min(best, out.MS)
	}
	return p, best, nil
}
