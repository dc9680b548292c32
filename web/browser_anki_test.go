package web

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/flashd/flashd/decks/anki"
)

// TestBrowserAnkiImport: on the decks page a learner picks an Anki
// package in the file chooser and imports it; the page lists the new
// deck with its Markdown, and the deck's card shows the package's image,
// served by flashd.
func TestBrowserAnkiImport(t *testing.T) {
	ctx := browser(t)
	s, _ := newTestServer(t)
	srv := httptest.NewServer(s)
	defer srv.Close()

	// A one-note package with an image, as Anki would give it.
	png, _ := base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
	var pkg bytes.Buffer
	err := anki.WritePackage(&pkg, anki.Export{
		Deck: anki.Deck{Title: "Pictures", Cards: []anki.Card{{GUID: "pic1", NoteKey: "pic1", Type: "basic", Kind: "topic",
			FrontHTML: "What is in the picture?", BackHTML: `<p>A dot. <img src="dot.png" alt="dot"></p>`}}},
		Media: map[string][]byte{"dot.png": png},
		Now:   time.Now(),
	})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "pictures.apkg")
	if err := os.WriteFile(file, pkg.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}

	var width int
	err = chromedp.Do(ctx,
		step("sign up",
			signUpAs(srv.URL, "ana")),
		step("import the package from the decks page",
			chromedp.Navigate(srv.URL+"/decks"),
			chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				_, err := chromedp.Evaluate[bool](`document.querySelector('form[action="/decks/anki"]').closest("details").open = true`)(ctx, tg)
				return err
			}),
			chromedp.SetUploadFiles(css(`input[name="package"]`), []string{file}),
			chromedp.Submit(css(`input[name="package"]`)),
			waitText("main", "Imported from Anki"),
			waitText("main", "Pictures: 1 cards added"),
			screenshot("a1-imported")),
		step("the deck shows the image from the server",
			chromedp.Click(css(`.notice a[href^="/decks/u"]`)),
			waitText("h1", "Pictures"),
			chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				// The image loads: its natural width is the PNG's.
				for range 100 {
					w, err := chromedp.Evaluate[int](`(() => { const i = document.querySelector('img[alt="dot"]'); return i && i.complete ? i.naturalWidth : -1 })()`)(ctx, tg)
					if err != nil {
						return err
					}
					if width = w; w > 0 {
						return nil
					}
					time.Sleep(50 * time.Millisecond)
				}
				return nil
			}),
			screenshot("a2-deck")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if width != 1 {
		t.Errorf("the imported image did not load (natural width %d)", width)
	}
}
