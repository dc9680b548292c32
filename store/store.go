// Package store keeps flashd's data in SQLite, through sqlx on the pure-Go
// modernc.org/sqlite driver, or in PostgreSQL through pgx (see
// postgres.go for what differs there). It is the only package that
// speaks SQL.
//
// A DB holds two pools on one file: a single writer connection, which one
// goroutine drives (SQLite allows one writer at a time; writes queue in Go,
// first in first out, and the waiting ones commit together: see
// writer.go), and a pool of read-only connections whose transactions begin
// deferred, so a read never waits for a write. Connection settings travel
// in the DSN so that every pooled connection gets them: WAL, busy_timeout,
// foreign_keys, synchronous=FULL (a commit is durable when it returns),
// and BEGIN IMMEDIATE for the writer.
//
// Times are INTEGER Unix milliseconds, UTC, taken from DB.Now so tests can
// move the clock. Every query on rows a user owns filters by that user.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/flashd/flashd/migrations"
)

// DB is an open flashd database.
type DB struct {
	rw   *sqlx.DB // one connection, for writes (PostgreSQL: the one pool)
	ro   *sqlx.DB // read-only connections (PostgreSQL: the same pool as rw)
	path string   // the SQLite file, or the PostgreSQL URL without its password
	pg   bool     // PostgreSQL

	rq      cached     // cached statements on ro, for hot reads
	rwStmts *stmtCache // cached statements on rw, for hot writes (see tq)

	writes     chan *writeJob // the writer's queue (see writer.go)
	writerDone chan struct{}
	writerStats
	readSlots chan struct{} // see readTx

	// Background work (the optimizer, optimize.go): stopping is cancelled
	// by Close, which then waits for background; optimizerSlot lets one
	// optimization run at a time.
	stopping      context.Context
	stop          context.CancelFunc
	background    sync.WaitGroup
	backgroundMu  sync.Mutex // guards closing and background.Add
	closing       bool
	optimizerSlot chan struct{}

	// The log-in throttle's sweeps (throttle.go): rows reserved through
	// this DB, and the cap and sweep interval when a test sets them (zero:
	// maxAttemptRows, attemptSweepEvery).
	attemptRows   atomic.Int64
	attemptLimits struct{ rows, every int }
	attemptSlots  attemptSlots // PostgreSQL only (see writeAttempts)

	checkpoints     *sqlx.DB // the checkpointer's own connection
	stopCheckpoints chan struct{}
	checkpointsDone chan struct{}

	// Now is the clock; tests replace it.
	Now func() time.Time
}

// DSN returns the data source name store.Open uses for path, with
// flashd's per-connection settings, for tools that measure raw SQLite on
// the same terms.
func DSN(path string, readOnly bool) string { return dsn(path, readOnly) }

// dsn builds a DSN for path with flashd's per-connection settings.
func dsn(path string, readOnly bool) string {
	q := []string{
		"_pragma=busy_timeout(10000)",
		"_pragma=journal_mode(WAL)",
		"_pragma=foreign_keys(1)",
		// FULL: a commit is on disk (the WAL is synced) when it returns,
		// so an acknowledged rating survives a power loss; group commit
		// (writer.go) shares one sync among the waiting ratings.
		"_pragma=synchronous(FULL)",
	}
	if readOnly {
		// Readers begin deferred: a read transaction takes no lock but
		// its snapshot, and never waits for the writer.
		q = append(q, "_pragma=query_only(1)", "_txlock=deferred")
	} else {
		q = append(q, "_txlock=immediate")
		// The writer never checkpoints on commit: a background goroutine
		// does (see checkpointer), so no rating waits for one.
		q = append(q, "_pragma=wal_autocheckpoint(0)")
	}
	return fileURI(path) + "?" + strings.Join(q, "&")
}

// Open opens (creating if needed) the database at path and applies the
// migrations it lacks. A path that is a postgres:// URL opens that
// PostgreSQL database instead of a SQLite file.
func Open(ctx context.Context, path string) (*DB, error) {
	return OpenWith(ctx, path, Options{})
}

// Options change how OpenWith opens a database.
type Options struct {
	// NoCheckpoint (SQLite) leaves the WAL to a program that copies it
	// elsewhere and checkpoints it itself, such as Litestream: flashd then
	// never checkpoints, neither every second nor at Close, so no frame
	// leaves the WAL before that program has read it.
	NoCheckpoint bool
}

