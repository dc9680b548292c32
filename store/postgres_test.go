package store

import (
	"fmt"
	"strings"
	"testing"
)

// TestRedact: a PostgreSQL URL loses its password, in the user part or
// as a parameter, before it is logged; a file path is left as it is.
func TestRedact(t *testing.T) {
	for _, tc := range []struct{ in, secret, want string }{
		{"postgres://flashd:s3cret@db.internal:5432/flashd?sslmode=require", "s3cret", "postgres://flashd:xxxxx@db.internal:5432/flashd?sslmode=require"},
		{"postgresql://flashd@db/flashd?password=hunter2&sslmode=disable", "hunter2", "postgresql://flashd@db/flashd?password=xxxxx&sslmode=disable"},
		{"/var/lib/flashd/flashd.db", "", "/var/lib/flashd/flashd.db"},
	} {
		got := Redact(tc.in)
		if got != tc.want || (tc.secret != "" && strings.Contains(got, tc.secret)) {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if !IsPostgres("postgres://x/y") || !IsPostgres("postgresql://x/y") || IsPostgres("./flashd.db") {
		t.Error("IsPostgres tells URLs from files wrongly")
	}
}

// TestRebindBounded: placeholders become $n, and the cache of rebound
// statements stops growing however many distinct statements come (IN
// lists of every length).
func TestRebindBounded(t *testing.T) {
	for i := 0; i < maxRebound+100; i++ {
		q := "SELECT id FROM decks WHERE id IN (?" + strings.Repeat(", ?", i) + ") AND slug = ?"
		got := rebind(q)
		if want := fmt.Sprintf("$%d)", i+1); !strings.Contains(got, want) || strings.Contains(got, "?") {
			t.Fatalf("rebind of a %d-placeholder list: %q", i+1, got)
		}
	}
	n := 0
	rebound.Range(func(_, _ any) bool { n++; return true })
	if n > maxRebound {
		t.Errorf("%d statements cached, want at most %d", n, maxRebound)
	}
}
