package store

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flashd/flashd/decks"
)

// genDeck writes a deck of n cards: basic cards with a little Markdown,
// every tenth a multiple-choice scenario.
func genDeck(n int) string {
	var b strings.Builder
	b.WriteString("---\nid: big\ntitle: Generated\n---\n## Key takeaways\n\n")
	for i := 0; i < n*9/10; i++ {
		fmt.Fprintf(&b, "### What is fact number %d?\nFact **%d** says `x = %d`, see [docs](https://example.com/%d).\n\n", i, i, i, i)
	}
	b.WriteString("## Scenarios\n\n")
	for i := 0; i < n-n*9/10; i++ {
		fmt.Fprintf(&b, "### Scenario %d: which option?\n- [ ] wrong %d\n- [x] right %d\n- [ ] other %d\n\nBecause %d.\n\n", i, i, i, i, i)
	}
	return b.String()
}

// BenchmarkImport imports a generated 10,000-card deck into a new database
// (first), the same deck again (unchanged: skipped by its hash), and the
// deck with every card's back edited (edited: every card matched and
// updated). Parsing is outside the timing.
func BenchmarkImport(b *testing.B) {
	const n = 10000
	src := genDeck(n)
	d, err := decks.Parse("big.md", []byte(src))
	if err != nil {
		b.Fatal(err)
	}
	edited, err := decks.Parse("big.md", []byte(strings.ReplaceAll(src, "see [docs]", "read [docs]")))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	open := func(b *testing.B) *DB {
		db, err := Open(ctx, filepath.Join(b.TempDir(), fmt.Sprintf("bench-%d.db", b.N)))
		if err != nil {
			b.Fatal(err)
		}
		return db
	}
	b.Run("first", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			db := open(b)
			b.StartTimer()
			if res, err := db.ImportDeck(ctx, d, ImportOptions{}); err != nil || res.Added != n {
				b.Fatalf("import: %+v %v", res, err)
			}
			b.StopTimer()
			db.Close()
			b.StartTimer()
		}
	})
	b.Run("unchanged", func(b *testing.B) {
		db := open(b)
		defer db.Close()
		db.ImportDeck(ctx, d, ImportOptions{})
		for b.Loop() {
			if res, err := db.ImportDeck(ctx, d, ImportOptions{}); err != nil || !res.Skipped {
				b.Fatalf("re-import: %+v %v", res, err)
			}
		}
	})
	b.Run("edited", func(b *testing.B) {
		db := open(b)
		defer db.Close()
		versions := []*decks.Deck{edited, d}
		db.ImportDeck(ctx, d, ImportOptions{})
		i := 0
		for b.Loop() {
			res, err := db.ImportDeck(ctx, versions[i%2], ImportOptions{})
			if err != nil || res.Updated != n*9/10 {
				b.Fatalf("edited import: %+v %v", res, err)
			}
			i++
		}
	})
}

// BenchmarkParse parses the generated 10,000-card deck, for comparison.
func BenchmarkParse(b *testing.B) {
	src := []byte(genDeck(10000))
	for b.Loop() {
		if _, err := decks.Parse("big.md", src); err != nil {
			b.Fatal(err)
		}
	}
}

// rateSetup opens a database with a generated deck of n cards and one
// learner well into it: the first three quarters of the cards are in
// review and came due over the last 30 days, the rest are new. Reviews per day
// are not limited, so every step has a due card to rate.
func rateSetup(b *testing.B, n int) (*DB, *User) {
	b.Helper()
	db := openTestDB(b)
	ctx := context.Background()
	if _, err := db.ImportDeck(ctx, parse(b, genDeck(n)), ImportOptions{}); err != nil {
		b.Fatal(err)
	}
	u, err := db.CreateUser(ctx, "bench", "bench-password", false, SignUpByAdmin)
	if err != nil {
		b.Fatal(err)
	}
	set := u.Settings()
	set.ReviewsPerDay = 99999
	if err := db.UpdateSettings(ctx, u.ID, "UTC", set); err != nil {
		b.Fatal(err)
	}
	u, _ = db.UserByID(ctx, u.ID)
	now := db.Now().UnixMilli()
	_, err = db.rw.ExecContext(ctx, `INSERT INTO card_states (user_id, card_id, phase, due, stability, difficulty, scheduled_days, reps,
		last_review, updated_at) SELECT ?, id, 2, ? - (id % 30) * 86400000, 10, 5, 10, 3, ? - (id % 30 + 10) * 86400000, ?
		FROM cards WHERE position < ?`, u.ID, now, now, now, n*3/4)
	if err != nil {
		b.Fatal(err)
	}
	return db, u
}
