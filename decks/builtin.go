package decks

import (
	"embed"
	"io/fs"
	"path"
)

//go:embed builtin/*.md
var builtinFS embed.FS

// Builtin parses the decks embedded in the binary (builtin/*.md). They are
// linted by the tests, so an error here means a broken build.
func Builtin() ([]*Deck, error) {
	names, err := fs.Glob(builtinFS, "builtin/*.md")
	if err != nil {
		return nil, err
	}
	var ds []*Deck
	for _, name := range names {
		src, err := builtinFS.ReadFile(name)
		if err != nil {
			return nil, err
		}
		d, err := Parse(path.Join("decks", name), src)
		if err != nil {
			return nil, err
		}
		ds = append(ds, d)
	}
	if err := CheckUnique(ds); err != nil {
		return nil, err
	}
	return ds, nil
}
