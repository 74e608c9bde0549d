package coffer

import (
	"errors"
	"fmt"
)

// Code classifies an error. The HTTP adapter maps each code to a status in one place.
type Code string

// The error codes of the domain.
const (
	EINVALID      Code = "invalid"      // the request is malformed or fails validation
	EUNAUTHORIZED Code = "unauthorized" // no credentials, or wrong ones
	EFORBIDDEN    Code = "forbidden"    // valid credentials that may not do this
	ENOTFOUND     Code = "not_found"    // no such resource, or another platform's
	ECONFLICT     Code = "conflict"     // the resource exists already, or the change breaks a rule
	EUNAVAILABLE  Code = "unavailable"  // the database cannot be reached; retry later
	EINTERNAL     Code = "internal"     // a bug or an unexpected failure; details are logged, never shown
)

// Error is the one error type of Coffer. Key is the wire contract's i18nKey (such as "404.002"),
// Message a sentence for people, Fields the per-field failures. Err, when set, is the underlying
// cause: it is logged and never shown to a client.
type Error struct {
	Code    Code
	Key     string
	Message string
	Fields  []FieldError
	Err     error
}

// FieldError is one failed field, query parameter or path value.
type FieldError struct {
	Path         string
	Key          string
	Message      string
	InvalidValue any
	Constraint   string
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with a code, an i18n key and a message.
func Errorf(code Code, key, format string, args ...any) *Error {
	return &Error{Code: code, Key: key, Message: fmt.Sprintf(format, args...)}
}

// Internal wraps an unexpected error so that it is logged in full and masked on the wire.
func Internal(err error) *Error {
	return &Error{Code: EINTERNAL, Key: "500.000", Message: "An internal error occurred.", Err: err}
}

// ErrorCode returns the code of err, EINTERNAL for an error that is not an *Error, "" for nil.
func ErrorCode(err error) Code {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	default:
		return EINTERNAL
	}
}

// AsError returns err as an *Error, wrapping any other error as an internal one.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Internal(err)
}

// Validation collects field errors so that every bad field of a request is reported at once.
type Validation struct {
	Fields []FieldError
}

// Add records a failed field. Only the first failure of a path is kept: a field of the wrong JSON
// type reads as absent afterwards and must not also be reported as missing.
func (v *Validation) Add(path, key, constraint string, invalid any, format string, args ...any) {
	for _, f := range v.Fields {
		if f.Path == path {
			return
		}
	}
	v.Fields = append(v.Fields, FieldError{Path: path, Key: key, Message: fmt.Sprintf(format, args...), InvalidValue: invalid, Constraint: constraint})
}

// Err returns nil when nothing failed, else a 400 validation error listing every failed field.
func (v *Validation) Err() error {
	if len(v.Fields) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Key: "400.004", Message: "Validation failed.", Fields: v.Fields}
}

// NotFound returns the 404 for an identifier named in a request path.
func NotFound(key, path, id, message string) *Error {
	return &Error{Code: ENOTFOUND, Key: key, Message: message,
		Fields: []FieldError{{Path: path, Key: key, Message: fmt.Sprintf("%s %q was not found", path, id), InvalidValue: id, Constraint: "Exists"}}}
}

// Conflict returns the 409 for a value that is already taken.
func Conflict(key, path string, value any, message string) *Error {
	return &Error{Code: ECONFLICT, Key: key, Message: message,
		Fields: []FieldError{{Path: path, Key: key, Message: fmt.Sprintf("%s %v already exists", path, value), InvalidValue: value, Constraint: "Unique"}}}
}

// CustomerNotFound is the 404 for an unknown customer, or one of another platform.
func CustomerNotFound(id string) *Error {
	return NotFound("404.002", "customerIdentifier", id, "Customer not found.")
}
