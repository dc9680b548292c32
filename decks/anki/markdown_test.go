package anki

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/flashd/flashd/decks"
)

var mdKeyPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

func TestNoteKey(t *testing.T) {
	long := strings.Repeat("x", 30)
	for _, tt := range []struct {
		guid, key string
		kept      bool
	}{
		{"f{Kq!7#V]~", "anki-667b4b71213723565d7e", true},
		{"abc", "anki-616263", true},
		{"A", "anki-41", true},
		{` !"#$%&'()*+,-./:;<=>?@`, "", true},
		{`[\]^_` + "`" + `{|}~`, "", true},
		{strings.Repeat("z", 29), "anki-" + strings.Repeat("7a", 29), true},
		{long, "", false},
		{"", "", false},
		{"é", "anki-c3a9", false},      // not ASCII: hex, but not given back
		{"a\tb", "anki-610962", false}, // a control character
	} {
		key := NoteKey(tt.guid)
		if tt.key != "" && key != tt.key {
			t.Errorf("NoteKey(%q) = %q, want %q", tt.guid, key, tt.key)
		}
		if !mdKeyPattern.MatchString(key) {
			t.Errorf("NoteKey(%q) = %q: not a flashd key", tt.guid, key)
		}
		got, ok := GUIDFromKey(key)
		if ok != tt.kept || ok && got != tt.guid {
			t.Errorf("GUIDFromKey(NoteKey(%q)) = %q, %v; want %v", tt.guid, got, ok, tt.kept)
		}
	}
	// Long GUIDs hash: stable, distinct, marked.
	a, b := NoteKey(long), NoteKey(long+"y")
	if a == b || a != NoteKey(long) || !strings.HasPrefix(a, "anki-h") || len(a) != len("anki-h")+24 {
		t.Errorf("hashed keys %q, %q", a, b)
	}
	// Random base91 GUIDs of Anki's alphabet all round-trip.
	const base91 = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&()*+,-./:;<=>?@[]^_`{|}~"
	for i := 0; i < 500; i++ {
		g := make([]byte, 10)
		for j := range g {
			g[j] = base91[(i*7+j*31+i*j)%len(base91)]
		}
		key := NoteKey(string(g))
		if got, ok := GUIDFromKey(key); !ok || got != string(g) || !mdKeyPattern.MatchString(key) {
			t.Fatalf("GUID %q: key %q gives %q, %v", g, key, got, ok)
		}
	}
	for _, key := range []string{"", "anki-", "anki-6", "anki-6G", "anki-6A", "anki-h" + strings.Repeat("0", 24), "x-6162", "anki-0061", "anki-" + strings.Repeat("61", 30), "hdeadbeef"} {
		if g, ok := GUIDFromKey(key); ok {
			t.Errorf("GUIDFromKey(%q) = %q, true; want false", key, g)
		}
	}
}

func TestSlug(t *testing.T) {
	taken := map[string]bool{}
	take := func(name string) string {
		s := mdSlug(name, taken)
		if !regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`).MatchString(s) {
			t.Errorf("slug of %q = %q: not a deck id", name, s)
		}
		if taken[s] {
			t.Errorf("slug of %q = %q: taken", name, s)
		}
		taken[s] = true
		return s
	}
	if s := take("Lang::Français"); s != "anki-lang-francais" {
		t.Errorf("slug = %q", s)
	}
	if s := take("A B"); s != "anki-a-b" {
		t.Errorf("slug = %q", s)
	}
	if s := take("A::B"); !regexp.MustCompile(`^anki-a-b-[0-9a-f]{8}$`).MatchString(s) {
		t.Errorf("colliding slug = %q", s)
	}
	if s := take("日本語"); !regexp.MustCompile(`^anki-[0-9a-f]{8}$`).MatchString(s) {
		t.Errorf("slug of a name without ASCII = %q", s)
	}
	long := strings.Repeat("Very long deck name ", 6)
	s1, s2 := take(long+"one"), take(long+"two")
	if s1 == s2 || len(s1) > 64 || !strings.HasPrefix(s1, "anki-very-long-deck-name-") {
		t.Errorf("long slugs %q, %q", s1, s2)
	}
	// Deterministic.
	if s := mdSlug("A::B", map[string]bool{"anki-a-b": true}); s != mdSlug("A::B", map[string]bool{"anki-a-b": true}) {
		t.Errorf("slug not stable: %q", s)
	}
}

func TestRefusalString(t *testing.T) {
	r := Refusal{NoteID: 1234, GUID: "abc", Deck: "X", Reason: "front is empty"}
	want := `note 1234 (guid "abc") in deck "X": front is empty`
	if r.Error() != want || r.String() != want || fmt.Sprint(r) != want {
		t.Errorf("Refusal = %q, want %q", r.Error(), want)
	}
}

// The test collection.
const (
	ntBasic    = 1
	ntReversed = 2
	ntCloze    = 3
	ntSingle   = 4
	ntFour     = 5

	deckDefault  = 1
	deckFrench   = 10
	deckLang     = 11
	deckFiltered = 20
	deckOther    = 30
)

const (
	guidBase91 = "f{Kq!7#V]~"
	guidLong   = "this-guid-is-far-too-long-to-keep-in-a-key-0001"
)

