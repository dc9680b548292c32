package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flashd/flashd/decks"
	"github.com/flashd/flashd/srs"
	"github.com/flashd/flashd/store"
)

// config is the command line.
type config struct {
	server   string
	db       string
	learners int
	reviews  int
	duration time.Duration
	rate     float64
	think    time.Duration
	baseline bool
	baseFor  time.Duration
	cards    int
	probe    time.Duration
}

// usage is the head of the --help text; the flags follow it.
const usage = `Usage: flashload --server URL --db FILE|postgres://... [--learners N] (--reviews N | --duration D) [--rate R] [--think D] [--baseline]

flashload puts review load on a running flashd server over loopback, then
checks in the server's database that every acknowledged rating was saved
exactly once. Each learner reviews the deck "flashload" as the browser
does with htmx: it loads GET /review?deck=flashload for its first card
(and again only after an error or an answer without a card), thinks for
--think, then rates with POST /review/{card} sent as htmx sends it
(HX-Request: true, the CSRF token as X-CSRF-Token and in the form); the
server answers 200 with the next card's pane, so one review is one round
trip. One rating in twenty is posted twice at once, like a double click.

It ends with

  reviews=N ok=N errors=N lost=N doubled=N rps=R p50_ms=L p95_ms=L p99_ms=L requests_per_review=X [page_p99_ms=L]
  disk_syncs=N sync_p50_ms=L sync_p99_ms=L sync_max_ms=L syncs_over_15ms=N stalled_pct=P

where the latencies are those of the rating posts (which render the next
card), requests_per_review is every request of the run (page loads, rating
posts, double clicks) over the acknowledged ratings, and page_p99_ms, there
when pages were loaded, is the 99th percentile of the GET requests. The
second line is the disk probe's (--disk-probe): how long syncing a block
of a scratch file beside the database took during the run, and the share
of the run spent in syncs over 15 ms. A rating is answered only after its
commit is synced, so when that share is over 1% the disk, not the server,
sets the ratings' p99.

--db is the server's SQLite file or its postgres:// URL (several replicas
behind a load balancer share one PostgreSQL database: give --server the
balancer's address). On PostgreSQL there is no disk probe (the database's
disk is the database server's) and no --baseline (it measures SQLite).

Flags:
`

func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("flashload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	c := &config{}
	fs.StringVar(&c.server, "server", env("FLASHLOAD_SERVER", "http://127.0.0.1:8080"), "flashd server on loopback (env FLASHLOAD_SERVER)")
	fs.StringVar(&c.db, "db", env("FLASHD_DB", "./flashd.db"), "the server's database file or postgres:// URL, to set up and verify (env FLASHD_DB)")
	fs.IntVar(&c.learners, "learners", 8, "concurrent learners")
	fs.IntVar(&c.reviews, "reviews", 0, "stop after this many reviews in all")
	fs.DurationVar(&c.duration, "duration", 0, "stop after this long")
	fs.Float64Var(&c.rate, "rate", 0, "reviews per second in all (0: full speed)")
	fs.DurationVar(&c.think, "think", 0, "each learner thinks this long before each rating, jittered uniformly\nin [0.5D, 1.5D]; not counted in latency (0: no thinking)")
	fs.BoolVar(&c.baseline, "baseline", false, "also measure raw SQLite rating transactions in this process")
	fs.DurationVar(&c.baseFor, "baseline-time", 3*time.Second, "how long the baseline runs")
	fs.IntVar(&c.cards, "cards", 2000, "cards in the generated load deck")
	fs.DurationVar(&c.probe, "disk-probe", 20*time.Millisecond, "sync a scratch file beside the database this often during the run and\nreport the sync times (0: off; always off on PostgreSQL)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	switch {
	case c.learners < 1 || c.learners > 1024:
		return nil, errors.New("--learners must be 1 to 1024")
	case (c.reviews > 0) == (c.duration > 0):
		return nil, errors.New("give exactly one of --reviews N or --duration D")
	case c.reviews > 10_000_000 || c.duration > time.Hour:
		return nil, errors.New("a run is bounded: at most 10,000,000 reviews or one hour")
	case c.probe != 0 && (c.probe < time.Millisecond || c.probe > time.Second):
		return nil, errors.New("--disk-probe must be 0 (off) or 1ms to 1s")
	case c.think < 0 || c.think > time.Minute:
		return nil, errors.New("--think must be 0 to 1m")
	case c.reviews > 0 && time.Duration((c.reviews+c.learners-1)/c.learners)*c.think > time.Hour:
		return nil, errors.New("a run is bounded: --reviews N with --think D would take each learner over an hour; use --duration")
	}
	u, err := url.Parse(c.server)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("--server %q: want http://HOST:PORT", c.server)
	}
	if !loopback(u.Hostname()) {
		return nil, fmt.Errorf("--server %q: flashload only talks to loopback addresses", c.server)
	}
	if store.IsPostgres(c.db) {
		if c.baseline {
			return nil, errors.New("--baseline measures raw SQLite transactions: leave it off with a postgres:// --db")
		}
		// The database's disk is the PostgreSQL server's, which the probe
		// cannot reach from here.
		c.probe = 0
		return c, nil
	}
	if _, err := os.Stat(c.db); err != nil {
		return nil, fmt.Errorf("--db: %w", err)
	}
	return c, nil
}

