package srs

import (
	"testing"
	"time"
)

func TestPlan(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 28, 22, 0, 0, 0, berlin) // the night before the DST change
	set := DefaultSettings()
	set.NewPerDay, set.ReviewsPerDay, set.Location = 5, 3, berlin
	dayEnd := set.NextDayStart(now) // 04:00 CEST on 29 March: 23 hours after the day began
	if got := dayEnd.Sub(set.DayStart(now)); got != 23*time.Hour {
		t.Fatalf("DST day lasts %v, want 23h", got)
	}
	due := func(card int64, d time.Duration) Due { return Due{Card: card, Due: now.Add(d)} }
	head := func(card int64, d time.Duration) *Due { x := due(card, d); return &x }
	tests := []struct {
		name   string
		gather Gather // GatherDeckOrder unless a test says otherwise
		in     QueueInput
		want   Step
	}{
		{
			name: "learning due now comes first, most overdue first",
			in: QueueInput{
				LearningDue: 3, LearningHead: head(8, -5*time.Minute),
				ReviewsDue: 2, ReviewHead: head(3, -time.Hour),
				New: []DeckNew{{Deck: 1, Available: 10}},
			},
			want: Step{Counts: Counts{New: 5, Learning: 3, Review: 2}, Group: GroupLearning, Card: 8},
		},
		{
			name: "a learning card due now",
			in:   QueueInput{LearningDue: 2, LearningHead: head(4, -time.Minute)},
			want: Step{Counts: Counts{Learning: 2}, Group: GroupLearning, Card: 4},
		},
		{
			name: "reviews before new cards",
			in: QueueInput{
				LearningDue: 1, LearningHead: head(9, 10*time.Minute),
				ReviewsDue: 7, ReviewHead: head(3, -time.Hour),
				New: []DeckNew{{Deck: 1, Available: 2}},
			},
			want: Step{Counts: Counts{New: 2, Learning: 1, Review: 3}, Group: GroupReview, Card: 3},
		},
		{
			name: "the review limit counts today's reviews",
			in: QueueInput{
				Done:       DayCounts{ReviewsDone: 3, NewDone: 1},
				ReviewsDue: 7, ReviewHead: head(3, -time.Hour),
				New: []DeckNew{{Deck: 1, Available: 2}, {Deck: 2, Available: 9}},
			},
			want: Step{Counts: Counts{New: 4}, Group: GroupNew, Deck: 1},
		},
		{
			name: "deck order skips empty decks",
			in:   QueueInput{New: []DeckNew{{Deck: 1, Available: 0}, {Deck: 2, Available: 9}}},
			want: Step{Counts: Counts{New: 5}, Group: GroupNew, Deck: 2},
		},
		{
			name:   "interleaved takes each deck in turn",
			gather: GatherInterleaved,
			in: QueueInput{Done: DayCounts{NewDone: 3},
				New: []DeckNew{{Deck: 1, Available: 4}, {Deck: 2, Available: 0}, {Deck: 3, Available: 9}}},
			want: Step{Counts: Counts{New: 2}, Group: GroupNew, Deck: 3},
		},
		{
			name: "learn ahead when nothing else is left",
			in:   QueueInput{LearningDue: 2, LearningHead: head(5, 12*time.Minute)},
			want: Step{Counts: Counts{Learning: 2}, Group: GroupLearnAhead, Card: 5},
		},
		{
			name: "nothing left: the next learning card, shown LearnAhead early",
			in:   QueueInput{Later: Later{Learning: now.Add(40 * time.Minute), Review: now.Add(48 * time.Hour)}},
			want: Step{NextDue: now.Add(20 * time.Minute)},
		},
		{
			name: "a review card comes at the start of the study day it is due in",
			in:   QueueInput{Later: Later{Learning: now.Add(90 * time.Hour), Review: dayEnd.Add(30 * time.Hour)}},
			want: Step{NextDue: set.DayStart(dayEnd.Add(30 * time.Hour))},
		},
		{
			name: "new cards held back by the limit come at the next day start",
			in: QueueInput{Done: DayCounts{NewDone: 5}, New: []DeckNew{{Deck: 1, Available: 3}},
				Later: Later{Review: now.Add(48 * time.Hour)}},
			want: Step{NextDue: dayEnd},
		},
		{
			name: "new cards held back by a deck's own limit come at the next day start",
			in: QueueInput{New: []DeckNew{{Deck: 1, Available: 0, Capped: true}},
				Later: Later{Review: now.Add(48 * time.Hour)}},
			want: Step{NextDue: dayEnd},
		},
		{
			name: "a deck at its own limit gives way to the next deck",
			in:   QueueInput{New: []DeckNew{{Deck: 1, Available: 0, Capped: true}, {Deck: 2, Available: 2}}},
			want: Step{Counts: Counts{New: 2}, Group: GroupNew, Deck: 2},
		},
		{
			name: "reviews held back by the limit come at the next day start",
			in: QueueInput{Done: DayCounts{ReviewsDone: 3}, ReviewsDue: 4, ReviewHead: head(3, -time.Hour),
				Later: Later{Learning: now.Add(7 * time.Hour)}},
			want: Step{NextDue: dayEnd},
		},
		{
			name: "a buried card comes back when its burial ends",
			in:   QueueInput{Later: Later{Buried: dayEnd, Review: dayEnd.Add(time.Hour)}},
			want: Step{NextDue: dayEnd},
		},
		{
			name: "nothing at all",
			in:   QueueInput{},
			want: Step{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.Now, tt.in.Settings = now, set
			tt.in.Settings.Gather = tt.gather
			got := Plan(tt.in)
			if got.Counts != tt.want.Counts || got.Group != tt.want.Group || got.Card != tt.want.Card ||
				got.Deck != tt.want.Deck || !got.NextDue.Equal(tt.want.NextDue) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestPlanCountsAgree checks that the counts of a whole queue are the
// counts of its decks' queues, capped by the same limits: the dashboard
// shows both.
func TestEarlier(t *testing.T) {
	at := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	if !Earlier(Due{9, at}, Due{1, at.Add(time.Millisecond)}) || !Earlier(Due{4, at}, Due{9, at}) || Earlier(Due{9, at}, Due{4, at}) {
		t.Error("Earlier must order by due time, then card id")
	}
}

func TestPlanCountsAgree(t *testing.T) {
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	set := DefaultSettings()
	set.NewPerDay, set.ReviewsPerDay = 6, 4
	perDeck := []QueueInput{
		{LearningDue: 1, LearningHead: &Due{1, now}, ReviewsDue: 3, ReviewHead: &Due{2, now}, New: []DeckNew{{Deck: 1, Available: 4}}},
		{ReviewsDue: 2, ReviewHead: &Due{5, now}, New: []DeckNew{{Deck: 2, Available: 5}}},
	}
	var all QueueInput
	var sum Counts
	for _, in := range perDeck {
		in.Now, in.Settings = now, set
		c := Plan(in).Counts
		sum.Learning += c.Learning
		sum.New += c.New
		sum.Review += c.Review
		all.LearningDue += in.LearningDue
		all.ReviewsDue += in.ReviewsDue
		all.New = append(all.New, in.New...)
	}
	all.Now, all.Settings, all.ReviewHead, all.LearningHead = now, set, perDeck[0].ReviewHead, perDeck[0].LearningHead
	got := Plan(all).Counts
	want := Counts{Learning: sum.Learning, New: min(sum.New, 6), Review: min(sum.Review, 4)}
	if got != want {
		t.Errorf("whole queue %+v, want the decks' counts capped: %+v", got, want)
	}
}
