package decks

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// Kind is what a card teaches, given by the section it stands in.
type Kind string

// The card kinds. A section named "Key takeaways", "Traps" or "Scenarios"
// gives its cards the matching kind; any other section gives KindTopic.
const (
	KindTakeaway Kind = "takeaway"
	KindTrap     Kind = "trap"
	KindScenario Kind = "scenario"
	KindTopic    Kind = "topic"
)

// Type is how a card is asked.
type Type string

// The card types.
const (
	TypeBasic  Type = "basic"  // heading on the front, body on the back
	TypeCloze  Type = "cloze"  // one cloze number of a cloze note
	TypeChoice Type = "choice" // multiple choice (every scenario card)
)

// renderVersion is mixed into every deck hash so that a change to rendering
// or sanitising makes the next import refresh cards whose source is the same.
const renderVersion = "flashd-render-2"

// Deck is one parsed deck file.
type Deck struct {
	ID          string
	Title       string
	Description string
	// DescriptionHTML is the description rendered and sanitised.
	DescriptionHTML string
	Tags            []string
	File            string // the name the deck was parsed under, for messages
	IDLine          int    // line of the id field, for messages about the id
	Hash            string // hex SHA-256 of the source and the renderer version
	// Source is the Markdown the deck was parsed from (without a byte
	// order mark, lines ending in "\n"), so that it can be handed back.
	Source string `json:"-"`
	Cards  []Card
}

// Card is one reviewable card, rendered.
type Card struct {
	// Key identifies the card within its deck across edits: the explicit
	// {#key} of its heading, or one derived from the front text; cloze
	// cards append "/cN".
	Key string
	// NoteKey is shared by the cards of one cloze note; it equals Key for
	// other cards.
	NoteKey string
	// Explicit reports whether the key came from a {#key} in the heading.
	Explicit bool
	// Cloze is the cloze number of a cloze card, 0 otherwise.
	Cloze   int
	Line    int // line of the card's heading
	Section string
	Kind    Kind
	Type    Type
	// Front is the heading text as written (Markdown, without the key),
	// and Back the body as written; the importer uses them to recognise an
	// edited card.
	Front string
	Back  string
	// FrontHTML is what is asked and BackHTML what is revealed, both
	// sanitised. For a cloze card both hold the whole text (deletion hidden,
	// then shown); for a choice card FrontHTML holds the question and its
	// context and BackHTML the explanation.
	FrontHTML string
	BackHTML  string
	// ClozeHTML is the note text with Anki cloze markup ({{c1::...}}) kept,
	// for exports; empty unless Type is TypeCloze.
	ClozeHTML string
	Options   []Option // choice cards only, in the order written
}

// Option is one answer of a multiple-choice card.
type Option struct {
	HTML    string `json:"html"`
	Correct bool   `json:"correct"`
}

// ContentHash returns a hash of everything a learner sees of the card, so
// an importer can tell an edited card from an unchanged one.
func (c *Card) ContentHash() string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00", c.Section, c.Kind, c.Type, c.FrontHTML, c.BackHTML, c.ClozeHTML)
	for _, o := range c.Options {
		fmt.Fprintf(h, "%t\x00%s\x00", o.Correct, o.HTML)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// NormalizeText folds case and white space, for comparing fronts.
func NormalizeText(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(s)), " ")
}

// derivedKey is the key of a card without an explicit one.
func derivedKey(front string) string {
	sum := sha256.Sum256([]byte(NormalizeText(front)))
	return "h" + hex.EncodeToString(sum[:6])
}

// Error is one problem in a deck, at a line of its file.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// ErrorList is every problem found in one or more decks, in file and line
// order. A deck with any problem is rejected whole.
type ErrorList []*Error

func (l ErrorList) Error() string {
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// CheckUnique reports decks that share an id, naming both files.
func CheckUnique(ds []*Deck) error {
	var errs ErrorList
	seen := map[string]*Deck{}
	for _, d := range ds {
		if first, ok := seen[d.ID]; ok {
			errs = append(errs, &Error{d.File, d.IDLine, fmt.Sprintf("duplicate deck id %q (also in %s:%d)", d.ID, first.File, first.IDLine)})
			continue
		}
		seen[d.ID] = d
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}