// loopback reports whether host names this machine's loopback interface.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ack is an acknowledged rating: the server answered its post with 200
// and a pane (the next card, or the queue as it is when the token was
// stale: a double click's twin got there first).
type ack struct {
	user    int64
	card    int64
	version string
}

// run is the whole program.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, getenv, stderr)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.db)
	if err != nil {
		return err
	}
	defer db.Close()
	users, err := setUp(ctx, db, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "flashload: %d learners ready; logging in\n", len(users))
	learners := make([]*learner, len(users))
	errs := make(chan error, len(users))
	var wg sync.WaitGroup
	for i, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l, err := login(ctx, cfg.server, u)
			learners[i] = l
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	// What comes before (accounts, password checks) is not the load: a
	// profiler or CPU counter starts at this line.
	fmt.Fprintf(stderr, "flashload: %d learners logged in; rating\n", len(learners))

	var disk chan *diskReport
	probeCtx, stopProbe := context.WithCancel(ctx)
	defer stopProbe()
	if cfg.probe > 0 {
		disk = make(chan *diskReport, 1)
		go func() {
			r, err := probeDisk(probeCtx, filepath.Dir(cfg.db), cfg.probe)
			if err != nil {
				fmt.Fprintf(stderr, "flashload: %v\n", err)
			}
			disk <- r
		}()
	}
	res := drive(ctx, cfg, learners, stderr)
	stopProbe()
	lost, doubled, err := verify(ctx, db, users, res.acks)
	if err != nil {
		return err
	}
	line := fmt.Sprintf("reviews=%d ok=%d errors=%d lost=%d doubled=%d rps=%.1f p50_ms=%.1f p95_ms=%.1f p99_ms=%.1f requests_per_review=%.2f",
		res.sent, len(res.acks), res.errors, lost, doubled, res.rps, res.pct(50), res.pct(95), res.pct(99), res.requestsPerReview())
	if len(res.pages) > 0 {
		line += fmt.Sprintf(" page_p99_ms=%.1f", percentile(res.pages, 99))
	}
	fmt.Fprintln(stdout, line)
	if disk != nil {
		if r := <-disk; r != nil {
			fmt.Fprintln(stdout, r)
		}
	}
	if cfg.baseline {
		brps, err := baseline(ctx, cfg, stderr)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "baseline_rps=%.1f ratio=%.3f\n", brps, res.rps/brps)
	}
	if lost > 0 || doubled > 0 {
		return fmt.Errorf("%d acknowledged ratings lost, %d doubled", lost, doubled)
	}
	return nil
}

// loadDeckID is the id (and slug) of the generated deck, and reviewPath
// the review page of it.
const (
	loadDeckID = "flashload"
	reviewPath = "/review?deck=" + loadDeckID
)

