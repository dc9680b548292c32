package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/flashd/flashd/store/storetest"
)

// openTestDB opens a fresh database (a file in a temporary directory, or
// a PostgreSQL schema of its own under FLASHD_TEST_POSTGRES: see
// storetest), with a clock fixed at 2026-03-01 12:00 UTC.
func openTestDB(tb testing.TB) *DB {
	tb.Helper()
	db, err := Open(context.Background(), storetest.Target(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	clock := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return clock }
	return db
}

// openSQLiteTestDB is openTestDB on SQLite whatever the test run's
// engine, for tests of what only the SQLite store has (its pragmas, its
// writer goroutine).
func openSQLiteTestDB(tb testing.TB) *DB {
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
	db := openSQLiteTestDB(t)
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

// TestFilesPrivate: the database, its WAL and a backup are readable by
// their owner only; a backup refuses a path that exists, also as a
// symbolic link, and is checked where it was written, whatever its name.
func TestFilesPrivate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "flashd.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.CreateUser(context.Background(), "ann", "ann-password", false, SignUpByAdmin); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal"} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, %v; want 0600", p, fi.Mode().Perm(), err)
		}
	}
	odd := filepath.Join(dir, "back?up#1.db")
	if err := db.Backup(context.Background(), odd); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(odd); err != nil || fi.Mode().Perm() != 0o600 || fi.Size() == 0 {
		t.Errorf("backup: %v, %v; want a 0600 file", fi, err)
	}
	if err := checkFile(context.Background(), odd); err != nil {
		t.Errorf("the backup as written: %v", err)
	}
	// A symbolic link where the backup should go, pointing at a file
	// the backup must not overwrite.
	victim := filepath.Join(dir, "victim")
	os.WriteFile(victim, []byte("precious"), 0o644)
	link := filepath.Join(dir, "link.db")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	if err := db.Backup(context.Background(), link); err == nil {
		t.Error("backup through a symbolic link")
	}
	dangling := filepath.Join(dir, "dangling.db")
	os.Symlink(filepath.Join(dir, "nowhere"), dangling)
	if err := db.Backup(context.Background(), dangling); err == nil {
		t.Error("backup through a dangling symbolic link")
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious" {
		t.Errorf("the link's target was overwritten: %q", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "nowhere")); err == nil {
		t.Error("the dangling link's target was created")
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".flashd-backup-*"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// TestNoCheckpoint: with NoCheckpoint flashd leaves the WAL as it is,
// also at Close, to the program that copies it (which, as Litestream does,
// keeps a connection of its own open); by default Close folds the WAL back
// into the database file.
func TestNoCheckpoint(t *testing.T) {
	for _, leave := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "flashd.db")
		db, err := OpenWith(context.Background(), path, Options{NoCheckpoint: leave})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.CreateUser(context.Background(), "ann", "ann-password", false, SignUpByAdmin); err != nil {
			t.Fatal(err)
		}
		copier, err := sqlx.Open("sqlite", dsn(path, true))
		if err != nil {
			t.Fatal(err)
		}
		if err := copier.Ping(); err != nil {
			t.Fatal(err)
		}
		db.Close()
		fi, err := os.Stat(path + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		copier.Close()
		if kept := fi.Size() > 0; kept != leave {
			t.Errorf("NoCheckpoint %v: the WAL holds %d bytes after Close", leave, fi.Size())
		}
	}
}
