package web

import (
	"context"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
)

// keys presses keys one after the other, each once the page is wired up
// and no request is in flight.
func keys(ks ...string) chromedp.Action[chromedp.Void] {
	var steps []chromedp.Action[chromedp.Void]
	for _, k := range ks {
		steps = append(steps,
			chromedp.WaitReady(css(`html[data-htmx-ready]:not(.flashd-busy)`)),
			chromedp.KeyEvent(k))
	}
	return chromedp.Steps(steps...)
}

// showsCard checks that the card shown is the one whose id *id holds (read
// when the check runs).
func showsCard(why string, id *string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := holds(why, `document.querySelector("#review article").dataset.card === `+strconv.Quote(*id))(ctx, t)
		return err
	})
}

// TestBrowserSession walks a session with the keyboard as a learner
// would: the rating help on the first card, the progress bar, undo of a
// bury and of a rating with notices that say what was undone, the
// session's end with its summary and "study more", then a cram that
// leaves the schedule alone.
func TestBrowserSession(t *testing.T) {
	ctx := browser(t)
	s, db := newTestServer(t, sessionDeck)
	srv := httptest.NewServer(s)
	defer srv.Close()

	var first, buried, again string
	err := chromedp.Do(ctx,
		step("the first card explains the buttons",
			signUpAs(srv.URL, "learner"),
			chromedp.Navigate(srv.URL+"/review?deck=short"),
			chromedp.WaitVisible(css(`#review .rating-help`)),
			waitText("#review .progress", "0 of 3"),
			attr(`#review article`, "data-card", &first),
			checkAxe()),
		step("a rating moves the bar and the help goes",
			keys(" ", "3"),
			waitText("#review .progress", "1 of"),
			holds("the help is gone", `!document.querySelector("#review .rating-help")`),
			waitText("#review form.undo", "Undo the Good rating")),
		step("b buries, u undoes the bury and says so",
			attr(`#review article`, "data-card", &buried),
			keys("b"),
			waitText("#review .notice", "Card buried until tomorrow."),
			waitText("#review form.undo", "Undo the bury"),
			keys("u"),
			waitText("#review .notice", "Undone: the bury of this card."),
			showsCard("the buried card is back", &buried)),
		step("u again undoes the rating",
			keys("u"),
			waitText("#review .notice", "Undone: the Good rating of this card."),
			showsCard("the first card is back", &first),
			waitText("#review .progress", "0 of 3")),
		step("the session ends with a summary",
			keys(" ", "4"), keys(" ", "4"), keys(" ", "4"),
			waitText("#review .done h2", "Done for now: 3 cards today"),
			waitText("#review dl.summary", "Streak"),
			waitText("#review .study-more", "10 more new cards today"),
			screenshot("session-end"),
			checkAxe()),
		step("a cram goes through the deck and brings back a miss",
			chromedp.Click(css(`#review form.cram button`)),
			waitText("#review .progress", "1 of 3"),
			attr(`#review article`, "data-card", &again),
			keys(" ", "1"),
			waitText("#review .progress", "2 of 3"),
			keys(" ", "3"), keys(" ", "3"),
			waitText("#review .counts", "round 2"),
			showsCard("the missed card comes back", &again),
			screenshot("cram"),
			keys(" ", "3"),
			waitText("#review .done", "Cram done"),
			waitText("#review .done", "4 answers")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if n := reviewCount(t, db, "learner"); n != 4 {
		t.Errorf("%d review rows, want the 4 ratings (one undone) and none from the cram", n)
	}
}