// loadDeck is the generated deck the learners review: enough cards that
// no learner runs out.
func loadDeck(n int) *decks.Deck {
	var b strings.Builder
	b.WriteString("---\nid: flashload\ntitle: flashload\ndescription: Generated by flashload.\n---\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "### Load question %d? {#q%d}\nLoad answer %d.\n", i, i, i)
	}
	d, err := decks.Parse("flashload.md", []byte(b.String()))
	if err != nil {
		panic(err) // generated: cannot fail
	}
	return d
}

// loadUser is a learner account.
type loadUser struct {
	id       int64
	name     string
	password string
}

// setUp imports the load deck and creates or reuses the learner accounts,
// lifting their daily limits.
func setUp(ctx context.Context, db *store.DB, cfg *config) ([]loadUser, error) {
	if _, err := db.ImportDeck(ctx, loadDeck(cfg.cards), store.ImportOptions{}); err != nil {
		return nil, err
	}
	users := make([]loadUser, cfg.learners)
	errs := make([]error, cfg.learners)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4) // bcrypt is slow: a few at a time
	for i := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			name := fmt.Sprintf("load-%03d", i+1)
			pw := "flashload-" + name
			// Accounts made at once do not conflict: on PostgreSQL
			// sign-ups queue on a lock (store.createUser).
			users[i], errs[i] = setUpLearner(ctx, db, name, pw)
			if errs[i] != nil {
				errs[i] = fmt.Errorf("learner %s: %w", name, errs[i])
			}
		}()
	}
	wg.Wait()
	return users, errors.Join(errs...)
}

// setUpLearner creates or reuses the learner account name and lifts its
// daily limits.
func setUpLearner(ctx context.Context, db *store.DB, name, pw string) (loadUser, error) {
	u, err := db.Authenticate(ctx, name, pw)
	if store.ErrorCode(err) == store.EUnauthorized {
		u, err = db.CreateUser(ctx, name, pw, false, store.SignUpByAdmin)
	}
	if err != nil {
		return loadUser{}, err
	}
	set := srs.DefaultSettings()
	set.NewPerDay, set.ReviewsPerDay = 9999, 99999
	if err := db.UpdateSettings(ctx, u.ID, "UTC", set); err != nil {
		return loadUser{}, err
	}
	return loadUser{u.ID, name, pw}, nil
}

// learner is one logged-in browser with the review page open.
type learner struct {
	user   loadUser
	base   string
	client *http.Client
	rng    *rand.Rand

	// csrf is the page's <meta name="csrf-token">, which web/static/app.js
	// sends with every htmx request as X-CSRF-Token; pageURL is the page's
	// address, which htmx sends as HX-Current-URL.
	csrf    string
	pageURL string

	// What is on screen: the card, its rating token and the rate form's
	// CSRF field, from the review page or from the pane the last rating
	// answered with. card is "" when the next review must load the page,
	// token "" while a scenario card waits for a pick.
	card, token, formCSRF string

	requests atomic.Int64   // HTTP requests sent, double clicks included
	clicks   sync.WaitGroup // double clicks in flight
}

var (
	// What a learner reads off a page: found by plain string search, since
	// the client's own CPU (regular expressions over every pane were a
	// good part of it) shows up in the latencies it measures.
	csrfMeta   = attr(`<meta name="csrf-token" content="`)
	csrfField  = attr(`name="csrf" value="`)
	cardAttr   = attr(`data-card="`)
	tokenField = attr(`name="token" value="`)
)

func login(ctx context.Context, base string, u loadUser) (*learner, error) {
	jar, _ := cookiejar.New(nil)
	l := &learner{user: u, base: base, rng: rand.New(rand.NewPCG(uint64(u.id), 99)), client: &http.Client{
		Jar:           jar,
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport:     &http.Transport{MaxIdleConnsPerHost: 2, DisableCompression: true},
	}}
	if _, _, err := l.do(ctx, http.MethodGet, "/login", nil); err != nil {
		return nil, err
	}
	// Many learners logging in at once find the server's password checks
	// busy (503): wait a moment and try again, as a person would.
	var status int
	for try := 0; ; try++ {
		var err error
		status, _, err = l.do(ctx, http.MethodPost, "/login", url.Values{"username": {u.name}, "password": {u.password}})
		if err != nil {
			return nil, err
		}
		if status != http.StatusServiceUnavailable || try == 20 {
			break
		}
		if !pause(ctx, time.Duration(250+l.rng.IntN(750))*time.Millisecond) {
			return nil, ctx.Err()
		}
	}
	if status != http.StatusSeeOther {
		return nil, fmt.Errorf("log in %s: status %d", u.name, status)
	}
	return l, nil
}

