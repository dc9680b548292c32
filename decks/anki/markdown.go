package anki

// Markdown turns an Anki collection (what ReadPackage read) into flashd
// decks: one Markdown file per Anki deck, in the format of package decks,
// which the user gets back and may edit. The decisions:
//
//   - Keys and GUIDs: every card's heading ends in an explicit key,
//     NoteKey(guid): "anki-" and the GUID's bytes in lowercase hex (GUIDs
//     of up to 29 bytes, which covers Anki's 10-character base91 GUIDs and
//     most others), so that GUIDFromKey gives the GUID back: an exported
//     card keeps its Anki GUID (Anki updates the note instead of adding a
//     duplicate), and importing the same package again updates the same
//     flashd cards. A longer GUID gets "anki-h" and 24 hex characters of
//     its SHA-256: the key is still stable, but the GUID is not kept
//     (GUIDFromKey reports false; an export gives the card a new GUID).
//     Neither is a GUID holding bytes other than printable ASCII.
//     Notes sharing a GUID: the first (by note id) is imported, the others
//     refused.
//   - Decks: one file per Anki deck holding the first card (lowest
//     template or cloze ord) of some note; a note belongs to that deck even
//     when its other cards sit elsewhere. Cards in a filtered deck count
//     for their home deck (CollectionCard.DeckID). A deck none of whose
//     notes can be imported gives no file. Files come in deck name order.
//     The front matter holds id (the slug), title (the full deck name,
//     levels joined by "::", without the "flashd::" that flashd's exports
//     put their decks under, so a deck that went to Anki and back keeps its
//     title) and tags.
//   - Slug: "anki-" and the name folded to [a-z0-9-] (lower case, accents
//     dropped, every other run of characters, "::" included, becoming one
//     "-"), at most 64 characters in all. A name that folds to nothing, is
//     cut to fit, or folds to the slug of a deck earlier in name order
//     gets "-" and 8 or more hex characters of the SHA-256 of its name
//     instead, so that distinct names get distinct slugs and the same
//     package always gives the same ones.
//   - Tags: flashd cards carry no tags. A tag carried by every note the
//     deck imports (compared case-insensitively, spelt as in the first
//     note) goes into the front matter, unless it is a "section::..." tag,
//     a kind tag (takeaway, trap, scenario, topic) or not a valid flashd
//     tag (letters, digits, - _ :); every other note tag is dropped.
//   - Sections: a note tagged (case-insensitively) "takeaway" goes under
//     "## Key takeaways", one tagged "trap" under "## Traps" (trap wins
//     over takeaway), every other note under "## Cards", in that section
//     order. A flashd choice card comes back from Anki as a Basic note
//     tagged "scenario" whose options are text now: it is a plain question
//     card under "## Cards". Within a section, cards are in note id order
//     (Anki's creation order).
//   - Basic (non-cloze) note types: the front is field 0, the back field 1
//     and then every further non-empty field, each as its own block. A note
//     type with one field, an empty front or an empty back is refused. Only
//     the note's card of template 1 (ord 0) is imported (flashd makes one
//     card per note, front to back): a note with cards of other templates
//     ("Basic (and reversed card)") is still imported, with a notice (a
//     Refusal naming the templates left out), and the Cards map holds only
//     its ord 0 card (none when that card was deleted in Anki).
//   - Cloze note types: the text is field 0 (or, for a note type whose
//     field 0 holds no deletion, the first field that does), followed by
//     the other non-empty fields (Back Extra) as blocks of their own. Anki's
//     {{cN::text::hint}} markup is kept, hint included. If the text starts
//     with <p class="cue">...</p> (written by flashd's exporter), that is
//     the heading; otherwise the heading is a cue made from the text as
//     plain text with every deletion shown as "[...]" (or "[hint]"), so it
//     never gives an answer away, cut at a word boundary near 60
//     characters with "…". HTML comments in the text are dropped first (a
//     deletion in one shows nothing). A note without a deletion, with a
//     cloze number above 500, a deletion on several cards ({{c1,2::...}}),
//     nested deletions or image occlusions is refused. The Cards map takes
//     Anki's card of ord o to KEY/c(o+1) when the text holds that cloze
//     number; Anki's empty cards (a number no longer in the text) map to
//     nothing.
//   - Headings: the front on one line (its blocks joined with <br>, list
//     items shown as "•", headings and quotes as their text, table rows as
//     their cells joined with " | ", code block lines as code spans), then
//     " {#KEY}". Fronts are unique in a flashd deck (case- and
//     space-insensitively): a repeated one gets " (2)", " (3)"... in note
//     id order.
//   - Field HTML is sanitised with bluemonday's UGC policy (plus the
//     language-* class of code), then converted with html-to-markdown
//     (CommonMark, GFM tables and strikethrough; sub, sup, u, mark, kbd,
//     ins and small stay HTML). Headings inside a field are moved three
//     levels down (h1 becomes "####"), since "#" to "###" structure the
//     deck. Text stays literal: html-to-markdown escapes Markdown syntax
//     ("### x" at a line start becomes "\### x"); "{{" that flashd would
//     read as a cloze ("{{c1:") outside a cloze deletion is written
//     "&#123;&#123;" (in code, the code is written as HTML with entities,
//     as is a code block inside a list item, whose indented fences decks
//     would misread); a text entity ("&amp;") stays one; hard line breaks
//     are a trailing backslash; a heading ending in "{#...}" gets its "{"
//     as "&#123;". "[sound:NAME]" becomes a link to NAME with the text
//     "▶ NAME", and images keep their src: media are referenced by their
//     Anki (flat) file names, as written, so that the server can serve them
//     from the package's media.
//   - Limits and validity: a deck's notes are taken in note id order
//     within the limits given (zero: none beyond the per-card ones, 8 KiB
//     per card...). A note is checked against the deck's card and byte
//     limits before it is converted (it needs at least its key's room)
//     and again once its Markdown is known, counting the front matter at
//     its longest (with every tag of the deck's first note); only then is
//     it parsed alone with decks, a note the parser refuses being refused
//     with its message (and not counted), and its HTML counted against
//     the deck's HTML limit. The first note that would pass a limit ends
//     the deck: it and every later note of the deck are refused with the
//     limit, without being converted or parsed, so that the work is in
//     proportion to the notes imported or refused for themselves, not to
//     the size of the deck. The cards kept must then parse as one deck
//     within the limits: any card the whole deck still fails at is
//     refused with the message, and the rest parsed again (a few times at
//     most), so that one bad note never loses its deck.
//   - Refusals: every note left out, and every notice, is a Refusal, in
//     note id order, but only the first 100 notes past the limit of a
//     deck are listed, then one summary ("and 179,500 more notes past the
//     deck's limit of 5,000 cards were left out"), and only 1,000
//     refusals in all (the first made: those of notes belonging to no
//     deck, of an unknown note type or a taken GUID, then deck by deck in
//     name order), then one summary of the rest. Summaries have NoteID 0
//     and come last.
//   - Cancellation: Markdown looks at its context every 256 notes and
//     while it parses, and returns the context's error once it is done.
//   - HTML nested deeper than x/net/html parses (about 510 elements) is
//     refused with that reason.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/JohannesKaufmann/html-to-markdown/v2/converter"
	"github.com/JohannesKaufmann/html-to-markdown/v2/marker"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/base"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/commonmark"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/strikethrough"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/table"
	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/text/unicode/norm"

	"github.com/flashd/flashd/decks"
)

