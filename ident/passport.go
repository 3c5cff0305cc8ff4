package ident

import (
	"strings"
	"unicode/utf8"
)

// Length limits of a passport number.
const (
	passportMinLen = 5
	passportMaxLen = 20
)

// NormalizePassport trims surrounding white space and upper-cases s.
func NormalizePassport(s string) string {
	return strings.ToUpper(strings.TrimSpace(s))
}

// ValidatePassport checks that p is 5 to 20 characters, each an upper-case
// ASCII letter or a digit. It returns nil or a *Violation.
func ValidatePassport(p string) error {
	n := utf8.RuneCountInString(p)
	if n < passportMinLen || n > passportMaxLen {
		return violationf("must be %d to %d characters, got %d", passportMinLen, passportMaxLen, n)
	}
	pos := 0
	for i, r := range p {
		pos++
		if !isUpperASCII(r) && !(r >= '0' && r <= '9') {
			return charViolation(p, i, pos, r, "is not allowed (only A-Z and 0-9)")
		}
	}
	return nil
}

// MaskPassport keeps the first 2 and last 2 characters of p and replaces
// every other character with '*'. A p of 4 characters or fewer is masked
// entirely. p is not validated.
func MaskPassport(p string) string {
	return mask(p, 2, 2)
}

// NormalizeNationality trims surrounding white space and upper-cases s.
func NormalizeNationality(s string) string {
	return strings.ToUpper(strings.TrimSpace(s))
}

// ValidateNationality checks that n has the form of an ISO 3166-1 alpha-2
// country code: exactly two upper-case ASCII letters. It does not check that
// the code is currently assigned. It returns nil or a *Violation.
func ValidateNationality(n string) error {
	if c := utf8.RuneCountInString(n); c != 2 {
		return violationf("must be 2 characters, got %d", c)
	}
	pos := 0
	for i, r := range n {
		pos++
		if !isUpperASCII(r) {
			return charViolation(n, i, pos, r, "is not allowed (only A-Z)")
		}
	}
	return nil
}

// isUpperASCII reports whether r is in 'A'-'Z'.
func isUpperASCII(r rune) bool { return r >= 'A' && r <= 'Z' }

// mask keeps the first head and last tail characters (runes) of s and
// replaces the others with '*'. If s has head+tail characters or fewer, every
// character is replaced. Bytes that are not valid UTF-8 count as one
// character each and, if kept, appear as U+FFFD.
func mask(s string, head, tail int) string {
	runes := []rune(s)
	n := len(runes)
	if n <= head+tail {
		return strings.Repeat("*", n)
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(string(runes[:head]))
	b.WriteString(strings.Repeat("*", n-head-tail))
	b.WriteString(string(runes[n-tail:]))
	return b.String()
}
