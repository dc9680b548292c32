package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// syncBuffer is a bytes buffer the server's goroutines may write to while
// the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServeOperations runs serve as an operator would: JSON logs, metrics
// on a loopback address of their own, /readyz, and the healthcheck
// command; a rating shows up in the metrics.
func TestServeOperations(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	logs := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--addr", "127.0.0.1:0", "--db", filepath.Join(dir, "flashd.db"),
			"--log-format", "json", "--metrics", "127.0.0.1:0"}, noEnv, nil, pw, logs)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no listening line: %v (run: %v)", err, <-done)
	}
	go io.Copy(io.Discard, pr)
	base := strings.Fields(strings.TrimPrefix(line, "flashd listening on "))[0]
	var metricsAddr string
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("a log line is not JSON: %q", l)
		}
		if rec["msg"] == "metrics listening" {
			metricsAddr, _ = rec["addr"].(string)
		}
	}
	if metricsAddr == "" {
		t.Fatalf("no metrics address in the log:\n%s", logs.String())
	}

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(url string) (int, string) {
		t.Helper()
		resp, err := c.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, body := get(base + "/readyz"); code != 200 || body != "ready" {
		t.Errorf("readyz: %d %q", code, body)
	}
	if code, body := get(base + "/metrics"); code == http.StatusOK || strings.Contains(body, "flashd_ratings_total") {
		t.Errorf("metrics on the public address: %d", code)
	}
	host := strings.TrimPrefix(base, "http://")
	if out, _, err := runCmd(t, "healthcheck", "--addr", host); err != nil || !strings.Contains(out, "ready") {
		t.Errorf("healthcheck of a running server: %v %q", err, out)
	}

	// Sign up and rate a card.
	_, page := get(base + "/signup")
	csrf := regexp.MustCompile(`name="csrf-token" content="([^"]+)"`).FindStringSubmatch(page)[1]
	resp, err := c.PostForm(base+"/signup", url.Values{"csrf": {csrf}, "username": {"ops"}, "password": {"ops-password"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	_, page = get(base + "/review")
	card := regexp.MustCompile(`data-card="(\d+)"`).FindStringSubmatch(page)
	token := regexp.MustCompile(`name="token" value="([^"]+)"`).FindStringSubmatch(page)
	csrf = regexp.MustCompile(`name="csrf-token" content="([^"]+)"`).FindStringSubmatch(page)[1]
	if card == nil || token == nil {
		t.Fatalf("no card to rate")
	}
	resp, err = c.PostForm(base+"/review/"+card[1], url.Values{"csrf": {csrf}, "token": {token[1]}, "rating": {"3"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	_, m := get("http://" + metricsAddr + "/metrics")
	for _, want := range []string{
		`flashd_ratings_total{outcome="saved"} 1`,
		`flashd_http_request_duration_seconds_count{code="200",method="GET",route="/review"} 1`,
		`flashd_http_request_duration_seconds_count{code="303",method="POST",route="/review/:card"} 1`,
		`flashd_queue_read_duration_seconds_count 1`,
		`go_sql_open_connections{db_name="write"}`,
		`go_sql_open_connections{db_name="read"}`,
		`flashd_build_info{revision=`,
		`go_goroutines`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(m, `route="/decks/aws`) {
		t.Error("metrics label a route by its path, not its pattern")
	}

	cancel()
	if err := <-done; err != nil {
		t.Errorf("run after shutdown: %v", err)
	}
	if _, _, err := runCmd(t, "healthcheck", "--addr", host); err == nil {
		t.Error("healthcheck of a stopped server succeeded")
	}
	for _, args := range [][]string{{"--metrics", "0.0.0.0:9464"}, {"--log-format", "xml"}} {
		if _, _, err := runCmd(t, append([]string{"serve", "--addr", "127.0.0.1:0", "--db", filepath.Join(dir, "x.db")}, args...)...); err == nil {
			t.Errorf("serve %v: no error", args)
		}
	}
}
