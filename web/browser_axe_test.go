package web

import (
	"context"
	_ "embed"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// axeSource is axe-core (npm axe-core 4.14.1, MPL-2.0, see
// testdata/axe/LICENSE), vendored for the browser tests only: it lives in
// testdata, so the server never serves it.
//
//go:embed testdata/axe/axe.min.js
var axeSource string

// screen is a viewport size and colour scheme the browser tests emulate.
type screen struct {
	name          string // as in screenshot and error names: phone-dark
	width, height int64
	phone         bool   // a touch screen: mobile viewport, coarse pointer
	scheme        string // prefers-color-scheme: light or dark
}

// screens are the four combinations every page is checked at.
var screens = []screen{
	{"desktop-light", 1000, 900, false, "light"},
	{"desktop-dark", 1000, 900, false, "dark"},
	{"phone-light", 390, 844, true, "light"},
	{"phone-dark", 390, 844, true, "dark"},
}

// emulate sets the viewport, touch and colour scheme of sc. Touch
// emulation is what makes (pointer: coarse) match in Chromium.
func emulate(sc screen) chromedp.Action[chromedp.Void] {
	opts := []chromedp.EmulateViewportOption{chromedp.EmulatePortrait}
	if sc.phone {
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	return chromedp.Steps(
		chromedp.EmulateViewport(sc.width, sc.height, opts...),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: sc.scheme}},
			})
			return err
		}))
}

// axeViolation is one failed axe-core rule on a page.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target  []any  `json:"target"`
		Summary string `json:"failureSummary"`
	} `json:"nodes"`
}

// checkAxe runs axe-core's WCAG 2.1 A and AA rules on the page and fails
// with every violation: its rule, impact, elements and why.
func checkAxe() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		loaded, err := chromedp.Evaluate[bool](`typeof window.axe === "object"`)(ctx, t)
		if err != nil {
			return err
		}
		if !loaded {
			if _, err := chromedp.Evaluate[chromedp.Void](axeSource)(ctx, t); err != nil {
				return fmt.Errorf("load axe-core: %w", err)
			}
		}
		vs, err := chromedp.Evaluate[[]axeViolation](`axe.run(document, {runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}).then(r => r.violations)`, chromedp.EvalAwaitPromise)(ctx, t)
		if err != nil {
			return fmt.Errorf("run axe-core: %w", err)
		}
		if len(vs) == 0 {
			return nil
		}
		var b strings.Builder
		fmt.Fprintf(&b, "%d accessibility violations:", len(vs))
		for _, v := range vs {
			fmt.Fprintf(&b, "\n  %s (%s): %s", v.ID, v.Impact, v.Help)
			for _, n := range v.Nodes {
				fmt.Fprintf(&b, "\n    %v: %s", n.Target, strings.ReplaceAll(n.Summary, "\n", " "))
			}
		}
		return fmt.Errorf("%s", b.String())
	})
}

// checkFits fails when the page is wider than the screen, or when a part
// of the page scrolls sideways: tables and forms must fit or wrap. Only
// what is meant to scroll may (a code block, the study calendar, the site
// menu during review); visually hidden text (1px wide) is not shown at all.
func checkFits() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		wide, err := chromedp.Evaluate[[]string](`(() => {
			const out = [], de = document.documentElement;
			if (de.scrollWidth > window.innerWidth) out.push("the page: " + de.scrollWidth + "px in a " + window.innerWidth + "px screen");
			for (const el of document.body.querySelectorAll("*")) {
				if (el.closest("pre, .scroll, .top nav")) continue; // meant to scroll
				const ox = getComputedStyle(el).overflowX;
				if ((ox === "auto" || ox === "scroll" || ox === "hidden") && el.clientWidth > 1 && el.scrollWidth > el.clientWidth + 1)
					out.push(el.tagName.toLowerCase() + (el.className ? "." + String(el.className).trim().replace(/\s+/g, ".") : "") + ": " + el.scrollWidth + "px in " + el.clientWidth + "px");
			}
			return out; })()`)(ctx, t)
		if err == nil && len(wide) > 0 {
			err = fmt.Errorf("wider than the screen: %s", strings.Join(wide, "; "))
		}
		return err
	})
}

