package anki

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/flashd/flashd/decks"
)

// Card is one flashd card as the exporter needs it; the caller maps its
// stored cards to it.
type Card struct {
	// GUID is the stable export id of the card's note. The cards of one
	// cloze note share a note, whose GUID is that of its first card in
	// input order.
	GUID string
	// NoteKey is shared by the cards of one cloze note.
	NoteKey string
	// Cloze is the cloze number, 0 for a card that is not a cloze.
	Cloze int
	Type  decks.Type // basic, cloze or choice
	Kind  decks.Kind // takeaway, trap, scenario or topic
	// Section is the title of the card's section, such as "Key takeaways".
	Section string
	// FrontHTML, BackHTML and ClozeHTML are the sanitised HTML described
	// on decks.Card.
	FrontHTML, BackHTML, ClozeHTML string
	// Options are the answers of a choice card, in order.
	Options []decks.Option
	// Tags are the card's own tags (CommentTags of its source), added to
	// the deck's.
	Tags []string
	// Modified is the card's last edit: an .apkg gives it as the note's
	// modification time, so that Anki updates a note it already holds
	// only from a newer export.
	Modified time.Time
}

// Deck is what is exported: a deck's title and tags and its cards in order.
type Deck struct {
	Title string
	Tags  []string
	Cards []Card
}

// Note is one row of the file, with every value as Anki will read it back
// (fields already free of raw newlines, before quoting).
type Note struct {
	GUID     string
	NoteType string    // NoteTypeBasic or NoteTypeCloze
	Deck     string    // "flashd::<title>"
	Fields   [2]string // Front and Back, or Text and Back Extra
	Tags     []string  // no tag holds white space
}

// The note types the file uses: Anki's stock types.
const (
	NoteTypeBasic = "Basic" // fields Front, Back
	NoteTypeCloze = "Cloze" // fields Text, Back Extra
)

// header is the block of file headers that opens every file; the column
// numbers match the order in which Write puts a Note's values.
const header = "#separator:tab\n" +
	"#html:true\n" +
	// A re-import updates the notes it finds by GUID, whatever duplicate
	// option the user once chose in Anki's import dialog.
	"#if matches:update current\n" +
	"#guid column:1\n" +
	"#notetype column:2\n" +
	"#deck column:3\n" +
	"#tags column:6\n"

// Notes turns a deck into Anki notes, in card order: one note for each
// basic or choice card, and one for each cloze note (its cards grouped by
// NoteKey, placed where its first card stands).
func Notes(d Deck) []Note {
	deck := deckName(d.Title)
	var notes []Note
	clozeAt := map[string]int{} // NoteKey -> index in notes
	for _, c := range d.Cards {
		n := Note{GUID: c.GUID, Deck: deck, Tags: noteTags(d.Tags, c)}
		switch c.Type {
		case decks.TypeCloze:
			if i, ok := clozeAt[c.NoteKey]; ok {
				// A sibling: the note exists; take its text if the
				// first card lacked one.
				if notes[i].Fields[0] == "" {
					notes[i].Fields[0] = fieldHTML(c.ClozeHTML)
				}
				continue
			}
			clozeAt[c.NoteKey] = len(notes)
			n.NoteType = NoteTypeCloze
			n.Fields = [2]string{fieldHTML(c.ClozeHTML), ""}
		case decks.TypeChoice:
			n.NoteType = NoteTypeBasic
			front, back := choiceHTML(c)
			n.Fields = [2]string{fieldHTML(front), fieldHTML(back)}
		default:
			n.NoteType = NoteTypeBasic
			n.Fields = [2]string{fieldHTML(c.FrontHTML), fieldHTML(c.BackHTML)}
		}
		notes = append(notes, n)
	}
	return notes
}