// OpenWith is Open with options.
func OpenWith(ctx context.Context, path string, opt Options) (*DB, error) {
	if IsPostgres(path) {
		return openPostgres(ctx, path)
	}
	if err := createPrivate(path); err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	rw, err := sqlx.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	rw.SetMaxOpenConns(1)
	rw.SetConnMaxIdleTime(0)
	db := &DB{rw: rw, path: path, Now: time.Now, optimizerSlot: make(chan struct{}, 1)}
	db.stopping, db.stop = context.WithCancel(context.Background())
	if err := db.migrate(ctx); err != nil {
		rw.Close()
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	ro, err := sqlx.Open("sqlite", dsn(path, true))
	if err != nil {
		rw.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// Readers never wait for the writer (WAL), so a few per core keep the
	// cores busy while some wait on the disk. Review steps take one of
	// readSlots first (see readTx), leaving connections to spare for the
	// other reads, so the pool itself never keeps a step waiting.
	n := 4 * runtime.GOMAXPROCS(0)
	ro.SetMaxOpenConns(4 * n)
	ro.SetMaxIdleConns(4 * n)
	db.readSlots = make(chan struct{}, n)
	db.ro = ro
	db.rq = cached{c: newStmtCache(ro)}
	db.rwStmts = newStmtCache(rw)
	if err := db.rwStmts.warm(ctx, writeStatements...); err != nil {
		db.Close()
		return nil, fmt.Errorf("prepare statements: %w", err)
	}
	if err := db.rq.c.warm(ctx, queueStatements...); err != nil {
		db.Close()
		return nil, fmt.Errorf("prepare statements: %w", err)
	}
	db.startWriter()
	if opt.NoCheckpoint {
		return db, nil
	}
	if err := db.startCheckpointer(); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// goBackground counts a background goroutine about to start, unless the
// database is closing; a true answer must be followed by
// db.background.Done.
func (db *DB) goBackground() bool {
	db.backgroundMu.Lock()
	defer db.backgroundMu.Unlock()
	if db.closing {
		return false
	}
	db.background.Add(1)
	return true
}

// createPrivate creates the database file, empty and readable by its
// owner only, if it does not exist, so that SQLite (which gives its WAL
// and shared-memory files the database file's mode) never makes any of
// them readable by others.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return f.Close()
}

// CheckpointEvery is how often the WAL is copied back into the database
// file, off the request path.
const CheckpointEvery = time.Second

// startCheckpointer runs PASSIVE WAL checkpoints on a connection of their
// own: they copy committed pages into the database file without blocking
// readers or the writer.
func (db *DB) startCheckpointer() error {
	cp, err := sqlx.Open("sqlite", dsn(db.path, false))
	if err != nil {
		return err
	}
	cp.SetMaxOpenConns(1)
	db.checkpoints = cp
	db.stopCheckpoints = make(chan struct{})
	db.checkpointsDone = make(chan struct{})
	go func() {
		defer close(db.checkpointsDone)
		t := time.NewTicker(CheckpointEvery)
		defer t.Stop()
		for {
			select {
			case <-db.stopCheckpoints:
				return
			case <-t.C:
				cp.Exec(`PRAGMA wal_checkpoint(PASSIVE)`) // best effort; the next tick tries again
			}
		}
	}()
	return nil
}

// Close stops the checkpointer, folds the WAL back into the database file
// and closes both pools.
func (db *DB) Close() error {
	db.backgroundMu.Lock()
	db.closing = true
	db.backgroundMu.Unlock()
	db.stop()
	db.background.Wait()
	db.stopWriter()
	if db.pg {
		db.rq.c.close()
		db.rwStmts.close()
		return db.rw.Close()
	}
	if db.checkpoints != nil {
		close(db.stopCheckpoints)
		<-db.checkpointsDone
		db.checkpoints.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
		db.checkpoints.Close()
		db.checkpoints = nil
	}
	if db.rq.c != nil {
		db.rq.c.close()
	}
	if db.rwStmts != nil {
		db.rwStmts.close()
	}
	err := db.ro.Close()
	if err2 := db.rw.Close(); err == nil {
		err = err2
	}
	return err
}

// Ping checks that the database answers a query.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	return db.ro.GetContext(ctx, &one, `SELECT 1`)
}

// now returns the clock's time in Unix milliseconds.
func (db *DB) now() int64 { return db.Now().UnixMilli() }

// IsPostgres reports whether the database is PostgreSQL.
func (db *DB) IsPostgres() bool { return db.pg }

// migrationFiles returns the migrations for the database's engine, by
// name in the order they apply.
func (db *DB) migrationFiles() (fs.FS, []string, error) {
	dir := migrations.FS
	if db.pg {
		dir = migrations.Postgres
	}
	names, err := fs.Glob(dir, "*.sql")
	sort.Strings(names)
	return dir, names, err
}

// migrate applies the embedded migrations the database has not recorded,
// one transaction per file; on PostgreSQL under an advisory lock, so that
// of replicas starting together one migrates and the others then find
// nothing left to do.
func (db *DB) migrate(ctx context.Context) error {
	if db.pg {
		unlock, err := db.advisoryLock(ctx, lockMigrations)
		if err != nil {
			return err
		}
		defer unlock()
	}
	if _, err := db.rw.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		name       TEXT PRIMARY KEY,
		applied_at BIGINT NOT NULL
	)`); err != nil {
		return err
	}
	dir, names, err := db.migrationFiles()
	if err != nil {
		return err
	}
	for _, name := range names {
		err := db.write(ctx, func(tx *sqlx.Tx) error {
			var n int
			if err := tx.GetContext(ctx, &n, `SELECT COUNT(*) FROM schema_migrations WHERE name = ?`, name); err != nil || n > 0 {
				return err
			}
			body, err := fs.ReadFile(dir, name)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)`, name, db.now())
			return err
		})
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

