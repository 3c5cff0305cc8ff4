package ident

import (
	"strings"
	"unicode/utf8"
)

// creditCodeCharset lists the characters of a unified social credit code in
// order of their numeric value (0-30). The letters I, O, Z, S and V are
// excluded by GB 32100-2015.
const creditCodeCharset = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// creditCodeWeights are the weights of positions 1-17 used to compute the
// check character (3^i mod 31).
var creditCodeWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// creditCodeValue maps a byte to its numeric value in creditCodeCharset, or
// -1 if the byte is not an allowed character.
var creditCodeValue = func() [256]int8 {
	var t [256]int8
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(creditCodeCharset); i++ {
		t[creditCodeCharset[i]] = int8(i)
	}
	return t
}()

// NormalizeCreditCode trims surrounding white space and upper-cases s.
func NormalizeCreditCode(s string) string {
	return strings.ToUpper(strings.TrimSpace(s))
}

// ValidateCreditCode checks that code is a well-formed 18-character unified
// social credit code (GB 32100-2015) with a correct check character.
//
// The code must already be normalised: lower-case letters are rejected.
// It returns nil or a *Violation.
func ValidateCreditCode(code string) error {
	if n := utf8.RuneCountInString(code); n != 18 {
		return violationf("must be 18 characters, got %d", n)
	}
	if v := checkCreditCodeChars(code); v != nil {
		return v
	}
	want := creditCodeCheck(code[:17])
	if code[17] != want {
		return violationf("check character should be '%c'", want)
	}
	return nil
}

// CreditCodeCheckChar returns the check character (position 18) for the first
// 17 characters of a unified social credit code. It returns a *Violation if
// first17 is not 17 allowed characters with digits at positions 3-8.
func CreditCodeCheckChar(first17 string) (byte, error) {
	if n := utf8.RuneCountInString(first17); n != 17 {
		return 0, violationf("must be 17 characters, got %d", n)
	}
	if v := checkCreditCodeChars(first17); v != nil {
		return 0, v
	}
	return creditCodeCheck(first17), nil
}

// CompleteCreditCode appends the check character to first17 and returns the
// full 18-character code, which ValidateCreditCode accepts.
func CompleteCreditCode(first17 string) (string, error) {
	c, err := CreditCodeCheckChar(first17)
	if err != nil {
		return "", err
	}
	return first17 + string(c), nil
}

// checkCreditCodeChars verifies that every character of s is in
// creditCodeCharset and that positions 3-8, the administrative division code,
// are digits. When it returns nil, s is pure ASCII.
func checkCreditCodeChars(s string) *Violation {
	pos := 0
	for i, r := range s {
		pos++
		if r >= utf8.RuneSelf || creditCodeValue[r] < 0 {
			return charViolation(s, i, pos, r, "is not allowed")
		}
		if pos >= 3 && pos <= 8 && (r < '0' || r > '9') {
			return charViolation(s, i, pos, r, "must be a digit (administrative division code)")
		}
	}
	return nil
}

// creditCodeCheck computes the check character of the 17 valid characters in
// first17: 31 - (weighted sum mod 31), with 31 mapped to 0.
func creditCodeCheck(first17 string) byte {
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(creditCodeValue[first17[i]]) * creditCodeWeights[i]
	}
	c := 31 - sum%31
	if c == 31 {
		c = 0
	}
	return creditCodeCharset[c]
}

// charViolation reports that the character at byte offset i of s, which is
// character pos (1-based, counted in runes) and has value r, breaks a rule
// described by what. A byte that is not valid UTF-8 is reported as such,
// since its rune value is meaningless.
func charViolation(s string, i, pos int, r rune, what string) *Violation {
	if r == utf8.RuneError {
		if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
			return violationf("character %d is not valid UTF-8", pos)
		}
	}
	return violationf("character %d %q %s", pos, r, what)
}