func testCollection() *Collection {
	c := &Collection{
		Decks: map[int64]CollectionDeck{
			deckDefault:  {ID: deckDefault, Name: "Default"},
			deckFrench:   {ID: deckFrench, Name: "Lang::French"},
			deckLang:     {ID: deckLang, Name: "Lang"},
			deckFiltered: {ID: deckFiltered, Name: "Filtered Deck 1", Filtered: true},
			deckOther:    {ID: deckOther, Name: "Other"},
		},
		Notetypes: map[int64]Notetype{
			ntBasic:    {ID: ntBasic, Name: "Basic", Fields: []string{"Front", "Back"}},
			ntReversed: {ID: ntReversed, Name: "Basic (and reversed card)", Fields: []string{"Front", "Back"}},
			ntCloze:    {ID: ntCloze, Name: "Cloze", Cloze: true, Fields: []string{"Text", "Back Extra"}},
			ntSingle:   {ID: ntSingle, Name: "Single", Fields: []string{"Only"}},
			ntFour:     {ID: ntFour, Name: "Four", Fields: []string{"Front", "Back", "Notes", "Source"}},
		},
	}
	fr := []string{"french", "lang::fr", "vocab", "c++"}
	note := func(id int64, guid string, nt int64, tags []string, fields ...string) {
		c.Notes = append(c.Notes, CollectionNote{ID: id, GUID: guid, NotetypeID: nt, Tags: tags, Fields: fields})
	}
	card := func(id, note, deck int64, ord int) {
		c.Cards = append(c.Cards, CollectionCard{ID: id, NoteID: note, DeckID: deck, Ord: ord})
	}
	note(1001, guidBase91, ntBasic, fr, "<b>Bonjour</b>", "Hello<br><i>greeting</i>")
	card(2001, 1001, deckFrench, 0)
	note(1002, "rev-guid", ntReversed, []string{"French", "lang::fr", "section::Key_takeaways"}, "Chat", "Cat")
	card(2002, 1002, deckFrench, 0)
	card(2003, 1002, deckFrench, 1)
	note(1003, "trapguid", ntBasic, append([]string{"Trap"}, fr...), "Lists?",
		"<ul><li>one</li><li>two</li></ul><pre><code class=\"language-go\">fmt.Println(1)\n### not a card</code></pre>")
	card(2004, 1003, deckFrench, 0)
	note(1004, "media", ntBasic, fr, `What is shown? <img src="cat pic.jpg">`, "[sound:chat 1.mp3] A cat <img src=\"paste-abc.png\">")
	card(2005, 1004, deckFrench, 0)
	note(1005, "literal", ntBasic, fr, "How is a cloze written?",
		"### Not a heading<br>Write {{c1::x}} or {{c2::y::hint}}.<div>## Nor this</div>")
	card(2006, 1005, deckFrench, 0)
	note(1006, "clz-cue", ntCloze, append([]string{"takeaway"}, fr...),
		`<p class="cue">Capital cities</p>The capital of <b>France</b> is {{c1::<b>Paris</b>::city}} and of Spain {{c2::Madrid}}.`,
		"Both are <i>capitals</i>.")
	card(2007, 1006, deckFrench, 0)
	card(2008, 1006, deckFrench, 1)
	card(2009, 1006, deckFrench, 2) // an empty card: no c3 in the text
	note(1007, "clz-nocue", ntCloze, fr,
		"In 1492 {{c1::Columbus}} sailed the ocean {{c2::blue::colour}} and reached the islands of the Caribbean after a long journey.", "")
	card(2010, 1007, deckFrench, 1)
	card(2011, 1007, deckFrench, 0)
	note(1008, "dup-front", ntBasic, fr, "<b>bonjour</b>", "Good day")
	card(2012, 1008, deckFrench, 0)
	note(1009, "emptyback", ntBasic, fr, "Empty back?", "&nbsp;<br><div> </div>")
	card(2013, 1009, deckFrench, 0)
	note(1010, "nodel", ntCloze, fr, "Just text, no deletion", "extra")
	card(2014, 1010, deckFrench, 0)
	note(1011, "single", ntSingle, fr, "Only a field")
	card(2015, 1011, deckFrench, 0)
	note(1012, "codecloze", ntBasic, fr, "Cloze syntax in code?", "Type <code>{{c1::answer}}</code> in Anki.")
	card(2016, 1012, deckFrench, 0)
	note(1013, "c501", ntCloze, fr, "Far {{c501::too high}}", "")
	card(2017, 1013, deckFrench, 500)
	note(1014, "deepquote", ntBasic, fr, "Deep quotes?", strings.Repeat("<blockquote>", 9)+"deep"+strings.Repeat("</blockquote>", 9))
	card(2018, 1014, deckFrench, 0)
	note(1015, "four", ntFour, fr, "Four fields?", "Back", "", "<i>Source</i> text")
	card(2019, 1015, deckFrench, 0)
	note(1016, "trailkey", ntBasic, fr, "Term {#x}", "A heading that ends like a key")
	card(2020, 1016, deckFrench, 0)
	note(1017, "cuecloze", ntBasic, fr, "Front with {{c1::x}} in it", "Back")
	card(2021, 1017, deckFrench, 0)
	note(1018, "big", ntBasic, fr, "Too big?", strings.Repeat("word ", 2000))
	card(2022, 1018, deckFrench, 0)

	note(1020, guidLong, ntBasic, nil, "Long GUID", "Hashed key")
	card(2030, 1020, deckDefault, 0)
	note(1021, guidBase91, ntBasic, nil, "Same GUID", "as note 1001")
	card(2031, 1021, deckDefault, 0)

	// Its first card is in Other, its second in Default: it is Other's.
	note(1030, "split", ntReversed, nil, "Split note", "Two decks")
	card(2040, 1030, deckDefault, 1)
	card(2041, 1030, deckOther, 0)

	note(1040, "nocards", ntBasic, nil, "No cards", "at all")
	note(1041, "notype", 99, nil, "Unknown", "type")
	card(2042, 1041, deckDefault, 0)
	return c
}

// mdResult is the converted test collection, parsed.
type mdResult struct {
	files    map[string]DeckFile // by name
	parsed   map[string]*decks.Deck
	refusals map[int64][]string // note id -> reasons
	all      []Refusal
}

func convertTest(t *testing.T, c *Collection) mdResult {
	t.Helper()
	files, refusals, err := Markdown(t.Context(), c, decks.UploadLimits)
	if err != nil {
		t.Fatal(err)
	}
	r := mdResult{files: map[string]DeckFile{}, parsed: map[string]*decks.Deck{}, refusals: map[int64][]string{}, all: refusals}
	for _, f := range files {
		d, err := decks.Parse(f.Slug+".md", f.Markdown)
		if err != nil {
			t.Fatalf("deck %q does not parse: %v\n%s", f.Name, err, f.Markdown)
		}
		if d.ID != f.Slug || d.Title != f.Name {
			t.Errorf("deck %q: id %q, title %q; want %q, %q", f.Name, d.ID, d.Title, f.Slug, f.Name)
		}
		r.files[f.Name] = f
		r.parsed[f.Name] = d
	}
	for _, x := range refusals {
		r.refusals[x.NoteID] = append(r.refusals[x.NoteID], x.Reason)
	}
	return r
}

// card is the parsed card of a key.
func (r mdResult) card(t *testing.T, deck, key string) decks.Card {
	t.Helper()
	for _, c := range r.parsed[deck].Cards {
		if c.Key == key {
			return c
		}
	}
	t.Fatalf("deck %q has no card %q:\n%s", deck, key, r.files[deck].Markdown)
	return decks.Card{}
}

