package main

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

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
	} {
		_, err := parseFlags(tt.args, noEnv, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: got %v, want %q", tt.args, err, tt.want)
		}
	}
	for _, h := range []string{"127.0.0.1", "127.5.5.5", "::1", "localhost"} {
		if !loopback(h) {
			t.Errorf("%s is loopback", h)
		}
	}
}

// TestLoad runs flashload against a real server on loopback and checks its
// summary: every rating acknowledged, none lost, none doubled (one in
// twenty is posted twice on purpose), and the baseline line.
func TestLoad(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "flashd.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := web.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	var out strings.Builder
	err = run(ctx, []string{"--server", srv.URL, "--db", path, "--learners", "3", "--reviews", "90", "--cards", "50",
		"--baseline", "--baseline-time", "200ms"}, noEnv, &out, io.Discard)
	if err != nil {
		t.Fatalf("flashload: %v\n%s", err, out.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("output:\n%s", out.String())
	}
	summary := regexp.MustCompile(`^reviews=90 ok=90 errors=0 lost=0 doubled=0 rps=[0-9.]+ p50_ms=[0-9.]+ p95_ms=[0-9.]+ p99_ms=[0-9.]+$`)
	if !summary.MatchString(lines[0]) {
		t.Errorf("summary line %q", lines[0])
	}
	if !regexp.MustCompile(`^baseline_rps=[0-9.]+ ratio=[0-9.]+$`).MatchString(lines[1]) {
		t.Errorf("baseline line %q", lines[1])
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
	// A second run reuses the accounts.
	out.Reset()
	if err := run(ctx, []string{"--server", srv.URL, "--db", path, "--learners", "3", "--reviews", "9", "--cards", "50"}, noEnv, &out, io.Discard); err != nil {
		t.Fatalf("second run: %v", err)
	}
}
