package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/flashd/flashd/decks"
	"github.com/flashd/flashd/store"
)

// TestEditorAuthorization walks every editor route as each role: a
// visitor is sent to log in, a deck or group the user cannot see is not
// found, a member who may not upload the group's decks is forbidden, the
// owner and maintainers may; anyone may write a private deck, and nobody
// edits another user's private deck or a public one.
func TestEditorAuthorization(t *testing.T) {
	w := newGroupWorld(t)
	gid := strings.TrimPrefix(w.groupPath, "/groups/")
	victim, _ := strconv.ParseInt(w.ids["victim"], 10, 64)
	notes := "---\nid: victim-notes\ntitle: Notes\n---\n### Mine?\nYes.\n"
	d, err := decks.Parse("notes.md", []byte(notes))
	if err != nil {
		t.Fatal(err)
	}
	res, err := w.db.ImportDeck(t.Context(), d, store.ImportOptions{OwnerID: victim})
	if err != nil {
		t.Fatal(err)
	}
	private := "/decks/" + res.Slug
	newDeck := strings.Replace(groupDeckV1, "id: team-deck", "id: team-two", 1)
	type want = roleWant
	routes := []roleRoute{
		{"edit a group deck", "GET", "/decks/team-deck/edit", nil, want{303, 404, 404, 403, 200, 200}},
		{"check a group deck", "POST", "/decks/team-deck/edit/lint", url.Values{"markdown": {groupDeckV1}}, want{401, 404, 404, 403, 200, 200}},
		{"save a group deck", "POST", "/decks/team-deck/edit", url.Values{"markdown": {groupDeckV1}}, want{401, 404, 404, 403, 200, 200}},
		{"new group deck", "GET", "/decks/new?group=" + gid, nil, want{303, 404, 404, 403, 200, 200}},
		{"check a new group deck", "POST", "/decks/new/lint", url.Values{"group": {gid}, "markdown": {newDeck}}, want{401, 404, 404, 403, 200, 200}},
		{"save a new group deck", "POST", "/decks/new", url.Values{"group": {gid}, "markdown": {newDeck}}, want{401, 404, 404, 403, 200, 200}},
		{"new deck in no group", "GET", "/decks/new?group=999999", nil, want{303, 404, 404, 404, 404, 404}},
		{"new private deck", "GET", "/decks/new", nil, want{303, 200, 200, 200, 200, 200}},
		{"check a new private deck", "POST", "/decks/new/lint", url.Values{"markdown": {decks.Starter}}, want{401, 200, 200, 200, 200, 200}},
		{"save a new private deck", "POST", "/decks/new", url.Values{"markdown": {decks.Starter}}, want{401, 200, 200, 200, 200, 200}},
		{"edit another user's private deck", "GET", private + "/edit", nil, want{303, 404, 404, 404, 404, 404}},
		{"check another user's private deck", "POST", private + "/edit/lint", url.Values{"markdown": {notes}}, want{401, 404, 404, 404, 404, 404}},
		{"save another user's private deck", "POST", private + "/edit", url.Values{"markdown": {notes}}, want{401, 404, 404, 404, 404, 404}},
		{"edit a built-in deck", "GET", "/decks/aws-dva-c02-containers/edit", nil, want{303, 403, 403, 403, 403, 403}},
		{"save a built-in deck", "POST", "/decks/aws-dva-c02-containers/edit", url.Values{"markdown": {groupDeckV1}}, want{401, 403, 403, 403, 403, 403}},
		{"edit no deck", "GET", "/decks/no-such-deck/edit", nil, want{303, 404, 404, 404, 404, 404}},
	}
	w.walkRoles(t, routes, func(rt roleRoute, role string, status int, body string) {
		if status == 200 && rt.method == "GET" && !strings.Contains(body, `id="deck-source"`) {
			t.Errorf("%s as %s: no editor on the page", rt.name, role)
		}
	})
	if _, body := w.victim(t).get(private); !strings.Contains(body, "Mine?") {
		t.Error("the victim's private deck changed")
	}
}