func TestMarkdown(t *testing.T) {
	r := convertTest(t, testCollection())
	const fr = "Lang::French"

	// Decks: Lang holds no card, the filtered deck none of its own.
	var names []string
	for n := range r.files {
		names = append(names, n)
	}
	slices.Sort(names)
	if want := []string{"Default", fr, "Other"}; !slices.Equal(names, want) {
		t.Fatalf("decks %q, want %q", names, want)
	}
	f, d := r.files[fr], r.parsed[fr]
	if f.AnkiDeckID != deckFrench || f.Slug != "anki-lang-french" {
		t.Errorf("deck %q: id %d, slug %q", fr, f.AnkiDeckID, f.Slug)
	}
	// "french" is on every note (once as "French"), "lang::fr" too; not
	// "vocab" (not on 1002), nor "c++" (not a flashd tag).
	if !slices.Equal(d.Tags, []string{"french", "lang::fr"}) {
		t.Errorf("deck tags %q", d.Tags)
	}

	key := NoteKey(guidBase91)
	if g, ok := GUIDFromKey(key); !ok || g != guidBase91 {
		t.Errorf("key %q gives GUID %q, %v", key, g, ok)
	}
	c := r.card(t, fr, key)
	if c.Type != decks.TypeBasic || c.Section != "Cards" || !c.Explicit || c.FrontHTML != "<strong>Bonjour</strong>" ||
		!strings.Contains(c.BackHTML, "Hello<br") || !strings.Contains(c.BackHTML, "<em>greeting</em>") {
		t.Errorf("basic card: %+v", c)
	}
	if c := r.card(t, fr, NoteKey("dup-front")); c.Front != "**bonjour** (2)" || c.BackHTML != "<p>Good day</p>\n" {
		t.Errorf("repeated front: %q, back %q", c.Front, c.BackHTML)
	}

	// Reversed: one card, the reverse left out with a notice.
	c = r.card(t, fr, NoteKey("rev-guid"))
	if c.FrontHTML != "Chat" || c.BackHTML != "<p>Cat</p>\n" || c.Section != "Cards" {
		t.Errorf("reversed note: %+v", c)
	}
	if got := r.refusals[1002]; len(got) != 1 || !strings.Contains(got[0], "template 2 are left out") || !strings.Contains(got[0], "imported") {
		t.Errorf("reversed note notice: %q", got)
	}

	// Trap: its section; list and code kept, the "###" in code too.
	c = r.card(t, fr, NoteKey("trapguid"))
	if c.Kind != decks.KindTrap || c.Section != "Traps" || !strings.Contains(c.BackHTML, "<li>one</li>") ||
		!strings.Contains(c.BackHTML, `<code class="language-go">fmt.Println(1)`) || !strings.Contains(c.BackHTML, "### not a card") {
		t.Errorf("trap card: %+v", c)
	}

	// Media: names as written.
	c = r.card(t, fr, NoteKey("media"))
	if !strings.Contains(c.Front, "![](<cat pic.jpg>)") || !strings.Contains(c.FrontHTML, `<img src="cat%20pic.jpg"`) ||
		!strings.Contains(c.Back, "[▶ chat 1.mp3](<chat 1.mp3>)") || !strings.Contains(c.BackHTML, `href="chat%201.mp3"`) ||
		!strings.Contains(c.BackHTML, "▶ chat 1.mp3</a>") || !strings.Contains(c.BackHTML, `<img src="paste-abc.png"`) {
		t.Errorf("media card: %+v", c)
	}

	// Literal syntax stays text.
	c = r.card(t, fr, NoteKey("literal"))
	if c.Type != decks.TypeBasic || !strings.Contains(c.BackHTML, "### Not a heading") || !strings.Contains(c.BackHTML, "## Nor this") ||
		!strings.Contains(c.BackHTML, "Write {{c1::x}} or {{c2::y::hint}}.") || strings.Contains(c.BackHTML, "<h") {
		t.Errorf("literal card: %+v", c)
	}
	c = r.card(t, fr, NoteKey("codecloze"))
	if c.Type != decks.TypeBasic || !strings.Contains(c.BackHTML, "<code>{{c1::answer}}</code>") {
		t.Errorf("cloze syntax in code: %+v", c)
	}
	c = r.card(t, fr, NoteKey("cuecloze"))
	if c.FrontHTML != "Front with {{c1::x}} in it" {
		t.Errorf("cloze syntax in a front: %q", c.FrontHTML)
	}
	c = r.card(t, fr, NoteKey("trailkey"))
	if c.FrontHTML != "Term {#x}" || c.Key != NoteKey("trailkey") {
		t.Errorf("front ending like a key: %+v", c)
	}
	c = r.card(t, fr, NoteKey("four"))
	if c.BackHTML != "<p>Back</p>\n<p><em>Source</em> text</p>\n" {
		t.Errorf("further fields: %q", c.BackHTML)
	}

	// Cloze with flashd's cue, a hint and Back Extra.
	ck := NoteKey("clz-cue")
	c1, c2 := r.card(t, fr, ck+"/c1"), r.card(t, fr, ck+"/c2")
	if c1.Front != "Capital cities" || c1.Kind != decks.KindTakeaway || c1.Type != decks.TypeCloze || c1.NoteKey != ck {
		t.Errorf("cloze card: %+v", c1)
	}
	if !strings.Contains(c1.FrontHTML, `<span class="cloze">[city]</span>`) || strings.Contains(c1.FrontHTML, "Paris") || !strings.Contains(c1.FrontHTML, "Madrid") ||
		!strings.Contains(c1.BackHTML, `<span class="cloze"><strong>Paris</strong></span>`) || !strings.Contains(c1.BackHTML, "Both are <em>capitals</em>.") {
		t.Errorf("cloze c1: front %q back %q", c1.FrontHTML, c1.BackHTML)
	}
	if !strings.Contains(c1.ClozeHTML, "{{c1::<strong>Paris</strong>::city}}") || !strings.Contains(c1.ClozeHTML, "{{c2::Madrid}}") ||
		!strings.HasPrefix(c1.ClozeHTML, `<p class="cue">Capital cities</p>`) {
		t.Errorf("cloze markup: %q", c1.ClozeHTML)
	}
	if strings.Contains(c2.FrontHTML, "Madrid") || !strings.Contains(c2.FrontHTML, "Paris") {
		t.Errorf("cloze c2: %q", c2.FrontHTML)
	}

	// Cloze without a cue: made from the text, no answer in it.
	c = r.card(t, fr, NoteKey("clz-nocue")+"/c1")
	if c.Front != `In 1492 \[...\] sailed the ocean \[colour\] and reached the…` {
		t.Errorf("made cue %q", c.Front)
	}
	for _, answer := range []string{"Columbus", "blue"} {
		if cue := c.FrontHTML[:strings.Index(c.FrontHTML, "</p>")]; strings.Contains(cue, answer) {
			t.Errorf("cue %q gives %q away", cue, answer)
		}
	}

	// The Cards map.
	wantCards := map[int64]string{
		2001: key, 2002: NoteKey("rev-guid"), 2004: NoteKey("trapguid"), 2005: NoteKey("media"),
		2006: NoteKey("literal"), 2007: ck + "/c1", 2008: ck + "/c2",
		2010: NoteKey("clz-nocue") + "/c2", 2011: NoteKey("clz-nocue") + "/c1",
		2012: NoteKey("dup-front"), 2016: NoteKey("codecloze"), 2019: NoteKey("four"),
		2020: NoteKey("trailkey"), 2021: NoteKey("cuecloze"),
	}
	if fmt.Sprint(f.Cards) != fmt.Sprint(wantCards) {
		t.Errorf("Cards\n got %v\nwant %v", f.Cards, wantCards)
	}
	if f.Notes != 12 || len(d.Cards) != 14 {
		t.Errorf("%d notes, %d cards; want 12, 14", f.Notes, len(d.Cards))
	}
	// Every mapped key is a card of the deck.
	for id, k := range f.Cards {
		r.card(t, fr, k)
		_ = id
	}

	// Other decks.
	lk := NoteKey(guidLong)
	if _, ok := GUIDFromKey(lk); ok {
		t.Errorf("long GUID kept in %q", lk)
	}
	if c := r.card(t, "Default", lk); c.FrontHTML != "Long GUID" || fmt.Sprint(r.files["Default"].Cards) != fmt.Sprint(map[int64]string{2030: lk}) {
		t.Errorf("Default deck: %+v, cards %v", c, r.files["Default"].Cards)
	}
	if o := r.files["Other"]; fmt.Sprint(o.Cards) != fmt.Sprint(map[int64]string{2041: NoteKey("split")}) || o.Notes != 1 {
		t.Errorf("Other deck cards %v", o.Cards)
	}

	// Refusals: the notes left out, and why.
	wantRefused := map[int64]string{
		1009: "back is empty",
		1010: "no deletion",
		1011: `note type "Single" has one field`,
		1013: "at most c500",
		1014: "nested 9 deep",
		1018: "at most 8 KiB",
		1021: "also that of note 1001",
		1030: "template 2 are left out",
		1040: "no cards",
		1041: "note type 99",
	}
	for id, want := range wantRefused {
		if got := r.refusals[id]; len(got) != 1 || !strings.Contains(got[0], want) {
			t.Errorf("note %d: refusals %q, want one with %q", id, got, want)
		}
	}
	if len(r.refusals) != len(wantRefused)+1 { // and 1002's notice
		t.Errorf("refusals: %v", r.all)
	}
	for _, x := range r.all {
		switch x.NoteID {
		case 1040:
			if x.Deck != "" || x.GUID != "nocards" {
				t.Errorf("refusal %v", x)
			}
		case 1030:
			if x.Deck != "Other" {
				t.Errorf("refusal %v", x)
			}
		case 1009:
			if x.Deck != fr || x.GUID != "emptyback" || !strings.HasPrefix(x.Error(), `note 1009 (guid "emptyback") in deck "Lang::French": `) {
				t.Errorf("refusal %v", x)
			}
		}
	}

	// Every key is a flashd key; sections in order.
	for _, dk := range r.parsed {
		for _, c := range dk.Cards {
			if !mdKeyPattern.MatchString(c.NoteKey) {
				t.Errorf("key %q", c.NoteKey)
			}
		}
	}
	md := string(f.Markdown)
	if a, b, c := strings.Index(md, "\n## Key takeaways\n"), strings.Index(md, "\n## Traps\n"), strings.Index(md, "\n## Cards\n"); !(a > 0 && a < b && b < c) {
		t.Errorf("sections out of order:\n%s", md)
	}
	// Cards in note id order within a section.
	if a, b := strings.Index(md, "{#"+key+"}"), strings.Index(md, "{#"+NoteKey("rev-guid")+"}"); !(a > 0 && a < b) {
		t.Errorf("cards out of order:\n%s", md)
	}

	// The same collection gives the same bytes.
	again := convertTest(t, testCollection())
	for name, f := range r.files {
		if !bytes.Equal(f.Markdown, again.files[name].Markdown) {
			t.Errorf("deck %q differs on a second run", name)
		}
	}
	if fmt.Sprint(r.all) != fmt.Sprint(again.all) {
		t.Errorf("refusals differ on a second run")
	}
}

