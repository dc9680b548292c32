package decks

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestParseGolden parses every testdata/*.md deck and compares the result
// with testdata/*.golden.json. Run "go test ./decks -update" after a
// deliberate change to the output, and read the diff.
func TestParseGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.md")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata decks: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			d, err := Parse(file, src)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got, err := json.MarshalIndent(d, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden := strings.TrimSuffix(file, ".md") + ".golden.json"
			if *update {
				if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if strings.TrimSpace(string(got)) != strings.TrimSpace(string(want)) {
				t.Errorf("Parse(%s) differs from %s; got:\n%s", file, golden, got)
			}
		})
	}
}

// TestParseCards checks the properties the golden file encodes, so that a
// careless -update cannot bless a wrong result.
func TestParseCards(t *testing.T) {
	src, err := os.ReadFile("testdata/all-kinds.md")
	if err != nil {
		t.Fatal(err)
	}
	d, err := Parse("all-kinds.md", src)
	if err != nil {
		t.Fatal(err)
	}
	if d.ID != "sample" || d.Title != "Sample deck: every card type" || len(d.Tags) != 3 {
		t.Errorf("front matter: got id %q title %q tags %v", d.ID, d.Title, d.Tags)
	}
	byKey := map[string]Card{}
	for _, c := range d.Cards {
		byKey[c.Key] = c
	}
	if len(d.Cards) != 7 {
		t.Fatalf("got %d cards, want 7", len(d.Cards))
	}
	tests := []struct {
		key  string
		kind Kind
		typ  Type
		has  []string // substrings of FrontHTML+BackHTML
		not  []string
	}{
		{"task-def", KindTakeaway, TypeBasic, []string{"<table>", "<td>Fargate</td>"}, nil},
		{"push/c1", KindTakeaway, TypeCloze, []string{`<span class="cloze">[command]</span>`, `<span class="cloze">[...]</span>`, "docker tag and", `<span class="cloze"><code>aws ecr get-login-password</code></span>`}, nil},
		{"push/c2", KindTakeaway, TypeCloze, []string{"then\n<span class=\"cloze\">[...]</span> and docker push"}, []string{"[command]"}},
		{derivedKey("Which command pushes an image?"), KindTakeaway, TypeBasic, []string{`<code class="language-sh">## not a heading`}, nil},
		{"fargate-billing", KindTrap, TypeBasic, []string{"<strong>per task</strong>", "<b>per second</b>"}, []string{"<script", "onclick", "javascript:", "<iframe", "alert"}},
		{"pull", KindScenario, TypeChoice, []string{"The app never starts.", "The execution role lets"}, []string{"The task role"}},
		{derivedKey("Which network mode gives each task its own ENI?"), KindTopic, TypeBasic, []string{"<code>awsvpc</code>"}, nil},
	}
	for _, tt := range tests {
		c, ok := byKey[tt.key]
		if !ok {
			t.Errorf("no card with key %q", tt.key)
			continue
		}
		if c.Kind != tt.kind || c.Type != tt.typ {
			t.Errorf("%s: got kind %s type %s, want %s %s", tt.key, c.Kind, c.Type, tt.kind, tt.typ)
		}
		html := c.FrontHTML + c.BackHTML
		for _, s := range tt.has {
			if !strings.Contains(html, s) {
				t.Errorf("%s: HTML lacks %q:\n%s", tt.key, s, html)
			}
		}
		for _, s := range tt.not {
			if strings.Contains(html, s) {
				t.Errorf("%s: HTML has %q:\n%s", tt.key, s, html)
			}
		}
	}
	pull := byKey["pull"]
	if len(pull.Options) != 3 || !pull.Options[1].Correct || pull.Options[0].Correct {
		t.Errorf("pull options: got %+v", pull.Options)
	}
	push := byKey["push/c1"]
	if push.NoteKey != "push" || push.Cloze != 1 || !strings.Contains(push.ClozeHTML, "{{c1::<code>aws ecr get-login-password</code>::command}}") {
		t.Errorf("push/c1: got note %q cloze %d text %q", push.NoteKey, push.Cloze, push.ClozeHTML)
	}
}

// TestParseErrors feeds malformed decks and checks the line and message
// of every error they must produce.
func TestParseErrors(t *testing.T) {
	const fm = "---\nid: d\ntitle: T\n---\n" // cards start on line 5
	tests := []struct {
		name string
		src  string
		want []string // "line: substring of message"
	}{
		{"no front matter", "### Q\nA\n", []string{"1: missing front matter"}},
		{"unclosed front matter", "---\nid: d\n### Q\nA\n", []string{"1: front matter is not closed"}},
		{"missing id", "---\ntitle: T\n---\n### Q\nA\n", []string{"1: front matter has no id"}},
		{"missing title", "---\nid: d\n---\n### Q\nA\n", []string{"1: front matter has no title"}},
		{"bad id", "---\ntitle: T\nid: Not A Slug\n---\n### Q\nA\n", []string{"3: deck id \"Not A Slug\""}},
		{"unknown field", "---\nid: d\ntitle: T\nauthor: me\n---\n### Q\nA\n", []string{"4: unknown field \"author\""}},
		{"invalid yaml", "---\nid: d\ntitle: [unclosed\n---\n### Q\nA\n", []string{"3: front matter is not valid YAML"}},
		{"bad tag", "---\nid: d\ntitle: T\ntags: [ok, \"two words\"]\n---\n### Q\nA\n", []string{"4: tag \"two words\""}},
		{"no front", fm + "### {#k}\nA\n", []string{"5: card has no front"}},
		{"no back", fm + "### Q1\n\n### Q2\nA\n", []string{"5: card has no back"}},
		{"text before cards", fm + "Intro text.\nmore\n\n### Q\nA\n", []string{"5: text outside any card"}},
		{"text under section", fm + "## Traps\nIntro.\n### Q\nA\n", []string{"6: text outside any card"}},
		{"title heading", fm + "# Title\n### Q\nA\n", []string{"5: a \"#\" heading"}},
		{"duplicate key", fm + "### Q1 {#k}\nA\n### Q2 {#k}\nB\n", []string{"7: duplicate card key \"k\" (first at line 5)"}},
		{"duplicate front", fm + "### Same  question\nA\n### same question\nB\n", []string{"7: duplicate front"}},
		{"bad key", fm + "### Q {#Bad Key}\nA\n", []string{"5: card key \"Bad Key\""}},
		{"explicit key equal to a derived key", fm + "### Q1 {#" + derivedKey("Q2") + "}\nA\n### Q2\nB\n", []string{"7: duplicate card key"}},
		{"one option", fm + "## Scenarios\n### Q\n- [x] only\n", []string{"6: scenario card needs at least two options"}},
		{"no options", fm + "## Scenarios\n### Q\nJust text.\n", []string{"6: scenario card needs at least two options"}},
		{"no correct option", fm + "## Scenarios\n### Q\n- [ ] a\n- [ ] b\n", []string{"6: scenario card has no correct option"}},
		{"split options", fm + "## Scenarios\n### Q\n- [ ] a\n- [x] b\nWhy.\n- [ ] c\n", []string{"10: options of a scenario card must form one list"}},
		{"empty option", fm + "## Scenarios\n### Q\n- [x] a\n- [ ]\n- [ ] c\n", []string{"8: option is empty"}},
		{"cloze unclosed", fm + "### Q\nFirst line\nthe {{c1::answer\n", []string{"7: cloze \"{{c1::\" is not closed"}},
		{"cloze empty", fm + "### Q\n{{c1::}} and {{c2::x}}\n", []string{"6: cloze c1 is empty"}},
		{"cloze c0", fm + "### Q\n{{c0::zero}}\n", []string{"6: cloze number c0"}},
		{"cloze no number", fm + "### Q\n{{c::x}}\n", []string{"6: cloze has no number"}},
		{"cloze nested", fm + "### Q\n{{c1::a {{c2::b}} }}\n", []string{"6: cloze inside a cloze"}},
		{"cloze in heading", fm + "### The {{c1::front}}\nA\n", []string{"5: cloze in a heading"}},
		{"cloze in scenario", fm + "## Scenarios\n### Q\n- [x] {{c1::a}}\n- [ ] b\n", []string{"6: scenario card cannot hold a cloze"}},
		{"malformed cloze", fm + "### Q\nthe {{c1:x}}\n", []string{"5: malformed cloze"}},
		{"braces are not a cloze", fm + "### Q\nset `{{config}}` here\n", nil},
		{"not utf8", fm + "### Q\nA \xff\n", []string{"6: file is not valid UTF-8"}},
		{"unclosed fence", fm + "### Q\n```\n## not a section\n", []string{"5: code block in this card is not closed"}},
		{"many errors", fm + "stray\n### {#x}\nA\n### Q\n", []string{"5: text outside", "6: card has no front", "8: card has no back"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("x.md", []byte(tt.src))
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("got error %v, want none", err)
				}
				return
			}
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("got %v, want an ErrorList", err)
			}
			if len(list) != len(tt.want) {
				t.Errorf("got %d errors, want %d:\n%v", len(list), len(tt.want), err)
			}
			for i, want := range tt.want {
				if i >= len(list) {
					break
				}
				line, msg, _ := strings.Cut(want, ": ")
				got := list[i].Error()
				if !strings.HasPrefix(got, "x.md:") {
					t.Errorf("error %q does not name the file", got)
				}
				if !strings.Contains(got, msg) || (line != "" && !strings.HasPrefix(got, "x.md:"+line+": ")) {
					if !strings.Contains(want, ": ") { // message only
						if strings.Contains(got, want) {
							continue
						}
					}
					t.Errorf("error %d: got %q, want line %s and %q", i, got, line, msg)
				}
			}
		})
	}
}

func TestCheckUnique(t *testing.T) {
	a := &Deck{ID: "x", File: "a.md", IDLine: 2}
	b := &Deck{ID: "y", File: "b.md", IDLine: 2}
	c := &Deck{ID: "x", File: "c.md", IDLine: 3}
	if err := CheckUnique([]*Deck{a, b}); err != nil {
		t.Errorf("distinct ids: got %v", err)
	}
	err := CheckUnique([]*Deck{a, b, c})
	if err == nil || err.Error() != `c.md:3: duplicate deck id "x" (also in a.md:2)` {
		t.Errorf("duplicate ids: got %v", err)
	}
}

// FuzzParse checks that Parse never panics and that every error it returns
// names the file and a line inside it.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.md")
	for _, s := range seeds {
		src, _ := os.ReadFile(s)
		f.Add(src)
	}
	f.Add([]byte("---\nid: d\ntitle: T\n---\n## Scenarios\n### Q\n- [x] a\n- [ ] b\n"))
	f.Add([]byte("---\nid: d\ntitle: T\n---\n### Q\n{{c1::a::h}} {{c2::b}} {{c1::\n"))
	f.Add([]byte("---\n---\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		d, err := Parse("f.md", src)
		if err == nil {
			if d == nil || d.ID == "" {
				t.Fatalf("no error but deck %+v", d)
			}
			return
		}
		var list ErrorList
		if !errors.As(err, &list) || len(list) == 0 {
			t.Fatalf("error %v is not a non-empty ErrorList", err)
		}
		lines := strings.Count(string(src), "\n") + 1
		for _, e := range list {
			if e.File != "f.md" || e.Line < 1 || e.Line > lines {
				t.Fatalf("error %q: line %d outside 1..%d", e, e.Line, lines)
			}
		}
	})
}
