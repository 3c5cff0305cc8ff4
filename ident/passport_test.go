package ident

import "testing"

func TestValidatePassport(t *testing.T) {
	tests := []struct {
		name, p, reason string
	}{
		{"typical", "E12345678", ""},
		{"min length", "AB123", ""},
		{"max length", "ABCDEFGHIJ0123456789", ""},
		{"too short", "AB12", "must be 5 to 20 characters, got 4"},
		{"too long", "ABCDEFGHIJ01234567890", "must be 5 to 20 characters, got 21"},
		{"empty", "", "must be 5 to 20 characters, got 0"},
		{"lower case", "e12345678", "character 1 'e' is not allowed (only A-Z and 0-9)"},
		{"dash", "E1234-678", "character 6 '-' is not allowed (only A-Z and 0-9)"},
		{"space", "E1234 678", "character 6 ' ' is not allowed (only A-Z and 0-9)"},
		{"non-ASCII", "E1234Ä678", "character 6 'Ä' is not allowed (only A-Z and 0-9)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkReason(t, ValidatePassport(tt.p), tt.reason)
		})
	}
}

func TestNormalizePassport(t *testing.T) {
	tests := []struct{ in, want string }{
		{" e12345678\t", "E12345678"},
		{"AB123", "AB123"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := NormalizePassport(tt.in); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMaskPassport(t *testing.T) {
	tests := []struct{ in, want string }{
		{"E12345678", "E1*****78"},
		{"AB123", "AB*23"},
		{"ABCD", "****"},
		{"AB", "**"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := MaskPassport(tt.in); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNationality(t *testing.T) {
	tests := []struct {
		name, in, norm, reason string
	}{
		{"upper", "US", "US", ""},
		{"lower trimmed", " gb ", "GB", ""},
		{"one letter", "U", "U", "must be 2 characters, got 1"},
		{"alpha-3", "USA", "USA", "must be 2 characters, got 3"},
		{"digit", "U1", "U1", "character 2 '1' is not allowed (only A-Z)"},
		{"non-ASCII", "ÜS", "ÜS", "character 1 'Ü' is not allowed (only A-Z)"},
		{"empty", "", "", "must be 2 characters, got 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := NormalizeNationality(tt.in)
			if n != tt.norm {
				t.Fatalf("NormalizeNationality(%q) = %q, want %q", tt.in, n, tt.norm)
			}
			checkReason(t, ValidateNationality(n), tt.reason)
		})
	}
}