// Write writes the deck as an Anki text-import file: the file headers, then
// one row per note of Notes(d). It fails, writing nothing, if a note has an
// empty GUID or shares its GUID with another note, since Anki would then
// add a duplicate or update the wrong note.
func Write(w io.Writer, d Deck) error {
	notes := Notes(d)
	seen := make(map[string]bool, len(notes))
	for i, n := range notes {
		if strings.TrimSpace(n.GUID) == "" {
			return fmt.Errorf("anki: note %d (%s) has no GUID", i+1, n.NoteType)
		}
		if seen[n.GUID] {
			return fmt.Errorf("anki: GUID %q is used by more than one note", n.GUID)
		}
		seen[n.GUID] = true
	}
	bw := bufio.NewWriter(w)
	bw.WriteString(header)
	for _, n := range notes {
		row := [6]string{n.GUID, n.NoteType, n.Deck, n.Fields[0], n.Fields[1], strings.Join(n.Tags, " ")}
		for i, v := range row {
			if i > 0 {
				bw.WriteByte('\t')
			}
			bw.WriteString(quote(v))
		}
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// imgSrcValue finds the src of each <img> tag.
var imgSrcValue = regexp.MustCompile(`(?i)<img\b[^>]*\ssrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))`)

// MediaWarnings says, once per image the deck's fields reference, what
// an Anki user must know: a text-import file carries no media, and Anki
// looks an image up in its flat collection.media folder by its name as
// written, so an image in a folder or with a percent-encoded name will not
// show even once copied there. Images inside the deck (data: URLs) need
// nothing.
func MediaWarnings(d Deck) []string { return mediaWarnings(d, nil) }

// PackageMediaWarnings is MediaWarnings for an .apkg export: the files
// it carries need nothing; any other local image will not show in Anki.
func PackageMediaWarnings(e Export) []string {
	if e.Media == nil {
		e.Media = map[string][]byte{}
	}
	return mediaWarnings(e.Deck, e.Media)
}

// mediaWarnings is MediaWarnings for a CSV (held nil) or for a package
// carrying the held files.
func mediaWarnings(d Deck, held map[string][]byte) []string {
	var out []string
	seen := map[string]bool{}
	check := func(html string) {
		for _, m := range imgSrcValue.FindAllStringSubmatch(html, -1) {
			src := m[1] + m[2] + m[3]
			src = strings.ReplaceAll(src, "&amp;", "&")
			if seen[src] || strings.HasPrefix(strings.ToLower(src), "data:") {
				continue
			}
			seen[src] = true
			if _, ok := held[src]; ok {
				continue
			}
			lower := strings.ToLower(src)
			switch {
			case held != nil && !strings.HasPrefix(lower, "http://") && !strings.HasPrefix(lower, "https://") && !strings.HasPrefix(src, "//"):
				out = append(out, fmt.Sprintf("image %s is not held by the server, so the package does not carry it: it will not show in Anki", src))
			case strings.HasPrefix(lower, "http://") || strings.HasPrefix(lower, "https://") || strings.HasPrefix(src, "//"):
				out = append(out, fmt.Sprintf("image %s is on another site: Anki shows it only while online", src))
			case strings.ContainsAny(src, "/\\"):
				out = append(out, fmt.Sprintf("image %s is in a folder: Anki's media folder is flat, so it will not show (rename it without the folder)", src))
			case strings.Contains(src, "%"):
				out = append(out, fmt.Sprintf("image %s has a percent-encoded name: Anki looks the file up by the name as written, so it will not show", src))
			default:
				out = append(out, fmt.Sprintf("image %s: copy the file into Anki's collection.media folder (a CSV carries no media)", src))
			}
		}
	}
	for _, c := range d.Cards {
		check(c.FrontHTML)
		check(c.BackHTML)
		check(c.ClozeHTML)
		for _, o := range c.Options {
			check(o.HTML)
		}
	}
	return out
}

// choiceHTML renders a choice card as a Basic note: the question and its
// lettered options on the front; the correct letters and options, then the
// explanation, on the back.
func choiceHTML(c Card) (front, back string) {
	var f, b strings.Builder
	f.WriteString(c.FrontHTML)
	f.WriteString(`<ol type="A">`)
	var right []string
	for i, o := range c.Options {
		f.WriteString("<li>" + o.HTML + "</li>")
		if o.Correct {
			right = append(right, "<b>"+optionLetter(i)+"</b>. "+o.HTML)
		}
	}
	f.WriteString("</ol>")
	label := "Answer: "
	if len(right) > 1 {
		label = "Answers: "
	}
	b.WriteString("<p>" + label + strings.Join(right, "<br>") + "</p>")
	b.WriteString(c.BackHTML)
	return f.String(), b.String()
}

// optionLetter is the letter <ol type="A"> shows for option i (from 0):
// A to Z, then AA, AB, ... as browsers count.
func optionLetter(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}

// deckName is the Anki deck of a deck title: one level under "flashd".
// "::" (Anki's deck separator) in the title is folded to ":", the title is
// made plain text (plainText), and the name is written the way Anki
// normalises a deck name (rslib/src/decks/name.rs): each "::" part in
// Unicode NFC, without ASCII control characters or '"', with white space
// and ':' trimmed, "blank" for an empty part. Anki's importer looks a
// row's deck up by the cell as written and creates one under the
// normalised name on a miss, so any other spelling would make a new deck
// per row, and more at each re-import.
func deckName(title string) string {
	t := plainText(title)
	for strings.Contains(t, "::") {
		t = strings.ReplaceAll(t, "::", ":")
	}
	t = normalizedDeckPart(t)
	if t == "blank" {
		t = "Untitled"
	}
	return exportParent + t
}

// exportParent is the Anki deck exported decks sit under.
const exportParent = "flashd::"

// normalizedDeckPart is one "::" part of a deck name as Anki normalises
// it.
func normalizedDeckPart(p string) string {
	p = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' {
			return -1
		}
		return r
	}, norm.NFC.String(p))
	p = strings.TrimFunc(p, func(r rune) bool { return unicode.IsSpace(r) || r == ':' })
	if p == "" {
		return "blank"
	}
	return p
}

