package catalog

import "slices"

// Fen per yuan: amounts are integer fen.
const FenPerYuan = 100

// The window every support measure runs in (DOMAIN.md "Money").
const (
	MeasureWindowFrom  = "2024-08-19"
	MeasureWindowUntil = "2027-12-31"
	MeasureFirstYear   = 2024
	MeasureLastYear    = 2027
)

// BasisKind is a kind of cost a measure pays on, at a rate in basis points
// of the cost; RequiredDesignation, if set, must be held on the cost's date.
type BasisKind struct {
	Code                string
	NameZh              string
	NameEn              string
	RateBP              int64
	RequiredDesignation string
}

// Measure is a support measure of the seed: its clause, the bureau that
// decides it (and the bureaus it works with), the kinds of cost it pays
// on, and its limits. A zero limit is no limit.
type Measure struct {
	Code      string
	NameZh    string
	NameEn    string
	Clause    string
	Bureau    string
	CoBureaus []string
	Kinds     []BasisKind
	// RequiredDesignation must be held on the basis date, whatever the kind.
	RequiredDesignation string
	// PerAwardCapFen bounds one award (for rd-matching: one project, as a
	// project is one cost item).
	PerAwardCapFen       int64
	MinAwardFen          int64
	EnterpriseYearCapFen int64
	YearlyBudgetFen      int64
	// MaxAwardsPerYear bounds the measure's awards in a year;
	// MaxAwardsPerEnterpriseYear an enterprise's in a year;
	// MaxAwardsPerEnterprise an enterprise's ever; MaxYearsPerEnterprise
	// the years in which an enterprise is supported.
	MaxAwardsPerYear           int
	MaxAwardsPerEnterpriseYear int
	MaxAwardsPerEnterprise     int
	MaxYearsPerEnterprise      int
	// MinBasisFen is the least cost the measure considers (the innovation
	// centre's approved investment).
	MinBasisFen int64
	// Loans: the project's total investment must reach MinProjectTotalFen,
	// and the subsidy is at most PrincipalCapBP of the principal.
	MinProjectTotalFen int64
	PrincipalCapBP     int64
	RuleZh, RuleEn     string
}

func yuan(n int64) int64 { return n * FenPerYuan }

