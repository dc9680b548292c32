package decks

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

// goish matches what a message must not show a deck's author: Go type
// names, YAML tags and the decoder's words.
var goish = regexp.MustCompile(`decks\.|frontMatter|!!|unmarshal|yaml:|\[\]|map\[|\b(string|int|bool|float64|struct)\b`)

// TestFrontMatterErrors feeds front matter that is wrong in every way the
// YAML decoder knows and checks that each problem is told in plain words
// at the line it is on.
func TestFrontMatterErrors(t *testing.T) {
	tests := []struct {
		name string
		fm   string // the lines between the two "---"; the first is line 2
		want []string
	}{
		{"unknown field", "id: d\ntitle: T\nnew_per_day: 5", []string{`4: unknown field "new_per_day": the front matter has id, title, description and tags`}},
		{"unknown fields", "author: me\nid: d\ntitle: T\nlevel: 3", []string{`2: unknown field "author"`, `5: unknown field "level"`}},
		{"id is a list", "id: [a, b]\ntitle: T", []string{`2: "id" must be text, not a list`}},
		{"title is a map", "id: d\ntitle:\n  en: T", []string{`3: "title" must be text, not a map of fields`}},
		{"description is a list", "id: d\ntitle: T\ndescription:\n  - one\n  - two", []string{`4: "description" must be text, not a list`}},
		{"tags are text", "id: d\ntitle: T\ntags: aws", []string{`4: "tags" must be a list, like "tags: [aws, ecs]", not text`}},
		{"tags are a map", "id: d\ntitle: T\ntags: {a: 1}", []string{`4: "tags" must be a list`}},
		{"a tag is a list", "id: d\ntitle: T\ntags:\n  - ok\n  - [a, b]", []string{`6: a tag must be a word, not a list`}},
		{"a list where fields are expected", "- id: d\n- title: T", []string{`2: front matter must be "field: value" lines (id, title, description and tags), not a list`}},
		{"plain text", "just some words", []string{`2: front matter must be "field: value" lines`}},
		{"a field given twice", "id: d\ntitle: T\nid: e", []string{`4: "id" is given twice (first at line 2)`}},
		{"a key that is a list", "id: d\ntitle: T\n? [a]\n: b", []string{`4: a field name must be a word`}},
		{"unclosed list", "id: d\ntitle: T\ntags: [aws, ecs", []string{`4: front matter is not valid YAML: a list in "[ ]" is not closed with "]"`}},
		{"unclosed map", "id: d\ntitle: T\ntags: {a: 1", []string{`4: front matter is not valid YAML: a map in "{ }" is not closed with "}"`}},
		{"colon in a value", "id: d\ntitle: AWS: containers", []string{`3: front matter is not valid YAML: a value holds ": ": put the value in quotes`}},
		{"tab indentation", "id: d\n\ttitle: T", []string{`3: front matter is not valid YAML: a tab`}},
		{"no colon", "id: d\ntitle T\ntags: [a]", []string{`3: front matter is not valid YAML: this line is not "field: value"`}},
		{"unclosed quote", "id: d\ntitle: \"T", []string{`3: front matter is not valid YAML: a quoted value is not closed`}},
		{"backquote", "id: d\ntitle: `T`", []string{`3: front matter is not valid YAML: a value cannot start with this character`}},
		{"unknown anchor", "id: d\ntitle: *T", []string{`3: front matter is not valid YAML: a value starting with "*"`}},
		{"bad indentation", "id: d\ntitle: T\ntags:\n  - a\n - b", []string{`front matter is not valid YAML`}},
		// What is right still is: an alias, numbers as text, empty fields.
		{"alias", "id: &x d\ntitle: *x", nil},
		{"numbers", "id: 42\ntitle: 2027", nil},
		{"empty tags", "id: d\ntitle: T\ntags:", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "---\n" + tt.fm + "\n---\n### Q\nA\n"
			_, err := Parse("deck.md", []byte(src))
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("got %v, want no error", err)
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
			lines := strings.Count(src, "\n")
			for i, e := range list {
				if m := goish.FindString(e.Msg); m != "" {
					t.Errorf("error %q shows %q", e, m)
				}
				if e.Line < 2 || e.Line > lines {
					t.Errorf("error %q: line %d is not in the front matter", e, e.Line)
				}
				if i >= len(tt.want) {
					continue
				}
				want := tt.want[i]
				if line, msg, ok := strings.Cut(want, ": "); ok && line != "" && line[0] >= '0' && line[0] <= '9' {
					if got := e.Error(); !strings.HasPrefix(got, "deck.md:"+line+": "+msg) {
						t.Errorf("error %d: got %q, want %q", i, got, "deck.md:"+want)
					}
				} else if !strings.Contains(e.Msg, want) {
					t.Errorf("error %d: got %q, want it to hold %q", i, e, want)
				}
			}
		})
	}
}

// TestStarter checks that the starter deck is valid and shows every kind
// and type of card.
func TestStarter(t *testing.T) {
	d, err := Parse("deck.md", []byte(Starter))
	if err != nil {
		t.Fatalf("starter deck: %v", err)
	}
	kinds, types := map[Kind]bool{}, map[Type]bool{}
	for _, c := range d.Cards {
		kinds[c.Kind], types[c.Type] = true, true
	}
	for _, k := range []Kind{KindTakeaway, KindTrap, KindScenario, KindTopic} {
		if !kinds[k] {
			t.Errorf("starter deck has no %s card", k)
		}
	}
	for _, ty := range []Type{TypeBasic, TypeCloze, TypeChoice} {
		if !types[ty] {
			t.Errorf("starter deck has no %s card", ty)
		}
	}
}
