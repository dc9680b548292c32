package web

import (
	"context"
	"fmt"
	"html"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/flashd/flashd/decks"
	"github.com/flashd/flashd/srs"
)

// browser starts a headless Chromium for a test. Without a Chromium it
// skips, unless FLASHD_REQUIRE_BROWSER=1 (as in CI), where it fails.
func browser(t *testing.T, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	var path string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("FLASHD_REQUIRE_BROWSER") == "1" {
			t.Fatal("no chromium on PATH, and FLASHD_REQUIRE_BROWSER=1")
		}
		t.Skip("no chromium on PATH (install Debian's chromium, or set FLASHD_REQUIRE_BROWSER=1 to fail instead)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1000, 900),
	)
	opts = append(opts, extra...)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// screenshot saves the page to FLASHD_SCREENSHOTS/name.png when that
// variable names a folder, for looking at the pages by eye.
func screenshot(name string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		dir := os.Getenv("FLASHD_SCREENSHOTS")
		if dir == "" {
			return nil
		}
		png, err := chromedp.FullScreenshot(100)(ctx, t)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
	})
}

// waitText waits until the element matching sel contains text. It polls
// with plain evaluations, which survive the moment after a navigation when
// the page's old JavaScript context is gone, and gives up after 600 tries.
func waitText(sel, text string) chromedp.Action[chromedp.Void] {
	expr := fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.innerText.includes(%q); })()`, sel, text)
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		var last string
		for range 600 {
			ok, err := chromedp.Evaluate[bool](expr)(ctx, t)
			if err == nil && ok {
				return nil
			}
			last = fmt.Sprint(err)
			if err == nil {
				last, _ = chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector(%q) || {innerText: "(none)"}).innerText`, sel))(ctx, t)
			}
			time.Sleep(50 * time.Millisecond)
		}
		return fmt.Errorf("%s never showed %q; last: %s", sel, text, last)
	})
}

// noReload fails when the page was reloaded since mark ran: the review
// must swap cards in place.
func noReload() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		ok, err := chromedp.Evaluate[bool](`window.flashdMark === true`)(ctx, t)
		if err == nil && !ok {
			log, _ := chromedp.Evaluate[string](`window.name`)(ctx, t)
			err = fmt.Errorf("the page was reloaded: %s", log)
		}
		return err
	})
}

// mark marks the current page, for noReload.
func mark() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](`window.flashdMark = true; window.name = "";
		for (const ev of ["keydown", "submit", "click"]) document.addEventListener(ev, e => { window.name += ev + ":" + (e.key || "") + ":" + e.target.tagName + ":" + e.defaultPrevented + " "; }, true);
		document.addEventListener("htmx:beforeRequest", e => { window.name += "htmx " });
		window.addEventListener("beforeunload", () => { window.name += "UNLOAD " }); true`)(ctx, t)
		return err
	})
}

// attr stores an attribute of the element matching sel in dst.
func attr(sel, name string, dst *string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		r, err := chromedp.AttributeValue(chromedp.CSS(sel), name)(ctx, t)
		*dst = r.Value
		return err
	})
}

// step names a group of actions in the error of any of them.
func step(name string, actions ...chromedp.Action[chromedp.Void]) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := chromedp.Steps(actions...)(ctx, t); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return nil
	})
}

// plainText is the text of an HTML fragment as a browser shows it, with
// runs of white space as one space.
func plainText(h string) string {
	return strings.Join(strings.Fields(html.UnescapeString(tagRE.ReplaceAllString(h, ""))), " ")
}

var tagRE = regexp.MustCompile(`<[^>]*>`)

// css is a CSS selector.
func css(sel string) chromedp.CSS { return chromedp.CSS(sel) }

// signUpAs signs up through the form at base as name (password
// name-password) and waits for Today.
func signUpAs(base, name string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(base+"/signup"),
		chromedp.SendKeys(css(`input[name="username"]`), name),
		chromedp.SendKeys(css(`input[name="password"]`), name+"-password"),
		chromedp.Submit(css(`input[name="password"]`)),
		chromedp.WaitVisible(css(`.stats`)))
}

