package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"text/template"
	"time"

	"github.com/flashd/flashd/store/storetest"
)

// The replica test's load: a bounded run, with one replica killed once a
// third of it is done.
const (
	replicaLearners = 8
	replicaReviews  = 600
	killAt          = replicaReviews / 3
)

// TestReplicas runs three flashd processes (the real binary) on one
// PostgreSQL schema behind Debian's haproxy on loopback, drives flashload
// through the balancer, SIGKILLs one replica a third of the way in, and
// checks that every acknowledged rating is stored exactly once, that the
// learners went on through the other two, and that no more reviews failed
// than were in flight at the kill (besides those a replica refused as
// busy, which the replicas' logs count).
//
// It needs a PostgreSQL server, FLASHD_TEST_POSTGRES_SERVER (or
// FLASHD_TEST_POSTGRES) holding its URL, and haproxy on PATH; without them
// it skips, unless FLASHD_REQUIRE_POSTGRES=1 (as in CI), where it fails.
func TestReplicas(t *testing.T) {
	server := os.Getenv("FLASHD_TEST_POSTGRES_SERVER")
	if server == "" {
		server = os.Getenv(storetest.Env)
	}
	haproxy, err := exec.LookPath("haproxy")
	switch {
	case server == "":
		requirePostgres(t, "no PostgreSQL server: set FLASHD_TEST_POSTGRES_SERVER (or FLASHD_TEST_POSTGRES) to its URL, e.g. $(.ci/postgres)")
	case err != nil:
		requirePostgres(t, "haproxy is not installed (apt-get install haproxy)")
	}
	db := storetest.Schema(t, server)
	dir := t.TempDir()
	bin := buildFlashd(t, dir)

	// The replicas start together, as after a deploy: the migrations and
	// the built-in decks are each done once, under advisory locks.
	replicas := make([]*replica, 3)
	var wg sync.WaitGroup
	for i := range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			replicas[i] = startReplica(t, bin, db, filepath.Join(dir, fmt.Sprintf("r%d.log", i+1)))
		}()
	}
	wg.Wait()
	for _, r := range replicas {
		if r == nil {
			t.FailNow() // startReplica said why
		}
	}
	lb := startHAProxy(t, haproxy, dir, replicas)

	// The second replica dies once a third of the reviews are done; the
	// counts haproxy holds then show what each replica served before.
	victim := replicas[1]
	var (
		killed    atomic.Bool
		atKill    servers
		atKillErr error
		killOnce  sync.Once
	)
	real := reviewed
	reviewed = func(done int64) {
		if done >= killAt {
			killOnce.Do(func() {
				victim.cmd.Process.Kill() // SIGKILL
				killed.Store(true)
				atKill, atKillErr = lb.read()
			})
		}
	}
	defer func() { reviewed = real }()

	var out, progress strings.Builder
	err = run(context.Background(), []string{"--server", lb.url, "--db", db,
		"--learners", strconv.Itoa(replicaLearners), "--reviews", strconv.Itoa(replicaReviews), "--cards", "400"},
		noEnv, &out, &progress)
	after := lb.stats(t)
	t.Logf("flashload: %s", strings.TrimSpace(out.String()))
	if err != nil {
		lb.dump(t)
		t.Fatalf("flashload: %v\n%s", err, progress.String())
	}
	if !killed.Load() {
		t.Fatalf("the run ended before review %d: no replica was killed", killAt)
	}
	victim.wait()
	if atKillErr != nil {
		t.Fatalf("haproxy stats at the kill: %v", atKillErr)
	}

	m := regexp.MustCompile(`^reviews=(\d+) ok=(\d+) errors=(\d+) lost=(\d+) doubled=(\d+) `).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no summary line in %q", out.String())
	}
	reviews, _ := strconv.Atoi(m[1])
	ok, _ := strconv.Atoi(m[2])
	failed, _ := strconv.Atoi(m[3])
	if m[4] != "0" || m[5] != "0" {
		t.Errorf("lost=%s doubled=%s, want 0 and 0", m[4], m[5])
	}
	if reviews != replicaReviews || ok+failed != reviews {
		t.Errorf("reviews=%d ok=%d errors=%d, want %d reviews in all", reviews, ok, failed, replicaReviews)
	}

	// What the replicas refused as busy (503 after PostgreSQL's
	// serialization failures outlasted the store's retries) is the
	// store's answer to load, not the balancer's doing: it is reported,
	// and counted apart from the failures the kill may cause.
	busy, internal := 0, []string{}
	for _, r := range replicas {
		b, errs := r.problems(t)
		busy += b
		internal = append(internal, errs...)
	}
	for _, line := range internal {
		t.Errorf("replica log: %s", line)
	}
	// Each learner has one review in flight at a time (a double click's
	// twin is not counted as a review), so at most replicaLearners reviews
	// can have been cut off by the kill. haproxy retries them on another
	// replica: a refused connection always, and, for the requests that are
	// safe to send twice (GETs and the rating posts, whose token turns a
	// replay into "already saved"), a connection closed before any answer.
	// So the failures should be none; the bound is what no retry at all
	// would leave.
	t.Logf("errors=%d (busy refusals logged by the replicas: %d); haproxy retries=%d redispatches=%d",
		failed, busy, after.sum("wretr"), after.sum("wredis"))
	// A healthy run: busy refusals of more than one review in ten would
	// be the store failing under this load (20 runs here had at most 7
	// of 600).
	if ok < replicaReviews*9/10 {
		t.Errorf("only %d of %d reviews acknowledged (%d refused as busy)", ok, replicaReviews, busy)
	}
	if failed > replicaLearners+busy {
		t.Errorf("%d reviews failed, %d of them refused as busy: want at most %d (the learners, each with one review in flight at the kill) besides those",
			failed, busy, replicaLearners)
	}

	// Round robin: every replica served before the kill, and both
	// survivors went on serving after it.
	for _, r := range replicas {
		if atKill[r.name].answered() == 0 {
			t.Errorf("%s answered nothing before the kill: %+v", r.name, atKill[r.name])
		}
		if r != victim && after[r.name].answered() <= atKill[r.name].answered() {
			t.Errorf("%s answered nothing after the kill: %d then %d", r.name, atKill[r.name].answered(), after[r.name].answered())
		}
	}
	if t.Failed() {
		lb.dump(t)
	}
}

