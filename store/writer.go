package store

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/jmoiron/sqlx"
)

// Writes go through one goroutine, first in first out: it takes the
// oldest waiting write, then every write already waiting behind it (up to
// MaxBatch), runs each in a savepoint of one transaction, and commits
// them together (group commit). With synchronous=FULL a commit is durable
// when it returns, and one fsync then covers the whole batch. Each caller
// is answered after the commit that holds its write: a write is never
// acknowledged before it is on disk.
//
// A write that fails is rolled back to its savepoint and reported to its
// caller alone; the others in the batch commit. A write marked alone
// (imports and other long writes) runs in a transaction of its own, so a
// rating waits at most for the one write ahead of it.

// MaxBatch is the largest number of writes committed together.
const MaxBatch = 64

// writerStats counts the writer's transactions, for tests and figures.
type writerStats struct {
	commits atomic.Int64 // batch transactions begun
	retries atomic.Int64 // PostgreSQL: transactions run again after a serialization failure
}

// writeJob is one write waiting for the writer.
type writeJob struct {
	ctx   context.Context
	fn    func(tx *sqlx.Tx) error
	alone bool
	done  chan error
}

// startWriter starts the writer goroutine.
func (db *DB) startWriter() {
	db.writes = make(chan *writeJob, 4*MaxBatch)
	db.writerDone = make(chan struct{})
	go db.runWriter()
}

// stopWriter lets the writer finish what is queued and stops it.
func (db *DB) stopWriter() {
	if db.writes == nil {
		return
	}
	close(db.writes)
	<-db.writerDone
	db.writes = nil
}

// write runs fn in a write transaction and returns once it has committed
// (or failed). Writes are applied in the order they were asked for.
func (db *DB) write(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	return db.enqueue(ctx, fn, false)
}

// writeAlone is write for a long write: it runs in its own transaction.
func (db *DB) writeAlone(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	return db.enqueue(ctx, fn, true)
}

func (db *DB) enqueue(ctx context.Context, fn func(tx *sqlx.Tx) error, alone bool) error {
	if db.pg {
		// Many writers at once, across replicas: the database orders them.
		return db.writePostgres(ctx, fn)
	}
	if db.writes == nil {
		// Before the writer starts (migrations) writes run directly.
		return db.writeNow(ctx, fn)
	}
	job := &writeJob{ctx: ctx, fn: fn, alone: alone, done: make(chan error, 1)}
	select {
	case db.writes <- job:
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued, the job is answered: wait for it even if ctx ends, so
	// that an error return always means nothing was written.
	return <-job.done
}

// writeNow runs fn in a transaction of its own on the writer connection.
func (db *DB) writeNow(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := db.rw.BeginTxx(ctx, nil)
	if err != nil {
		return translate(err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return translate(err)
	}
	return translate(tx.Commit())
}

func (db *DB) runWriter() {
	defer close(db.writerDone)
	var held *writeJob // taken from the queue but not yet run
	for {
		job := held
		held = nil
		if job == nil {
			var ok bool
			if job, ok = <-db.writes; !ok {
				return
			}
		}
		if job.alone {
			job.done <- db.runAlone(job)
			continue
		}
		batch := []*writeJob{job}
	gather:
		for len(batch) < MaxBatch {
			select {
			case j, ok := <-db.writes:
				if !ok {
					break gather
				}
				if j.alone {
					held = j
					break gather
				}
				batch = append(batch, j)
			default:
				break gather
			}
		}
		db.runBatch(batch)
	}
}

// runAlone runs a job in its own transaction.
func (db *DB) runAlone(job *writeJob) error {
	if err := job.ctx.Err(); err != nil {
		return err
	}
	return db.writeNow(job.ctx, job.fn)
}

// runBatch runs jobs in savepoints of one transaction and answers each
// after the commit.
func (db *DB) runBatch(batch []*writeJob) {
	errs := make([]error, len(batch))
	// The transaction outlives any one job's context: a job whose request
	// ended is skipped or rolled back to its savepoint, not the batch.
	tx, err := db.rw.BeginTxx(context.Background(), nil)
	if err != nil {
		for _, j := range batch {
			j.done <- translate(err)
		}
		return
	}
	db.commits.Add(1)
	ok := 0
	for i, j := range batch {
		if err := j.ctx.Err(); err != nil {
			errs[i] = err
			continue
		}
		if len(batch) == 1 {
			errs[i] = j.fn(tx)
		} else {
			var broken error
			if errs[i], broken = db.inSavepoint(tx, j); broken != nil {
				// The transaction cannot be trusted: nothing commits.
				tx.Rollback()
				for _, j := range batch {
					j.done <- fmt.Errorf("write batch: %w", broken)
				}
				return
			}
		}
		if errs[i] == nil {
			ok++
		}
	}
	if len(batch) == 1 && errs[0] != nil {
		tx.Rollback()
		batch[0].done <- translate(errs[0])
		return
	}
	if ok == 0 {
		err = tx.Rollback()
	} else {
		err = tx.Commit()
	}
	for i, j := range batch {
		if errs[i] == nil && err != nil {
			errs[i] = fmt.Errorf("commit: %w", err)
		}
		j.done <- translate(errs[i])
	}
}

// The savepoint statements, prepared with the rating's statements.
const (
	savepointSQL  = `SAVEPOINT write_job`
	rollbackToSQL = `ROLLBACK TO write_job`
	releaseSQL    = `RELEASE write_job`
)

// inSavepoint runs one job of a batch in a savepoint. It returns the
// job's error, and broken when the transaction itself failed.
func (db *DB) inSavepoint(tx *sqlx.Tx, j *writeJob) (jobErr, broken error) {
	q, ctx := db.tq(tx), context.Background()
	if _, err := q.ExecContext(ctx, savepointSQL); err != nil {
		return err, err
	}
	if err := j.fn(tx); err != nil {
		// Undo this job's changes only; the batch goes on.
		if _, rerr := q.ExecContext(ctx, rollbackToSQL); rerr != nil {
			return err, rerr
		}
		if _, rerr := q.ExecContext(ctx, releaseSQL); rerr != nil {
			return err, rerr
		}
		return err, nil
	}
	if _, err := q.ExecContext(ctx, releaseSQL); err != nil {
		return err, err
	}
	return nil, nil
}
