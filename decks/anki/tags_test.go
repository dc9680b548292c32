package anki

import (
	"context"
	"slices"
	"testing"

	"github.com/flashd/flashd/decks"
)

// TestNoteTagsKept: a note's own tags ride in a comment at the end of its
// card body, invisible to learners, and come back as the card's tags;
// the kind and section tags, and tags that cannot stand in a comment,
// do not.
func TestNoteTagsKept(t *testing.T) {
	if got := TagsComment([]string{"trap", "section::Traps", "verb", "a--b", "<x>", "Irregular"}); got != "<!-- anki tags: verb Irregular -->" {
		t.Errorf("TagsComment = %q", got)
	}
	if got := TagsComment([]string{"takeaway"}); got != "" {
		t.Errorf("TagsComment of kind tags = %q, want none", got)
	}
	c := &Collection{
		Decks:     map[int64]CollectionDeck{1: {ID: 1, Name: "Verbs"}},
		Notetypes: map[int64]Notetype{1: {ID: 1, Name: "Basic", Fields: []string{"Front", "Back"}}},
		Notes:     []CollectionNote{{ID: 1, GUID: "abcdefghij", NotetypeID: 1, Tags: []string{"verb", "irregular"}, Fields: []string{"ser?", "to be"}}},
		Cards:     []CollectionCard{{ID: 1, NoteID: 1, DeckID: 1}},
	}
	files, _, err := Markdown(context.Background(), c, decks.Limits{})
	if err != nil || len(files) != 1 {
		t.Fatalf("Markdown: %v, %d files", err, len(files))
	}
	d, err := decks.Parse("verbs.md", files[0].Markdown)
	if err != nil {
		t.Fatal(err)
	}
	card := d.Cards[0]
	if got := CommentTags(card.Back); !slices.Equal(got, []string{"verb", "irregular"}) {
		t.Errorf("CommentTags = %q", got)
	}
	if card.BackHTML != "<p>to be</p>\n" {
		t.Errorf("the learner sees %q: the tags comment must not show", card.BackHTML)
	}
}
