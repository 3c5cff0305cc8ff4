package ident

import (
	"errors"
	"strings"
	"testing"
)

const knownCreditCode = "91110000600037341L"

func TestValidateCreditCode(t *testing.T) {
	tests := []struct {
		name   string
		code   string
		reason string // "" means valid
	}{
		{"known valid", knownCreditCode, ""},
		{"empty", "", "must be 18 characters, got 0"},
		{"17 chars", knownCreditCode[:17], "must be 18 characters, got 17"},
		{"19 chars", knownCreditCode + "0", "must be 18 characters, got 19"},
		{"wrong check", "91110000600037341M", "check character should be 'L'"},
		{"letter I", "9111I000600037341L", "character 5 'I' is not allowed"},
		{"letter O", "O1110000600037341L", "character 1 'O' is not allowed"},
		{"letter Z", "91110000600037341Z", "character 18 'Z' is not allowed"},
		{"letter S", "911100006000S7341L", "character 13 'S' is not allowed"},
		{"letter V", "91110000V00037341L", "character 9 'V' is not allowed"},
		{"lower case", "91110000600037341l", "character 18 'l' is not allowed"},
		{"space", "91110000600037341 ", "character 18 ' ' is not allowed"},
		{"letter in division code", "911A0000600037341L", "character 4 'A' must be a digit (administrative division code)"},
		{"non-ASCII counted as one character", "9111000060003734é1", "character 17 'é' is not allowed"},
		{"invalid UTF-8", "91110000600037341\xff", "character 18 is not valid UTF-8"},
		{"control character", "91110000600037341\x00", `character 18 '\x00' is not allowed`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateCreditCode(tt.code)
			checkReason(t, err, tt.reason)
		})
	}
}

// checkReason fails t unless err is nil (want == "") or a *Violation with
// Reason want.
func checkReason(t *testing.T, err error, want string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("got error %q, want nil", err)
		}
		return
	}
	var v *Violation
	if !errors.As(err, &v) {
		t.Fatalf("got %#v, want *Violation %q", err, want)
	}
	if v.Reason != want || err.Error() != want {
		t.Fatalf("got reason %q, want %q", v.Reason, want)
	}
}

// TestValidateCreditCodeSingleSubstitution replaces each character of a
// valid code with every other character allowed at that position; each
// result must be rejected because the check no longer matches.
func TestValidateCreditCodeSingleSubstitution(t *testing.T) {
	for i := range 18 {
		allowed := creditCodeCharset
		if i >= 2 && i <= 7 {
			allowed = "0123456789"
		}
		t.Run(string(rune('A'+i)), func(t *testing.T) {
			for j := range len(allowed) {
				c := allowed[j]
				if c == knownCreditCode[i] {
					continue
				}
				code := knownCreditCode[:i] + string(c) + knownCreditCode[i+1:]
				err := ValidateCreditCode(code)
				var v *Violation
				if !errors.As(err, &v) || !strings.HasPrefix(v.Reason, "check character should be") {
					t.Errorf("position %d = %q: %q: got %v, want check character violation", i+1, c, code, err)
				}
			}
		})
	}
}

func TestCreditCodeCheckChar(t *testing.T) {
	tests := []struct {
		name   string
		first  string
		want   byte
		reason string
	}{
		{"known", knownCreditCode[:17], 'L', ""},
		{"too short", "9111000060003734", 0, "must be 17 characters, got 16"},
		{"too long", knownCreditCode, 0, "must be 17 characters, got 18"},
		{"bad char", "91110000600037I41", 0, "character 15 'I' is not allowed"},
		{"letter in division code", "91A10000600037341", 0, "character 3 'A' must be a digit (administrative division code)"},
		{"lower case", "91110000ma0037341", 0, "character 9 'm' is not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CreditCodeCheckChar(tt.first)
			checkReason(t, err, tt.reason)
			if got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCompleteCreditCode(t *testing.T) {
	tests := []struct {
		name  string
		first string
		want  string
		fail  bool
	}{
		{"known", knownCreditCode[:17], knownCreditCode, false},
		{"letters", "91330100MA2XXXXXX", "", false},
		{"all zero", "00000000000000000", "000000000000000000", false},
		{"invalid", "91330100MA2XXXXXI", "", true},
		{"short", "9133", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CompleteCreditCode(tt.first)
			if tt.fail {
				if err == nil || got != "" {
					t.Fatalf("got (%q, %v), want error", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.want != "" && got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			if !strings.HasPrefix(got, tt.first) || len(got) != 18 {
				t.Fatalf("got %q, want %q plus one character", got, tt.first)
			}
			if err := ValidateCreditCode(got); err != nil {
				t.Fatalf("ValidateCreditCode(%q) = %v", got, err)
			}
		})
	}
}

func TestNormalizeCreditCode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{knownCreditCode, knownCreditCode},
		{"  91110000600037341l\t\n", knownCreditCode},
		{"91330100ma2xxxxxx", "91330100MA2XXXXXX"},
		{" 9111 0000 ", "9111 0000"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := NormalizeCreditCode(tt.in); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
	if err := ValidateCreditCode(NormalizeCreditCode(" 91110000600037341l ")); err != nil {
		t.Fatalf("normalised lower-case code: %v", err)
	}
}
