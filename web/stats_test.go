package web

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func TestStatsPages(t *testing.T) {
	w := newGroupWorld(t) // the member has rated nothing yet; rate two cards
	c := w.member
	for i := 0; i < 2; i++ {
		_, page := c.get("/review?deck=team-deck")
		c.post("/review/"+cardID(page), url.Values{"rating": {"3"}, "token": {field(page, "token")}})
	}
	resp, body := c.get("/stats")
	if resp.StatusCode != 200 {
		t.Fatalf("stats: %d", resp.StatusCode)
	}
	for _, want := range []string{
		`<svg class="chart heatmap"`, `<title id="heat-t">Reviews per day, last 365 days</title>`, `class="heat4 today"`,
		`<svg class="chart" id="reviews"`, `<title id="reviews-t">Reviews per day, last 30 days</title>`, `class="bar-new"`,
		`<svg class="chart" id="forecast"`, `id="stability"`, `id="difficulty"`, `id="recall"`,
		"True retention", "Exam readiness", "<strong>1</strong> day streak",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("stats page lacks %q", want)
		}
	}
	if !regexp.MustCompile(`<desc id="reviews-d">New 2, Learning 0, Review 0, Relearning 0; highest 2.</desc>`).MatchString(body) {
		t.Errorf("reviews chart description does not count the 2 new cards rated")
	}
	// The range switches as an htmx fragment.
	resp, frag := c.get("/stats?days=90", "HX-Request", "true")
	if resp.StatusCode != 200 || strings.Contains(frag, "<!doctype") || !strings.Contains(frag, "last 90 days") || !strings.Contains(frag, `id="reviews-chart"`) {
		t.Errorf("90-day fragment: %d", resp.StatusCode)
	}
	for _, bad := range []string{"/stats?days=7", "/stats?exam=tomorrow"} {
		if resp, _ := c.get(bad); resp.StatusCode != 400 {
			t.Errorf("GET %s: %d, want 400", bad, resp.StatusCode)
		}
	}
	if resp, body := c.get("/stats?deck=team-deck&exam=2099-01-01"); resp.StatusCode != 200 || !strings.Contains(body, "predicted recall on 2099-01-01") {
		t.Errorf("deck stats with an exam date: %d", resp.StatusCode)
	}
	if resp, _ := w.outsider.get("/stats?deck=team-deck"); resp.StatusCode != 404 {
		t.Errorf("outsider's stats of the group deck: %d", resp.StatusCode)
	}

	// Card info: the member's history of a card, 404 for an outsider.
	resp, body = c.get("/cards/" + w.cardID)
	if resp.StatusCode != 200 || !strings.Contains(body, "<caption>Your reviews of this card, newest first") || strings.Count(body, "<td>Good</td>") != 1 {
		t.Errorf("card info: %d\n%s", resp.StatusCode, body)
	}
	if resp, _ := w.outsider.get("/cards/" + w.cardID); resp.StatusCode != 404 {
		t.Errorf("outsider's card info: %d", resp.StatusCode)
	}
	if _, body := w.owner.get("/cards/" + w.cardID); !strings.Contains(body, "You have not reviewed this card yet.") {
		t.Errorf("the owner sees the member's history")
	}
}

// TestCardInfoNewestFirst rates a card Again, then (once it is shown
// again) Good: its card info names the deck and when the card is due,
// and lists the Good rating above the Again one.
func TestCardInfoNewestFirst(t *testing.T) {
	_, _, c := startServer(t)
	_, body := c.get("/review?kind=takeaway")
	id := cardID(body)
	if id == "" {
		t.Fatalf("no card:\n%s", body)
	}
	if resp, _ := c.post("/review/"+id, url.Values{"rating": {"1"}, "token": {field(body, "token")}}); resp.StatusCode >= 400 {
		t.Fatalf("rate Again: %d", resp.StatusCode)
	}
	_, body = c.get("/review?card=" + id)
	if resp, _ := c.post("/review/"+id, url.Values{"rating": {"3"}, "token": {field(body, "token")}}); resp.StatusCode >= 400 {
		t.Fatalf("rate Good: %d", resp.StatusCode)
	}
	_, info := c.get("/cards/" + id)
	for _, want := range []string{`Deck: <a href="/decks/aws-dva-c02-containers`, " · due ", "newest first"} {
		if !strings.Contains(info, want) {
			t.Errorf("card info lacks %q:\n%s", want, info)
		}
	}
	good, again := strings.Index(info, "<td>Good</td>"), strings.Index(info, "<td>Again</td>")
	if good < 0 || again < 0 || good > again {
		t.Errorf("card info does not list Good (at %d) before Again (at %d):\n%s", good, again, info)
	}
}