func TestMarkdownDeckLimit(t *testing.T) {
	c := &Collection{
		Decks:     map[int64]CollectionDeck{1: {ID: 1, Name: "Big"}},
		Notetypes: map[int64]Notetype{1: {ID: 1, Name: "Basic", Fields: []string{"Front", "Back"}}},
	}
	n := decks.UploadLimits.Cards + 2
	for i := 1; i <= n; i++ {
		c.Notes = append(c.Notes, CollectionNote{ID: int64(i), GUID: fmt.Sprintf("g%d", i), NotetypeID: 1, Fields: []string{fmt.Sprintf("Q%d", i), "A"}})
		c.Cards = append(c.Cards, CollectionCard{ID: int64(10000 + i), NoteID: int64(i), DeckID: 1})
	}
	files, refusals, err := Markdown(t.Context(), c, decks.UploadLimits)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || files[0].Notes != decks.UploadLimits.Cards || len(files[0].Cards) != decks.UploadLimits.Cards {
		t.Fatalf("files %d, notes %d", len(files), files[0].Notes)
	}
	if _, err := decks.ParseContext(t.Context(), "big.md", files[0].Markdown, decks.UploadLimits); err != nil {
		t.Fatal(err)
	}
	if len(refusals) != 2 || refusals[0].NoteID != int64(n-1) || refusals[1].NoteID != int64(n) || !strings.Contains(refusals[0].Reason, "5000 cards") {
		t.Errorf("refusals %v", refusals)
	}
}

