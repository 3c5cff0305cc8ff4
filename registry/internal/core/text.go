package core

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/hangzhou-ai/registry/ident"
)

// Text limits, in characters.
const (
	MaxNameLen     = 200
	maxDistrictLen = 50
	MaxDocumentLen = 100
	MaxReasonLen   = 1000
	MaxNoteLen     = 2000
	MaxQueryLen    = 200
)

// CleanText trims a single-line value and checks it is valid UTF-8 without
// control characters and at most max characters long, adding a violation
// for field otherwise. Empty values are reported only when required.
//
// Names and other single-line values are refused when they start with a
// character a spreadsheet reads as a formula (= + - @), so no exported cell
// can become one; every text is refused when it holds bidirectional
// controls, which make text display differently from what it says.
func CleanText(v *Violations, field, value string, max int, required bool) string {
	value = checkText(v, field, value, max, required, func(r rune) bool { return unicode.IsControl(r) })
	if value != "" && strings.ContainsRune(formulaLeads, rune(value[0])) {
		v.Add(field, "must not start with = + - or @")
		return ""
	}
	return value
}

// formulaLeads are the first characters that make a spreadsheet cell a formula.
const formulaLeads = "=+-@"

// isBidiControl reports the Unicode bidirectional formatting characters:
// embeddings and overrides (U+202A–U+202E), isolates (U+2066–U+2069) and
// the marks U+200E, U+200F and U+061C.
func isBidiControl(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || r == 0x200E || r == 0x200F || r == 0x061C
}

// CleanMultiline is CleanText for free text, where line breaks and tabs
// are allowed.
func CleanMultiline(v *Violations, field, value string, max int, required bool) string {
	return checkText(v, field, value, max, required, func(r rune) bool {
		return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t'
	})
}

func checkText(v *Violations, field, value string, max int, required bool, forbidden func(rune) bool) string {
	value = strings.TrimSpace(value)
	switch {
	case value == "":
		if required {
			v.Add(field, "is required")
		}
	case !utf8.ValidString(value):
		v.Add(field, "must be valid UTF-8")
	case utf8.RuneCountInString(value) > max:
		v.Add(field, fmt.Sprintf("must be at most %d characters", max))
	case strings.IndexFunc(value, forbidden) >= 0:
		v.Add(field, "must not contain control characters")
	case strings.IndexFunc(value, isBidiControl) >= 0:
		v.Add(field, "must not contain bidirectional control characters (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C)")
	default:
		return value
	}
	return ""
}

// CheckID validates a registry id (a UUID in canonical text form), adding
// a violation for field when it is malformed, or missing and required.
// Ids are checked before they reach a query, so every database answers a
// malformed id the same way.
func CheckID(v *Violations, field, id string, required bool) string {
	switch {
	case id == "":
		if required {
			v.Add(field, "is required")
		}
	case !isID(id):
		v.Add(field, "is not a registry id")
	default:
		return id
	}
	return ""
}

func isID(id string) bool {
	u, err := uuid.Parse(id)
	return err == nil && u.String() == id
}

// RequireID is checkID for a call whose only input is the id.
func RequireID(field, id string) error {
	v := &Violations{}
	CheckID(v, field, id, true)
	return v.Err()
}

// CreditCode validates a credit code field and returns it normalised.
func CreditCode(v *Violations, field, value string, required bool) string {
	code := ident.NormalizeCreditCode(value)
	if code == "" {
		if required {
			v.Add(field, "is required")
		}
		return ""
	}
	if err := ident.ValidateCreditCode(code); err != nil {
		v.Add(field, "is not a valid unified social credit code: "+err.Error())
		return ""
	}
	return code
}

// CodePattern is the form of park codes and benefit names.
var CodePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,49}$`)

func CheckCode(v *Violations, field, code string) string {
	if !CodePattern.MatchString(code) {
		v.Add(field, "must be 1-50 lower-case letters, digits and hyphens, starting with a letter or digit")
		return ""
	}
	return code
}
