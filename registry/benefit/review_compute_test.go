package benefit

import (
	"strings"
	"testing"

	"github.com/hangzhou-ai/registry/registry/catalog"
)

// TestReviewRefusalNamesTheBindingStep: when a cap leaves nothing, the
// refusal names that cap, not whichever step came last. Compute builds
// the refusal from c.Steps[len(c.Steps)-1], so an exhausted
// enterprise-year cap is reported as "the 2026 budget … has 242,000,000.00
// yuan left", which tells the bureau the wrong limit.
func TestReviewRefusalNamesTheBindingStep(t *testing.T) {
	voucher := catalog.MeasuresByCode["compute-voucher"]
	other, _ := voucher.Kind("other-compute")
	got := Compute(voucher, Basis{Kind: other, AmountFen: 100_000_000, MeasureYear: 2026},
		Headroom{EnterpriseYearLeft: 0, BudgetLeft: 24_200_000_000, NewYearForEnterprise: false})
	if got.AwardFen != 0 {
		t.Fatalf("awarded %d fen, want 0", got.AwardFen)
	}
	if !strings.Contains(got.Refusal, "per enterprise a year") || strings.Contains(got.Refusal, "budget") {
		t.Fatalf("refusal %q: want the enterprise-year cap named, not the budget", got.Refusal)
	}
}
