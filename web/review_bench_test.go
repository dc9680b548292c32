package web

import (
	"context"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"github.com/flashd/flashd/srs"
	"github.com/flashd/flashd/store"
)

// BenchmarkReviewStep is one learner's review step as the browser takes
// it, through the real router and a loopback socket: the htmx rating post
// whose answer is the next card's pane. Its "pane" sub-benchmark renders
// the pane's template alone, and "next" reads the step from the store
// alone, to show their shares; profile with -cpuprofile for the rest
// (session, CSRF, HTTP):
//
//	go test ./web -run '^$' -bench BenchmarkReviewStep -benchtime 2000x
func BenchmarkReviewStep(b *testing.B) {
	db, _ := benchDB(b, "learner", 3000, nil)
	ctx := context.Background()
	u, err := db.Authenticate(ctx, "learner", "learner-password")
	if err != nil {
		b.Fatal(err)
	}
	set := u.Settings()
	set.NewPerDay, set.ReviewsPerDay = 9999, 99999
	if err := db.UpdateSettings(ctx, u.ID, "UTC", set); err != nil {
		b.Fatal(err)
	}
	c := benchClient(b, db, "learner")
	_, page := c.get("/review?deck=bench")
	card, token := cardID(page), field(page, "token")
	b.Run("post", func(b *testing.B) {
		for b.Loop() {
			resp, pane := c.post("/review/"+card, url.Values{"token": {token}, "rating": {"4"}, "deck": {"bench"}}, "HX-Request", "true")
			if resp.StatusCode != 200 {
				b.Fatalf("rate: %d", resp.StatusCode)
			}
			if card, token = cardID(pane), field(pane, "token"); card == "" {
				b.Fatal("no next card")
			}
		}
	})
	u, _ = db.UserByID(ctx, u.ID)
	b.Run("next", func(b *testing.B) {
		for b.Loop() {
			if q, err := db.Next(ctx, u, store.Filter{Deck: "bench"}); err != nil || q.Card == nil {
				b.Fatal(err)
			}
		}
	})
	s, err := New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	q, _ := db.Next(ctx, u, store.Filter{Deck: "bench"})
	v := newCardView(&q.Card.Card)
	p := &reviewPane{CSRF: strings.Repeat("x", 43), Filter: store.Filter{Deck: "bench"}, Query: "deck=bench", Card: &v,
		Token: q.Card.State.Token(), Counts: q.Counts, Undo: q.Undo, Picked: -1}
	for i, r := range srs.Ratings {
		p.Buttons[i] = ratingButton{Rating: int(r), Label: r.String(), Key: string(rune('1' + i)), Interval: "10m"}
	}
	t := s.pages.byName["review"]
	b.Run("pane", func(b *testing.B) {
		for b.Loop() {
			if err := t.ExecuteTemplate(io.Discard, "reviewpane", p); err != nil {
				b.Fatal(err)
			}
		}
	})
}
