package anki

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/flashd/flashd/srs"
)

// TestMnemosyneReadsPackage imports a written package with another
// program's Anki importer: Debian's mnemosyne, whose libmnemosyne reads
// legacy .apkg files. It checks what Mnemosyne holds afterwards: every
// card and note, every rating of the review log, the media, the deck as a
// tag. Without mnemosyne installed the test skips, unless
// FLASHD_REQUIRE_MNEMOSYNE=1 (as in CI), where it fails.
func TestMnemosyneReadsPackage(t *testing.T) {
	if err := exec.Command("/usr/bin/python3", "-c", "import mnemosyne.libmnemosyne").Run(); err != nil {
		if os.Getenv("FLASHD_REQUIRE_MNEMOSYNE") == "1" {
			t.Fatal("Debian's mnemosyne is not installed, and FLASHD_REQUIRE_MNEMOSYNE=1")
		}
		t.Skip("Debian's mnemosyne is not installed (apt-get install mnemosyne, or set FLASHD_REQUIRE_MNEMOSYNE=1 to fail instead)")
	}
	f := pkgtMakeFixture(t, srs.Params{})
	var buf bytes.Buffer
	if err := WritePackage(&buf, f.e); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "deck.apkg")
	if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/usr/bin/python3", "testdata/mnemosyne_read.py", file)
	cmd.Env = append(os.Environ(), "QT_QPA_PLATFORM=offscreen", "HOME="+dir, "TMPDIR="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("mnemosyne: %v\n%s", err, out)
	}
	_, line, ok := strings.Cut(string(out), "RESULT ")
	if !ok {
		t.Fatalf("mnemosyne printed no result:\n%s", out)
	}
	var got struct {
		Cards, Facts, Repetitions, Unseen int
		Tags, Questions, Media            []string
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(line)), &got); err != nil {
		t.Fatal(err)
	}
	reviews, studied := 0, 0
	for _, p := range f.e.Progress {
		if p != nil && len(p.Log) > 0 {
			reviews += len(p.Log)
			studied++
		}
	}
	if got.Cards != len(f.e.Deck.Cards) || got.Facts != len(Notes(f.e.Deck)) {
		t.Errorf("mnemosyne holds %d cards and %d facts, want %d and %d", got.Cards, got.Facts, len(f.e.Deck.Cards), len(Notes(f.e.Deck)))
	}
	if got.Repetitions != reviews || got.Unseen != len(f.e.Deck.Cards)-studied {
		t.Errorf("mnemosyne holds %d repetitions and %d unseen cards, want %d and %d", got.Repetitions, got.Unseen, reviews, len(f.e.Deck.Cards)-studied)
	}
	if !slices.Contains(got.Tags, deckName(f.e.Deck.Title)) {
		t.Errorf("the deck %q is not among Mnemosyne's tags %q", deckName(f.e.Deck.Title), got.Tags)
	}
	for name := range f.e.Media {
		if !slices.Contains(got.Media, name) {
			t.Errorf("media file %q did not reach Mnemosyne (it has %q)", name, got.Media)
		}
	}
	for _, q := range got.Questions {
		if strings.Contains(q, "{{") {
			t.Errorf("a question shows template markup: %q", q)
		}
	}
}
