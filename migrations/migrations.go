// Package migrations holds flashd's database schema as numbered,
// forward-only SQL files (0001_name.sql, ...). store.Open applies the ones a
// database has not seen yet, each in its own transaction, in name order.
// Never edit a file that has been released: add the next number instead.
package migrations

import "embed"

// FS holds the migration files.
//
//go:embed *.sql
var FS embed.FS
