package ident

import (
	"strings"
	"testing"
	"time"
)

// testToday is the fixed "today" of the ID-number tests.
var testToday = time.Date(2024, time.June, 15, 10, 30, 0, 0, time.UTC)

// mustCompleteID returns CompleteIDNumber(first17) or fails t.
func mustCompleteID(t *testing.T, first17 string) string {
	t.Helper()
	id, err := CompleteIDNumber(first17)
	if err != nil {
		t.Fatalf("CompleteIDNumber(%q): %v", first17, err)
	}
	return id
}

// withCheck appends the check character to 17 digits without any structural
// validation, to build numbers that fail only a later rule.
func withCheck(first17 string) string {
	return first17 + string(idNumberCheck(first17))
}

// flipCheck returns id with a wrong check character.
func flipCheck(id string) string {
	c := byte('0')
	if id[17] == '0' {
		c = '1'
	}
	return id[:17] + string(c)
}

func TestValidateIDNumber(t *testing.T) {
	valid1 := mustCompleteID(t, "33010219900101123")
	valid2 := mustCompleteID(t, "44030520000229567") // leap day
	validToday := mustCompleteID(t, "51010720240615001")
	tests := []struct {
		name   string
		id     string
		reason string
	}{
		{"standard example", "11010519491231002X", ""},
		{"computed 1", valid1, ""},
		{"computed 2 leap day", valid2, ""},
		{"born today", validToday, ""},
		{"first digit 8", withCheck("81000019800101000"), ""},
		{"wrong check digit", flipCheck(valid1), "check character should be '" + valid1[17:] + "'"},
		{"standard example wrong check", "110105194912310021", "check character should be 'X'"},
		{"check X where digit expected", valid1[:17] + "X", "check character should be '" + valid1[17:] + "'"},
		{"Feb 30", withCheck("33010219900230123"), "birth date 19900230 is not a valid calendar date"},
		{"Feb 29 non-leap", withCheck("33010219000229123"), "birth date 19000229 is not a valid calendar date"},
		{"month 13", withCheck("33010219901301123"), "birth date 19901301 is not a valid calendar date"},
		{"month 00", withCheck("33010219900001123"), "birth date 19900001 is not a valid calendar date"},
		{"day 00", withCheck("33010219900100123"), "birth date 19900100 is not a valid calendar date"},
		{"day 31 in April", withCheck("33010219900431123"), "birth date 19900431 is not a valid calendar date"},
		{"future", withCheck("33010220991231123"), "birth date 20991231 is after today (2024-06-15)"},
		{"tomorrow", withCheck("33010220240616123"), "birth date 20240616 is after today (2024-06-15)"},
		{"before 1900", withCheck("33010218991231123"), "birth year 1899 is before 1900"},
		{"17 chars", valid1[:17], "must be 18 characters, got 17"},
		{"19 chars", valid1 + "1", "must be 18 characters, got 19"},
		{"empty", "", "must be 18 characters, got 0"},
		{"letter inside", "3301021990A101123" + "4", "character 11 'A' must be a digit"},
		{"letter at 17", "3301021990010112X" + "4", "character 17 'X' must be a digit"},
		{"bad check char", valid1[:17] + "Y", "character 18 'Y' must be a digit or 'X'"},
		{"lower-case x", "11010519491231002x", "character 18 'x' must be a digit or 'X'"},
		{"leading 0", withCheck("03010219900101123"), "first digit must be 1-8, got '0'"},
		{"leading 9", withCheck("93010219900101123"), "first digit must be 1-8, got '9'"},
		{"full-width digit", "11010519491231002Ｘ", "character 18 'Ｘ' must be a digit or 'X'"},
		{"invalid UTF-8", "1101051949123100\xff2", "character 17 is not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkReason(t, ValidateIDNumber(tt.id, testToday), tt.reason)
		})
	}
}

// TestValidateIDNumberTodayLocation checks that "today" is the calendar
// date in today's own location.
func TestValidateIDNumberTodayLocation(t *testing.T) {
	id := mustCompleteID(t, "33010220240616123")
	shanghai := time.FixedZone("CST", 8*3600)
	// 2024-06-15 20:00 UTC is already 2024-06-16 in UTC+8.
	instant := time.Date(2024, time.June, 15, 20, 0, 0, 0, time.UTC)
	if err := ValidateIDNumber(id, instant); err == nil {
		t.Fatal("born 2024-06-16 accepted on 2024-06-15 UTC")
	}
	if err := ValidateIDNumber(id, instant.In(shanghai)); err != nil {
		t.Fatalf("born 2024-06-16 rejected on 2024-06-16 CST: %v", err)
	}
}

func TestIDNumberCheckChar(t *testing.T) {
	tests := []struct {
		name   string
		first  string
		want   byte
		reason string
	}{
		{"standard example", "11010519491231002", 'X', ""},
		{"future date allowed", "33010220991231123", idNumberCheck("33010220991231123"), ""},
		{"short", "1101051949123100", 0, "must be 17 characters, got 16"},
		{"18 chars", "11010519491231002X", 0, "must be 17 characters, got 18"},
		{"letter", "1101051949123100X", 0, "character 17 'X' must be a digit"},
		{"leading 0", "01010519491231002", 0, "first digit must be 1-8, got '0'"},
		{"bad date", "11010519490231002", 0, "birth date 19490231 is not a valid calendar date"},
		{"early year", "11010518000101002", 0, "birth year 1800 is before 1900"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := IDNumberCheckChar(tt.first)
			checkReason(t, err, tt.reason)
			if got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCompleteIDNumber(t *testing.T) {
	for _, first := range []string{"11010519491231002", "33010219900101123", "65010119000101999", "12345620240615000"} {
		t.Run(first, func(t *testing.T) {
			id := mustCompleteID(t, first)
			if !strings.HasPrefix(id, first) || len(id) != 18 {
				t.Fatalf("got %q", id)
			}
			if err := ValidateIDNumber(id, testToday); err != nil {
				t.Fatalf("ValidateIDNumber(%q): %v", id, err)
			}
		})
	}
	if id, err := CompleteIDNumber("9101051949123100"); err == nil || id != "" {
		t.Fatalf("got (%q, %v), want error", id, err)
	}
}

func TestNormalizeIDNumber(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"11010519491231002x", "11010519491231002X"},
		{"  11010519491231002x\n", "11010519491231002X"},
		{"330102199001011234 ", "330102199001011234"},
		{"x", "X"},
		{"x1", "x1"}, // only a trailing x is upper-cased
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := NormalizeIDNumber(tt.in); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
	if err := ValidateIDNumber(NormalizeIDNumber(" 11010519491231002x "), testToday); err != nil {
		t.Fatalf("normalised lower-case x: %v", err)
	}
}

func TestMaskIDNumber(t *testing.T) {
	tests := []struct{ in, want string }{
		{"330102199001011234", "3301**********1234"},
		{"11010519491231002X", "1101**********002X"},
		{"123456789", "1234*6789"},
		{"12345678", "********"},
		{"", ""},
		{"一二三四五六七八九十", "一二三四**七八九十"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := MaskIDNumber(tt.in); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}
