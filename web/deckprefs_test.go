package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// todayDecks lists the slugs of the decks in Today's table, in order.
func todayDecks(t *testing.T, c *client) []string {
	t.Helper()
	resp, body := c.get("/")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("Today: %d", resp.StatusCode)
	}
	table := body[strings.Index(body, `<table class="decks-table">`):]
	table = table[:strings.Index(table, "</table>")]
	var out []string
	for _, m := range regexp.MustCompile(`<td><a href="/decks/([^"]+)">`).FindAllStringSubmatch(table, -1) {
		out = append(out, m[1])
	}
	return out
}

// TestArrangeDecks: a learner orders and hides decks on Today, sets a
// deck's daily new cards on its page and the gather order in settings;
// forged or malformed forms change nothing.
func TestArrangeDecks(t *testing.T) {
	_, _, c := startServer(t)
	order := todayDecks(t, c)
	if len(order) != 2 {
		t.Fatalf("Today lists %v, want the two built-in decks", order)
	}
	first, second := order[0], order[1]
	_, body := c.get("/")
	if !strings.Contains(body, `href="/review?deck=`+first+`">Study</a>`) || strings.Contains(body, `action="/decks/`+first+`/order"`) {
		t.Errorf("Today without arranging: want Study buttons and no order controls")
	}
	if _, body = c.get("/?arrange=1"); !strings.Contains(body, `action="/decks/`+second+`/order"`) || !strings.Contains(body, `aria-label="Hide `) {
		t.Fatalf("arranging shows no order or hide controls")
	}

	// A forged form (wrong token) and a malformed one change nothing.
	if resp, _ := c.post("/decks/"+second+"/order", url.Values{"dir": {"up"}, "csrf": {"forged"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("forged reorder: %d", resp.StatusCode)
	}
	if resp, _ := c.post("/decks/"+second+"/order", url.Values{"dir": {"sideways"}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("malformed reorder: %d", resp.StatusCode)
	}
	if resp, _ := c.post("/decks/no-such-deck/order", url.Values{"dir": {"up"}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("reorder of an unknown deck: %d", resp.StatusCode)
	}
	if got := todayDecks(t, c); strings.Join(got, ",") != first+","+second {
		t.Fatalf("order changed by refused forms: %v", got)
	}
	resp, _ := c.post("/decks/"+second+"/order", url.Values{"dir": {"up"}, "back": {"/?arrange=1"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/?arrange=1" {
		t.Fatalf("reorder: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if got := todayDecks(t, c); strings.Join(got, ",") != second+","+first {
		t.Errorf("after moving %s up: %v", second, got)
	}

	// Hide one: it leaves the table for the hidden list; Show brings it back.
	c.post("/decks/"+first+"/hide", url.Values{"hidden": {"1"}, "back": {"/"}})
	if got := todayDecks(t, c); strings.Join(got, ",") != second {
		t.Errorf("after hiding %s: %v", first, got)
	}
	if _, body = c.get("/"); !strings.Contains(body, "Hidden decks (1)") {
		t.Errorf("no hidden-decks list")
	}
	if _, body = c.get("/decks/" + first); !strings.Contains(body, "hidden from Today") || !strings.Contains(body, `href="/review?deck=`+first+`">Study this deck</a>`) {
		t.Errorf("the hidden deck's page: no badge or no Study button")
	}
	c.post("/decks/"+first+"/hide", url.Values{"hidden": {"0"}, "back": {"/"}})
	if got := todayDecks(t, c); len(got) != 2 {
		t.Errorf("after showing %s again: %v", first, got)
	}

	// A deck's own daily limit of new cards.
	if resp, body := c.post("/decks/"+first+"/new-limit", url.Values{"new_per_day": {"many"}}); resp.StatusCode != http.StatusBadRequest ||
		!strings.Contains(body, "whole number from 0 to 9999") {
		t.Errorf("a malformed limit: %d", resp.StatusCode)
	}
	c.post("/decks/"+first+"/new-limit", url.Values{"new_per_day": {"3"}, "back": {"/decks/" + first}})
	if _, body = c.get("/decks/" + first); !strings.Contains(body, `placeholder="no limit"`) || !strings.Contains(body, `value="3"`) {
		t.Errorf("the deck page does not show its limit")
	}
	_, body = c.get("/")
	if !strings.Contains(body, "3 new a day") {
		t.Errorf("Today does not show the deck's limit")
	}
	if m := regexp.MustCompile(`href="/decks/` + first + `">[^<]*</a>[^\n]*\n\s*<td class="num new">(\d+)</td>`).FindStringSubmatch(body); m == nil || m[1] != "3" {
		t.Errorf("Today's new count for %s: %v, want 3", first, m)
	}

	// The gather order: interleaved by default, deck order when chosen.
	if !strings.Contains(body, "from each deck in turn") {
		t.Errorf("Today does not say new cards are interleaved")
	}
	c.get("/settings")
	form := url.Values{"retention": {"0.90"}, "new_per_day": {"20"}, "reviews_per_day": {"200"}, "max_interval": {"36500"}, "time_zone": {"UTC"}}
	form.Set("gather", "backwards")
	if resp, _ := c.post("/settings", form); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("an unknown gather order: %d", resp.StatusCode)
	}
	form.Set("gather", "deck-order")
	if resp, body := c.post("/settings", form); resp.StatusCode != http.StatusOK || !strings.Contains(body, `value="deck-order" checked`) {
		t.Errorf("save deck order: %d", resp.StatusCode)
	}
	if _, body = c.get("/"); !strings.Contains(body, "in this order of the decks") {
		t.Errorf("Today does not say new cards come in deck order")
	}
	form.Del("gather") // a form without the choice keeps it
	c.post("/settings", form)
	if _, body = c.get("/settings"); !strings.Contains(body, `value="deck-order" checked`) {
		t.Errorf("a settings form without the gather choice changed it")
	}
}

// TestGroupStudy: the group page offers to study the group's decks (all,
// or one), the review of a group shows only its decks, and another group's
// id shows nothing of it.
func TestGroupStudy(t *testing.T) {
	w := newGroupWorld(t)
	id := strings.TrimPrefix(w.groupPath, "/groups/")
	_, body := w.member.get(w.groupPath)
	if !strings.Contains(body, `href="/review?group=`+id+`">Study the group's decks</a>`) || !strings.Contains(body, `href="/review?deck=team-deck">Study</a>`) {
		t.Errorf("the group page has no Study buttons")
	}
	_, body = w.member.get("/review?group=" + id)
	if !strings.Contains(body, "Team deck") || !strings.Contains(body, `name="group" value="`+id+`"`) {
		t.Errorf("the group's review does not show the group's deck, or loses the filter")
	}
	if resp, _ := w.member.get("/review?group=x1"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a malformed group filter: %d", resp.StatusCode)
	}
	_, body = w.outsider.get("/review?group=" + id)
	if strings.Contains(body, "Team deck") || cardID(body) != "" {
		t.Errorf("an outsider studies another group's deck")
	}
}