func TestMdFront(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"<div>one</div><div>two</div>", "one<br>two"},
		{"<ul><li>a</li><li>b</li></ul>", "• a<br>• b"},
		{"<h1>Title</h1>text", "Title<br>text"},
		{"<ol><li>first</li></ol>", `1\. first`},
		{"<pre>a\nb</pre>", "`a`<br>`b`"},
		{"1. not a list", `1\. not a list`},
		{"&nbsp;", ""},
		{"<table><tr><td>a</td><td>b|c</td></tr><tr><td></td><td>d</td></tr></table>", `a | b\|c<br>d`},
	} {
		if got, err := mdFront(tt.in); err != nil || got != tt.want {
			t.Errorf("mdFront(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// TestMarkdownRoundTrip exports flashd decks the way flashd does (Notes)
// and imports them back: every card comes back with what it showed.
func TestMarkdownRoundTrip(t *testing.T) {
	for _, path := range []string{"testdata/small.md", "../builtin/aws-dva-c02-containers.md"} {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		orig, err := decks.Parse(path, src)
		if err != nil {
			t.Fatal(err)
		}
		exp := Deck{Title: orig.Title, Tags: orig.Tags}
		guids := map[string]string{} // NoteKey -> GUID
		for i, c := range orig.Cards {
			if _, ok := guids[c.NoteKey]; !ok {
				guids[c.NoteKey] = fmt.Sprintf("g%03d{x}", i)
			}
			exp.Cards = append(exp.Cards, Card{GUID: guids[c.NoteKey], NoteKey: c.NoteKey, Cloze: c.Cloze, Type: c.Type, Kind: c.Kind,
				Section: c.Section, FrontHTML: c.FrontHTML, BackHTML: c.BackHTML, ClozeHTML: c.ClozeHTML, Options: c.Options})
		}
		col := &Collection{
			Decks: map[int64]CollectionDeck{7: {ID: 7, Name: orig.Title}},
			Notetypes: map[int64]Notetype{
				1: {ID: 1, Name: NoteTypeBasic, Fields: []string{"Front", "Back"}},
				2: {ID: 2, Name: NoteTypeCloze, Cloze: true, Fields: []string{"Text", "Back Extra"}},
			},
		}
		byGUID := map[string]decks.Card{}
		for _, c := range orig.Cards {
			if c.Cloze <= 1 {
				byGUID[guids[c.NoteKey]] = c
			}
		}
		for i, n := range Notes(exp) {
			id := int64(100 + i)
			nt := int64(1)
			if n.NoteType == NoteTypeCloze {
				nt = 2
			}
			col.Notes = append(col.Notes, CollectionNote{ID: id, GUID: n.GUID, NotetypeID: nt, Tags: n.Tags, Fields: n.Fields[:]})
			col.Cards = append(col.Cards, CollectionCard{ID: 1000 + id, NoteID: id, DeckID: 7})
		}
		r := convertTest(t, col)
		if len(r.all) != 0 {
			t.Errorf("%s: refusals %v", path, r.all)
		}
		got := r.parsed[orig.Title]
		if got == nil {
			t.Fatalf("%s: no deck %q", path, orig.Title)
		}
		for _, g := range []string{"aws"} {
			if !slices.Contains(got.Tags, g) {
				t.Errorf("%s: deck tags %q, want %q among them", path, got.Tags, g)
			}
		}
		// White space may differ, and the exporter writes a soft line
		// break as <br> (what Anki then shows).
		space := regexp.MustCompile(`\s+`)
		same := func(got, want string) bool {
			got = strings.ReplaceAll(got, "<br>\n", "\n")
			return space.ReplaceAllString(got, " ") == space.ReplaceAllString(want, " ")
		}
		for guid, o := range byGUID {
			key := NoteKey(guid)
			if g, ok := GUIDFromKey(key); !ok || g != guid {
				t.Errorf("GUID %q: key %q", guid, key)
			}
			switch o.Type {
			case decks.TypeBasic:
				c := r.card(t, orig.Title, key)
				if !same(c.FrontHTML, o.FrontHTML) || !same(c.BackHTML, o.BackHTML) || c.Kind != o.Kind {
					t.Errorf("%s: basic card %q\nfront %q\n want %q\nback %q\n want %q\nkind %s, want %s", path, o.Key, c.FrontHTML, o.FrontHTML, c.BackHTML, o.BackHTML, c.Kind, o.Kind)
				}
			case decks.TypeCloze:
				c := r.card(t, orig.Title, key+"/c1")
				if !same(c.ClozeHTML, o.ClozeHTML) || c.Front != o.Front || c.Kind != o.Kind {
					t.Errorf("%s: cloze card %q\ncloze %q\n want %q\nkind %s, want %s", path, o.Key, c.ClozeHTML, o.ClozeHTML, c.Kind, o.Kind)
				}
			case decks.TypeChoice:
				c := r.card(t, orig.Title, key)
				for _, opt := range o.Options {
					if !strings.Contains(c.FrontHTML, opt.HTML) {
						t.Errorf("%s: choice card %q: option %q not in %q", path, o.Key, opt.HTML, c.FrontHTML)
					}
				}
				if c.Kind != decks.KindTopic || c.Section != "Cards" || !strings.Contains(c.BackHTML, "Answer") {
					t.Errorf("%s: choice card %q came back as %+v", path, o.Key, c)
				}
			}
		}
	}
}

func TestMarkdownEdgeCases(t *testing.T) {
	c := &Collection{
		Decks: map[int64]CollectionDeck{1: {ID: 1, Name: "Edge"}},
		Notetypes: map[int64]Notetype{
			1: {ID: 1, Name: "Basic", Fields: []string{"Front", "Back"}},
			2: {ID: 2, Name: "Cloze", Cloze: true, Fields: []string{"Text", "Extra"}},
		},
	}
	add := func(nt int64, f ...string) string {
		id := int64(len(c.Notes) + 1)
		guid := fmt.Sprint("n", id)
		c.Notes = append(c.Notes, CollectionNote{ID: id, GUID: guid, NotetypeID: nt, Fields: f})
		c.Cards = append(c.Cards, CollectionCard{ID: 100 + id, NoteID: id, DeckID: 1})
		return NoteKey(guid)
	}
	table := add(1, "<table><tr><td>a</td><td>b</td></tr></table>", "<table><tr><th>h</th></tr><tr><td>x|y</td></tr></table>")
	junk := add(1, "<font color=red>red</font> <span style='x'>s</span> &lt;script&gt;", "<!-- c --> <style>x{}</style>ok<script>alert(1)</script>")
	literal := add(1, "**not bold** _nor_ `code` &amp;amp;", "<ol><li>a<ol><li>b</li></ol></li></ol><hr><blockquote>q</blockquote>")
	repeat := add(2, "{{c1::a}} {{c2::b}}<br>{{c1::c}}", "")
	cell := add(2, "<table><tr><td>{{c1::cell}}</td></tr></table>", "")
	list := add(2, "<ul><li>{{c1::one}}</li><li>{{c2::two::t}}</li></ul>", "")
	add(2, "{{c1::}} empty", "")
	add(2, "Nested {{c1::a {{c2::b}} c}}", "")
	add(2, "Multi {{c1,2::x}}", "")
	add(2, "{{c1::image-occlusion:rect:left=.1:top=.2:width=.3:height=.4}}", "<img src=x.png>")
	code := add(2, "<code>{{c1::inline}}</code> code", "")
	near := add(2, "{{c1::x}} and literal {{c2:y}}", "")
	heads := add(1, "<h2>Heading front</h2>", "<h1>A</h1><h2>B</h2><h3>C</h3><h4>D</h4>")
	listCode := add(1, "Code in a list?", "<ul><li>x<pre>a\n### b\n\n```\nc &lt;d&gt;</pre>y</li><li>z</li></ul>")
	images := add(1, "a<sup>2</sup>", `<img src="data:image/png;base64,AAAA"><img src="http://x.org/a.png"><img src="javascript:alert(1)">`)
	r := convertTest(t, c)
	const deck = "Edge"

	if c := r.card(t, deck, table); c.Front != "a | b" || !strings.Contains(c.BackHTML, "<td>x|y</td>") {
		t.Errorf("tables: %+v", c)
	}
	if c := r.card(t, deck, junk); c.FrontHTML != "red s &lt;script&gt;" || c.BackHTML != "<p>ok</p>\n" {
		t.Errorf("sanitised: %q, %q", c.FrontHTML, c.BackHTML)
	}
	if c := r.card(t, deck, literal); c.FrontHTML != "**not bold** _nor_ `code` &amp;amp;" ||
		!strings.Contains(c.BackHTML, "<p>a</p>\n<ol>\n<li>b</li>") || !strings.Contains(c.BackHTML, "<hr>") || !strings.Contains(c.BackHTML, "<blockquote>") {
		t.Errorf("literal markup: %q, %q", c.FrontHTML, c.BackHTML)
	}
	if c := r.card(t, deck, repeat+"/c1"); strings.Count(c.FrontHTML[strings.Index(c.FrontHTML, "</p>"):], "[...]") != 2 || !strings.Contains(c.FrontHTML, "</span> b<br>") {
		t.Errorf("repeated number: %q", c.FrontHTML)
	}
	r.card(t, deck, repeat+"/c2")
	if c := r.card(t, deck, cell+"/c1"); !strings.Contains(c.ClozeHTML, "<td>{{c1::cell}}</td>") {
		t.Errorf("cloze in a table: %q", c.ClozeHTML)
	}
	if c := r.card(t, deck, list+"/c2"); !strings.Contains(c.FrontHTML, `<li><span class="cloze">[t]</span></li>`) || !strings.Contains(c.FrontHTML, "<li>one</li>") {
		t.Errorf("cloze in a list: %q", c.FrontHTML)
	}
	if c := r.card(t, deck, code+"/c1"); !strings.Contains(c.FrontHTML, `<code><span class="cloze">[...]</span></code>`) {
		t.Errorf("cloze in code: %q", c.FrontHTML)
	}
	if c := r.card(t, deck, near+"/c1"); !strings.Contains(c.BackHTML, "literal {{c2:y}}") {
		t.Errorf("near-miss cloze: %q", c.BackHTML)
	}
	if f := r.files[deck]; f.Cards[100+12] != near+"/c1" || len(f.Cards) != 11 {
		t.Errorf("cards %v", f.Cards)
	}
	if c := r.card(t, deck, heads); c.FrontHTML != "Heading front" || !strings.Contains(c.BackHTML, "<h4>A</h4>\n<h5>B</h5>\n<h6>C</h6>\n<h6>D</h6>") {
		t.Errorf("headings: %q, %q", c.FrontHTML, c.BackHTML)
	}
	if c := r.card(t, deck, images); c.FrontHTML != "a<sup>2</sup>" || c.BackHTML != `<p><img src="http://x.org/a.png" alt=""></p>`+"\n" {
		t.Errorf("images: %q, %q", c.FrontHTML, c.BackHTML)
	}
	if c := r.card(t, deck, listCode); !strings.Contains(c.BackHTML, "<pre><code>a\n### b\n\n```\nc &lt;d&gt;</code></pre>") || !strings.Contains(c.BackHTML, "<p>z</p>\n</li>") {
		t.Errorf("code in a list: %q", c.BackHTML)
	}
	for id, want := range map[int64]string{
		7:  "cloze c1 is empty",
		8:  "deletion inside a deletion",
		9:  "{{c1,2::...}} is on several cards",
		10: "image occlusion",
	} {
		if got := r.refusals[id]; len(got) != 1 || !strings.Contains(got[0], want) {
			t.Errorf("note %d: %q, want %q", id, got, want)
		}
	}
	if len(r.all) != 4 {
		t.Errorf("refusals %v", r.all)
	}
}

// TestMdAssembleLines checks the heading lines mdAssemble reports, by
// which a card the whole deck fails at is found.
func TestMdAssembleLines(t *testing.T) {
	var entries []*mdEntry
	for i, s := range []string{mdSectionCards, mdSectionTraps, mdSectionCards, mdSectionTakeaways} {
		key := fmt.Sprintf("k%d", i)
		body := strings.Repeat("line\n\n", i) + "end"
		entries = append(entries, &mdEntry{key: key, section: s, chunk: mdChunk("Front "+key, key, body)})
	}
	md, lines := mdAssemble(mdFrontMatter("x", "X", []string{"a"}), entries)
	d, err := decks.Parse("x.md", md)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range entries {
		var line int
		for _, c := range d.Cards {
			if c.Key == e.key {
				line = c.Line
			}
		}
		if line == 0 || lines[i] != line || mdEntryAt(entries, lines, line+1) != e {
			t.Errorf("card %s: at line %d, reported %d\n%s", e.key, line, lines[i], md)
		}
	}
}

// FuzzMarkdown checks that any fields give decks that parse (the seeds run
// with go test; go test -fuzz FuzzMarkdown explores).
func FuzzMarkdown(f *testing.F) {
	for _, s := range [][2]string{
		{"<b>Q</b>", "A<br>### B"},
		{"{{c1::a::b}} {{c2::c}}", "extra {{c1::x}}"},
		{"<pre>{{c1::x}}\n```\n## y</pre>", "<h1>h</h1>[sound:a b.mp3]<img src='a)b.png'>"},
		{"<p class=\"cue\">cue {#k}</p>x {{c1::y}}", "<table><tr><td>|</td></tr></table>"},
		{"<ul><li>- [ ] x</li></ul>", "~~~\n<div>```</div>"},
		{strings.Repeat("<div>", 513) + "deep", "{{c1::x::" + strings.Repeat("<b>", 513) + "}}"},
		{"<p class=\"cue\">" + strings.Repeat("<i>", 600) + "</p>{{c1::y}}", strings.Repeat("<div>", 509) + "not so deep"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		c := &Collection{
			Decks: map[int64]CollectionDeck{1: {ID: 1, Name: a}},
			Notetypes: map[int64]Notetype{
				1: {ID: 1, Name: "Basic", Fields: []string{"Front", "Back"}},
				2: {ID: 2, Name: "Cloze", Cloze: true, Fields: []string{"Text", "Back Extra"}},
			},
			Notes: []CollectionNote{
				{ID: 1, GUID: a, NotetypeID: 1, Fields: []string{a, b}},
				{ID: 2, GUID: b, NotetypeID: 2, Fields: []string{a, b}},
				{ID: 3, GUID: "x", NotetypeID: 1, Fields: []string{b, a}},
				{ID: 4, GUID: "y", NotetypeID: 2, Fields: []string{b, a}},
			},
			Cards: []CollectionCard{{ID: 1, NoteID: 1, DeckID: 1}, {ID: 2, NoteID: 2, DeckID: 1}, {ID: 3, NoteID: 3, DeckID: 1}, {ID: 4, NoteID: 4, DeckID: 1}},
		}
		files, refusals, err := Markdown(context.Background(), c, decks.UploadLimits)
		if err != nil {
			t.Fatal(err)
		}
		notes := 0
		for _, f := range files {
			d, err := decks.Parse(f.Slug+".md", f.Markdown)
			if err != nil {
				t.Fatalf("does not parse: %v\n%s", err, f.Markdown)
			}
			notes += f.Notes
			for _, k := range f.Cards {
				found := false
				for _, c := range d.Cards {
					found = found || c.Key == k
				}
				if !found {
					t.Fatalf("card %q not in the deck", k)
				}
			}
		}
		left := 0
		for _, r := range refusals {
			if !strings.HasPrefix(r.Reason, "imported") {
				left++
			}
		}
		if notes+left != 4 {
			t.Fatalf("%d notes imported, %d refused: %v", notes, left, refusals)
		}
	})
}

// mdBigDeck is a collection of one deck "Big" with notes 1 to n, note i
// of fields fields(i).
func mdBigDeck(n int, fields func(i int) []string) *Collection {
	c := &Collection{
		Decks:     map[int64]CollectionDeck{1: {ID: 1, Name: "Big"}},
		Notetypes: map[int64]Notetype{1: {ID: 1, Name: "Basic", Fields: []string{"Front", "Back"}}},
		Notes:     make([]CollectionNote, 0, n),
		Cards:     make([]CollectionCard, 0, n),
	}
	for i := 1; i <= n; i++ {
		c.Notes = append(c.Notes, CollectionNote{ID: int64(i), GUID: fmt.Sprintf("g%d", i), NotetypeID: 1, Fields: fields(i)})
		c.Cards = append(c.Cards, CollectionCard{ID: int64(1000000 + i), NoteID: int64(i), DeckID: 1})
	}
	return c
}

// checkPastLimit checks the refusals of a deck of n notes whose first
// kept were imported and the rest left out for a limit: listed up to
// mdMaxPastLimit with reason, then summarised with summary.
func checkPastLimit(t *testing.T, n, kept int, refusals []Refusal, reason, summary string) {
	t.Helper()
	past := n - kept
	listed := min(past, mdMaxPastLimit)
	want := listed
	if past > listed {
		want++
	}
	if len(refusals) != want {
		t.Fatalf("%d refusals, want %d: %v", len(refusals), want, refusals[:min(len(refusals), 5)])
	}
	for i, r := range refusals[:listed] {
		if r.NoteID != int64(kept+1+i) || r.Deck != "Big" || !strings.Contains(r.Reason, reason) {
			t.Fatalf("refusal %d: %v, want note %d with %q", i, r, kept+1+i, reason)
		}
	}
	if past > listed {
		if s := refusals[listed]; s.NoteID != 0 || s.GUID != "" || s.Deck != "Big" || s.Reason != summary {
			t.Errorf("summary %+v, want %q", s, summary)
		}
	}
}

// TestMarkdownPastLimit checks that the notes past a deck's card limit
// are neither converted nor parsed (a note that would be refused for
// itself is refused for the limit) and are summed up past the first
// mdMaxPastLimit.
func TestMarkdownPastLimit(t *testing.T) {
	const n, max = 2000, 50
	c := mdBigDeck(n, func(i int) []string {
		switch {
		case i <= max:
			return []string{fmt.Sprintf("Q%d", i), "A"}
		case i%3 == 0: // refused when converted
			return []string{fmt.Sprintf("Q%d", i), "&nbsp;"}
		case i%3 == 1: // refused when parsed
			return []string{fmt.Sprintf("Q%d", i), strings.Repeat("<blockquote>", 9) + "deep" + strings.Repeat("</blockquote>", 9)}
		}
		return []string{fmt.Sprintf("Q%d", i), strings.Repeat("<div>", 600)} // too deep
	})
	lim := decks.Limits{Cards: max}
	files, refusals, err := Markdown(t.Context(), c, lim)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || files[0].Notes != max || len(files[0].Cards) != max {
		t.Fatalf("files %+v", files)
	}
	if _, err := decks.ParseContext(t.Context(), "big.md", files[0].Markdown, lim); err != nil {
		t.Fatal(err)
	}
	checkPastLimit(t, n, max, refusals, "the deck already has 50 cards", "and 1,850 more notes past the deck's limit of 50 cards were left out")

	// Exactly the limit: nothing refused.
	c = mdBigDeck(max, func(i int) []string { return []string{fmt.Sprintf("Q%d", i), "A"} })
	if files, refusals, err := Markdown(t.Context(), c, lim); err != nil || len(files) != 1 || files[0].Notes != max || len(refusals) != 0 {
		t.Errorf("%d notes: files %d, refusals %v, %v", max, len(files), refusals, err)
	}
	// One past: listed, no summary.
	c = mdBigDeck(max+1, func(i int) []string { return []string{fmt.Sprintf("Q%d", i), "A"} })
	files, refusals, err = Markdown(t.Context(), c, lim)
	if err != nil || len(files) != 1 {
		t.Fatal(files, err)
	}
	checkPastLimit(t, max+1, max, refusals, "the deck already has 50 cards", "")
}

// TestMarkdownByteLimit checks that a deck stops at the first note its
// Markdown has no room for, close to the limit and within it.
func TestMarkdownByteLimit(t *testing.T) {
	const n = 1000
	lim := decks.Limits{Bytes: 8 << 10}
	c := mdBigDeck(n, func(i int) []string {
		return []string{fmt.Sprintf("Question %d?", i), fmt.Sprintf("Answer <b>%d</b> with some more words", i)}
	})
	// The front matter is counted with the first note's tags, but holds
	// only "shared": note 2 lacks "vocab".
	for i := range c.Notes {
		c.Notes[i].Tags = []string{"shared", "vocab"}
	}
	c.Notes[1].Tags = []string{"shared"}
	files, refusals, err := Markdown(t.Context(), c, lim)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 {
		t.Fatalf("files %+v", files)
	}
	f := files[0]
	if len(f.Markdown) > lim.Bytes || len(f.Markdown) < lim.Bytes-256 {
		t.Errorf("deck of %d bytes for a limit of %d", len(f.Markdown), lim.Bytes)
	}
	d, err := decks.ParseContext(t.Context(), "big.md", f.Markdown, lim)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.Tags, []string{"shared"}) {
		t.Errorf("tags %q", d.Tags)
	}
	if f.Notes < 50 || f.Notes != len(d.Cards) {
		t.Fatalf("%d notes, %d cards", f.Notes, len(d.Cards))
	}
	past := n - f.Notes - mdMaxPastLimit
	checkPastLimit(t, n, f.Notes, refusals, "the deck's Markdown would pass 8 KiB",
		fmt.Sprintf("and %s more notes past the deck's limit of 8 KiB of Markdown were left out", mdCount(past)))
}

// TestMarkdownHTMLLimit checks that a deck stops at the first note whose
// HTML it has no room for.
func TestMarkdownHTMLLimit(t *testing.T) {
	const n = 300
	lim := decks.Limits{HTML: 4 << 10}
	c := mdBigDeck(n, func(i int) []string {
		return []string{fmt.Sprintf("Question %d?", i), fmt.Sprintf("Answer <b>%d</b> with some more words", i)}
	})
	files, refusals, err := Markdown(t.Context(), c, lim)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 {
		t.Fatalf("files %+v", files)
	}
	d, err := decks.ParseContext(t.Context(), "big.md", files[0].Markdown, lim)
	if err != nil {
		t.Fatal(err)
	}
	html := 0
	for _, c := range d.Cards {
		html += mdCardHTML(c)
	}
	kept := files[0].Notes
	if kept < 10 || kept != len(d.Cards) || html > lim.HTML || html < lim.HTML-200 {
		t.Errorf("%d notes, %d cards, %d bytes of HTML", kept, len(d.Cards), html)
	}
	checkPastLimit(t, n, kept, refusals, "would render to more than 4 KiB of HTML",
		fmt.Sprintf("and %d more notes past the deck's limit of 4 KiB of HTML were left out", n-kept-mdMaxPastLimit))
}

// TestMarkdownRefusalCap checks that no more than mdMaxRefusals refusals
// are listed, and the rest summed up.
func TestMarkdownRefusalCap(t *testing.T) {
	const n = mdMaxRefusals + 500
	c := mdBigDeck(n+1, func(i int) []string { return []string{fmt.Sprintf("Q%d", i), "A"} })
	c.Cards = c.Cards[n:] // only the last note has a card
	files, refusals, err := Markdown(t.Context(), c, decks.UploadLimits)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || files[0].Notes != 1 {
		t.Fatalf("files %+v", files)
	}
	if len(refusals) != mdMaxRefusals+1 {
		t.Fatalf("%d refusals", len(refusals))
	}
	for i, r := range refusals[:mdMaxRefusals] {
		if r.NoteID != int64(i+1) || !strings.Contains(r.Reason, "no cards") {
			t.Fatalf("refusal %d: %v", i, r)
		}
	}
	if s := refusals[mdMaxRefusals]; s.NoteID != 0 || s.Deck != "" || s.Reason != "and 500 more notes were left out or imported only in part (only the first 1,000 are listed)" {
		t.Errorf("summary %+v", s)
	}
}

// mdCancelAfter is a context whose Err is Canceled from its nth call on.
type mdCancelAfter struct {
	context.Context
	n, calls int
}

func (c *mdCancelAfter) Err() error {
	c.calls++
	if c.calls >= c.n {
		return context.Canceled
	}
	return nil
}

func TestMarkdownCancel(t *testing.T) {
	c := mdBigDeck(3000, func(i int) []string { return []string{fmt.Sprintf("Q%d", i), "A"} })
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	files, refusals, err := Markdown(ctx, c, decks.UploadLimits)
	if !errors.Is(err, context.Canceled) || files != nil || refusals != nil {
		t.Errorf("cancelled: %d files, %d refusals, %v", len(files), len(refusals), err)
	}
	// Cancelled on the way, in the first notes converted.
	for _, n := range []int{2, 5, 20, 40} {
		cc := &mdCancelAfter{Context: context.Background(), n: n}
		files, refusals, err := Markdown(cc, c, decks.Limits{})
		if !errors.Is(err, context.Canceled) || files != nil || refusals != nil {
			t.Errorf("cancelled at look %d: %d files, %d refusals, %v", n, len(files), len(refusals), err)
		}
		if cc.calls > n+3 { // a parse looks at the end too
			t.Errorf("cancelled at look %d: looked %d times", n, cc.calls)
		}
	}
	// Not cancelled: it looks every few hundred notes.
	cc := &mdCancelAfter{Context: context.Background(), n: 1 << 30}
	if _, _, err := Markdown(cc, c, decks.UploadLimits); err != nil {
		t.Fatal(err)
	}
	if cc.calls < 3000/mdCheckEvery {
		t.Errorf("looked at the context %d times for 3000 notes", cc.calls)
	}
}

// TestMarkdownDeepHTML checks that HTML nested deeper than x/net/html
// parses refuses its note, wherever it is, and nothing else.
func TestMarkdownDeepHTML(t *testing.T) {
	deep := strings.Repeat("<div>", 513) + "x"
	c := &Collection{
		Decks: map[int64]CollectionDeck{1: {ID: 1, Name: "Deep"}},
		Notetypes: map[int64]Notetype{
			1: {ID: 1, Name: "Basic", Fields: []string{"Front", "Back"}},
			2: {ID: 2, Name: "Cloze", Cloze: true, Fields: []string{"Text", "Back Extra"}},
		},
	}
	add := func(nt int64, f ...string) {
		id := int64(len(c.Notes) + 1)
		c.Notes = append(c.Notes, CollectionNote{ID: id, GUID: fmt.Sprint("n", id), NotetypeID: nt, Fields: f})
		c.Cards = append(c.Cards, CollectionCard{ID: 100 + id, NoteID: id, DeckID: 1})
	}
	add(1, "Deep back?", deep)
	add(1, deep, "Deep front")
	add(1, "Deep third field?", "Back", deep)
	add(2, "{{c1::a}} "+deep, "")
	add(2, "{{c1::a::"+strings.Repeat("<b>", 600)+"}} b", "")
	add(2, `<p class="cue">`+strings.Repeat("<i>", 600)+"</p>{{c1::a}}", "")
	add(2, "{{c1::a}}", deep)
	add(2, "{{c1::a}} "+strings.Repeat("<b>", 600), "") // a made cue
	add(1, "Not so deep?", strings.Repeat("<div>", 500)+"fine")
	add(1, "Plain", "card")
	r := convertTest(t, c)
	if f := r.files["Deep"]; f.Notes != 2 {
		t.Errorf("%d notes imported:\n%s", f.Notes, f.Markdown)
	}
	for id := int64(1); id <= 8; id++ {
		if got := r.refusals[id]; len(got) != 1 || got[0] != errMdHTMLDepth.Error() {
			t.Errorf("note %d: %q", id, got)
		}
	}
	if !strings.Contains(r.all[0].Reason, "its HTML nests deeper than 510 elements") {
		t.Errorf("reason %q", r.all[0].Reason)
	}
	if len(r.all) != 8 {
		t.Errorf("refusals %v", r.all)
	}
	if _, err := mdConvert(deep, nil); err != errMdHTMLDepth {
		t.Errorf("mdConvert: %v", err)
	}
}

func TestMdCount(t *testing.T) {
	for n, want := range map[int]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 5000: "5,000", 179500: "179,500", 1234567: "1,234,567", -4200: "-4,200"} {
		if got := mdCount(n); got != want {
			t.Errorf("mdCount(%d) = %q, want %q", n, got, want)
		}
	}
	for n, want := range map[int]string{16 << 20: "16 MiB", 512 << 10: "512 KiB", 4 << 10: "4 KiB", 1500: "1 KiB", 10: "10 bytes"} {
		if got := mdSize(n); got != want {
			t.Errorf("mdSize(%d) = %q, want %q", n, got, want)
		}
	}
}

// BenchmarkMarkdown converts decks of 5,000 and 20,000 notes, within
// the upload limits (the notes past 5,000 are left out, unconverted) and
// without limits (every note imported), and reports the time per note,
// which must not grow with the deck.
func BenchmarkMarkdown(b *testing.B) {
	for _, l := range []struct {
		name string
		lim  decks.Limits
	}{{"upload", decks.UploadLimits}, {"nolimit", decks.Limits{}}} {
		for _, n := range []int{5000, 20000} {
			b.Run(fmt.Sprintf("%s/%d", l.name, n), func(b *testing.B) {
				c := mdBigDeck(n, func(i int) []string {
					return []string{fmt.Sprintf("Question <b>%d</b>?", i), fmt.Sprintf("Answer %d<br>more", i)}
				})
				for b.Loop() {
					if _, _, err := Markdown(b.Context(), c, l.lim); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/note")
			})
		}
	}
}