// do sends a plain browser request (a form post when form is not nil,
// with the CSRF token) and returns the status and body.
func (l *learner) do(ctx context.Context, method, path string, form url.Values) (int, string, error) {
	var body io.Reader
	if form != nil {
		form.Set("csrf", l.csrf)
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, l.base+path, body)
	if err != nil {
		return 0, "", err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	status, page, err := l.send(req)
	if m := csrfMeta.FindStringSubmatch(page); m != nil {
		l.csrf = m[1]
	}
	return status, page, err
}

// htmxRequest is a request as htmx 2 sends it from the review pane: the
// headers HX-Request, HX-Target and HX-Current-URL (never HX-Boosted or
// HX-History-Restore-Request, for which the server answers with the whole
// page), the page's CSRF token as X-CSRF-Token, and a form body for a post.
func (l *learner) htmxRequest(ctx context.Context, method, path, form string) (*http.Request, error) {
	var body io.Reader
	if method != http.MethodGet {
		body = strings.NewReader(form)
	}
	req, err := http.NewRequestWithContext(ctx, method, l.base+path, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("HX-Request", "true")
	req.Header.Set("HX-Target", "review")
	req.Header.Set("HX-Current-URL", l.pageURL)
	req.Header.Set("X-CSRF-Token", l.csrf)
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return req, nil
}

// send sends a request, counting it, and returns the status and body. It
// touches no learner state but the count: double clicks call it from their
// own goroutine.
func (l *learner) send(req *http.Request) (int, string, error) {
	l.requests.Add(1)
	resp, err := l.client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// show reads what a review page or pane puts on screen.
func (l *learner) show(page string) {
	l.card, l.token = "", ""
	if m := cardAttr.FindStringSubmatch(page); m != nil {
		l.card = m[1]
	}
	if m := tokenField.FindStringSubmatch(page); m != nil {
		l.token = m[1]
	}
	if m := csrfField.FindStringSubmatch(page); m != nil {
		l.formCSRF = m[1]
	}
}

// attr finds the first quoted value after prefix (the prefix ends with
// the opening quote).
type attr string

// FindStringSubmatch returns the whole match and the value, as a
// regexp.Regexp would, or nil when the prefix is absent or the value
// empty.
func (a attr) FindStringSubmatch(page string) []string {
	i := strings.Index(page, string(a))
	if i < 0 {
		return nil
	}
	rest := page[i+len(a):]
	j := strings.IndexByte(rest, '"')
	if j <= 0 {
		return nil
	}
	return []string{page[i : i+len(a)+j+1], rest[:j]}
}

// result is what a run measured.
type result struct {
	sent, errors int
	acks         []ack
	latencies    []time.Duration // of the rating posts that were acknowledged
	pages        []time.Duration // of the GET requests that were answered
	requests     int64           // every request of the run, double clicks included
	rps          float64
}

// pct returns a rating latency percentile in milliseconds.
func (r *result) pct(p int) float64 { return percentile(r.latencies, p) }

// requestsPerReview is the requests of the run over the acknowledged
// ratings, 0 when there were none.
func (r *result) requestsPerReview() float64 {
	if len(r.acks) == 0 {
		return 0
	}
	return float64(r.requests) / float64(len(r.acks))
}

// percentile returns a percentile of sorted latencies in milliseconds.
func percentile(ds []time.Duration, p int) float64 {
	if len(ds) == 0 {
		return 0
	}
	i := (len(ds)*p + 99) / 100
	return float64(ds[min(i, len(ds))-1].Microseconds()) / 1000
}

// pause waits d, or until ctx is done, and reports whether d passed. A
// variable so that tests can watch the learners think.
var pause = wait

// reviewed is called after each review of a run (acknowledged or not)
// with the number of reviews done so far. A variable so that tests can act
// mid-run: the replica test kills a server.
var reviewed = func(done int64) {}

// wait sleeps for d, or until ctx is done (then it returns false).
func wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// thinkTime is d jittered uniformly in [0.5d, 1.5d).
func (l *learner) thinkTime(d time.Duration) time.Duration {
	return time.Duration((0.5 + l.rng.Float64()) * float64(d))
}

// drive runs the learners until the review count or the duration is
// reached, and collects acknowledgements, latencies and request counts.
func drive(ctx context.Context, cfg *config, learners []*learner, stderr io.Writer) *result {
	if cfg.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.duration)
		defer cancel()
	}
	var (
		budget  atomic.Int64 // reviews left to start, when bounded by count
		done    atomic.Int64
		mu      sync.Mutex
		res     = &result{}
		tickets <-chan time.Time
	)
	budget.Store(int64(cfg.reviews))
	if cfg.rate > 0 {
		t := time.NewTicker(time.Duration(float64(time.Second) / cfg.rate))
		defer t.Stop()
		tickets = t.C
	}
	requests := func() (n int64) {
		for _, l := range learners {
			n += l.requests.Load()
		}
		return n
	}
	before := requests() // the log-ins
	start := time.Now()
	stopProgress := make(chan struct{})
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-stopProgress:
				return
			case <-t.C:
				n := done.Load()
				fmt.Fprintf(stderr, "flashload: %5.1fs %d reviews, %.1f/s\n", time.Since(start).Seconds(), n, float64(n)/time.Since(start).Seconds())
			}
		}
	}()
	var wg sync.WaitGroup
	for _, l := range learners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer l.clicks.Wait() // a double click still in flight is part of the run
			if cfg.think > 0 {
				// Learners with a think time arrive spread over one think
				// time, as people do, not all in the same instant.
				if !wait(ctx, time.Duration(l.rng.Float64()*float64(cfg.think))) {
					return
				}
			}
			for ctx.Err() == nil {
				if cfg.reviews > 0 && budget.Add(-1) < 0 {
					return
				}
				// One review: the page if no card is on screen, think,
				// take a ticket at --rate, rate.
				var (
					pages []time.Duration
					err   error
					a     ack
					lat   time.Duration
				)
				if l.card == "" || l.token == "" {
					pages, err = l.load(ctx)
				}
				if err == nil {
					if cfg.think > 0 && !pause(ctx, l.thinkTime(cfg.think)) {
						return
					}
					if tickets != nil {
						select {
						case <-tickets:
						case <-ctx.Done():
							return
						}
					}
					a, lat, err = l.rate(ctx)
				}
				if ctx.Err() != nil && cfg.duration > 0 {
					return // the run ended mid-review: not an error
				}
				reviewed(done.Add(1))
				mu.Lock()
				res.sent++
				res.pages = append(res.pages, pages...)
				if err != nil {
					res.errors++
				} else {
					res.acks = append(res.acks, a)
					res.latencies = append(res.latencies, lat)
				}
				mu.Unlock()
				if err != nil {
					time.Sleep(10 * time.Millisecond) // do not spin on a server that is down
				}
			}
		}()
	}
	wg.Wait()
	close(stopProgress)
	res.rps = float64(res.sent) / time.Since(start).Seconds()
	res.requests = requests() - before
	sort.Slice(res.latencies, func(i, j int) bool { return res.latencies[i] < res.latencies[j] })
	sort.Slice(res.pages, func(i, j int) bool { return res.pages[i] < res.pages[j] })
	return res
}

