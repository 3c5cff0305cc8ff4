package benefit

import (
	"regexp"
	"strings"
	"testing"

	"github.com/hangzhou-ai/registry/registry/catalog"
)

// TestCompute runs Compute's rules on their own: the rate rounded down to
// the fen, each cap in order, the overlap with a cost item's earlier
// support, and the count limits that refuse outright.
func TestCompute(t *testing.T) {
	voucher := catalog.MeasuresByCode["compute-voucher"]
	other, _ := voucher.Kind("other-compute")
	open := catalog.MeasuresByCode["open-source-award"]
	contribution := open.Kinds[0]
	unlimited := Headroom{EnterpriseYearLeft: voucher.EnterpriseYearCapFen, BudgetLeft: voucher.YearlyBudgetFen, NewYearForEnterprise: true}
	cases := []struct {
		name    string
		m       catalog.Measure
		b       Basis
		h       Headroom
		want    int64
		steps   []string
		refusal string
	}{
		{"rounded down to the fen", voucher, Basis{Kind: other, AmountFen: 12_345}, unlimited, 2_469,
			[]string{StepComputed, StepEnterpriseYearCap, StepBudget}, ""},
		{"no overflow at the largest cost", voucher, Basis{Kind: other, AmountFen: MaxBasisFen}, Headroom{EnterpriseYearLeft: 1 << 62, BudgetLeft: 1 << 62}, MaxBasisFen / 5,
			[]string{StepComputed, StepEnterpriseYearCap, StepBudget}, ""},
		{"the budget below the cap", voucher, Basis{Kind: other, AmountFen: 100_000_000}, Headroom{EnterpriseYearLeft: 50_000_000, BudgetLeft: 7}, 7,
			[]string{StepComputed, StepEnterpriseYearCap, StepBudget}, ""},
		{"fully supported already", voucher, Basis{Kind: other, AmountFen: 100_000_000, Reference: "HT-1"}, Headroom{BasisReceived: 20_000_000, EnterpriseYearLeft: 1, BudgetLeft: 1}, 0,
			[]string{StepComputed, StepOverlap, StepEnterpriseYearCap, StepBudget}, "nothing is left"},
		{"the overlap, then the caps", voucher, Basis{Kind: other, AmountFen: 150_000_000, Reference: "SF-1"}, Headroom{BasisReceived: 20_000_000, EnterpriseYearLeft: 5_000_000, BudgetLeft: 1 << 40}, 5_000_000,
			[]string{StepComputed, StepOverlap, StepEnterpriseYearCap, StepBudget}, ""},
		{"below the least award", open, Basis{Kind: contribution, AmountFen: 30_000_000}, Headroom{BasisReceived: 15_000_000}, 0,
			[]string{StepComputed, StepPerAwardCap, StepOverlap, StepMinimum}, "below the least award"},
		{"the year's awards made", open, Basis{Kind: contribution, AmountFen: 30_000_000}, Headroom{AwardsThisYear: 10}, 0, nil, "made its 10 awards"},
		{"once per enterprise", catalog.MeasuresByCode["model-filing-reward"], Basis{Kind: catalog.MeasuresByCode["model-filing-reward"].Kinds[0], AmountFen: 1}, Headroom{AwardsThisEnterprise: 1}, 0, nil, "at most 1 time"},
		{"a fourth year", catalog.MeasuresByCode["innovation-center-support"], Basis{Kind: catalog.MeasuresByCode["innovation-center-support"].Kinds[0], AmountFen: 1}, Headroom{YearsThisEnterprise: 3, NewYearForEnterprise: true}, 0, nil, "at most 3 years"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Compute(c.m, c.b, c.h)
			if got.AwardFen != c.want {
				t.Errorf("awarded %d fen, want %d", got.AwardFen, c.want)
			}
			var codes []string
			for _, s := range got.Steps {
				codes = append(codes, s.Code)
				if strings.ContainsAny(digitGroups.ReplaceAllString(s.TextZh, ""), ",()") {
					t.Errorf("step %s's Chinese %q has half-width punctuation", s.Code, s.TextZh)
				}
			}
			if strings.Join(codes, " ") != strings.Join(c.steps, " ") {
				t.Errorf("steps %v, want %v", codes, c.steps)
			}
			if (c.refusal == "") != (got.Refusal == "") || !strings.Contains(got.Refusal, c.refusal) {
				t.Errorf("refusal %q, want one containing %q", got.Refusal, c.refusal)
			}
		})
	}
}

// digitGroups are thousands separators, the one half-width comma Chinese
// text keeps.
var digitGroups = regexp.MustCompile(`\d,\d`)

func TestYuanText(t *testing.T) {
	for fen, want := range map[int64]string{0: "0.00", 5: "0.05", 100: "1.00", 123_456_789: "1,234,567.89", -150: "-1.50", 800_000_000: "8,000,000.00"} {
		if got := yuanText(fen); got != want {
			t.Errorf("yuanText(%d) = %q, want %q", fen, got, want)
		}
	}
}