// a11yPage is a page the accessibility test visits. Its path may name
// the test's deck {deck}, group deck {groupdeck}, reviewed card {card},
// group {group} and invite code {invite}; then, if set, runs on the page
// before the checks (to reveal an answer, say).
type a11yPage struct {
	name    string
	path    string
	visitor bool // visited logged out
	then    chromedp.Action[chromedp.Void]
}

// a11yPages lists every page of flashd; add a page with one line.
var a11yPages = []a11yPage{
	{name: "today", path: "/"},
	{name: "today-arrange", path: "/?arrange=1"},
	{name: "decks", path: "/decks"},
	{name: "deck", path: "/decks/{deck}"},
	{name: "group-deck", path: "/decks/{groupdeck}"},
	{name: "deck-history", path: "/decks/{groupdeck}/history"},
	{name: "card", path: "/cards/{card}"},
	{name: "review-front", path: "/review?deck={deck}&kind=takeaway"},
	{name: "review-answer", path: "/review?deck={deck}&kind=takeaway", then: revealAnswer()},
	{name: "review-scenario", path: "/review?deck={deck}&kind=scenario"},
	{name: "review-verdict", path: "/review?deck={deck}&kind=scenario", then: pickOption()},
	{name: "review-done", path: "/review?deck={groupdeck}&kind=scenario"},
	{name: "review-ahead", path: "/review?deck={deck}&ahead=7"},
	{name: "cram", path: "/cram?deck={deck}&kind=scenario"},
	{name: "cram-answer", path: "/cram?deck={deck}&kind=scenario", then: chromedp.Steps(
		chromedp.Click(css(`#review details.answer summary`)),
		chromedp.WaitVisible(css(`#review .cram-answers`)))},
	{name: "stats", path: "/stats"},
	{name: "leeches", path: "/leeches"},
	{name: "groups", path: "/groups"},
	{name: "group", path: "/groups/{group}"},
	{name: "group-confirm-dialog", path: "/groups/{group}", then: openConfirm(`form[action$="/delete"] button`)},
	{name: "confirm-delete", path: "/groups/{group}", then: askWithoutScript(`form[action$="/delete"]`)},
	{name: "join-member", path: "/join/{invite}"},
	{name: "settings", path: "/settings"},
	{name: "editor-new", path: "/decks/new"},
	{name: "editor-new-group-deck", path: "/decks/new?group={group}"},
	{name: "editor", path: "/decks/{groupdeck}/edit"},
	{name: "editor-problems", path: "/decks/{groupdeck}/edit", then: typeAtEnd("### A card without a back", "#lint a.problem")},
	{name: "not-found", path: "/no-such-page"},
	{name: "login", path: "/login", visitor: true},
	{name: "signup", path: "/signup", visitor: true},
	{name: "join", path: "/join/{invite}", visitor: true},
	{name: "not-found-visitor", path: "/no-such-page", visitor: true},
}

// teamDeck is the one-card deck the browser tests upload to a group.
const teamDeck = "---\nid: team\ntitle: Team deck\n---\n## Traps\n### Which role pulls images?\nThe task execution role.\n"

// screenSession starts a server and a browser of their own for one
// screen, emulating it (a new server each time: the first account is the
// admin, and sign-up is closed after it). It returns the server's address.
func screenSession(t *testing.T, sc screen) (string, context.Context) {
	t.Helper()
	s, _ := newTestServer(t)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	ctx := browser(t)
	if err := chromedp.Do(ctx, emulate(sc)); err != nil {
		t.Fatalf("emulate %s: %v", sc.name, err)
	}
	return srv.URL, ctx
}

// newGroup creates a group and opens its deck upload form.
func newGroup(base, name string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(base+"/groups"),
		chromedp.SendKeys(css(`input[name="name"]`), name),
		chromedp.Submit(css(`input[name="name"]`)),
		chromedp.WaitVisible(css(`.invite-link`)),
		chromedp.Click(css(`details.upload summary`)))
}

