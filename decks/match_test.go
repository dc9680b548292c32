package decks

import (
	"reflect"
	"testing"
)

func TestMatch(t *testing.T) {
	card := func(front, back string) Card {
		return Card{Key: derivedKey(front), Front: front, Back: back, Type: TypeBasic}
	}
	keyed := func(key, front, back string) Card {
		c := card(front, back)
		c.Key, c.Explicit = key, true
		return c
	}
	known := func(c Card, pos int, retired bool) Known {
		return Known{Key: c.Key, Explicit: c.Explicit, Position: pos, Front: c.Front, Back: c.Back, Retired: retired}
	}
	a := card("What is a task definition?", "A blueprint.")
	b := card("What is a service?", "Keeps tasks running.")
	tests := []struct {
		name  string
		known []Known
		cards []Card
		want  []int
	}{
		{"same keys", []Known{known(a, 0, false), known(b, 1, false)}, []Card{b, a}, []int{1, 0}},
		{"retired card comes back", []Known{known(a, 0, true)}, []Card{a}, []int{0}},
		{"front edited, same back", []Known{known(a, 0, false), known(b, 1, false)},
			[]Card{card("What's a service?", "Keeps tasks running."), a}, []int{1, 0}},
		{"same back twice is ambiguous", []Known{known(a, 0, false), known(card("Other?", "A blueprint."), 1, false)},
			[]Card{card("Changed?", "A blueprint.")}, []int{-1}},
		{"both edited at the same position", []Known{known(a, 0, false)},
			[]Card{card("What is an ECS task definition?", "The JSON blueprint.")}, []int{0}},
		{"both edited at another position", []Known{known(b, 0, false), known(a, 1, false)},
			[]Card{card("What is an ECS task definition?", "The JSON blueprint.")}, []int{-1}},
		{"unrelated card at the same position", []Known{known(a, 0, false)},
			[]Card{card("Which registry stores images?", "ECR.")}, []int{-1}},
		{"key added", []Known{known(a, 0, false)}, []Card{keyed("task-def", a.Front, a.Back)}, []int{0}},
		{"explicit key changed is a new card", []Known{known(keyed("old", "Q?", "A."), 0, false)},
			[]Card{keyed("new", "Q?", "A.")}, []int{-1}},
		{"retired cards are not matched by content", []Known{known(a, 0, true)},
			[]Card{card("What's a task definition?", a.Back)}, []int{-1}},
		{"a known card is continued once", []Known{known(a, 0, false)},
			[]Card{card("One?", a.Back), card("Two?", a.Back)}, []int{0, -1}},
	}
	for _, tt := range tests {
		if got := Match(tt.known, tt.cards); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestSimilarity(t *testing.T) {
	if s := similarity("Hello World", "hello  world"); s != 1 {
		t.Errorf("equal after normalising: %v", s)
	}
	if s := similarity("abc", "xyz"); s != 0 {
		t.Errorf("nothing shared: %v", s)
	}
	if s := similarity("What keeps a desired count?", "What keeps the desired count?"); s < Similar {
		t.Errorf("a typo fix: %v < %v", s, Similar)
	}
}
