package web

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// typeAtEnd puts the editor's caret at the end of its text, types text
// there as keys, and waits for the live check to show the element
// matching sel.
func typeAtEnd(text, sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.WaitReady(css(`textarea[data-editor][data-editor-ready]`)),
		chromedp.Evaluate[chromedp.Void](`(() => { const ta = document.querySelector("#deck-source"); ta.focus(); ta.setSelectionRange(ta.value.length, ta.value.length); })()`),
		chromedp.KeyEvent(text),
		chromedp.WaitVisible(css(sel)))
}

// caretLine stores the line (1-based) the editor's caret is on, or 0 when
// the editor does not have the focus.
func caretLine(dst *int) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) (err error) {
		*dst, err = chromedp.Evaluate[int](`(() => { const ta = document.querySelector("#deck-source");
			return document.activeElement === ta ? ta.value.slice(0, ta.selectionStart).split("\n").length : 0; })()`)(ctx, t)
		return err
	})
}

// TestBrowserEditor: a group's owner opens the editor on the group's deck
// and types a card without a back; the live check names its line, and
// choosing the problem takes the caret there. The owner writes the back,
// the preview shows the new card, Save imports it, and the deck page
// shows it. The line numbers follow the text.
func TestBrowserEditor(t *testing.T) {
	ctx := browser(t)
	s, _ := newTestServer(t)
	srv := httptest.NewServer(s)
	defer srv.Close()
	const front = "Which role writes the task's logs?"
	var line, gutterLines, textLines int
	var lint string
	err := chromedp.Do(ctx,
		step("the owner creates a group with a deck",
			signUpAs(srv.URL, "owner"),
			newGroup(srv.URL, "Exam crew"),
			uploadDeck(teamDeck)),
		step("the deck page opens the editor on the deck's Markdown",
			chromedp.Navigate(srv.URL+"/decks/team"),
			chromedp.Click(css(`a[href="/decks/team/edit"]`)),
			waitText("h1", "Edit Team deck"),
			chromedp.WaitReady(css(`html[data-htmx-ready]`)),
			waitText("#lint", "No problems: 1 card."),
			waitText("#preview", "Which role pulls images?")),
		step("typing a card without a back shows its line",
			typeAtEnd("### "+front, "#lint a.problem"),
			waitText("#lint", "deck.md:8: card has no back"),
			chromedp.Func(func(ctx context.Context, tg *chromedp.Target) (err error) {
				lint, err = chromedp.Text(css(`#lint`))(ctx, tg)
				return err
			}),
			waitText("#preview", "comes back once the deck has no problems"),
			screenshot("editor-problem")),
		step("the gutter numbers every line",
			chromedp.Func(func(ctx context.Context, tg *chromedp.Target) (err error) {
				gutterLines, err = chromedp.Evaluate[int](`Number(document.querySelector(".editor-area .gutter").dataset.lines)`)(ctx, tg)
				if err == nil {
					textLines, err = chromedp.Evaluate[int](`document.querySelector("#deck-source").value.split("\n").length`)(ctx, tg)
				}
				return err
			})),
		step("choosing the problem takes the caret to its line",
			chromedp.Evaluate[chromedp.Void](`(() => { const ta = document.querySelector("#deck-source"); ta.setSelectionRange(0, 0); ta.blur(); })()`),
			chromedp.Click(css(`#lint a.problem`)),
			caretLine(&line)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if line != 8 {
		t.Errorf("after choosing the problem the caret is on line %d, want 8", line)
	}
	if !strings.Contains(lint, "1 problem") {
		t.Errorf("problems shown: %q", lint)
	}
	if gutterLines != textLines || textLines != 8 {
		t.Errorf("the gutter numbers %d lines of %d, want 8", gutterLines, textLines)
	}
	var deck string
	err = chromedp.Do(ctx,
		step("writing the back fixes the deck and previews the card",
			chromedp.KeyEvent(kb.End),
			chromedp.KeyEvent("\nThe task execution role."),
			waitText("#lint", "No problems: 2 cards."),
			waitText("#preview", front),
			waitText("#preview", "line 8"),
			screenshot("editor")),
		step("Save imports it, and the deck page shows the new card",
			chromedp.Click(css(`#editor button.primary`)),
			waitText("main", "Saved: deck team: 1 added, 0 updated, 0 retired, 1 unchanged"),
			chromedp.Click(css(`a[href="/decks/team"]`)),
			waitText("h1", "Team deck"),
			chromedp.Func(func(ctx context.Context, tg *chromedp.Target) (err error) {
				deck, err = chromedp.Text(css(`main`))(ctx, tg)
				return err
			})),
	)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(deck, front) || !strings.Contains(deck, "Which role pulls images?") {
		t.Errorf("the deck page after saving:\n%s", deck)
	}
}
