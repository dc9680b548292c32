package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/flashd/flashd/store"
	"github.com/flashd/flashd/store/storetest"
)

// TestMain lets the tests run this binary as the real flashd: with
// FLASHD_TEST_MAIN=1 it runs the program instead of the tests, so a test
// can start it as a process and kill it.
func TestMain(m *testing.M) {
	if os.Getenv("FLASHD_TEST_MAIN") == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, "flashd:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// process is a flashd server running as its own process.
type process struct {
	cmd  *exec.Cmd
	base string
	done chan error
}

// startProcess runs "flashd serve" on a free loopback port over db, with
// any further flags given.
func startProcess(t *testing.T, db string, flags ...string) *process {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"serve", "--addr", "127.0.0.1:0", "--db", db}, flags...)...)
	cmd.Env = append(os.Environ(), "FLASHD_TEST_MAIN=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, done: make(chan error, 1)}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		t.Fatalf("server did not start: %v", err)
	}
	p.base = strings.Fields(strings.TrimPrefix(line, "flashd listening on "))[0]
	go func() { io.Copy(io.Discard, out); p.done <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })
	return p
}

// rater is a learner that rates as fast as it can and remembers every
// rating the server acknowledged.
type rater struct {
	client *http.Client
	base   string
	csrf   string
	userID int64
}

var (
	metaCSRF = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)
	dataCard = regexp.MustCompile(`data-card="(\d+)"`)
	tokenVal = regexp.MustCompile(`name="token" value="([^"]*)"`)
)

func (r *rater) do(method, path string, form url.Values) (int, string, error) {
	var body io.Reader
	if form != nil {
		form.Set("csrf", r.csrf)
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, r.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if m := metaCSRF.FindSubmatch(b); m != nil {
		r.csrf = string(m[1])
	}
	return resp.StatusCode, string(b), err
}

func newRater(t *testing.T, base, name string, id int64) *rater {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	r := &rater{base: base, userID: id, client: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	r.do("GET", "/login", nil)
	if status, _, err := r.do("POST", "/login", url.Values{"username": {name}, "password": {name + "-password"}}); err != nil || status != http.StatusSeeOther {
		t.Fatalf("log in %s: %d %v", name, status, err)
	}
	return r
}

// rateOnce shows the next card and rates it Good; ok reports an
// acknowledged rating (303) and its key.
func (r *rater) rateOnce() (store.ReviewKey, bool) {
	status, page, err := r.do("GET", "/review", nil)
	card, token := dataCard.FindStringSubmatch(page), tokenVal.FindStringSubmatch(page)
	if err == nil && status == 200 && card != nil && token == nil {
		// A scenario card: pick an option first, then the rating form shows.
		status, page, err = r.do("GET", "/review?pick=0&card="+card[1], nil)
		token = tokenVal.FindStringSubmatch(page)
	}
	if err != nil || status != 200 || card == nil || token == nil {
		return store.ReviewKey{}, false
	}
	status, _, err = r.do("POST", "/review/"+card[1], url.Values{"rating": {"3"}, "token": {token[1]}})
	if err != nil || status != http.StatusSeeOther {
		return store.ReviewKey{}, false
	}
	var id int64
	fmt.Sscan(card[1], &id)
	return store.ReviewKey{UserID: r.userID, CardID: id, Version: token[1]}, true
}

// learners creates n accounts in db (no daily new-card limit) and returns
// their names and ids.
func learners(t *testing.T, db string, n int) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("learner%d", i)
		if err := run(context.Background(), []string{"user", "add", "--db", db, name}, noEnv, strings.NewReader(name+"-password\n"), io.Discard, io.Discard); err != nil {
			t.Fatal(err)
		}
	}
	s, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("learner%d", i)
		u, err := s.Authenticate(context.Background(), name, name+"-password")
		if err != nil {
			t.Fatal(err)
		}
		set := u.Settings()
		set.NewPerDay = 9999
		if err := s.UpdateSettings(context.Background(), u.ID, "UTC", set); err != nil {
			t.Fatal(err)
		}
		out[name] = u.ID
	}
	return out
}

// load runs the learners against base until stop is closed, sending every
// acknowledged rating to acks. It returns once every learner stopped.
func load(t *testing.T, base string, users map[string]int64, stop <-chan struct{}, acks chan<- store.ReviewKey) *sync.WaitGroup {
	var wg sync.WaitGroup
	for name, id := range users {
		r := newRater(t, base, name, id)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if key, ok := r.rateOnce(); ok {
					acks <- key
				}
			}
		}()
	}
	return &wg
}

// checkAcks opens db and checks that every acknowledged rating is stored
// exactly once and, on SQLite, that the file passes the integrity check.
func checkAcks(t *testing.T, db string, users map[string]int64, acks []store.ReviewKey) {
	t.Helper()
	s, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatalf("reopen after the crash: %v", err)
	}
	defer s.Close()
	if r, err := s.IntegrityCheck(context.Background()); !s.IsPostgres() && (err != nil || r != "ok") {
		t.Errorf("integrity check: %q %v", r, err)
	}
	var ids []int64
	for _, id := range users {
		ids = append(ids, id)
	}
	stored, err := s.ReviewVersions(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	lost := 0
	for _, a := range acks {
		if stored[a] != 1 {
			lost++
		}
	}
	doubled := 0
	for _, n := range stored {
		if n > 1 {
			doubled++
		}
	}
	if lost > 0 || doubled > 0 || len(acks) == 0 {
		t.Errorf("%d acknowledged ratings, %d lost, %d doubled", len(acks), lost, doubled)
	}
}

