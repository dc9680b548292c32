package web

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flashd/flashd/srs"
	"github.com/flashd/flashd/store"
)

// bigDeck is a deck of n basic cards.
func bigDeck(n int) string {
	var b strings.Builder
	b.WriteString("---\nid: big\ntitle: Big\n---\n")
	for i := range n {
		fmt.Fprintf(&b, "### Question %d?\nAnswer %d.\n\n", i, i)
	}
	return b.String()
}

// giveHistory imports a simulated learner's review log over the big deck
// for user id 1 and sets the clock just after it.
func giveHistory(t *testing.T, db *store.DB, sim srs.Simulation) {
	t.Helper()
	ctx := context.Background()
	u, err := db.UserByID(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	d, err := db.DeckBySlug(ctx, u, "big")
	if err != nil {
		t.Fatal(err)
	}
	cards, err := db.Cards(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	log := srs.SimulateLog(sim)
	for i := range log {
		log[i].Card = cards[log[i].Card].ID
	}
	if _, err := db.ImportHistory(ctx, u, log); err != nil {
		t.Fatal(err)
	}
	end := log[len(log)-1].At.Add(24 * time.Hour)
	db.Now = func() time.Time { return end }
}

// waitOptimized polls the schedule pane as the page does (htmx every
// second; here at once) until the run is no longer running.
func waitOptimized(t *testing.T, c *client) string {
	t.Helper()
	for range 10000 {
		resp, body := c.get("/settings/schedule", "HX-Request", "true")
		if resp.StatusCode != 200 {
			t.Fatalf("schedule pane: %d", resp.StatusCode)
		}
		if !strings.Contains(body, `hx-trigger="every 1s"`) {
			return body
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the optimization never finished")
	return ""
}

// TestOptimizeFromSettings runs the optimizer as a learner does: the
// button starts it, the pane polls while it runs and then shows the
// before/after figures; the schedule then uses the fitted parameters, the
// optimal retention can be taken over, and a reset goes back.
func TestOptimizeFromSettings(t *testing.T) {
	_, db, c := startServer(t, bigDeck(900))
	ctx := context.Background()
	truth := srs.ForgetfulParams()
	giveHistory(t, db, srs.Simulation{Truth: truth, Cards: 800, Days: 150, Seed: 3})

	_, page := c.get("/settings")
	if !strings.Contains(page, "the default FSRS parameters") || !strings.Contains(page, "Optimize my schedule") || strings.Contains(page, "Reset to the default") {
		t.Fatalf("settings before optimizing:\n%s", page)
	}
	resp, pane := c.post("/settings/optimize", nil, "HX-Request", "true")
	if resp.StatusCode != 200 || !strings.Contains(pane, `id="schedule"`) || strings.Contains(pane, "<html") {
		t.Fatalf("start: %d\n%s", resp.StatusCode, pane)
	}
	pane = waitOptimized(t, c)
	for _, want := range []string{`data-state="adopted"`, "Log loss", "RMSE (bins)", "AUC", "your own FSRS parameters", "Reset to the default parameters", "Optimal retention"} {
		if !strings.Contains(pane, want) {
			t.Errorf("finished pane lacks %q:\n%s", want, pane)
		}
	}
	u, _ := db.UserByID(ctx, 1)
	o, _ := db.LatestOptimization(ctx, u)
	if u.FSRSParams == "" || o == nil || o.ParamsAfter != u.FSRSParams || !strings.Contains(pane, fmt.Sprintf("%.4f", o.AfterLogLoss)) {
		t.Fatalf("user params %q, latest %+v", u.FSRSParams, o)
	}

	// The buttons' intervals come from the learner's parameters.
	_, body := c.get("/review?deck=big")
	m := regexp.MustCompile(`action="/review/(\d+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no card to rate:\n%s", body)
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	rc, err := db.ReviewCardByID(ctx, u, id)
	if err != nil {
		t.Fatal(err)
	}
	own, _ := srs.NewScheduler(u.Settings()).Preview(rc.State.SRS(), db.Now())
	def, _ := srs.NewScheduler(srs.DefaultSettings()).Preview(rc.State.SRS(), db.Now())
	var shown []string
	for _, iv := range regexp.MustCompile(`<span class="ivl">([^<]+)</span>`).FindAllStringSubmatch(body, -1) {
		shown = append(shown, iv[1])
	}
	var want, defaults []string
	for i := range own {
		want, defaults = append(want, formatInterval(own[i])), append(defaults, formatInterval(def[i]))
	}
	if strings.Join(shown, " ") != strings.Join(want, " ") {
		t.Errorf("buttons show %v; the learner's parameters give %v (defaults %v)", shown, want, defaults)
	}
	if own == def {
		t.Errorf("card %d (%+v): the fitted and default parameters give the same intervals %v; pick a card that tells them apart", id, rc.State, own)
	}

	// Take the optimal retention (the value comes from the server).
	if resp, _ := c.post("/settings/retention/optimal", url.Values{"retention": {"0.99"}}); resp.StatusCode != 303 {
		t.Errorf("use optimal retention: %d", resp.StatusCode)
	}
	u, _ = db.UserByID(ctx, 1)
	if fmt.Sprintf("%.2f", u.Retention) != fmt.Sprintf("%.2f", o.OptimalRetention) {
		t.Errorf("retention %v, optimal %v", u.Retention, o.OptimalRetention)
	}

	// A replayed form without the CSRF token changes nothing.
	if resp, _ := c.post("/settings/params/reset", url.Values{"csrf": {"forged"}}); resp.StatusCode != 403 {
		t.Errorf("forged reset: %d", resp.StatusCode)
	}
	if u, _ = db.UserByID(ctx, 1); u.FSRSParams == "" {
		t.Fatal("forged reset went through")
	}
	resp, pane = c.post("/settings/params/reset", nil, "HX-Request", "true")
	if resp.StatusCode != 200 || !strings.Contains(pane, "the default FSRS parameters") || !strings.Contains(pane, `data-state="reset"`) {
		t.Errorf("reset: %d\n%s", resp.StatusCode, pane)
	}
	if u, _ = db.UserByID(ctx, 1); u.FSRSParams != "" {
		t.Errorf("params %q after reset", u.FSRSParams)
	}
}

// TestOptimizeNeedsHistory: a new learner is told how much history the
// optimizer needs, without JavaScript too.
func TestOptimizeNeedsHistory(t *testing.T) {
	_, _, c := startServer(t)
	c.get("/settings")
	resp, _ := c.post("/settings/optimize", nil)
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/settings#schedule" {
		t.Fatalf("start without htmx: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	pane := waitOptimized(t, c)
	if !strings.Contains(pane, `data-state="refused"`) || !strings.Contains(pane, "at least 400") {
		t.Errorf("pane:\n%s", pane)
	}
	if _, page := c.get("/settings"); !strings.Contains(page, "at least 400") {
		t.Error("the settings page does not show the refusal")
	}
}
