package decks

import (
	"strings"
	"testing"
)

// TestBuiltin checks that the embedded decks lint clean and that the
// DVA-C02 deck has cards of every kind and type the format offers.
func TestBuiltin(t *testing.T) {
	deck := builtinDeck(t, "aws-dva-c02-containers")
	kinds := map[Kind]int{}
	types := map[Type]int{}
	for _, c := range deck.Cards {
		kinds[c.Kind]++
		types[c.Type]++
		if !c.Explicit {
			t.Errorf("%s:%d: built-in cards need an explicit {#key} so edits never reset progress", deck.File, c.Line)
		}
	}
	for _, k := range []Kind{KindTakeaway, KindTrap, KindScenario} {
		if kinds[k] == 0 {
			t.Errorf("no %s cards", k)
		}
	}
	// The chapter's three questions plus at least five written from it.
	if kinds[KindScenario] < 8 {
		t.Errorf("got %d scenario cards, want at least 8", kinds[KindScenario])
	}
	keys := map[string]*Card{}
	for i := range deck.Cards {
		keys[deck.Cards[i].Key] = &deck.Cards[i]
	}
	for _, k := range []string{"scn-image-pull-role", "scn-no-servers-fargate", "scn-long-running-containers"} {
		if c := keys[k]; c == nil || c.Kind != KindScenario {
			t.Errorf("the chapter's scenario %q is missing", k)
		}
	}
	// Facts the chapter states but AWS has since changed (issue 12): the
	// deck teaches the current one and names what older material expects.
	for k, want := range map[string]string{
		"ecs-deployment-strategies":        "blue/green (since July 2025)",
		"trap-codedeploy-blue-green":       "Older exam material",
		"app-runner-availability-cloze/c1": "30 April 2026",
		"app-runner-request-timeout":       "120 seconds",
		"lambda-image-10gb":                "10 GB",
		"ec2-pull-instance-role":           "container instance role",
		"ecr-token-12h":                    "12 hours",
	} {
		if c := keys[k]; c == nil || !strings.Contains(c.Back, want) {
			t.Errorf("card %q should say %q", k, want)
		}
	}
	if types[TypeCloze] == 0 {
		t.Error("no cloze cards")
	}
	t.Logf("%d cards: %v %v", len(deck.Cards), kinds, types)
}

// builtinDeck returns the built-in deck with the given id, failing the
// test when the built-in decks do not lint clean or it is missing.
func builtinDeck(t *testing.T, id string) *Deck {
	t.Helper()
	ds, err := Builtin()
	if err != nil {
		t.Fatalf("built-in decks do not lint clean:\n%v", err)
	}
	for _, d := range ds {
		if d.ID == id {
			return d
		}
	}
	t.Fatalf("no built-in deck %q", id)
	return nil
}
