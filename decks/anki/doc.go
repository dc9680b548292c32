// Package anki moves decks between flashd and Anki, both ways:
//
//   - Write writes a deck as an Anki text-import file (Anki 2.1.55 or
//     newer: its content), so that File > Import takes it without any
//     change in the import dialog, and importing a newer export of the
//     same deck updates the notes in place instead of adding duplicates.
//   - WritePackage writes an .apkg (content, media, and one learner's
//     schedule, review log and deck options) with note types of its own,
//     so no UI language matters. Its decisions are listed at the top of
//     apkg_write.go.
//   - ReadPackage reads the .apkg and .colpkg of every Anki version
//     (collection.anki2, .anki21 and the zstd-compressed .anki21b), and
//     ReadText Anki's "Notes in Plain Text" files, as a Collection; its
//     rules (and its guards against hostile uploads) are at the top of
//     apkg_read.go.
//   - Markdown turns a Collection into flashd Markdown decks, one per Anki
//     deck, keeping each note's GUID in its card key (NoteKey,
//     GUIDFromKey); its decisions are at the top of markdown.go.
//
// The rest of this comment is the text-import file.
//
// # Format
//
// The file is UTF-8, tab separated, one note a line, every line ending in
// "\n". It opens with Anki's file headers, one "#key:value" a line:
//
//	#separator:tab
//	#html:true
//	#if matches:update current
//	#guid column:1
//	#notetype column:2
//	#deck column:3
//	#tags column:6
//
// and every row has six columns:
//
//	guid  notetype  deck  field 1  field 2  tags
//
// Anki reads header lines only while they are the first lines of the file;
// after them a line starting with "#" is a comment. With a notetype column,
// the columns that are not guid, notetype, deck or tags fill the note's
// fields in order, whatever the note type, and the first row fixes the
// number of columns, so every row is written with all six.
//
// # Decisions
//
//   - Note types: the stock "Basic" (Front, Back) for basic and choice cards
//     and "Cloze" (Text, Back Extra) for cloze notes. All cloze cards of one
//     flashd note (same NoteKey) become one Anki note whose Text is the
//     card's ClozeHTML, which already holds Anki's {{c1::text::hint}} markup;
//     Anki makes one card per cloze number itself. Anki looks note types up
//     by name, so a collection whose stock types are renamed or localised
//     reports those rows as having a missing note type.
//   - Choice (scenario) cards have no Anki equivalent and become Basic notes:
//     the front lists the options as <ol type="A">, the back names the
//     correct letters and options, then the explanation.
//   - GUIDs are the caller's stable export ids; Write never invents one and
//     rejects an empty or repeated GUID. On import Anki treats a row whose
//     GUID exists as a duplicate of that note and, with the default
//     "update" duplicate handling, overwrites its fields and tags while
//     keeping its scheduling and its deck. A GUID whose note type changed
//     (for example basic to cloze) is reported as a conflict and not
//     updated, so callers should give such a note a new GUID.
//   - Deck: "flashd::<title>", with "::" in the title folded to ":" so the
//     deck sits exactly one level under "flashd". Anki creates missing decks.
//     New cards go there; updated notes stay wherever the user moved them.
//   - Tags: the deck's tags, the card kind and "section::<section>", white
//     space inside a tag replaced by "_", empty tags and case-insensitive
//     repeats dropped. Anki replaces a note's tags with the row's on update.
//   - Fields are HTML (#html:true), so they are imported verbatim. No raw
//     newline is written: inside <pre> a newline becomes <br>; next to a
//     block-level tag (</p>, <li>, <tr>, <br> ...) it is dropped, as it is
//     insignificant there; any other newline becomes <br> (the line breaks
//     the author wrote). Carriage returns are dropped. Anki's manual warns
//     that quoted multi-line fields break clozes spanning lines, which is a
//     further reason to use <br>.
//   - Quoting follows RFC 4180 with the separator being a tab: a value is
//     quoted, with inner quotes doubled, when it holds a tab, a quote, a line
//     break, starts with "#" (a row starting with "#" would be a comment), is
//     empty, or starts or ends with a space. encoding/csv cannot force
//     quotes, so the writer is hand-made.
//   - Media: a CSV carries no files. MediaWarnings says, per image a field
//     references, what the Anki user must do (copy the file into
//     collection.media) or why it will not show (remote, in a folder,
//     percent-encoded).
package anki
