package web

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/chromedp/chromedp"
)

// box is an element's place on the screen, in CSS pixels.
type box struct{ Left, Top, Width, Height float64 }

// measure stores the box of the first element sel matches.
func measure(sel string, b *box) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		var err error
		*b, err = chromedp.Evaluate[box](fmt.Sprintf(`(() => { const r = document.querySelector(%q).getBoundingClientRect();
			return {left: r.left, top: r.top, width: r.width, height: r.height}; })()`, sel))(ctx, t)
		return err
	})
}

// holds fails with why unless the JavaScript expression is true on the page.
func holds(why, expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		ok, err := chromedp.Evaluate[bool](expr)(ctx, t)
		if err == nil && !ok {
			err = fmt.Errorf("%s: false: %s", why, expr)
		}
		return err
	})
}

// inView is a JavaScript test that every element sel matches is shown
// whole on the screen, without scrolling.
func inView(sel string) string {
	return fmt.Sprintf(`[...document.querySelectorAll(%q)].every(el => { const r = el.getBoundingClientRect();
		return r.width > 0 && r.top >= 0 && r.left >= 0 && r.bottom <= window.innerHeight && r.right <= window.innerWidth; })
		&& document.querySelectorAll(%q).length > 0`, sel, sel)
}

// TestBrowserPhoneReviewer reviews on a 390x844 touch screen and on a
// desktop, in both themes: the answer bar is pinned to the bottom and Show
// answer takes exactly Good's box; key hints show on the desktop only; the
// site menu is one line during review; a scenario's verdict and its rating
// buttons come into view without scrolling; the charts' text keeps its
// pixel size at phone width; and the study calendar opens on today.
func TestBrowserPhoneReviewer(t *testing.T) {
	for _, sc := range screens {
		t.Run(sc.name, func(t *testing.T) {
			base, ctx := screenSession(t, sc)
			var show, good box
			hints := "document.querySelectorAll('kbd').length > 0 && [...document.querySelectorAll('kbd')].every(k => k.getClientRects().length == 0)"
			if !sc.phone {
				hints = "[...document.querySelectorAll('#review kbd')].some(k => k.getClientRects().length > 0)"
			}
			shot := func(name string) chromedp.Action[chromedp.Void] {
				if !sc.phone {
					return chromedp.Steps()
				}
				return screenshot(sc.name + "-" + name)
			}
			err := chromedp.Do(ctx,
				step("sign up", signUpAs(base, "thumbs")),
				step("a takeaway's front: one-line menu, Show answer at the bottom",
					chromedp.Navigate(base+"/review?deck="+a11yDeck+"&kind=takeaway"),
					chromedp.WaitReady(css(`html[data-htmx-ready]`)),
					holds("the site menu is one line", `(() => { const tops = [...document.querySelectorAll(".top .brand, .top nav > a, .top nav button")]
						.map(el => Math.round(el.getBoundingClientRect().top + el.getBoundingClientRect().height / 2));
						return tops.length > 3 && Math.max(...tops) - Math.min(...tops) <= 2; })()`),
					holds("key hints on keyboards only", hints),
					holds("Show answer is on the screen", inView(`#review details.answer > summary`)),
					holds("Show answer is at the bottom", `document.querySelector("#review details.answer > summary").getBoundingClientRect().bottom > window.innerHeight - 40`),
					measure(`#review details.answer > summary`, &show),
					shot("review-front")),
				step("the answer: Good where Show answer was, every rating on screen",
					chromedp.Click(css(`#review details.answer > summary`)),
					chromedp.WaitVisible(css(`#review details.answer[open] form.rate`)),
					measure(`#review button.r3`, &good),
					holds("the rating buttons are on the screen", inView(`#review form.rate button`)),
					shot("review-answer"),
					chromedp.Click(css(`#review button.r3`)),
					waitText("#review .counts", "1 learning")),
				step("a scenario's verdict and rating buttons come into view",
					chromedp.Navigate(base+"/review?deck="+a11yDeck+"&kind=scenario"),
					chromedp.WaitReady(css(`html[data-htmx-ready]`)),
					chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, document.body.scrollHeight)`),
					chromedp.Click(css(`#review .options li:last-child a.option`)),
					chromedp.WaitVisible(css(`#review .verdict`)),
					chromedp.Poll[chromedp.Void](`(() => { const r = document.querySelector("#review .verdict").getBoundingClientRect();
						const bar = document.querySelector("#review form.rate").getBoundingClientRect();
						return r.top >= 0 && r.bottom <= bar.top; })()`),
					holds("the rating buttons are on the screen", inView(`#review form.rate button`)),
					shot("review-verdict")),
				step("chart text keeps its size; the calendar opens on today",
					chromedp.Navigate(base+"/stats"),
					chromedp.WaitReady(css(`html[data-htmx-ready]`)),
					holds("axis labels are drawn 12px tall or more", `[...document.querySelectorAll("svg.chart text.axis")]
						.filter(el => el.getClientRects().length > 0).every(el => el.getBoundingClientRect().height >= 12)`),
					holds("every bar chart has axis titles", `[...document.querySelectorAll("figure.chart-box")].every(f =>
						f.querySelector("svg.chart-y .axis-title").textContent.trim() != "" && f.querySelector("figcaption.axis-title").textContent.trim() != "")`),
					holds("the calendar shows today", `(() => { const box = document.querySelector("[data-opens-end]"), today = box.querySelector(".today").getBoundingClientRect(), r = box.getBoundingClientRect();
						return today.left >= r.left && today.right <= r.right; })()`),
					shot("stats")),
				step("the group page and its upload form fit",
					newGroup(base, "Thumbs"),
					checkFits(),
					uploadDeck(teamDeck),
					checkFits(),
					shot("group")),
			)
			if err != nil {
				t.Fatal(err)
			}
			if d := math.Max(math.Max(math.Abs(show.Left-good.Left), math.Abs(show.Top-good.Top)),
				math.Max(math.Abs(show.Width-good.Width), math.Abs(show.Height-good.Height))); d > 1 {
				t.Errorf("Show answer at %+v, Good at %+v: %.1fpx apart", show, good, d)
			}
			if sc.phone && good.Width < float64(sc.width)/2 {
				t.Errorf("on a phone Good is the wide button of the bar, got %+v in %dpx", good, sc.width)
			}
			if !sc.phone && good.Top < float64(sc.height)-120 {
				t.Errorf("the answer bar is pinned to the bottom: Good at %+v", good)
			}
		})
	}
}
