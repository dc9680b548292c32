package store

import (
	"errors"
	"fmt"
)

// Code classifies an error for callers: the web server maps each code to
// an HTTP status in one table.
type Code string

// The error codes.
const (
	ENotFound     Code = "not_found"    // no such row, or not the caller's
	EInvalid      Code = "invalid"      // the input breaks a rule
	EConflict     Code = "conflict"     // the row changed or already exists
	EUnauthorized Code = "unauthorized" // not logged in
	EForbidden    Code = "forbidden"    // logged in, but not allowed
	EBusy         Code = "busy"         // overloaded or locked: try again soon
	EInternal     Code = "internal"     // anything else
)

// Error is an error with a code and a message that is safe to show a user.
type Error struct {
	Code    Code
	Message string
	Err     error // the underlying error, if any (a driver's)
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err: its *Error's code, or EInternal for
// any other non-nil error.
func ErrorCode(err error) Code {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	}
	return EInternal
}

// ErrorMessage returns the message of err's *Error, or a generic message
// that reveals nothing internal.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}