// TestBrowserReview signs up in a real browser, reviews three cards with
// the keyboard only, answers a scenario card, and undoes a rating,
// checking what the page shows after each step and what the database
// holds at the end.
func TestBrowserReview(t *testing.T) {
	ctx := browser(t)
	s, db := newTestServer(t)
	srv := httptest.NewServer(s)
	defer srv.Close()

	var cardIDs [4]string
	var undone string
	// The scenario step reviews one deck's scenario cards: as many are new
	// today as the deck has, up to the 20 new cards a day less the three
	// reviewed before.
	const scenarioDeck = "aws-dva-c02-containers"
	scenarios := 0
	for _, c := range builtinDeck(t, scenarioDeck).Cards {
		if c.Kind == decks.KindScenario {
			scenarios++
		}
	}
	scenarios = min(scenarios, 20-3)
	newCount := func(n int) string { return fmt.Sprintf("%d new", n) }
	var wrongKey, wrongText, rightText string
	err := chromedp.Do(ctx,
		step("sign up",
			signUpAs(srv.URL, "learner"),
			chromedp.WaitReady(css(`html[data-htmx-ready]`)),
			waitText(".stats", "20 cards left"),
			screenshot("1-dashboard")),
		step("s starts studying",
			chromedp.KeyEvent("s"),
			chromedp.WaitVisible(css(`#review details.answer summary`)),
			chromedp.WaitReady(css(`html[data-htmx-ready]`)),
			waitText("#review .counts", "20 new"),
			attr(`#review article`, "data-card", &cardIDs[0]),
			screenshot("2-front"),
			mark()),
		step("space shows the answer, 3 rates Good",
			chromedp.KeyEvent(" "),
			chromedp.WaitVisible(css(`#review details.answer[open] form.rate`)),
			screenshot("3-answer"),
			chromedp.KeyEvent("3"),
			waitText("#review .counts", "19 new"),
			waitText("#review .counts", "1 learning"),
			attr(`#review article`, "data-card", &cardIDs[1])),
		step("enter shows the answer, 1 rates Again",
			chromedp.KeyEvent(kb.Enter),
			chromedp.WaitVisible(css(`#review details.answer[open]`)),
			chromedp.KeyEvent("1"),
			waitText("#review .counts", "18 new"),
			waitText("#review .counts", "2 learning"),
			attr(`#review article`, "data-card", &cardIDs[2])),
		step("space twice takes the suggested Good",
			chromedp.KeyEvent(" "),
			chromedp.WaitVisible(css(`#review details.answer[open]`)),
			chromedp.KeyEvent(" "),
			waitText("#review .counts", "17 new"),
			waitText("#review .counts", "3 learning"),
			noReload(),
			screenshot("4-after-three")),
		step("the letter of a wrong option picks it",
			chromedp.Navigate(srv.URL+"/review?deck="+scenarioDeck+"&kind=scenario"),
			chromedp.WaitVisible(css(`#review .options .option`)),
			chromedp.WaitReady(css(`html[data-htmx-ready]`)),
			waitText("#review .counts", newCount(scenarios)),
			mark(),
			attr(`#review article`, "data-card", &cardIDs[3]),
			chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				// Read the options as shown, and press the letter of a
				// wrong one, found by its text in the deck.
				shown, err := chromedp.Evaluate[[]string](`[...document.querySelectorAll("#review .options a.option")].map(a => {
					const c = a.cloneNode(true); c.querySelectorAll(".letter, kbd").forEach(e => e.remove());
					return a.dataset.key + "\t" + c.textContent; })`)(ctx, tg)
				if err != nil {
					return err
				}
				card := deckCard(t, db, 1, cardIDs[3])
				for _, o := range card.Options {
					if o.Correct {
						rightText = plainText(o.HTML)
					}
				}
				for _, kv := range shown {
					key, text, _ := strings.Cut(kv, "\t")
					for _, o := range card.Options {
						if !o.Correct && wrongKey == "" && plainText(o.HTML) == plainText(text) {
							wrongKey, wrongText = key, plainText(o.HTML)
						}
					}
				}
				if len(shown) != len(card.Options) || wrongKey == "" || rightText == "" {
					return fmt.Errorf("card %s (%s): shown %q, no wrong option to pick or no right one", cardIDs[3], card.Key, shown)
				}
				_, err = chromedp.KeyEvent(wrongKey)(ctx, tg)
				return err
			}),
			waitText("#review .verdict", "Wrong."),
			chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				_, err := chromedp.Steps(
					waitText("#review .options li.picked", wrongText),
					waitText("#review .options li.correct", rightText))(ctx, tg)
				return err
			}),
			chromedp.WaitVisible(css(`#review .explanation`)),
			chromedp.WaitVisible(css(`#review button.r1.suggested`)),
			screenshot("5-scenario")),
		step("enter confirms the suggested Again",
			chromedp.KeyEvent(kb.Enter),
			waitText("#review .counts", newCount(scenarios-1)),
			waitText("#review .counts", "1 learning")),
		step("u undoes it",
			chromedp.KeyEvent("u"),
			waitText("#review .counts", newCount(scenarios)),
			waitText("#review .counts", "0 learning"),
			attr(`#review article`, "data-card", &undone),
			noReload(),
			screenshot("6-undone")),
		step("i opens the card's info",
			chromedp.KeyEvent("i"),
			waitText("h1", "Card info"),
			chromedp.WaitVisible(css(`table.history`)),
			waitText("table.history", "(undone)")),
		step("the stats page draws its charts",
			chromedp.Navigate(srv.URL+"/stats"),
			chromedp.WaitVisible(css(`svg.heatmap rect.today`)),
			chromedp.WaitVisible(css(`#reviews rect.bar-new`)),
			chromedp.WaitVisible(css(`#forecast rect.bar`)),
			chromedp.WaitReady(css(`html[data-htmx-ready]`)),
			mark(),
			screenshot("7-stats"),
			chromedp.Click(css(`#reviews-chart .ranges a[href*="days=90"]`)),
			waitText("#reviews-chart h2 + p a.current", "90 days"),
			chromedp.WaitVisible(css(`#reviews rect.bar-new`)),
			noReload()),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	if cardIDs[0] == cardIDs[1] || cardIDs[1] == cardIDs[2] || cardIDs[0] == "" {
		t.Errorf("cards shown: %v, want three different ones", cardIDs)
	}
	if undone != cardIDs[3] {
		t.Errorf("after undo the page shows card %s, want the scenario %s", undone, cardIDs[3])
	}

	// The database holds exactly what was done: four ratings, one undone.
	var ratings []string
	rows, err := db.ReviewLog(context.Background(), "learner")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		ratings = append(ratings, fmt.Sprintf("%d:%d:%v", r.CardID, r.Rating, r.Undone))
	}
	want := []string{cardIDs[0] + ":3:false", cardIDs[1] + ":1:false", cardIDs[2] + ":3:false", cardIDs[3] + ":1:true"}
	if strings.Join(ratings, " ") != strings.Join(want, " ") {
		t.Errorf("review log: got %v, want %v", ratings, want)
	}
}

