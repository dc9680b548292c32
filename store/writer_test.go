package store

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"

	"github.com/jmoiron/sqlx"
)

// TestWriterGroupCommit holds the writer with one write while 40 more
// queue up, some of which fail: the waiting writes commit together, each
// caller hears its own outcome, and a failed write leaves nothing behind.
func TestWriterGroupCommit(t *testing.T) {
	db := openSQLiteTestDB(t) // PostgreSQL has no writer goroutine
	ctx := context.Background()
	if _, err := db.rw.Exec(`CREATE TABLE w (n INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- db.write(ctx, func(tx *sqlx.Tx) error {
			<-release
			_, err := tx.Exec(`INSERT INTO w (n) VALUES (0)`)
			return err
		})
	}()
	for len(db.writes) > 0 || db.commits.Load() == 0 {
		runtime.Gosched() // until the writer has taken the first write
	}
	before := db.commits.Load()
	errBoom := errors.New("boom")
	var wg sync.WaitGroup
	errs := make([]error, 41)
	for i := 1; i <= 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = db.write(ctx, func(tx *sqlx.Tx) error {
				if _, err := tx.Exec(`INSERT INTO w (n) VALUES (?)`, i); err != nil {
					return err
				}
				if i%5 == 0 {
					return errBoom // after writing: must be rolled back
				}
				return nil
			})
		}()
	}
	for len(db.writes) < 40 {
		runtime.Gosched() // until all 40 are queued behind the first
	}
	close(release)
	wg.Wait()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 40; i++ {
		if want := error(nil); i%5 == 0 {
			if !errors.Is(errs[i], errBoom) {
				t.Errorf("write %d: got %v, want its own error", i, errs[i])
			}
		} else if errs[i] != want {
			t.Errorf("write %d: %v", i, errs[i])
		}
	}
	var n, failed int
	db.ro.QueryRow(`SELECT COUNT(*), COALESCE(SUM(n % 5 = 0 AND n > 0), 0) FROM w`).Scan(&n, &failed)
	if n != 33 || failed != 0 {
		t.Errorf("%d rows (%d of failed writes), want 33 (0)", n, failed)
	}
	if got := db.commits.Load() - before; got != 1 {
		t.Errorf("the 40 queued writes took %d transactions, want 1", got)
	}
	// A write of a conflicting row reports a conflict.
	err := db.write(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.Exec(`INSERT INTO w (n) VALUES (1)`)
		return err
	})
	if ErrorCode(err) != EConflict {
		t.Errorf("duplicate key: got %v (%s), want a conflict", err, ErrorCode(err))
	}
}
