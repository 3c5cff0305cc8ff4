package benefit

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/hangzhou-ai/registry/ent/schema"
	"github.com/hangzhou-ai/registry/registry/catalog"
)

// Step codes of a breakdown.
const (
	StepComputed          = "computed"
	StepInterestShare     = "interest_share"
	StepPrincipalCap      = "principal_cap"
	StepPerAwardCap       = "per_award_cap"
	StepOverlap           = "overlap"
	StepEnterpriseYearCap = "enterprise_year_cap"
	StepBudget            = "budget"
	StepMinimum           = "minimum"
)

// Step is one step of an award's computation: a limit applied to the
// amount so far (Before), giving After.
type Step = schema.BreakdownStep

// Basis is the cost an application is for, as computed on.
type Basis struct {
	Kind          catalog.BasisKind
	AmountFen     int64
	PrincipalFen  int64 // loans
	ProjectTotal  int64 // loans
	Reference     string
	MeasureYear   int
	EnterpriseKey string
}

// Headroom is what the counters an award consumes leave, read under lock
// when deciding and without one for a preview. A negative value means no
// limit.
type Headroom struct {
	// BasisReceived is what the cost item has received under any measure.
	BasisReceived int64
	// EnterpriseYearCapFen is the enterprise's cap this year: the
	// measure's, or the bureau's override (0: the measure's).
	EnterpriseYearCapFen int64
	// EnterpriseYearLeft and BudgetLeft are what the caps leave.
	EnterpriseYearLeft int64
	BudgetLeft         int64
	// Counts: awards made against each count limit, and the limits.
	AwardsThisYear, AwardsThisEnterpriseYear, AwardsThisEnterprise, YearsThisEnterprise int
	// NewYearForEnterprise: the enterprise has no award of the measure in
	// this year yet (so an award here would count one more year).
	NewYearForEnterprise bool
}

// Computation is an award's amount and how it was reached.
type Computation struct {
	AwardFen int64
	Steps    []Step
	// Refusal is why nothing may be awarded (a count limit reached, or
	// nothing left under a cap, or an award below the minimum); empty
	// when AwardFen > 0.
	Refusal string
}

