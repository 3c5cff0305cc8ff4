package registry

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
	maxFieldLen       = 128
	maxDescriptionLen = 512
)

func newError(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: truncate(fmt.Sprintf(format, args...), maxMessageLen)}
}

// truncate cuts s to at most n bytes on a character boundary, marking the
// cut with an ellipsis.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func notFound(format string, args ...any) *Error {
	return newError(KindNotFound, format, args...)
}

func permissionDenied(format string, args ...any) *Error {
	return newError(KindPermissionDenied, format, args...)
}

func failedPrecondition(format string, args ...any) *Error {
	return newError(KindFailedPrecondition, format, args...)
}

func alreadyExists(format string, args ...any) *Error {
	return newError(KindAlreadyExists, format, args...)
}

// invalidField is a KindInvalidArgument error about one field.
func invalidField(field, description string) error {
	return (&violations{}).add(field, description).err()
}

// KindOf returns err's Kind, or KindInternal for errors that are not *Error.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// violations collects field violations while a request is validated. It
// keeps the first MaxViolations and counts the rest.
type violations struct {
	list    []FieldViolation
	omitted int
}

func (v *violations) add(field, description string) *violations {
	if len(v.list) >= MaxViolations {
		v.omitted++
		return v
	}
	v.list = append(v.list, FieldViolation{Field: truncate(field, maxFieldLen), Description: truncate(description, maxDescriptionLen)})
	return v
}

// full reports whether no more violations will be listed, so that long
// lists can stop being checked.
func (v *violations) full() bool { return len(v.list) >= MaxViolations }

// err returns nil when nothing was added.
func (v *violations) err() error {
	if len(v.list) == 0 {
		return nil
	}
	msg := "invalid request"
	if v.omitted > 0 {
		msg = fmt.Sprintf("invalid request (%d more violations not listed)", v.omitted)
	}
	return &Error{Kind: KindInvalidArgument, Message: msg, Violations: v.list}
}
