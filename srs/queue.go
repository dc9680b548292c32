package srs

import (
	"time"
)

// The review queue is decided here, as a pure function of what the store
// read in one snapshot: Plan takes the learner's settings, the clock, what
// was done today and the candidates of each group, and says what is left
// and which card comes next. The review page and the dashboard both call
// it, so their counts cannot disagree.
//
// The order is Anki's: learning and relearning cards due now (most overdue
// first), then review cards due today (by due time, within the daily
// review limit), then new cards (within the daily new-card limit, gathered
// from the decks in order or interleaved); when none of those is left,
// learning cards due within LearnAhead come early. When nothing is left,
// NextDue says when the next card comes.

// Gather is how new cards are gathered from several decks.
type Gather int

// The gather orders.
const (
	// GatherDeckOrder takes new cards from the first deck that has any,
	// in deck order, then from the next deck.
	GatherDeckOrder Gather = iota
	// GatherInterleaved takes new cards from each deck that has any in
	// turn (Anki's "interleaved decks").
	GatherInterleaved
)

// DayCounts is what a learner did in the current study day.
type DayCounts struct {
	NewDone     int // ratings of cards that were new
	ReviewsDone int // ratings of cards that were in review
}

// Due is a scheduled card: its id and when it is due.
type Due struct {
	Card int64
	Due  time.Time
}

// DeckNew is one deck's new cards available to study now (neither
// suspended nor buried, and within the deck's own daily limit), in the
// gather order of the decks. Capped says the deck's own daily limit
// holds back more of its new cards until the next study day.
type DeckNew struct {
	Deck      int64
	Available int
	Capped    bool
}

// QueueInput is what Plan decides from.
type QueueInput struct {
	Now      time.Time
	Settings Settings
	Done     DayCounts
	// LearningDue counts the learning and relearning cards due within
	// LearnAhead of Now; LearningHead is the one due first (by due time,
	// then card id; nil when LearningDue is 0). A head's Card may be 0
	// when the caller looks the card up only once Plan picked its group
	// (Step.Card is then 0 too).
	LearningDue  int
	LearningHead *Due
	// ReviewsDue counts the review cards due before the study day ends;
	// the store may stop counting at the daily limit. ReviewHead is the
	// one due first (nil when ReviewsDue is 0).
	ReviewsDue int
	ReviewHead *Due
	// New lists the decks with new cards, in deck order; Settings.Gather
	// says how they are gathered.
	New []DeckNew
	// Later is what the store found when nothing is due (see Later); Plan
	// reads it only when it picks no card.
	Later Later
}

// Later is what comes due after now, for saying when to come back.
type Later struct {
	Learning time.Time // earliest learning card due after LearnAhead; zero if none
	Review   time.Time // earliest review card due (not before the day's end); zero if none
	Buried   time.Time // earliest end of a burial (or the later due of a buried card); zero if none
}

// Counts is what is left to study today.
type Counts struct {
	New      int // new cards the daily limit still allows
	Learning int // learning and relearning cards due within LearnAhead
	Review   int // review cards due today, within the daily limit
}

// Total is the number of cards left today.
func (c Counts) Total() int { return c.New + c.Learning + c.Review }

// Group is the queue group a picked card comes from.
type Group int

// The groups; GroupNone means nothing is left.
const (
	GroupNone Group = iota
	GroupLearning
	GroupReview
	GroupNew
	GroupLearnAhead
)

// Step is Plan's decision.
type Step struct {
	Counts Counts
	// Group is where the next card comes from. For GroupNew, Deck names
	// the deck whose first new card (in deck order) comes next; otherwise
	// Card is the card.
	Group Group
	Card  int64
	Deck  int64
	// NextDue is when the next card comes due when Group is GroupNone
	// (zero if there is no card at all).
	NextDue time.Time
}

// NewLeft returns how many new cards the daily limit still allows.
func (in *QueueInput) NewLeft() int { return max(0, in.Settings.NewPerDay-in.Done.NewDone) }

// ReviewsLeft returns how many reviews the daily limit still allows.
func (in *QueueInput) ReviewsLeft() int { return max(0, in.Settings.ReviewsPerDay-in.Done.ReviewsDone) }

// Plan decides the counts shown and the next card.
func Plan(in QueueInput) Step {
	var st Step
	st.Counts.Learning = in.LearningDue
	var learnNow, learnAhead *Due
	if h := in.LearningHead; h != nil && in.LearningDue > 0 {
		learnAhead = h
		if !h.Due.After(in.Now) {
			learnNow = h
		}
	}
	st.Counts.Review = min(in.ReviewsDue, in.ReviewsLeft())
	newLeft := in.NewLeft()
	newAll, deckCapped := 0, false
	for _, d := range in.New {
		newAll += max(0, d.Available)
		deckCapped = deckCapped || d.Capped
	}
	st.Counts.New = min(newAll, newLeft)

	switch {
	case learnNow != nil:
		st.Group, st.Card = GroupLearning, learnNow.Card
	case st.Counts.Review > 0 && in.ReviewHead != nil:
		st.Group, st.Card = GroupReview, in.ReviewHead.Card
	case st.Counts.New > 0:
		st.Group, st.Deck = GroupNew, gatherDeck(in)
	case learnAhead != nil:
		st.Group, st.Card = GroupLearnAhead, learnAhead.Card
	default:
		st.NextDue = nextDue(in, (newAll > 0 && newLeft == 0) || deckCapped)
	}
	return st
}

// Earlier orders due cards by due time, then card id: the order of the
// learning and review queues.
func Earlier(a, b Due) bool {
	if !a.Due.Equal(b.Due) {
		return a.Due.Before(b.Due)
	}
	return a.Card < b.Card
}

// gatherDeck picks the deck the next new card comes from.
func gatherDeck(in QueueInput) int64 {
	var with []int64
	for _, d := range in.New {
		if d.Available > 0 {
			with = append(with, d.Deck)
		}
	}
	if in.Settings.Gather == GatherInterleaved {
		return with[in.Done.NewDone%len(with)]
	}
	return with[0]
}

// nextDue says when the next card comes when nothing is left now: the
// earliest of the later learning and review cards and the burials, with
// cards held back by a daily limit coming at the start of the next day.
// A review card comes at the start of the study day it falls due in, and
// a learning card LearnAhead before it is due, since that is when the
// queue shows them.
func nextDue(in QueueInput, newCapped bool) time.Time {
	dayEnd := in.Settings.NextDayStart(in.Now)
	var next time.Time
	consider := func(t time.Time) {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	if l := in.Later.Learning; !l.IsZero() {
		consider(maxTime(l.Add(-LearnAhead), in.Now))
	}
	review := in.Later.Review
	if in.ReviewHead != nil && (review.IsZero() || in.ReviewHead.Due.Before(review)) {
		review = in.ReviewHead.Due
	}
	if !review.IsZero() {
		// Due today but not shown: the review limit holds it back.
		review = maxTime(in.Settings.DayStart(review), dayEnd)
	}
	consider(review)
	if newCapped {
		consider(dayEnd)
	}
	if b := in.Later.Buried; !b.IsZero() {
		consider(maxTime(b, dayEnd))
	}
	return next
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
