// Package srs schedules reviews with FSRS-6 through go-fsrs v4. It does no
// I/O and never reads the clock: every function takes the time it works at.
package srs

import (
	"fmt"

	fsrs "github.com/open-spaced-repetition/go-fsrs/v4"
)

// Settings are a learner's scheduling choices.
type Settings struct {
	// Retention is the desired probability of recall when a card comes
	// due, 0.70 to 0.99.
	Retention float64
	// MaxIntervalDays caps the interval between reviews, 1 to 36500.
	MaxIntervalDays int
}

// DefaultSettings are the settings of a new learner.
func DefaultSettings() Settings {
	return Settings{Retention: 0.90, MaxIntervalDays: 36500}
}

// Validate reports settings out of range.
func (s Settings) Validate() error {
	if !(s.Retention >= 0.70 && s.Retention <= 0.99) {
		return fmt.Errorf("desired retention must be between 0.70 and 0.99, got %v", s.Retention)
	}
	if s.MaxIntervalDays < 1 || s.MaxIntervalDays > 36500 {
		return fmt.Errorf("maximum interval must be between 1 and 36500 days, got %d", s.MaxIntervalDays)
	}
	return nil
}

// Parameters returns the go-fsrs parameters for s: default FSRS-6 weights,
// learning steps 1m 10m, relearning step 10m, fuzz on.
func (s Settings) Parameters() fsrs.Parameters {
	p := fsrs.DefaultParam()
	p.RequestRetention = s.Retention
	p.MaximumInterval = float64(s.MaxIntervalDays)
	p.EnableFuzz = true
	p.LearningSteps = []float64{1, 10}
	p.RelearningSteps = []float64{10}
	return p
}
