package web

import (
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/catalog"
	"github.com/hangzhou-ai/registry/registry/park"
)

// parkRoutes are a park operator's pages: tenants as of a date, admitting and ending tenancies, benefit rules and eligibility checks.
func (s *Server) parkRoutes(mux *http.ServeMux) {
	mux.Handle("GET /console/park", s.signedIn(s.parkPage))
	mux.Handle("POST /console/park/tenants", s.signedIn(s.admitTenant))
	mux.Handle("POST /console/park/tenants/{id}/end", s.signedIn(s.endTenancy))
	mux.Handle("GET /console/park/rules", s.signedIn(s.rulesPage))
	mux.Handle("POST /console/park/rules", s.signedIn(s.setRule))
	mux.Handle("GET /console/park/eligibility", s.signedIn(s.eligibilityPage))
}

// parkOnly answers pages that only a park's staff have.
var parkOnly = &problem{Status: http.StatusForbidden, Headline: kindHeadlines[registry.KindPermissionDenied].text,
	Message: "此页面仅供园区工作人员使用。 / This page is for a park's own staff."}

// ownPark is the code of the signed-in principal's park, and whether it
// may change the park's records (operators) or only read them. No form
// names a park: every call is about the principal's own, and the
// registry refuses any other.
func ownPark(r *http.Request) (code string, operator, ok bool) {
	p, _ := registry.PrincipalFrom(r.Context())
	code, ok = strings.CutPrefix(p.Org, "park:")
	return code, p.Role == "operator", ok && code != ""
}

// ownParkRecord reads the principal's own park, or answers the page that
// says why not; ok is false when it has answered.
func (s *Server) ownParkRecord(w http.ResponseWriter, r *http.Request) (pk park.Park, operator, ok bool) {
	code, operator, ok := ownPark(r)
	if !ok {
		s.fail(w, r, parkOnly)
		return pk, false, false
	}
	pk, err := s.reg.GetPark(r.Context(), code)
	if err != nil {
		s.failErr(w, r, err)
		return pk, false, false
	}
	return pk, operator, true
}

type parkView struct {
	Park     park.Park
	AsOf     string
	Today    string
	Tenants  []park.Tenancy
	Next     string
	Operator bool
	Form     url.Values
	EndID    string // the tenancy whose end form was refused
}

func (s *Server) parkPage(w http.ResponseWriter, r *http.Request) {
	s.showPark(w, r, nil)
}

// showPark lists the park's tenancies in force on ?as_of= (today when
// empty), with the admit and end forms for operators.
func (s *Server) showPark(w http.ResponseWriter, r *http.Request, p *problem) {
	pk, operator, ok := s.ownParkRecord(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	v := parkView{Park: pk, AsOf: strings.TrimSpace(q.Get("as_of")), Today: s.reg.Today(), Operator: operator, Form: r.PostForm, EndID: r.PathValue("id")}
	var err error
	v.Tenants, v.Next, err = s.reg.ListTenants(r.Context(), park.TenantFilter{ParkCode: pk.Code, AsOf: v.AsOf, PageSize: maxListed, PageToken: q.Get("page_token")})
	if err != nil && p == nil {
		p = problemOf(s.log, err)
	}
	s.pageStatus(w, r, http.StatusOK, "park.html", Text{pk.Name, pk.Name}, p, v)
}

// floatValue parses an optional decimal field; an unparsable one is a
// problem naming the field.
func floatValue(r *http.Request, name string) (float64, *problem) {
	v := value(r, name)
	if v == "" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, invalid(name, Text{"须为数字，如 350 或 120.5", "must be a number such as 350 or 120.5"})
	}
	return f, nil
}

