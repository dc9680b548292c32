package web

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/flashd/flashd/decks"
	"github.com/flashd/flashd/store"
)

// checkUniform fails unless every option lands in every position, and in
// each with a frequency within six standard deviations of 1/n: over a
// fixed set of seeds, so the test gives the same answer on every run.
func checkUniform(t *testing.T, name string, n int, orders [][]int) {
	t.Helper()
	counts := make([][]int, n) // counts[option][position]
	for i := range counts {
		counts[i] = make([]int, n)
	}
	for _, order := range orders {
		if len(order) != n {
			t.Fatalf("%s: order %v of %d options", name, order, n)
		}
		seen := make([]bool, n)
		for pos, a := range order {
			if a < 0 || a >= n || seen[a] {
				t.Fatalf("%s: %v is not a permutation of %d options", name, order, n)
			}
			seen[a] = true
			counts[a][pos]++
		}
	}
	p := 1 / float64(n)
	want := float64(len(orders)) * p
	tol := 6 * math.Sqrt(float64(len(orders))*p*(1-p))
	for a := range counts {
		for pos, got := range counts[a] {
			if got == 0 || math.Abs(float64(got)-want) > tol {
				t.Errorf("%s, %d options: option %d shown at position %d %d times in %d showings, want %.0f±%.0f",
					name, n, a, pos, got, len(orders), want, tol)
			}
		}
	}
}

// TestOptionOrderUniform: over many showings, of one card or of many
// cards, each option appears in each position about as often.
func TestOptionOrderUniform(t *testing.T) {
	const showings = 2000
	for n := 1; n <= decks.MaxOptions; n++ {
		var ofOneCard, ofManyCards [][]int
		for k := range showings {
			// One card rated again and again: each rating makes a showing.
			st := store.CardState{Reps: k, LastReview: 1_750_000_000_000 + int64(k)*600_000}
			ofOneCard = append(ofOneCard, optionOrder(n, showingSeed(7, 61, &st)))
			// The first showing of many new cards.
			ofManyCards = append(ofManyCards, optionOrder(n, showingSeed(1, int64(k+1), &store.CardState{})))
		}
		checkUniform(t, "showings of one card", n, ofOneCard)
		checkUniform(t, "new cards", n, ofManyCards)
	}
	// Every order of four options comes up, each about as often.
	seen := map[string]int{}
	for k := range 24 * 200 {
		seen[fmt.Sprint(optionOrder(4, showingSeed(3, int64(k), &store.CardState{Reps: 1})))]++
	}
	if len(seen) != 24 {
		t.Errorf("%d of the 24 orders of four options come up", len(seen))
	}
	for order, got := range seen {
		if got < 200-6*14 || got > 200+6*14 {
			t.Errorf("order %s: %d times in %d, want about 200", order, got, 24*200)
		}
	}
}