// TestCrash runs the real binary under load, kills it with SIGKILL,
// checks that every acknowledged rating survived once, restarts it, and
// ends it gracefully with SIGTERM.
//
// Under FLASHD_TEST_POSTGRES the server runs on PostgreSQL: the ratings
// the killed process acknowledged must be in the database.
func TestCrash(t *testing.T) {
	db := storetest.Target(t)
	users := learners(t, db, 4)
	p := startProcess(t, db)
	acks := loadUntil(t, p.base, users, 300, func() {
		p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
	})
	checkAcks(t, db, users, acks)

	// Restart on the same file; it serves, and SIGTERM under load ends it
	// cleanly with every acknowledged rating kept.
	p = startProcess(t, db)
	acks = append(acks, loadUntil(t, p.base, users, 150, func() {
		p.cmd.Process.Signal(syscall.SIGTERM)
		if err := <-p.done; err != nil {
			t.Errorf("SIGTERM: the server exited with %v, want a clean exit", err)
		}
	})...)
	checkAcks(t, db, users, acks)
}

// loadUntil has the learners rate on base until n ratings are
// acknowledged, then runs halt (which stops the server), stops the
// learners and returns every rating acknowledged, also those acknowledged
// while halt ran.
func loadUntil(t *testing.T, base string, users map[string]int64, n int, halt func()) []store.ReviewKey {
	t.Helper()
	stop := make(chan struct{})
	ackc := make(chan store.ReviewKey, 1024)
	wg := load(t, base, users, stop, ackc)
	var acks []store.ReviewKey
	for a := range ackc {
		acks = append(acks, a)
		if len(acks) == n {
			break
		}
	}
	halt()
	close(stop)
	go func() { wg.Wait(); close(ackc) }()
	for a := range ackc {
		acks = append(acks, a)
	}
	return acks
}

// TestBackupUnderLoad writes a backup while learners rate, restores it and
// compares: it opens, passes the integrity check, and holds every rating
// acknowledged before the backup began and no rating the live database
// lacks.
func TestBackupUnderLoad(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "flashd.db")
	users := learners(t, db, 3)
	p := startProcess(t, db)
	stop := make(chan struct{})
	ackc := make(chan store.ReviewKey, 1024)
	wg := load(t, p.base, users, stop, ackc)
	var before []store.ReviewKey
	for a := range ackc {
		before = append(before, a)
		if len(before) == 150 {
			break
		}
	}
	out := filepath.Join(dir, "backup.db")
	var stdout strings.Builder
	if err := run(context.Background(), []string{"backup", "--db", db, out}, noEnv, nil, &stdout, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "integrity ok") {
		t.Errorf("backup output: %q", stdout.String())
	}
	close(stop)
	go func() { wg.Wait(); close(ackc) }()
	for range ackc {
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	<-p.done

	restored, err := store.Open(context.Background(), out)
	if err != nil {
		t.Fatalf("restore: %v", err)
	}
	defer restored.Close()
	live, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	var ids []int64
	for _, id := range users {
		ids = append(ids, id)
	}
	inBackup, _ := restored.ReviewVersions(context.Background(), ids)
	inLive, _ := live.ReviewVersions(context.Background(), ids)
	for _, a := range before {
		if inBackup[a] != 1 {
			t.Fatalf("rating %+v acknowledged before the backup is not in it", a)
		}
	}
	for k := range inBackup {
		if inLive[k] != 1 {
			t.Errorf("the backup holds %+v, which the live database does not", k)
		}
	}
	if len(inBackup) < len(before) || len(inBackup) > len(inLive) {
		t.Errorf("backup has %d ratings: want between %d and %d", len(inBackup), len(before), len(inLive))
	}
	if r, err := restored.IntegrityCheck(context.Background()); err != nil || r != "ok" {
		t.Errorf("restored integrity: %q %v", r, err)
	}
	if err := run(context.Background(), []string{"backup", "--db", db, out}, noEnv, nil, io.Discard, io.Discard); err == nil {
		t.Error("backup over an existing file succeeded")
	}
}

// TestGracefulShutdown starts a request, sends SIGTERM while its handler
// runs (it is reading the request body), waits until the server refuses
// new connections, then finishes the body: the request must still get its
// answer, and the server exit cleanly.
func TestGracefulShutdown(t *testing.T) {
	db := storetest.Target(t)
	p := startProcess(t, db)
	host := strings.TrimPrefix(p.base, "http://")
	conn, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// The headers, asking to continue: the server says "100 Continue"
	// when the handler starts reading the body, so the handler is running.
	body := "username=nobody&password=wrong-password"
	if _, err := io.WriteString(conn, "POST /login HTTP/1.1\r\nHost: "+host+"\r\nConnection: close\r\nExpect: 100-continue\r\n"+
		"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: "+fmt.Sprint(len(body))+"\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	if line, err := br.ReadString('\n'); err != nil || !strings.HasPrefix(line, "HTTP/1.1 100") {
		t.Fatalf("no 100 Continue: %q %v", line, err)
	}
	br.ReadString('\n') // the blank line after it
	p.cmd.Process.Signal(syscall.SIGTERM)
	refused := false
	for i := 0; i < 500 && !refused; i++ { // shutdown closes the listener first
		c, err := net.Dial("tcp", host)
		if err != nil {
			refused = true
			break
		}
		c.Close()
		time.Sleep(10 * time.Millisecond)
	}
	if !refused {
		t.Fatal("the server still accepts connections after SIGTERM")
	}
	if _, err := io.WriteString(conn, body); err != nil {
		t.Fatalf("send the body: %v", err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("the in-flight request got no answer: %v", err)
	}
	// Without a CSRF token the log-in is refused: what matters is that it
	// was answered.
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("in-flight request: %d, want the CSRF refusal 403", resp.StatusCode)
	}
	if err := <-p.done; err != nil {
		t.Errorf("exit after SIGTERM: %v", err)
	}
}