func (s *Server) admitTenant(w http.ResponseWriter, r *http.Request) {
	code, _, ok := ownPark(r)
	if !ok {
		s.fail(w, r, parkOnly)
		return
	}
	if err := form(w, r); err != nil {
		s.showPark(w, r, formUnreadable)
		return
	}
	area, bad := floatValue(r, "floor_area_m2")
	if bad != nil {
		s.showPark(w, r, bad)
		return
	}
	_, err := s.reg.AdmitTenant(r.Context(), park.NewTenancy{
		ParkCode: code, EnterpriseCreditCode: value(r, "enterprise_credit_code"),
		StartDate: value(r, "start_date"), EndDate: value(r, "end_date"), FloorAreaM2: area,
	})
	if err != nil {
		s.showPark(w, r, problemOf(s.log, err))
		return
	}
	done(w, r, "/console/park", "admitted")
}

func (s *Server) endTenancy(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := ownPark(r); !ok {
		s.fail(w, r, parkOnly)
		return
	}
	if err := form(w, r); err != nil {
		s.showPark(w, r, formUnreadable)
		return
	}
	version, bad := intValue(r, "expected_version")
	if bad != nil {
		s.showPark(w, r, bad)
		return
	}
	_, err := s.reg.EndTenancy(r.Context(), park.EndTenancyRequest{
		TenancyID: r.PathValue("id"), EndDate: value(r, "end_date"), Reason: value(r, "reason"), ExpectedVersion: version,
	})
	if err != nil {
		s.showPark(w, r, problemOf(s.log, err))
		return
	}
	done(w, r, "/console/park", "ended")
}

// enterpriseTypes are the designation types an enterprise holds, which a
// benefit rule may ask for.
func enterpriseTypes() []catalog.DesignationType {
	var out []catalog.DesignationType
	for _, t := range catalog.DesignationTypes {
		if t.SubjectKind == catalog.SubjectEnterprise {
			out = append(out, t)
		}
	}
	return out
}

type rulesView struct {
	Park     park.Park
	Rules    []park.EligibilityRule
	Types    []catalog.DesignationType
	Operator bool
	// The rule form's values: a refused form's, or the rule being edited.
	Benefit           string
	Checked           []string
	MinMonths, MaxAge string
	ExpectedVersion   int64
	Editing           bool
}

// Has tells whether the rule form has type code ticked.
func (v rulesView) Has(code string) bool { return slices.Contains(v.Checked, code) }

func (s *Server) rulesPage(w http.ResponseWriter, r *http.Request) {
	s.showRules(w, r, nil)
}

// showRules lists the park's benefit rules and, for operators, the form
// to set one: empty, filled from ?benefit= to edit that rule, or with the
// values of a refused form.
func (s *Server) showRules(w http.ResponseWriter, r *http.Request, p *problem) {
	pk, operator, ok := s.ownParkRecord(w, r)
	if !ok {
		return
	}
	v := rulesView{Park: pk, Types: enterpriseTypes(), Operator: operator}
	var err error
	v.Rules, err = s.reg.ListEligibilityRules(r.Context(), pk.Code)
	if err != nil && p == nil {
		p = problemOf(s.log, err)
	}
	if r.Method == http.MethodPost {
		v.Benefit, v.Checked = value(r, "benefit"), r.PostForm["any_of_designation_types"]
		v.MinMonths, v.MaxAge = value(r, "min_tenancy_months"), value(r, "max_enterprise_age_years")
		v.ExpectedVersion, _ = strconv.ParseInt(value(r, "expected_version"), 10, 64)
	} else if b := r.URL.Query().Get("benefit"); b != "" {
		for _, rule := range v.Rules {
			if rule.Benefit == b {
				v.Benefit, v.Checked, v.ExpectedVersion, v.Editing = rule.Benefit, rule.AnyOfDesignationTypes, rule.Version, true
				v.MinMonths, v.MaxAge = strconv.Itoa(rule.MinTenancyMonths), strconv.Itoa(rule.MaxEnterpriseAgeYears)
			}
		}
	}
	v.Editing = v.Editing || v.ExpectedVersion != 0
	s.pageStatus(w, r, http.StatusOK, "park_rules.html", Text{"政策规则", "Benefit rules"}, p, v)
}

