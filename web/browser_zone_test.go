package web

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/flashd/flashd/srs"
)

// TestBrowserTimeZone signs up in a browser whose device is set to New
// York: the account gets that zone without a visit to the settings. The
// settings page offers the device's zone only when the saved one differs,
// and "Use it" fills it in.
func TestBrowserTimeZone(t *testing.T) {
	const zone = "America/New_York"
	ctx := browser(t, chromedp.Env("TZ="+zone))
	s, db := newTestServer(t)
	srv := httptest.NewServer(s)
	defer srv.Close()
	var offerHidden bool
	var field string
	err := chromedp.Do(ctx,
		step("sign up",
			signUpAs(srv.URL, "zoned")),
	)
	if err != nil {
		t.Fatal(err)
	}
	u, err := db.Authenticate(context.Background(), "zoned", "zoned-password")
	if err != nil {
		t.Fatal(err)
	}
	if u.TimeZone != zone {
		t.Fatalf("signed up with time zone %q, want the device's %q", u.TimeZone, zone)
	}
	err = chromedp.Do(ctx,
		step("settings with the device's zone saved: no offer",
			chromedp.Navigate(srv.URL+"/settings"),
			chromedp.WaitReady(css(`html[data-htmx-ready]`)),
			chromedp.Func(func(ctx context.Context, tg *chromedp.Target) (err error) {
				offerHidden, err = chromedp.Evaluate[bool](`document.querySelector("[data-device-zone]").hidden`)(ctx, tg)
				return err
			})),
	)
	if err != nil {
		t.Fatal(err)
	}
	if !offerHidden {
		t.Error("settings offer the device's zone although it is the saved one")
	}
	set := srs.Settings{Retention: 0.9, NewPerDay: 20, ReviewsPerDay: 200, MaxIntervalDays: 36500}
	if err := db.UpdateSettings(context.Background(), u.ID, "Europe/Berlin", set); err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx,
		step("settings with another zone saved: offer, and Use it fills it in",
			chromedp.Navigate(srv.URL+"/settings"),
			chromedp.WaitVisible(css(`[data-device-zone] button`)),
			waitText(`[data-device-zone] strong`, zone),
			chromedp.Click(css(`[data-device-zone] button`)),
			chromedp.Func(func(ctx context.Context, tg *chromedp.Target) (err error) {
				field, err = chromedp.Evaluate[string](`document.querySelector('input[name="time_zone"]').value`)(ctx, tg)
				return err
			})),
	)
	if err != nil {
		t.Fatal(err)
	}
	if field != zone {
		t.Errorf("after Use it the field holds %q, want %q", field, zone)
	}
}

// TestBrowserFocusRing checks that the keyboard's focus ring cannot be
// taken for the suggested rating's mark: the suggested button has no
// outline, and a focused button's outline is another colour than that
// button's accent border.
func TestBrowserFocusRing(t *testing.T) {
	ctx := browser(t)
	s, _ := newTestServer(t)
	srv := httptest.NewServer(s)
	defer srv.Close()
	var styles map[string]string
	err := chromedp.Do(ctx,
		step("sign up, open a card's answer, focus Again from the keyboard",
			signUpAs(srv.URL, "focus"),
			chromedp.Navigate(srv.URL+"/review?kind=takeaway"),
			chromedp.WaitReady(css(`html[data-htmx-ready]`)),
			chromedp.KeyEvent(" "),
			chromedp.WaitVisible(css(`#review details.answer[open] form.rate`)),
			chromedp.Func(func(ctx context.Context, tg *chromedp.Target) (err error) {
				styles, err = chromedp.Evaluate[map[string]string](`(() => {
					const sug = document.querySelector(".rating.suggested"), again = document.querySelector(".rating.r1");
					again.focus();
					const s = getComputedStyle(sug), a = getComputedStyle(again);
					return {focusVisible: String(again.matches(":focus-visible")), sugOutline: s.outlineStyle,
						sugBorder: s.borderTopColor, ring: a.outlineStyle + " " + a.outlineColor};
				})()`)(ctx, tg)
				return err
			})),
	)
	if err != nil {
		t.Fatal(err)
	}
	if styles["focusVisible"] != "true" {
		t.Fatalf("Again is not :focus-visible after the keyboard moved focus: %v", styles)
	}
	if styles["sugOutline"] != "none" {
		t.Errorf("the suggested button has an outline (%s), like the focus ring", styles["sugOutline"])
	}
	if !strings.HasPrefix(styles["ring"], "solid ") || strings.Contains(styles["ring"], styles["sugBorder"]) {
		t.Errorf("focus ring %q is not distinct from the suggested mark's colour %q", styles["ring"], styles["sugBorder"])
	}
}
