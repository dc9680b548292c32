// Package srs schedules reviews with FSRS-6 through go-fsrs v4.0.0: memory
// state, ratings, the intervals each rating would give, and the learner's
// study day. It does no I/O and never reads the clock: every function
// takes the time it works at.
//
// Scheduling follows DESIGN.md: FSRS-6 weights (the defaults, or the
// learner's own once the optimizer fitted them, optimize.go), the learner's
// desired retention (0.70-0.99, default 0.90) and maximum interval,
// learning steps 1m 10m, relearning step 10m, fuzz on. A study day starts
// at 04:00 in the learner's time zone (as in Anki), so a late-night session
// counts for the day it began.
//
// The review queue is decided here too (queue.go): Plan is a pure function
// of the settings, the clock, what was done today and the candidates of
// each group (learning cards due, review cards due, new cards per deck),
// returning the counts shown and the next card, so every page that shows
// counts agrees with the one that picks.
package srs

import (
	"fmt"
	"time"

	fsrs "github.com/open-spaced-repetition/go-fsrs/v4"
)

// LeechLapses is how many lapses make a card a leech.
const LeechLapses = 8

// DayStartHour is the local hour at which a study day begins.
const DayStartHour = 4

// LearnAhead is how early a learning card may be shown when nothing else
// is left to study (Anki's "learn ahead limit"); the learning count
// includes the cards due within it.
const LearnAhead = 20 * time.Minute

// Settings are a learner's scheduling choices.
type Settings struct {
	// Retention is the desired probability of recall when a card comes
	// due, 0.70 to 0.99.
	Retention float64
	// MaxIntervalDays caps the interval between reviews, 1 to 36500.
	MaxIntervalDays int
	// NewPerDay and ReviewsPerDay limit the new cards introduced and the
	// review cards shown per study day.
	NewPerDay     int
	ReviewsPerDay int
	// Gather is how new cards are gathered from several decks.
	Gather Gather
	// Location is the learner's time zone; nil means UTC.
	Location *time.Location
	// Params are the learner's FSRS-6 weights; the zero value means the
	// defaults.
	Params Params
}

// DefaultSettings are the settings of a new learner.
func DefaultSettings() Settings {
	return Settings{Retention: 0.90, MaxIntervalDays: 36500, NewPerDay: 20, ReviewsPerDay: 200, Gather: GatherInterleaved, Location: time.UTC}
}

// Validate reports settings out of range.
func (s Settings) Validate() error {
	switch {
	case !(s.Retention >= 0.70 && s.Retention <= 0.99):
		return fmt.Errorf("desired retention must be between 0.70 and 0.99, got %v", s.Retention)
	case s.MaxIntervalDays < 1 || s.MaxIntervalDays > 36500:
		return fmt.Errorf("maximum interval must be between 1 and 36500 days, got %d", s.MaxIntervalDays)
	case s.NewPerDay < 0 || s.NewPerDay > 9999:
		return fmt.Errorf("new cards per day must be between 0 and 9999, got %d", s.NewPerDay)
	case s.ReviewsPerDay < 0 || s.ReviewsPerDay > 99999:
		return fmt.Errorf("reviews per day must be between 0 and 99999, got %d", s.ReviewsPerDay)
	case s.Gather != GatherDeckOrder && s.Gather != GatherInterleaved:
		return fmt.Errorf("unknown way of gathering new cards (%d)", s.Gather)
	}
	return s.Params.Validate()
}

// Parameters returns the go-fsrs parameters for s.
func (s Settings) Parameters() fsrs.Parameters {
	p := fsrs.DefaultParam()
	p.W = fsrs.Weights(s.Params.orDefault())
	p.RequestRetention = s.Retention
	p.MaximumInterval = float64(s.MaxIntervalDays)
	p.EnableFuzz = true
	p.LearningSteps = []float64{1, 10}
	p.RelearningSteps = []float64{10}
	return p
}

// location returns the settings' time zone, UTC when unset.
func (s Settings) location() *time.Location {
	if s.Location == nil {
		return time.UTC
	}
	return s.Location
}

// DayStart returns the start (04:00 local) of the study day that t falls in.
func (s Settings) DayStart(t time.Time) time.Time {
	lt := t.In(s.location())
	y, m, d := lt.Date()
	start := time.Date(y, m, d, DayStartHour, 0, 0, 0, lt.Location())
	if lt.Before(start) {
		start = time.Date(y, m, d-1, DayStartHour, 0, 0, 0, lt.Location())
	}
	return start
}

// NextDayStart returns the start of the study day after the one t falls in.
func (s Settings) NextDayStart(t time.Time) time.Time {
	y, m, d := s.DayStart(t).Date()
	return time.Date(y, m, d+1, DayStartHour, 0, 0, 0, s.location())
}

