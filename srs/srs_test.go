package srs

import (
	"math"
	"testing"
	"time"

	fsrs "github.com/open-spaced-repetition/go-fsrs/v4"
)

func TestSettingsValidate(t *testing.T) {
	def := DefaultSettings()
	with := func(f func(*Settings)) Settings { s := def; f(&s); return s }
	tests := []struct {
		name string
		s    Settings
		ok   bool
	}{
		{"default", def, true},
		{"lowest retention", with(func(s *Settings) { s.Retention = 0.70 }), true},
		{"highest retention", with(func(s *Settings) { s.Retention = 0.99 }), true},
		{"retention too low", with(func(s *Settings) { s.Retention = 0.69 }), false},
		{"retention too high", with(func(s *Settings) { s.Retention = 1 }), false},
		{"no interval", with(func(s *Settings) { s.MaxIntervalDays = 0 }), false},
		{"interval too long", with(func(s *Settings) { s.MaxIntervalDays = 36501 }), false},
		{"negative new limit", with(func(s *Settings) { s.NewPerDay = -1 }), false},
		{"no reviews allowed", with(func(s *Settings) { s.ReviewsPerDay = 0 }), true},
	}
	for _, tt := range tests {
		if err := tt.s.Validate(); (err == nil) != tt.ok {
			t.Errorf("%s: Validate() = %v, want ok %v", tt.name, err, tt.ok)
		}
	}
}

