package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/flashd/flashd/decks/anki"
	"github.com/flashd/flashd/store"
)

const ankiWebDeck = `---
id: wtrip
title: Web trip
---
## Key takeaways

### Which role pulls the image? {#pull}
The task execution role.

### What does Fargate remove? {#fargate}
Managing {{c1::EC2 instances}}.
`

// TestAnkiPackageWeb: a learner downloads a deck as .apkg with their
// progress, and another uploads that package: it becomes their private
// deck with their history, its image served to them alone, its Markdown
// downloadable; a package that cannot be read imports nothing.
func TestAnkiPackageWeb(t *testing.T) {
	srv, db, admin := startServer(t, ankiWebDeck)
	ctx := context.Background()
	admin.get("/settings")
	admin.post("/admin/signup", url.Values{"open": {"1"}})
	users, err := db.Users(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	au := &users[0]
	q, err := db.Next(ctx, au, store.Filter{Deck: "wtrip"})
	if err != nil || q.Card == nil {
		t.Fatalf("no card to study: %v", err)
	}
	if _, err := db.Rate(ctx, au, q.Card.ID, q.Card.State.Token(), 3); err != nil {
		t.Fatal(err)
	}

	resp, body := admin.get("/decks/wtrip/anki.apkg")
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Disposition"), `filename="Web trip.apkg"`) {
		t.Fatalf("apkg download: %d %q", resp.StatusCode, resp.Header.Get("Content-Disposition"))
	}
	coll, err := anki.ReadPackage(strings.NewReader(body), int64(len(body)), anki.DefaultReadLimits)
	if err != nil {
		t.Fatal(err)
	}
	if len(coll.Notes) != 2 || len(coll.Cards) != 2 || len(coll.Revlog) != 1 {
		t.Fatalf("package: %d notes, %d cards, %d reviews; want 2, 2, 1 (the admin's one rating)", len(coll.Notes), len(coll.Cards), len(coll.Revlog))
	}
	if _, page := admin.get("/decks/wtrip"); !strings.Contains(page, `href="/decks/wtrip/anki.apkg"`) || !strings.Contains(page, `href="/decks/wtrip/deck.md"`) {
		t.Error("the deck page offers no .apkg or Markdown download")
	}
	if resp, md := admin.get("/decks/wtrip/deck.md"); resp.StatusCode != http.StatusOK || md != ankiWebDeck {
		t.Errorf("deck.md: %d, %q", resp.StatusCode, md)
	}

	bob := newClient(t, srv)
	bob.signUp("bob", "bob-password")
	bob.get("/decks")
	// Without the CSRF token nothing is imported.
	bob.csrf = "forged"
	if resp, _ := bob.postFile("/decks/anki", "package", "trip.apkg", []byte(body)); resp.StatusCode != http.StatusForbidden {
		t.Errorf("upload without CSRF: %d", resp.StatusCode)
	}
	bob.get("/decks")
	if resp, page := bob.postFile("/decks/anki", "package", "junk.apkg", []byte("PK\x03\x04junk")); resp.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(page, "junk.apkg cannot be read, so nothing was imported") {
		t.Errorf("junk upload: %d", resp.StatusCode)
	}
	bobs, _ := db.Users(ctx, "bob")
	decksBefore := len(mustDecks(t, db, &bobs[0]))
	resp, page := bob.postFile("/decks/anki", "package", "trip.apkg", []byte(body))
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Imported from Anki") {
		t.Fatalf("upload: %d\n%s", resp.StatusCode, page)
	}
	m := regexp.MustCompile(`href="/decks/(u\d+-anki-[a-z0-9-]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no link to the imported deck:\n%s", page)
	}
	slug := m[1]
	if !strings.Contains(page, "1 reviews of your history replayed") {
		t.Errorf("the page does not say the history came along:\n%s", page)
	}
	if resp, md := bob.get("/decks/" + slug + "/deck.md"); resp.StatusCode != http.StatusOK || !strings.Contains(md, "{{c1::EC2 instances}}") {
		t.Errorf("imported deck.md: %d %q", resp.StatusCode, md)
	}
	if resp, _ := admin.get("/decks/" + slug); resp.StatusCode != http.StatusNotFound {
		t.Errorf("another user sees bob's imported deck: %d", resp.StatusCode)
	}
	hist, err := db.ReviewHistory(ctx, &bobs[0])
	if err != nil || len(hist) != 1 {
		t.Errorf("bob's history after the import: %d ratings, %v", len(hist), err)
	}
	// Uploading it again changes nothing.
	if resp, page := bob.postFile("/decks/anki", "package", "trip.apkg", []byte(body)); resp.StatusCode != http.StatusOK || !strings.Contains(page, "0 cards added") {
		t.Errorf("second upload: %d", resp.StatusCode)
	}
	if n := len(mustDecks(t, db, &bobs[0])); n != decksBefore+1 {
		t.Errorf("bob sees %d decks after two uploads, want %d (one more)", n, decksBefore+1)
	}
}

// TestMediaServed: an image of an imported deck is served with its type,
// cached, never run, and only to users who may see the deck.
func TestMediaServed(t *testing.T) {
	srv, db, admin := startServer(t)
	ctx := context.Background()
	admin.get("/settings")
	admin.post("/admin/signup", url.Values{"open": {"1"}})
	png := []byte("\x89PNG\r\n\x1a\nfake")
	coll := &anki.Collection{
		Decks:     map[int64]anki.CollectionDeck{1: {ID: 1, Name: "Pictures"}},
		Notetypes: map[int64]anki.Notetype{1: {ID: 1, Name: "Basic", Fields: []string{"Front", "Back"}}},
		Notes:     []anki.CollectionNote{{ID: 1, GUID: "abc", NotetypeID: 1, Fields: []string{"What is shown?", `<img src="cat one.png">`}}},
		Cards:     []anki.CollectionCard{{ID: 1, NoteID: 1, DeckID: 1}},
		Media:     map[string][]byte{"cat one.png": png, "unused.png": png},
	}
	users, _ := db.Users(ctx, "admin")
	res, err := db.ImportAnki(ctx, coll, store.AnkiImport{ImportOptions: store.ImportOptions{OwnerID: users[0].ID}})
	if err != nil || len(res.Decks) != 1 || res.Decks[0].Media != 1 {
		t.Fatalf("import: %+v %v", res, err)
	}
	_, page := admin.get("/decks/" + res.Decks[0].Slug)
	m := regexp.MustCompile(`src="(/media/[0-9a-f]{64}/cat%20one.png)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the deck page does not show the image from the server:\n%s", page)
	}
	resp, body := admin.get(m[1])
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" || body != string(png) ||
		!strings.Contains(resp.Header.Get("Content-Security-Policy"), "sandbox") || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("media: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Security-Policy"))
	}
	other := newClient(t, srv)
	other.signUp("eve", "eve-password")
	if resp, _ := other.get(m[1]); resp.StatusCode != http.StatusNotFound {
		t.Errorf("another user gets a private deck's image: %d", resp.StatusCode)
	}
	if resp, _ := newClient(t, srv).get(m[1]); resp.StatusCode == http.StatusOK {
		t.Error("a visitor gets a deck's image")
	}
}

func mustDecks(t *testing.T, db *store.DB, u *store.User) []store.Deck {
	t.Helper()
	ds, err := db.Decks(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}
