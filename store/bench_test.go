package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flashd/flashd/decks"
	"github.com/flashd/flashd/srs"
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

// BenchmarkRate measures one review step through the store: rate the
// current card, then fetch the next one (Rate, then Next), on a deck of
// 2,000 cards, 1,500 of them due; run it with at most -benchtime 1500x.
// Its "raw" sub-benchmark runs the same SQL statements, prepared, on the
// same database shape with database/sql alone, without FSRS, sqlx mapping
// or JSON: the floor the store can approach. Compare the two ns/op
// figures of one run.
func BenchmarkRate(b *testing.B) {
	const cards = 2000
	ctx := context.Background()
	b.Run("store", func(b *testing.B) {
		db, u := rateSetup(b, cards)
		q, err := db.Next(ctx, u, Filter{})
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := db.Rate(ctx, u, q.Card.ID, q.Card.State.Token(), srs.Good); err != nil {
				b.Fatal(err)
			}
			if q, err = db.Next(ctx, u, Filter{}); err != nil || q.Card == nil {
				b.Fatalf("next: %+v %v", q, err)
			}
		}
	})
	b.Run("raw", func(b *testing.B) {
		db, u := rateSetup(b, cards)
		raw := db.rw.DB // the one writer connection, without sqlx or the store
		now := db.Now().UnixMilli()
		dayStart, dayEnd := now-3600_000, now+3600_000
		vis := []any{u.ID, u.ID}
		study := []any{u.ID, u.ID, u.ID}
		// The statements of one review step, prepared once, as the store
		// prepares them.
		prep := func(q string) *sql.Stmt {
			st, err := raw.Prepare(q)
			if err != nil {
				b.Fatal(err)
			}
			return st
		}
		var (
			visible   = prep(checkVisibleSQL)
			load      = prep(loadStateSQL)
			save      = prep(saveStateSQL)
			insert    = prep(insertReviewSQL)
			studyDay  = prep(insertStudyDaySQL)
			today     = prep(`SELECT COALESCE(SUM(CASE WHEN prev_phase = 0 THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN prev_phase = 2 THEN 1 ELSE 0 END), 0) FROM reviews WHERE user_id = ? AND reviewed_at >= ? AND undone_at IS NULL`)
			learning  = prep(`SELECT COALESCE(SUM(CASE WHEN s.due <= ? THEN 1 ELSE 0 END), 0), COUNT(*) FROM card_states s JOIN cards c ON c.id = s.card_id WHERE s.user_id = ? AND s.phase IN (1, 3) AND s.due <= ? AND s.suspended = 0 AND s.buried_until <= ? AND ` + studyCards + ` AND 1 = 1`)
			due       = prep(`SELECT COUNT(*) FROM (SELECT 1 FROM card_states s JOIN cards c ON c.id = s.card_id WHERE s.user_id = ? AND s.phase = 2 AND s.due < ? AND s.suspended = 0 AND s.buried_until <= ? AND ` + studyCards + ` AND 1 = 1 LIMIT ?)`)
			deckCards = prep(`SELECT COALESCE(SUM(d.active_cards), 0) FROM decks d WHERE d.id IN (` + visibleDecks + `) AND d.id NOT IN (SELECT p.deck_id FROM deck_pauses p WHERE p.user_id = ?)`)
			notNew    = prep(`SELECT COUNT(*) FROM card_states s JOIN cards c ON c.id = s.card_id WHERE s.user_id = ? AND NOT (s.phase = 0 AND s.suspended = 0 AND s.buried_until <= ?) AND ` + studyCards + ` AND 1 = 1`)
			pick      = prep(`SELECT c.id FROM card_states s JOIN cards c ON c.id = s.card_id JOIN decks d ON d.id = c.deck_id WHERE s.user_id = ? AND s.phase = 2 AND s.due < ? AND s.suspended = 0 AND s.buried_until <= ? AND ` + studyCards + ` AND 1 = 1 ORDER BY s.due, c.id LIMIT 1`)
		)
		var cardID int64
		pickNext := func() {
			if err := pick.QueryRow(args([]any{u.ID, dayEnd, now}, study)...).Scan(&cardID); err != nil {
				b.Fatal(err)
			}
		}
		pickNext()
		for b.Loop() {
			tx, err := raw.Begin()
			if err != nil {
				b.Fatal(err)
			}
			var n, version, phase, sched, reps, lapses, steps int64
			var dueAt, last, buried int64
			var stab, diff float64
			var susp, flag bool
			tx.Stmt(visible).QueryRow(args([]any{cardID}, vis)...).Scan(&n)
			tx.Stmt(load).QueryRow(u.ID, cardID).Scan(&phase, &dueAt, &stab, &diff, &sched, &reps, &lapses, &last, &steps, &susp, &buried, &flag, &version)
			if _, err := tx.Stmt(save).Exec(u.ID, cardID, 2, now+31*86400_000, 30.5, 4.9, 31, reps+1, lapses, now, 0, false, 0, false, version+1, now); err != nil {
				b.Fatal(err)
			}
			if _, err := tx.Stmt(insert).Exec(u.ID, cardID, version, 3, now, 2, sched, 2, now+31*86400_000, 30.5, 4.9, 31*86400_000, "{}"); err != nil {
				b.Fatal(err)
			}
			if _, err := tx.Stmt(studyDay).Exec(u.ID, now/86400_000); err != nil {
				b.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
			// The reads of Next: today's ratings, the counts, the card.
			var n1, n2, l1, l2, r1, dc, nn int
			today.QueryRow(u.ID, dayStart).Scan(&n1, &n2)
			learning.QueryRow(args([]any{now, u.ID, now + 1200_000, now}, study)...).Scan(&l1, &l2)
			due.QueryRow(args([]any{u.ID, dayEnd, now}, study, []any{99999 - n2})...).Scan(&r1)
			deckCards.QueryRow(study...).Scan(&dc)
			notNew.QueryRow(args([]any{u.ID, now}, study)...).Scan(&nn)
			pickNext()
			load.QueryRow(u.ID, cardID).Scan(&phase, &dueAt, &stab, &diff, &sched, &reps, &lapses, &last, &steps, &susp, &buried, &flag, &version)
		}
	})
}
