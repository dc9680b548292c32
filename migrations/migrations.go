// Package migrations holds flashd's database schema as numbered,
// forward-only SQL files (0001_name.sql, ...), one folder per engine:
// SQLite's at the top (FS) and PostgreSQL's in postgres/ (Postgres).
// store.Open applies the ones a database has not seen yet, each in its
// own transaction, in name order; on PostgreSQL under an advisory lock,
// so that replicas starting together never both migrate.
//
// PostgreSQL support began at 0016: its first file, 0016_schema.sql, is
// the schema SQLite's 0001 to 0016 build. Every later migration is a file
// of the same name in both folders. Never edit a file that has been
// released: add the next number instead.
package migrations

import (
	"embed"
	"io/fs"
)

//go:embed *.sql postgres/*.sql
var all embed.FS

// FS holds the SQLite migration files (its *.sql).
var FS fs.FS = all

// Postgres holds the PostgreSQL migration files (its *.sql).
var Postgres fs.FS

func init() {
	sub, err := fs.Sub(all, "postgres")
	if err != nil {
		panic(err)
	}
	Postgres = sub
}