// Measures are the support measures of the seed (DOMAIN.md "Money").
var Measures = []Measure{
	{
		Code: "compute-voucher", NameZh: "算力券", NameEn: "Compute voucher", Clause: "(三)", Bureau: "economy-it",
		Kinds: []BasisKind{
			{"filed-multimodal-model", "基于已备案多模态基础模型", "On a filed multimodal base model", 3000, "model-filing"},
			{"domestic-compute", "国产算力", "On domestic compute", 3000, ""},
			{"other-compute", "其他算力", "On other compute", 2000, ""},
		},
		EnterpriseYearCapFen: yuan(8_000_000), YearlyBudgetFen: yuan(250_000_000),
		RuleZh: "按算力合同金额的 30%（已备案多模态基础模型或国产算力）或 20%（其他算力）补助，每家企业每年最高 800 万元，年度总额 2.5 亿元",
		RuleEn: "30% of a compute contract (on a filed multimodal base model or domestic compute) or 20% (other compute); at most 8,000,000 yuan per enterprise a year; yearly budget 250,000,000 yuan",
	},
	{
		Code: "loan-interest-subsidy", NameZh: "融资贴息", NameEn: "Loan interest subsidy", Clause: "(二)", Bureau: "financial-office",
		CoBureaus:          []string{"economy-it", "development-reform"},
		Kinds:              []BasisKind{{"loan-interest", "项目贷款利息", "Interest paid on a project loan", 5000, ""}},
		MinProjectTotalFen: yuan(50_000_000), PrincipalCapBP: 150, EnterpriseYearCapFen: yuan(10_000_000),
		RuleZh: "总投资 5000 万元以上的项目，按实际支付利息的 50% 且不超过贷款本金的 1.5 个百分点贴息，每家企业每年最高 1000 万元",
		RuleEn: "projects of at least 50,000,000 yuan: 50% of the interest paid and at most 1.5 percentage points of the principal; at most 10,000,000 yuan per enterprise a year",
	},
	{
		Code: "rd-matching", NameZh: "研发配套", NameEn: "R&D matching", Clause: "(一)", Bureau: "science-tech",
		Kinds: []BasisKind{
			{"national-funding", "国家级项目资金", "National funding received", 2500, ""},
			{"provincial-funding", "省级项目资金", "Provincial funding received", 2500, ""},
		},
		PerAwardCapFen: yuan(5_000_000),
		RuleZh:         "按实际到位的国家、省级项目资金的 25% 配套，每个项目最高 500 万元",
		RuleEn:         "25% of national or provincial funding actually received; at most 5,000,000 yuan per project",
	},
	{
		Code: "model-filing-reward", NameZh: "模型备案奖励", NameEn: "Model filing reward", Clause: "(四)", Bureau: "cyberspace",
		CoBureaus:           []string{"economy-it"},
		Kinds:               []BasisKind{{"evaluation-fees", "测评费用", "Evaluation fees", 10000, ""}},
		RequiredDesignation: "model-filing", PerAwardCapFen: yuan(500_000), MaxAwardsPerEnterprise: 1,
		RuleZh: "完成生成式人工智能模型备案的企业，按测评费用给予一次性奖励，最高 50 万元",
		RuleEn: "once per enterprise with a model filing: its evaluation fees, at most 500,000 yuan",
	},
	{
		Code: "open-source-award", NameZh: "开源贡献奖励", NameEn: "Open-source contribution award", Clause: "(五)", Bureau: "economy-it",
		Kinds:       []BasisKind{{"open-source-contribution", "开源贡献", "Open-source contribution", 10000, ""}},
		MinAwardFen: yuan(200_000), PerAwardCapFen: yuan(1_000_000), MaxAwardsPerYear: 10, MaxAwardsPerEnterpriseYear: 1,
		RuleZh: "每家 20 万至 100 万元，每年不超过 10 家企业",
		RuleEn: "200,000 to 1,000,000 yuan each; at most 10 enterprises a year",
	},
	{
		Code: "innovation-center-support", NameZh: "创新中心资助", NameEn: "Innovation centre support", Clause: "(七)", Bureau: "economy-it",
		Kinds:               []BasisKind{{"approved-investment", "核定投资", "Approved investment", 5000, ""}},
		RequiredDesignation: "innovation-center", MinBasisFen: yuan(10_000_000),
		EnterpriseYearCapFen: yuan(5_000_000), MaxYearsPerEnterprise: 3,
		RuleZh: "核定投资 1000 万元以上的市级创新中心，按核定投资的 50% 资助，每年最高 500 万元，最多 3 年",
		RuleEn: "municipal innovation centres with an approved investment of at least 10,000,000 yuan: 50% of it, at most 5,000,000 yuan a year, for at most 3 years",
	},
	{
		Code: "demonstration-award", NameZh: "示范应用奖励", NameEn: "Demonstration application award", Clause: "(八)", Bureau: "economy-it",
		Kinds:          []BasisKind{{"demonstration-project", "示范应用项目", "Demonstration project", 10000, ""}},
		PerAwardCapFen: yuan(5_000_000), MaxAwardsPerYear: 5,
		RuleZh: "每年不超过 5 个，每个最高 500 万元",
		RuleEn: "at most 5 a year, at most 5,000,000 yuan each",
	},
}

// MeasuresByCode are the measures by code.
var MeasuresByCode = func() map[string]Measure {
	m := make(map[string]Measure, len(Measures))
	for _, x := range Measures {
		m[x.Code] = x
	}
	return m
}()

// Kind returns the measure's basis kind of code.
func (m Measure) Kind(code string) (BasisKind, bool) {
	i := slices.IndexFunc(m.Kinds, func(k BasisKind) bool { return k.Code == code })
	if i < 0 {
		return BasisKind{}, false
	}
	return m.Kinds[i], true
}

// measureBureaus maps each measure to the bureau that decides it.
func measureBureaus() map[string]string {
	m := make(map[string]string, len(Measures))
	for _, x := range Measures {
		m[x.Code] = x.Bureau
	}
	return m
}
