package anki

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/flashd/flashd/decks"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// wantHeaders is the header block every file must open with, in order.
var wantHeaders = []FileHeader{
	{"separator", "tab"},
	{"html", "true"},
	{"if matches", "update current"},
	{"guid column", "1"},
	{"notetype column", "2"},
	{"deck column", "3"},
	{"tags column", "6"},
}

// fromDeck maps a parsed deck to the exporter's input the way a caller
// would, with "g-"+NoteKey as each card's GUID.
func fromDeck(d *decks.Deck) Deck {
	out := Deck{Title: d.Title, Tags: d.Tags}
	for _, c := range d.Cards {
		out.Cards = append(out.Cards, Card{
			GUID:      "g-" + c.NoteKey,
			NoteKey:   c.NoteKey,
			Cloze:     c.Cloze,
			Type:      c.Type,
			Kind:      c.Kind,
			Section:   c.Section,
			FrontHTML: c.FrontHTML,
			BackHTML:  c.BackHTML,
			ClozeHTML: c.ClozeHTML,
			Options:   c.Options,
		})
	}
	return out
}

// write runs Write and fails the test on an error.
func write(t *testing.T, d Deck) string {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, d); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// readBack parses Write's output and checks what every file must satisfy:
// the header block, six fields a row, known note types, unique non-empty
// GUIDs, tags without white space and no line break in any value.
func readBack(t *testing.T, out string) *File {
	t.Helper()
	if !strings.HasPrefix(out, header) {
		t.Fatalf("output does not open with the header block:\n%.200s", out)
	}
	if !strings.HasSuffix(out, "\n") || strings.Contains(out, "\r") {
		t.Errorf("lines must end in a bare \\n")
	}
	f, err := Read(out)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(f.Headers, wantHeaders) {
		t.Errorf("headers = %q, want %q", f.Headers, wantHeaders)
	}
	if got, want := strings.Count(out, "\n"), len(wantHeaders)+len(f.Rows); got != want {
		t.Errorf("file has %d lines, want %d (headers + one line a row)", got, want)
	}
	guids := map[string]bool{}
	for i, row := range f.Rows {
		if len(row) != 6 {
			t.Errorf("row %d has %d fields, want 6: %q", i+1, len(row), row)
			continue
		}
		if row[1] != NoteTypeBasic && row[1] != NoteTypeCloze {
			t.Errorf("row %d: note type %q", i+1, row[1])
		}
		if row[0] == "" || guids[row[0]] {
			t.Errorf("row %d: empty or repeated GUID %q", i+1, row[0])
		}
		guids[row[0]] = true
		if !strings.HasPrefix(row[2], "flashd::") || strings.Count(row[2], "::") != 1 {
			t.Errorf("row %d: deck %q is not one level under flashd", i+1, row[2])
		}
		for j, v := range row {
			if strings.ContainsAny(v, "\n\r") {
				t.Errorf("row %d field %d holds a line break: %q", i+1, j+1, v)
			}
		}
		for _, tag := range strings.Split(row[5], " ") {
			if tag == "" || strings.ContainsAny(tag, "\t\n\r\v\f") {
				t.Errorf("row %d: bad tag %q in %q", i+1, tag, row[5])
			}
		}
	}
	return f
}

