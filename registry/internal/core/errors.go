package core

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Kind classifies an Error; each kind maps to one RPC status code.
type Kind int

// Error kinds.
const (
	KindInternal Kind = iota
	KindInvalidArgument
	KindNotFound
	KindAlreadyExists
	KindPermissionDenied
	KindFailedPrecondition
	KindUnauthenticated
	KindResourceExhausted
	KindAborted
	// KindUnavailable is a refusal to be retried, perhaps elsewhere: the
	// process is shutting down.
	KindUnavailable
)

// FieldViolation names a request field and says what is wrong with it.
type FieldViolation struct {
	Field       string
	Description string
}

// Error is the registry's error. Its Message is safe to show to the caller;
// Violations list the offending fields of a KindInvalidArgument error.
type Error struct {
	Kind       Kind
	Message    string
	Violations []FieldViolation
}

func (e *Error) Error() string {
	if len(e.Violations) == 0 {
		return e.Message
	}
	parts := make([]string, len(e.Violations))
	for i, v := range e.Violations {
		parts[i] = v.Field + ": " + v.Description
	}
	return e.Message + ": " + strings.Join(parts, "; ")
}

// Bounds on what an error tells, so that no request, however large, gets
// a large answer.
const (
	// MaxViolations is the most field violations one error lists.
	MaxViolations = 20
	// maxMessageLen bounds an error's message, in bytes.
	maxMessageLen = 1024
	// maxFieldLen and maxDescriptionLen bound one violation, in bytes.
	MaxFieldLen       = 128
	MaxDescriptionLen = 512
)

func NewError(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: Truncate(fmt.Sprintf(format, args...), maxMessageLen)}
}

// Truncate cuts s to at most n bytes on a character boundary, marking the
// cut with an ellipsis.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func NotFound(format string, args ...any) *Error {
	return NewError(KindNotFound, format, args...)
}

func PermissionDenied(format string, args ...any) *Error {
	return NewError(KindPermissionDenied, format, args...)
}

func FailedPrecondition(format string, args ...any) *Error {
	return NewError(KindFailedPrecondition, format, args...)
}

func AlreadyExists(format string, args ...any) *Error {
	return NewError(KindAlreadyExists, format, args...)
}

// InvalidField is a KindInvalidArgument error about one field.
func InvalidField(field, description string) error {
	return (&Violations{}).Add(field, description).Err()
}

// KindOf returns err's Kind, or KindInternal for errors that are not *Error.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// Violations collects field violations while a request is validated. It
// keeps the first MaxViolations and counts the rest.
type Violations struct {
	List    []FieldViolation
	omitted int
}

func (v *Violations) Add(field, description string) *Violations {
	if len(v.List) >= MaxViolations {
		v.omitted++
		return v
	}
	v.List = append(v.List, FieldViolation{Field: Truncate(field, MaxFieldLen), Description: Truncate(description, MaxDescriptionLen)})
	return v
}

// full reports whether no more violations will be listed, so that long
// lists can stop being checked.
func (v *Violations) full() bool { return len(v.List) >= MaxViolations }

// Err returns nil when nothing was added.
func (v *Violations) Err() error {
	if len(v.List) == 0 {
		return nil
	}
	msg := "invalid request"
	if v.omitted > 0 {
		msg = fmt.Sprintf("invalid request (%d more violations not listed)", v.omitted)
	}
	return &Error{Kind: KindInvalidArgument, Message: msg, Violations: v.List}
}
