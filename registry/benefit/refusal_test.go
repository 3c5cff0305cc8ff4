package benefit

import (
	"strings"
	"testing"

	"github.com/hangzhou-ai/registry/registry/catalog"
)

// TestRefusalNamesTheBindingStep: when a cap leaves nothing, the refusal
// names that cap, not whichever step came last (found in review: an
// exhausted enterprise-year cap was reported as the budget's "242,000,000.00
// yuan left", the wrong limit for the bureau to look at).
func TestRefusalNamesTheBindingStep(t *testing.T) {
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