// TestWriteGolden exports testdata/small.md and compares the file with
// testdata/small.csv. Run "go test ./decks/anki -update" after a deliberate
// change to the output, and read the diff.
func TestWriteGolden(t *testing.T) {
	src, err := os.ReadFile("testdata/small.md")
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := decks.Parse("testdata/small.md", src)
	if err != nil {
		t.Fatal(err)
	}
	d := fromDeck(parsed)
	out := write(t, d)

	golden := filepath.Join("testdata", "small.csv")
	if *update {
		if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if out != string(want) {
		t.Errorf("output differs from %s (run go test -update and read the diff):\n%s", golden, out)
	}

	f := readBack(t, out)
	// What Anki reads back is exactly what Notes says.
	notes := Notes(d)
	if len(f.Rows) != len(notes) {
		t.Fatalf("%d rows, want %d", len(f.Rows), len(notes))
	}
	for i, n := range notes {
		want := []string{n.GUID, n.NoteType, n.Deck, n.Fields[0], n.Fields[1], strings.Join(n.Tags, " ")}
		if !slices.Equal(f.Rows[i], want) {
			t.Errorf("row %d reads back as\n%q\nwant\n%q", i+1, f.Rows[i], want)
		}
	}

	// One note per card, and one for the two cloze cards of "push".
	var guids, types []string
	for _, r := range f.Rows {
		guids = append(guids, r[0])
		types = append(types, r[1])
	}
	if want := []string{"g-basic", "g-push", "g-pitfall", "g-pull"}; !slices.Equal(guids, want) {
		t.Errorf("GUIDs = %q, want %q", guids, want)
	}
	if want := []string{"Basic", "Cloze", "Basic", "Basic"}; !slices.Equal(types, want) {
		t.Errorf("note types = %q, want %q", types, want)
	}
	basic, cloze, trap, choice := f.Rows[0], f.Rows[1], f.Rows[2], f.Rows[3]

	// Anki drops '"' from deck names (rslib/src/decks/name.rs).
	if want := `flashd::Small:export test deck ✓`; basic[2] != want {
		t.Errorf("deck = %q, want %q", basic[2], want)
	}
	for _, want := range []string{"<strong>bold</strong>", "<code>code</code>", "Zürich — naïve café ✓"} {
		if !strings.Contains(basic[3], want) {
			t.Errorf("basic front %q lacks %q", basic[3], want)
		}
	}
	for _, want := range []string{"keeps a\ttab.</p>", `<pre><code class="language-make">build:<br>` + "\tgo build ./...<br>\tgo vet ./...<br></code></pre>"} {
		if !strings.Contains(basic[4], want) {
			t.Errorf("basic back %q lacks %q", basic[4], want)
		}
	}

	for _, want := range []string{"{{c1::", "{{c2::docker tag}}", "::command}}", "then<br>{{c2::"} {
		if !strings.Contains(cloze[3], want) {
			t.Errorf("cloze text %q lacks %q", cloze[3], want)
		}
	}
	if cloze[4] != "" {
		t.Errorf("cloze Back Extra = %q, want empty", cloze[4])
	}

	if trap[3] != "#1 pitfall?" {
		t.Errorf("trap front = %q, want %q", trap[3], "#1 pitfall?")
	}

	if want := `<ol type="A"><li>The task role</li>`; !strings.Contains(choice[3], want) || strings.Count(choice[3], "<li>") != 4 {
		t.Errorf("choice front %q: want 4 options in %s", choice[3], want)
	}
	if want := "<p>Answer: <b>B</b>. The task <strong>execution</strong> role</p><p>The execution role"; !strings.HasPrefix(choice[4], want) {
		t.Errorf("choice back %q does not start with %q", choice[4], want)
	}

	wantTags := [][]string{
		{"aws", "sample_deck", "takeaway", "section::Key_takeaways"},
		{"aws", "sample_deck", "takeaway", "section::Key_takeaways"},
		{"aws", "sample_deck", "trap", "section::Traps"},
		{"aws", "sample_deck", "scenario", "section::Scenarios"},
	}
	for i, r := range f.Rows {
		if got := strings.Split(r[5], " "); !slices.Equal(got, wantTags[i]) {
			t.Errorf("row %d tags = %q, want %q", i+1, got, wantTags[i])
		}
	}
	if w := MediaWarnings(d); len(w) != 0 {
		t.Errorf("media warnings for a deck without images: %q", w)
	}
}

// TestWriteQuoting checks values that only survive when quoted: a GUID
// starting with "#" (unquoted, its row would be a comment), surrounding
// spaces, quotes, tabs and empty fields.
func TestWriteQuoting(t *testing.T) {
	d := Deck{Title: "T", Cards: []Card{
		{GUID: "#g1", Type: decks.TypeBasic, Kind: decks.KindTopic, FrontHTML: " front ", BackHTML: `say "hi"` + "\tnow"},
		{GUID: `g"2`, Type: decks.TypeBasic, Kind: decks.KindTopic, FrontHTML: "#x", BackHTML: ""},
	}}
	out := write(t, d)
	if !strings.Contains(out, "\n\"#g1\"\tBasic\t") {
		t.Errorf("GUID starting with # is not quoted:\n%s", out)
	}
	f := readBack(t, out)
	want := [][]string{
		{"#g1", "Basic", "flashd::T", " front ", `say "hi"` + "\tnow", "topic"},
		{`g"2`, "Basic", "flashd::T", "#x", "", "topic"},
	}
	if !reflect.DeepEqual(f.Rows, want) {
		t.Errorf("rows = %q, want %q", f.Rows, want)
	}
}

// TestWriteErrors checks that Write refuses, writing nothing, notes
// without a GUID or sharing one.
func TestWriteErrors(t *testing.T) {
	for name, cards := range map[string][]Card{
		"empty":     {{GUID: "", Type: decks.TypeBasic, FrontHTML: "f", BackHTML: "b"}},
		"blank":     {{GUID: " ", Type: decks.TypeBasic, FrontHTML: "f", BackHTML: "b"}},
		"duplicate": {{GUID: "g", Type: decks.TypeBasic, FrontHTML: "f", BackHTML: "b"}, {GUID: "g", Type: decks.TypeBasic, FrontHTML: "f2", BackHTML: "b"}},
	} {
		var b bytes.Buffer
		if err := Write(&b, Deck{Title: "T", Cards: cards}); err == nil {
			t.Errorf("%s: Write succeeded", name)
		}
		if b.Len() != 0 {
			t.Errorf("%s: Write wrote %q before failing", name, b.String())
		}
	}
}

// TestNotes checks the grouping of cloze cards and the note of a choice
// card with several correct options.
func TestNotes(t *testing.T) {
	d := Deck{Title: "T", Tags: []string{"x"}, Cards: []Card{
		{GUID: "a1", NoteKey: "a", Cloze: 1, Type: decks.TypeCloze, Kind: decks.KindTakeaway, Section: "S", ClozeHTML: "{{c1::x}} {{c2::y}}"},
		{GUID: "b", NoteKey: "b", Type: decks.TypeChoice, Kind: decks.KindScenario, Section: "Scenarios", FrontHTML: "Q?", BackHTML: "<p>Why.</p>\n",
			Options: []decks.Option{{HTML: "one", Correct: true}, {HTML: "two"}, {HTML: "three", Correct: true}}},
		{GUID: "a2", NoteKey: "a", Cloze: 2, Type: decks.TypeCloze, Kind: decks.KindTakeaway, Section: "S", ClozeHTML: "{{c1::x}} {{c2::y}}"},
		{GUID: "c1", NoteKey: "c", Cloze: 1, Type: decks.TypeCloze, Kind: decks.KindTakeaway, ClozeHTML: "{{c1::z}}"},
	}}
	want := []Note{
		{GUID: "a1", NoteType: "Cloze", Deck: "flashd::T", Fields: [2]string{"{{c1::x}} {{c2::y}}", ""}, Tags: []string{"x", "takeaway", "section::S"}},
		{GUID: "b", NoteType: "Basic", Deck: "flashd::T",
			Fields: [2]string{`Q?<ol type="A"><li>one</li><li>two</li><li>three</li></ol>`, "<p>Answers: <b>A</b>. one<br><b>C</b>. three</p><p>Why.</p>"},
			Tags:   []string{"x", "scenario", "section::Scenarios"}},
		{GUID: "c1", NoteType: "Cloze", Deck: "flashd::T", Fields: [2]string{"{{c1::z}}", ""}, Tags: []string{"x", "takeaway"}},
	}
	if got := Notes(d); !reflect.DeepEqual(got, want) {
		t.Errorf("Notes =\n%+v\nwant\n%+v", got, want)
	}
}

func TestQuote(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain", "plain"},
		{"<p>x</p>", "<p>x</p>"},
		{"", `""`},
		{"#1 rule", `"#1 rule"`},
		{"a#b", "a#b"},
		{"a\tb", "\"a\tb\""},
		{`say "hi"`, `"say ""hi"""`},
		{`<ol type="A">`, `"<ol type=""A"">"`},
		{" lead", `" lead"`},
		{"trail ", `"trail "`},
		{"in side", "in side"},
		{"line\nbreak", "\"line\nbreak\""},
		{"Zürich ✓", "Zürich ✓"},
	} {
		if got := quote(tc.in); got != tc.want {
			t.Errorf("quote(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestFieldHTML(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"no newline", "<b>x</b>", "<b>x</b>"},
		{"between blocks", "<p>a</p>\n<p>b</p>\n", "<p>a</p><p>b</p>"},
		{"soft break", "<p>a\nb</p>", "<p>a<br>b</p>"},
		{"after inline tag keeps a break", "<p><code>a</code>\nb</p>", "<p><code>a</code><br>b</p>"},
		{"before block tag", "text\n<ul>\n<li>x</li>\n</ul>", "text<ul><li>x</li></ul>"},
		{"after br", "a<br>\nb", "a<br>b"},
		{"pre", "<pre><code>a\n\tb\n</code></pre>\n", "<pre><code>a<br>\tb<br></code></pre>"},
		{"pre then text", "<pre>x\ny</pre>\n<p>a\nb</p>", "<pre>x<br>y</pre><p>a<br>b</p>"},
		{"carriage returns", "<p>a\r\nb</p>\r\n", "<p>a<br>b</p>"},
		{"field ends", "\nx\n", "x"},
		{"inside a tag", "<a href=\"u\"\ntitle=\"t\">x</a>", "<a href=\"u\" title=\"t\">x</a>"},
		{"escaped angle", "a &gt;\nb", "a &gt;<br>b"},
		{"cloze", "<p>with {{c1::x::hint}}, then\n{{c2::y}}.</p>\n", "<p>with {{c1::x::hint}}, then<br>{{c2::y}}.</p>"},
		{"table", "<table>\n<tr>\n<td>a</td>\n</tr>\n</table>\n", "<table><tr><td>a</td></tr></table>"},
	} {
		got := fieldHTML(tc.in)
		if got != tc.want {
			t.Errorf("%s: fieldHTML(%q) = %q, want %q", tc.name, tc.in, got, tc.want)
		}
		if strings.ContainsAny(got, "\r\n") {
			t.Errorf("%s: %q keeps a line break", tc.name, got)
		}
	}
}

func TestCleanTags(t *testing.T) {
	for _, tc := range []struct{ in, want []string }{
		{nil, []string{}},
		{[]string{"a", "b"}, []string{"a", "b"}},
		{[]string{"two words", " pad ", "tab\there", "nl\nx"}, []string{"two_words", "pad", "tab_here", "nl_x"}},
		{[]string{"", "  ", "a"}, []string{"a"}},
		{[]string{"aws", "AWS", "x", "aws"}, []string{"aws", "x"}},
		{[]string{"section::Key takeaways"}, []string{"section::Key_takeaways"}},
	} {
		if got := cleanTags(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("cleanTags(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestNoteTags(t *testing.T) {
	for _, tc := range []struct {
		deck []string
		card Card
		want []string
	}{
		{[]string{"aws", "dva-c02"}, Card{Kind: decks.KindTrap, Section: "Traps"}, []string{"aws", "dva-c02", "trap", "section::Traps"}},
		{nil, Card{Kind: decks.KindTopic, Section: "Load balancing  basics"}, []string{"topic", "section::Load_balancing_basics"}},
		{nil, Card{Kind: decks.KindTopic}, []string{"topic"}},
		{[]string{"trap"}, Card{Kind: decks.KindTrap, Section: " "}, []string{"trap"}},
	} {
		if got := noteTags(tc.deck, tc.card); !slices.Equal(got, tc.want) {
			t.Errorf("noteTags(%q, %+v) = %q, want %q", tc.deck, tc.card, got, tc.want)
		}
	}
}

func TestDeckName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"AWS DVA-C02 1.6: Containers", "flashd::AWS DVA-C02 1.6: Containers"},
		{"a::b::c", "flashd::a:b:c"},
		{"a:::b", "flashd::a:b"},
		{"a::::b", "flashd::a:b"},
		{"tab\there\nand\r\nthere", "flashd::tab here and  there"},
		{"  padded  ", "flashd::padded"},
		{"", "flashd::Untitled"},
		{"::", "flashd::Untitled"},
		{"<img src=x onerror=alert(1)>Deck", "flashd::img src=x onerror=alert(1)Deck"},
		{"evil\u202egnp.exe", "flashd::evilgnp.exe"},
		{"bell\x07null\x00", "flashd::bell null"},
		// Anki's normalisation, so its importer finds the deck it made.
		{"Exam prep:", "flashd::Exam prep"},
		{"Cafe\u0301 :: ", "flashd::Café"},
		{`say "hi"`, "flashd::say hi"},
		{" : ", "flashd::Untitled"},
	} {
		if got := deckName(tc.in); got != tc.want {
			t.Errorf("deckName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestOptionLetter(t *testing.T) {
	for i, want := range map[int]string{0: "A", 1: "B", 7: "H", 25: "Z", 26: "AA", 27: "AB"} {
		if got := optionLetter(i); got != want {
			t.Errorf("optionLetter(%d) = %q, want %q", i, got, want)
		}
	}
}

// TestReadAnki checks the test reader itself against Anki's rules.
func TestReadAnki(t *testing.T) {
	in := "#separator:tab\n#html:true\n# a comment ends the header block\n#deck:late\n" +
		"a\t\"b\tc\"\t\"say \"\"hi\"\"\"\n" +
		"#comment\n\n" +
		"\"#x\"\t\"\"\n" +
		"\"multi\nline\"\tz\n" +
		"last"
	f, err := Read(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := []FileHeader{{"separator", "tab"}, {"html", "true"}}; !reflect.DeepEqual(f.Headers, want) {
		t.Errorf("headers = %q, want %q", f.Headers, want)
	}
	want := [][]string{{"a", "b\tc", `say "hi"`}, {"#x", ""}, {"multi\nline", "z"}, {"last"}}
	if !reflect.DeepEqual(f.Rows, want) {
		t.Errorf("rows = %q, want %q", f.Rows, want)
	}
	for _, bad := range []string{"a\"b\n", "\"open\n", "\"x\"y\n", "a\r\n", "#separator:comma\na\n"} {
		if _, err := Read(bad); err == nil {
			t.Errorf("Read(%q) succeeded", bad)
		}
	}
}

// TestBuiltinDeck exports the built-in containers deck and checks that it
// reads back as Anki would: one note per non-cloze card and per cloze note.
func TestBuiltinDeck(t *testing.T) {
	all, err := decks.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	var parsed *decks.Deck
	for _, d := range all {
		if d.ID == "aws-dva-c02-containers" {
			parsed = d
		}
	}
	if parsed == nil {
		t.Fatal("built-in deck aws-dva-c02-containers not found")
	}
	want := 0
	clozeNotes := map[string]bool{}
	for _, c := range parsed.Cards {
		if c.Type == decks.TypeCloze {
			if !clozeNotes[c.NoteKey] {
				want++
			}
			clozeNotes[c.NoteKey] = true
		} else {
			want++
		}
	}
	f := readBack(t, write(t, fromDeck(parsed)))
	if len(f.Rows) != want {
		t.Errorf("%d rows, want %d (non-cloze cards + %d cloze notes)", len(f.Rows), want, len(clozeNotes))
	}
	for i, r := range f.Rows {
		if len(r) == 6 && r[1] == NoteTypeCloze && !strings.Contains(r[3], "{{c") {
			t.Errorf("row %d: cloze note without cloze markup: %q", i+1, r[3])
		}
	}
}

// TestTagsPlainText: tags carry no markup, control or bidi characters.
func TestTagsPlainText(t *testing.T) {
	got := cleanTags([]string{"<b>bold</b>", "x\u202ey", "a\x00b", "<script>", "a::::b", "section::", "::"})
	want := []string{"bbold/b", "xy", "a_b", "script", "a::b", "section"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("cleanTags = %q, want %q", got, want)
	}
}

// TestSoundEscaped: "[sound:...]" in flashd's text does not make Anki
// play a file.
func TestSoundEscaped(t *testing.T) {
	if got := fieldHTML("<p>[sound:alarm.mp3] is Anki syntax</p>"); got != "<p>&#91;sound:alarm.mp3] is Anki syntax</p>" {
		t.Errorf("fieldHTML = %q", got)
	}
}

func TestMediaWarnings(t *testing.T) {
	d := Deck{Cards: []Card{
		{BackHTML: `<img src="a.png"><img src="img/b.png"><img src='c%20d.png'><img src="a.png">`},
		{FrontHTML: `<img src="https://example.com/e.png"><img src="data:image/png;base64,AAAA">`},
	}}
	got := strings.Join(MediaWarnings(d), "\n")
	for _, want := range []string{"image a.png: copy the file", "image img/b.png is in a folder", "image c%20d.png has a percent-encoded name", "image https://example.com/e.png is on another site"} {
		if !strings.Contains(got, want) {
			t.Errorf("warnings lack %q:\n%s", want, got)
		}
	}
	if n := len(MediaWarnings(d)); n != 4 || strings.Contains(got, "data:") {
		t.Errorf("%d warnings (one per image, none for data: URLs):\n%s", n, got)
	}
}
