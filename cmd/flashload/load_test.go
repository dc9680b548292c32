package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flashd/flashd/decks"
	"github.com/flashd/flashd/srs"
	"github.com/flashd/flashd/store"
	"github.com/flashd/flashd/web"
)

func noEnv(string) string { return "" }

func TestFlags(t *testing.T) {
	db := filepath.Join(t.TempDir(), "x.db")
	s, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--server", "http://10.0.0.8:8080", "--db", db, "--reviews", "5"}, "only talks to loopback"},
		{[]string{"--server", "http://example.com", "--db", db, "--reviews", "5"}, "only talks to loopback"},
		{[]string{"--server", "http://127.0.0.1:1", "--db", db}, "exactly one of"},
		{[]string{"--server", "http://127.0.0.1:1", "--db", db, "--reviews", "5", "--duration", "1s"}, "exactly one of"},
		{[]string{"--server", "http://127.0.0.1:1", "--db", db, "--duration", "2h"}, "bounded"},
		{[]string{"--server", "http://127.0.0.1:1", "--db", db, "--reviews", "5", "--learners", "0"}, "--learners"},
		{[]string{"--server", "http://127.0.0.1:1", "--db", filepath.Join(t.TempDir(), "missing.db"), "--reviews", "5"}, "--db"},
		{[]string{"--server", "http://127.0.0.1:1", "--db", db, "--reviews", "5", "--think", "-1s"}, "--think"},
		{[]string{"--server", "http://127.0.0.1:1", "--db", db, "--reviews", "5", "--think", "2m"}, "--think"},
		{[]string{"--server", "http://127.0.0.1:1", "--db", db, "--reviews", "100000", "--learners", "2", "--think", "1s"}, "bounded"},
		{[]string{"--server", "http://127.0.0.1:1", "--db", db, "--reviews", "5", "--disk-probe", "100us"}, "--disk-probe"},
		{[]string{"--server", "http://127.0.0.1:1", "--db", db, "--reviews", "5", "--disk-probe", "2s"}, "--disk-probe"},
	} {
		_, err := parseFlags(tt.args, noEnv, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: got %v, want %q", tt.args, err, tt.want)
		}
	}
	c, err := parseFlags([]string{"--server", "http://127.0.0.1:1", "--db", db, "--duration", "1s", "--think", "20ms"}, noEnv, io.Discard)
	if err != nil || c.think != 20*time.Millisecond {
		t.Errorf("--think 20ms: %+v, %v", c, err)
	}
	// A PostgreSQL URL is no file to look for; the disk probe is off (the
	// database's disk is the server's) and the SQLite baseline refused.
	pg := "postgres://postgres@127.0.0.1:55432/postgres?sslmode=disable"
	c, err = parseFlags([]string{"--server", "http://127.0.0.1:1", "--db", pg, "--reviews", "5"}, noEnv, io.Discard)
	if err != nil || c.probe != 0 {
		t.Errorf("--db %s: %+v, %v; want no error and no disk probe", pg, c, err)
	}
	if _, err := parseFlags([]string{"--server", "http://127.0.0.1:1", "--db", pg, "--reviews", "5", "--baseline"}, noEnv, io.Discard); err == nil || !strings.Contains(err.Error(), "--baseline") {
		t.Errorf("--baseline on PostgreSQL: got %v, want it refused", err)
	}
	for _, h := range []string{"127.0.0.1", "127.5.5.5", "::1", "localhost"} {
		if !loopback(h) {
			t.Errorf("%s is loopback", h)
		}
	}
}

// seen counts the requests a server sees during a run, and records those
// that are not what the browser would send.
type seen struct {
	mu     sync.Mutex
	logins int // GET and POST /login
	pages  int // full review pages: GET /review without HX-Request
	picks  int // htmx GET /review (a scenario pick)
	rates  int // htmx POST /review/{card}, double clicks included
	other  int
	bad    []string
}

