package store

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/flashd/flashd/srs"
)

// The cost of a review step must not grow with the data: these benchmarks
// run one step (Rate the card shown, then Next) along each axis, each next
// to its raw baseline (store.Baseline: the same SQL, prepared, through
// database/sql alone) on the same database. Compare ns/op within one run:
//
//	go test ./store -run '^$' -bench 'BenchmarkStep' -benchtime 500x (at most 900: the
//	learner has 1,000 new cards on the smaller decks)
//
// The 10M-row review log takes a minute to build; leave it out with
// -bench 'BenchmarkStep/(progress|log=(100k|1M)|accounts|decks)'.

// stepShape is the data a step runs against.
type stepShape struct {
	cards    int // in the learner's deck
	studied  int // of them, in review and due in a month
	reviews  int // rows of the learner's review log
	accounts int // other accounts, each with states and reviews of its own
	decks    int // visible decks (the learner's deck and public ones of 10 cards)
}

// seedStep builds a database of the given shape and returns it with the
// learner, whose every step rates a new card.
func seedStep(b *testing.B, sh stepShape) (*DB, *User) {
	b.Helper()
	db := openTestDB(b)
	ctx := context.Background()
	if _, err := db.ImportDeck(ctx, parse(b, genDeck(sh.cards)), ImportOptions{}); err != nil {
		b.Fatal(err)
	}
	for i := 1; i < sh.decks; i++ {
		src := fmt.Sprintf("---\nid: extra-%d\ntitle: Extra %d\n---\n", i, i)
		for j := 0; j < 10; j++ {
			src += fmt.Sprintf("### Extra %d question %d?\nAnswer %d.\n\n", i, j, j)
		}
		if _, err := db.ImportDeck(ctx, parse(b, src), ImportOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	u, err := db.CreateUser(ctx, "bench", "bench-password", false, SignUpByAdmin)
	if err != nil {
		b.Fatal(err)
	}
	set := u.Settings()
	set.NewPerDay, set.ReviewsPerDay = 9999, 99999
	if err := db.UpdateSettings(ctx, u.ID, "UTC", set); err != nil {
		b.Fatal(err)
	}
	u, _ = db.UserByID(ctx, u.ID)
	now := db.Now().UnixMilli()
	exec := func(q string, args ...any) {
		b.Helper()
		if _, err := db.rw.ExecContext(ctx, q, args...); err != nil {
			b.Fatalf("%v\n%s", err, q)
		}
	}
	deck := `(SELECT id FROM decks WHERE slug = 'big')`
	// The studied cards: in review, due in a month.
	exec(`INSERT INTO card_states (user_id, card_id, phase, due, stability, difficulty, scheduled_days, reps, last_review, version, updated_at)
		SELECT ?, id, 2, ? + 30 * 86400000, 30, 5, 30, 3, ?, 3, ? FROM cards WHERE deck_id = `+deck+` AND position < ?`,
		u.ID, now, now, now, sh.studied)
	// The review log: every row the learner's, spread over the studied
	// cards (or the first card), older than today.
	exec(`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)
		INSERT INTO reviews (user_id, card_id, version, rating, reviewed_at, prev_phase, prev_interval_days, phase, due,
			stability, difficulty, interval_ms, before_state)
		SELECT ?, (SELECT MIN(id) FROM cards WHERE deck_id = `+deck+`) + i % ?, 1000 + i / ?, 3, ? - 86400000 - i, 2, 10, 2, ?,
			10, 5, 864000000, '{}' FROM n`,
		sh.reviews, u.ID, max(1, sh.studied), max(1, sh.studied), now, now)
	// Other accounts, each with 20 states and 20 reviews of the deck.
	exec(`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)
		INSERT INTO users (username, username_key, password_hash, created_at) SELECT 'other' || i, 'other' || i, 'x', ? FROM n`,
		sh.accounts, now)
	exec(`INSERT INTO card_states (user_id, card_id, phase, due, stability, difficulty, scheduled_days, reps, last_review, version, updated_at)
		SELECT u.id, c.id, 2, ?, 10, 5, 10, 1, ?, 1, ? FROM users u JOIN cards c ON c.deck_id = `+deck+` AND c.position < 20
		WHERE u.username_key LIKE 'other%'`, now, now, now)
	exec(`INSERT INTO reviews (user_id, card_id, version, rating, reviewed_at, prev_phase, prev_interval_days, phase, due,
			stability, difficulty, interval_ms, before_state)
		SELECT user_id, card_id, 0, 3, ?, 0, 0, 2, due, 10, 5, 0, '{}' FROM card_states WHERE user_id <> ?`, now-86400_000, u.ID)
	exec(`INSERT INTO study_days (user_id, day, ratings) SELECT DISTINCT user_id, ?, 1 FROM reviews`, (now-86400_000-4*3600_000)/86400_000)
	// What the importer and the rating transaction keep: as if from scratch.
	var deckID int64
	if err := db.rw.GetContext(ctx, &deckID, `SELECT id FROM decks WHERE slug = 'big'`); err != nil {
		b.Fatal(err)
	}
	if err := db.write(ctx, func(tx *sqlx.Tx) error { return recount(ctx, tx, deckID) }); err != nil {
		b.Fatal(err)
	}
	exec(`ANALYZE`)
	return db, u
}

// BenchmarkStep runs review steps along each axis of the data.
func BenchmarkStep(b *testing.B) {
	axes := []struct {
		name  string
		shape stepShape
	}{
		{"progress=0", stepShape{cards: 20000}},
		{"progress=1k", stepShape{cards: 20000, studied: 1000}},
		{"progress=10k", stepShape{cards: 20000, studied: 10000}},
		{"log=100k", stepShape{cards: 2000, studied: 1000, reviews: 100_000}},
		{"log=1M", stepShape{cards: 2000, studied: 1000, reviews: 1_000_000}},
		{"log=10M", stepShape{cards: 2000, studied: 1000, reviews: 10_000_000}},
		{"accounts=10", stepShape{cards: 2000, accounts: 10}},
		{"accounts=1k", stepShape{cards: 2000, accounts: 1000}},
		{"accounts=10k", stepShape{cards: 2000, accounts: 10000}},
		{"decks=1", stepShape{cards: 2000, decks: 1}},
		{"decks=50", stepShape{cards: 2000, decks: 50}},
	}
	ctx := context.Background()
	for _, ax := range axes {
		b.Run(ax.name, func(b *testing.B) {
			db, u := seedStep(b, ax.shape)
			b.Run("store", func(b *testing.B) {
				q, err := db.Next(ctx, u, Filter{})
				if err != nil || q.Card == nil {
					b.Fatalf("first card: %+v %v", q, err)
				}
				for b.Loop() {
					if _, err := db.Rate(ctx, u, q.Card.ID, q.Card.State.Token(), srs.Easy); err != nil {
						b.Fatal(err)
					}
					if q, err = db.Next(ctx, u, Filter{}); err != nil || q.Card == nil {
						b.Fatalf("next: %+v %v", q, err)
					}
				}
			})
			b.Run("raw", func(b *testing.B) {
				raw, err := OpenBaseline(db.path)
				if err != nil {
					b.Fatal(err)
				}
				defer raw.Close()
				q, err := db.Next(ctx, u, Filter{})
				if err != nil || q.Card == nil {
					b.Fatalf("first card: %+v %v", q, err)
				}
				card := q.Card.ID
				for b.Loop() {
					if err := raw.Step(ctx, u.ID, card, card+1, db.Now(), false); err != nil {
						b.Fatal(err)
					}
					card++
				}
			})
		})
	}
}

// BenchmarkStepDuring runs review steps while nothing else happens, while
// a 10,000-card deck is imported over and over (each time edited), and
// while backups are taken over and over, and reports the steps' 50th and
// 99th percentile latencies (p50-ms, p99-ms) besides the mean:
//
//	go test ./store -run '^$' -bench 'BenchmarkStepDuring' -benchtime 400x
func BenchmarkStepDuring(b *testing.B) {
	ctx := context.Background()
	big := genDeck(10000)
	for _, during := range []string{"idle", "import", "backup"} {
		b.Run(during, func(b *testing.B) {
			db, u := seedStep(b, stepShape{cards: 2000})
			stop := make(chan struct{})
			done := make(chan int)
			go func() {
				n := 0
				defer func() { done <- n }()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					switch during {
					case "idle":
						return
					case "import":
						src := strings.ReplaceAll(big, "id: big", "id: other")
						src = strings.ReplaceAll(src, "see [docs]", fmt.Sprintf("see [docs %d]", i))
						if _, err := db.ImportDeck(ctx, parse(b, src), ImportOptions{}); err != nil {
							b.Error(err)
							return
						}
					case "backup":
						if err := db.Backup(ctx, filepath.Join(b.TempDir(), fmt.Sprintf("backup-%d.db", i))); err != nil {
							b.Error(err)
							return
						}
					}
					n++
				}
			}()
			q, err := db.Next(ctx, u, Filter{})
			if err != nil || q.Card == nil {
				b.Fatalf("first card: %+v %v", q, err)
			}
			var lat []time.Duration
			for b.Loop() {
				t0 := time.Now()
				if _, err := db.Rate(ctx, u, q.Card.ID, q.Card.State.Token(), srs.Easy); err != nil {
					b.Fatal(err)
				}
				if q, err = db.Next(ctx, u, Filter{}); err != nil || q.Card == nil {
					b.Fatalf("next: %+v %v", q, err)
				}
				lat = append(lat, time.Since(t0))
			}
			close(stop)
			runs := <-done
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(runs), during+"s")
		})
	}
}
