package web

import (
	"bytes"
	"html"
	"html/template"
	"regexp"
	"strings"
	"testing"

	"github.com/flashd/flashd/decks"
	"github.com/flashd/flashd/srs"
	"github.com/flashd/flashd/store"
)

// BenchmarkPaneTemplate renders the review pane of a basic card, as the
// rating post answers it, without the database or HTTP: the template's
// share of a review step.
func BenchmarkPaneTemplate(b *testing.B) {
	as, err := loadAssets()
	if err != nil {
		b.Fatal(err)
	}
	ps, err := parsePages(as)
	if err != nil {
		b.Fatal(err)
	}
	p := &reviewPane{
		CSRF:   "q8Yk3V0o2m3cN1Lr0cJb1m6b2xXc6b1N0d3ZkZ2FkZw",
		Filter: store.Filter{Deck: "aws-dva-c02-containers"},
		Query:  "deck=aws-dva-c02-containers",
		Card: &cardView{ID: 1234, DeckSlug: "aws-dva-c02-containers", DeckTitle: "AWS DVA-C02: Containers",
			Kind: decks.KindTakeaway, Type: decks.TypeBasic,
			FrontHTML: template.HTML("<p>What does a task definition describe?</p>"),
			BackHTML:  template.HTML("<p>The containers of a task: image, CPU and memory, ports, environment, log configuration and the IAM roles.</p>")},
		Token:   "1234.5678.abcdefabcdefabcdef",
		Shown:   1764672000000,
		Buttons: [4]ratingButton{{1, "Again", "1", "1m", false}, {2, "Hard", "2", "6m", false}, {3, "Good", "3", "10m", true}, {4, "Easy", "4", "4d", false}},
		Counts:  store.Counts{New: 12, Learning: 3, Review: 40},
		Undo:    store.Undoable{ID: 99, Rating: srs.Good},
		Done:    7, Total: 62, TimeLeft: "about 6 min left",
		Picked: -1,
	}
	t := ps.byName["review"]
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		p.paneParts()
		if err := t.ExecuteTemplate(&buf, "reviewpane", p); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "bytes/pane")
}

// TestPanePartsEscape checks that the pane's parts built in Go escape
// what they write: a hostile filter, label or interval stays text.
func TestPanePartsEscape(t *testing.T) {
	p := &reviewPane{CSRF: `tok"en`, Filter: store.Filter{Deck: `d"><script>alert(1)</script>`, Kind: decks.KindTrap},
		Card:    &cardView{ID: 7},
		Buttons: [4]ratingButton{{1, `<b>Again</b>`, "1", `1m"x`, false}, {2, "Hard", "2", "6m", false}, {3, "Good", "3", "10m", true}, {4, "Easy", "4", "4d", false}},
		Flagged: true}
	p.paneParts()
	all := string(p.FormFields) + string(p.ButtonsHTML) + string(p.ActionsHTML)
	for _, bad := range []string{"<script>", "<b>", `tok"en`, `1m"x`} {
		if strings.Contains(all, bad) {
			t.Errorf("pane parts hold %q unescaped:\n%s", bad, all)
		}
	}
	for _, want := range []string{
		`<input type="hidden" name="csrf" value="tok&#34;en">`,
		`<input type="hidden" name="deck" value="d&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;">`,
		`<input type="hidden" name="kind" value="trap">`,
		`<span class="label">&lt;b&gt;Again&lt;/b&gt;</span> <span class="ivl">1m&#34;x</span>`,
		`class="rating r3 suggested" data-key="3" data-suggested>`,
		`<input type="hidden" name="action" value="unflag">`,
		`action="/review/7/action"`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("pane parts lack %s:\n%s", want, all)
		}
	}
	if strings.Count(string(p.ActionsHTML), `name="csrf"`) != 3 {
		t.Errorf("want the hidden fields in each of the 3 action forms:\n%s", p.ActionsHTML)
	}
}

// TestPaneKeysUnique checks that no two controls of a pane answer the
// same key, on a scenario card before and after its pick and on a basic
// card: b buries and f flags wherever a card is shown.
func TestPaneKeysUnique(t *testing.T) {
	_, _, c := startServer(t)
	_, body := c.get("/review?kind=scenario")
	keyAttr := regexp.MustCompile(`data-key="([^"]*)"`)
	check := func(what, body string, want ...string) {
		t.Helper()
		seen := map[string]int{}
		for _, m := range keyAttr.FindAllStringSubmatch(body, -1) {
			seen[m[1]]++
		}
		for k, n := range seen {
			if n > 1 {
				t.Errorf("%s: %d controls answer %q", what, n, k)
			}
		}
		for _, k := range want {
			if seen[k] != 1 {
				t.Errorf("%s: no control answers %q (keys %v)", what, k, seen)
			}
		}
	}
	if !strings.Contains(body, `class="option"`) {
		t.Fatalf("no scenario card to pick:\n%s", body)
	}
	check("scenario before its pick", body, "1", "2", "b", "f", "!", "i")
	if !regexp.MustCompile(`<button type="submit" class="small" data-key="b">Bury until tomorrow`).MatchString(body) {
		t.Errorf("b is not the bury button:\n%s", body)
	}
	pick := regexp.MustCompile(`hx-get="(/review\?card=[^"]*pick=0[^"]*)"`).FindStringSubmatch(body)
	if pick == nil {
		t.Fatalf("no pick link:\n%s", body)
	}
	_, picked := c.get(html.UnescapeString(pick[1]))
	if !strings.Contains(picked, `class="verdict`) {
		t.Fatalf("pick not judged:\n%s", picked)
	}
	check("scenario after its pick", picked, "1", "2", "3", "4", "b", "f", "i")
	_, basic := c.get("/review?kind=takeaway")
	check("basic card", basic, "1", "2", "3", "4", "b", "f", "i")
}