// Day returns the date (in the learner's zone) of the study day t falls in.
func (s Settings) Day(t time.Time) time.Time {
	y, m, d := s.DayStart(t).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// DayNumber returns the study day t falls in as a count of days since
// 1970-01-01 (the local date, as Day gives it).
func (s Settings) DayNumber(t time.Time) int64 { return s.Day(t).Unix() / 86400 }

// Phase is where a card is in its learning cycle; the values are go-fsrs's.
type Phase int

// The phases.
const (
	New        Phase = Phase(fsrs.New)
	Learning   Phase = Phase(fsrs.Learning)
	Review     Phase = Phase(fsrs.Review)
	Relearning Phase = Phase(fsrs.Relearning)
)

func (p Phase) String() string { return fsrs.State(p).String() }

// Rating is the learner's answer: Again, Hard, Good or Easy.
type Rating int

// The ratings.
const (
	Again Rating = 1
	Hard  Rating = 2
	Good  Rating = 3
	Easy  Rating = 4
)

// Ratings lists the ratings in button order.
var Ratings = [4]Rating{Again, Hard, Good, Easy}

// Valid reports whether r is one of the four ratings.
func (r Rating) Valid() bool { return r >= Again && r <= Easy }

func (r Rating) String() string { return fsrs.Rating(r).String() }

// State is one learner's memory state of one card.
type State struct {
	Phase          Phase
	Due            time.Time // zero for a new card
	Stability      float64
	Difficulty     float64
	ScheduledDays  int
	Reps           int
	Lapses         int
	LastReview     time.Time // zero before the first review
	RemainingSteps int
}

// Leech reports whether the card has lapsed often enough to be a leech.
func (st State) Leech() bool { return st.Lapses >= LeechLapses }

func (st State) card() fsrs.Card {
	return fsrs.Card{
		Due: st.Due, Stability: st.Stability, Difficulty: st.Difficulty,
		ScheduledDays: uint64(st.ScheduledDays), Reps: uint64(st.Reps), Lapses: uint64(st.Lapses),
		State: fsrs.State(st.Phase), LastReview: st.LastReview, RemainingSteps: st.RemainingSteps,
	}
}

func fromCard(c fsrs.Card) State {
	return State{
		Phase: Phase(c.State), Due: c.Due, Stability: c.Stability, Difficulty: c.Difficulty,
		ScheduledDays: int(c.ScheduledDays), Reps: int(c.Reps), Lapses: int(c.Lapses),
		LastReview: c.LastReview, RemainingSteps: c.RemainingSteps,
	}
}

// Scheduler applies ratings for one learner's settings.
type Scheduler struct {
	f   *fsrs.FSRS
	set Settings
}

// NewScheduler returns a scheduler for s.
func NewScheduler(s Settings) *Scheduler {
	return &Scheduler{f: fsrs.NewFSRS(s.Parameters()), set: s}
}

// FSRS counts the days elapsed since a card's last review as the
// difference of their UTC dates. The scheduler hands go-fsrs the
// learner's study clock instead: the local wall time moved back
// DayStartHour hours, read as UTC, so that go-fsrs's dates are the
// learner's study days (as Anki counts days from its rollover hour), in
// every zone and across DST. The due date it gets back is turned into a
// true instant again: an interval under a day is kept as a duration, a
// longer one as the same local wall time that many days on.

// StudyClock returns t on the learner's study clock (see above).
func (s Settings) StudyClock(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	lt := t.In(s.location())
	y, mo, d := lt.Date()
	h, mi, sec := lt.Clock()
	return time.Date(y, mo, d, h, mi, sec, lt.Nanosecond(), time.UTC).Add(-DayStartHour * time.Hour)
}

// FromStudyClock returns the instant a time on the study clock stands for.
// A wall time that does not exist (skipped by a DST change) moves by the
// change, as time.Date does.
func (s Settings) FromStudyClock(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	u := t.Add(DayStartHour * time.Hour)
	y, mo, d := u.Date()
	h, mi, sec := u.Clock()
	return time.Date(y, mo, d, h, mi, sec, u.Nanosecond(), s.location()).UTC()
}

// Next returns the state after rating a card in state st at now.
func (s *Scheduler) Next(st State, now time.Time, r Rating) (State, error) {
	if !r.Valid() {
		return State{}, fmt.Errorf("rating must be 1 to 4, got %d", r)
	}
	c := st.card()
	c.Due, c.LastReview = s.set.StudyClock(c.Due), s.set.StudyClock(c.LastReview)
	studyNow := s.set.StudyClock(now)
	if st.Phase == New && c.Due.IsZero() {
		c.Due = studyNow
	}
	info, err := s.f.Next(c, studyNow, fsrs.Rating(r))
	if err != nil {
		return State{}, fmt.Errorf("schedule: %w", err)
	}
	out := fromCard(info.Card)
	out.LastReview = now
	if ivl := info.Card.Due.Sub(studyNow); ivl < 24*time.Hour {
		out.Due = now.Add(ivl)
	} else {
		out.Due = s.set.FromStudyClock(info.Card.Due)
	}
	return out, nil
}

// Preview returns, for each rating in button order, how long after now
// the card would come back.
func (s *Scheduler) Preview(st State, now time.Time) ([4]time.Duration, error) {
	var out [4]time.Duration
	for i, r := range Ratings {
		next, err := s.Next(st, now, r)
		if err != nil {
			return out, err
		}
		out[i] = next.Due.Sub(now)
	}
	return out, nil
}

// Retrievability is the predicted probability of recalling the card at t,
// from FSRS-6's forgetting curve (with the parameters' decay) and the time
// since the last review in fractional days: go-fsrs's own Retrievability
// rounds that time down to whole days, so a card rated twelve hours ago
// would show 100%. It is 0 for a card never reviewed.
func (s *Scheduler) Retrievability(st State, t time.Time) float64 {
	if st.Phase == New || st.LastReview.IsZero() || !(st.Stability > 0) {
		return 0
	}
	days := max(0, t.Sub(st.LastReview).Hours()/24)
	return s.f.Parameters.ForgettingCurve(days, st.Stability)
}