// yuanText writes fen as yuan with two decimals and thousands separators.
func yuanText(fen int64) string {
	u := uint64(fen)
	sign := ""
	if fen < 0 {
		u, sign = -u, "-" // two's complement: right for math.MinInt64 too
	}
	s := strconv.FormatUint(u/catalog.FenPerYuan, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return fmt.Sprintf("%s%s.%02d", sign, s, u%catalog.FenPerYuan)
}

// rateOf is bp basis points of fen, rounded down to the fen.
func rateOf(fen, bp int64) int64 { return fen/10000*bp + fen%10000*bp/10000 }

// Compute applies measure m to basis b with the headroom h, each limit a
// step: the rate on the basis (for loans the interest share, then the
// principal cap) and the per-award cap give the entitlement; less what
// the cost item already received under any measure (不重复, 就高: a cost
// item's support is its highest single entitlement, never a sum, and a
// later higher one pays the difference); then at most what the
// enterprise-year cap and the budget leave. The overlap comes before the
// caps: an earlier award on the same item has used the cap already, and
// subtracting it after the cap would count it twice (a higher kind on a
// contract whose first award used half the cap would pay nothing).
// Count limits (awards a year, per enterprise, years) refuse outright.
func Compute(m catalog.Measure, b Basis, h Headroom) Computation {
	var c Computation
	if c.Refusal = countLimitReached(m, b.MeasureYear, h); c.Refusal != "" {
		return c
	}
	amount := rateOf(b.AmountFen, b.Kind.RateBP)
	if m.PrincipalCapBP > 0 {
		c.Steps = append(c.Steps, Step{Code: StepInterestShare, Before: b.AmountFen, After: amount,
			TextZh: fmt.Sprintf("实际支付利息 %s 元的 %s，得 %s 元", yuanText(b.AmountFen), percent(b.Kind.RateBP), yuanText(amount)),
			TextEn: fmt.Sprintf("%s of the interest paid, %s yuan, is %s yuan", percent(b.Kind.RateBP), yuanText(b.AmountFen), yuanText(amount))})
		limit := rateOf(b.PrincipalFen, m.PrincipalCapBP)
		c.apply(StepPrincipalCap, limit, &amount,
			fmt.Sprintf("不超过贷款本金 %s 元的 %s 个百分点，即 %s 元", yuanText(b.PrincipalFen), points(m.PrincipalCapBP), yuanText(limit)),
			fmt.Sprintf("at most %s percentage points of the principal, %s yuan: %s yuan", points(m.PrincipalCapBP), yuanText(b.PrincipalFen), yuanText(limit)))
	} else {
		c.Steps = append(c.Steps, Step{Code: StepComputed, Before: b.AmountFen, After: amount,
			TextZh: fmt.Sprintf("%s 元 × %s（%s），得 %s 元", yuanText(b.AmountFen), percent(b.Kind.RateBP), b.Kind.NameZh, yuanText(amount)),
			TextEn: fmt.Sprintf("%s yuan × %s (%s) is %s yuan", yuanText(b.AmountFen), percent(b.Kind.RateBP), b.Kind.NameEn, yuanText(amount))})
	}
	if m.PerAwardCapFen > 0 {
		c.apply(StepPerAwardCap, m.PerAwardCapFen, &amount,
			fmt.Sprintf("单项最高 %s 元", yuanText(m.PerAwardCapFen)),
			fmt.Sprintf("at most %s yuan per award", yuanText(m.PerAwardCapFen)))
	}
	if h.BasisReceived > 0 {
		before := amount
		amount = max(0, amount-h.BasisReceived)
		c.Steps = append(c.Steps, Step{Code: StepOverlap, LimitFen: h.BasisReceived, Before: before, After: amount,
			TextZh: fmt.Sprintf("同一事项 %s 已获支持 %s 元，从优、就高、不重复，只补差额 %s 元", b.Reference, yuanText(h.BasisReceived), yuanText(amount)),
			TextEn: fmt.Sprintf("cost item %s has received %s yuan already: the highest entitlement, never twice, pays the difference of %s yuan", b.Reference, yuanText(h.BasisReceived), yuanText(amount))})
	}
	if m.EnterpriseYearCapFen > 0 {
		zh, en := "每家企业每年最高", "at most"
		capFen := m.EnterpriseYearCapFen
		if h.EnterpriseYearCapFen > 0 && h.EnterpriseYearCapFen != capFen {
			capFen, zh, en = h.EnterpriseYearCapFen, "经核定本企业每年最高", "by the bureau's decision, at most"
		}
		c.apply(StepEnterpriseYearCap, h.EnterpriseYearLeft, &amount,
			fmt.Sprintf("%s %s 元，%d 年尚余 %s 元", zh, yuanText(capFen), b.MeasureYear, yuanText(h.EnterpriseYearLeft)),
			fmt.Sprintf("%s %s yuan per enterprise a year; %s yuan left in %d", en, yuanText(capFen), yuanText(h.EnterpriseYearLeft), b.MeasureYear))
	}
	if m.YearlyBudgetFen > 0 {
		c.apply(StepBudget, h.BudgetLeft, &amount,
			fmt.Sprintf("%d 年度资金 %s 元，尚余 %s 元", b.MeasureYear, yuanText(m.YearlyBudgetFen), yuanText(h.BudgetLeft)),
			fmt.Sprintf("the %d budget of %s yuan has %s yuan left", b.MeasureYear, yuanText(m.YearlyBudgetFen), yuanText(h.BudgetLeft)))
	}
	c.AwardFen = amount
	switch {
	case amount <= 0:
		c.Refusal = "nothing is left to award: " + c.Steps[slices.IndexFunc(c.Steps, func(s Step) bool { return s.After <= 0 })].TextEn
	case m.MinAwardFen > 0 && amount < m.MinAwardFen:
		c.Steps = append(c.Steps, Step{Code: StepMinimum, LimitFen: m.MinAwardFen, Before: amount, After: 0,
			TextZh: fmt.Sprintf("低于单项最低 %s 元", yuanText(m.MinAwardFen)),
			TextEn: fmt.Sprintf("below the least award of %s yuan", yuanText(m.MinAwardFen))})
		c.Refusal = fmt.Sprintf("%s yuan is below the least award of %s yuan", yuanText(amount), yuanText(m.MinAwardFen))
		c.AwardFen = 0
	}
	return c
}

// countLimitReached tells which of m's count limits (awards a year, an
// enterprise's awards a year or ever, its years) an award in year would
// break, or "" when none.
func countLimitReached(m catalog.Measure, year int, h Headroom) string {
	switch {
	case m.MaxAwardsPerYear > 0 && h.AwardsThisYear >= m.MaxAwardsPerYear:
		return fmt.Sprintf("%s has made its %d awards of %d", m.Code, m.MaxAwardsPerYear, year)
	case m.MaxAwardsPerEnterpriseYear > 0 && h.AwardsThisEnterpriseYear >= m.MaxAwardsPerEnterpriseYear:
		return fmt.Sprintf("the enterprise has had its %d award(s) of %s in %d", m.MaxAwardsPerEnterpriseYear, m.Code, year)
	case m.MaxAwardsPerEnterprise > 0 && h.AwardsThisEnterprise >= m.MaxAwardsPerEnterprise:
		return fmt.Sprintf("%s is awarded at most %d time(s) per enterprise, and the enterprise has had it", m.Code, m.MaxAwardsPerEnterprise)
	case m.MaxYearsPerEnterprise > 0 && h.NewYearForEnterprise && h.YearsThisEnterprise >= m.MaxYearsPerEnterprise:
		return fmt.Sprintf("%s supports an enterprise for at most %d years, and the enterprise has had them", m.Code, m.MaxYearsPerEnterprise)
	}
	return ""
}

// apply records a cap of limit on the amount so far, and lowers it.
func (c *Computation) apply(code string, limit int64, amount *int64, zh, en string) {
	before := *amount
	*amount = max(0, min(*amount, limit))
	c.Steps = append(c.Steps, Step{Code: code, LimitFen: limit, Before: before, After: *amount, TextZh: zh, TextEn: en})
}

// percent writes basis points as a percentage.
func percent(bp int64) string {
	if bp%100 == 0 {
		return fmt.Sprintf("%d%%", bp/100)
	}
	return fmt.Sprintf("%d.%02d%%", bp/100, bp%100)
}

// points writes basis points as percentage points, e.g. 150 as 1.5.
func points(bp int64) string {
	s := fmt.Sprintf("%d.%02d", bp/100, bp%100)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}