// requirePostgres skips the test for want, or fails it when
// FLASHD_REQUIRE_POSTGRES=1.
func requirePostgres(t *testing.T, want string) {
	t.Helper()
	if os.Getenv("FLASHD_REQUIRE_POSTGRES") == "1" {
		t.Fatal(want + ", and FLASHD_REQUIRE_POSTGRES=1")
	}
	t.Skip(want + " (or set FLASHD_REQUIRE_POSTGRES=1 to fail instead)")
}

// buildFlashd builds the flashd binary into dir.
func buildFlashd(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "flashd")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/flashd/flashd/cmd/flashd")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// replica is one flashd process.
type replica struct {
	name string // haproxy's name for it
	cmd  *exec.Cmd
	addr string // host:port
	log  string // its stderr
	done chan struct{}
}

// startReplica runs "flashd serve" on a free loopback port over db, its
// log going to the file log, and returns once it listens (it has migrated
// and imported the built-in decks by then). On failure it reports why and
// returns nil: it may run on another goroutine than the test's.
func startReplica(t *testing.T, bin, db, log string) *replica {
	f, err := os.Create(log)
	if err != nil {
		t.Error(err)
		return nil
	}
	// --trust-proxy: the client's address (which log-ins are throttled by)
	// is the one haproxy puts in X-Forwarded-For.
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--db", db, "--trust-proxy", "1")
	cmd.Stderr = f
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Error(err)
		return nil
	}
	if err := cmd.Start(); err != nil {
		f.Close()
		t.Error(err)
		return nil
	}
	r := &replica{name: strings.TrimSuffix(filepath.Base(log), ".log"), cmd: cmd, log: log, done: make(chan struct{})}
	br := bufio.NewReader(out)
	line, err := br.ReadString('\n')
	go func() {
		defer close(r.done)
		defer f.Close()
		io.Copy(io.Discard, br) // only once the line is read: one reader at a time
		cmd.Wait()
	}()
	t.Cleanup(func() { cmd.Process.Kill(); <-r.done })
	if err != nil {
		cmd.Process.Kill()
		<-r.done
		b, _ := os.ReadFile(log)
		t.Errorf("replica %s did not start: %v\n%s", r.name, err, b)
		return nil
	}
	r.addr = strings.TrimPrefix(strings.Fields(strings.TrimPrefix(line, "flashd listening on "))[0], "http://")
	return r
}

// wait waits until the process has exited.
func (r *replica) wait() { <-r.done }

// problems reads the replica's log: the requests it refused as busy, and
// the lines at level ERROR (internal errors, each a 500).
func (r *replica) problems(t *testing.T) (busy int, errs []string) {
	t.Helper()
	b, err := os.ReadFile(r.log)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case strings.Contains(line, `level=WARN msg="request refused"`):
			busy++
		case strings.Contains(line, "level=ERROR"):
			errs = append(errs, r.name+": "+line)
		}
	}
	return busy, errs
}

// haproxyConfig balances requests over the replicas round robin, each
// request on its own (a learner's next request lands on another replica:
// sessions and CSRF tokens live in the database), sends traffic only to a
// replica whose /readyz answers 200, and retries a request that a dead
// replica did not answer on another one (option redispatch 1: every retry
// goes elsewhere). A refused connection is always safe to retry; a request
// sent and then cut off is retried only when sending it twice is harmless:
// a GET, or a rating (POST /review/{card}), which carries the card's
// version token, so that a replay of a rating the dead replica saved is
// answered "already saved" and stored once. Any other post (a sign-up,
// "study more", an upload) is not retried once sent.
var haproxyConfig = template.Must(template.New("haproxy.cfg").Parse(`global
	stats socket {{.Dir}}/haproxy.sock mode 600 level admin
	log stderr format raw local0 info

defaults
	mode http
	log global
	option httplog
	option log-health-checks
	option forwardfor
	timeout connect 1s
	timeout client 30s
	timeout server 30s
	timeout check 2s

frontend web
	bind {{.Addr}}
	default_backend flashd

backend flashd
	balance roundrobin
	option httpchk GET /readyz
	http-check expect status 200
	retries 3
	option redispatch 1
	retry-on conn-failure empty-response
	http-request disable-l7-retry unless METH_GET || { method POST } { path_reg ^/review/[0-9]+$ }
	default-server check inter 200ms fall 2 rise 1
{{- range .Replicas}}
	server {{.Name}} {{.Addr}}
{{- end}}
`))

