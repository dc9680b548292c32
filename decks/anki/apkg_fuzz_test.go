package anki

import (
	"bytes"
	"testing"

	"github.com/flashd/flashd/srs"
)

// FuzzReadPackage feeds ReadPackage mutated packages of every version:
// whatever the bytes, it returns a Collection or an error, never both,
// never panics, and a Collection it returns holds only safe media names,
// within the limits: media, rows, fields per note and text.
func FuzzReadPackage(f *testing.F) {
	f.Add(fxLegacy1(f))
	f.Add(fxLegacy2(f, true))
	f.Add(fxLatest(f))
	var pkg bytes.Buffer
	if err := WritePackage(&pkg, pkgtMakeFixture(f, srs.Params{}).e); err != nil {
		f.Fatal(err)
	}
	f.Add(pkg.Bytes())
	lim := ReadLimits{MaxCollectionBytes: 4 << 20, MaxMediaBytes: 1 << 20, MaxMediaFiles: 50,
		MaxNotes: 500, MaxCards: 1000, MaxReviews: 2000, MaxTextBytes: 2 << 20}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ReadPackage(bytes.NewReader(data), int64(len(data)), lim)
		if (c == nil) == (err == nil) {
			t.Fatalf("ReadPackage returned %v and %v", c, err)
		}
		if c == nil {
			return
		}
		total := 0
		for name, b := range c.Media {
			if why := readUnsafeMediaName(name); why != "" {
				t.Errorf("unsafe media name %q came through: %s", name, why)
			}
			total += len(b)
		}
		if total > int(lim.MaxMediaBytes) || len(c.Media) > lim.MaxMediaFiles {
			t.Errorf("media past the limits: %d bytes in %d files", total, len(c.Media))
		}
		if len(c.Notes) > lim.MaxNotes || len(c.Cards) > lim.MaxCards || len(c.Revlog) > lim.MaxReviews {
			t.Errorf("rows past the limits: %d notes, %d cards, %d reviews", len(c.Notes), len(c.Cards), len(c.Revlog))
		}
		var text int64
		for _, n := range c.Notes {
			max := readMaxNoteFields
			if nt, ok := c.Notetypes[n.NotetypeID]; ok && len(nt.Fields)+readExtraNoteFields > max {
				max = len(nt.Fields) + readExtraNoteFields
			}
			if len(n.Fields) > max {
				t.Errorf("note %d has %d fields, past the %d allowed", n.ID, len(n.Fields), max)
			}
			text += readStrings(n.Fields...) + readStrings(n.Tags...)
		}
		if text > lim.MaxTextBytes {
			t.Errorf("the notes hold %d bytes of text, past the limit", text)
		}
		for i := 1; i < len(c.Notes); i++ {
			if c.Notes[i-1].ID > c.Notes[i].ID {
				t.Errorf("notes out of id order: %d before %d", c.Notes[i-1].ID, c.Notes[i].ID)
			}
		}
	})
}