// TestBrowserGroup: the owner creates a group and uploads a deck with an
// error, sees the line, fixes it and shares the link; a second browser
// (its own cookies) signs up through the link and reviews; the owner's
// group page then shows that member's reviews.
func TestBrowserGroup(t *testing.T) {
	ctx := browser(t)
	s, _ := newTestServer(t)
	srv := httptest.NewServer(s)
	defer srv.Close()

	broken := "---\nid: team\ntitle: Team deck\n---\n## Traps\n### Which role pulls images?\n\n### Which role calls S3?\nThe task role.\n"
	fixed := strings.Replace(broken, "pulls images?\n", "pulls images?\nThe task execution role.\n", 1)
	var invite, problems string
	err := chromedp.Do(ctx,
		step("the owner signs up and creates a group",
			signUpAs(srv.URL, "owner"),
			chromedp.Navigate(srv.URL+"/groups"),
			chromedp.SendKeys(css(`input[name="name"]`), "Exam crew"),
			chromedp.Submit(css(`input[name="name"]`)),
			chromedp.WaitVisible(css(`.invite-link`))),
		step("a deck with an error shows its line",
			chromedp.Click(css(`details.upload summary`)),
			chromedp.SetValue(css(`textarea[name="markdown"]`), broken),
			chromedp.Submit(css(`textarea[name="markdown"]`)),
			chromedp.WaitVisible(css(`.problems`)),
			chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				var err error
				problems, err = chromedp.Text(css(`.problems`))(ctx, tg)
				return err
			}),
			screenshot("g1-problems")),
		step("the fixed deck imports",
			chromedp.SetValue(css(`textarea[name="markdown"]`), fixed),
			chromedp.Submit(css(`textarea[name="markdown"]`)),
			waitText("main", "Imported: deck team: 2 added"),
			chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				var err error
				invite, err = chromedp.Text(css(`.invite-link`))(ctx, tg)
				return err
			})),
	)
	if err != nil {
		t.Fatalf("owner: %v", err)
	}
	if !strings.Contains(problems, "pasted.md:6: card has no back") {
		t.Errorf("problems shown: %q, want the line of the card without a back", problems)
	}

	// A second browser context: its own cookies, a new person.
	mctx, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancel()
	var landed string
	err = chromedp.Do(mctx,
		step("the invite link signs up, joins and lands on studying the group's deck",
			chromedp.Navigate(strings.TrimSpace(invite)),
			waitText("h1", "Join Exam crew"),
			chromedp.SendKeys(css(`input[name="username"]`), "mia"),
			chromedp.SendKeys(css(`input[name="password"]`), "mia-password"),
			chromedp.Submit(css(`input[name="password"]`)),
			waitText("#review", "Team deck"),
			chromedp.Func(func(ctx context.Context, tg *chromedp.Target) (err error) {
				landed, err = chromedp.Location()(ctx, tg)
				return err
			})),
		step("the member reviews two cards",
			chromedp.WaitVisible(css(`#review details.answer summary`)),
			chromedp.WaitReady(css(`html[data-htmx-ready]`)),
			waitText("#review .counts", "2 new"),
			chromedp.KeyEvent(" "),
			chromedp.KeyEvent("3"),
			waitText("#review .counts", "1 new"),
			chromedp.KeyEvent(" "),
			chromedp.KeyEvent("4"),
			waitText("#review .counts", "0 new")),
	)
	if err != nil {
		t.Fatalf("member: %v", err)
	}
	if !strings.HasSuffix(landed, "/review?group=1") {
		t.Errorf("after joining the member landed on %s, want the group's review", landed)
	}
	var row string
	err = chromedp.Do(ctx,
		step("the owner sees the member's reviews",
			chromedp.Navigate(srv.URL+"/groups/1"),
			chromedp.WaitVisible(css(`table.members`)),
			chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				var err error
				row, err = chromedp.Evaluate[string](`[...document.querySelectorAll("table.members tr")].map(r => r.innerText).find(t => t.startsWith("mia")) || ""`)(ctx, tg)
				return err
			}),
			screenshot("g2-group")),
	)
	if err != nil {
		t.Fatalf("owner again: %v", err)
	}
	if cells := strings.Fields(row); len(cells) < 2 || cells[0] != "mia" || cells[1] != "2" {
		t.Errorf("mia's row on the owner's page: %q, want 2 reviews in 7 days", row)
	}
}