// noteTags is the tags of a card's note: the deck's tags, the card kind
// and "section::<section>".
func noteTags(deckTags []string, c Card) []string {
	tags := append([]string{}, deckTags...)
	tags = append(tags, c.Tags...)
	tags = append(tags, string(c.Kind))
	if strings.TrimSpace(c.Section) != "" {
		tags = append(tags, "section::"+strings.TrimSpace(c.Section))
	}
	return cleanTags(tags)
}

// cleanTags makes tags safe for Anki's space-separated tags column: each
// is made plain text (plainText), white space inside a tag becomes "_", surrounding white space and empty tags are
// dropped, and so are repeats (Anki compares tags case-insensitively; the
// first spelling wins).
func cleanTags(tags []string) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, t := range tags {
		t = strings.Join(strings.Fields(plainText(t)), "_")
		// Anki turns an empty "::" part into "blank": drop them instead.
		var parts []string
		for _, part := range strings.Split(t, "::") {
			if part != "" {
				parts = append(parts, part)
			}
		}
		t = strings.Join(parts, "::")
		if t == "" || seen[strings.ToLower(t)] {
			continue
		}
		seen[strings.ToLower(t)] = true
		out = append(out, t)
	}
	return out
}

// plainText makes a deck name or tag hold text only, as the fields hold
// sanitised HTML only: no markup (Anki shows deck names and tags in its
// HTML interface), so "<" and ">" are dropped; control characters become
// spaces; and the Unicode bidirectional overrides, which can make a name
// read as another, are dropped.
func plainText(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '<' || r == '>':
			return -1
		case r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0:
			return ' '
		case r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0x200e || r == 0x200f:
			return -1
		}
		return r
	}, s)
}
