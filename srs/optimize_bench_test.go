package srs

import (
	"context"
	"fmt"
	"testing"
)

// benchLog returns a simulated learner's log of about n ratings.
func benchLog(n int) []Logged {
	// About 11 ratings per card over the year simulated.
	return SimulateLog(Simulation{Truth: ForgetfulParams(), Cards: n / 11, Days: 365, Seed: 1})
}

// BenchmarkOptimize fits weights to logs of 10k and 100k ratings (the
// whole Optimize: split, pre-training, 5 epochs, both evaluations).
func BenchmarkOptimize(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		log := benchLog(n)
		h := NewHistory(log)
		b.Run(fmt.Sprintf("reviews=%dk", n/1000), func(b *testing.B) {
			for b.Loop() {
				if _, err := Optimize(context.Background(), h, Params{}, Options{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(log)), "ratings")
			b.ReportMetric(float64(h.LongTermReviews()), "long-term")
		})
	}
}