// balancer is a running haproxy.
type balancer struct {
	url  string
	sock string // its stats socket
	log  string
}

// startHAProxy writes the configuration into dir, starts haproxy on a
// free loopback port in front of the replicas, and returns once its
// health checks find every replica up.
func startHAProxy(t *testing.T, bin, dir string, replicas []*replica) *balancer {
	t.Helper()
	// A free port: haproxy cannot bind port 0 and say which it got.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	type server struct{ Name, Addr string }
	var servers []server
	for _, r := range replicas {
		servers = append(servers, server{r.name, r.addr})
	}
	cfg := filepath.Join(dir, "haproxy.cfg")
	f, err := os.Create(cfg)
	if err != nil {
		t.Fatal(err)
	}
	err = haproxyConfig.Execute(f, struct {
		Dir, Addr string
		Replicas  []server
	}{dir, addr, servers})
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	lb := &balancer{url: "http://" + addr, sock: filepath.Join(dir, "haproxy.sock"), log: filepath.Join(dir, "haproxy.log")}
	logf, err := os.Create(lb.log)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-db", "-f", cfg) // -db: in the foreground
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); logf.Close(); close(exited) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-exited })

	// Wait for the stats socket, then for every replica's first passing
	// check (a check every 200ms: this takes well under a second).
	for try := 0; ; try++ {
		select {
		case <-exited:
			b, _ := os.ReadFile(lb.log)
			t.Fatalf("haproxy exited:\n%s", b)
		default:
		}
		if up, err := lb.allUp(len(replicas)); up {
			return lb
		} else if try == 200 {
			b, _ := os.ReadFile(lb.log)
			t.Fatalf("haproxy: the replicas are not all up after %d tries (%v):\n%s", try, err, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// allUp reports whether haproxy sees n servers up.
func (lb *balancer) allUp(n int) (bool, error) {
	stats, err := lb.read()
	if err != nil {
		return false, err
	}
	up := 0
	for _, s := range stats {
		if s["status"] == "UP" && s["check_status"] == "L7OK" {
			up++
		}
	}
	return up == n, nil
}

// serverStat is one row of haproxy's "show stat" for a server.
type serverStat map[string]string

// answered is the responses the server gave (any status).
func (s serverStat) answered() int {
	n := 0
	for _, k := range []string{"hrsp_1xx", "hrsp_2xx", "hrsp_3xx", "hrsp_4xx", "hrsp_5xx", "hrsp_other"} {
		v, _ := strconv.Atoi(s[k])
		n += v
	}
	return n
}

// stats returns haproxy's counters for the replicas by name.
func (lb *balancer) stats(t *testing.T) servers {
	t.Helper()
	s, err := lb.read()
	if err != nil {
		t.Fatalf("haproxy stats: %v", err)
	}
	return s
}

// servers is haproxy's counters for the replicas by name.
type servers map[string]serverStat

// sum adds up a counter over the replicas.
func (ss servers) sum(key string) int {
	n := 0
	for _, s := range ss {
		v, _ := strconv.Atoi(s[key])
		n += v
	}
	return n
}

// read asks the stats socket for "show stat" and keeps the backend's
// servers.
func (lb *balancer) read() (servers, error) {
	c, err := net.Dial("unix", lb.sock)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if _, err := io.WriteString(c, "show stat\n"); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(c)
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(b), "# ")))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil || len(rows) < 1 {
		return nil, fmt.Errorf("show stat: %q: %v", b, err)
	}
	out := servers{}
	for _, row := range rows[1:] {
		s := serverStat{}
		for i, k := range rows[0] {
			if i < len(row) {
				s[k] = row[i]
			}
		}
		if s["pxname"] == "flashd" && s["svname"] != "BACKEND" {
			out[s["svname"]] = s
		}
	}
	return out, nil
}

// answered matches haproxy's log line of a request answered 2xx or 3xx
// (option httplog: "... Tq/Tw/Tc/Tr/Ta status bytes ...").
var answered = regexp.MustCompile(` [23]\d\d \d+ `)

// dump logs what haproxy logged besides the requests answered 2xx or
// 3xx at the first try: health checks, redispatches, failures.
func (lb *balancer) dump(t *testing.T) {
	t.Helper()
	b, _ := os.ReadFile(lb.log)
	var keep []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if !answered.MatchString(line) || strings.Contains(line, "/+") {
			keep = append(keep, line)
		}
	}
	t.Logf("haproxy log (requests answered 2xx/3xx left out):\n%s", strings.Join(keep, "\n"))
}