// rowsAffected is a helper for statements that must touch a row.
func rowsAffected(res sql.Result) int64 {
	n, _ := res.RowsAffected()
	return n
}

// timeMS converts Unix milliseconds to a UTC time.
func timeMS(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// Backup writes a consistent copy of the database to path (which must not
// exist) with VACUUM INTO, while other connections and processes go on
// reading and writing: the copy is the database as of the moment the
// backup's read transaction began. The copy is written to a new file of
// mode 0600 beside path, its integrity checked, and then linked to path,
// which fails if anything (a file, a symbolic link) is there: a backup
// never writes through a link, and path is never a half-written copy.
func (db *DB) Backup(ctx context.Context, path string) error {
	if db.pg {
		return errors.New("backup: this database is PostgreSQL: back it up with pg_dump (one consistent snapshot, taken while flashd runs), e.g. pg_dump --format=custom --file=flashd.dump URL")
	}
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("backup %s: the file exists", path)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".flashd-backup-*.db") // mode 0600
	if err != nil {
		return fmt.Errorf("backup %s: %w", path, err)
	}
	tmpName := tmp.Name()
	tmp.Close()
	defer os.Remove(tmpName)
	// A connection of its own: VACUUM INTO is refused on the read-only
	// pool, and on the writer it would hold up every rating meanwhile.
	src, err := sqlx.Open("sqlite", dsn(db.path, false))
	if err != nil {
		return err
	}
	defer src.Close()
	if _, err := src.ExecContext(ctx, `VACUUM INTO ?`, tmpName); err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	if err := checkFile(ctx, tmpName); err != nil {
		return fmt.Errorf("backup %s: %w", path, err)
	}
	if err := os.Link(tmpName, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("backup %s: %w", path, err)
		}
		// A file system without hard links (FAT, some network mounts):
		// copy into a new file instead; O_EXCL refuses symbolic links too.
		if err := copyNew(tmpName, path); err != nil {
			return fmt.Errorf("backup %s: %w", path, err)
		}
	}
	return nil
}

// copyNew copies the file at from into a new file at to (mode 0600),
// which must not exist.
func copyNew(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		os.Remove(to)
		return err
	}
	if err := dst.Sync(); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

// checkFile runs SQLite's integrity check on the database file at path.
func checkFile(ctx context.Context, path string) error {
	cp, err := sqlx.Open("sqlite", fileURI(path)+"?mode=ro")
	if err != nil {
		return err
	}
	defer cp.Close()
	var result string
	if err := cp.GetContext(ctx, &result, `PRAGMA integrity_check`); err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	if result != "ok" {
		return fmt.Errorf("the copy failed its integrity check: %s", result)
	}
	return nil
}

// fileURI is the SQLite URI of the file at path, with "?" and "#" in the
// path escaped so they cannot start a query or fragment.
func fileURI(path string) string {
	return "file:" + strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
}

// IntegrityCheck runs SQLite's integrity check and returns its verdict
// ("ok" when the file is sound).
func (db *DB) IntegrityCheck(ctx context.Context) (string, error) {
	if db.pg {
		return "", errors.New("integrity check: this database is PostgreSQL, which checks its own pages (see pg_amcheck)")
	}
	var result string
	err := db.ro.GetContext(ctx, &result, `PRAGMA integrity_check`)
	return result, err
}
