package store

// PostgreSQL: the same store on a server database, for several flashd
// replicas behind a load balancer. The store's SQL is written once, with
// ? placeholders and portable SQL; what differs lives here and in the
// few places that ask db.pg:
//
//   - The pool is pgx's database/sql driver (jackc/pgx/v5/stdlib) under
//     sqlx, wrapped so that every statement is rebound to $1, $2, ...
//     (sqlx.Rebind, cached per query text) and Go booleans travel as the
//     0/1 integers both schemas store flags as.
//   - There is no single writer: each write is a SERIALIZABLE transaction
//     of its own, run again from the start when PostgreSQL reports a
//     serialization failure or a deadlock (see writePostgres). Write
//     bodies are therefore written to be safe to run twice: all they
//     compute is set inside the transaction, from scratch.
//   - Reads run in REPEATABLE READ read-only transactions: one snapshot
//     per read, as SQLite gives.
//   - The log-in throttle's writes take turns under a table lock and
//     commit without waiting for the WAL flush (see writeAttempts in
//     throttle.go).
//   - Migrations come from migrations.Postgres and run under an advisory
//     lock (see migrate), as does the built-in deck import (see
//     ImportBuiltin), so replicas starting together do each once; sign-ups
//     queue on a lock of the users table (see createUser).

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/jmoiron/sqlx"
)

// IsPostgres reports whether target names a PostgreSQL database (a
// postgres:// or postgresql:// URL) rather than a SQLite file.
func IsPostgres(target string) bool {
	return strings.HasPrefix(target, "postgres://") || strings.HasPrefix(target, "postgresql://")
}

// Redact returns target fit for a log line: a PostgreSQL URL without its
// password; a file path as it is.
func Redact(target string) string {
	if !IsPostgres(target) {
		return target
	}
	u, err := url.Parse(target)
	if err != nil {
		return "postgres://(unparsable URL)"
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// PostgresPool is the number of connections one flashd process opens to
// PostgreSQL at most. Replicas times this must stay under the server's
// max_connections.
const PostgresPool = 16

// openPostgres opens the PostgreSQL database at url and migrates it.
func openPostgres(ctx context.Context, target string) (*DB, error) {
	cfg, err := pgx.ParseConfig(target)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", Redact(target), err)
	}
	pool := sqlx.NewDb(sql.OpenDB(rebindConnector{stdlib.GetConnector(*cfg)}), "pgx")
	pool.SetMaxOpenConns(PostgresPool)
	pool.SetMaxIdleConns(PostgresPool)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	db := &DB{rw: pool, ro: pool, pg: true, path: Redact(target), Now: time.Now, optimizerSlot: make(chan struct{}, 1)}
	db.stopping, db.stop = context.WithCancel(context.Background())
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open %s: %w", db.path, err)
	}
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("migrate %s: %w", db.path, err)
	}
	db.readSlots = make(chan struct{}, PostgresPool/2)
	db.attemptSlots = newAttemptSlots()
	db.rq = cached{c: newStmtCache(pool)}
	db.rwStmts = newStmtCache(pool)
	return db, nil
}

// rebindConnector makes pgx's connections take the store's SQL.
type rebindConnector struct{ driver.Connector }

func (c rebindConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return rebindConn{conn.(*stdlib.Conn)}, nil
}

// rebindConn is a pgx connection that rebinds each statement's
// placeholders; every other method is pgx's own.
type rebindConn struct{ *stdlib.Conn }

// rebound caches sqlx.Rebind's answers: the store has a few hundred
// distinct statements, each run many times. Statements with a list of
// placeholders (IN (?, ?, ...)) differ by the list's length, so the cache
// stops growing at maxRebound entries; others are rebound each time.
var (
	rebound  sync.Map // string -> string
	nRebound atomic.Int64
)

const maxRebound = 2048

func rebind(query string) string {
	if q, ok := rebound.Load(query); ok {
		return q.(string)
	}
	q := sqlx.Rebind(sqlx.DOLLAR, query)
	if nRebound.Add(1) <= maxRebound {
		rebound.Store(query, q)
	}
	return q
}

