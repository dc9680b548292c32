package anki

import (
	"time"

	"github.com/flashd/flashd/srs"
)

// Export is what an .apkg export carries: a deck's content and,
// optionally, one learner's progress on it.
type Export struct {
	Deck Deck
	// Progress holds the learner's progress on Deck.Cards[i] at index i;
	// nil (the whole slice, or an entry) is a card the learner has not
	// studied.
	Progress []*Progress
	// Settings are the learner's: retention and their own FSRS
	// parameters (zero Params: the defaults) go into the deck options;
	// Location fixes the study days (04:00 local) that Anki's day
	// numbers count.
	Settings srs.Settings
	// Media are the files the deck references, by the name the fields
	// use, that the server holds.
	Media map[string][]byte
	// Now is the export time.
	Now time.Time
}

// Progress is one learner's schedule of one card.
type Progress struct {
	State       srs.State
	Suspended   bool
	BuriedUntil time.Time // after Now: buried
	Flagged     bool
	// Log is the card's ratings that stand (not undone), oldest first.
	Log []Review
}

// Review is one rating of a learner's review log.
type Review struct {
	At         time.Time
	Rating     srs.Rating
	Before     srs.State // the card's state before the rating
	After      srs.State // the state it left
	AnswerTime time.Duration
}

// Collection is what ReadPackage found in an Anki package: every deck,
// note type, note, card and review of it, and its media.
type Collection struct {
	// Format is the collection file read: "collection.anki2",
	// "collection.anki21" or "collection.anki21b".
	Format string
	// Created is the collection's creation time (col.crt): review due
	// dates count days from it. With a deck's id it names that deck
	// across exports of the same collection (zero for a text file).
	Created time.Time
	// SchedulerV1 reports a collection of Anki's first scheduler (col
	// conf or config "schedVer" 1), whose learning-step ratings count one
	// button fewer: Anki adds one to ease 2 and 3 of learning and
	// relearning rows when it upgrades such a collection.
	SchedulerV1 bool
	Decks       map[int64]CollectionDeck
	Notetypes   map[int64]Notetype
	Notes       []CollectionNote // in id order
	Cards       []CollectionCard // in id order
	Revlog      []CollectionReview
	// Media maps a media file's name, as fields reference it, to its
	// content.
	Media map[string][]byte
}

// CollectionDeck is one Anki deck.
type CollectionDeck struct {
	ID int64
	// Name is the full name, its levels joined by "::".
	Name     string
	Filtered bool
}

// Notetype is one Anki note type.
type Notetype struct {
	ID     int64
	Name   string
	Cloze  bool     // a cloze note type (type 1)
	Fields []string // field names in order
}

// CollectionNote is one Anki note.
type CollectionNote struct {
	ID         int64
	GUID       string
	NotetypeID int64
	Modified   time.Time
	Tags       []string
	Fields     []string // field values (HTML) in the note type's order
}

// CollectionCard is one Anki card, with its scheduling columns as stored.
type CollectionCard struct {
	ID     int64
	NoteID int64
	// DeckID is the card's home deck: odid when it sits in a filtered
	// deck, otherwise did.
	DeckID int64
	Ord    int // template (basic) or cloze number - 1 (cloze)
	Type   int // 0 new, 1 learning, 2 review, 3 relearning
	// Queue is -3 user buried, -2 scheduler buried, -1 suspended, 0 new,
	// 1 learning, 2 review, 3 day learning, 4 preview.
	Queue  int
	Due    int64
	Ivl    int
	Factor int
	Reps   int
	Lapses int
	Flags  int    // the low 3 bits are the flag colour
	Data   string // JSON: FSRS memory ("s", "d", "dr", "decay", "lrt")
}

// CollectionReview is one row of Anki's review log.
type CollectionReview struct {
	ID      int64 // the time of the review in Unix ms
	CardID  int64
	Ease    int // 1-4; 0 for a manual entry
	Ivl     int // days if positive, seconds if negative
	LastIvl int
	Factor  int
	Time    int // answer time in ms
	// Type is 0 learning, 1 review, 2 relearning, 3 filtered, 4 manual,
	// 5 rescheduled.
	Type int
}
