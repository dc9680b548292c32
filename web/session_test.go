package web

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// sessionDeck is a short deck for one session.
const sessionDeck = `---
id: short
title: Short deck
---
## Key takeaways

### One?
1

### Two?
2

### Three?
3
`

// hx posts a form as htmx does and returns the pane.
func hx(t *testing.T, c *client, path string, form url.Values) string {
	t.Helper()
	form.Set("deck", "short")
	resp, body := c.post(path, form, "HX-Request", "true")
	if resp.StatusCode != 200 {
		t.Fatalf("POST %s: %d\n%s", path, resp.StatusCode, body)
	}
	return body
}

// rateShown rates the pane's card Good, answered secs seconds after it
// was shown.
func rateShown(t *testing.T, c *client, pane string, secs int) string {
	t.Helper()
	shown := strconv.FormatInt(time.Now().Add(-time.Duration(secs)*time.Second).UnixMilli(), 10)
	return hx(t, c, "/review/"+cardID(pane), url.Values{"rating": {"3"}, "token": {field(pane, "token")}, "shown": {shown}})
}

// TestSessionProgress: the pane counts the day's cards, estimates the time
// left from the learner's answer times, explains the buttons until the
// first rating, and undo takes back ratings and card actions alike,
// saying what it undid.
func TestSessionProgress(t *testing.T) {
	_, _, c := startServer(t, sessionDeck)
	_, pane := c.get("/review?deck=short")
	if !strings.Contains(pane, `<span class="of">0 of 3</span>`) || !strings.Contains(pane, "How to rate") {
		t.Fatalf("first pane lacks the progress or the rating help:\n%s", pane)
	}
	if strings.Contains(pane, `class="left"`) {
		t.Error("a time left without any answer time")
	}
	first := cardID(pane)
	pane = rateShown(t, c, pane, 8)
	// Good on a new card leaves it learning: it counts again, as in Anki.
	if !strings.Contains(pane, `<span class="of">1 of 4</span>`) {
		t.Errorf("after one rating, no progress 1 of 4:\n%s", pane)
	}
	if strings.Contains(pane, "How to rate") {
		t.Error("the rating help stays after the first rating")
	}
	if !strings.Contains(pane, `<span class="left">under a minute left</span>`) {
		t.Errorf("no time left at 8 s a card:\n%s", pane)
	}
	if !strings.Contains(pane, "Undo the Good rating") || !strings.HasPrefix(field(pane, "undo"), "r") {
		t.Errorf("no undo of the rating:\n%s", pane)
	}

	buried := cardID(pane)
	pane = hx(t, c, "/review/"+buried+"/action", url.Values{"action": {"bury"}})
	if cardID(pane) == buried || !strings.Contains(pane, "Card buried until tomorrow.") || !strings.Contains(pane, "Undo the bury") {
		t.Fatalf("after a bury:\n%s", pane)
	}
	undoBury := url.Values{"undo": {field(pane, "undo")}}
	pane = hx(t, c, "/review/undo", undoBury)
	if cardID(pane) != buried || !strings.Contains(pane, "Undone: the bury of this card.") {
		t.Fatalf("undo of the bury does not bring the card back saying so:\n%s", pane)
	}
	// A replayed undo changes nothing.
	replay := hx(t, c, "/review/undo", undoBury)
	if !strings.Contains(replay, "Nothing to undo") || cardID(replay) != buried {
		t.Errorf("a replayed undo:\n%s", replay)
	}
	// Next on the stack: the rating.
	pane = hx(t, c, "/review/undo", url.Values{"undo": {field(replay, "undo")}})
	if cardID(pane) != first || !strings.Contains(pane, "Undone: the Good rating of this card.") || !strings.Contains(pane, "0 of 3") {
		t.Errorf("undo of the rating:\n%s", pane)
	}
}

