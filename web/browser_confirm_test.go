package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// waitTrue waits until the JavaScript expression expr is true, polling as
// waitText does; what names the wait in its error.
func waitTrue(what, expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		var last error
		for range 600 {
			ok, err := chromedp.Evaluate[bool](expr)(ctx, t)
			if err == nil && ok {
				return nil
			}
			last = err
			time.Sleep(50 * time.Millisecond)
		}
		return fmt.Errorf("never %s (last error: %v)", what, last)
	})
}

// openConfirm clicks the button sel and waits for the confirmation dialog.
func openConfirm(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Click(css(sel)),
		chromedp.WaitVisible(css(`dialog#confirm-dialog[open]`)))
}

// confirmClosed waits for the confirmation dialog to close.
func confirmClosed() chromedp.Action[chromedp.Void] {
	return waitTrue("closed the dialog", `!document.querySelector("dialog#confirm-dialog").open`)
}

// grantClipboard lets the pages of origin read and write the clipboard
// without asking.
func grantClipboard(origin string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		b := chromedp.FromContext(ctx).Browser
		for _, name := range []string{"clipboard-read", "clipboard-write"} {
			_, err := cdp.Call(ctx, b, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
				Permission: &cdpbrowser.PermissionDescriptor{Name: name, AllowWithoutSanitization: true},
				Setting:    cdpbrowser.PermissionSettingGranted,
				Origin:     origin,
			})
			if err != nil {
				return fmt.Errorf("grant %s: %w", name, err)
			}
		}
		return nil
	})
}

// TestBrowserConfirm: Remove opens a dialog that names the member, with
// the focus on Cancel; Cancel and Escape close it, the focus back on
// Remove, and nobody is removed; Confirm removes the member. Copy link
// puts the invite link on the clipboard and says "Copied"; where the
// clipboard refuses, it selects the link instead.
func TestBrowserConfirm(t *testing.T) {
	ctx := browser(t)
	s, _ := newTestServer(t)
	srv := httptest.NewServer(s)
	defer srv.Close()

	var invite, groupURL string
	err := chromedp.Do(ctx,
		step("the owner creates a group",
			signUpAs(srv.URL, "owner"),
			newGroup(srv.URL, "Crew"),
			chromedp.Func(func(ctx context.Context, tg *chromedp.Target) (err error) {
				if groupURL, err = chromedp.Location()(ctx, tg); err != nil {
					return err
				}
				invite, err = chromedp.Text(css(`.invite-link`))(ctx, tg)
				invite = strings.TrimSpace(invite)
				return err
			})),
	)
	if err != nil {
		t.Fatalf("set up: %v", err)
	}
	ann := newClient(t, srv)
	joinPath := strings.TrimPrefix(invite, srv.URL)
	ann.get(joinPath)
	if resp, _ := ann.post(joinPath, url.Values{"username": {"ann"}, "password": {"ann-password"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("ann joins: %d", resp.StatusCode)
	}
	groupPath := strings.TrimPrefix(groupURL, srv.URL)
	annIn := func() bool {
		resp, _ := ann.get(groupPath)
		return resp.StatusCode == http.StatusOK
	}

	const remove = `form[action$="/remove"] button`
	focusOn := func(what, sel string) chromedp.Action[chromedp.Void] {
		return waitTrue("focused "+what, fmt.Sprintf(`document.activeElement === document.querySelector(%q)`, sel))
	}
	err = chromedp.Do(ctx,
		step("Remove asks in a dialog, the focus on Cancel",
			chromedp.Navigate(groupURL),
			chromedp.WaitReady(css(`html[data-htmx-ready]`)),
			waitText("table.members", "ann"),
			openConfirm(remove),
			waitText("#confirm-question", "Remove ann from Crew?"),
			waitText("#confirm-detail", "Their progress stays theirs"),
			waitText("[data-confirm-ok]", "Remove ann"),
			focusOn("Cancel", `[data-confirm-cancel]`),
			screenshot("confirm-dialog")),
		step("Cancel closes it, the focus back on Remove",
			chromedp.Click(css(`[data-confirm-cancel]`)),
			confirmClosed(),
			focusOn("Remove", remove)),
		step("Escape closes it too",
			openConfirm(remove),
			chromedp.KeyEvent(kb.Escape),
			confirmClosed(),
			focusOn("Remove", remove)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if !annIn() {
		t.Fatal("cancelling removed ann")
	}
	err = chromedp.Do(ctx,
		step("the page still lists ann",
			chromedp.Reload(),
			waitText("table.members", "ann")),
		step("Confirm removes ann",
			openConfirm(remove),
			chromedp.Click(css(`[data-confirm-ok]`)),
			waitTrue("dropped ann from the page", `(() => { const m = document.querySelector("table.members");
				return !!m && !m.innerText.includes("ann") && !document.querySelector("dialog[open]"); })()`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if annIn() {
		t.Error("ann is still in the group after Confirm")
	}

	// Removing ann replaced the invite link.
	err = chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) (err error) {
		invite, err = chromedp.Text(css(`.invite-link`))(ctx, tg)
		invite = strings.TrimSpace(invite)
		return err
	}))
	if err != nil {
		t.Fatal(err)
	}
	var copied, selected string
	err = chromedp.Do(ctx,
		step("Copy link copies the link and says so",
			grantClipboard(srv.URL),
			chromedp.WaitVisible(css(`button[data-copy]`)),
			chromedp.Click(css(`button[data-copy]`)),
			waitText("#copy-status", "Copied"),
			chromedp.Func(func(ctx context.Context, tg *chromedp.Target) (err error) {
				copied, err = chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise)(ctx, tg)
				return err
			})),
		step("where the clipboard refuses, Copy link selects the link",
			chromedp.Evaluate[chromedp.Void](`navigator.clipboard.writeText = () => Promise.reject(new DOMException("not allowed", "NotAllowedError"))`),
			chromedp.Click(css(`button[data-copy]`)),
			waitText("#copy-status", "Link selected"),
			chromedp.Func(func(ctx context.Context, tg *chromedp.Target) (err error) {
				selected, err = chromedp.Evaluate[string](`window.getSelection().toString()`)(ctx, tg)
				return err
			})),
	)
	if err != nil {
		t.Fatal(err)
	}
	if copied != invite {
		t.Errorf("the clipboard holds %q, want the invite link %q", copied, invite)
	}
	if strings.TrimSpace(selected) != invite {
		t.Errorf("selected %q, want the invite link %q", selected, invite)
	}
}