// DeckFile is one flashd deck made from an Anki deck.
type DeckFile struct {
	AnkiDeckID int64
	Name       string // the Anki deck's full name, the deck's title
	Slug       string // the deck's id
	Markdown   []byte
	// Cards maps the id of each Anki card imported to the key of its
	// flashd card.
	Cards map[int64]string
	Notes int // notes imported
}

// Refusal is a note left out of the decks, or a notice about a note
// imported without some of its cards: such a Reason starts with
// "imported". A Refusal with NoteID 0 (and no GUID) is a summary standing
// for notes not listed one by one: those past the first 100 notes over a
// deck's limit (Deck names the deck), or past the first 1,000 refusals in
// all (Deck is empty); its Reason starts with "and" and counts them.
// Summaries come after the notes listed.
type Refusal struct {
	NoteID int64
	GUID   string
	Deck   string
	Reason string
}

func (r Refusal) Error() string {
	return fmt.Sprintf("note %d (guid %q) in deck %q: %s", r.NoteID, r.GUID, r.Deck, r.Reason)
}

func (r Refusal) String() string { return r.Error() }

// mdHexGUIDMax is the longest GUID, in bytes, that NoteKey writes in hex:
// "anki-" and 58 hex characters make 63, within a key's 64.
const mdHexGUIDMax = 29

// NoteKey is the flashd card key of an Anki note: "anki-" and the GUID's
// bytes in lowercase hex for a GUID of 1 to 29 bytes, else "anki-h" and 24
// hex characters of the GUID's SHA-256. Either matches flashd's key
// pattern.
func NoteKey(guid string) string {
	if guid != "" && len(guid) <= mdHexGUIDMax {
		return "anki-" + hex.EncodeToString([]byte(guid))
	}
	sum := sha256.Sum256([]byte(guid))
	return "anki-h" + hex.EncodeToString(sum[:12])
}

// GUIDFromKey is the GUID of the Anki note a key was made from by NoteKey.
// It reports false for any other key, for a hashed key (a GUID longer
// than 29 bytes is not kept), and for a key whose GUID is not printable
// ASCII.
func GUIDFromKey(key string) (string, bool) {
	h, ok := strings.CutPrefix(key, "anki-")
	if !ok || h == "" || len(h)%2 != 0 || len(h) > 2*mdHexGUIDMax {
		return "", false
	}
	for i := 0; i < len(h); i++ {
		if c := h[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return "", false
		}
	}
	b, err := hex.DecodeString(h)
	if err != nil {
		return "", false
	}
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return "", false
		}
	}
	return string(b), true
}

// The sections cards go to, in file order.
const (
	mdSectionTakeaways = "Key takeaways"
	mdSectionTraps     = "Traps"
	mdSectionCards     = "Cards"
)

var mdSections = []string{mdSectionTakeaways, mdSectionTraps, mdSectionCards}

// mdEntry is one note on its way to a card.
type mdEntry struct {
	note    *CollectionNote
	nt      Notetype
	cards   []CollectionCard // the note's cards, by ord and id
	key     string
	front   string // one line of Markdown, without the key
	body    string
	section string
	cloze   bool
	// ords maps the note's Anki card ids to their template (basic) or
	// cloze ord.
	ords    map[int64]int
	notice  string // reason of a notice given if the note is imported
	htmlLen int    // rendered size, from its lone parse
	nums    map[int]bool
	chunk   string // the card's Markdown in the file
}

// How many refusals Markdown lists one by one: at most mdMaxPastLimit
// notes past the limit of each deck, at most mdMaxRefusals in all; a
// summary (NoteID 0) counts the rest.
const (
	mdMaxPastLimit = 100
	mdMaxRefusals  = 1000
)

// mdCheckEvery is how many notes Markdown takes between two looks at its
// context.
const mdCheckEvery = 256

// mdMaxDeckParses bounds how many times a deck is parsed whole, each
// time without the cards the last parse failed at. One parse reports
// every card it fails at, so a second is rare and a third should not
// happen.
const mdMaxDeckParses = 8

// mdRefusals collects refusals, listing a bounded number of them.
type mdRefusals struct {
	listed    []Refusal // one note each
	summaries []Refusal // NoteID 0, in the order made
	more      int       // notes past mdMaxRefusals, not listed
}

// add lists a refusal, or counts it once mdMaxRefusals are listed.
func (r *mdRefusals) add(x Refusal) {
	if len(r.listed)+len(r.summaries) >= mdMaxRefusals {
		r.more++
		return
	}
	r.listed = append(r.listed, x)
}

// summarise adds a summary of n notes not listed.
func (r *mdRefusals) summarise(deck string, n int, reason string) {
	if len(r.listed)+len(r.summaries) >= mdMaxRefusals {
		r.more += n
		return
	}
	r.summaries = append(r.summaries, Refusal{Deck: deck, Reason: reason})
}

// all is every refusal: those listed in note id order, then the
// summaries.
func (r *mdRefusals) all() []Refusal {
	sort.SliceStable(r.listed, func(i, j int) bool { return r.listed[i].NoteID < r.listed[j].NoteID })
	out := append(r.listed, r.summaries...)
	if r.more > 0 {
		out = append(out, Refusal{Reason: fmt.Sprintf("and %s more %s left out or imported only in part (only the first %s are listed)",
			mdCount(r.more), mdNotes(r.more, "note was", "notes were"), mdCount(mdMaxRefusals))})
	}
	return out
}

