package anki

import (
	"bytes"
	"testing"

	"github.com/flashd/flashd/srs"
)

// FuzzReadPackage feeds ReadPackage mutated packages of every version:
// whatever the bytes, it returns a Collection or an error, never both,
// never panics, and a Collection it returns holds only safe media names,
// within the limits.
func FuzzReadPackage(f *testing.F) {
	f.Add(fxLegacy1(f))
	f.Add(fxLegacy2(f, true))
	f.Add(fxLatest(f))
	var pkg bytes.Buffer
	if err := WritePackage(&pkg, pkgtMakeFixture(f, srs.Params{}).e); err != nil {
		f.Fatal(err)
	}
	f.Add(pkg.Bytes())
	lim := ReadLimits{MaxCollectionBytes: 4 << 20, MaxMediaBytes: 1 << 20, MaxMediaFiles: 50}
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
	})
}
