package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flashd/flashd/store"
)

// baseline measures the raw SQL of review steps, in this process, on a
// scratch database of the same shape (schema, load deck, one account per
// learner): each of --learners workers rates a card with the rating
// transaction and then runs the reads of the next card's page
// (store.Baseline), writing the learning or review state the learners'
// mix of ratings leaves, with no HTTP, FSRS, templates or writer queue; the
// writes share one connection, as the server's do. It returns the steps
// per second.
func baseline(ctx context.Context, cfg *config, stderr io.Writer) (float64, error) {
	dir, err := os.MkdirTemp("", "flashload-baseline-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "baseline.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		return 0, err
	}
	if _, err := db.ImportDeck(ctx, loadDeck(cfg.cards), store.ImportOptions{}); err != nil {
		db.Close()
		return 0, err
	}
	ids := make([]int64, cfg.learners)
	for i := range ids {
		u, err := db.CreateUser(ctx, fmt.Sprintf("baseline-%03d", i+1), "baseline-password", false, store.SignUpByAdmin)
		if err != nil {
			db.Close()
			return 0, err
		}
		ids[i] = u.ID
	}
	firstCard, err := db.FirstCardID(ctx, loadDeckID)
	db.Close()
	if err != nil {
		return 0, err
	}
	raw, err := store.OpenBaseline(path)
	if err != nil {
		return 0, err
	}
	defer raw.Close()

	var steps atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, len(ids))
	start := time.Now()
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(id), 99))
			for n := int64(0); time.Since(start) < cfg.baseFor; n++ {
				card := firstCard + n%int64(cfg.cards)
				next := firstCard + (n+1)%int64(cfg.cards)
				// The learners' mix of ratings: all but Easy leave a new
				// card in learning, so the learning cards pile up here as
				// they do on the server.
				learning := ratingMix[rng.IntN(len(ratingMix))] != 4
				if err := raw.Step(ctx, id, card, next, time.Now(), learning); err != nil {
					errs <- err
					return
				}
				steps.Add(1)
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return 0, err
	}
	took := time.Since(start)
	rps := float64(steps.Load()) / took.Seconds()
	fmt.Fprintf(stderr, "flashload: baseline %d raw steps by %d workers in %s\n", steps.Load(), len(ids), took.Round(time.Millisecond))
	return rps, nil
}
