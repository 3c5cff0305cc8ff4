package web

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"go.uber.org/zap"

	"github.com/hangzhou-ai/registry/registry"
)

// problem is an error as a page shows it: a headline for its kind, the
// registry's own message, and each bad field with what is wrong with it.
type problem struct {
	Status   int
	Headline Text
	Message  string
	Fields   []fieldProblem
}

type fieldProblem struct {
	Field  string
	Label  Text
	Reason Text
}

var kindHeadlines = map[registry.Kind]struct {
	status int
	text   Text
}{
	registry.KindInvalidArgument:    {http.StatusBadRequest, Text{"请求有误，请检查下列字段", "The request has mistakes; check the fields below"}},
	registry.KindNotFound:           {http.StatusNotFound, Text{"未找到", "Not found"}},
	registry.KindAlreadyExists:      {http.StatusConflict, Text{"该记录已存在", "This record already exists"}},
	registry.KindPermissionDenied:   {http.StatusForbidden, Text{"无权执行此操作", "You may not do this"}},
	registry.KindFailedPrecondition: {http.StatusConflict, Text{"当前状态不允许此操作", "Not possible in the current state"}},
	registry.KindUnauthenticated:    {http.StatusUnauthorized, Text{"请重新登录", "Please sign in again"}},
	registry.KindResourceExhausted:  {http.StatusTooManyRequests, Text{"超出限额或请求过多", "A limit or quota has been reached"}},
	registry.KindAborted:            {http.StatusConflict, Text{"记录已被他人修改，请刷新后重试", "Someone else changed the record; reload and try again"}},
	registry.KindUnavailable:        {http.StatusServiceUnavailable, Text{"服务暂不可用，请稍后重试", "The registry is unavailable; try again shortly"}},
}

// problemOf turns an error into what the page shows. Registry errors keep
// their message and fields; anything else is logged and shown as an
// internal error, so no SQL or stack text reaches the browser.
func problemOf(log *zap.Logger, err error) *problem {
	var re *registry.Error
	if errors.As(err, &re) {
		if h, ok := kindHeadlines[re.Kind]; ok {
			p := &problem{Status: h.status, Headline: h.text, Message: re.Message}
			for _, v := range re.Violations {
				p.Fields = append(p.Fields, fieldProblem{Field: v.Field, Label: fieldLabel(v.Field), Reason: reasonText(v.Description)})
			}
			return p
		}
	}
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return &problem{Status: http.StatusServiceUnavailable, Headline: Text{"请求超时，请重试", "The request timed out; try again"}}
	}
	log.Error("internal error", zap.Error(err))
	return &problem{Status: http.StatusInternalServerError, Headline: Text{"内部错误，请稍后重试", "Internal error; try again later"}}
}

// formUnreadable answers a posted form that could not be read (too large,
// or not a form at all).
var formUnreadable = invalid("form", Text{"表单无法读取", "the form could not be read"})

// invalid is a problem with one field, found by the console itself
// before calling the registry (a number that is not a number).
func invalid(field string, reason Text) *problem {
	h := kindHeadlines[registry.KindInvalidArgument]
	return &problem{Status: h.status, Headline: h.text, Fields: []fieldProblem{{Field: field, Label: fieldLabel(field), Reason: reason}}}
}

// fieldLabels name the request fields forms fill, in both languages.
var fieldLabels = map[string]Text{
	"credit_code":              {"统一社会信用代码", "Credit code"},
	"enterprise_credit_code":   {"企业统一社会信用代码", "Enterprise credit code"},
	"name":                     {"名称", "Name"},
	"district":                 {"所在区", "District"},
	"registered_on":            {"成立日期", "Registered on"},
	"type":                     {"认定类型", "Designation type"},
	"talent_id":                {"人才编号", "Talent id"},
	"level":                    {"层次", "Level"},
	"valid_from":               {"生效日期", "Valid from"},
	"valid_until":              {"截止日期", "Valid until"},
	"document_number":          {"文号", "Document number"},
	"note":                     {"备注", "Note"},
	"reason":                   {"原因", "Reason"},
	"id":                       {"编号", "Id"},
	"id_number":                {"身份证号", "Identity number"},
	"passport_number":          {"护照号", "Passport number"},
	"nationality":              {"国籍", "Nationality"},
	"employer_credit_code":     {"用人单位信用代码", "Employer's credit code"},
	"as_of":                    {"查询日期", "As of"},
	"year":                     {"年度", "Year"},
	"quotas":                   {"名额", "Quotas"},
	"places":                   {"名额数", "Places"},
	"benefit":                  {"政策事项", "Benefit"},
	"park_code":                {"园区", "Park"},
	"start_date":               {"入驻日期", "Start date"},
	"end_date":                 {"退出日期", "End date"},
	"floor_area_m2":            {"面积（平方米）", "Floor area (m²)"},
	"token":                    {"令牌", "Token"},
	"file":                     {"文件", "File"},
	"prize":                    {"奖项", "Prize"},
	"team":                     {"团队", "Team"},
	"title":                    {"名称", "Title"},
	"competition_id":           {"赛事编号", "Competition id"},
	"award_id":                 {"获奖或资助记录编号", "Award id"},
	"expected_version":         {"版本", "Version"},
	"any_of_designation_types": {"任一认定类型", "Any of designation types"},
	"min_tenancy_months":       {"最短入驻月数", "Minimum tenancy (months)"},
	"max_enterprise_age_years": {"企业最长成立年限", "Maximum enterprise age (years)"},
	// The talent office's forms.
	"organiser":    {"主办单位", "Organiser"},
	"tier":         {"赛事级别", "Tier"},
	"prize_levels": {"奖项与层次", "Prizes and levels"},
	"places_A":     {"A 类名额", "Places at level A"},
	"places_B":     {"B 类名额", "Places at level B"},
	"places_C":     {"C 类名额", "Places at level C"},
	"places_D":     {"D 类名额", "Places at level D"},
	"places_E":     {"E 类名额", "Places at level E"},
	// The administrator's and the parks' forms.
	"subject":          {"主体", "Subject"},
	"organisation":     {"单位", "Organisation"},
	"role":             {"角色", "Role"},
	"ttl_days":         {"有效天数", "Lifetime (days)"},
	"action":           {"操作", "Action"},
	"designation_type": {"认定类型", "Designation type"},
	"code":             {"园区代码", "Park code"},
	"operator_org":     {"运营单位", "Operator"},
	// Support applications, payments and recoveries.
	"measure_code":       {"政策措施", "Measure"},
	"basis_reference":    {"合同、贷款或项目编号", "Contract, loan or project reference"},
	"basis_kind":         {"费用类别", "Kind of cost"},
	"basis_amount_fen":   {"费用金额（分）", "Cost (fen)"},
	"basis_date":         {"费用发生日期", "Date of the cost"},
	"project_total_fen":  {"项目总投资（分）", "Project total (fen)"},
	"loan_principal_fen": {"贷款本金（分）", "Loan principal (fen)"},
	"evidence":           {"佐证材料", "Evidence"},
	"amount_fen":         {"金额（分）", "Amount (fen)"},
	"paid_on":            {"拨付日期", "Paid on"},
	"payer":              {"出资方", "Payer"},
	"recovery_id":        {"追回编号", "Recovery id"},
	"settled_on":         {"缴回日期", "Settled on"},
}