func (c rebindConn) Prepare(query string) (driver.Stmt, error) {
	return c.Conn.Prepare(rebind(query))
}

func (c rebindConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.Conn.PrepareContext(ctx, rebind(query))
}

func (c rebindConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return c.Conn.ExecContext(ctx, rebind(query), args)
}

func (c rebindConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	return c.Conn.QueryContext(ctx, rebind(query), args)
}

// CheckNamedValue passes a Go bool as the 0/1 integer the schema stores.
func (c rebindConn) CheckNamedValue(nv *driver.NamedValue) error {
	if b, ok := nv.Value.(bool); ok {
		nv.Value = int64(0)
		if b {
			nv.Value = int64(1)
		}
	}
	return c.Conn.CheckNamedValue(nv)
}

// The PostgreSQL error codes the store acts on.
const (
	pgUniqueViolation      = "23505"
	pgSerializationFailure = "40001"
	pgDeadlockDetected     = "40P01"
	pgLockNotAvailable     = "55P03"
)

// pgCode returns err's PostgreSQL error code, or "".
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// retryable reports whether a transaction that failed with err may simply
// be run again: PostgreSQL chose it as the loser of a conflict.
func retryable(err error) bool {
	switch pgCode(err) {
	case pgSerializationFailure, pgDeadlockDetected:
		return true
	}
	return false
}

// translatePostgres maps PostgreSQL's errors to the store's codes, by
// code as translate does for SQLite.
func translatePostgres(err error) error {
	switch pgCode(err) {
	case pgUniqueViolation:
		return &Error{Code: EConflict, Message: "That already exists.", Err: err}
	case pgSerializationFailure, pgDeadlockDetected, pgLockNotAvailable:
		return &Error{Code: EBusy, Message: "The server is busy: try again in a moment.", Err: err}
	}
	return err
}

// maxAttempts bounds how often a write runs after serialization failures
// before its caller is told the server is busy.
const maxAttempts = 10

// writePostgres runs fn in a SERIALIZABLE transaction, again from the
// start (after a short random pause) while PostgreSQL reports that it
// lost a conflict with another transaction.
func (db *DB) writePostgres(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	var err error
	for attempt := 0; attempt < maxAttempts; attempt++ {
		if attempt > 0 {
			pause := time.Duration(rand.Int64N(int64(time.Millisecond) << min(attempt, 6)))
			select {
			case <-time.After(pause):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if err = db.writeOnce(ctx, fn); !retryable(err) {
			break
		}
		db.retries.Add(1)
	}
	return translatePostgres(err)
}

// writeOnce runs fn in one SERIALIZABLE transaction. When ctx ends
// meanwhile, database/sql rolls the transaction back under fn, whose next
// statement (or the commit) then reports sql.ErrTxDone or a closed
// connection: that error is ctx's, and is returned as such, so that the
// caller sees its deadline, not an internal error.
func (db *DB) writeOnce(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := db.rw.BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelSerializable})
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return orContextErr(ctx, err)
	}
	return orContextErr(ctx, tx.Commit())
}

// orContextErr returns err, or ctx's error in its place when ctx has
// ended and err is not already it.
func orContextErr(ctx context.Context, err error) error {
	if err == nil || ctx.Err() == nil || errors.Is(err, ctx.Err()) {
		return err
	}
	return fmt.Errorf("%w (%v)", ctx.Err(), err)
}

// advisoryLock holds PostgreSQL's session advisory lock key on a
// connection of its own until the returned function is called: what
// replicas starting together take turns at (migrations, the built-in
// decks).
func (db *DB) advisoryLock(ctx context.Context, key int64) (unlock func(), err error) {
	conn, err := db.rw.Connx(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(?)`, key); err != nil {
		conn.Close()
		return nil, err
	}
	return func() {
		conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock(?)`, key)
		conn.Close()
	}, nil
}

// The advisory lock keys (any fixed numbers, unique to flashd's uses).
const (
	lockMigrations = 0x666c617368640001 // "flashd" 1
	lockBuiltin    = 0x666c617368640002
)
