package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"time"
)

// A rating is answered only once its commit is on disk, so no rating can
// be answered faster than the disk syncs. The disk probe measures that
// floor in the same run: while the learners rate, it rewrites one 4 KiB
// block of a scratch file beside the database and syncs it (as a commit
// syncs the WAL), every --disk-probe, and reports how long the syncs took.
// On a virtual disk most syncs take a fraction of a millisecond, but some
// stall for tens of milliseconds; every rating that arrives during a
// stall waits for it, so when stalls cover more than 1% of the run they
// set the ratings' p99, whatever the server does.

// diskReport is what the disk probe measured.
type diskReport struct {
	syncs   []time.Duration // sorted
	slow    int             // syncs over slowSync
	stalled time.Duration   // time spent in those
	ran     time.Duration
}

// slowSync is the sync time the report counts as a stall: the ratings'
// p99 target with think time.
const slowSync = 15 * time.Millisecond

// probeDisk syncs a scratch file in dir every interval until ctx is done.
func probeDisk(ctx context.Context, dir string, interval time.Duration) (*diskReport, error) {
	f, err := os.CreateTemp(dir, ".flashload-probe-*")
	if err != nil {
		return nil, fmt.Errorf("disk probe: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	block := make([]byte, 4096)
	r := &diskReport{}
	start := time.Now()
	t := time.NewTicker(interval)
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			r.ran = time.Since(start)
			slices.Sort(r.syncs)
			return r, nil
		case <-t.C:
		}
		block[0] = byte(i)
		if _, err := f.WriteAt(block, int64(i%16)*4096); err != nil {
			return nil, fmt.Errorf("disk probe: %w", err)
		}
		began := time.Now()
		if err := f.Sync(); err != nil {
			return nil, fmt.Errorf("disk probe: %w", err)
		}
		d := time.Since(began)
		r.syncs = append(r.syncs, d)
		if d > slowSync {
			r.slow++
			r.stalled += d
		}
	}
}

// String is the report's line of flashload's output.
func (r *diskReport) String() string {
	share := 0.0
	if r.ran > 0 {
		share = 100 * float64(r.stalled) / float64(r.ran)
	}
	return fmt.Sprintf("disk_syncs=%d sync_p50_ms=%.2f sync_p99_ms=%.2f sync_max_ms=%.1f syncs_over_15ms=%d stalled_pct=%.2f",
		len(r.syncs), percentile(r.syncs, 50), percentile(r.syncs, 99), percentile(r.syncs, 100), r.slow, share)
}
