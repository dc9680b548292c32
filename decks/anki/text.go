package anki

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxTextBytes is the largest notes file ReadText is given by flashd.
const MaxTextBytes = 64 << 20

// ReadText reads an Anki "Notes in Plain Text" file (what Anki exports,
// and what Write writes) as a Collection of notes without scheduling, so
// that it imports the same way as a package. The guid, notetype, deck and
// tags columns are taken from the file headers; the other columns are the
// note's fields in order. A note type whose name contains "cloze"
// (Anki's "Cloze", flashd's "flashd Cloze") makes cloze notes, any other
// basic ones; without a notetype column the "#notetype:" header (else
// Basic) applies, and without a deck column the "#deck:" header (else
// "Default"). A row without a GUID gets one made from its fields, so that
// importing the same file again updates the same cards. Each note gets
// one card (ord 0) in its deck, which places it there.
func ReadText(data []byte) (*Collection, error) {
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("the file is not UTF-8 text")
	}
	f, err := Read(strings.ReplaceAll(strings.TrimPrefix(string(data), "\uFEFF"), "\r\n", "\n"))
	if err != nil {
		return nil, err
	}
	if len(f.Rows) == 0 {
		return nil, fmt.Errorf("the file holds no notes")
	}
	column := func(key string) (int, error) {
		v, ok := f.Header(key)
		if !ok {
			return -1, nil
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 {
			return -1, fmt.Errorf("header %q: %q is not a column number", key, v)
		}
		return n - 1, nil
	}
	guidCol, err := column("guid column")
	if err != nil {
		return nil, err
	}
	typeCol, err := column("notetype column")
	if err != nil {
		return nil, err
	}
	deckCol, err := column("deck column")
	if err != nil {
		return nil, err
	}
	tagsCol, err := column("tags column")
	if err != nil {
		return nil, err
	}
	defaultType, ok := f.Header("notetype")
	if !ok {
		defaultType = "Basic"
	}
	defaultDeck, ok := f.Header("deck")
	if !ok {
		defaultDeck = "Default"
	}
	var fileTags []string
	if v, ok := f.Header("tags"); ok {
		fileTags = strings.Fields(v)
	}
	c := &Collection{Format: "text", Decks: map[int64]CollectionDeck{}, Notetypes: map[int64]Notetype{}, Media: map[string][]byte{}}
	deckIDs := map[string]int64{}
	typeIDs := map[string]int64{}
	seen := map[string]int{}
	for i, row := range f.Rows {
		cell := func(col int) string {
			if col >= 0 && col < len(row) {
				return row[col]
			}
			return ""
		}
		typeName := strings.TrimSpace(cell(typeCol))
		if typeName == "" {
			typeName = defaultType
		}
		deckName := strings.TrimSpace(cell(deckCol))
		if deckName == "" {
			deckName = defaultDeck
		}
		var fields []string
		for j, v := range row {
			if j != guidCol && j != typeCol && j != deckCol && j != tagsCol {
				fields = append(fields, v)
			}
		}
		ntID, ok := typeIDs[typeName]
		if !ok {
			ntID = int64(len(typeIDs) + 1)
			typeIDs[typeName] = ntID
			nt := Notetype{ID: ntID, Name: typeName, Cloze: strings.Contains(strings.ToLower(typeName), "cloze")}
			if nt.Cloze {
				nt.Fields = []string{"Text", "Back Extra"}
			} else {
				nt.Fields = []string{"Front", "Back"}
			}
			c.Notetypes[ntID] = nt
		}
		nt := c.Notetypes[ntID]
		for len(nt.Fields) < len(fields) {
			nt.Fields = append(nt.Fields, fmt.Sprintf("Field %d", len(nt.Fields)+1))
		}
		c.Notetypes[ntID] = nt
		did, ok := deckIDs[deckName]
		if !ok {
			did = int64(len(deckIDs) + 1)
			deckIDs[deckName] = did
			c.Decks[did] = CollectionDeck{ID: did, Name: deckName}
		}
		guid := strings.TrimSpace(cell(guidCol))
		if guid == "" {
			sum := sha256.Sum256([]byte(typeName + "\x1f" + strings.Join(fields, "\x1f")))
			guid = "t" + hex.EncodeToString(sum[:6])
		}
		if line, dup := seen[guid]; dup {
			return nil, fmt.Errorf("note %d has the GUID %q of note %d", i+1, guid, line)
		}
		seen[guid] = i + 1
		tags := slices.Concat(fileTags, strings.Fields(cell(tagsCol)))
		id := int64(i + 1)
		c.Notes = append(c.Notes, CollectionNote{ID: id, GUID: guid, NotetypeID: ntID, Tags: tags, Fields: fields})
		c.Cards = append(c.Cards, CollectionCard{ID: id, NoteID: id, DeckID: did})
	}
	return c, nil
}

// ReadFile reads what a user hands flashd as coming from Anki: a package
// (.apkg or .colpkg, a zip) or, anything else, a "Notes in Plain Text"
// file of at most MaxTextBytes, from r of size bytes.
func ReadFile(ctx context.Context, r io.ReaderAt, size int64, lim ReadLimits) (*Collection, error) {
	head := make([]byte, 4)
	n, _ := r.ReadAt(head, 0)
	if bytes.Equal(head[:n], []byte("PK\x03\x04")) {
		return ReadPackageContext(ctx, r, size, lim)
	}
	if size > MaxTextBytes {
		return nil, fmt.Errorf("a notes file may be at most %d MiB", MaxTextBytes>>20)
	}
	data, err := io.ReadAll(io.NewSectionReader(r, 0, size))
	if err != nil {
		return nil, err
	}
	return ReadText(data)
}
