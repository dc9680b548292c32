package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// openTestDB opens a fresh database file in a temporary directory, with a
// clock fixed at 2026-03-01 12:00 UTC.
func openTestDB(tb testing.TB) *DB {
	tb.Helper()
	db, err := Open(context.Background(), filepath.Join(tb.TempDir(), "flashd.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	clock := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return clock }
	return db
}

func TestOpenSettings(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	// Every connection of both pools must carry the DSN's settings.
	for name, pool := range map[string]interface {
		GetContext(context.Context, any, string, ...any) error
	}{"rw": db.rw, "ro": db.ro} {
		var mode string
		var fk, sync, timeout int
		if err := pool.GetContext(ctx, &mode, `PRAGMA journal_mode`); err != nil {
			t.Fatal(err)
		}
		pool.GetContext(ctx, &fk, `PRAGMA foreign_keys`)
		pool.GetContext(ctx, &sync, `PRAGMA synchronous`)
		pool.GetContext(ctx, &timeout, `PRAGMA busy_timeout`)
		if mode != "wal" || fk != 1 || sync != 2 || timeout != 10000 {
			t.Errorf("%s: journal_mode=%s foreign_keys=%d synchronous=%d busy_timeout=%d", name, mode, fk, sync, timeout)
		}
	}
	if _, err := db.ro.ExecContext(ctx, `DELETE FROM decks`); err == nil {
		t.Error("read-only pool accepted a write")
	}
}

func TestMigrateTwice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "flashd.db")
	for i := 0; i < 2; i++ {
		db, err := Open(context.Background(), path)
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		var n int
		if err := db.ro.Get(&n, `SELECT COUNT(*) FROM schema_migrations`); err != nil || n == 0 {
			t.Errorf("open %d: %d migrations recorded, err %v", i, n, err)
		}
		db.Close()
	}
}