// TestSessionEnd: when the day's cards are done, the pane sums up the day
// and offers more: extra new cards, review ahead, and a cram.
func TestSessionEnd(t *testing.T) {
	_, db, c := startServer(t, sessionDeck)
	ctx := context.Background()
	us, err := db.Users(ctx, "admin")
	if err != nil || len(us) != 1 {
		t.Fatal(us, err)
	}
	set := us[0].Settings()
	set.NewPerDay = 1
	if err := db.UpdateSettings(ctx, us[0].ID, "UTC", set); err != nil {
		t.Fatal(err)
	}
	_, pane := c.get("/review?deck=short")
	for i := 0; cardID(pane) != "" && i < 10; i++ {
		shown := strconv.FormatInt(time.Now().Add(-5*time.Second).UnixMilli(), 10)
		pane = hx(t, c, "/review/"+cardID(pane), url.Values{"rating": {"4"}, "token": {field(pane, "token")}, "shown": {shown}})
	}
	for _, want := range []string{"Done for now: 1 cards today", "<dt>Time spent</dt><dd>5 s</dd>", "no reviews yet, only new cards",
		"<dt>Streak</dt><dd>1 day</dd>", "10 more new cards today", `href="/review?ahead=1&amp;deck=short"`, `<option value="short" selected>`} {
		if !strings.Contains(pane, want) {
			t.Errorf("the session's end lacks %q:\n%s", want, pane)
		}
	}
	pane = hx(t, c, "/review/more", url.Values{"new": {"10"}})
	if cardID(pane) == "" || !strings.Contains(pane, "10 more new cards today.") || !strings.Contains(pane, "2 new") {
		t.Errorf("more new cards:\n%s", pane)
	}
	for _, bad := range []string{"0", "x", "501"} {
		if resp, _ := c.post("/review/more", url.Values{"new": {bad}}); resp.StatusCode != 400 {
			t.Errorf("more new %q: %d", bad, resp.StatusCode)
		}
	}
	if resp, _ := c.get("/review?ahead=99"); resp.StatusCode != 400 {
		t.Errorf("review 99 days ahead: %d", resp.StatusCode)
	}
	if resp, body := c.get("/review?ahead=7&deck=short"); resp.StatusCode != 200 || !strings.Contains(body, "Reviewing ahead") {
		t.Errorf("review ahead: %d\n%s", resp.StatusCode, body)
	}
}

// TestCram: a cram goes through a deck, brings back what was missed, ends
// when every card was got once, writes nothing, and shows no card the
// learner may not see.
func TestCram(t *testing.T) {
	srv, db, c := startServer(t, sessionDeck)
	before := reviewCount(t, db, "admin")
	resp, page := c.get("/cram?deck=short")
	if resp.StatusCode != 200 || !strings.Contains(page, "1 of 3") || !strings.Contains(page, "does not change your schedule") {
		t.Fatalf("cram start: %d\n%s", resp.StatusCode, page)
	}
	link := func(body, label string) string {
		t.Helper()
		i := strings.Index(body, `<span class="label">`+label+`</span>`)
		j := strings.LastIndex(body[:max(i, 0)], `href="`)
		if i < 0 || j < 0 {
			t.Fatalf("no %s link:\n%s", label, body)
		}
		href := body[j+len(`href="`):]
		return strings.ReplaceAll(href[:strings.Index(href, `"`)], "&amp;", "&")
	}
	var seen []string
	missed := cardID(page)
	steps := []string{"Again", "Got it", "Got it", "Got it"} // round 1: miss the first; round 2: get it
	for _, answer := range steps {
		seen = append(seen, cardID(page))
		_, page = c.get(link(page, answer), "HX-Request", "true")
	}
	if seen[3] != missed || !strings.Contains(page, "Cram done") || !strings.Contains(page, "4 answers; you marked Again 1 time") {
		t.Errorf("cram went %v (missed %s), then:\n%s", seen, missed, page)
	}
	if n := reviewCount(t, db, "admin"); n != before {
		t.Errorf("a cram wrote %d reviews", n-before)
	}
	for _, bad := range []string{"/cram", "/cram?deck=short&redo=1,x&round=2", "/cram?deck=short&round=2", "/cram?deck=short&i=-1"} {
		if resp, _ := c.get(bad); resp.StatusCode != 400 {
			t.Errorf("GET %s: %d, want 400", bad, resp.StatusCode)
		}
	}

	// Another learner's private deck: not found, by deck or by card id.
	c.post("/admin/signup", url.Values{"open": {"1"}})
	c.post("/decks", url.Values{"markdown": {strings.Replace(sessionDeck, "id: short", "id: mine", 1)}})
	_, mine := c.get("/cram?deck=u1-mine")
	secret := cardID(mine)
	if secret == "" {
		t.Fatalf("the admin's own deck does not cram:\n%s", mine)
	}
	eve := newClient(t, srv)
	eve.signUp("eve", "eve-password-1")
	for _, path := range []string{"/cram?deck=u1-mine", "/cram?deck=short&round=2&redo=" + secret} {
		if resp, body := eve.get(path); resp.StatusCode != 404 || strings.Contains(body, "One?") {
			t.Errorf("eve GET %s: %d", path, resp.StatusCode)
		}
	}
}
