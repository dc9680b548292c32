package store

import (
	"context"
	"strings"
	"testing"
)

// TestReady: a migrated database is ready; one missing a migration of
// this binary (an older schema) or closed is not, and says why.
func TestReady(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	if err := db.Ready(ctx); err != nil {
		t.Fatalf("a migrated database: %v", err)
	}
	if _, err := db.rw.ExecContext(ctx, `DELETE FROM schema_migrations WHERE name = (SELECT MAX(name) FROM schema_migrations)`); err != nil {
		t.Fatal(err)
	}
	if err := db.Ready(ctx); err == nil || !strings.Contains(err.Error(), "migrations applied") {
		t.Errorf("a migration missing: %v", err)
	}
	want := 2 // SQLite: the writer and the readers
	if db.pg {
		want = 1 // the one pool
	}
	if got := len(db.Pools()); got != want {
		t.Errorf("%d pools, want %d", got, want)
	}
	db.Close()
	if err := db.Ready(ctx); err == nil {
		t.Error("a closed database is ready")
	}
}
