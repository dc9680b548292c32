package web

import (
	"context"
	"io"
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
	for _, path := range []string{"", "/deck.md", "/anki.apkg", "/anki.csv"} {
		if resp, _ := admin.get("/decks/" + slug + path); resp.StatusCode != http.StatusNotFound {
			t.Errorf("another user gets bob's imported deck%s: %d", path, resp.StatusCode)
		}
	}
	hist, err := db.ReviewHistory(ctx, &bobs[0])
	if err != nil || len(hist) != 1 {
		t.Errorf("bob's history after the import: %d ratings, %v", len(hist), err)
	}
	// Uploading it again changes nothing.
	if resp, page := bob.postFile("/decks/anki", "package", "trip.apkg", []byte(body)); resp.StatusCode != http.StatusOK ||
		!strings.Contains(page, "0 cards added, 0 updated, 2 unchanged; 0 reviews of your history replayed") {
		t.Errorf("second upload: %d\n%s", resp.StatusCode, page)
	}
	if hist, _ := db.ReviewHistory(ctx, &bobs[0]); len(hist) != 1 {
		t.Errorf("a second upload of the package replayed the history again: %d ratings", len(hist))
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
		Notes: []anki.CollectionNote{{ID: 1, GUID: "abcdefghij", NotetypeID: 1, Fields: []string{"What is shown?", `<img src="cat one.png">`}},
			{ID: 2, GUID: "bcdefghijk", NotetypeID: 1, Fields: []string{"And here?", `<img src="a,b;c.png">`}}},
		Cards: []anki.CollectionCard{{ID: 1, NoteID: 1, DeckID: 1}, {ID: 2, NoteID: 2, DeckID: 1}},
		Media: map[string][]byte{"cat one.png": png, "a,b;c.png": png, "unused.png": png},
	}
	users, _ := db.Users(ctx, "admin")
	res, err := db.ImportAnki(ctx, coll, store.AnkiImport{ImportOptions: store.ImportOptions{OwnerID: users[0].ID}})
	if err != nil || len(res.Decks) != 1 || res.Decks[0].Media != 2 {
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
	m2 := regexp.MustCompile(`src="(/media/[0-9a-f]{64}/a%2Cb%3Bc.png)"`).FindStringSubmatch(page)
	if m2 == nil {
		t.Fatalf("no image named a,b;c.png on the page:\n%s", page)
	}
	if resp, body := admin.get(m2[1]); resp.StatusCode != http.StatusOK || body != string(png) {
		t.Errorf("media with reserved characters in its name: %d", resp.StatusCode)
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

// countingReader is a multipart body with one file part of zero bytes,
// n bytes in all, that counts what was read of it.
type countingReader struct {
	n, read int64
}

const (
	partHead = "--x\r\nContent-Disposition: form-data; name=\"package\"; filename=\"big.apkg\"\r\nContent-Type: application/octet-stream\r\n\r\n"
	partTail = "\r\n--x--\r\n"
)

func (r *countingReader) Read(p []byte) (int, error) {
	if r.read >= r.n {
		return 0, io.EOF
	}
	k := min(int64(len(p)), r.n-r.read)
	for i := range p[:k] {
		switch at := r.read + int64(i); {
		case at < int64(len(partHead)):
			p[i] = partHead[at]
		case at >= r.n-int64(len(partTail)):
			p[i] = partTail[at-(r.n-int64(len(partTail)))]
		default:
			p[i] = 0
		}
	}
	r.read += k
	return int(k), nil
}

// TestAnkiUploadLimits: an Anki upload is read only from a logged-in
// user, and never past its limit.
func TestAnkiUploadLimits(t *testing.T) {
	srv, _, admin := startServer(t)
	post := func(c *client, size int64) (int, int64) {
		body := &countingReader{n: size}
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/decks/anki", body)
		req.ContentLength = size
		req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
		resp, err := c.http.Do(req)
		if err != nil {
			return 0, body.read // the server hung up on the body
		}
		resp.Body.Close()
		return resp.StatusCode, body.read
	}
	// A visitor is turned away before the server reads the body.
	if status, read := post(newClient(t, srv), 48<<20); status == http.StatusOK || read > 16<<20 {
		t.Errorf("anonymous 48 MiB upload: status %d after %d MiB were read", status, read>>20)
	}
	// A user's upload past the limit is refused by its declared size.
	admin.get("/decks")
	if status, read := post(admin, MaxAnkiUpload+2<<20); status != http.StatusRequestEntityTooLarge && status != 0 || read > 16<<20 {
		t.Errorf("oversized upload: status %d after %d MiB were read", status, read>>20)
	}
}