// TestBrowserOptimize: in Settings, the learner clicks "Optimize my
// schedule"; the pane shows the run's progress and then its figures in
// place, without reloading the page.
func TestBrowserOptimize(t *testing.T) {
	ctx := browser(t)
	s, db := newTestServer(t, bigDeck(900))
	srv := httptest.NewServer(s)
	defer srv.Close()
	truth := srs.ForgetfulParams()
	var table string
	err := chromedp.Do(ctx,
		step("the learner signs up",
			signUpAs(srv.URL, "learner")),
		chromedp.Func(func(context.Context, *chromedp.Target) error {
			giveHistory(t, db, srs.Simulation{Truth: truth, Cards: 800, Days: 150, Seed: 3})
			return nil
		}),
		step("Settings offers the optimizer",
			chromedp.Navigate(srv.URL+"/settings"),
			waitText("#schedule", "the default FSRS parameters"),
			mark()),
		step("clicking it fits and shows the figures in place",
			chromedp.Click(css(`#schedule button[type="submit"]`)),
			waitText("#schedule", "your own FSRS parameters"),
			waitText("#schedule", "predict your newest reviews better"),
			noReload(),
			chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				var err error
				table, err = chromedp.Text(css(`#schedule table.figures`))(ctx, tg)
				return err
			}),
			screenshot("o1-optimized")),
	)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Log loss", "RMSE (bins)", "AUC", "Before (defaults)", "Fitted"} {
		if !strings.Contains(table, want) {
			t.Errorf("figures table lacks %q: %q", want, table)
		}
	}
}
