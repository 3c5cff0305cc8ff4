package registry

import (
	"errors"
	"fmt"
	"strings"
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

func newError(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
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

// violations collects field violations while a request is validated.
type violations struct{ list []FieldViolation }

func (v *violations) add(field, description string) *violations {
	v.list = append(v.list, FieldViolation{Field: field, Description: description})
	return v
}

// err returns nil when nothing was added.
func (v *violations) err() error {
	if len(v.list) == 0 {
		return nil
	}
	return &Error{Kind: KindInvalidArgument, Message: "invalid request", Violations: v.list}
}
