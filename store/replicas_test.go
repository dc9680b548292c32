package store

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flashd/flashd/decks"
	"github.com/flashd/flashd/srs"
	"github.com/flashd/flashd/store/storetest"
)

// openReplicas opens n handles on one new database, as n flashd replicas
// would (on SQLite, n processes on one file), all with the same fixed
// clock as openTestDB's.
func openReplicas(t *testing.T, n int) []*DB {
	t.Helper()
	target := storetest.Target(t)
	clock := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	dbs := make([]*DB, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range dbs {
		wg.Add(1)
		go func() { // replicas start together: the migrations race
			defer wg.Done()
			dbs[i], errs[i] = Open(context.Background(), target)
		}()
	}
	wg.Wait()
	for i, db := range dbs {
		if errs[i] != nil {
			t.Fatalf("replica %d: %v", i, errs[i])
		}
		db.Now = func() time.Time { return clock }
		t.Cleanup(func() { db.Close() })
	}
	return dbs
}

// race runs fn on every replica at once and returns their errors.
func race(dbs []*DB, fn func(i int, db *DB) error) []error {
	errs := make([]error, len(dbs))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, db := range dbs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = fn(i, db)
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

// TestReplicasRace: six replicas starting together on one database each
// migrate once; six first sign-ups at once make one admin; the same
// rating posted to every replica at once is stored once and the others
// are refused as conflicts (not internal errors); accounts made on all at
// once all succeed; the built-in decks imported by all at once are
// imported once.
func TestReplicasRace(t *testing.T) {
	dbs := openReplicas(t, 6)
	ctx := context.Background()
	var migrated int
	if err := dbs[0].ro.Get(&migrated, `SELECT COUNT(*) FROM schema_migrations`); err != nil {
		t.Fatal(err)
	}
	if _, names, _ := dbs[0].migrationFiles(); migrated != len(names) {
		t.Errorf("%d migrations recorded, want %d (each once)", migrated, len(names))
	}

	users := make([]*User, len(dbs))
	errs := race(dbs, func(i int, db *DB) error {
		var err error
		users[i], err = db.CreateUser(ctx, "first"+string(rune('a'+i)), "first-password", false, SignUpIfOpen)
		return err
	})
	admins := 0
	for i, err := range errs {
		switch {
		case err == nil && users[i].Admin:
			admins++
		case err != nil && ErrorCode(err) != EForbidden:
			t.Errorf("sign-up %d: %v", i, err)
		}
	}
	var accounts int
	dbs[0].ro.Get(&accounts, `SELECT COUNT(*) FROM users WHERE is_admin = 1`)
	if admins != 1 || accounts != 1 {
		t.Errorf("six first sign-ups at once: %d admins answered, %d stored; want 1", admins, accounts)
	}

	// Accounts made at once on every replica (as an administrator adds
	// a class) all succeed: none gives up busy.
	errs = race(dbs, func(i int, db *DB) error {
		for j := 0; j < 4; j++ {
			if _, err := db.CreateUser(ctx, fmt.Sprintf("class%d-%d", i, j), "class-password", false, SignUpByAdmin); err != nil {
				return err
			}
		}
		return nil
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("accounts made at once on replica %d: %v", i, err)
		}
	}

	builtin, err := decks.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	errs = race(dbs, func(i int, db *DB) error {
		return db.ImportBuiltin(ctx, builtin, func(_ ImportResult, err error) error { return err })
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("built-in import on replica %d: %v", i, err)
		}
	}
	var created, decksStored int
	dbs[0].ro.Get(&created, `SELECT COUNT(*) FROM deck_changes WHERE action = 'created'`)
	dbs[0].ro.Get(&decksStored, `SELECT COUNT(*) FROM decks`)
	if created != len(builtin) || decksStored != len(builtin) {
		t.Errorf("built-in decks imported at once by six replicas: %d created, %d stored; want %d", created, decksStored, len(builtin))
	}

	var u *User
	for _, x := range users {
		if x != nil {
			u = x
		}
	}
	q := next(t, dbs[0], u, Filter{})
	if q.Card == nil {
		t.Fatal("no card to rate")
	}
	token := q.Card.State.Token()
	errs = race(dbs, func(i int, db *DB) error {
		_, err := db.Rate(ctx, u, q.Card.ID, token, srs.Good)
		return err
	})
	ok := 0
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case ErrorCode(err) != EConflict:
			t.Errorf("rating on replica %d: %v, want a conflict", i, err)
		}
	}
	if n := countRows(t, dbs[0], `SELECT COUNT(*) FROM reviews WHERE user_id = ?`, u.ID); ok != 1 || n != 1 {
		t.Errorf("one rating posted to six replicas at once: %d accepted, %d stored; want 1", ok, n)
	}
}

// TestBuiltinOnlyForward: a built-in deck moves to a new source, and a
// replica still holding the old source (an older binary) leaves it there.
func TestBuiltinOnlyForward(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	v1 := parse(t, "---\nid: shipped\ntitle: Shipped\n---\n## Key takeaways\n\n### One? {#one}\nOne.\n\n### Two? {#two}\nTwo.\n")
	v2 := parse(t, strings.Replace(v1.Source, "Two.", "Two, better.", 1))
	imp := func(d *decks.Deck) ImportResult {
		t.Helper()
		var got ImportResult
		if err := db.ImportBuiltin(ctx, []*decks.Deck{d}, func(r ImportResult, err error) error { got = r; return err }); err != nil {
			t.Fatal(err)
		}
		return got
	}
	if r := imp(v1); r.Added != 2 || r.Skipped {
		t.Fatalf("first import: %+v", r)
	}
	if r := imp(v2); r.Updated != 1 || r.Skipped {
		t.Fatalf("the newer source: %+v", r)
	}
	if r := imp(v1); !r.Superseded || !r.Skipped {
		t.Errorf("the older source again: %+v, want it left alone", r)
	}
	if r := imp(v2); r.Superseded || !r.Skipped {
		t.Errorf("the current source again: %+v, want an unchanged skip", r)
	}
	var hash string
	if err := db.ro.Get(&hash, `SELECT source_hash FROM decks WHERE slug = 'shipped'`); err != nil || hash != v2.Hash {
		t.Errorf("the deck's source is %q (%v), want the newer %q", hash, err, v2.Hash)
	}
}