// TestOptionOrderStable: the same showing gives the same order; a rating
// (a new showing), another card or another user a different one.
func TestOptionOrderStable(t *testing.T) {
	st := store.CardState{Reps: 3, LastReview: 1_750_000_000_000, Version: 5}
	first := optionOrder(6, showingSeed(1, 61, &st))
	if again := optionOrder(6, showingSeed(1, 61, &st)); !slices.Equal(first, again) {
		t.Fatalf("one showing, two orders: %v, %v", first, again)
	}
	// What does not end the showing keeps the order: a flag, a burial,
	// a suspension (each bumps the version).
	kept := st
	kept.Flagged, kept.Suspended, kept.BuriedUntil, kept.Version = true, true, 1_750_086_400_000, 9
	if got := optionOrder(6, showingSeed(1, 61, &kept)); !slices.Equal(first, got) {
		t.Errorf("flagging, burying or suspending reshuffled: %v, then %v", first, got)
	}
	// Each input changes the order in most cases (a few coincide by chance).
	differ := func(name string, seed func(k int) [32]byte) {
		same := 0
		for k := range 100 {
			if slices.Equal(optionOrder(6, seed(k)), optionOrder(6, seed(k+1))) {
				same++
			}
		}
		if same > 10 {
			t.Errorf("%s: %d of 100 neighbours keep the order of 6 options", name, same)
		}
	}
	differ("another user", func(k int) [32]byte { return showingSeed(int64(k), 61, &st) })
	differ("another card", func(k int) [32]byte { return showingSeed(1, int64(k), &st) })
	differ("another rating count", func(k int) [32]byte {
		s := st
		s.Reps = k
		return showingSeed(1, 61, &s)
	})
	differ("another rating time", func(k int) [32]byte {
		s := st
		s.LastReview += int64(k)
		return showingSeed(1, 61, &s)
	})
	// The order is pinned (the values agree with an independent
	// implementation of shuffle.go's description): a change would
	// reshuffle every showing on screen while a server is upgraded.
	for _, tt := range []struct {
		user, card int64
		st         store.CardState
		n          int
		want       []int
	}{
		{1, 1, store.CardState{}, 4, []int{0, 3, 1, 2}},
		{1, 61, store.CardState{}, 4, []int{1, 0, 2, 3}},
		{2, 61, store.CardState{Reps: 1, LastReview: 1_750_000_000_000}, 8, []int{7, 6, 0, 4, 5, 2, 3, 1}},
	} {
		if got := optionOrder(tt.n, showingSeed(tt.user, tt.card, &tt.st)); !slices.Equal(got, tt.want) {
			t.Errorf("user %d card %d %+v: order %v, want %v", tt.user, tt.card, tt.st, got, tt.want)
		}
	}
}

// scenarioShowing loads a scenario card's review pane (the next of the
// filter's queue when id is "") and checks that its options are the
// card's in the order optionOrder gives this showing. It returns the
// card's id, its deck card, the options shown and the showing's token.
func scenarioShowing(t *testing.T, db *store.DB, c *client, query, id string) (string, *decks.Card, []shownOption, string) {
	t.Helper()
	path := "/review?" + query
	if id != "" {
		path += "&card=" + id
	}
	resp, body := c.get(path, "HX-Request", "true")
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", path, resp.StatusCode)
	}
	id = cardID(body)
	card := deckCard(t, db, 1, id)
	u, _ := db.UserByID(context.Background(), 1)
	n, _ := strconv.ParseInt(id, 10, 64)
	rc, err := db.ReviewCardByID(context.Background(), u, n)
	if err != nil {
		t.Fatal(err)
	}
	order := optionOrder(len(card.Options), showingSeed(u.ID, n, &rc.State))
	shown := pickOptions(body)
	if len(shown) != len(order) {
		t.Fatalf("card %s: %d options shown, want %d:\n%s", card.Key, len(shown), len(order), body)
	}
	for i, o := range shown {
		if o.HTML != card.Options[order[i]].HTML || o.Letter != string(rune('A'+i)) || o.Pick != strconv.Itoa(i) ||
			!strings.Contains(body, `data-key="`+string(rune('1'+i))+`" href="/review?card=`+id+`&amp;pick=`+o.Pick+`&amp;token=`+rc.State.Token()+`&amp;`) {
			t.Fatalf("card %s: option %d shown as %+v, want option %d of the deck (%s) with letter %c, its key and a pick link for this showing",
				card.Key, i, o, order[i], card.Options[order[i]].HTML, 'A'+i)
		}
	}
	return id, card, shown, rc.State.Token()
}