// fieldLabel names a field, or a list element's field ("awards[1].prize"
// is labelled by "prize"), falling back to the field's own name.
func fieldLabel(field string) Text {
	name := field
	for i := len(field) - 1; i >= 0; i-- {
		if field[i] == '.' || field[i] == ']' {
			name = field[i+1:]
			break
		}
	}
	if t, ok := fieldLabels[name]; ok {
		return t
	}
	return Text{field, field}
}

// reasons translate the registry's most common field descriptions.
var reasons = map[string]string{
	"is required":                                                "必填",
	"is required (YYYY-MM-DD)":                                   "必填（YYYY-MM-DD）",
	"must be a date YYYY-MM-DD":                                  "须为日期 YYYY-MM-DD",
	"must not be before valid_from":                              "不得早于生效日期",
	"must not be before start_date":                              "不得早于入驻日期",
	"must be one of A, B, C, D, E":                               "须为 A、B、C、D、E 之一",
	"must not be negative":                                       "不得为负数",
	"must not be in the future":                                  "不得晚于今天",
	"must not start with = + - or @":                             "不得以 = + - 或 @ 开头",
	"is required with a passport_number":                         "填写护照号时必填",
	"give between 1 and 5 levels with places, each level once":   "须为 1 至 5 个层次填写名额，每个层次一次",
	"must be between 1 and 10000":                                "须在 1 至 10000 之间",
	"must be national, provincial or municipal":                  "须为国家级、省级或市级",
	"give between 1 and 50 prizes":                               "须填写 1 至 50 个奖项",
	"give talent_id or the winner's name and document, not both": "填写人才编号，或填写获奖者姓名与证件，不可同时填写",
	"must be a year between 2000 and 2100":                       "须为 2000 至 2100 之间的年份",
	"must be 1-50 lower-case letters, digits and hyphens, starting with a letter or digit":       "须为 1 至 50 个小写字母、数字或连字符，以字母或数字开头",
	"is required (integer fen, more than 0)":                                                     "必填（以分为单位的正整数）",
	"must be a whole number of fen, without a decimal point (12.50 yuan is 1250)":                "须为以分为单位的整数，不得含小数点（12.50 元即 1250）",
	"must be a whole number of fen in digits only, without thousands separators (1,000 is 1000)": "须为以分为单位的整数，不得含千位分隔符（1,000 即 1000）",
	"must be a whole number of fen in digits only (1,500 yuan is 150000)":                        "须为以分为单位的整数，只能由数字组成（1,500 元即 150000）",
	"must be a year of four digits, such as 2026":                                                "须为四位数字的年份，如 2026",
	"is for loan-interest-subsidy only":                                                          "仅适用于融资贴息",
	"is required: city or district:<district>":                                                   "必填：city（市本级）或 district:<区>",
	"must be city or district:<district> (e.g. district:330108)":                                 "须为 city（市本级）或 district:<区>（如 district:330108）",
}

// reasonPrefixes translate descriptions that go on with details (which
// check character was expected, which code was given): the Chinese names
// the problem and keeps the details.
var reasonPrefixes = []struct{ en, zh string }{
	{"is not a valid unified social credit code", "不是有效的统一社会信用代码"},
	{"is not a valid resident identity number", "不是有效的身份证号"},
	{"is not a valid passport number", "不是有效的护照号"},
	{"must be a district of Hangzhou", "须为杭州市的区（GB/T 2260 代码或区名，如 330108 或 滨江区）"},
	{"is not enterprise:<valid credit code>", "须为 enterprise:<有效的统一社会信用代码>"},
	{"must be 18 characters", "须为 18 位"},
}

func reasonText(description string) Text {
	if zh, ok := reasons[description]; ok {
		return Text{zh, description}
	}
	for _, p := range reasonPrefixes {
		if rest, ok := strings.CutPrefix(description, p.en); ok {
			if rest = strings.TrimLeft(rest, ":, "); rest != "" {
				return Text{p.zh + "：" + rest, description}
			}
			return Text{p.zh, description}
		}
	}
	return Text{description, description}
}