func (s *Server) setRule(w http.ResponseWriter, r *http.Request) {
	code, _, ok := ownPark(r)
	if !ok {
		s.fail(w, r, parkOnly)
		return
	}
	if err := form(w, r); err != nil {
		s.showRules(w, r, formUnreadable)
		return
	}
	months, bad := intValue(r, "min_tenancy_months")
	if bad != nil {
		s.showRules(w, r, bad)
		return
	}
	age, bad := intValue(r, "max_enterprise_age_years")
	if bad != nil {
		s.showRules(w, r, bad)
		return
	}
	version, bad := intValue(r, "expected_version")
	if bad != nil {
		s.showRules(w, r, bad)
		return
	}
	_, err := s.reg.SetEligibilityRule(r.Context(), park.EligibilityRule{
		ParkCode: code, Benefit: value(r, "benefit"), AnyOfDesignationTypes: r.PostForm["any_of_designation_types"],
		MinTenancyMonths: int(months), MaxEnterpriseAgeYears: int(age), ExpectedVersion: version,
	})
	if err != nil {
		s.showRules(w, r, problemOf(s.log, err))
		return
	}
	done(w, r, "/console/park/rules", "rule-saved")
}

type eligibilityView struct {
	Park                park.Park
	Benefits            []string
	Enterprise, Benefit string
	AsOf                string
	Checked             bool
	Answer              park.EligibilityAnswer
	Reasons             []Text
	VerifyURL           string
	QR                  template.URL // data: URL of the QR code's SVG
	QRSize              int
}

// eligibilityPage checks an enterprise's eligibility for one of the
// park's benefits when ?enterprise= and ?benefit= are given, and shows the
// signed attestation with the /verify link and its QR code. The answer is
// all the page tells about the enterprise.
func (s *Server) eligibilityPage(w http.ResponseWriter, r *http.Request) {
	code, _, ok := ownPark(r)
	if !ok {
		s.fail(w, r, parkOnly)
		return
	}
	ctx := r.Context()
	pk, err := s.reg.GetPark(ctx, code)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	q := r.URL.Query()
	v := eligibilityView{Park: pk, Enterprise: strings.TrimSpace(q.Get("enterprise")), Benefit: strings.TrimSpace(q.Get("benefit")), AsOf: strings.TrimSpace(q.Get("as_of"))}
	title := Text{"资格核验", "Check eligibility"}
	rules, err := s.reg.ListEligibilityRules(ctx, code)
	if err != nil {
		s.pageStatus(w, r, http.StatusOK, "park_eligibility.html", title, problemOf(s.log, err), v)
		return
	}
	for _, rule := range rules {
		v.Benefits = append(v.Benefits, rule.Benefit)
	}
	if v.Enterprise == "" && v.Benefit == "" {
		s.page(w, r, "park_eligibility.html", title, v)
		return
	}
	ans, err := s.reg.VerifyTenantEligibility(ctx, park.EligibilityQuery{ParkCode: code, EnterpriseCreditCode: v.Enterprise, Benefit: v.Benefit, AsOf: v.AsOf})
	if err != nil {
		s.pageStatus(w, r, http.StatusOK, "park_eligibility.html", title, problemOf(s.log, err), v)
		return
	}
	v.Checked, v.Answer = true, ans
	for _, reason := range ans.Reasons {
		v.Reasons = append(v.Reasons, Text{reason.MessageZh, reason.MessageEn})
	}
	v.VerifyURL = s.baseURL(r) + "/verify#" + ans.Attestation
	qr, err := qrFor(v.VerifyURL)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	// The image is inline (the policy allows data: images), so the
	// attestation never travels in a request for it.
	v.QR = template.URL("data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString(qrSVG(qr)))
	v.QRSize = len(qr.Bitmap()) * 4
	s.page(w, r, "park_eligibility.html", title, v)
}