// TestShuffledReview: the review pane shows a scenario card's options in
// this showing's order; a reload keeps it; a pick is judged, marked and
// rated in the same order; a rating starts a new showing with its own
// order; a replayed token still rates once.
func TestShuffledReview(t *testing.T) {
	_, db, c := startServer(t)
	const deck = "aws-dva-c02-containers"
	query := "deck=" + deck + "&kind=scenario"

	// The queue's first scenario card, shown twice: one order.
	id, card, shown, token := scenarioShowing(t, db, c, query, "")
	_, full := c.get("/review?" + query)
	if _, _, again, _ := scenarioShowing(t, db, c, query, id); !slices.Equal(shown, again) || !slices.Equal(pickOptions(full), shown) {
		t.Fatalf("a reload changed the order: %v, then %v and %v", shown, again, pickOptions(full))
	}
	// Each pick, by the index shown, is judged on the option shown there,
	// and the pane after it keeps the order.
	for i, o := range shown {
		resp, frag := c.get("/review?card="+id+"&pick="+o.Pick+"&token="+token+"&"+query, "HX-Request", "true")
		right := card.Options[optionIndex(card, o.HTML)].Correct
		revealed := revealedOptions(frag)
		if resp.StatusCode != 200 || len(revealed) != len(shown) {
			t.Fatalf("pick %s: %d, %d options:\n%s", o.Pick, resp.StatusCode, len(revealed), frag)
		}
		for j, r := range revealed {
			wantClass := ""
			if card.Options[optionIndex(card, r.HTML)].Correct {
				wantClass = "correct"
			}
			if j == i {
				wantClass = strings.TrimSpace(wantClass + " picked")
			}
			if r.HTML != shown[j].HTML || r.Letter != shown[j].Letter || r.Class != wantClass {
				t.Errorf("pick %s: option %d after the pick %+v, want %q with class %q", o.Pick, j, r, shown[j].HTML, wantClass)
			}
		}
		verdict, suggested := "Wrong.", `class="rating r1 suggested"`
		if right {
			verdict, suggested = "Right!", `class="rating r3 suggested"`
		}
		if !strings.Contains(frag, verdict) || !strings.Contains(frag, suggested) {
			t.Errorf("pick %s (%s): want %s and %s:\n%s", o.Pick, o.HTML, verdict, suggested, frag)
		}
		// A pick link without a token (an older page) is judged the same.
		if _, old := c.get("/review?card="+id+"&pick="+o.Pick+"&"+query, "HX-Request", "true"); !strings.Contains(old, verdict) {
			t.Errorf("pick %s without a token: want %s", o.Pick, verdict)
		}
		if field(frag, "token") != token {
			t.Errorf("pick %s: the rating form has token %q, want the showing's %q", o.Pick, field(frag, "token"), token)
		}
	}
	for _, pick := range []string{strconv.Itoa(len(shown)), "8", "-1", "x"} {
		if resp, _ := c.get("/review?card=" + id + "&pick=" + pick + "&" + query); resp.StatusCode != 400 {
			t.Errorf("pick %s of %d options: %d, want 400", pick, len(shown), resp.StatusCode)
		}
	}
	// Flagging keeps the showing, and its order.
	if _, frag := c.post("/review/"+id+"/action", url.Values{"action": {"flag"}, "deck": {deck}, "kind": {"scenario"}}, "HX-Request", "true"); !slices.Equal(pickOptions(frag), shown) {
		t.Errorf("flagging changed the order: %v, then %v", shown, pickOptions(frag))
	}
	_, _, again, token := scenarioShowing(t, db, c, query, id)
	if !slices.Equal(shown, again) {
		t.Errorf("the order after flagging: %v, want %v", again, shown)
	}

	// Rate it Again, and replay the rating: one review.
	rate := url.Values{"rating": {"1"}, "token": {token}, "deck": {deck}, "kind": {"scenario"}}
	c.post("/review/"+id, rate, "HX-Request", "true")
	_, frag := c.post("/review/"+id, rate, "HX-Request", "true")
	if n := reviewCount(t, db, "admin"); n != 1 || !strings.Contains(frag, "already rated") {
		t.Fatalf("a rating and its replay: %d reviews, want 1 and the notice:\n%s", n, frag)
	}
	// The pick link of the page before the rating is not judged against
	// the new showing's order.
	_, frag = c.get("/review?card="+id+"&pick=0&token="+url.QueryEscape(token)+"&"+query, "HX-Request", "true")
	if strings.Contains(frag, "Right!") || strings.Contains(frag, "Wrong.") || !strings.Contains(frag, "pick again") || len(pickOptions(frag)) != len(shown) {
		t.Errorf("a pick on the page of the rated showing: want no verdict, a notice and the options again:\n%s", frag)
	}

	// Each rating starts a new showing with its own order (checked against
	// optionOrder by scenarioShowing); over eight showings the order
	// changes (all eight the same by chance: 1 in 24^7 or less).
	orders := map[string]bool{}
	var before []shownOption
	for range 8 {
		_, _, s, tok := scenarioShowing(t, db, c, query, id)
		orders[fmt.Sprint(s)] = true
		before = s
		c.post("/review/"+id, url.Values{"rating": {"3"}, "token": {tok}, "deck": {deck}, "kind": {"scenario"}}, "HX-Request", "true")
	}
	if len(orders) < 2 {
		t.Errorf("eight showings of card %s, one order: %v", card.Key, orders)
	}
	if n := reviewCount(t, db, "admin"); n != 9 {
		t.Errorf("%d reviews, want 9", n)
	}
	// An undo gives the card back as it was rated: the same order.
	_, frag = c.get("/review?"+query, "HX-Request", "true")
	c.post("/review/undo", url.Values{"undo": {field(frag, "undo")}, "deck": {deck}, "kind": {"scenario"}}, "HX-Request", "true")
	if _, _, s, _ := scenarioShowing(t, db, c, query, id); !slices.Equal(s, before) {
		t.Errorf("after an undo: %v, want the order the card was rated in, %v", s, before)
	}
}

