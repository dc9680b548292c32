package web

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flashd/flashd/decks"
	"github.com/flashd/flashd/store"
)

// BenchmarkGroupPage serves the group page of a group of 50 members with
// 100,000 reviews between them over a 400-card deck, through the real
// router, logged in as the owner. The "count" sub-benchmark is a plain
// indexed count of the group's reviews in the same database, as a
// baseline to compare with.
func BenchmarkGroupPage(b *testing.B) {
	const (
		members = 50
		cards   = 400
		reviews = 100_000
	)
	var g *store.Group
	db, path := benchDB(b, "owner", cards, func(db *store.DB, owner *store.User) store.ImportOptions {
		var err error
		if g, err = db.CreateGroup(context.Background(), owner, "Bench"); err != nil {
			b.Fatal(err)
		}
		return store.ImportOptions{GroupID: g.ID}
	})
	seedGroup(b, path, g.ID, members, cards, reviews)
	c := benchClient(b, db, "owner")

	page := fmt.Sprintf("/groups/%d", g.ID)
	if resp, body := c.get(page); resp.StatusCode != 200 || strings.Count(body, "<tr") < members {
		b.Fatalf("group page: %d", resp.StatusCode)
	}
	b.Run("page", func(b *testing.B) {
		for b.Loop() {
			if resp, _ := c.get(page); resp.StatusCode != 200 {
				b.Fatal(resp.StatusCode)
			}
		}
	})
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=query_only(1)")
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	b.Run("count", func(b *testing.B) {
		for b.Loop() {
			var n int
			if err := raw.QueryRow(`SELECT COUNT(*) FROM reviews r JOIN group_members m ON m.user_id = r.user_id AND m.group_id = ?`, g.ID).Scan(&n); err != nil || n != reviews {
				b.Fatalf("count: %d %v", n, err)
			}
		}
	})
}