// uploadDeck uploads markdown in the open upload form and waits for the
// import of deck team.
func uploadDeck(markdown string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.SetValue(css(`textarea[name="markdown"]`), markdown),
		chromedp.Submit(css(`textarea[name="markdown"]`)),
		waitText("main", "Imported: deck team"))
}

// a11yDeck is the built-in deck the accessibility test studies: it has
// takeaways and scenarios.
const a11yDeck = "aws-dva-c02-containers"

// revealAnswer shows the answer of the card on the review page.
func revealAnswer() chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Click(css(`#review details.answer summary`)),
		chromedp.WaitVisible(css(`#review details.answer[open] form.rate`)))
}

// pickOption picks the first option of the scenario on the review page
// and waits for the verdict.
func pickOption() chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Click(css(`#review .options a.option`)),
		chromedp.WaitVisible(css(`#review .verdict`)),
		chromedp.WaitReady(css(`html[data-htmx-ready]`)))
}

// askWithoutScript sends the form sel as a browser without JavaScript
// would (form.submit skips the page's confirmation dialog) and waits for
// the page asking to confirm.
func askWithoutScript(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).submit()`, sel)),
		waitTrue("asked to confirm", `!!document.querySelector("form.confirm-actions")`),
		chromedp.WaitReady(css(`html[data-htmx-ready]`)))
}

// TestBrowserAccessibility visits every page at desktop and phone sizes,
// in the light and the dark theme, and fails on any WCAG 2.1 A or AA
// violation axe-core finds, and on any page or part of one wider than the
// screen.
func TestBrowserAccessibility(t *testing.T) {
	for _, sc := range screens {
		t.Run(sc.name, func(t *testing.T) {
			base, ctx := screenSession(t, sc)
			vars := map[string]string{"{deck}": a11yDeck, "{groupdeck}": "team"}
			var invite string
			err := chromedp.Do(ctx,
				step("sign up",
					signUpAs(base, strings.ReplaceAll(sc.name, "-", ""))),
				step("rate one card, for a card with a history",
					chromedp.Navigate(base+"/review?deck="+a11yDeck+"&kind=takeaway"),
					chromedp.WaitReady(css(`html[data-htmx-ready]`)),
					chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
						id, err := chromedp.Evaluate[string](`document.querySelector("#review article").dataset.card`)(ctx, tg)
						vars["{card}"] = id
						return err
					}),
					revealAnswer(),
					chromedp.Click(css(`#review button.r3`)),
					waitText("#review .counts", "1 learning")),
				step("create a group with a deck",
					newGroup(base, "Exam crew"),
					chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
						loc, err := chromedp.Location()(ctx, tg)
						vars["{group}"] = loc[strings.LastIndex(loc, "/")+1:]
						if err == nil {
							invite, err = chromedp.Text(css(`.invite-link`))(ctx, tg)
							invite = strings.TrimSpace(invite)
							vars["{invite}"] = invite[strings.LastIndex(invite, "/")+1:]
						}
						return err
					}),
					uploadDeck(teamDeck)),
			)
			if err != nil {
				t.Fatalf("set up: %v", err)
			}
			check := func(p a11yPage) {
				path := p.path
				for k, v := range vars {
					path = strings.ReplaceAll(path, k, v)
				}
				steps := []chromedp.Action[chromedp.Void]{
					chromedp.Navigate(base + path),
					chromedp.WaitReady(css(`html[data-htmx-ready]`)),
				}
				if p.then != nil {
					steps = append(steps, p.then)
				}
				steps = append(steps, checkAxe(), checkFits())
				if err := chromedp.Do(ctx, steps...); err != nil {
					t.Errorf("%s (%s) at %s: %v", p.name, path, sc.name, err)
				}
			}
			for _, p := range a11yPages {
				if !p.visitor {
					check(p)
				}
			}
			if err := chromedp.Do(ctx,
				chromedp.Navigate(base+"/"),
				chromedp.Click(css(`form[action="/logout"] button`)),
				chromedp.WaitVisible(css(`input[name="password"]`))); err != nil {
				t.Fatalf("log out: %v", err)
			}
			for _, p := range a11yPages {
				if p.visitor {
					check(p)
				}
			}
		})
	}
}