func (s *seen) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.logins, s.pages, s.picks, s.rates, s.other, s.bad = 0, 0, 0, 0, 0, nil
}

// runRequests is every request after the log-ins.
func (s *seen) runRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pages + s.picks + s.rates + s.other
}

func (s *seen) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		htmx := r.Header.Get("HX-Request") == "true" && r.Header.Get("HX-Boosted") == "" &&
			r.Header.Get("HX-History-Restore-Request") == "" && r.Header.Get("X-CSRF-Token") != ""
		var bad string
		switch {
		case r.URL.Path == "/login":
			s.count(&s.logins, "")
		case r.Method == http.MethodGet && r.URL.Path == "/review" && r.Header.Get("HX-Request") == "":
			if r.URL.Query().Get("deck") != "flashload" {
				bad = "page without the deck"
			}
			s.count(&s.pages, bad)
		case r.Method == http.MethodGet && r.URL.Path == "/review":
			if !htmx || r.URL.Query().Get("pick") == "" || r.URL.Query().Get("deck") != "flashload" {
				bad = "pick not as htmx sends it"
			}
			s.count(&s.picks, bad)
		case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/review/"):
			b, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(b))
			f, err := url.ParseQuery(string(b))
			// The form's CSRF token and the header's differ: each is masked
			// under the pad of the response it came from.
			if !htmx || err != nil || f.Get("rating") == "" || f.Get("token") == "" ||
				f.Get("csrf") == "" || f.Get("deck") != "flashload" {
				bad = "rating not as htmx sends it: " + string(b)
			}
			s.count(&s.rates, bad)
		default:
			s.count(&s.other, r.Method+" "+r.URL.String())
		}
		h.ServeHTTP(w, r)
	})
}

func (s *seen) count(n *int, bad string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	*n++
	if bad != "" {
		s.bad = append(s.bad, bad)
	}
}

