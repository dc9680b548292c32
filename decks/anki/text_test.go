package anki

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/flashd/flashd/decks"
)

// TestReadText: flashd's own CSV reads back as the notes it wrote, and a
// hand-made Anki notes file reads with its headers' defaults.
func TestReadText(t *testing.T) {
	d, err := decks.Parse("small.md", []byte("---\nid: small\ntitle: Small\ntags: [aws]\n---\n## Traps\n### Q1\nA1\n### Cue\nThe {{c1::cat}} and {{c2::dog}}.\n"))
	if err != nil {
		t.Fatal(err)
	}
	deck := fromDeck(d)
	var buf bytes.Buffer
	if err := Write(&buf, deck); err != nil {
		t.Fatal(err)
	}
	c, err := ReadText(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	notes := Notes(deck)
	if len(c.Notes) != len(notes) || len(c.Cards) != len(notes) {
		t.Fatalf("%d notes, %d cards; want %d", len(c.Notes), len(c.Cards), len(notes))
	}
	for i, n := range notes {
		got := c.Notes[i]
		nt := c.Notetypes[got.NotetypeID]
		if got.GUID != n.GUID || got.Fields[0] != n.Fields[0] || got.Fields[1] != n.Fields[1] ||
			nt.Cloze != (n.NoteType == NoteTypeCloze) || strings.Join(got.Tags, " ") != strings.Join(n.Tags, " ") {
			t.Errorf("note %d: %+v (type %+v), want %+v", i, got, nt, n)
		}
		if c.Decks[c.Cards[i].DeckID].Name != "flashd::Small" {
			t.Errorf("note %d in deck %q", i, c.Decks[c.Cards[i].DeckID].Name)
		}
	}

	plain := "#separator:tab\n#html:true\n#notetype:Cloze\n#deck:Biology\n#tags:bio\n" +
		"The {{c1::mitochondria}} makes ATP\textra\n" +
		"Cells are {{c1::small}}\t\n"
	c, err = ReadText([]byte(plain))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Notes) != 2 || c.Decks[c.Cards[0].DeckID].Name != "Biology" || !c.Notetypes[c.Notes[0].NotetypeID].Cloze ||
		c.Notes[0].Tags[0] != "bio" || c.Notes[0].GUID == "" || c.Notes[0].GUID == c.Notes[1].GUID {
		t.Errorf("plain notes: %+v", c.Notes)
	}
	again, _ := ReadText([]byte(plain))
	if again.Notes[0].GUID != c.Notes[0].GUID {
		t.Error("a row without a GUID gets another one on every read")
	}

	for name, bad := range map[string]string{
		"not UTF-8":       "#separator:tab\n\xff\xfe\tx\n",
		"no notes":        "#separator:tab\n#html:true\n",
		"duplicate GUID":  "#guid column:1\nabc\tQ1\tA1\nabc\tQ2\tA2\n",
		"bad column":      "#guid column:x\nabc\tQ\tA\n",
		"other separator": "#separator:comma\na,b\n",
	} {
		if _, err := ReadText([]byte(bad)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestReadFile: a zip is read as a package, anything else as a notes
// file, which may not pass MaxTextBytes.
func TestReadFile(t *testing.T) {
	pkg := fxLegacy1(t)
	c, err := ReadFile(context.Background(), bytes.NewReader(pkg), int64(len(pkg)), DefaultReadLimits)
	if err != nil || c.Format != "collection.anki2" {
		t.Fatalf("package: %v, %v", c, err)
	}
	notes := []byte("#separator:tab\nQ\tA\n")
	if c, err := ReadFile(context.Background(), bytes.NewReader(notes), int64(len(notes)), DefaultReadLimits); err != nil || c.Format != "text" || len(c.Notes) != 1 {
		t.Errorf("notes file: %v, %v", c, err)
	}
	if _, err := ReadFile(context.Background(), bytes.NewReader(notes), MaxTextBytes+1, DefaultReadLimits); err == nil || !strings.Contains(err.Error(), "at most") {
		t.Errorf("an oversized notes file: %v", err)
	}
}

// TestPackageMediaWarnings: files the package carries need no warning;
// a local image the server does not hold is named.
func TestPackageMediaWarnings(t *testing.T) {
	e := Export{Deck: Deck{Title: "T", Cards: []Card{{GUID: "g", FrontHTML: `<img src="held.png"><img src="missing.png">`}}},
		Media: map[string][]byte{"held.png": {1}}}
	w := PackageMediaWarnings(e)
	if len(w) != 1 || !strings.Contains(w[0], "missing.png is not held by the server") {
		t.Errorf("warnings %q, want one for missing.png", w)
	}
}
