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
	if got, want := len(db.Pools()), 2; got != want && !db.pg {
		t.Errorf("%d pools, want the writer and the readers", got)
	} else if got != 1 && db.pg {
		t.Errorf("%d pools on PostgreSQL, want one", got)
	}
	db.Close()
	if err := db.Ready(ctx); err == nil {
		t.Error("a closed database is ready")
	}
}
