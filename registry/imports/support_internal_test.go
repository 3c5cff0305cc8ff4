package imports

import (
	"fmt"
	"testing"

	"github.com/hangzhou-ai/registry/registry/benefit"
	"github.com/hangzhou-ai/registry/registry/internal/core"
)

// TestFenOf: an amount cell is whole fen in ASCII digits or it is
// reported, never guessed at.
func TestFenOf(t *testing.T) {
	const (
		separator = "must be a whole number of fen in digits only, without thousands separators (1,000 is 1000)"
		decimal   = "must be a whole number of fen, without a decimal point (12.50 yuan is 1250)"
		digits    = "must be a whole number of fen in digits only (1,500 yuan is 150000)"
	)
	tooLarge := fmt.Sprintf("must be at most %d fen", benefit.MaxBasisFen)
	cases := []struct {
		cell    string
		want    int64
		problem string
	}{
		{"", 0, ""},
		{"  ", 0, ""},
		{"1000", 1000, ""},
		{" 1000 ", 1000, ""},
		{"0012", 12, ""},
		{"-3", -3, ""}, // negative: the domain refuses it as such
		{"100000000000000", 100_000_000_000_000, ""},
		{"100000000000001", 100_000_000_000_001, ""}, // the domain refuses it above its bound
		{"1000000000000000000000", 0, tooLarge},      // beyond int64
		{"00000000000000000000001000", 1000, ""},     // leading zeros are not digits of the amount
		{"1,000", 0, separator},
		{"1，000", 0, separator},
		{"1 000", 0, separator},
		{"1_000", 0, separator},
		{"12.5", 0, decimal},
		{"12.50", 0, decimal},
		{"1.2e6", 0, decimal},
		{"1e6", 0, digits},
		{"+5", 0, digits},
		{"-", 0, digits},
		{"--3", 0, digits},
		{"1000元", 0, digits},
		{"１０００", 0, digits}, // full-width digits
		{"0x10", 0, digits},
	}
	for _, c := range cases {
		t.Run(c.cell, func(t *testing.T) {
			v := &core.Violations{}
			got := fenOf(v, "amount_fen", c.cell)
			var problem string
			if len(v.List) > 0 {
				problem = v.List[0].Description
				if len(v.List) > 1 || v.List[0].Field != "amount_fen" {
					t.Fatalf("problems %+v", v.List)
				}
			}
			if got != c.want || problem != c.problem {
				t.Fatalf("fenOf(%q) = %d, %q; want %d, %q", c.cell, got, problem, c.want, c.problem)
			}
		})
	}
}

func TestYearOf(t *testing.T) {
	bad := "must be a year of four digits, such as 2026"
	for cell, want := range map[string]struct {
		year    int
		problem string
	}{"": {0, ""}, "2026": {2026, ""}, " 2026 ": {2026, ""}, "26": {0, bad}, "2026.0": {0, bad}, "二〇二六": {0, bad}, "-2026": {0, bad}, "20260": {0, bad}} {
		v := &core.Violations{}
		got := yearOf(v, "year", cell)
		var problem string
		if len(v.List) > 0 {
			problem = v.List[0].Description
		}
		if got != want.year || problem != want.problem {
			t.Errorf("yearOf(%q) = %d, %q; want %d, %q", cell, got, problem, want.year, want.problem)
		}
	}
}
