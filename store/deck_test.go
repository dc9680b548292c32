package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/flashd/flashd/decks"
)

const baseDeck = `---
id: demo
title: Demo
---
## Key takeaways

### What is a task definition?
The blueprint of a task.

### What keeps a desired count of tasks running?
A service.

### Push flow {#push}
{{c1::get-login-password}}, then {{c2::docker push}}.

## Scenarios

### Image pull fails. Which role?
- [ ] Task role
- [x] Task execution role
`

// anyone is a user id no row has: it sees the public decks only.
var anyone = &User{ID: 1 << 40}

func parse(tb testing.TB, src string) *decks.Deck {
	tb.Helper()
	d, err := decks.Parse("demo.md", []byte(src))
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

func importDeck(tb testing.TB, db *DB, src string) ImportResult {
	tb.Helper()
	res, err := db.ImportDeck(context.Background(), parse(tb, src), ImportOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	return res
}

// cardIDs maps each active card's front source (plus cloze number) to its
// id.
func cardIDs(tb testing.TB, db *DB) map[string]int64 {
	tb.Helper()
	d, err := db.DeckBySlug(context.Background(), anyone, "demo")
	if err != nil {
		tb.Fatal(err)
	}
	cs, err := db.Cards(context.Background(), d.ID)
	if err != nil {
		tb.Fatal(err)
	}
	ids := map[string]int64{}
	for _, c := range cs {
		ids[fmt.Sprintf("%s/%d", c.FrontSrc, c.Cloze)] = c.ID
	}
	return ids
}

func TestImport(t *testing.T) {
	const (
		taskDef = "What is a task definition?/0"
		service = "What keeps a desired count of tasks running?/0"
	)
	tests := []struct {
		name string
		edit func(string) string
		want string // the result line
		// check compares ids before and after.
		check func(t *testing.T, before, after map[string]int64)
	}{
		{
			name: "unchanged",
			edit: func(s string) string { return s },
			want: "deck demo: 0 added, 0 updated, 0 retired, 5 unchanged",
		},
		{
			name: "edit a back",
			edit: func(s string) string {
				return strings.Replace(s, "The blueprint of a task.", "The JSON blueprint of a task.", 1)
			},
			want: "deck demo: 0 added, 1 updated, 0 retired, 4 unchanged",
			check: func(t *testing.T, before, after map[string]int64) {
				if after[taskDef] != before[taskDef] {
					t.Errorf("edited card changed id %d -> %d", before[taskDef], after[taskDef])
				}
			},
		},
		{
			name: "fix a typo in a front without key",
			edit: func(s string) string {
				return strings.Replace(s, "What keeps a desired count", "What keeps the desired count", 1)
			},
			want: "deck demo: 0 added, 1 updated, 0 retired, 4 unchanged",
			check: func(t *testing.T, before, after map[string]int64) {
				if got := after["What keeps the desired count of tasks running?/0"]; got != before[service] {
					t.Errorf("card with a fixed front got id %d, want %d", got, before[service])
				}
			},
		},
		{
			name: "edit front and back at the same position",
			edit: func(s string) string {
				return strings.Replace(s, "What is a task definition?\nThe blueprint of a task.", "What is an ECS task definition?\nThe JSON blueprint of a task.", 1)
			},
			want: "deck demo: 0 added, 1 updated, 0 retired, 4 unchanged",
			check: func(t *testing.T, before, after map[string]int64) {
				if got := after["What is an ECS task definition?/0"]; got != before[taskDef] {
					t.Errorf("rewritten card got id %d, want %d", got, before[taskDef])
				}
			},
		},
		{
			name: "replace a card with an unrelated one",
			edit: func(s string) string {
				return strings.Replace(s, "What is a task definition?\nThe blueprint of a task.", "Which registry does ECS use?\nECR.", 1)
			},
			want: "deck demo: 1 added, 0 updated, 1 retired, 4 unchanged",
			check: func(t *testing.T, before, after map[string]int64) {
				if _, ok := after[taskDef]; ok {
					t.Error("replaced card is still active")
				}
			},
		},
		{
			name: "add a key to a card",
			edit: func(s string) string {
				return strings.Replace(s, "task definition?", "task definition? {#task-def}", 1)
			},
			want: "deck demo: 0 added, 0 updated, 0 retired, 5 unchanged",
			check: func(t *testing.T, before, after map[string]int64) {
				if after[taskDef] != before[taskDef] {
					t.Errorf("keyed card changed id %d -> %d", before[taskDef], after[taskDef])
				}
			},
		},
		{
			name: "add a cloze number and a card",
			edit: func(s string) string {
				s = strings.Replace(s, "{{c2::docker push}}", "{{c2::docker tag}}, {{c3::docker push}}", 1)
				return strings.Replace(s, "## Scenarios", "### Which service runs containers without servers?\nFargate.\n\n## Scenarios", 1)
			},
			want: "deck demo: 2 added, 2 updated, 0 retired, 3 unchanged",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openTestDB(t)
			if got := importDeck(t, db, baseDeck).String(); got != "deck demo: 5 added, 0 updated, 0 retired, 0 unchanged" {
				t.Fatalf("first import: %s", got)
			}
			before := cardIDs(t, db)
			res := importDeck(t, db, tt.edit(baseDeck))
			if got := res.String(); got != tt.want {
				t.Errorf("re-import: got %q, want %q", got, tt.want)
			}
			if tt.check != nil {
				tt.check(t, before, cardIDs(t, db))
			}
		})
	}
}

func TestImportUnchangedSkips(t *testing.T) {
	db := openTestDB(t)
	importDeck(t, db, baseDeck)
	d1, _ := db.DeckBySlug(context.Background(), anyone, "demo")
	db.Now = func() time.Time { return time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC) }
	res := importDeck(t, db, baseDeck)
	if !res.Skipped || res.Unchanged != 5 {
		t.Errorf("got %+v, want skipped with 5 unchanged", res)
	}
	d2, _ := db.DeckBySlug(context.Background(), anyone, "demo")
	if d2.UpdatedAt != d1.UpdatedAt {
		t.Errorf("skipped import touched the deck: updated_at %d -> %d", d1.UpdatedAt, d2.UpdatedAt)
	}
}

