package ident

import (
	"strings"
	"time"
	"unicode/utf8"
)

// idNumberWeights are the ISO 7064 MOD 11-2 weights (2^(17-i) mod 11) of
// positions 1-17 of a resident identity number.
var idNumberWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// idNumberCheckChars maps the weighted sum modulo 11 to the check character.
const idNumberCheckChars = "10X98765432"

// NormalizeIDNumber trims surrounding white space from s and upper-cases a
// trailing 'x' check character. Other characters are left unchanged.
func NormalizeIDNumber(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasSuffix(s, "x") {
		s = s[:len(s)-1] + "X"
	}
	return s
}

// ValidateIDNumber checks that id is a well-formed 18-character resident
// identity number (GB 11643-1999): 17 digits followed by a check character
// (a digit or 'X'), a first digit from 1 to 8, a birth date YYYYMMDD at
// positions 7-14 that is a real calendar date in or after 1900 and not after
// the calendar date of today (taken in today's location), and a correct
// ISO 7064 MOD 11-2 check character.
//
// The number must already be normalised: a lower-case 'x' is rejected.
// It returns nil or a *Violation.
func ValidateIDNumber(id string, today time.Time) error {
	if n := utf8.RuneCountInString(id); n != 18 {
		return violationf("must be 18 characters, got %d", n)
	}
	if v := checkIDNumberStructure(id); v != nil {
		return v
	}
	by, bm, bd := idBirthDate(id)
	ty, tm, td := today.Date()
	if by > ty || by == ty && (bm > int(tm) || bm == int(tm) && bd > td) {
		return violationf("birth date %s is after today (%04d-%02d-%02d)", id[6:14], ty, int(tm), td)
	}
	want := idNumberCheck(id[:17])
	if id[17] != want {
		return violationf("check character should be '%c'", want)
	}
	return nil
}

// IDNumberCheckChar returns the check character (position 18) for the first
// 17 characters of a resident identity number. It returns a *Violation if
// first17 is not 17 digits with a first digit from 1 to 8 and a birth date
// that is a real calendar date in or after 1900; the birth date is not
// compared with the current date.
func IDNumberCheckChar(first17 string) (byte, error) {
	if n := utf8.RuneCountInString(first17); n != 17 {
		return 0, violationf("must be 17 characters, got %d", n)
	}
	if v := checkIDNumberStructure(first17); v != nil {
		return 0, v
	}
	return idNumberCheck(first17), nil
}

// CompleteIDNumber appends the check character to first17 and returns the
// full 18-character number, which ValidateIDNumber accepts for any today on
// or after the birth date.
func CompleteIDNumber(first17 string) (string, error) {
	c, err := IDNumberCheckChar(first17)
	if err != nil {
		return "", err
	}
	return first17 + string(c), nil
}

// MaskIDNumber keeps the first 4 and last 4 characters of id and replaces
// every other character with '*', for example
// "330102199001011234" -> "3301**********1234". An id of 8 characters or
// fewer is masked entirely. id is not validated.
func MaskIDNumber(id string) string {
	return mask(id, 4, 4)
}

// checkIDNumberStructure checks everything except the check character's
// value and the comparison with today for s, which is 17 or 18 characters:
// positions 1-17 are digits, position 18 (if present) is a digit or 'X',
// the first digit is 1-8 and the birth date is a real date in or after 1900.
// When it returns nil, s is pure ASCII.
func checkIDNumberStructure(s string) *Violation {
	pos := 0
	for i, r := range s {
		pos++
		if r >= '0' && r <= '9' {
			continue
		}
		if pos == 18 {
			if r == 'X' {
				continue
			}
			return charViolation(s, i, pos, r, "must be a digit or 'X'")
		}
		return charViolation(s, i, pos, r, "must be a digit")
	}
	if s[0] < '1' || s[0] > '8' {
		return violationf("first digit must be 1-8, got '%c'", s[0])
	}
	y, m, d := idBirthDate(s)
	if y < 1900 {
		return violationf("birth year %04d is before 1900", y)
	}
	if m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m) {
		return violationf("birth date %s is not a valid calendar date", s[6:14])
	}
	return nil
}

// idBirthDate decodes the year, month and day at positions 7-14 of s, which
// must be ASCII digits there.
func idBirthDate(s string) (year, month, day int) {
	return digits(s[6:10]), digits(s[10:12]), digits(s[12:14])
}

// digits returns the decimal value of a string of ASCII digits.
func digits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// daysInMonth returns the number of days in month m (1-12) of year y in the
// proleptic Gregorian calendar.
func daysInMonth(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	default:
		return 31
	}
}

// idNumberCheck computes the ISO 7064 MOD 11-2 check character of the 17
// ASCII digits in first17.
func idNumberCheck(first17 string) byte {
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(first17[i]-'0') * idNumberWeights[i]
	}
	return idNumberCheckChars[sum%11]
}
