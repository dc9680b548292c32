package decks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

const limitsHead = "---\nid: limits\ntitle: Limits\n---\n"

// clozeNote is a card whose body holds n cloze deletions, each its own
// number.
func clozeNote(n int) string {
	var b strings.Builder
	b.WriteString("### Many deletions\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "Fact {{c%d::number %d}} holds. ", i, i)
	}
	return b.String() + "\n"
}

// pathological are the decks an attacker would upload: each hits one cap,
// with the line its error must name.
var pathological = []struct {
	name, src string
	line      int
	want      string
}{
	{"too many cloze numbers", limitsHead + clozeNote(MaxClozeNumbers+1), 5, "at most 50"},
	{"cloze number too high", limitsHead + "### Q\nA {{c501::x}}\n", 6, "at most c500"},
	{"card too big", limitsHead + "### Q\n" + strings.Repeat("word ", 2000) + "\n", 5, "at most 8 KiB"},
	{"unclosed links", limitsHead + "### Q\n" + strings.Repeat("[a](", 300) + "\n", 5, `"["`},
	{"deep quotes", limitsHead + "### Q\nfine\n" + strings.Repeat("> ", 1000) + "x\n", 7, "nested 1000 deep"},
}

func TestLimits(t *testing.T) {
	for _, tt := range pathological {
		_, err := Parse("evil.md", []byte(tt.src))
		var list ErrorList
		if !errors.As(err, &list) || len(list) != 1 || list[0].Line != tt.line || !strings.Contains(list[0].Msg, tt.want) {
			t.Errorf("%s: %v, want one problem at evil.md:%d with %q", tt.name, err, tt.line, tt.want)
		}
	}
	// At the caps a card is fine.
	if d, err := Parse("ok.md", []byte(limitsHead+clozeNote(MaxClozeNumbers))); err != nil || len(d.Cards) != MaxClozeNumbers {
		t.Errorf("note with %d cloze numbers: %v", MaxClozeNumbers, err)
	}
}

func TestDeckLimits(t *testing.T) {
	var big strings.Builder
	big.WriteString(limitsHead)
	for i := 0; big.Len() <= UploadLimits.Bytes; i++ {
		fmt.Fprintf(&big, "### Question %d?\nAnswer %d.\n\n", i, i)
	}
	if _, err := ParseContext(context.Background(), "big.md", []byte(big.String()), UploadLimits); err == nil || !strings.Contains(err.Error(), "big.md:1: deck is 513 KiB; a deck may have at most 512 KiB") {
		t.Errorf("upload over the size cap: %v", err)
	}
	// An operator's import has no deck-wide cap.
	if d, err := Parse("big.md", []byte(big.String())); err != nil || len(d.Cards) < UploadLimits.Cards {
		t.Errorf("operator import: %v", err)
	}
	few := Limits{Cards: 3}
	src := limitsHead + "### A\n1\n### B\n2\n### C\n3\n### D\n4\n"
	if _, err := ParseContext(context.Background(), "d.md", []byte(src), few); err == nil || !strings.Contains(err.Error(), "d.md:11: deck has 4 cards; a deck may have at most 3") {
		t.Errorf("too many cards: %v", err)
	}
	if _, err := ParseContext(context.Background(), "d.md", []byte(limitsHead+clozeNote(40)), Limits{HTML: 10 << 10}); err == nil || !strings.Contains(err.Error(), "d.md:5: deck renders to more than 10 KiB of HTML") {
		t.Errorf("HTML cap: %v", err)
	}
}

// TestParseStopsWhenCancelled: a cancelled upload stops parsing and says
// so instead of listing problems.
func TestParseStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := ParseContext(ctx, "d.md", []byte(limitsHead+clozeNote(10)), Limits{})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "d.md: parsing stopped") {
		t.Errorf("cancelled: %v", err)
	}
}

// BenchmarkParsePathological parses the decks that used to stall the
// server: a deck of cloze notes each with the most numbers allowed (which
// cost numbers² renders before), and the rejected ones.
func BenchmarkParsePathological(b *testing.B) {
	var notes strings.Builder
	notes.WriteString(limitsHead)
	for i := range 20 {
		notes.WriteString(strings.Replace(clozeNote(MaxClozeNumbers), "Many deletions", fmt.Sprintf("Many deletions %d", i), 1))
	}
	cases := map[string]string{"cloze-notes": notes.String()}
	for _, p := range pathological {
		cases[strings.ReplaceAll(p.name, " ", "-")] = p.src
	}
	cases["quotes-512KiB"] = limitsHead + "### Q\n" + strings.Repeat("> ", 256<<10) + "\n"
	cases["links-512KiB"] = limitsHead + "### Q\n" + strings.Repeat("[a](", 128<<10) + "\n"
	for name, src := range cases {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				Parse("bench.md", []byte(src))
			}
		})
	}
}

// TestDeckIDsPrefixed: an id a card sets cannot collide with the page's
// (the review pane is swapped by its id), and links to it still work.
func TestDeckIDsPrefixed(t *testing.T) {
	d, err := Parse("ids.md", []byte(limitsHead+"### Q\n<p id=\"review\">x</p>\n\n[back up](#review)\n"))
	if err != nil {
		t.Fatal(err)
	}
	back := d.Cards[0].BackHTML
	if !strings.Contains(back, `id="d-review"`) || !strings.Contains(back, `href="#d-review"`) || strings.Contains(back, `id="review"`) {
		t.Errorf("back HTML: %s", back)
	}
}

// TestClozeForAnki: a deletion's braces never close Anki's cloze early,
// and Anki's several-cards deletion is refused with its line.
func TestClozeForAnki(t *testing.T) {
	d, err := Parse("c.md", []byte(limitsHead+"### Go maps\nAn empty map is {{c1::map[string]int{} }} and {{c2::a}}b}}c::x{}}}.\n"))
	if err != nil {
		t.Fatal(err)
	}
	cz := d.Cards[0].ClozeHTML
	// Anki's rule: a deletion ends at the first "}}" after "{{cN::".
	for _, want := range []string{"{{c1::map[string]int{} }}", "{{c2::a}}"} {
		i := strings.Index(cz, want[:6])
		end := strings.Index(cz[i:], "}}")
		if got := cz[i : i+end+2]; got != want {
			t.Errorf("Anki reads the deletion as %q, want %q (cloze HTML %s)", got, want, cz)
		}
	}
	_, err = Parse("c.md", []byte(limitsHead+"### Q\nfine\n{{c1,2::both}}\n"))
	if err == nil || !strings.Contains(err.Error(), "c.md:7: cloze \"{{c1,2::\": a deletion on several cards is not supported") {
		t.Errorf("several-cards deletion: %v", err)
	}
}

// TestQuoteDepthThroughLists: block quotes nested through list markers
// count too.
func TestQuoteDepthThroughLists(t *testing.T) {
	_, err := Parse("q.md", []byte(limitsHead+"### Q\n"+strings.Repeat("- > ", MaxQuoteDepth+1)+"x\n"))
	if err == nil || !strings.Contains(err.Error(), "block quotes nested 9 deep") {
		t.Errorf("quotes nested through lists: %v", err)
	}
}
