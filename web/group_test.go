package web

import (
	"bytes"
	"fmt"
	"html"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/flashd/flashd/store"
)

const groupDeckV1 = `---
id: team-deck
title: Team deck
---
## Traps
### Which role pulls images?
The task execution role.
### Which role calls S3?
The task role.
`

// postMultipart uploads a deck file as the multipart field "deck".
func (c *client) postMultipart(path, filename, content string) (*http.Response, string) {
	c.t.Helper()
	return c.postFile(path, "deck", filename, []byte(content))
}

// postFile uploads a file in the multipart field with the current CSRF
// token.
func (c *client) postFile(path, field, filename string, content []byte) (*http.Response, string) {
	c.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	w.WriteField("csrf", c.csrf)
	fw, _ := w.CreateFormFile(field, filename)
	fw.Write(content)
	w.Close()
	req, _ := http.NewRequest(http.MethodPost, c.srv.URL+path, &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	if m := csrfMeta.FindSubmatch(b.Bytes()); m != nil {
		c.csrf = string(m[1])
	}
	return resp, b.String()
}

// groupWorld is a server with a group and one client per role.
type groupWorld struct {
	admin, owner, maint, member, outsider, anon *client
	groupPath                                   string
	invite                                      string
	cardID                                      string
	ids                                         map[string]string // username -> user id
	db                                          *store.DB
}

func newGroupWorld(t *testing.T) *groupWorld {
	srv, db, admin := startServer(t)
	admin.get("/settings")
	admin.post("/admin/signup", url.Values{"open": {"1"}})
	w := &groupWorld{admin: admin, ids: map[string]string{}, db: db}
	mk := func(name string) *client {
		c := newClient(t, srv)
		c.signUp(name, name+"-password")
		return c
	}
	w.owner, w.maint, w.member, w.outsider = mk("owner"), mk("maint"), mk("member"), mk("outsider")
	victim := mk("victim")
	w.anon = newClient(t, srv)
	w.anon.get("/login")

	resp, _ := w.owner.post("/groups", url.Values{"name": {"Team"}})
	w.groupPath = resp.Header.Get("Location")
	if !regexp.MustCompile(`^/groups/\d+$`).MatchString(w.groupPath) {
		t.Fatalf("create group: %d %q", resp.StatusCode, w.groupPath)
	}
	_, page := w.owner.get(w.groupPath)
	m := regexp.MustCompile(`/join/([A-Za-z0-9_-]+)`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no invite link on the group page")
	}
	w.invite = "/join/" + m[1]
	for _, c := range []*client{w.maint, w.member, victim} {
		// Opening the link only asks; the button joins.
		if resp, body := c.get(w.invite); resp.StatusCode != 200 || !strings.Contains(body, "<button class=\"primary\" type=\"submit\">Join Team</button>") {
			t.Fatalf("invite page: %d", resp.StatusCode)
		}
		if resp, _ := c.get(w.groupPath); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("a GET of the invite made a member: %d", resp.StatusCode)
		}
		if resp, _ := c.post(w.invite, nil); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != w.groupPath {
			t.Fatalf("join: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	for _, name := range []string{"maint", "victim"} {
		u, err := db.UserByName(t.Context(), name)
		if err != nil {
			t.Fatal(err)
		}
		w.ids[name] = u
	}
	w.owner.get(w.groupPath)
	if resp, _ := w.owner.post(w.groupPath+"/role", url.Values{"member": {w.ids["maint"]}, "role": {"maintainer"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("promote: %d", resp.StatusCode)
	}
	if resp, body := w.owner.post(w.groupPath+"/decks", url.Values{"markdown": {groupDeckV1}}); resp.StatusCode != 200 || !strings.Contains(body, "deck team-deck: 2 added") {
		t.Fatalf("upload: %d", resp.StatusCode)
	}
	_, body := w.member.get("/review?deck=team-deck")
	w.cardID = cardID(body)
	if w.cardID == "" {
		t.Fatalf("member has no team card to review")
	}
	return w
}

// TestGroupAuthorization walks every group route as each role and checks
// the status: a visitor is sent to log in, a non-member (the server admin
// included) gets 404, a member gets 403 for what only owners or
// maintainers may do. An action that asks for confirmation refuses the
// same way whether confirmed or not.
func TestGroupAuthorization(t *testing.T) {
	w := newGroupWorld(t)
	type want = roleWant
	g := w.groupPath
	routes := []roleRoute{
		{"group page", "GET", g, nil, want{303, 404, 404, 200, 200, 200}},
		{"group deck page", "GET", "/decks/team-deck", nil, want{303, 404, 404, 200, 200, 200}},
		{"group card", "GET", "/review?card=" + w.cardID, nil, want{303, 404, 404, 200, 200, 200}},
		{"rate a group card with a stale token", "POST", "/review/" + w.cardID, url.Values{"rating": {"3"}, "token": {"99"}}, want{401, 404, 404, 303, 303, 303}},
		{"flag a group card", "POST", "/review/" + w.cardID + "/action", url.Values{"action": {"flag"}}, want{401, 404, 404, 303, 303, 303}},
		{"upload a deck", "POST", g + "/decks", url.Values{"markdown": {groupDeckV1}}, want{401, 404, 404, 403, 200, 200}},
		{"set the exam date", "POST", g + "/exam", url.Values{"exam_date": {"2027-01-15"}}, want{401, 404, 404, 403, 403, 303}},
		{"ask to replace the invite", "POST", g + "/invite", url.Values{"expires_days": {"7"}}, want{401, 404, 404, 403, 403, 200}},
		{"replace the invite", "POST", g + "/invite", url.Values{"expires_days": {"7"}, "confirm": {"yes"}}, want{401, 404, 404, 403, 403, 303}},
		{"change a role", "POST", g + "/role", url.Values{"member": {w.ids["victim"]}, "role": {"maintainer"}}, want{401, 404, 404, 403, 403, 303}},
		{"appear anonymously", "POST", g + "/anonymous", url.Values{"anonymous": {"1"}}, want{401, 404, 404, 303, 303, 303}},
		{"pause the group deck", "POST", "/decks/team-deck/pause", url.Values{"paused": {"1"}}, want{401, 404, 404, 303, 303, 303}},
		{"unknown action", "POST", g + "/explode", nil, want{401, 404, 404, 404, 404, 404}},
		{"ask to remove a member", "POST", g + "/remove", url.Values{"member": {w.ids["victim"]}}, want{401, 404, 404, 403, 403, 200}},
		{"remove a member", "POST", g + "/remove", url.Values{"member": {w.ids["victim"]}, "confirm": {"yes"}}, want{401, 404, 404, 403, 403, 303}},
		{"ask to remove the removed member", "POST", g + "/remove", url.Values{"member": {w.ids["victim"]}}, want{401, 404, 404, 403, 403, 404}},
		{"ask to delete", "POST", g + "/delete", nil, want{401, 404, 404, 403, 403, 200}},
		{"ask to leave", "POST", g + "/leave", nil, want{401, 404, 404, 200, 200, 400}},
		{"leave", "POST", g + "/leave", url.Values{"confirm": {"yes"}}, want{401, 404, 404, 303, 303, 400}},
		{"delete", "POST", g + "/delete", url.Values{"confirm": {"yes"}}, want{401, 404, 404, 404, 404, 303}}, // member and maintainer have left
		{"group page after delete", "GET", g, nil, want{303, 404, 404, 404, 404, 404}},
	}
	w.walkRoles(t, routes, nil)
}

// roleWant is the status each role of a group world gets for a route.
type roleWant struct{ anon, outsider, admin, member, maint, owner int }

// roleRoute is one route of an authorisation table.
type roleRoute struct {
	name   string
	method string
	path   string
	form   url.Values
	want   roleWant
}

// walkRoles sends every route as every role of the world, in order, and
// checks the status; check, if not nil, also gets each body.
func (w *groupWorld) walkRoles(t *testing.T, routes []roleRoute, check func(rt roleRoute, role string, status int, body string)) {
	t.Helper()
	for _, rt := range routes {
		for _, role := range []struct {
			name   string
			c      *client
			status int
		}{
			{"anonymous", w.anon, rt.want.anon}, {"non-member", w.outsider, rt.want.outsider}, {"admin", w.admin, rt.want.admin},
			{"member", w.member, rt.want.member}, {"maintainer", w.maint, rt.want.maint}, {"owner", w.owner, rt.want.owner},
		} {
			role.c.get("/login") // refresh the client's CSRF token
			if role.c != w.anon {
				role.c.get("/groups")
			}
			var resp *http.Response
			var body string
			if rt.method == "GET" {
				resp, body = role.c.get(rt.path)
			} else {
				form := url.Values{}
				for k, v := range rt.form {
					form[k] = v
				}
				resp, body = role.c.post(rt.path, form)
			}
			if resp.StatusCode != role.status {
				t.Errorf("%s as %s: %s %s = %d, want %d", rt.name, role.name, rt.method, rt.path, resp.StatusCode, role.status)
			}
			if check != nil {
				check(rt, role.name, resp.StatusCode, body)
			}
		}
	}
}

// confirmForm is the form of a confirmation page: its action and fields.
var confirmForm = regexp.MustCompile(`(?s)<form class="confirm-actions" method="post" action="([^"]+)">(.*?)</form>`)

// confirm sends the form of the confirmation page body, as the Confirm
// button would.
func (c *client) confirm(body string) (*http.Response, string) {
	c.t.Helper()
	m := confirmForm.FindStringSubmatch(body)
	if m == nil {
		c.t.Fatalf("no confirmation form in:\n%s", body)
	}
	form := url.Values{}
	for _, f := range regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`).FindAllStringSubmatch(m[2], -1) {
		form.Add(f[1], html.UnescapeString(f[2]))
	}
	return c.post(html.UnescapeString(m[1]), form)
}

// TestGroupConfirmations: replacing the invite link, removing a member,
// leaving and deleting the group do nothing when posted without
// confirm=yes, and answer with a page that says what would happen; its
// Confirm button does it, its Cancel link goes back to the group.
func TestGroupConfirmations(t *testing.T) {
	w := newGroupWorld(t)
	g := w.groupPath
	victim := newClient(t, w.anon.srv)
	victim.get("/login")
	victim.post("/login", url.Values{"username": {"victim"}, "password": {"victim-password"}})
	if resp, _ := victim.get(g); resp.StatusCode != 200 {
		t.Fatalf("the victim is not in the group: %d", resp.StatusCode)
	}
	inviteOf := func() string {
		_, page := w.owner.get(g)
		return regexp.MustCompile(`/join/[A-Za-z0-9_-]+`).FindString(page)
	}
	for _, tc := range []struct {
		name     string
		c        *client
		action   string
		form     url.Values
		question string   // the page's h1
		detail   []string // what the page says will happen
		done     func() bool
		to       string // where the confirmed action goes
	}{
		{"replace the invite", w.owner, "/invite", url.Values{"expires_days": {"7"}},
			"Replace the invite link of Team?", []string{"The current link stops working", "The new link lasts 7 days."},
			func() bool { return inviteOf() != w.invite }, g},
		{"remove a member", w.owner, "/remove", url.Values{"member": {w.ids["victim"]}},
			"Remove victim from Team?", []string{"Their progress stays theirs; they lose access to the group&#39;s page and decks."},
			func() bool { resp, _ := victim.get(g); return resp.StatusCode == http.StatusNotFound }, g},
		{"leave", w.member, "/leave", nil,
			"Leave Team?", []string{"Your progress stays yours"},
			func() bool { resp, _ := w.member.get(g); return resp.StatusCode == http.StatusNotFound }, "/groups"},
		{"delete", w.owner, "/delete", nil,
			"Delete the group Team?", []string{"Its other member loses the group&#39;s page", "Its deck becomes your private deck"},
			func() bool { resp, _ := w.owner.get(g); return resp.StatusCode == http.StatusNotFound }, "/groups"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			invite := inviteOf()
			tc.c.get(g)
			form := url.Values{}
			for k, v := range tc.form {
				form[k] = v
			}
			resp, body := tc.c.post(g+tc.action, form)
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, "<h1>"+strings.ReplaceAll(tc.question, "?", "?</h1>")) {
				t.Fatalf("unconfirmed: %d, want 200 and the h1 %q:\n%s", resp.StatusCode, tc.question, body)
			}
			for _, d := range tc.detail {
				if !strings.Contains(body, d) {
					t.Errorf("the confirmation page does not say %q:\n%s", d, body)
				}
			}
			if !strings.Contains(body, `<a class="button" href="`+g+`">Cancel</a>`) {
				t.Errorf("no Cancel link back to the group:\n%s", body)
			}
			if tc.done() || inviteOf() != invite {
				t.Fatal("the unconfirmed action was done")
			}
			resp, _ = tc.c.confirm(body)
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != tc.to {
				t.Fatalf("confirmed: %d %q, want 303 to %s", resp.StatusCode, resp.Header.Get("Location"), tc.to)
			}
			if !tc.done() {
				t.Error("the confirmed action was not done")
			}
		})
		if t.Failed() {
			return
		}
	}
}

func TestGroupUploadAndJoin(t *testing.T) {
	w := newGroupWorld(t)
	g := w.groupPath

	// A broken deck: the page names the line, nothing changes.
	broken := strings.Replace(groupDeckV1, "The task role.\n", "", 1) + "## Scenarios\n### Pick one\n- [ ] a\n- [ ] b\n"
	resp, body := w.owner.postMultipart(g+"/decks", "team.md", broken)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "team.md:8: card has no back") ||
		!strings.Contains(body, "team.md:10: scenario card has no correct option") {
		t.Errorf("broken upload: %d\n%s", resp.StatusCode, body)
	}
	// The member rates a card; the fixed deck then updates without a reset.
	_, page := w.member.get("/review?deck=team-deck")
	if resp, _ := w.member.post("/review/"+cardID(page), url.Values{"rating": {"4"}, "token": {field(page, "token")}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("member rates: %d", resp.StatusCode)
	}
	fixed := strings.Replace(groupDeckV1, "The task role.", "The task role (for the app's own calls).", 1) + "### Which role fetches secrets?\nThe task execution role.\n"
	resp, body = w.owner.postMultipart(g+"/decks", "team.md", fixed)
	if resp.StatusCode != 200 || !strings.Contains(body, "deck team-deck: 1 added, 1 updated, 0 retired, 1 unchanged") {
		t.Errorf("fixed upload: %d\n%s", resp.StatusCode, body)
	}
	if _, page := w.member.get("/decks/team-deck"); !strings.Contains(page, "review · due") {
		t.Errorf("the member's progress was lost on re-upload")
	}
	// Too large: 413, nothing imported.
	huge := groupDeckV1 + strings.Repeat("x", MaxDeckUpload)
	if resp, _ := w.owner.postMultipart(g+"/decks", "huge.md", huge); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized deck: %d", resp.StatusCode)
	}
	if resp, _ := w.owner.postMultipart(g+"/decks", "huge.md", strings.Repeat("y", 2*MaxBodyBytes)); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: %d", resp.StatusCode)
	}
	// A private deck with the group's deck id lives at its owner's own
	// address: it neither clashes with nor reveals the group's deck.
	if resp, body := w.outsider.post("/decks", url.Values{"markdown": {groupDeckV1}}); resp.StatusCode != http.StatusOK || strings.Contains(body, "already used") {
		t.Errorf("private deck with the group's id: %d", resp.StatusCode)
	}
	if _, body := w.member.get("/decks/team-deck"); !strings.Contains(body, "Which role pulls images?") {
		t.Error("the group's deck changed")
	}
	// The built-in decks' ids are reserved.
	builtinID := strings.Replace(groupDeckV1, "id: team-deck", "id: aws-dva-c02-containers", 1)
	if resp, body := w.owner.post(g+"/decks", url.Values{"markdown": {builtinID}}); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "belongs to a built-in deck") {
		t.Errorf("upload over a built-in deck id: %d", resp.StatusCode)
	}
	// A private deck is its owner's alone.
	private := "---\nid: outsider-notes\ntitle: Notes\n---\n### Mine?\nYes.\n"
	if resp, body := w.outsider.post("/decks", url.Values{"markdown": {private}}); resp.StatusCode != 200 || !strings.Contains(body, "1 added") {
		t.Errorf("private upload: %d", resp.StatusCode)
	}
	if resp, _ := w.member.get("/decks/outsider-notes"); resp.StatusCode != 404 {
		t.Errorf("member sees the outsider's private deck: %d", resp.StatusCode)
	}

	// Sign-up is closed, but the invite link signs up and joins.
	w.admin.get("/settings")
	w.admin.post("/admin/signup", url.Values{"open": {"0"}})
	newbie := newClient(t, w.anon.srv)
	resp, body = newbie.get(w.invite)
	if resp.StatusCode != 200 || !strings.Contains(body, "Join Team") {
		t.Fatalf("invite page: %d", resp.StatusCode)
	}
	resp, _ = newbie.post(w.invite, url.Values{"username": {"newbie"}, "password": {"newbie-password"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/review?group="+strings.TrimPrefix(g, "/groups/") {
		t.Fatalf("sign up through the invite: %d %q, want the group's review", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, body := newbie.get(g); !strings.Contains(body, "newbie (you)") {
		t.Errorf("the new member is not on the group page")
	}
	if resp, _ := newClient(t, w.anon.srv).get("/join/not-a-code"); resp.StatusCode != 404 {
		t.Errorf("unknown invite: %d", resp.StatusCode)
	}
	// The owner sees the member's reviews in the summary.
	_, body = w.owner.get(g)
	if !regexp.MustCompile(`<td>member </td>\s*<td class="num" data-label="Reviews, 7 days">1</td>`).MatchString(body) {
		t.Errorf("owner does not see the member's review:\n%s", body)
	}
	if !strings.Contains(body, `<td data-label="Last studied">today</td>`) || !strings.Contains(body, `<td data-label="Last studied">never</td>`) {
		t.Errorf("the group page should say the member studied today and the newbie never:\n%s", body)
	}
}

// TestUploadLimits: the decks that used to stall the server are refused
// with their line, and a user's second upload while the first is still
// being processed, or one beyond the server's slots, is refused at once.
func TestUploadLimits(t *testing.T) {
	s, _ := newTestServer(t)
	srv := httptest.NewServer(s)
	defer srv.Close()
	c := newClient(t, srv)
	c.signUp("admin", "admin-password")
	c.get("/decks")
	var notes strings.Builder
	notes.WriteString("---\nid: cloze-bomb\ntitle: Bomb\n---\n### Bomb\n")
	for i := 1; i <= 200; i++ {
		fmt.Fprintf(&notes, "{{c%d::x}} ", i)
	}
	resp, body := c.post("/decks", url.Values{"markdown": {notes.String()}})
	if resp.StatusCode != 422 || !strings.Contains(body, "pasted.md:5: note has 200 cloze numbers; a note may have at most 50") {
		t.Errorf("cloze bomb: %d\n%s", resp.StatusCode, body)
	}
	resp, body = c.post("/decks", url.Values{"markdown": {"---\nid: quotes\ntitle: Q\n---\n### Q\n" + strings.Repeat("> ", 100<<10) + "\n"}})
	if resp.StatusCode != 422 || !strings.Contains(body, "block quotes nested") {
		t.Errorf("quote bomb: %d", resp.StatusCode)
	}

	// The gate: the user's one slot taken, then the server's.
	u := int64(1)
	if he := s.uploads.enter(u); he != nil {
		t.Fatal(he)
	}
	ok := "---\nid: fine\ntitle: Fine\n---\n### Q\nA\n"
	if resp, body := c.post("/decks", url.Values{"markdown": {ok}}); resp.StatusCode != 429 || !strings.Contains(body, "still being processed") {
		t.Errorf("second upload of a user: %d", resp.StatusCode)
	}
	s.uploads.leave(u)
	for i := range cap(s.uploads.slots) {
		if he := s.uploads.enter(int64(1000 + i)); he != nil {
			t.Fatal(he)
		}
	}
	if resp, body := c.post("/decks", url.Values{"markdown": {ok}}); resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || !strings.Contains(body, "busy importing") {
		t.Errorf("upload with the server's slots taken: %d", resp.StatusCode)
	}
	for i := range cap(s.uploads.slots) {
		s.uploads.leave(int64(1000 + i))
	}
	if resp, body := c.post("/decks", url.Values{"markdown": {ok}}); resp.StatusCode != 200 || !strings.Contains(body, "1 added") {
		t.Errorf("upload once free: %d\n%s", resp.StatusCode, body)
	}
}

// TestDeckChangesFromTheBrowser: a maintainer's upload that would retire
// most of the group's deck asks first and lists the cards; confirming it
// goes through; the history names who did what, for managers only; and
// the owner moves the deck to another group without its members losing it.
func TestDeckChangesFromTheBrowser(t *testing.T) {
	w := newGroupWorld(t)
	w.maint.get(w.groupPath)
	// team-deck has 2 cards; keep one of them: 1 of 2 is not "most".
	four := "---\nid: team-deck\ntitle: Team deck\n---\n### Which role pulls images?\nThe task execution role.\n### Which role calls S3?\nThe task role.\n### Q3\nA3\n### Q4\nA4\n"
	if resp, body := w.maint.post(w.groupPath+"/decks", url.Values{"markdown": {four}}); resp.StatusCode != 200 || !strings.Contains(body, "2 added") {
		t.Fatalf("grow the deck: %d", resp.StatusCode)
	}
	one := "---\nid: team-deck\ntitle: Team deck\n---\n### Q3\nA3\n"
	resp, body := w.maint.post(w.groupPath+"/decks", url.Values{"markdown": {one}})
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "would retire <strong>3 of the 4 cards</strong>") || !strings.Contains(body, "<li>Which role calls S3?</li>") {
		t.Fatalf("an upload retiring 3 of 4: %d\n%s", resp.StatusCode, body)
	}
	hash := regexp.MustCompile(`name="confirm" value="([0-9a-f]+)"`).FindStringSubmatch(body)
	if hash == nil {
		t.Fatal("no confirm form")
	}
	if _, page := w.member.get("/decks/team-deck"); !strings.Contains(page, "Which role calls S3?") {
		t.Fatal("the unconfirmed upload retired cards")
	}
	resp, body = w.maint.post(w.groupPath+"/decks", url.Values{"markdown": {one}, "confirm": {hash[1]}})
	if resp.StatusCode != 200 || !strings.Contains(body, "3 retired") {
		t.Fatalf("confirmed: %d", resp.StatusCode)
	}
	_, hist := w.maint.get("/decks/team-deck/history")
	if !strings.Contains(hist, "<td>maint</td>") || !strings.Contains(hist, "<td>owner</td>") || strings.Count(hist, "<tr><td>") != 3 {
		t.Errorf("history:\n%s", hist)
	}
	if resp, _ := w.member.get("/decks/team-deck/history"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a member's view of the history: %d", resp.StatusCode)
	}
	if resp, _ := w.outsider.get("/decks/team-deck/history"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("an outsider's view of the history: %d", resp.StatusCode)
	}

	// The owner moves the deck to a new group of theirs.
	resp, _ = w.owner.post("/groups", url.Values{"name": {"Other"}})
	other := strings.TrimPrefix(resp.Header.Get("Location"), "/groups/")
	_, page := w.owner.get("/decks/team-deck")
	if !strings.Contains(page, `<option value="`+other+`">Other</option>`) {
		t.Fatalf("deck page offers no move to the new group:\n%s", page)
	}
	if resp, _ := w.member.post("/decks/team-deck/move", url.Values{"group": {other}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a member moving the deck into a group of someone else's: %d", resp.StatusCode)
	}
	if resp, _ := w.owner.post("/decks/team-deck/move", url.Values{"group": {other}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("move: %d", resp.StatusCode)
	}
	if resp, _ := w.member.get("/decks/team-deck"); resp.StatusCode != http.StatusOK {
		t.Errorf("a member of the old group after the move: %d", resp.StatusCode)
	}
	if resp, _ := w.outsider.get("/decks/team-deck"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("an outsider after the move: %d", resp.StatusCode)
	}
}