// mdCount is n with its thousands separated by commas.
func mdCount(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// mdNotes is one or many as n is 1 or not.
func mdNotes(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// mdSize is a number of bytes in MiB, KiB or bytes, whichever is exact
// (or KiB, rounded down).
func mdSize(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// mdTicker counts notes and looks at ctx every mdCheckEvery of them.
type mdTicker struct {
	ctx context.Context
	n   int
}

func (t *mdTicker) tick() error {
	t.n++
	if t.n%mdCheckEvery == 0 {
		return t.ctx.Err()
	}
	return nil
}

// Markdown converts the collection into flashd decks, and reports each
// note left out (or imported only in part) with the reason, within the
// bounds given by Refusal. It returns ctx.Err() (and nothing else) once
// ctx is done, which it checks every few hundred notes and while it
// parses.
func Markdown(ctx context.Context, c *Collection, lim decks.Limits) ([]DeckFile, []Refusal, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	if c == nil {
		return nil, nil, nil
	}
	rs := &mdRefusals{}
	refuse := func(n *CollectionNote, deck, format string, args ...any) {
		rs.add(Refusal{NoteID: n.ID, GUID: n.GUID, Deck: deck, Reason: fmt.Sprintf(format, args...)})
	}
	deckName := func(id int64) string {
		if d, ok := c.Decks[id]; ok && strings.TrimSpace(d.Name) != "" {
			name := strings.TrimSpace(d.Name)
			// A deck flashd exported comes back under its own title.
			if len(name) > len(exportParent) && strings.EqualFold(name[:len(exportParent)], exportParent) {
				name = strings.TrimSpace(name[len(exportParent):])
			}
			return name
		}
		return fmt.Sprintf("Anki deck %d", id)
	}
	tk := &mdTicker{ctx: ctx}

	cardsOf := map[int64][]CollectionCard{}
	for _, card := range c.Cards {
		cardsOf[card.NoteID] = append(cardsOf[card.NoteID], card)
	}
	notes := make([]*CollectionNote, len(c.Notes))
	for i := range c.Notes {
		notes[i] = &c.Notes[i]
	}
	sort.SliceStable(notes, func(i, j int) bool { return notes[i].ID < notes[j].ID })

	// What can be judged of a note without converting it: its deck, its
	// note type and its key. The conversion waits for mdDeck, which
	// converts only the notes its deck's limits leave room for.
	byDeck := map[int64][]*mdEntry{}
	keyOwner := map[string]int64{}
	for _, n := range notes {
		if err := tk.tick(); err != nil {
			return nil, nil, err
		}
		cards := cardsOf[n.ID]
		if len(cards) == 0 {
			refuse(n, "", "the note has no cards, so it belongs to no deck")
			continue
		}
		sort.SliceStable(cards, func(i, j int) bool {
			if cards[i].Ord != cards[j].Ord {
				return cards[i].Ord < cards[j].Ord
			}
			return cards[i].ID < cards[j].ID
		})
		deckID := cards[0].DeckID
		nt, ok := c.Notetypes[n.NotetypeID]
		if !ok {
			refuse(n, deckName(deckID), "its note type %d is not in the package", n.NotetypeID)
			continue
		}
		key := NoteKey(n.GUID)
		if first, dup := keyOwner[key]; dup {
			refuse(n, deckName(deckID), "its GUID is also that of note %d: only the first note of a GUID is taken", first)
			continue
		}
		keyOwner[key] = n.ID
		e := &mdEntry{note: n, nt: nt, cards: cards, key: key, ords: make(map[int64]int, len(cards)), section: mdSectionOf(n.Tags)}
		for _, card := range cards {
			e.ords[card.ID] = card.Ord
		}
		byDeck[deckID] = append(byDeck[deckID], e)
	}

	// Slugs are given in name order over every deck holding a note, so
	// that they do not depend on which notes are refused.
	ids := make([]int64, 0, len(byDeck))
	for id := range byDeck {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool {
		if a, b := deckName(ids[i]), deckName(ids[j]); a != b {
			return a < b
		}
		return ids[i] < ids[j]
	})
	taken := map[string]bool{}
	var files []DeckFile
	for _, id := range ids {
		name := deckName(id)
		slug := mdSlug(name, taken)
		taken[slug] = true
		f, err := mdDeck(tk, id, name, slug, byDeck[id], lim, rs)
		if err != nil {
			return nil, nil, err
		}
		if f != nil {
			files = append(files, *f)
		}
	}
	return files, rs.all(), nil
}

// convert fills e from its note, or returns why not.
func (e *mdEntry) convert() string {
	var reason string
	if e.nt.Cloze {
		reason = e.fromCloze(e.note)
	} else {
		reason = e.fromBasic(e.note, e.nt, e.cards)
	}
	if reason == "" {
		if c := TagsComment(e.note.Tags); c != "" {
			e.body += "\n\n" + c
		}
	}
	return reason
}

// TagsComment is the HTML comment a card body ends with to keep its
// Anki note's tags (flashd's deck format has tags per deck only): the
// note's tags but the kind and "section::" tags flashd's export makes
// from the section, or "" when none is left. Learners never see it; the
// Anki exporter reads it back (CommentTags), so the tags go back to Anki.
func TagsComment(tags []string) string {
	var keep []string
	for _, t := range tags {
		l := strings.ToLower(t)
		switch {
		case strings.HasPrefix(l, "section::"), l == "takeaway", l == "trap", l == "scenario", l == "topic":
			continue
		case strings.Contains(t, "--") || strings.ContainsAny(t, "<>{}"):
			continue // cannot stand in a comment, or would read as a cloze
		}
		keep = append(keep, t)
	}
	if len(keep) == 0 {
		return ""
	}
	return "<!-- anki tags: " + strings.Join(keep, " ") + " -->"
}

// tagsCommentPattern finds TagsComment's comments in Markdown.
var tagsCommentPattern = regexp.MustCompile(`<!-- anki tags: ([^<>]*?) -->`)

// CommentTags returns the tags of the TagsComment comments in a card's
// Markdown source.
func CommentTags(src string) []string {
	var tags []string
	for _, m := range tagsCommentPattern.FindAllStringSubmatch(src, -1) {
		tags = append(tags, strings.Fields(m[1])...)
	}
	return tags
}

// mdSectionOf is the section of a note by its flashd kind tag.
func mdSectionOf(tags []string) string {
	section := mdSectionCards
	for _, t := range tags {
		switch strings.ToLower(t) {
		case "trap":
			return mdSectionTraps
		case "takeaway":
			section = mdSectionTakeaways
		}
	}
	return section
}

// fromBasic fills e from a note of a non-cloze type, or returns why not.
func (e *mdEntry) fromBasic(n *CollectionNote, nt Notetype, cards []CollectionCard) string {
	if len(nt.Fields) == 1 || len(nt.Fields) == 0 && len(n.Fields) < 2 {
		return fmt.Sprintf("its note type %q has one field: a flashd card needs a front and a back", nt.Name)
	}
	front, err := mdFront(mdField(n.Fields, 0))
	if err != nil {
		return err.Error()
	}
	if front == "" {
		return "front is empty"
	}
	var back []string
	for i := 1; i < len(n.Fields); i++ {
		md, err := mdConvert(n.Fields[i], nil)
		if err != nil {
			return err.Error()
		}
		if md != "" {
			back = append(back, md)
		}
	}
	if len(back) == 0 {
		return "back is empty"
	}
	e.front, e.body = front, strings.Join(back, "\n\n")
	var left []string
	seen := map[int]bool{}
	for _, card := range cards {
		if card.Ord == 0 {
			continue
		}
		delete(e.ords, card.ID)
		if !seen[card.Ord] {
			seen[card.Ord] = true
			left = append(left, strconv.Itoa(card.Ord+1))
		}
	}
	if len(left) > 0 {
		which := "template " + left[0]
		if len(left) > 1 {
			which = "templates " + strings.Join(left[:len(left)-1], ", ") + " and " + left[len(left)-1]
		}
		e.notice = fmt.Sprintf("imported as one card, front to back: its cards of %s are left out (flashd makes one card per note)", which)
		if cards[0].Ord != 0 {
			e.notice = fmt.Sprintf("imported as one card, front to back, from no Anki card (it has none of template 1): its cards of %s are left out (flashd makes one card per note)", which)
		}
	}
	return ""
}

// mdField is field i of a note, or "".
func mdField(fields []string, i int) string {
	if i < len(fields) {
		return fields[i]
	}
	return ""
}

var (
	// mdCue is the cue flashd's exporter writes at the top of a cloze
	// text.
	mdCue     = regexp.MustCompile(`(?is)^\s*<p\s+class\s*=\s*"cue"\s*>(.*?)</p>`)
	mdComment = regexp.MustCompile(`(?s)<!--.*?-->`)
)

// fromCloze fills e from a note of a cloze type, or returns why not.
func (e *mdEntry) fromCloze(n *CollectionNote) string {
	e.cloze = true
	textAt := -1
	for i, f := range n.Fields {
		if mdClozeOpen.MatchString(f) {
			textAt = i
			break
		}
	}
	if textAt < 0 {
		return "the cloze note has no deletion ({{c1::...}})"
	}
	// Comments go first: a deletion in one would be a card showing
	// nothing.
	text := mdComment.ReplaceAllString(strings.ReplaceAll(n.Fields[textAt], "\r", ""), "")
	front := ""
	if m := mdCue.FindStringSubmatchIndex(text); m != nil {
		cue, err := mdFront(text[m[2]:m[3]])
		if err != nil {
			return err.Error()
		}
		front, text = cue, text[m[1]:]
	}
	dels, err := mdDeletions(text)
	if err != nil {
		return err.Error()
	}
	if len(dels) == 0 {
		return "the cloze note has no deletion ({{c1::...}})"
	}
	if front == "" {
		if front, err = mdMakeCue(text, dels); err != nil {
			return err.Error()
		}
	}
	md, err := mdConvert(text, dels)
	if err != nil {
		return err.Error()
	}
	if md == "" {
		return "the cloze text is empty"
	}
	parts := []string{md}
	for i, f := range n.Fields {
		if i == textAt {
			continue
		}
		md, err := mdConvert(f, nil)
		if err != nil {
			return err.Error()
		}
		if md != "" {
			parts = append(parts, md)
		}
	}
	e.front, e.body = front, strings.Join(parts, "\n\n")
	return ""
}

// mdDeletion is one cloze deletion of a field, at byte offsets of it.
type mdDeletion struct {
	start, end int // "{{" and past "}}"
	textEnd    int // end of the text (start of "::hint" or "}}")
	textStart  int
	num        int
	hint       string // plain text
}

var (
	// mdClozeOpen is what opens a deletion in Anki.
	mdClozeOpen = regexp.MustCompile(`\{\{c(\d+(?:,\d+)*)::`)
	// mdClozeIntent is what flashd reads as a cloze ("{{c1:", near misses
	// included); its first group is "{{".
	mdClozeIntent = regexp.MustCompile(`(\{\{)c[\d,]*:`)
)

// mdDeletions finds the deletions of a cloze text as Anki does: each
// "{{cN::" up to the next "}}", the hint after the first "::" inside. An
// open deletion that is never closed is text.
func mdDeletions(s string) ([]mdDeletion, error) {
	var out []mdDeletion
	pos := 0
	for {
		m := mdClozeOpen.FindStringSubmatchIndex(s[pos:])
		if m == nil {
			return out, nil
		}
		start, inner := pos+m[0], pos+m[1]
		nums := s[pos+m[2] : pos+m[3]]
		end := strings.Index(s[inner:], "}}")
		if end < 0 {
			return out, nil
		}
		content := s[inner : inner+end]
		if strings.Contains(content, "{{") {
			return nil, errors.New("it has a deletion inside a deletion, which flashd does not support")
		}
		if strings.Contains(nums, ",") {
			return nil, fmt.Errorf("its deletion {{c%s::...}} is on several cards, which flashd does not support", nums)
		}
		num, err := strconv.Atoi(nums)
		switch {
		case err != nil || num > decks.MaxClozeNumber:
			return nil, fmt.Errorf("cloze number c%s: flashd allows at most c%d", nums, decks.MaxClozeNumber)
		case num < 1:
			return nil, fmt.Errorf("cloze number c%s: numbers start at c1", nums)
		case strings.HasPrefix(strings.TrimSpace(content), "image-occlusion:"):
			return nil, errors.New("it is an image occlusion note, which flashd does not support")
		}
		d := mdDeletion{start: start, end: inner + end + 2, textStart: inner, textEnd: inner + end, num: num}
		if i := strings.Index(content, "::"); i >= 0 {
			d.textEnd = inner + i
			if d.hint, err = mdPlain(content[i+2:]); err != nil {
				return nil, err
			}
		}
		out = append(out, d)
		pos = d.end
	}
}

// mdMaxCue is about the longest cue made from a cloze text, in characters.
const mdMaxCue = 60

// mdMakeCue is the heading of a cloze note without a cue: its text as
// plain text, deletions shown as "[...]" or "[hint]", cut near 60
// characters, as Markdown.
func mdMakeCue(text string, dels []mdDeletion) (string, error) {
	var b strings.Builder
	last := 0
	for _, d := range dels {
		b.WriteString(text[last:d.start])
		shown := "[...]"
		if d.hint != "" {
			shown = "[" + d.hint + "]"
		}
		b.WriteString(html.EscapeString(shown))
		last = d.end
	}
	b.WriteString(text[last:])
	plain, err := mdPlain(b.String())
	if err != nil {
		return "", err
	}
	cue := strings.Join(strings.Fields(mdSound.ReplaceAllString(plain, "")), " ")
	if utf8.RuneCountInString(cue) > mdMaxCue {
		r := []rune(cue)
		cut := mdMaxCue
		for i := mdMaxCue; i > mdMaxCue/2; i-- {
			if r[i] == ' ' {
				cut = i
				break
			}
		}
		cue = strings.TrimRight(string(r[:cut]), " ,;:-") + "…"
	}
	if cue == "" {
		cue = "[...]"
	}
	return mdEscapeText(cue), nil
}

// mdListNumber is the start of text that would read as an ordered list
// item.
var mdListNumber = regexp.MustCompile(`^(\d+)([.)])`)

// mdEscapeText writes plain text as Markdown that shows it as is.
func mdEscapeText(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch r {
		case '\\', '`', '*', '_', '[', ']', '<', '>', '!', '&', '~', '|', '{', '}', '#', '$':
			b.WriteByte('\\')
		case '-', '+', '=':
			if i == 0 {
				b.WriteByte('\\')
			}
		}
		b.WriteRune(r)
	}
	out := b.String()
	// "1. x" would be a list.
	if m := mdListNumber.FindStringSubmatchIndex(out); m != nil {
		out = out[:m[4]] + `\` + out[m[4]:]
	}
	return out
}

// mdPlain is the text an HTML fragment shows, white space collapsed:
// blocks and line breaks are spaces, images nothing.
func mdPlain(h string) (string, error) {
	nodes, err := mdParseFragment(h)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		switch n.Type {
		case html.TextNode:
			b.WriteString(n.Data)
			return
		case html.ElementNode:
			switch n.DataAtom {
			case atom.Script, atom.Style, atom.Template, atom.Textarea:
				return
			case atom.Br:
				b.WriteByte(' ')
			}
		}
		block := n.Type == html.ElementNode && mdBlockElement(n.Data)
		if block {
			b.WriteByte(' ')
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
		if block {
			b.WriteByte(' ')
		}
	}
	for _, n := range nodes {
		walk(n)
	}
	return strings.Join(strings.Fields(b.String()), " "), nil
}

// mdBlockElement reports whether an element is a block, or a table cell.
func mdBlockElement(name string) bool {
	switch name {
	case "address", "article", "aside", "blockquote", "caption", "dd", "details",
		"div", "dl", "dt", "figcaption", "figure", "footer", "h1", "h2", "h3",
		"h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre",
		"section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul":
		return true
	}
	return false
}

// Field conversion.

// The words that stand, during conversion, for what html-to-markdown must
// not touch; no real text holds them.
const (
	mdTokOpen  = "zqxankio" // + i + "zqx": a deletion's "{{cN::"
	mdTokClose = "zqxankic" // its "::hint}}" or "}}"
	mdTokBrace = "zqxankib" // "{{" flashd would read as a cloze
	mdTokAmp   = "zqxankia" // "&" of text that reads as an entity
	mdTokMedia = "zqxankim" // in mdMediaURL: a media file name
	// mdMediaURL stands for a media file during conversion.
	mdMediaURL = "https://media.invalid/"
)

var (
	mdTokens     = regexp.MustCompile(`(?:` + regexp.QuoteMeta(mdMediaURL) + `)?zqxanki([ocbam])(\d*)zqx`)
	mdEntityLike = regexp.MustCompile(`&(#[0-9]+;|#[xX][0-9a-fA-F]+;|[A-Za-z][A-Za-z0-9]*;)`)
	mdSound      = regexp.MustCompile(`\[sound:([^\]]*)\]`)
	mdScheme     = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)
	mdPlainDest  = regexp.MustCompile(`^[A-Za-z0-9._~!$*+,;=:@%/-]+$`)
)

var (
	mdOnce      sync.Once
	mdConverter *converter.Converter
	mdPolicy    *bluemonday.Policy
)

func mdSetup() {
	mdPolicy = bluemonday.UGCPolicy()
	mdPolicy.AllowAttrs("class").Matching(regexp.MustCompile(`^language-[\w+#.-]+$`)).OnElements("code")
	mdConverter = converter.NewConverter(converter.WithPlugins(
		base.NewBasePlugin(),
		commonmark.NewCommonmarkPlugin(),
		strikethrough.NewStrikethroughPlugin(),
		table.NewTablePlugin(),
	))
	r := mdConverter.Register
	for _, tag := range []string{"sub", "sup", "u", "mark", "kbd", "ins", "small"} {
		r.RendererFor(tag, converter.TagTypeInline, mdRenderInlineHTML, converter.PriorityEarly)
	}
	r.RendererFor("code", converter.TagTypeInline, mdRenderCode(false), converter.PriorityEarly)
	r.RendererFor("pre", converter.TagTypeBlock, mdRenderCode(true), converter.PriorityEarly)
	r.TextTransformer(func(_ converter.Context, s string) string {
		s = mdEntityLike.ReplaceAllString(s, mdTokAmp+"zqx$1")
		return mdClozeIntent.ReplaceAllStringFunc(s, func(m string) string { return mdTokBrace + "zqx" + m[2:] })
	}, converter.PriorityEarly)
}

// mdRenderInlineHTML keeps an inline element as an HTML tag around its
// content as Markdown.
func mdRenderInlineHTML(ctx converter.Context, w converter.Writer, n *html.Node) converter.RenderStatus {
	w.WriteString("<" + n.Data + ">")
	ctx.RenderChildNodes(ctx, w, n)
	w.WriteString("</" + n.Data + ">")
	return converter.RenderSuccess
}

// mdRenderCode renders as HTML, with entities for the characters decks
// would read as syntax, code that flashd would read as a cloze ("{{c1:")
// and code blocks in list items (where decks, which reads fences only at
// the start of a line, would take an indented closing fence for an
// opening one, and a "###" line of the code for a card), and leaves other
// code to the Markdown renderer.
func mdRenderCode(block bool) converter.HandleRenderFunc {
	return func(_ converter.Context, w converter.Writer, n *html.Node) converter.RenderStatus {
		inList := false
		for p := n.Parent; block && p != nil; p = p.Parent {
			inList = inList || p.DataAtom == atom.Li
		}
		var b strings.Builder
		var walk func(n *html.Node)
		walk = func(n *html.Node) {
			switch {
			case n.Type == html.TextNode:
				b.WriteString(n.Data)
			case n.Type == html.ElementNode && (n.DataAtom == atom.Br || n.DataAtom == atom.Div):
				b.WriteByte('\n')
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
		walk(n)
		code := b.String()
		if !inList && !mdClozeIntent.MatchString(code) {
			return converter.RenderTryNext
		}
		var e strings.Builder
		for _, r := range code {
			switch r {
			case '<':
				e.WriteString("&lt;")
			case '>':
				e.WriteString("&gt;")
			case '&':
				e.WriteString("&amp;")
			case '"':
				e.WriteString("&#34;")
			case '{':
				e.WriteString("&#123;")
			case '#':
				e.WriteString("&#35;")
			case '`':
				e.WriteString("&#96;")
			case '~':
				e.WriteString("&#126;")
			case '\n':
				if block {
					e.WriteString(string(marker.BytesMarkerCodeBlockNewline))
				} else {
					e.WriteByte(' ')
				}
			default:
				e.WriteRune(r)
			}
		}
		if block {
			w.WriteString("\n\n<pre><code>" + strings.TrimSuffix(e.String(), string(marker.BytesMarkerCodeBlockNewline)) + "</code></pre>\n\n")
		} else {
			w.WriteString("<code>" + e.String() + "</code>")
		}
		return converter.RenderSuccess
	}
}

// mdConvert converts a field's HTML to Markdown. dels are the deletions of
// a cloze text (offsets in h), kept as Anki markup. The error, HTML
// flashd cannot convert (see mdHTMLError), reads as a refusal's reason.
func mdConvert(h string, dels []mdDeletion) (string, error) {
	mdOnce.Do(mdSetup)
	h = strings.ReplaceAll(h, "\r", "")
	if len(dels) > 0 {
		var b strings.Builder
		last := 0
		for i, d := range dels {
			b.WriteString(h[last:d.start])
			fmt.Fprintf(&b, "%s%dzqx", mdTokOpen, i)
			b.WriteString(h[d.textStart:d.textEnd])
			fmt.Fprintf(&b, "%s%dzqx", mdTokClose, i)
			last = d.end
		}
		b.WriteString(h[last:])
		h = b.String()
	}
	var media []string
	h, err := mdPrepare(h, &media)
	if err != nil {
		return "", err
	}
	md, err := mdConverter.ConvertString(mdPolicy.Sanitize(h))
	if err != nil {
		// HTML nested too deeply for x/net/html, which the sanitiser
		// does not flatten.
		return "", mdHTMLError(err)
	}
	md = mdTokens.ReplaceAllStringFunc(md, func(m string) string {
		sm := mdTokens.FindStringSubmatch(m)
		i, _ := strconv.Atoi(sm[2])
		switch sm[1] {
		case "o":
			if i < len(dels) {
				return fmt.Sprintf("{{c%d::", dels[i].num)
			}
		case "c":
			if i < len(dels) {
				if dels[i].hint != "" {
					return "::" + dels[i].hint + "}}"
				}
				return "}}"
			}
		case "b":
			return "&#123;&#123;"
		case "a":
			return "&amp;"
		case "m":
			if i < len(media) {
				return mdDest(media[i])
			}
		}
		return m
	})
	// html-to-markdown escapes text that would read as a heading; this
	// makes sure no line can start a flashd section or card.
	return strings.TrimSpace(mdNoHeadings(md)), nil
}

// mdPrepare readies a field's HTML for the sanitiser: media references
// (image sources without a scheme, "[sound:NAME]") become placeholder
// URLs the sanitiser keeps whatever their name, and headings go three
// levels down.
func mdPrepare(h string, media *[]string) (string, error) {
	nodes, err := mdParseFragment(h)
	if err != nil {
		return "", err
	}
	ref := func(name string) string {
		*media = append(*media, name)
		return fmt.Sprintf("%s%s%dzqx", mdMediaURL, mdTokMedia, len(*media)-1)
	}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; {
			next := c.NextSibling
			walk(c)
			c = next
		}
		switch n.Type {
		case html.ElementNode:
			switch n.DataAtom {
			case atom.Img:
				for i, a := range n.Attr {
					src := strings.TrimSpace(a.Val)
					switch {
					case a.Namespace != "":
					case a.Key == "src" && src != "" && !mdScheme.MatchString(src) && !strings.HasPrefix(src, "//"):
						n.Attr[i].Val = ref(src)
					case a.Key == "alt" || a.Key == "title":
						// Written as is into the Markdown, where flashd
						// would read "{{c1:" as a cloze.
						n.Attr[i].Val = mdClozeIntent.ReplaceAllStringFunc(a.Val, func(m string) string { return "{ {" + m[2:] })
					}
				}
			case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
				level := min(int(n.Data[1]-'0')+3, 6)
				n.Data = "h" + strconv.Itoa(level)
				n.DataAtom = atom.Lookup([]byte(n.Data))
			}
		case html.TextNode:
			if n.Parent != nil && mdSound.MatchString(n.Data) {
				mdSplitSound(n, ref)
			}
		}
	}
	var b strings.Builder
	body := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	for _, n := range nodes {
		body.AppendChild(n)
	}
	walk(body)
	for c := body.FirstChild; c != nil; c = c.NextSibling {
		if err := html.Render(&b, c); err != nil {
			return "", mdHTMLError(err)
		}
	}
	return b.String(), nil
}

// mdMaxHTMLDepth is about how deep x/net/html (which both mdPrepare and
// html-to-markdown parse with) nests elements: it gives up once 512 are
// open, html and body among them.
const mdMaxHTMLDepth = 510

// errMdHTMLDepth is the reason of a note whose HTML nests too deeply.
var errMdHTMLDepth = fmt.Errorf("its HTML nests deeper than %d elements, which flashd cannot convert: simplify the field in Anki", mdMaxHTMLDepth)

// mdHTMLError is an error of x/net/html (or of html-to-markdown, which
// reports them) as a refusal's reason.
func mdHTMLError(err error) error {
	if strings.Contains(err.Error(), "open stack of elements exceeds") {
		return errMdHTMLDepth
	}
	return fmt.Errorf("flashd cannot convert its HTML: %v", err)
}

// mdParseFragment parses a field's HTML as the content of a body.
func mdParseFragment(h string) ([]*html.Node, error) {
	nodes, err := html.ParseFragment(strings.NewReader(h), &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body})
	if err != nil {
		return nil, mdHTMLError(err)
	}
	return nodes, nil
}

// mdSplitSound replaces each "[sound:NAME]" of a text node with a link
// to ref(NAME).
func mdSplitSound(n *html.Node, ref func(string) string) {
	text := n.Data
	for {
		m := mdSound.FindStringSubmatchIndex(text)
		if m == nil {
			n.Data = text
			if text == "" {
				n.Parent.RemoveChild(n)
			}
			return
		}
		if m[0] > 0 {
			n.Parent.InsertBefore(&html.Node{Type: html.TextNode, Data: text[:m[0]]}, n)
		}
		if name := strings.TrimSpace(text[m[2]:m[3]]); name != "" {
			a := &html.Node{Type: html.ElementNode, Data: "a", DataAtom: atom.A, Attr: []html.Attribute{{Key: "href", Val: ref(name)}}}
			a.AppendChild(&html.Node{Type: html.TextNode, Data: "▶ " + name})
			n.Parent.InsertBefore(a, n)
		}
		text = text[m[1]:]
	}
}

// mdDest is a media file name as a Markdown link destination that gives
// the name back as written.
func mdDest(name string) string {
	if mdPlainDest.MatchString(name) {
		return name
	}
	var b strings.Builder
	b.WriteByte('<')
	for _, r := range name {
		switch {
		case r == '\\' || r == '<' || r == '>' || r == '&':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n' || r == '\r':
			b.WriteString("%0A")
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('>')
	return b.String()
}

// mdHeadingLine is a line decks would read as a "#", "##" or "###"
// heading.
var mdHeadingLine = regexp.MustCompile(`^( {0,3})(#{1,3})(?:[ \t]|$)`)

// mdNoHeadings escapes the "#" of any line, outside code blocks, that
// decks would read as a deck heading, and writes hard line breaks as a
// backslash rather than trailing spaces (which editors drop).
func mdNoHeadings(md string) string {
	lines := strings.Split(md, "\n")
	fence := ""
	for i, line := range lines {
		switch {
		case fence != "":
			if decks.FenceClose(line, fence) {
				fence = ""
			}
		case decks.FenceOpen(line) != "":
			fence = decks.FenceOpen(line)
		default:
			if m := mdHeadingLine.FindStringSubmatchIndex(line); m != nil {
				line = line[:m[3]] + `\` + line[m[4]:]
			}
			if t := strings.TrimRight(line, " "); len(line)-len(t) >= 2 && strings.TrimSpace(t) != "" && i+1 < len(lines) {
				line = t + `\`
			}
			lines[i] = line
		}
	}
	return strings.Join(lines, "\n")
}

var (
	mdFrontHeading = regexp.MustCompile(`^#{1,6}(?:[ \t]+|$)`)
	mdFrontBullet  = regexp.MustCompile(`^[-*+][ \t]+`)
	mdFrontOrdered = regexp.MustCompile(`^(\d{1,9})([.)])[ \t]+`)
	mdFrontQuote   = regexp.MustCompile(`^(?:>[ \t]?)+`)
	mdHeadingKey   = regexp.MustCompile(`\{(#[^{}]*\})$`)
)

// mdFront converts a front field to one line of Markdown for a card
// heading.
func mdFront(h string) (string, error) {
	md, err := mdConvert(h, nil)
	if err != nil {
		return "", err
	}
	var parts []string
	fence := ""
	for _, line := range strings.Split(md, "\n") {
		if fence != "" {
			if decks.FenceClose(line, fence) {
				fence = ""
				continue
			}
			if strings.TrimSpace(line) != "" {
				parts = append(parts, mdCodeSpan(line))
			}
			continue
		}
		if f := decks.FenceOpen(line); f != "" {
			fence = f
			continue
		}
		t := strings.TrimSpace(line)
		if t == "<!--THE END-->" {
			continue
		}
		if strings.HasPrefix(t, "|") && strings.HasSuffix(t, "|") && len(t) > 1 {
			// A table row: its cells, without the table.
			if t = mdTableRow(t); t != "" {
				parts = append(parts, t)
			}
			continue
		}
		// A trailing backslash is a hard line break, unless escaped.
		if n := len(t) - len(strings.TrimRight(t, `\`)); n%2 == 1 {
			t = strings.TrimSpace(t[:len(t)-1])
		}
		t = mdFrontHeading.ReplaceAllString(t, "")
		t = mdFrontQuote.ReplaceAllString(t, "")
		t = mdFrontBullet.ReplaceAllString(t, "• ")
		t = mdFrontOrdered.ReplaceAllString(t, `$1\$2 `)
		if t = strings.TrimSpace(t); t != "" {
			parts = append(parts, t)
		}
	}
	front := strings.Join(parts, "<br>")
	if m := mdHeadingKey.FindStringSubmatchIndex(front); m != nil {
		front = front[:m[0]] + "&#123;" + front[m[2]:]
	}
	return front, nil
}

// mdTableDelimiter is the row under a Markdown table's header.
var mdTableDelimiter = regexp.MustCompile(`^\|(?:\s*:?-+:?\s*\|)+$`)

// mdTableRow is a row of a Markdown table as its non-empty cells joined
// with " | ", or "" for the delimiter row or a row of empty cells.
func mdTableRow(row string) string {
	if mdTableDelimiter.MatchString(row) {
		return ""
	}
	var cells []string
	cell := func(c string) {
		if c = strings.TrimSpace(c); c != "" {
			cells = append(cells, c)
		}
	}
	last := 0
	for i := 0; i < len(row); i++ {
		switch row[i] {
		case '\\':
			i++ // an escaped character, "\|" included
		case '|':
			cell(row[last:i])
			last = i + 1
		}
	}
	cell(row[last:])
	return strings.Join(cells, " | ")
}

// mdCodeSpan is a line of code as a code span.
func mdCodeSpan(line string) string {
	longest, run := 0, 0
	for _, r := range line {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if strings.HasPrefix(line, "`") || strings.HasSuffix(line, "`") || strings.TrimSpace(line) != line {
		line = " " + line + " "
	}
	return fence + line + fence
}

// Decks.

// mdSlugHash is n hex characters of the SHA-256 of a deck name.
func mdSlugHash(name string, n int) string {
	sum := sha256.Sum256([]byte(name))
	return hex.EncodeToString(sum[:])[:n]
}

// mdSlug is the deck id of an Anki deck name, distinct from those taken.
func mdSlug(name string, taken map[string]bool) string {
	var b strings.Builder
	dash := false
	for _, r := range norm.NFKD.String(strings.ToLower(name)) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		default:
			dash = true
		}
	}
	plain := b.String()
	const room = 64 - len("anki-")
	if plain != "" && len(plain) <= room && !taken["anki-"+plain] {
		return "anki-" + plain
	}
	// Longer hashes only on a collision of hashes, which does not happen.
	slug := ""
	for n := 8; n <= 48; n += 2 {
		h := mdSlugHash(name, n)
		stem := plain
		if len(stem) > room-len(h)-1 {
			stem = strings.TrimRight(stem[:room-len(h)-1], "-")
		}
		slug = "anki-" + h
		if stem != "" {
			slug = "anki-" + stem + "-" + h
		}
		if !taken[slug] {
			break
		}
	}
	return slug
}

// mdFrontMatter is a deck's front matter.
func mdFrontMatter(slug, title string, tags []string) string {
	q := func(s string) string {
		b, _ := json.Marshal(s) // a JSON string is a YAML double-quoted one
		return string(b)
	}
	var b strings.Builder
	b.WriteString("---\nid: " + slug + "\ntitle: " + q(title) + "\n")
	if len(tags) > 0 {
		quoted := make([]string, len(tags))
		for i, t := range tags {
			quoted[i] = q(t)
		}
		b.WriteString("tags: [" + strings.Join(quoted, ", ") + "]\n")
	}
	b.WriteString("---\n")
	return b.String()
}

// mdTagPattern is what decks allows as a tag.
var mdTagPattern = regexp.MustCompile(`^[\p{L}\p{N}_:-]+$`)

// mdDeckTags are the tags every note of the deck carries, as front
// matter tags.
func mdDeckTags(entries []*mdEntry) []string {
	if len(entries) == 0 {
		return nil
	}
	var tags []string
	seen := map[string]bool{}
	for _, t := range entries[0].note.Tags {
		l := strings.ToLower(t)
		switch {
		case seen[l], strings.HasPrefix(l, "section::"), l == "takeaway", l == "trap", l == "scenario", l == "topic", !mdTagPattern.MatchString(t):
			continue
		}
		seen[l] = true
		tags = append(tags, t)
	}
	for _, e := range entries[1:] {
		has := map[string]bool{}
		for _, t := range e.note.Tags {
			has[strings.ToLower(t)] = true
		}
		kept := tags[:0]
		for _, t := range tags {
			if has[strings.ToLower(t)] {
				kept = append(kept, t)
			}
		}
		tags = kept
	}
	return tags
}

// mdChunk is a card's Markdown, after a blank line.
func mdChunk(front, key, body string) string {
	return "\n### " + front + " {#" + key + "}\n\n" + body + "\n"
}

// mdCardHTML is how much HTML a parsed card holds, as decks counts it.
func mdCardHTML(c decks.Card) int {
	n := len(c.FrontHTML) + len(c.BackHTML) + len(c.ClozeHTML)
	for _, o := range c.Options {
		n += len(o.HTML)
	}
	return n
}

// mdMessages are the messages of a parse error, without file and line.
func mdMessages(err error) string {
	var list decks.ErrorList
	if !errors.As(err, &list) {
		return err.Error()
	}
	msgs := make([]string, len(list))
	for i, e := range list {
		msgs[i] = e.Msg
	}
	return strings.Join(msgs, "; ")
}

// A deck limit, as the notes past it are told.
type mdLimit int

const (
	mdLimitNone mdLimit = iota
	mdLimitCards
	mdLimitBytes
	mdLimitHTML
)

// reason is what a note past the limit is told.
func (l mdLimit) reason(lim decks.Limits) string {
	switch l {
	case mdLimitCards:
		return fmt.Sprintf("the deck already has %d cards, the most a flashd deck may have: split the deck in Anki", lim.Cards)
	case mdLimitBytes:
		return fmt.Sprintf("the deck's Markdown would pass %s, the most a flashd deck may have: split the deck in Anki", mdSize(lim.Bytes))
	case mdLimitHTML:
		return fmt.Sprintf("the deck's cards would render to more than %s of HTML, the most a flashd deck may have: split the deck in Anki", mdSize(lim.HTML))
	}
	return ""
}

// what is the limit, for the summary of the notes past it.
func (l mdLimit) what(lim decks.Limits) string {
	switch l {
	case mdLimitCards:
		return mdCount(lim.Cards) + " cards"
	case mdLimitBytes:
		return mdSize(lim.Bytes) + " of Markdown"
	case mdLimitHTML:
		return mdSize(lim.HTML) + " of HTML"
	}
	return ""
}

// mdDeck builds the file of one deck from its notes' entries, in note id
// order, and adds to rs the refusals of its notes. The only error is
// ctx's.
func mdDeck(tk *mdTicker, id int64, name, slug string, entries []*mdEntry, lim decks.Limits, rs *mdRefusals) (*DeckFile, error) {
	ctx := tk.ctx
	refuse := func(e *mdEntry, format string, args ...any) {
		rs.add(Refusal{NoteID: e.note.ID, GUID: e.note.GUID, Deck: name, Reason: fmt.Sprintf(format, args...)})
	}
	file := slug + ".md"
	lone := mdFrontMatter(slug, name, nil)
	sections := 0
	for _, s := range mdSections {
		sections += len("\n## " + s + "\n")
	}

	// Each note in turn, while the deck has room: converted, then parsed
	// alone. Every limit that can be judged before the parse is, and the
	// first note that would pass one ends the deck.
	var (
		kept   []*mdEntry
		fronts = map[string]bool{}
		size   = sections // Markdown of the deck but its front matter
		fmMax  = 0        // the longest the front matter can be
		html   = 0
		limit  = mdLimitNone
		past   = len(entries) // index of the first note past the limit
	)
	for i, e := range entries {
		if err := tk.tick(); err != nil {
			return nil, err
		}
		// The front matter holds the tags every note kept carries: at
		// most those of the first.
		fm := fmMax
		if len(kept) == 0 {
			fm = len(mdFrontMatter(slug, name, mdDeckTags([]*mdEntry{e})))
		}
		switch {
		case lim.Cards > 0 && len(kept) >= lim.Cards:
			limit = mdLimitCards
		case lim.Bytes > 0 && fm+size+len(mdChunk("", e.key, "")) > lim.Bytes:
			limit = mdLimitBytes
		case lim.HTML > 0 && html >= lim.HTML:
			limit = mdLimitHTML
		}
		if limit != mdLimitNone {
			past = i
			break
		}
		if reason := e.convert(); reason != "" {
			refuse(e, "%s", reason)
			continue
		}
		// Fronts unique, in note id order.
		front := e.front
		for n := 2; fronts[decks.NormalizeText(front)]; n++ {
			front = fmt.Sprintf("%s (%d)", e.front, n)
		}
		chunk := mdChunk(front, e.key, e.body)
		if lim.Bytes > 0 && fm+size+len(chunk) > lim.Bytes {
			limit, past = mdLimitBytes, i
			break
		}
		d, err := decks.ParseContext(ctx, file, []byte(lone+"\n## "+e.section+"\n"+chunk), decks.Limits{})
		if cerr := ctx.Err(); cerr != nil {
			return nil, cerr
		}
		if err != nil {
			refuse(e, "flashd cannot read it: %s", mdMessages(err))
			continue
		}
		nums := map[int]bool{}
		htmlLen := 0
		good := len(d.Cards) > 0
		for _, c := range d.Cards {
			htmlLen += mdCardHTML(c)
			switch {
			case e.cloze && c.Type == decks.TypeCloze:
				nums[c.Cloze] = true
			case !e.cloze && c.Type == decks.TypeBasic && len(d.Cards) == 1:
			default:
				good = false
			}
		}
		if !good {
			refuse(e, "flashd would not read it as a %s card", map[bool]string{true: "cloze", false: "basic"}[e.cloze])
			continue
		}
		if lim.HTML > 0 && html+htmlLen > lim.HTML {
			limit, past = mdLimitHTML, i
			break
		}
		if e.cloze {
			e.nums = nums
		}
		fronts[decks.NormalizeText(front)] = true
		e.front, e.chunk, e.htmlLen = front, chunk, htmlLen
		fmMax = fm
		size += len(chunk)
		html += htmlLen
		kept = append(kept, e)
	}
	// The notes past the limit: the first listed, the rest summed up.
	if rest := entries[past:]; len(rest) > 0 {
		reason := limit.reason(lim)
		for _, e := range rest[:min(len(rest), mdMaxPastLimit)] {
			refuse(e, "%s", reason)
		}
		if n := len(rest) - mdMaxPastLimit; n > 0 {
			rs.summarise(name, n, fmt.Sprintf("and %s more %s past the deck's limit of %s %s left out",
				mdCount(n), mdNotes(n, "note", "notes"), limit.what(lim), mdNotes(n, "was", "were")))
		}
	}

	// The whole deck; a card it fails at is refused, and the rest tried
	// again.
	fm := mdFrontMatter(slug, name, mdDeckTags(kept))
	for try := 1; len(kept) > 0; try++ {
		md, lines := mdAssemble(fm, kept)
		_, err := decks.ParseContext(ctx, file, md, lim)
		if cerr := ctx.Err(); cerr != nil {
			return nil, cerr
		}
		if err == nil {
			f := &DeckFile{AnkiDeckID: id, Name: name, Slug: slug, Markdown: md, Cards: map[int64]string{}, Notes: len(kept)}
			for _, e := range kept {
				for cid, ord := range e.ords {
					switch {
					case !e.cloze && ord == 0:
						f.Cards[cid] = e.key
					case e.cloze && e.nums[ord+1]:
						f.Cards[cid] = fmt.Sprintf("%s/c%d", e.key, ord+1)
					}
				}
				if e.notice != "" {
					refuse(e, "%s", e.notice)
				}
			}
			return f, nil
		}
		var list decks.ErrorList
		bad := map[*mdEntry][]string{}
		if errors.As(err, &list) {
			for _, pe := range list {
				if e := mdEntryAt(kept, lines, pe.Line); e != nil {
					bad[e] = append(bad[e], pe.Msg)
				}
			}
		}
		if len(bad) == 0 || try == mdMaxDeckParses {
			// Not a card's fault, or still failing: should not happen,
			// but refuse them all rather than return a deck that does
			// not parse.
			for _, e := range kept {
				if msgs, isBad := bad[e]; isBad {
					refuse(e, "flashd cannot read it in its deck: %s", strings.Join(msgs, "; "))
				} else {
					refuse(e, "flashd cannot read its deck: %s", mdMessages(err))
				}
			}
			return nil, nil
		}
		next := kept[:0:0]
		for _, e := range kept {
			if msgs, isBad := bad[e]; isBad {
				refuse(e, "flashd cannot read it in its deck: %s", strings.Join(msgs, "; "))
				continue
			}
			next = append(next, e)
		}
		kept = next
	}
	return nil, nil
}

// mdAssemble writes a deck's Markdown and returns the line each card's
// heading is on.
func mdAssemble(fm string, entries []*mdEntry) ([]byte, []int) {
	var b strings.Builder
	b.WriteString(fm)
	lines := make([]int, len(entries))
	line := strings.Count(fm, "\n") + 1
	for _, s := range mdSections {
		head := true
		for i, e := range entries {
			if e.section != s {
				continue
			}
			if head {
				b.WriteString("\n## " + s + "\n")
				line += 2
				head = false
			}
			lines[i] = line + 1
			b.WriteString(e.chunk)
			line += strings.Count(e.chunk, "\n")
		}
	}
	return []byte(b.String()), lines
}

// mdEntryAt is the card whose lines hold line, or nil.
func mdEntryAt(entries []*mdEntry, lines []int, line int) *mdEntry {
	var best *mdEntry
	bestLine := 0
	for i, e := range entries {
		if lines[i] <= line && lines[i] > bestLine {
			best, bestLine = e, lines[i]
		}
	}
	return best
}
