package ident

import (
	"errors"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// This file holds straightforward reference implementations of every check,
// written independently of the package code, and compares them with the
// package on random and fuzzed input.

const refCreditCharset = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// refCreditCheck returns the value (0-30) of the check character of the 17
// characters in s, using weights computed as powers of 3 modulo 31.
func refCreditCheck(s string) int {
	sum, w := 0, 1
	for i := 0; i < 17; i++ {
		sum += strings.IndexByte(refCreditCharset, s[i]) * w
		w = w * 3 % 31
	}
	return (31 - sum%31) % 31
}

// refCreditPrefixOK reports whether s consists of n allowed characters with
// digits at positions 3-8.
func refCreditPrefixOK(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < n; i++ {
		k := strings.IndexByte(refCreditCharset, s[i])
		if k < 0 || (i >= 2 && i <= 7 && k > 9) {
			return false
		}
	}
	return true
}

// refValidCreditCode is the reference for ValidateCreditCode.
func refValidCreditCode(s string) bool {
	return refCreditPrefixOK(s, 18) && strings.IndexByte(refCreditCharset, s[17]) == refCreditCheck(s)
}

// refIDCheck returns the check character of 17 digits using the recursive
// form of ISO 7064 MOD 11-2.
func refIDCheck(s string) byte {
	p := 0
	for i := 0; i < 17; i++ {
		p = (p + int(s[i]-'0')) * 2 % 11
	}
	c := (12 - p) % 11
	if c == 10 {
		return 'X'
	}
	return byte('0' + c)
}

var refIDShape = regexp.MustCompile(`^[1-8][0-9]{16}[0-9X]?$`)

// refIDPrefixOK reports whether s has the shape and birth date rules of the
// first n (17 or 18) characters of an identity number, ignoring today.
func refIDPrefixOK(s string, n int) (birth time.Time, ok bool) {
	if len(s) != n || !refIDShape.MatchString(s) {
		return time.Time{}, false
	}
	birth, err := time.Parse("20060102", s[6:14])
	if err != nil || birth.Year() < 1900 {
		return time.Time{}, false
	}
	return birth, true
}

// refValidIDNumber is the reference for ValidateIDNumber.
func refValidIDNumber(s string, today time.Time) bool {
	birth, ok := refIDPrefixOK(s, 18)
	if !ok {
		return false
	}
	y, m, d := today.Date()
	if birth.After(time.Date(y, m, d, 0, 0, 0, 0, time.UTC)) {
		return false
	}
	return s[17] == refIDCheck(s)
}

var (
	refPassport    = regexp.MustCompile(`^[A-Z0-9]{5,20}$`)
	refNationality = regexp.MustCompile(`^[A-Z]{2}$`)
)

// refMask is the reference for mask on valid UTF-8.
func refMask(s string, head, tail int) string {
	r := []rune(s)
	out := make([]rune, len(r))
	for i := range r {
		if len(r) > head+tail && (i < head || i >= len(r)-tail) {
			out[i] = r[i]
		} else {
			out[i] = '*'
		}
	}
	return string(out)
}

// checkViolation fails t if err is neither nil nor a *Violation with a
// non-empty reason.
func checkViolation(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var v *Violation
	if !errors.As(err, &v) || v == nil || v.Reason == "" || err.Error() != v.Reason {
		t.Fatalf("error %#v is not a *Violation with a reason", err)
	}
}

// noise is the alphabet used to mutate identifiers.
var noise = []string{"0", "1", "5", "9", "A", "L", "X", "Y", "I", "O", "Z", "S", "V", "a", "x", " ", "-", "é", "Ｘ", "\xff", "\x00"}

// mutate applies up to three random edits (replace, insert, delete, swap,
// lower-case) to s.
func mutate(r *rand.Rand, s string) string {
	b := []byte(s)
	for range r.IntN(4) {
		switch op := r.IntN(6); {
		case op <= 1 && len(b) > 0:
			i := r.IntN(len(b))
			b = append(b[:i], append([]byte(noise[r.IntN(len(noise))]), b[i+1:]...)...)
		case op == 2:
			i := r.IntN(len(b) + 1)
			b = append(b[:i], append([]byte(noise[r.IntN(len(noise))]), b[i:]...)...)
		case op == 3 && len(b) > 0:
			i := r.IntN(len(b))
			b = append(b[:i], b[i+1:]...)
		case op == 4 && len(b) > 1:
			i := r.IntN(len(b) - 1)
			b[i], b[i+1] = b[i+1], b[i]
		case op == 5:
			b = []byte(strings.ToLower(string(b)))
		}
	}
	return string(b)
}

// randomCreditCode returns a code that is valid or close to valid.
func randomCreditCode(r *rand.Rand) string {
	var b strings.Builder
	for i := range 17 {
		if i >= 2 && i <= 7 {
			b.WriteByte(byte('0' + r.IntN(10)))
		} else {
			b.WriteByte(refCreditCharset[r.IntN(len(refCreditCharset))])
		}
	}
	s := b.String()
	switch r.IntN(4) {
	case 0: // random check character
		return s + string(refCreditCharset[r.IntN(len(refCreditCharset))])
	case 1: // valid
		return s + string(refCreditCharset[refCreditCheck(s)])
	default:
		return mutate(r, s+string(refCreditCharset[refCreditCheck(s)]))
	}
}

// randomIDNumber returns a number that is valid or close to valid, with
// birth dates around the edges of the accepted range.
func randomIDNumber(r *rand.Rand) string {
	var b strings.Builder
	b.WriteByte(byte('0' + r.IntN(10)))
	for range 5 {
		b.WriteByte(byte('0' + r.IntN(10)))
	}
	year, month, day := 1890+r.IntN(150), r.IntN(14), r.IntN(33)
	if r.IntN(2) == 0 { // favour the edges of the calendar rules
		year = pick(r, 1899, 1900, 1904, 1996, 2000, 2023, 2024, 2039)
		month = pick(r, 0, 1, 2, 2, 2, 4, 12, 13)
		day = pick(r, 0, 1, 28, 29, 29, 30, 31, 32)
	}
	b.WriteString(padInt(year, 4) + padInt(month, 2) + padInt(day, 2))
	for range 3 {
		b.WriteByte(byte('0' + r.IntN(10)))
	}
	s := b.String()
	switch r.IntN(4) {
	case 0:
		return s + string("0123456789X"[r.IntN(11)])
	case 1:
		return s + string(refIDCheck(s))
	default:
		return mutate(r, s+string(refIDCheck(s)))
	}
}

// pick returns one of xs at random.
func pick(r *rand.Rand, xs ...int) int { return xs[r.IntN(len(xs))] }

// padInt formats n with leading zeros to width w.
func padInt(n, w int) string {
	s := strings.Repeat("0", w) + itoa(n)
	return s[len(s)-w:]
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var d []byte
	for ; n > 0; n /= 10 {
		d = append([]byte{byte('0' + n%10)}, d...)
	}
	return string(d)
}

// randomToday returns a day between 1900 and 2040 at a random hour in one of
// a few time zones.
func randomToday(r *rand.Rand) time.Time {
	zones := []*time.Location{time.UTC, time.FixedZone("CST", 8*3600), time.FixedZone("HST", -10*3600)}
	base := time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	return base.Add(time.Duration(r.Int64N(140*365*24)) * time.Hour).In(zones[r.IntN(len(zones))])
}

// differentialRounds returns the number of random inputs per differential
// test.
func differentialRounds() int {
	if testing.Short() {
		return 10000
	}
	return 100000
}

func TestDifferentialCreditCode(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var valid int
	rounds := differentialRounds()
	for range rounds {
		s := randomCreditCode(r)
		compareCreditCode(t, s)
		if refValidCreditCode(s) {
			valid++
		}
	}
	if valid < rounds/10 || valid > rounds*9/10 {
		t.Fatalf("unbalanced sample: %d of %d valid", valid, rounds)
	}
}

func TestDifferentialIDNumber(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var valid int
	rounds := differentialRounds()
	for range rounds {
		s := randomIDNumber(r)
		today := randomToday(r)
		if birth, ok := refIDPrefixOK(s, 18); ok && r.IntN(2) == 0 {
			// Put today on, just before or just after the birth date.
			today = birth.Add(time.Duration(r.IntN(72)-24) * time.Hour).In(today.Location())
		}
		compareIDNumber(t, s, today)
		if refValidIDNumber(s, today) {
			valid++
		}
	}
	if valid < rounds/20 || valid > rounds*9/10 {
		t.Fatalf("unbalanced sample: %d of %d valid", valid, rounds)
	}
}

func TestDifferentialPassportNationality(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const alphabet = "ABZ09az-é "
	for range differentialRounds() {
		var b strings.Builder
		for range r.IntN(23) {
			b.WriteString(string([]rune(alphabet)[r.IntN(utf8.RuneCountInString(alphabet))]))
		}
		s := b.String()
		if got, want := ValidatePassport(s) == nil, refPassport.MatchString(s); got != want {
			t.Fatalf("ValidatePassport(%q) valid = %v, reference %v", s, got, want)
		}
		if got, want := ValidateNationality(s) == nil, refNationality.MatchString(s); got != want {
			t.Fatalf("ValidateNationality(%q) valid = %v, reference %v", s, got, want)
		}
		checkViolation(t, ValidatePassport(s))
		checkViolation(t, ValidateNationality(s))
		if got, want := MaskPassport(s), refMask(s, 2, 2); got != want {
			t.Fatalf("MaskPassport(%q) = %q, reference %q", s, got, want)
		}
		if got, want := MaskIDNumber(s), refMask(s, 4, 4); got != want {
			t.Fatalf("MaskIDNumber(%q) = %q, reference %q", s, got, want)
		}
	}
}

// compareCreditCode checks the package against the reference for s.
func compareCreditCode(t *testing.T, s string) {
	t.Helper()
	err := ValidateCreditCode(s)
	checkViolation(t, err)
	if got, want := err == nil, refValidCreditCode(s); got != want {
		t.Fatalf("ValidateCreditCode(%q) = %v, reference valid = %v", s, err, want)
	}
	if len(s) < 17 {
		return
	}
	first := s[:17]
	c, err := CreditCodeCheckChar(first)
	checkViolation(t, err)
	okPrefix := refCreditPrefixOK(first, 17)
	if (err == nil) != okPrefix {
		t.Fatalf("CreditCodeCheckChar(%q) = %v, reference prefix ok = %v", first, err, okPrefix)
	}
	if okPrefix && c != refCreditCharset[refCreditCheck(first)] {
		t.Fatalf("CreditCodeCheckChar(%q) = %q, reference %q", first, c, refCreditCharset[refCreditCheck(first)])
	}
}

// compareIDNumber checks the package against the reference for s on today.
func compareIDNumber(t *testing.T, s string, today time.Time) {
	t.Helper()
	err := ValidateIDNumber(s, today)
	checkViolation(t, err)
	if got, want := err == nil, refValidIDNumber(s, today); got != want {
		t.Fatalf("ValidateIDNumber(%q, %v) = %v, reference valid = %v", s, today, err, want)
	}
	if len(s) < 17 {
		return
	}
	first := s[:17]
	c, err := IDNumberCheckChar(first)
	checkViolation(t, err)
	_, okPrefix := refIDPrefixOK(first, 17)
	if (err == nil) != okPrefix {
		t.Fatalf("IDNumberCheckChar(%q) = %v, reference prefix ok = %v", first, err, okPrefix)
	}
	if okPrefix && c != refIDCheck(first) {
		t.Fatalf("IDNumberCheckChar(%q) = %q, reference %q", first, c, refIDCheck(first))
	}
}

func FuzzValidateCreditCode(f *testing.F) {
	for _, s := range []string{knownCreditCode, "91330100MA2XXXXXX", "", "9111I000600037341L", "91110000600037341l"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		compareCreditCode(t, s)
		n := NormalizeCreditCode(s)
		checkViolation(t, ValidateCreditCode(n))
		if len(n) >= 17 {
			if full, err := CompleteCreditCode(n[:17]); err == nil {
				if !refValidCreditCode(full) || ValidateCreditCode(full) != nil {
					t.Fatalf("CompleteCreditCode(%q) = %q, not valid", n[:17], full)
				}
			}
		}
	})
}

func FuzzValidateIDNumber(f *testing.F) {
	for _, s := range []string{"11010519491231002X", "11010519491231002x", "330102199002301234", "", "930102199001011234"} {
		f.Add(s, uint16(45000))
	}
	base := time.Date(1900, 1, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string, days uint16) {
		today := base.AddDate(0, 0, int(days))
		compareIDNumber(t, s, today)
		n := NormalizeIDNumber(s)
		compareIDNumber(t, n, today)
		if m := MaskIDNumber(s); utf8.RuneCountInString(m) != utf8.RuneCountInString(s) {
			t.Fatalf("MaskIDNumber(%q) = %q changes the length", s, m)
		}
		if len(n) >= 17 {
			if full, err := CompleteIDNumber(n[:17]); err == nil {
				birth, _ := refIDPrefixOK(full, 18)
				if ValidateIDNumber(full, birth) != nil || !refValidIDNumber(full, birth) {
					t.Fatalf("CompleteIDNumber(%q) = %q, not valid on its birth date", n[:17], full)
				}
			}
		}
	})
}
