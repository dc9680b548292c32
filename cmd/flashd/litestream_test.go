package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/flashd/flashd/store"
)

// litestream returns the Litestream CLI to test with; the test skips
// without one, unless FLASHD_REQUIRE_LITESTREAM=1 (as in CI).
func litestream(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("litestream")
	if err != nil {
		if os.Getenv("FLASHD_REQUIRE_LITESTREAM") == "1" {
			t.Fatal("no litestream on PATH, and FLASHD_REQUIRE_LITESTREAM=1")
		}
		t.Skip("no litestream on PATH (go install github.com/benbjohnson/litestream/cmd/litestream@v0.3.14)")
	}
	return path
}

// TestLitestream replicates a serving flashd (with --no-checkpoint) with
// Litestream to a folder, kills flashd with SIGKILL under load, and
// restores: the restored file passes SQLite's integrity check and, once
// Litestream has caught up with the WAL the dead process left, holds every
// rating flashd acknowledged, once.
func TestLitestream(t *testing.T) {
	bin := litestream(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "flashd.db")
	replica := "file://" + filepath.Join(dir, "replica")
	users := learners(t, db, 3)
	p := startProcess(t, db, "--no-checkpoint")
	ls := exec.Command(bin, "replicate", db, replica)
	ls.Stdout, ls.Stderr = nil, nil
	if err := ls.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ls.Process.Kill(); ls.Wait() })

	acks := loadUntil(t, p.base, users, 200, func() {
		p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
	})

	// Litestream copies about once a second: restore until the copy holds
	// every acknowledged rating, a bounded number of times.
	var ids []int64
	for _, id := range users {
		ids = append(ids, id)
	}
	var missing, doubled int
	for try := 0; try < 30; try++ {
		time.Sleep(time.Second)
		out := filepath.Join(dir, "restored-"+string(rune('a'+try%26))+".db")
		os.Remove(out)
		if err := exec.Command(bin, "restore", "-o", out, replica).Run(); err != nil {
			continue // nothing replicated yet
		}
		missing, doubled = checkRestore(t, out, ids, acks)
		if missing == 0 {
			break
		}
	}
	if missing > 0 || doubled > 0 {
		t.Errorf("the restored copy: %d of %d acknowledged ratings missing, %d doubled", missing, len(acks), doubled)
	}
}

// checkRestore opens a restored copy, checks its integrity and counts the
// acknowledged ratings it lacks and the ratings it holds more than once.
func checkRestore(t *testing.T, path string, ids []int64, acks []store.ReviewKey) (missing, doubled int) {
	t.Helper()
	s, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("open the restored copy: %v", err)
	}
	defer s.Close()
	if r, err := s.IntegrityCheck(context.Background()); err != nil || r != "ok" {
		t.Fatalf("the restored copy's integrity: %q %v", r, err)
	}
	stored, err := s.ReviewVersions(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range acks {
		if stored[a] == 0 {
			missing++
		}
	}
	for _, n := range stored {
		if n > 1 {
			doubled++
		}
	}
	return missing, doubled
}