func TestImportRetireAndRestore(t *testing.T) {
	db := openTestDB(t)
	importDeck(t, db, baseDeck)
	before := cardIDs(t, db)
	removed := strings.Replace(baseDeck, "### What keeps a desired count of tasks running?\nA service.\n", "", 1)
	if got := importDeck(t, db, removed).String(); got != "deck demo: 0 added, 0 updated, 1 retired, 4 unchanged" {
		t.Errorf("remove: got %q", got)
	}
	var retired int
	if err := db.ro.Get(&retired, `SELECT COUNT(*) FROM cards WHERE retired_at IS NOT NULL`); err != nil || retired != 1 {
		t.Errorf("got %d retired rows (err %v), want the removed card kept as 1 retired row", retired, err)
	}
	if got := importDeck(t, db, baseDeck).String(); got != "deck demo: 1 added, 0 updated, 0 retired, 4 unchanged" {
		t.Errorf("restore: got %q", got)
	}
	after := cardIDs(t, db)
	for k, id := range before {
		if after[k] != id {
			t.Errorf("%s: id %d after restore, want %d", k, after[k], id)
		}
	}
}

// TestImportFailureLeavesNothing makes the transaction fail half-way (two
// cards with one key, which the parser would never produce) and checks that
// nothing of the deck was written.
func TestImportFailureLeavesNothing(t *testing.T) {
	db := openTestDB(t)
	importDeck(t, db, baseDeck)
	var before int
	db.ro.Get(&before, `SELECT COUNT(*) FROM cards`)

	d := parse(t, strings.Replace(baseDeck, "A service.", "A service, edited.", 1))
	d.Cards = append(d.Cards, d.Cards[0]) // duplicate key: the insert fails
	d.Cards[len(d.Cards)-1].Front = "something else"
	if _, err := db.ImportDeck(context.Background(), d, ImportOptions{}); err == nil {
		t.Fatal("import of a deck with a duplicate key succeeded")
	}
	var after int
	var hash string
	db.ro.Get(&after, `SELECT COUNT(*) FROM cards`)
	db.ro.Get(&hash, `SELECT source_hash FROM decks WHERE slug = 'demo'`)
	if after != before || hash != parse(t, baseDeck).Hash {
		t.Errorf("failed import left %d cards (want %d) and hash %s", after, before, hash)
	}
	var back string
	db.ro.Get(&back, `SELECT back_src FROM cards WHERE back_src LIKE 'A service%'`)
	if back != "A service." {
		t.Errorf("failed import changed a card: %q", back)
	}
}

func TestDeckBySlugNotFound(t *testing.T) {
	db := openTestDB(t)
	_, err := db.DeckBySlug(context.Background(), anyone, "nope")
	if ErrorCode(err) != ENotFound {
		t.Errorf("got %v, want a not-found error", err)
	}
}

// TestImportStopsWhenCancelled: an import whose request is gone writes
// nothing.
func TestImportStopsWhenCancelled(t *testing.T) {
	db := openTestDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := db.ImportDeck(ctx, parse(t, genDeck(200)), ImportOptions{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("import with a cancelled context: %v", err)
	}
	if n := countRows(t, db, `SELECT COUNT(*) FROM cards`); n != 0 {
		t.Errorf("%d cards imported", n)
	}
}
