package decks

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

func parseFixture(t *testing.T, name string) *Deck {
	t.Helper()
	file := filepath.Join("testdata", "quality", name)
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Parse(file, src)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return d
}

// found lists the warnings (not info lines) as "rule@line".
func found(ws []Warning) []string {
	var out []string
	for _, w := range ws {
		if !w.Info {
			out = append(out, fmt.Sprintf("%s@%d", w.Rule, w.Line))
		}
	}
	sort.Strings(out)
	return out
}

// TestQualityFixtures checks that every rule fires on the fixture deck
// that has its problem, at the card that has it, and that the clean
// fixture (which holds the near misses: four items, four sentences, a
// contrast pair, a tie in option length) has none.
func TestQualityFixtures(t *testing.T) {
	for _, tc := range []struct {
		file string
		want []string
	}{
		{"good.md", nil},
		{"position.md", []string{"position@8"}},
		{"longest.md", []string{"longest@8"}},
		{"yesno.md", []string{"yes-no@8"}},
		// list (5 items), sentences (5), table (3 rows x 2 cells), cloze
		// note (5 sentences, reported once); "four" and "abbrev" are fine.
		{"enumeration.md", []string{"enumeration@21", "enumeration@27", "enumeration@34", "enumeration@8"}},
		// a front pair by Jaccard, a back pair by containment; the
		// contrast pair (EC2/Fargate "what do you manage") is fine.
		{"duplicate.md", []string{"duplicate@17", "duplicate@22"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			d := parseFixture(t, tc.file)
			ws := Quality(d, QualityOptions{})
			if got := found(ws); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("warnings %v, want %v\n%s", got, tc.want, joinWarnings(ws))
			}
			if got := CountWarnings(ws); got != len(tc.want) {
				t.Errorf("CountWarnings = %d, want %d", got, len(tc.want))
			}
			for i := 1; i < len(ws); i++ {
				if ws[i].Line < ws[i-1].Line {
					t.Errorf("warnings out of line order:\n%s", joinWarnings(ws))
				}
			}
		})
	}
}

func joinWarnings(ws []Warning) string {
	var b strings.Builder
	for _, w := range ws {
		b.WriteString(w.String() + "\n")
	}
	return b.String()
}

func TestQualityMessages(t *testing.T) {
	ws := Quality(parseFixture(t, "position.md"), QualityOptions{})
	want := []string{
		"testdata/quality/position.md:2: info: correct options by position in 4 scenario cards: A 0, B 4, C 0, D 0",
		"testdata/quality/position.md:8: warning: the correct option is B in 4 of 4 scenario answers (more than 50%): a learner can guess it from its position; reorder the options (lines 8, 13, 18, 23)",
	}
	if got := strings.Split(strings.TrimSpace(joinWarnings(ws)), "\n"); !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	ws = Quality(parseFixture(t, "duplicate.md"), QualityOptions{})
	for _, w := range ws {
		if w.Rule == RuleDuplicate && !strings.Contains(w.Msg, "at line 8") {
			t.Errorf("a duplicate warning must name both lines: %s", w)
		}
	}
	if !strings.HasPrefix(ws[0].String(), "testdata/quality/duplicate.md:17: warning: front is a near-duplicate of the front at line 8") {
		t.Errorf("first duplicate warning: %s", ws[0])
	}
}

func TestQualityOptionsAndSmallDecks(t *testing.T) {
	// Thresholds can be tightened or loosened.
	d := parseFixture(t, "enumeration.md")
	if got := found(Quality(d, QualityOptions{MaxListItems: 10, MaxSentences: 10})); got != nil {
		t.Errorf("with N = 10: %v", got)
	}
	if got := found(Quality(d, QualityOptions{MaxListItems: 3})); len(got) != 5 {
		t.Errorf("with 3 items: %v, want the four-item card too", got)
	}
	// Deck-wide rules need MinCards cards of their kind.
	if got := found(Quality(parseFixture(t, "position.md"), QualityOptions{MinCards: 5})); got != nil {
		t.Errorf("4 scenario cards judged with MinCards 5: %v", got)
	}
	if got := found(Quality(parseFixture(t, "yesno.md"), QualityOptions{MinCards: 5})); got != nil {
		t.Errorf("4 yes/no cards judged with MinCards 5: %v", got)
	}
	// A deck without scenario cards has no histogram.
	for _, w := range Quality(parseFixture(t, "yesno.md"), QualityOptions{}) {
		if w.Rule == RulePositions {
			t.Errorf("histogram for a deck without scenarios: %s", w)
		}
	}
}

