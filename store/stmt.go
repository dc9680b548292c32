package store

import (
	"context"
	"database/sql"
	"sync"

	"github.com/jmoiron/sqlx"
)

// stmtCache keeps one prepared statement per query text for a pool, so
// hot queries are parsed once, not on every request (parsing was a third
// of a busy server's time).
type stmtCache struct {
	pool *sqlx.DB
	mu   sync.Mutex
	m    map[string]*sqlx.Stmt
}

func newStmtCache(pool *sqlx.DB) *stmtCache {
	return &stmtCache{pool: pool, m: map[string]*sqlx.Stmt{}}
}

// get returns the prepared statement for query, preparing it once.
func (c *stmtCache) get(ctx context.Context, query string) (*sqlx.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[query]; ok {
		return st, nil
	}
	st, err := c.pool.PreparexContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.m[query] = st
	return st, nil
}

// close closes every cached statement.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		st.Close()
	}
	c.m = nil
}

// cached runs queries through a statement cache, on its pool or inside a
// transaction of that pool. It satisfies sqlx.QueryerContext and
// sqlx.ExecerContext, so sqlx.GetContext and friends take it.
type cached struct {
	c  *stmtCache
	tx *sqlx.Tx // nil outside a transaction
}

// lookup returns the cached statement for query, or nil.
func (c *stmtCache) lookup(query string) *sqlx.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[query]
}

// warm prepares queries ahead of use. Statements used inside write
// transactions must be warmed: the writer pool has one connection, which
// a transaction holds, so nothing can be prepared on the pool meanwhile.
func (c *stmtCache) warm(ctx context.Context, queries ...string) error {
	for _, q := range queries {
		if _, err := c.get(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// stmt returns the cached statement for query, bound to the transaction
// if there is one; nil when a transaction's query was not warmed (it then
// runs unprepared on the transaction).
func (q cached) stmt(ctx context.Context, query string) (*sqlx.Stmt, error) {
	if q.tx == nil {
		return q.c.get(ctx, query)
	}
	if st := q.c.lookup(query); st != nil {
		return q.tx.StmtxContext(ctx, st), nil
	}
	return nil, nil
}

func (q cached) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := q.stmt(ctx, query)
	switch {
	case err != nil:
		return nil, err
	case st == nil:
		return q.tx.QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

func (q cached) QueryxContext(ctx context.Context, query string, args ...any) (*sqlx.Rows, error) {
	st, err := q.stmt(ctx, query)
	switch {
	case err != nil:
		return nil, err
	case st == nil:
		return q.tx.QueryxContext(ctx, query, args...)
	}
	return st.QueryxContext(ctx, args...)
}

func (q cached) QueryRowxContext(ctx context.Context, query string, args ...any) *sqlx.Row {
	st, err := q.stmt(ctx, query)
	switch {
	case st == nil && q.tx != nil:
		return q.tx.QueryRowxContext(ctx, query, args...)
	case err != nil:
		// Let the pool report the same error through a Row.
		return q.c.pool.QueryRowxContext(ctx, query, args...)
	}
	return st.QueryRowxContext(ctx, args...)
}

func (q cached) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := q.stmt(ctx, query)
	switch {
	case err != nil:
		return nil, err
	case st == nil:
		return q.tx.ExecContext(ctx, query, args...)
	}
	return st.ExecContext(ctx, args...)
}

// tq returns a cached queryer for a write transaction.
func (db *DB) tq(tx *sqlx.Tx) cached { return cached{c: db.rwStmts, tx: tx} }