// load puts a card with its rating form on screen and returns the
// latencies of the GET requests it made: the review page, loaded as the
// browser loads it, when no card is on screen (the first review, or after
// an error or a pane without a card), then, for a scenario card (not in
// the load deck, but a deck may have them), the pick of its first option,
// an htmx link whose pane shows the rating form.
func (l *learner) load(ctx context.Context) ([]time.Duration, error) {
	var lats []time.Duration
	status := http.StatusOK
	get := func(req *http.Request, err error) (string, error) {
		if err != nil {
			return "", err
		}
		t0 := time.Now()
		var page string
		status, page, err = l.send(req)
		if err != nil {
			return "", err
		}
		lats = append(lats, time.Since(t0))
		return page, nil
	}
	if l.card == "" {
		page, err := get(http.NewRequestWithContext(ctx, http.MethodGet, l.base+reviewPath, nil))
		if err != nil {
			return lats, err
		}
		if m := csrfMeta.FindStringSubmatch(page); m != nil {
			l.csrf = m[1]
		}
		l.pageURL = l.base + reviewPath
		l.show(page)
	}
	if status == http.StatusOK && l.card != "" && l.token == "" {
		page, err := get(l.htmxRequest(ctx, http.MethodGet, "/review?card="+l.card+"&pick=0&deck="+loadDeckID, ""))
		if err != nil {
			l.card = ""
			return lats, err
		}
		l.show(page)
	}
	if status != http.StatusOK || l.card == "" || l.token == "" {
		l.card, l.token = "", ""
		return lats, fmt.Errorf("review page: status %d, no card", status)
	}
	return lats, nil
}