// serve starts a real server on a fresh database behind a seen.
func serve(t *testing.T) (path string, db *store.DB, srv *httptest.Server, log *seen) {
	t.Helper()
	ctx := context.Background()
	path = filepath.Join(t.TempDir(), "flashd.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := web.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	log = &seen{}
	srv = httptest.NewServer(log.wrap(s))
	t.Cleanup(srv.Close)
	return path, db, srv, log
}

var summary = regexp.MustCompile(`^reviews=(\d+) ok=(\d+) errors=0 lost=0 doubled=0 rps=[0-9.]+ p50_ms=[0-9.]+ p95_ms=[0-9.]+ p99_ms=[0-9.]+ requests_per_review=([0-9.]+) page_p99_ms=[0-9.]+$`)

// checkSummary checks a summary line for n reviews, all acknowledged, and
// returns its requests per review.
func checkSummary(t *testing.T, line string, n int) float64 {
	t.Helper()
	m := summary.FindStringSubmatch(line)
	if m == nil || m[1] != strconv.Itoa(n) || m[2] != strconv.Itoa(n) {
		t.Fatalf("summary line %q, want %d reviews, all acknowledged", line, n)
	}
	rpr, _ := strconv.ParseFloat(m[3], 64)
	// One post per review, one page per learner, and the double clicks
	// (one in twenty).
	if rpr < 1 || rpr >= 1.2 {
		t.Errorf("requests_per_review=%.2f, want 1 to 1.2", rpr)
	}
	return rpr
}

// checkSeen checks what the server saw of a run: the learners stepped as
// the browser does, and flashload counted every request.
func checkSeen(t *testing.T, log *seen, learners, reviews int, rpr float64) {
	t.Helper()
	log.mu.Lock()
	pages, picks, rates, other, bad := log.pages, log.picks, log.rates, log.other, log.bad
	log.mu.Unlock()
	for _, b := range bad {
		t.Error(b)
	}
	if pages < 1 || pages > learners {
		t.Errorf("%d review pages loaded for %d learners: the panes should carry them on", pages, learners)
	}
	if picks != 0 || other != 0 {
		t.Errorf("%d picks and %d other requests: the load deck has no scenario cards", picks, other)
	}
	if rates < reviews {
		t.Errorf("%d rating posts for %d reviews", rates, reviews)
	}
	// requests_per_review has two decimals: over n reviews it is exact to
	// well within one request while n < 100.
	if got := int(rpr*float64(reviews) + 0.5); got != log.runRequests() {
		t.Errorf("flashload counted %d requests (requests_per_review=%.2f), the server saw %d", got, rpr, log.runRequests())
	}
}

// TestLoad runs flashload against a real server on loopback and checks its
// summary: every rating acknowledged, none lost, none doubled (one in
// twenty is posted twice on purpose), about one request per review, and
// the baseline line. A second run reuses the accounts and thinks.
func TestLoad(t *testing.T) {
	ctx := context.Background()
	path, db, srv, log := serve(t)
	var out strings.Builder
	err := run(ctx, []string{"--server", srv.URL, "--db", path, "--learners", "3", "--reviews", "90", "--cards", "200",
		"--baseline", "--baseline-time", "200ms"}, noEnv, &out, io.Discard)
	if err != nil {
		t.Fatalf("flashload: %v\n%s", err, out.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("output:\n%s", out.String())
	}
	rpr := checkSummary(t, lines[0], 90)
	checkSeen(t, log, 3, 90, rpr)
	if !regexp.MustCompile(`^disk_syncs=[1-9][0-9]* sync_p50_ms=[0-9.]+ sync_p99_ms=[0-9.]+ sync_max_ms=[0-9.]+ syncs_over_15ms=[0-9]+ stalled_pct=[0-9.]+$`).MatchString(lines[1]) {
		t.Errorf("disk probe line %q", lines[1])
	}
	if !regexp.MustCompile(`^baseline_rps=[0-9.]+ ratio=[0-9.]+$`).MatchString(lines[2]) {
		t.Errorf("baseline line %q", lines[2])
	}
	// The ratings are in the database, once each: 90 acknowledged.
	var ids []int64
	for i := 1; i <= 3; i++ {
		u, err := db.Authenticate(ctx, "load-00"+string(rune('0'+i)), "flashload-load-00"+string(rune('0'+i)))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID)
	}
	stored, _ := db.ReviewVersions(ctx, ids)
	if len(stored) != 90 {
		t.Errorf("%d distinct ratings stored, want 90", len(stored))
	}

	// A second run reuses the accounts, and its learners think before each
	// rating: 20ms jittered in [10ms, 30ms).
	var (
		mu     sync.Mutex
		thinks []time.Duration
	)
	real := pause
	pause = func(ctx context.Context, d time.Duration) bool {
		mu.Lock()
		thinks = append(thinks, d)
		mu.Unlock()
		return real(ctx, d)
	}
	defer func() { pause = real }()
	log.reset()
	out.Reset()
	if err := run(ctx, []string{"--server", srv.URL, "--db", path, "--learners", "2", "--reviews", "60", "--cards", "200",
		"--think", "20ms", "--disk-probe", "0"}, noEnv, &out, io.Discard); err != nil {
		t.Fatalf("second run: %v\n%s", err, out.String())
	}
	rpr = checkSummary(t, strings.TrimSpace(out.String()), 60)
	checkSeen(t, log, 2, 60, rpr)
	if len(thinks) != 60 {
		t.Errorf("%d thinks for 60 ratings", len(thinks))
	}
	distinct := map[time.Duration]bool{}
	for _, d := range thinks {
		distinct[d] = true
		if d < 10*time.Millisecond || d >= 30*time.Millisecond {
			t.Errorf("think %v, want 10ms to 30ms", d)
		}
	}
	if len(distinct) < 2 {
		t.Errorf("think times %v are not jittered", thinks)
	}
}

// TestScenario has a learner review a scenario card: the page shows the
// question, the pick (an htmx link) shows the rating form, and the rating
// is acknowledged and saved once.
func TestScenario(t *testing.T) {
	ctx := context.Background()
	_, db, srv, log := serve(t)
	d, err := decks.Parse("flashload.md", []byte("---\nid: flashload\ntitle: flashload\n---\n## Scenarios\n\n"+
		"### Which option is right? {#s1}\n- [ ] Not this one\n- [x] This one\n\nBecause.\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ImportDeck(ctx, d, store.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	u, err := db.CreateUser(ctx, "scenario", "scenario-password", false, store.SignUpByAdmin)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.UpdateSettings(ctx, u.ID, "UTC", srs.DefaultSettings()); err != nil {
		t.Fatal(err)
	}
	users := []loadUser{{u.ID, "scenario", "scenario-password"}}
	l, err := login(ctx, srv.URL, users[0])
	if err != nil {
		t.Fatal(err)
	}
	pages, err := l.load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 2 || l.card == "" || l.token == "" {
		t.Fatalf("load: %d pages, card %q, token %q; want the page and the pick", len(pages), l.card, l.token)
	}
	card, token := l.card, l.token
	a, _, err := l.rate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	l.clicks.Wait()
	if fmt.Sprint(a.card) != card || a.version != token || a.user != u.ID {
		t.Errorf("ack %+v, want card %s version %s", a, card, token)
	}
	// The pane shows nothing, or the card again (an Again rating brings it
	// back soon) waiting for a pick: then the next review picks without
	// loading the page.
	wantPicks := 1
	if l.token != "" || (l.card != "" && l.card != card) {
		t.Errorf("after the rating: card %q, token %q", l.card, l.token)
	}
	if l.card != "" {
		pages, err := l.load(ctx)
		if err != nil || len(pages) != 1 || l.token == "" {
			t.Errorf("pick again: %d pages, token %q, %v", len(pages), l.token, err)
		}
		wantPicks++
	}
	lost, doubled, err := verify(ctx, db, users, []ack{a})
	if err != nil || lost != 0 || doubled != 0 {
		t.Errorf("verify: lost %d, doubled %d, %v", lost, doubled, err)
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	if log.pages != 1 || log.picks != wantPicks || log.rates < 1 || len(log.bad) > 0 {
		t.Errorf("server saw %d pages, %d picks, %d ratings; %v", log.pages, log.picks, log.rates, log.bad)
	}
}

// TestDiskProbe checks that the probe syncs its scratch file until it is
// stopped, reports ordered percentiles, and leaves no file behind.
func TestDiskProbe(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan *diskReport, 1)
	go func() {
		r, err := probeDisk(ctx, dir, time.Millisecond)
		if err != nil {
			t.Error(err)
		}
		done <- r
	}()
	time.Sleep(100 * time.Millisecond)
	cancel()
	r := <-done
	if r == nil {
		t.Fatal("no report")
	}
	if len(r.syncs) < 5 {
		t.Fatalf("%d syncs in 100ms at 1ms, want several", len(r.syncs))
	}
	if !slices.IsSorted(r.syncs) {
		t.Errorf("syncs not sorted: %v", r.syncs)
	}
	line := r.String()
	if !strings.HasPrefix(line, fmt.Sprintf("disk_syncs=%d sync_p50_ms=", len(r.syncs))) || !strings.Contains(line, " stalled_pct=") {
		t.Errorf("report line %q", line)
	}
	if r.slow > len(r.syncs) || (r.slow == 0) != (r.stalled == 0) {
		t.Errorf("slow=%d stalled=%v of %d syncs", r.slow, r.stalled, len(r.syncs))
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".flashload-probe-*")); len(left) != 0 {
		t.Errorf("probe left %v", left)
	}
}