// TestAuthoredOrder: the deck page, the card info page and the Anki export
// list a scenario card's options in the order written, while the review
// shows them shuffled.
func TestAuthoredOrder(t *testing.T) {
	_, db, c := startServer(t)
	const deck = "aws-dva-c02-containers"
	_, page := c.get("/decks/" + deck)
	export := readExport(t, c, deck)
	written := map[string]string{} // card key -> its options as the deck page lists them
	for _, card := range builtinDeck(t, deck).Cards {
		if card.Type != decks.TypeChoice {
			continue
		}
		var list, anki strings.Builder
		for i, o := range card.Options {
			class, tick := "", ""
			if o.Correct {
				class, tick = "correct", ` <span class="tick" aria-label="correct">✓</span>`
			}
			fmt.Fprintf(&list, `<li class="%s"><span class="letter">%c</span> %s%s</li>`, class, 'A'+i, o.HTML, tick)
			anki.WriteString("<li>" + o.HTML + "</li>")
		}
		written[card.Key] = list.String()
		if !strings.Contains(page, list.String()) {
			t.Errorf("deck page: card %s lacks its options in the order written:\n%s", card.Key, list.String())
		}
		found := false
		for _, row := range export.Rows {
			found = found || strings.Contains(row[3], `<ol type="A">`+anki.String()+"</ol>")
		}
		if !found {
			t.Errorf("Anki export: card %s lacks its options in the order written", card.Key)
		}
	}
	// The review shows the same cards in other orders (each of them
	// checked against optionOrder), and their info pages as written.
	reshuffled := 0
	for range written {
		id, card, shown, _ := scenarioShowing(t, db, c, "deck="+deck+"&kind=scenario", "")
		for i, o := range shown {
			if o.HTML != card.Options[i].HTML {
				reshuffled++
				if _, info := c.get("/cards/" + id); !strings.Contains(info, written[card.Key]) {
					t.Errorf("card info page of %s: options not in the order written", card.Key)
				}
				break
			}
		}
		c.post("/review/"+id+"/action", url.Values{"action": {"bury"}})
	}
	if reshuffled < len(written)/2 {
		t.Errorf("%d of %d scenario cards shown in another order than written", reshuffled, len(written))
	}
}
