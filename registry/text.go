package registry

import (
	"fmt"
	"github.com/google/uuid"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text limits, in characters.
const (
	maxNameLen     = 200
	maxDistrictLen = 50
	maxDocumentLen = 100
	maxReasonLen   = 1000
	maxNoteLen     = 2000
	maxQueryLen    = 200
)

// cleanText trims a single-line value and checks it is valid UTF-8 without
// control characters and at most max characters long, adding a violation
// for field otherwise. Empty values are reported only when required.
func cleanText(v *violations, field, value string, max int, required bool) string {
	return checkText(v, field, value, max, required, func(r rune) bool { return unicode.IsControl(r) })
}

// cleanMultiline is cleanText for free text, where line breaks and tabs
// are allowed.
func cleanMultiline(v *violations, field, value string, max int, required bool) string {
	return checkText(v, field, value, max, required, func(r rune) bool {
		return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t'
	})
}

func checkText(v *violations, field, value string, max int, required bool, forbidden func(rune) bool) string {
	value = strings.TrimSpace(value)
	switch {
	case value == "":
		if required {
			v.add(field, "is required")
		}
	case !utf8.ValidString(value):
		v.add(field, "must be valid UTF-8")
	case utf8.RuneCountInString(value) > max:
		v.add(field, fmt.Sprintf("must be at most %d characters", max))
	case strings.IndexFunc(value, forbidden) >= 0:
		v.add(field, "must not contain control characters")
	default:
		return value
	}
	return ""
}

// checkID validates a registry id (a UUID in canonical text form), adding
// a violation for field when it is malformed, or missing and required.
// Ids are checked before they reach a query, so every database answers a
// malformed id the same way.
func checkID(v *violations, field, id string, required bool) string {
	switch {
	case id == "":
		if required {
			v.add(field, "is required")
		}
	case !isID(id):
		v.add(field, "is not a registry id")
	default:
		return id
	}
	return ""
}

func isID(id string) bool {
	u, err := uuid.Parse(id)
	return err == nil && u.String() == id
}

// requireID is checkID for a call whose only input is the id.
func requireID(field, id string) error {
	v := &violations{}
	checkID(v, field, id, true)
	return v.err()
}
