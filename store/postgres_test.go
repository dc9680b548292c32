package store

import (
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
