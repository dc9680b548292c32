package web

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserArrangeAndStudy walks a learner through Today: arrange the
// decks (move one down, hide one, show it again), then a deck's Study
// button, which studies that deck only.
func TestBrowserArrangeAndStudy(t *testing.T) {
	ctx := browser(t)
	s, _ := newTestServer(t)
	srv := httptest.NewServer(s)
	defer srv.Close()
	names := func(dst *string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) (err error) {
			*dst, err = chromedp.Evaluate[string](`[...document.querySelectorAll(".decks-table td:first-child > a")].map(a => a.textContent).join("|")`)(ctx, tg)
			return err
		})
	}
	var before, moved, hidden, shown, deckOfCard string
	if err := chromedp.Do(ctx, step("sign up", signUpAs(srv.URL, "arranger")), names(&before)); err != nil {
		t.Fatal(err)
	}
	deck := strings.Split(before, "|")
	if len(deck) != 2 {
		t.Fatalf("Today lists %q, want two decks", before)
	}
	first := `.decks-table tbody tr:first-child td:first-child`
	err := chromedp.Do(ctx,
		step("arrange: move the first deck down",
			chromedp.Click(css(`a[href="/?arrange=1"]`)),
			chromedp.WaitVisible(css(`tr.arrange`)),
			chromedp.Click(css(`tr.arrange button[aria-label$=" down"]`)),
			waitText(first, deck[1]),
			names(&moved)),
		step("hide the first deck, then show it again",
			chromedp.Click(css(`tr.arrange button[aria-label^="Hide "]`)),
			waitText("details.hidden-decks summary", "Hidden decks (1)"),
			screenshot("today-arrange"),
			names(&hidden),
			chromedp.Click(css(`details.hidden-decks button`)),
			waitText(first, deck[1]),
			names(&shown)),
		step("a deck's Study button studies that deck",
			chromedp.Click(css(`a[href="/"]`)),
			chromedp.WaitVisible(css(`.decks-table a.button`)),
			chromedp.Click(css(`.decks-table td:first-child > a`)),
			chromedp.WaitVisible(css(`a.button.primary[href^="/review?deck="]`)),
			chromedp.Click(css(`a.button.primary[href^="/review?deck="]`)),
			chromedp.WaitVisible(css(`#review details.answer summary`)),
			chromedp.Func(func(ctx context.Context, tg *chromedp.Target) (err error) {
				deckOfCard, err = chromedp.Evaluate[string](`document.querySelector("#review").innerText`)(ctx, tg)
				return err
			})),
	)
	if err != nil {
		t.Fatal(err)
	}
	if moved != deck[1]+"|"+deck[0] {
		t.Errorf("after moving %q down: %q", deck[0], moved)
	}
	if hidden != deck[0] {
		t.Errorf("after hiding %q: %q", deck[1], hidden)
	}
	if shown != deck[1]+"|"+deck[0] {
		t.Errorf("shown again: %q, want the order kept", shown)
	}
	// The first deck on Today is deck[1] now: its Study shows its cards.
	if !strings.Contains(deckOfCard, deck[1]) {
		t.Errorf("studying %q shows a card of another deck:\n%s", deck[1], deckOfCard)
	}
}
