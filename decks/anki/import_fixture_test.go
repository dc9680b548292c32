package anki

import (
	"context"
	"strings"
	"testing"

	"github.com/flashd/flashd/decks"
)

// TestImportFixtures takes each package version's fixture from reading to
// flashd decks: the same two decks from all three, every card mapped to a
// flashd card, media and cloze hints kept, each deck parsing as flashd
// reads it.
func TestImportFixtures(t *testing.T) {
	for _, tc := range []struct {
		name string
		pkg  func(testing.TB) []byte
	}{
		{"legacy 1", fxLegacy1},
		{"legacy 2", func(t testing.TB) []byte { return fxLegacy2(t, true) }},
		{"latest", fxLatest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := fxRead(t, tc.pkg(t), DefaultReadLimits)
			if err != nil {
				t.Fatal(err)
			}
			files, refusals, err := Markdown(context.Background(), c, decks.UploadLimits)
			if err != nil || len(refusals) != 0 {
				t.Fatalf("Markdown: %v, refusals %v", err, refusals)
			}
			byName := map[string]DeckFile{}
			mapped := 0
			for _, f := range files {
				byName[f.Name] = f
				mapped += len(f.Cards)
				d, err := decks.Parse(f.Slug+".md", f.Markdown)
				if err != nil {
					t.Fatalf("deck %s does not parse: %v\n%s", f.Name, err, f.Markdown)
				}
				keys := map[string]bool{}
				for _, card := range d.Cards {
					keys[card.Key] = true
				}
				for ankiID, key := range f.Cards {
					if !keys[key] {
						t.Errorf("Anki card %d maps to %q, which deck %s does not have", ankiID, key, f.Name)
					}
				}
			}
			parent, child := byName["Parent"], byName["Parent::Child"]
			if len(files) != 2 || parent.Notes != 1 || child.Notes != 2 {
				t.Fatalf("decks %v, want Parent (1 note) and Parent::Child (2 notes)", byName)
			}
			if mapped != len(c.Cards) {
				t.Errorf("%d of %d Anki cards map to flashd cards", mapped, len(c.Cards))
			}
			if md := string(parent.Markdown); !strings.Contains(md, "{{c1::Paris}}") || !strings.Contains(md, "{{c2::France}}") || !strings.Contains(md, "pic.png") {
				t.Errorf("Parent's Markdown lost the deletions or the image:\n%s", md)
			}
			if md := string(child.Markdown); !strings.Contains(md, "sound.mp3") || !strings.Contains(md, "<!-- anki tags: vocab tag::two -->") {
				t.Errorf("Parent::Child's Markdown lost the sound or the tags:\n%s", md)
			}
		})
	}
}
