package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// FuzzReviewForm posts arbitrary rating forms as a logged-in learner: the
// server must answer every one without an internal error, and no post may
// add more than one review.
func FuzzReviewForm(f *testing.F) {
	_, db, c := startServer(f)
	_, page := c.get("/review")
	card, token := cardID(page), field(page, "token")
	f.Add(card, "3", token, "", "")
	f.Add(card, "3", token, "aws-dva-c02-containers", "trap")
	f.Add(card, "0", token, "", "")
	f.Add(card, "9999999999999999999999", "-1", "", "")
	f.Add("-5", "2", "x", "nope", "scenario")
	f.Add(card+"%00", "3\x00", "0'; DROP TABLE reviews; --", "' OR 1=1 --", "<script>")
	f.Add("undo", "1", token, "", "")
	f.Fuzz(func(t *testing.T, card, rating, token, deck, kind string) {
		c.t = t
		before, _ := db.CountReviews(t.Context(), "admin")
		form := url.Values{"rating": {rating}, "token": {token}, "deck": {deck}, "kind": {kind}}
		resp, _ := c.post("/review/"+url.PathEscape(card), form)
		if resp.StatusCode >= 500 {
			t.Fatalf("POST /review/%q rating %q token %q deck %q kind %q: %d", card, rating, token, deck, kind, resp.StatusCode)
		}
		after, _ := db.CountReviews(t.Context(), "admin")
		if after > before+1 || (after > before && resp.StatusCode != http.StatusSeeOther) {
			t.Fatalf("one post added %d reviews (status %d)", after-before, resp.StatusCode)
		}
		c.get("/review") // a fresh CSRF token for the next input
	})
}

// FuzzDeckUpload uploads arbitrary text as a private deck: every upload is
// answered without an internal error, either imported or refused with a
// clear status.
func FuzzDeckUpload(f *testing.F) {
	_, _, c := startServer(f)
	c.get("/decks")
	f.Add("---\nid: mine\ntitle: Mine\n---\n### Q\nA\n")
	f.Add("---\nid: mine\ntitle: Mine\n---\n## Scenarios\n### Q\n- [x] a\n- [ ] b\n")
	f.Add("---\nid: aws-dva-c02-containers\ntitle: Taken\n---\n### Q\nA\n")
	f.Add("---\nid: x\ntitle: T\n---\n### {{c1::\n")
	f.Add("not a deck")
	f.Add("---\nid: '; DROP TABLE cards; --\ntitle: x\n---\n")
	f.Fuzz(func(t *testing.T, md string) {
		c.t = t
		resp, body := c.post("/decks", url.Values{"markdown": {md}})
		switch resp.StatusCode {
		case http.StatusOK, http.StatusBadRequest, http.StatusConflict, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity:
		default:
			t.Fatalf("upload of %q: status %d", md, resp.StatusCode)
		}
		if resp.StatusCode == http.StatusUnprocessableEntity && !strings.Contains(body, "pasted.md:") {
			t.Fatalf("refused without a line: %q", md)
		}
	})
}

// TestSQLLookingInput sends SQL-looking text in every text field and path
// parameter: nothing fails with an internal error, the text is stored as
// text where it is valid, and the database is whole afterwards.
func TestSQLLookingInput(t *testing.T) {
	w := newGroupWorld(t)
	const sqlText = `x'); DROP TABLE users; --`
	const sqlLike = `' OR '1'='1`
	g := w.groupPath
	requests := []struct {
		c      *client
		method string
		path   string
		form   url.Values
	}{
		{w.anon, "POST", "/login", url.Values{"username": {sqlLike}, "password": {sqlLike}}},
		{w.anon, "POST", "/signup", url.Values{"username": {sqlText}, "password": {sqlText}}},
		{w.anon, "POST", w.invite, url.Values{"username": {sqlLike}, "password": {"long-enough-password"}}},
		{w.anon, "GET", "/join/" + url.PathEscape(sqlLike), nil},
		{w.owner, "POST", "/groups", url.Values{"name": {sqlText}}},
		{w.owner, "POST", g + "/exam", url.Values{"exam_date": {sqlLike}}},
		{w.owner, "POST", g + "/invite", url.Values{"expires_days": {sqlLike}, "confirm": {"yes"}}},
		{w.owner, "POST", g + "/role", url.Values{"member": {sqlLike}, "role": {sqlText}}},
		{w.owner, "POST", g + "/remove", url.Values{"member": {"1 OR 1=1"}, "confirm": {"yes"}}},
		{w.owner, "GET", "/groups/" + url.PathEscape(sqlLike), nil},
		{w.member, "GET", "/decks/" + url.PathEscape(sqlLike), nil},
		{w.member, "GET", "/decks/" + url.PathEscape(sqlLike) + "/anki.csv", nil},
		{w.member, "POST", "/decks/" + url.PathEscape(sqlLike) + "/pause", url.Values{"paused": {"1"}}},
		{w.member, "GET", "/review?deck=" + url.QueryEscape(sqlLike) + "&kind=" + url.QueryEscape(sqlText), nil},
		{w.member, "GET", "/review?card=" + url.QueryEscape(sqlLike), nil},
		{w.member, "POST", "/review/" + w.cardID + "/action", url.Values{"action": {sqlText}}},
		{w.member, "POST", "/review/undo", url.Values{"undo": {sqlLike}}},
		{w.member, "GET", "/stats?deck=" + url.QueryEscape(sqlLike) + "&exam=" + url.QueryEscape(sqlText), nil},
		{w.member, "GET", "/cards/" + url.PathEscape(sqlLike), nil},
		{w.member, "POST", "/settings", url.Values{"retention": {sqlLike}, "time_zone": {sqlText}, "new_per_day": {"1"}, "reviews_per_day": {"1"}, "max_interval": {"1"}}},
		{w.member, "POST", "/decks", url.Values{"markdown": {"---\nid: sql-notes\ntitle: \"" + sqlText + "\"\n---\n### " + sqlLike + "\n" + sqlText + "\n"}}},
	}
	for _, r := range requests {
		if r.method == "GET" {
			if resp, _ := r.c.get(r.path); resp.StatusCode >= 500 {
				t.Errorf("GET %s: %d", r.path, resp.StatusCode)
			}
			continue
		}
		r.c.get("/login")
		if r.c != w.anon {
			r.c.get("/groups")
		}
		if resp, _ := r.c.post(r.path, r.form); resp.StatusCode >= 500 {
			t.Errorf("POST %s: %d", r.path, resp.StatusCode)
		}
	}
	// The texts that were valid were stored as text.
	if _, body := w.owner.get("/groups"); !strings.Contains(body, "x&#39;); DROP TABLE users; --") {
		t.Errorf("the group named with SQL is not listed by its name")
	}
	_, decksPage := w.member.get("/decks")
	slug := regexp.MustCompile(`/decks/(u[0-9]+-sql-notes)"`).FindStringSubmatch(decksPage)
	if slug == nil {
		t.Fatalf("the member's private deck is not listed:\n%s", decksPage)
	}
	if _, body := w.member.get("/decks/" + slug[1]); !strings.Contains(body, "&#39; OR &#39;1&#39;=&#39;1") {
		t.Errorf("the deck with SQL-looking text does not show it as text")
	}
	// Every account is still there and logs in.
	if resp := newClient(t, w.anon.srv).logIn("outsider", "outsider-password"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("log in after the SQL-looking input: %d", resp.StatusCode)
	}
}
