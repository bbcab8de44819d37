// Package errs is the one error shape the application shows to people and to
// API clients: a code that decides the HTTP status, a safe message key from
// the message catalogue, and optionally the field it concerns. The wrapped
// cause is for the log only, never for the client, and must not carry
// personal data.
package errs

import (
	"errors"
	"strings"
)

// Code classifies an error for the caller; handlers map it to a status.
type Code string

const (
	Invalid         Code = "invalid"         // the input is wrong; nothing changed
	NotFound        Code = "not_found"       // no such record, or the actor may not know it exists
	Conflict        Code = "conflict"        // a unique value is taken, or the record changed since it was read
	Unavailable     Code = "unavailable"     // the database is busy or unreachable; try again
	Unauthenticated Code = "unauthenticated" // sign in first
	Forbidden       Code = "forbidden"       // signed in, but not allowed
	Internal        Code = "internal"        // a fault of ours; the log has the cause
)

// Error is an application error with a safe message.
type Error struct {
	Code Code
	// Key is a message catalogue key; the page or API body shows its text.
	Key string
	// Field names the input field at fault, for Invalid errors.
	Field string
	// Args fill placeholders in the catalogue text (never personal data).
	Args []any
	// Refusal, when set, is the access policy's no that this error
	// answers: where the request ends, it goes into the audit trail.
	Refusal *Refusal
	cause   error
}

// Refusal is what the access policy refused: who asked to do what to
// which record, and the policy's reason. It names records by kind and ID
// only, never by anything personal.
type Refusal struct {
	ActorID    string
	Action     string
	RecordKind string
	RecordID   string
	Reason     string
}

// Refused returns the error that answers a refusal: NotFound when the
// actor must not learn the record exists, else Forbidden.
func Refused(hidden bool, r Refusal) *Error {
	if hidden {
		return &Error{Code: NotFound, Key: "error.not_found", Refusal: &r}
	}
	return &Error{Code: Forbidden, Key: "error.forbidden", Refusal: &r}
}

// RefusalOf returns the refusal err answers, or nil.
func RefusalOf(err error) *Refusal {
	var e *Error
	if errors.As(err, &e) {
		return e.Refusal
	}
	return nil
}

func (e *Error) Error() string {
	s := string(e.Code) + ": " + e.Key
	if e.Field != "" {
		s += " (" + e.Field + ")"
	}
	if e.cause != nil {
		s += ": " + e.cause.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.cause }

// New returns an error with a code and a catalogue key.
func New(code Code, key string, args ...any) *Error {
	return &Error{Code: code, Key: key, Args: args}
}

// Field returns an Invalid error about one input field.
func Field(field, key string, args ...any) *Error {
	return &Error{Code: Invalid, Key: key, Field: field, Args: args}
}

// Wrap attaches a cause (for the log) to a safe error. A refusal the
// cause answers stays with it, so that it is still recorded.
func Wrap(cause error, code Code, key string) *Error {
	return &Error{Code: code, Key: key, Refusal: RefusalOf(cause), cause: cause}
}

// CodeOf returns the code of err, or Internal for errors that are not ours.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var fs Fields
	if errors.As(err, &fs) {
		return Invalid
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// As returns err as an *Error, turning foreign errors into Internal ones so
// that their text never reaches a client.
func As(err error) *Error {
	var fs Fields
	if errors.As(err, &fs) && len(fs) > 0 {
		return fs[0]
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: Internal, Key: "error.internal", cause: err}
}

// Fields is every field error of one form or API body, so the person sees
// all of them at once rather than one per attempt.
type Fields []*Error

func (f Fields) Error() string {
	var b strings.Builder
	for i, e := range f {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap gives the members, so errors.Is and errors.As see each one.
func (f Fields) Unwrap() []error {
	out := make([]error, len(f))
	for i, e := range f {
		out[i] = e
	}
	return out
}

// Names lists the fields at fault, in order.
func (f Fields) Names() []string {
	out := make([]string, len(f))
	for i, e := range f {
		out[i] = e.Field
	}
	return out
}

// Add appends a field error.
func (f *Fields) Add(field, key string, args ...any) { *f = append(*f, Field(field, key, args...)) }

// Err is f as an error, or nil when there is none.
func (f Fields) Err() error {
	if len(f) == 0 {
		return nil
	}
	return f
}

// Collect gathers the non-nil errors of a validation into Fields: nil when
// there are none. Errors that are not field errors are returned alone,
// since they are not about the input.
func Collect(list ...error) error {
	var out Fields
	for _, err := range list {
		if err == nil {
			continue
		}
		var fs Fields
		if errors.As(err, &fs) {
			out = append(out, fs...)
			continue
		}
		e := As(err)
		if e.Field == "" {
			return err
		}
		out = append(out, e)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// AllFields returns the field errors err carries: every one of a Fields,
// or the one of a single field error; none for anything else.
func AllFields(err error) []*Error {
	var fs Fields
	if errors.As(err, &fs) {
		return fs
	}
	var e *Error
	if errors.As(err, &e) && e.Field != "" {
		return []*Error{e}
	}
	return nil
}