// seedGroup adds members-1 members to the group and writes reviews
// review rows and the matching card states straight into the database,
// spread over the last 60 days.
func seedGroup(b *testing.B, path string, groupID int64, members, cards, reviews int) {
	b.Helper()
	raw, tx := seedTx(b, path)
	defer raw.Close()
	now := time.Now().UnixMilli()
	userIDs := seedUsers(b, tx, "m", members)
	for _, id := range userIDs[1:] {
		if _, err := tx.Exec(`INSERT INTO group_members (group_id, user_id, role, joined_at) VALUES (?, ?, 'member', ?)`, groupID, id, now); err != nil {
			b.Fatal(err)
		}
	}
	var cardIDs []int64
	rows, err := tx.Query(`SELECT c.id FROM cards c JOIN decks d ON d.id = c.deck_id WHERE d.group_id = ?`, groupID)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		cardIDs = append(cardIDs, id)
	}
	rows.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	insReview, _ := tx.Prepare(`INSERT INTO reviews (user_id, card_id, version, rating, reviewed_at, prev_phase, phase, due, stability, difficulty,
		interval_ms, before_state) VALUES (?, ?, ?, ?, ?, ?, 2, ?, ?, ?, ?, '{}')`)
	insState, _ := tx.Prepare(`INSERT INTO card_states (user_id, card_id, phase, due, stability, difficulty, reps, lapses, last_review, version, updated_at)
		VALUES (?, ?, 2, ?, ?, 5, ?, ?, ?, ?, ?) ON CONFLICT (user_id, card_id) DO UPDATE SET reps = reps + 1, version = version + 1,
		lapses = lapses + excluded.lapses, last_review = MAX(last_review, excluded.last_review), due = MAX(due, excluded.due)`)
	for i := 0; i < reviews; i++ {
		u := userIDs[i%members]
		card := cardIDs[rng.IntN(len(cardIDs))]
		at := now - rng.Int64N(60*86400_000)
		rating := 1 + rng.IntN(4)
		lapse := 0
		if rating == 1 {
			lapse = 1
		}
		stab := 1 + rng.Float64()*30
		due := at + int64(stab*86400_000)
		if _, err := insReview.Exec(u, card, i, rating, at, 2, due, stab, 5.0, due-at); err != nil {
			b.Fatal(err)
		}
		if _, err := insState.Exec(u, card, due, stab, 1, lapse, at, i, now); err != nil {
			b.Fatal(err)
		}
		if _, err := tx.Exec(`INSERT INTO study_days (user_id, day) VALUES (?, ?) ON CONFLICT DO NOTHING`, u, (at-4*3600_000)/86400_000); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkStats serves the full statistics page of one learner holding
// 200,000 reviews over two years, in a database of 1,000,000 reviews, next
// to a plain indexed count of that learner's reviews in the same run.
// "page-plain-index" serves the page again after swapping the covering
// index of the review log for a plain (user_id, reviewed_at) one: the
// before and after of that index.
func BenchmarkStats(b *testing.B) {
	const (
		users   = 20
		cards   = 400
		reviews = 1_000_000
		mine    = 200_000
	)
	db, path := benchDB(b, "learner", cards, nil)
	seedReviews(b, path, users, cards, reviews, mine)
	c := benchClient(b, db, "learner")

	page := func(b *testing.B) {
		for b.Loop() {
			if resp, _ := c.get("/stats"); resp.StatusCode != 200 {
				b.Fatal(resp.StatusCode)
			}
		}
	}
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	b.Run("page", page)
	b.Run("count", func(b *testing.B) {
		for b.Loop() {
			var n int
			if err := raw.QueryRow(`SELECT COUNT(*) FROM reviews WHERE user_id = 1`).Scan(&n); err != nil || n != mine {
				b.Fatalf("count: %d %v", n, err)
			}
		}
	})
	if _, err := raw.Exec(`DROP INDEX reviews_user_time_stats; CREATE INDEX reviews_user_time ON reviews (user_id, reviewed_at)`); err != nil {
		b.Fatal(err)
	}
	b.Run("page-plain-index", page)
}

// seedReviews writes reviews rows: mine of them for user 1 over the last
// two years, the rest for users-1 other users; plus the card states and
// study days they imply.
func seedReviews(b *testing.B, path string, users, cards, reviews, mine int) {
	b.Helper()
	raw, tx := seedTx(b, path)
	defer raw.Close()
	now := time.Now().UnixMilli()
	userIDs := seedUsers(b, tx, "u", users)
	rng := rand.New(rand.NewPCG(3, 4))
	insReview, _ := tx.Prepare(`INSERT INTO reviews (user_id, card_id, version, rating, reviewed_at, prev_phase, prev_interval_days, phase, due,
		stability, difficulty, interval_ms, before_state) VALUES (?, ?, ?, ?, ?, ?, ?, 2, ?, ?, 5, ?, '{}')`)
	const span = 2 * 365 * 86400_000
	for i := 0; i < reviews; i++ {
		u := userIDs[0]
		if i >= mine {
			u = userIDs[1+i%(users-1)]
		}
		card := int64(1 + rng.IntN(cards))
		at := now - rng.Int64N(span)
		stab := 1 + rng.Float64()*60
		due := at + int64(stab*86400_000)
		if _, err := insReview.Exec(u, card, i, 1+rng.IntN(4), at, rng.IntN(4), rng.IntN(60), due, stab, due-at); err != nil {
			b.Fatal(err)
		}
	}
	// One state per (user, card) and the study days, derived in SQL.
	if _, err := tx.Exec(`INSERT INTO card_states (user_id, card_id, phase, due, stability, difficulty, reps, lapses, last_review, version, updated_at)
		SELECT user_id, card_id, 2, MAX(due), 10, 5, COUNT(*), SUM(rating = 1), MAX(reviewed_at), COUNT(*), ? FROM reviews GROUP BY user_id, card_id`, now); err != nil {
		b.Fatal(err)
	}
	if _, err := tx.Exec(`INSERT INTO study_days (user_id, day) SELECT DISTINCT user_id, (reviewed_at - 14400000) / 86400000 FROM reviews`); err != nil {
		b.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}

// seedTx opens the database file directly, for seeding, and begins the
// one transaction that writes the seed.
func seedTx(b *testing.B, path string) (*sql.DB, *sql.Tx) {
	b.Helper()
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=synchronous(OFF)&_txlock=immediate")
	if err != nil {
		b.Fatal(err)
	}
	tx, err := raw.Begin()
	if err != nil {
		b.Fatal(err)
	}
	return raw, tx
}

// seedUsers adds n-1 users named prefix01... (that cannot log in) and
// returns their ids after user 1's.
func seedUsers(b *testing.B, tx *sql.Tx, prefix string, n int) []int64 {
	b.Helper()
	ids := []int64{1}
	for i := 1; i < n; i++ {
		name := fmt.Sprintf("%s%02d", prefix, i)
		r, err := tx.Exec(`INSERT INTO users (username, username_key, password_hash, created_at) VALUES (?, ?, 'x', ?)`, name, name, time.Now().UnixMilli())
		if err != nil {
			b.Fatal(err)
		}
		id, _ := r.LastInsertId()
		ids = append(ids, id)
	}
	return ids
}

// benchDB opens a database in a temporary folder with one user (name,
// password name+"-password", user 1) and a generated deck of cards
// cards, imported with the options scope gives (public when nil). The
// database closes with the benchmark.
func benchDB(b *testing.B, name string, cards int, scope func(*store.DB, *store.User) store.ImportOptions) (*store.DB, string) {
	b.Helper()
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "flashd.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	u, err := db.CreateUser(ctx, name, name+"-password", false, store.SignUpByAdmin)
	if err != nil {
		b.Fatal(err)
	}
	var md strings.Builder
	md.WriteString("---\nid: bench\ntitle: Bench\n---\n")
	for i := 0; i < cards; i++ {
		fmt.Fprintf(&md, "### Question %d?\nAnswer %d.\n", i, i)
	}
	d, err := decks.Parse("bench.md", []byte(md.String()))
	if err != nil {
		b.Fatal(err)
	}
	opt := store.ImportOptions{}
	if scope != nil {
		opt = scope(db, u)
	}
	if _, err := db.ImportDeck(ctx, d, opt); err != nil {
		b.Fatal(err)
	}
	return db, path
}

// benchClient serves db on loopback and returns a client logged in as
// name.
func benchClient(b *testing.B, db *store.DB, name string) *client {
	b.Helper()
	s, err := New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(s)
	b.Cleanup(srv.Close)
	c := newClient(b, srv)
	if resp := c.logIn(name, name+"-password"); resp.StatusCode != http.StatusSeeOther {
		b.Fatalf("log in: %d", resp.StatusCode)
	}
	return c
}