// victim logs in as the group world's victim.
func (w *groupWorld) victim(t *testing.T) *client {
	c := newClient(t, w.anon.srv)
	if resp := c.logIn("victim", "victim-password"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("log in as victim: %d", resp.StatusCode)
	}
	return c
}

// TestEditorLint checks the live check: a broken line is named as
// deck.md:N, a good deck comes back as a preview of its cards, rendered
// and sanitised as the deck page shows them, and an edit may not change
// the deck's id.
func TestEditorLint(t *testing.T) {
	w := newGroupWorld(t)
	c := w.owner
	_, page := c.get("/decks/team-deck/edit")
	for _, want := range []string{"Which role pulls images?", `hx-post="/decks/team-deck/edit/lint"`, `formaction="/decks/team-deck/edit/lint"`, "No problems: 2 cards."} {
		if !strings.Contains(page, want) {
			t.Errorf("editor page lacks %q", want)
		}
	}

	broken := groupDeckV1 + "## Scenarios\n### Pick one\n- [ ] a\n- [ ] b\n"
	for _, htmx := range []bool{true, false} {
		var header []string
		if htmx {
			header = []string{"HX-Request", "true"}
		}
		resp, body := c.post("/decks/team-deck/edit/lint", url.Values{"markdown": {broken}}, header...)
		if resp.StatusCode != 200 || !strings.Contains(body, `data-line="11"`) || !strings.Contains(body, "deck.md:11: scenario card has no correct option") {
			t.Errorf("broken deck (htmx %t): %d\n%s", htmx, resp.StatusCode, body)
		}
		if htmx == strings.Contains(body, "<html") {
			t.Errorf("htmx %t: whole page %t", htmx, !htmx)
		}
		if htmx && !strings.Contains(body, `id="preview" class="preview" aria-labelledby="preview-title" hx-swap-oob="true"`) {
			t.Errorf("the htmx answer does not replace the preview")
		}
	}

	good := groupDeckV1 + "## Scenarios\n### Pick one\n- [ ] a <img src=x onerror=alert(1)>\n- [x] **b**\n\nBecause.\n## Key takeaways\n### Cloze {#c}\nThe {{c1::execution}} role.\n"
	resp, body := c.post("/decks/team-deck/edit/lint", url.Values{"markdown": {good}}, "HX-Request", "true")
	for _, want := range []string{"No problems: 4 cards.", "Which role calls S3?", "<strong>b</strong>", `class="letter">B</span>`,
		`<span class="cloze">[...]</span>`, `data-line="11"`, "Because."} {
		if resp.StatusCode != 200 || !strings.Contains(body, want) {
			t.Errorf("good deck: %d, lacks %q\n%s", resp.StatusCode, want, body)
		}
	}
	if strings.Contains(body, "onerror") {
		t.Errorf("the preview is not sanitised")
	}

	renamed := strings.Replace(groupDeckV1, "id: team-deck", "id: other-deck", 1)
	if _, body := c.post("/decks/team-deck/edit/lint", url.Values{"markdown": {renamed}}); !strings.Contains(body, `deck.md:2: this editor saves the deck &#34;team-deck&#34;`) {
		t.Errorf("a changed id is not a problem:\n%s", body)
	}
	if _, body := c.post("/decks/team-deck/edit/lint", url.Values{"markdown": {"  \n"}}); !strings.Contains(body, "The deck is empty") {
		t.Errorf("an empty deck is not told")
	}
	if _, body := c.post("/decks/team-deck/edit/lint", url.Values{"markdown": {"---\nid: team-deck\ntitle: [x\n---\n"}}); !strings.Contains(body, "deck.md:3: front matter is not valid YAML") {
		t.Errorf("bad front matter:\n%s", body)
	}
}