func TestAnswerShape(t *testing.T) {
	for _, tc := range []struct {
		src              string
		items, sentences int
	}{
		{"One fact.", 0, 1},
		{"No trailing stop", 0, 1},
		{"No. It is the task role.", 0, 2},
		{"Use e.g. a rule, i.e. one, etc. and more vs. less.", 0, 1},
		{"Wait! Really? Yes.", 0, 3},
		{"Version 1.2 is out.", 0, 1},
		{"See `a.b. c.d.` here.", 0, 1},
		{"- a\n- b\n* c\n1. d\n2) e", 5, 0},
		{"Intro:\n\n- a\n- b", 2, 1},
		{"```sh\nOne. Two. Three. Four. Five.\n```", 0, 0},
		{"Fact.\n\n<!-- source: https://docs.aws.amazon.com/a. b. c. d. e. -->", 0, 1},
		{"| A | B | C |\n|---|---|---|\n| 1 | 2 | 3 |\n| 4 | 5 | 6 |", 4, 0},
		{"**No.** [The docs](https://x.y/z.html). Done.", 0, 3},
	} {
		items, sentences := answerShape(tc.src)
		if items != tc.items || sentences != tc.sentences {
			t.Errorf("answerShape(%q) = %d items, %d sentences; want %d, %d", tc.src, items, sentences, tc.items, tc.sentences)
		}
	}
}

func TestYesNo(t *testing.T) {
	for src, want := range map[string]string{
		"No.":                  "no",
		"**Yes** — it can.":    "yes",
		"no: it is closed.":    "no",
		"Nothing: AWS does.":   "",
		"Not on Fargate.":      "",
		"Yesterday's image.":   "",
		"<!-- x -->\nYes, it":  "yes",
		"No servers: AWS runs": "",
		"No — AWS places them": "no",
		"Yes":                  "yes",
	} {
		c := &Card{Type: TypeBasic, Back: src}
		got, ok := YesNo(c)
		if got != want || ok != (want != "") {
			t.Errorf("YesNo(%q) = %q %v, want %q", src, got, ok, want)
		}
	}
}

func TestQualitySimilarity(t *testing.T) {
	a := "Per EC2 instance, regardless of how many tasks run on it."
	if s := Similarity(a, a); s != 1 {
		t.Errorf("a text with itself: %v", s)
	}
	if s := Similarity(a, "Per task vCPU and memory, per second."); s != 0 {
		t.Errorf("unrelated texts: %v", s)
	}
	if s := Similarity("Per EC2 instance <!-- source: https://a/b/c -->", "Per EC2 instance <!-- source: https://a/b/c -->"); s != 1 {
		t.Errorf("comments must not count, and the rest is equal: %v", s)
	}
	if s := Similarity("a {{c1::big thing::hint}} here", "a big thing here"); s != 1 {
		t.Errorf("cloze markup must not count: %v", s)
	}
}