func TestParameters(t *testing.T) {
	s := DefaultSettings()
	s.Retention, s.MaxIntervalDays = 0.85, 365
	p := s.Parameters()
	if p.RequestRetention != 0.85 || p.MaximumInterval != 365 || !p.EnableFuzz {
		t.Errorf("got retention %v max %v fuzz %v", p.RequestRetention, p.MaximumInterval, p.EnableFuzz)
	}
	if len(p.LearningSteps) != 2 || p.LearningSteps[0] != 1 || p.LearningSteps[1] != 10 || len(p.RelearningSteps) != 1 || p.RelearningSteps[0] != 10 {
		t.Errorf("got steps %v / %v", p.LearningSteps, p.RelearningSteps)
	}
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestDayBoundaries checks that a study day starts at 04:00 local time,
// also on the days clocks change.
func TestDayBoundaries(t *testing.T) {
	berlin := mustZone(t, "Europe/Berlin")
	ny := mustZone(t, "America/New_York")
	tests := []struct {
		name      string
		loc       *time.Location
		at        time.Time
		day       string // the study day
		dayStart  string // RFC 3339
		nextStart string
	}{
		{"03:59 belongs to yesterday", berlin, time.Date(2026, 1, 15, 3, 59, 0, 0, berlin), "2026-01-14", "2026-01-14T04:00:00+01:00", "2026-01-15T04:00:00+01:00"},
		{"04:01 starts today", berlin, time.Date(2026, 1, 15, 4, 1, 0, 0, berlin), "2026-01-15", "2026-01-15T04:00:00+01:00", "2026-01-16T04:00:00+01:00"},
		{"04:00 sharp starts today", berlin, time.Date(2026, 1, 15, 4, 0, 0, 0, berlin), "2026-01-15", "2026-01-15T04:00:00+01:00", "2026-01-16T04:00:00+01:00"},
		{"UTC midnight is not a boundary", berlin, time.Date(2026, 1, 15, 0, 30, 0, 0, time.UTC), "2026-01-14", "2026-01-14T04:00:00+01:00", "2026-01-15T04:00:00+01:00"},
		// Berlin springs forward on 2026-03-29 at 02:00: that day has 23 hours.
		{"spring forward 03:59", berlin, time.Date(2026, 3, 29, 3, 59, 0, 0, berlin), "2026-03-28", "2026-03-28T04:00:00+01:00", "2026-03-29T04:00:00+02:00"},
		{"spring forward 04:01", berlin, time.Date(2026, 3, 29, 4, 1, 0, 0, berlin), "2026-03-29", "2026-03-29T04:00:00+02:00", "2026-03-30T04:00:00+02:00"},
		// New York falls back on 2026-11-01 at 02:00: that day has 25 hours.
		{"fall back 03:59", ny, time.Date(2026, 11, 1, 3, 59, 0, 0, ny), "2026-10-31", "2026-10-31T04:00:00-04:00", "2026-11-01T04:00:00-05:00"},
		{"fall back 04:01", ny, time.Date(2026, 11, 1, 4, 1, 0, 0, ny), "2026-11-01", "2026-11-01T04:00:00-05:00", "2026-11-02T04:00:00-05:00"},
	}
	for _, tt := range tests {
		s := DefaultSettings()
		s.Location = tt.loc
		if got := s.Day(tt.at).Format("2006-01-02"); got != tt.day {
			t.Errorf("%s: Day = %s, want %s", tt.name, got, tt.day)
		}
		if got := s.DayStart(tt.at).Format(time.RFC3339); got != tt.dayStart {
			t.Errorf("%s: DayStart = %s, want %s", tt.name, got, tt.dayStart)
		}
		if got := s.NextDayStart(tt.at).Format(time.RFC3339); got != tt.nextStart {
			t.Errorf("%s: NextDayStart = %s, want %s", tt.name, got, tt.nextStart)
		}
	}
}

// history is a recorded sequence of ratings at fixed times: learning,
// graduation, reviews, a lapse and relearning.
var history = []struct {
	after time.Duration // since the previous rating
	r     Rating
}{
	{0, Again}, {time.Minute, Good}, {10 * time.Minute, Good}, {26 * time.Hour, Good},
	{3 * 24 * time.Hour, Hard}, {9 * 24 * time.Hour, Good}, {20 * 24 * time.Hour, Again},
	{10 * time.Minute, Good}, {2 * 24 * time.Hour, Easy}, {40 * 24 * time.Hour, Good},
}

// TestReplayMatchesGoFSRS replays the history through Scheduler and
// through go-fsrs itself with the same parameters, and compares every step.
// go-fsrs is given the study clock by hand: for a learner in UTC, the time
// moved back DayStartHour hours; its due dates are moved forward again.
func TestReplayMatchesGoFSRS(t *testing.T) {
	s := DefaultSettings()
	sched := NewScheduler(s)
	ref := fsrs.NewFSRS(s.Parameters())
	now := time.Date(2026, 2, 1, 9, 30, 0, 0, time.UTC)
	const shift = DayStartHour * time.Hour
	var st State
	refCard := fsrs.NewCard(now.Add(-shift))
	for i, h := range history {
		now = now.Add(h.after)
		var err error
		st, err = sched.Next(st, now, h.r)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		info, err := ref.Next(refCard, now.Add(-shift), fsrs.Rating(h.r))
		if err != nil {
			t.Fatalf("step %d (go-fsrs): %v", i, err)
		}
		refCard = info.Card
		want := fromCard(refCard)
		want.Due, want.LastReview = want.Due.Add(shift), want.LastReview.Add(shift)
		if st != want {
			t.Fatalf("step %d (%s after %s): got %+v, want %+v", i, h.r, h.after, st, want)
		}
	}
	if st.Lapses != 1 || st.Phase != Review || st.Reps != len(history) {
		t.Errorf("final state %+v: want 1 lapse, in review, %d reps", st, len(history))
	}
}

func TestPreview(t *testing.T) {
	sched := NewScheduler(DefaultSettings())
	now := time.Date(2026, 2, 1, 9, 30, 0, 0, time.UTC)
	got, err := sched.Preview(State{}, now)
	if err != nil {
		t.Fatal(err)
	}
	// A new card: Again and Hard stay in the learning steps (1m, and the
	// mean of 1m and 10m), Good moves to the 10m step, Easy graduates.
	if got[0] != time.Minute || got[1] != 6*time.Minute || got[2] != 10*time.Minute || got[3] < 24*time.Hour {
		t.Errorf("new card preview: %v", got)
	}
	for i, r := range Ratings {
		next, _ := sched.Next(State{}, now, r)
		if next.Due.Sub(now) != got[i] {
			t.Errorf("%s: preview %v, Next gives %v", r, got[i], next.Due.Sub(now))
		}
	}
	if _, err := sched.Next(State{}, now, 5); err == nil {
		t.Error("rating 5 accepted")
	}
}

func TestLeech(t *testing.T) {
	if (State{Lapses: LeechLapses - 1}).Leech() || !(State{Lapses: LeechLapses}).Leech() {
		t.Error("a leech is a card with 8 lapses")
	}
}

// TestRetrievabilityFractionalDays checks recall against FSRS-6's
// forgetting curve, R(t, S) = (1 + F·t/S)^D with D = -w20 and
// F = 0.9^(1/D) - 1, at fractional elapsed days.
func TestRetrievabilityFractionalDays(t *testing.T) {
	s := NewScheduler(DefaultSettings())
	w := fsrs.DefaultWeights()
	decay := -w[20]
	factor := math.Pow(0.9, 1/decay) - 1
	last := time.Date(2026, 5, 1, 20, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		stability float64
		elapsed   time.Duration
	}{
		{0.37, 12 * time.Hour}, {0.37, 0}, {1, 6 * time.Hour}, {2.5, 36 * time.Hour}, {10, 10 * 24 * time.Hour}, {120, 400 * time.Hour},
	} {
		days := tt.elapsed.Hours() / 24
		want := math.Pow(1+factor*days/tt.stability, decay)
		got := s.Retrievability(State{Phase: Review, Stability: tt.stability, LastReview: last}, last.Add(tt.elapsed))
		if math.Abs(got-want) > 1e-12 {
			t.Errorf("S=%v t=%v: got %v, want %v", tt.stability, tt.elapsed, got, want)
		}
	}
	// The example: S = 0.37, rated 12 hours ago, is about 88%, not 100%.
	if r := s.Retrievability(State{Phase: Review, Stability: 0.37, LastReview: last}, last.Add(12*time.Hour)); r < 0.87 || r > 0.89 {
		t.Errorf("S=0.37 after 12h: %v, want about 0.88", r)
	}
	// At t = S the curve gives 90% by construction.
	if r := s.Retrievability(State{Phase: Review, Stability: 3, LastReview: last}, last.Add(72*time.Hour)); math.Abs(r-0.9) > 1e-9 {
		t.Errorf("R(S, S) = %v, want 0.9", r)
	}
	if r := s.Retrievability(State{Phase: New}, last); r != 0 {
		t.Errorf("new card: %v, want 0", r)
	}
}

// TestElapsedStudyDays checks that FSRS counts elapsed days in the
// learner's study days (04:00 local), not UTC dates: the stability after a
// second rating equals go-fsrs's when it is handed two times whose UTC
// dates are the study days, and differs from what the UTC dates alone give
// where the two disagree.
func TestElapsedStudyDays(t *testing.T) {
	zone := func(name string) *time.Location {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		return loc
	}
	tests := []struct {
		name          string
		loc           *time.Location
		first, second time.Time
		// the same two moments on a clock whose UTC dates are study days
		studyFirst, studySecond time.Time
		utcDiffers              bool
	}{
		{"UTC: 00:24 and 23:52 of one date are two study days", time.UTC,
			time.Date(2026, 3, 10, 0, 24, 0, 0, time.UTC), time.Date(2026, 3, 10, 23, 52, 0, 0, time.UTC),
			time.Date(2026, 3, 9, 20, 24, 0, 0, time.UTC), time.Date(2026, 3, 10, 19, 52, 0, 0, time.UTC), true},
		{"Tokyo: 05:00 and 23:00 local are one study day, two UTC dates", zone("Asia/Tokyo"),
			time.Date(2026, 3, 10, 5, 0, 0, 0, zone("Asia/Tokyo")), time.Date(2026, 3, 10, 23, 0, 0, 0, zone("Asia/Tokyo")),
			time.Date(2026, 3, 10, 1, 0, 0, 0, time.UTC), time.Date(2026, 3, 10, 19, 0, 0, 0, time.UTC), true},
		{"Auckland: 03:30 and 04:30 local are two study days", zone("Pacific/Auckland"),
			time.Date(2026, 7, 10, 3, 30, 0, 0, zone("Pacific/Auckland")), time.Date(2026, 7, 10, 4, 30, 0, 0, zone("Pacific/Auckland")),
			time.Date(2026, 7, 9, 23, 30, 0, 0, time.UTC), time.Date(2026, 7, 10, 0, 30, 0, 0, time.UTC), true},
		{"Berlin across the DST change: Saturday 22:00 to Sunday 23:30 is one day apart", zone("Europe/Berlin"),
			time.Date(2026, 3, 28, 22, 0, 0, 0, zone("Europe/Berlin")), time.Date(2026, 3, 29, 23, 30, 0, 0, zone("Europe/Berlin")),
			time.Date(2026, 3, 28, 18, 0, 0, 0, time.UTC), time.Date(2026, 3, 29, 19, 30, 0, 0, time.UTC), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := DefaultSettings()
			set.Location = tt.loc
			if got := set.StudyClock(tt.second); !got.Equal(tt.studySecond) {
				t.Fatalf("study clock of %v: %v, want %v", tt.second, got, tt.studySecond)
			}
			if back := set.FromStudyClock(set.StudyClock(tt.first)); !back.Equal(tt.first) {
				t.Errorf("round trip of %v: %v", tt.first, back)
			}
			sched := NewScheduler(set)
			// Easy on a new card: straight to review, so the second rating
			// reads the elapsed days.
			st, err := sched.Next(State{}, tt.first, Easy)
			if err != nil {
				t.Fatal(err)
			}
			st, err = sched.Next(st, tt.second, Good)
			if err != nil {
				t.Fatal(err)
			}
			ref := fsrs.NewFSRS(set.Parameters())
			stability := func(a, b time.Time) float64 {
				info, err := ref.Next(fsrs.NewCard(a), a, fsrs.Easy)
				if err != nil {
					t.Fatal(err)
				}
				info, err = ref.Next(info.Card, b, fsrs.Good)
				if err != nil {
					t.Fatal(err)
				}
				return info.Card.Stability
			}
			if want := stability(tt.studyFirst, tt.studySecond); st.Stability != want {
				t.Errorf("stability %v, want %v (elapsed in study days)", st.Stability, want)
			}
			if utc := stability(tt.first.UTC(), tt.second.UTC()); (utc != st.Stability) != tt.utcDiffers {
				t.Errorf("stability %v, by UTC dates %v: want them to differ = %v", st.Stability, utc, tt.utcDiffers)
			}
			if !st.LastReview.Equal(tt.second) || !st.Due.After(tt.second) {
				t.Errorf("last review %v, due %v: want true instants after the rating", st.LastReview, st.Due)
			}
		})
	}
}
