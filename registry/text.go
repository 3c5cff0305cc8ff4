package registry

import (
	"fmt"
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