// TestEditorSave checks that saving imports as an upload does: a broken
// deck changes nothing and names its lines, a good edit adds the new card
// and keeps the learners' progress on the edited one, retiring most cards
// asks first, and a new deck from the starter lands among the user's
// private decks.
func TestEditorSave(t *testing.T) {
	w := newGroupWorld(t)
	c := w.owner
	// The member learns a card, to see that the edit keeps it.
	_, page := w.member.get("/review?deck=team-deck")
	if resp, _ := w.member.post("/review/"+cardID(page), url.Values{"rating": {"4"}, "token": {field(page, "token")}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("member rates: %d", resp.StatusCode)
	}

	c.get("/decks/team-deck/edit")
	broken := strings.Replace(groupDeckV1, "The task role.\n", "", 1) + "### Brand new card?\nYes.\n"
	resp, body := c.post("/decks/team-deck/edit", url.Values{"markdown": {broken}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "deck.md:8: card has no back") || !strings.Contains(body, "The deck was not saved") {
		t.Errorf("broken save: %d\n%s", resp.StatusCode, body)
	}
	if !strings.Contains(body, "Brand new card?") {
		t.Errorf("the broken text is not kept in the editor")
	}
	if _, deck := w.member.get("/decks/team-deck"); strings.Contains(deck, "Brand new card?") || !strings.Contains(deck, "The task role.") {
		t.Errorf("a broken save changed the deck")
	}

	edited := strings.Replace(groupDeckV1, "The task role.", "The task role (the app's own calls).", 1) + "### Brand new card?\nYes.\n"
	resp, body = c.post("/decks/team-deck/edit", url.Values{"markdown": {edited}})
	if resp.StatusCode != 200 || !strings.Contains(body, "Saved: deck team-deck: 1 added, 1 updated, 0 retired, 1 unchanged") || !strings.Contains(body, `href="/decks/team-deck">Open the deck`) {
		t.Errorf("good save: %d\n%s", resp.StatusCode, body)
	}
	_, deck := w.member.get("/decks/team-deck")
	if !strings.Contains(deck, "Brand new card?") || !strings.Contains(deck, "the app&#39;s own calls") {
		t.Errorf("the saved edit is not on the deck page")
	}
	if strings.Count(deck, "review · due") != 1 {
		t.Errorf("the member's progress was lost by the edit")
	}
	if _, src := c.get("/decks/team-deck/edit"); !strings.Contains(src, "Brand new card?") {
		t.Errorf("the editor does not open on the saved source")
	}

	// Retiring most cards asks first; the confirmation saves.
	one := "---\nid: team-deck\ntitle: Team deck\n---\n### Only card\nLeft.\n"
	resp, body = c.post("/decks/team-deck/edit", url.Values{"markdown": {one}})
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "Retire these 3 cards and save") {
		t.Fatalf("retiring save: %d\n%s", resp.StatusCode, body)
	}
	if _, deck := w.member.get("/decks/team-deck"); !strings.Contains(deck, "Brand new card?") {
		t.Errorf("an unconfirmed save retired cards")
	}
	confirm := regexpValue(t, body, `name="confirm" value="([0-9a-f]+)"`)
	resp, body = c.post("/decks/team-deck/edit", url.Values{"markdown": {one}, "confirm": {confirm}})
	if resp.StatusCode != 200 || !strings.Contains(body, "1 added, 0 updated, 3 retired") {
		t.Errorf("confirmed save: %d\n%s", resp.StatusCode, body)
	}

	// A new private deck from the starter: saved at the owner's address,
	// after which the editor is the new deck's.
	c.get("/decks/new")
	resp, body = c.post("/decks/new", url.Values{"markdown": {decks.Starter}})
	owner, _ := w.db.UserByName(t.Context(), "owner")
	slug := "u" + owner + "-my-deck"
	if resp.StatusCode != 200 || !strings.Contains(body, "Saved: deck my-deck: 6 added") || !strings.Contains(body, `action="/decks/`+slug+`/edit"`) {
		t.Errorf("new private deck: %d\n%s", resp.StatusCode, body)
	}
	if resp, _ := c.get("/decks/" + slug); resp.StatusCode != 200 {
		t.Errorf("the new deck's page: %d", resp.StatusCode)
	}
}

// regexpValue returns the first group of pattern in body.
func regexpValue(t *testing.T, body, pattern string) string {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no %s in the page", pattern)
	}
	return m[1]
}
