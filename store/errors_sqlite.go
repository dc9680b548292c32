package store

import (
	"errors"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// translate maps SQLite's errors to the store's codes, by code and never
// by message text: a UNIQUE or PRIMARY KEY violation is a conflict, a
// lock held too long is busy. Errors that already carry a code, and all
// others, pass through unchanged.
func translate(err error) error {
	if pgCode(err) != "" {
		return translatePostgres(err)
	}
	var se *sqlite.Error
	if err == nil || !errors.As(err, &se) {
		return err
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return &Error{Code: EConflict, Message: "That already exists.", Err: err}
	}
	switch se.Code() & 0xff { // the primary code of an extended one
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return &Error{Code: EBusy, Message: "The server is busy: try again in a moment.", Err: err}
	}
	return err
}