// TestQualityPairCap checks that the pair check is skipped, with an info
// line, above MaxPairCards notes, and that it stays fast at the cap.
func TestQualityPairCap(t *testing.T) {
	d := parseFixture(t, "duplicate.md")
	ws := Quality(d, QualityOptions{MaxPairCards: 3})
	if got := found(ws); got != nil {
		t.Errorf("pair check not skipped: %v", got)
	}
	if len(ws) != 1 || ws[0].Rule != RulePairsSkip || !ws[0].Info || ws[0].String() != "testdata/quality/duplicate.md:2: info: near-duplicate check skipped: 6 notes, more than 3" {
		t.Errorf("info line: %v", ws)
	}

	// A deck at the cap: every front starts "What does the" and every
	// back "It is the", so some postings are as long as the deck, and the
	// rest are words drawn from a vocabulary of 300.
	var b strings.Builder
	b.WriteString("---\nid: big\ntitle: Big\n---\n## Key takeaways\n")
	rng := rand.New(rand.NewPCG(1, 2))
	vocab := make([]string, 300)
	for i := range vocab {
		vocab[i] = fmt.Sprintf("w%d", i)
	}
	pick := func(n int) string {
		ws := make([]string, n)
		for i := range ws {
			ws[i] = vocab[rng.IntN(len(vocab))]
		}
		return strings.Join(ws, " ")
	}
	for i := 0; i < DefaultMaxPairCards; i++ {
		fmt.Fprintf(&b, "### What does the %s do? {#c%d}\nIt is the %s.\n\n", pick(6), i, pick(12))
	}
	big, err := Parse("big.md", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	ws = Quality(big, QualityOptions{})
	el := time.Since(start)
	if el > 20*time.Second {
		t.Errorf("Quality of %d cards took %v", len(big.Cards), el)
	}
	t.Logf("Quality of %d cards: %v", len(big.Cards), el)
	if n := CountWarnings(ws); n != 0 {
		t.Errorf("%d warnings on random cards, such as %s", n, ws[0])
	}
	for _, w := range ws {
		if w.Rule == RulePairsSkip {
			t.Errorf("pair check skipped at the cap: %s", w)
		}
	}
	big.Cards = append(big.Cards, Card{Key: "extra", NoteKey: "extra", Type: TypeBasic, Front: "x", Back: "y", Line: 1})
	ws = Quality(big, QualityOptions{})
	if len(ws) == 0 || ws[0].Rule != RulePairsSkip {
		t.Errorf("no skip above the cap: %v", ws[:min(len(ws), 3)])
	}
}

// TestSourceComments checks that the "<!-- source: URL -->" lines the
// built-in decks carry are invisible: a card with one renders exactly as
// the card without it, in every card type and place it may stand.
func TestSourceComments(t *testing.T) {
	const c = "<!-- source: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html -->"
	plain := "---\nid: x\ntitle: X\n---\n## Key takeaways\n### Q {#q}\nAnswer.\n### C {#c}\nThe {{c1::task execution role}} pulls it.\n" +
		"## Scenarios\n### S {#s}\nContext.\n\n- [ ] a\n- [x] b\n\nWhy.\n### S2 {#s2}\n- [ ] a\n- [x] b\n"
	commented := "---\nid: x\ntitle: X\n---\n## Key takeaways\n### Q {#q}\nAnswer.\n\n" + c + "\n### C {#c}\nThe {{c1::task execution role}} pulls it.\n" + c + "\n" +
		"## Scenarios\n### S {#s}\nContext.\n\n- [ ] a\n- [x] b\n\nWhy.\n\n" + c + "\n### S2 {#s2}\n- [ ] a\n- [x] b\n" + c + "\n"
	a, err := Parse("a.md", []byte(plain))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse("b.md", []byte(commented))
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Cards) != len(b.Cards) {
		t.Fatalf("%d cards, want %d", len(b.Cards), len(a.Cards))
	}
	for i := range a.Cards {
		ca, cb := a.Cards[i], b.Cards[i]
		if ca.ContentHash() != cb.ContentHash() {
			t.Errorf("card %s: a source comment changed what learners see:\n%q %q %q\n%q %q %q", ca.Key,
				ca.FrontHTML, ca.BackHTML, ca.ClozeHTML, cb.FrontHTML, cb.BackHTML, cb.ClozeHTML)
		}
		if strings.Contains(cb.FrontHTML+cb.BackHTML+cb.ClozeHTML, "source") {
			t.Errorf("card %s shows its comment", cb.Key)
		}
	}
}

// TestBuiltinQuality: every built-in deck passes "flashd lint --quality
// --strict", and every explicit source comment names an https URL.
func TestBuiltinQuality(t *testing.T) {
	ds, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		ws := Quality(d, QualityOptions{})
		if CountWarnings(ws) > 0 {
			t.Errorf("built-in deck %s has quality warnings:\n%s", d.ID, joinWarnings(ws))
		}
		for _, c := range d.Cards {
			for _, m := range commentRE.FindAllString(c.Back, -1) {
				if strings.HasPrefix(m, "<!-- source:") && !strings.HasPrefix(m, "<!-- source: https://") {
					t.Errorf("%s:%d: source comment without an https URL: %s", d.File, c.Line, m)
				}
			}
		}
		for _, w := range ws {
			if w.Info {
				t.Log(w)
			}
		}
	}
}