// rate answers the card on screen as the browser does: Again, Hard, Good
// or Easy at random, weighted so cards come back a few times, posted by
// htmx with the rate form's fields; the pane it answers with puts the next
// card on screen. One rating in twenty is also posted a second time at
// once, like a double click. It returns the acknowledgement and the
// latency of the post.
func (l *learner) rate(ctx context.Context) (ack, time.Duration, error) {
	card, token, csrf := l.card, l.token, l.formCSRF
	l.card, l.token = "", "" // until the answer shows the next card
	if csrf == "" {
		csrf = l.csrf
	}
	rating := ratingMix[l.rng.IntN(len(ratingMix))]
	// The rate form's fields in document order, then the button clicked.
	form := "csrf=" + url.QueryEscape(csrf) + "&token=" + url.QueryEscape(token) +
		"&deck=" + loadDeckID + "&rating=" + strconv.Itoa(rating)
	path := "/review/" + card
	if l.rng.IntN(20) == 0 {
		// A double click: the same form again, at the same time. The
		// server must apply it once; verify counts the rows.
		if req, err := l.htmxRequest(ctx, http.MethodPost, path, form); err == nil {
			l.clicks.Add(1)
			go func() {
				defer l.clicks.Done()
				l.send(req)
			}()
		}
	}
	req, err := l.htmxRequest(ctx, http.MethodPost, path, form)
	if err != nil {
		return ack{}, 0, err
	}
	t0 := time.Now()
	status, pane, err := l.send(req)
	lat := time.Since(t0)
	if err != nil {
		return ack{}, 0, err
	}
	if status != http.StatusOK {
		return ack{}, 0, fmt.Errorf("rating: status %d, want 200 and the next card's pane", status)
	}
	l.show(pane)
	id, _ := strconv.ParseInt(card, 10, 64)
	return ack{l.user.id, id, token}, lat, nil
}

// ratingMix is how learners rate: Again, Hard, Good (four times in seven)
// or Easy, so cards come back a few times.
var ratingMix = []int{1, 2, 3, 3, 3, 3, 4}

// verify compares the acknowledged ratings with the review rows.
func verify(ctx context.Context, db *store.DB, users []loadUser, acks []ack) (lost, doubled int, err error) {
	ids := make([]int64, len(users))
	for i, u := range users {
		ids[i] = u.id
	}
	stored, err := db.ReviewVersions(ctx, ids)
	if err != nil {
		return 0, 0, err
	}
	for _, a := range acks {
		key := store.ReviewKey{UserID: a.user, CardID: a.card, Version: a.version}
		if stored[key] == 0 {
			lost++
		}
	}
	for _, n := range stored {
		if n > 1 {
			doubled += n - 1
		}
	}
	return lost, doubled, nil
}
