package web_test

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hangzhou-ai/registry/registry/catalog"
	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/registry/enterprise"
	"github.com/hangzhou-ai/registry/registry/park"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	"github.com/hangzhou-ai/registry/store/storetest"
	"github.com/hangzhou-ai/registry/web"
)

// checkEligibility fills the eligibility form and waits for the answer.
func checkEligibility(t *testing.T, ctx context.Context, s *site, code, benefit string) {
	t.Helper()
	run(t, ctx, "opening the eligibility check", chromedp.Navigate(s.URL+"/console/park/eligibility"), chromedp.WaitVisible(chromedp.CSS("#check-enterprise")))
	submit(t, ctx, "checking "+code+" for "+benefit, map[string]string{"#check-enterprise": code, "#check-benefit": benefit}, "#check-submit")
	run(t, ctx, "waiting for the answer", chromedp.WaitVisible(chromedp.CSS("#verdict")))
}

// attestationPayload is the claims part of an attestation, decoded.
func attestationPayload(t *testing.T, token string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("attestation %q is not a compact JWS", token)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestParkOperator has west-lake's operator check an enterprise that is
// not its tenant (it learns nothing of its designations), admit it (a bad
// floor area is a field problem), end a tenancy, set a rule and check A:
// eligible, with the reasons in words, the attestation and a QR code of
// its /verify link, which verifies.
func TestParkOperator(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		s := newSite(t, db, web.Config{})
		w := newWorld(t, s)
		eco := as("issuer", economy)
		c, err := s.Reg.RegisterEnterprise(eco, enterprise.NewEnterprise{CreditCode: registrytest.CreditCode(t, "91330108MA2KQ4E6X"), Name: "杭州之江具身智能有限公司", District: "西湖区", RegisteredOn: "2023-04-18"})
		if err != nil {
			t.Fatal(err)
		}
		cGiant, err := s.Reg.GrantDesignation(eco, designation.Grant{Type: "little-giant", EnterpriseCreditCode: c.CreditCode, ValidFrom: "2026-01-01", ValidUntil: "2028-12-31", DocumentNumber: "工信部企业函〔2026〕99号"})
		if err != nil {
			t.Fatal(err)
		}
		ctx := browser(t)
		signIn(t, ctx, s, s.token(t, "operator", "park:west-lake"))

		// Not a tenant: the answer says so and nothing else.
		checkEligibility(t, ctx, s, c.CreditCode, "rent-reduction")
		if got := text(t, ctx, "#verdict"); got != "不符合条件" {
			t.Errorf("non-tenant verdict %q", got)
		}
		mustContain(t, "non-tenant reasons", text(t, ctx, "#reasons"), "无有效租约")
		if got := text(t, ctx, "#matched"); got != "无" {
			t.Errorf("non-tenant matched types %q", got)
		}
		body := bodyText(t, ctx)
		mustNotContain(t, "non-tenant answer", body, c.Name, cGiant.ID, cGiant.DocumentNumber, typeZh("little-giant"), cGiant.ValidUntil)
		mustNotContain(t, "non-tenant attestation", attestationPayload(t, text(t, ctx, "#attestation")), cGiant.ID, "little-giant")

		// The tenants today, and admitting C.
		run(t, ctx, "opening the tenants", chromedp.Navigate(s.URL+"/console/park"), chromedp.WaitVisible(chromedp.CSS("#tenants")))
		tenants := text(t, ctx, "#tenants")
		mustContain(t, "tenants", tenants, w.A.Name, w.B.Name, w.A.CreditCode)
		mustNotContain(t, "tenants", tenants, c.Name)
		admit := map[string]string{"#admit-code": c.CreditCode, "#admit-start": "2026-06-01", "#admit-area": "三百平米"}
		submit(t, ctx, "admitting with a bad area", admit, "#admit-submit")
		mustContain(t, "bad area", text(t, ctx, `#problem li[data-field="floor_area_m2"]`), "面积", "须为数字")
		if got := attr(t, ctx, "#admit-code", "value"); got != c.CreditCode {
			t.Errorf("the refused form keeps credit code %q", got)
		}
		admit["#admit-area"] = "350.5"
		submit(t, ctx, "admitting", admit, "#admit-submit")
		if got := text(t, ctx, "#flash"); got != "已登记入驻" {
			t.Fatalf("flash %q after admitting", got)
		}
		mustContain(t, "admitted row", text(t, ctx, `#tenants tr[data-enterprise="`+c.CreditCode+`"]`), c.Name, "2026-06-01", "350.5")
		submit(t, ctx, "admitting twice", admit, "#admit-submit")
		mustContain(t, "overlapping tenancy", text(t, ctx, "#problem"), "该记录已存在")

		// Ending B's tenancy.
		run(t, ctx, "opening the tenants", chromedp.Navigate(s.URL+"/console/park"), chromedp.WaitVisible(chromedp.CSS("#tenants")))
		rowB := `#tenants tr[data-enterprise="` + w.B.CreditCode + `"]`
		run(t, ctx, "opening B's end form", chromedp.Click(chromedp.CSS(rowB+" summary")), chromedp.WaitVisible(chromedp.CSS(rowB+" .end-date")))
		submit(t, ctx, "ending B's tenancy", map[string]string{rowB + " .end-date": "2026-06-10", rowB + " .end-reason": "租约到期"}, rowB+" .end-submit")
		if got := text(t, ctx, "#flash"); got != "已结束入驻" {
			t.Fatalf("flash %q after ending", got)
		}
		mustNotContain(t, "tenants today", text(t, ctx, "#tenants"), w.B.Name)
		run(t, ctx, "tenants as of 2026-06-05", chromedp.SetValue(chromedp.CSS("#as-of"), "2026-06-05"))
		submit(t, ctx, "showing 2026-06-05", nil, "#asof-submit")
		mustContain(t, "B as of 2026-06-05", text(t, ctx, rowB), w.B.Name, "2026-06-10", "租约到期")
		run(t, ctx, "tenants as of 2026-05-01", chromedp.SetValue(chromedp.CSS("#as-of"), "2026-05-01"))
		submit(t, ctx, "showing 2026-05-01", nil, "#asof-submit")
		mustNotContain(t, "tenants as of 2026-05-01", text(t, ctx, "#tenants"), c.Name)

		// A rule of its own.
		run(t, ctx, "opening the rules", chromedp.Navigate(s.URL+"/console/park/rules"), chromedp.WaitVisible(chromedp.CSS("#rule-form")))
		mustContain(t, "rules", text(t, ctx, `#rules tr[data-benefit="rent-reduction"]`), typeZh("little-giant"), typeZh("hidden-champion"))
		held := 0
		for _, typ := range catalog.DesignationTypes {
			if typ.SubjectKind == catalog.SubjectEnterprise {
				held++
			}
		}
		if n := count(t, ctx, `#rule-types input[type=checkbox]`); n != held || held == 0 {
			t.Errorf("%d designation types to tick, want the %d enterprises hold", n, held)
		}
		if n := count(t, ctx, `#rule-type-talent-recognition, #rule-type-ai-park`); n != 0 {
			t.Errorf("types not held by enterprises are offered")
		}
		run(t, ctx, "ticking types", chromedp.Click(chromedp.CSS("#rule-type-little-giant")), chromedp.Click(chromedp.CSS("#rule-type-ai-growth-enterprise")))
		submit(t, ctx, "setting a rule", map[string]string{"#rule-benefit": "office-subsidy", "#rule-months": "6", "#rule-age": "10"}, "#rule-submit")
		if got := text(t, ctx, "#flash"); got != "规则已保存" {
			t.Fatalf("flash %q after setting the rule", got)
		}
		mustContain(t, "the new rule", text(t, ctx, `#rules tr[data-benefit="office-subsidy"]`), typeZh("little-giant"), typeZh("ai-growth-enterprise"), "6", "10")
		rules, err := s.Reg.ListEligibilityRules(as("operator", "park:west-lake"), "west-lake")
		if err != nil {
			t.Fatal(err)
		}
		var saved *park.EligibilityRule
		for i := range rules {
			if rules[i].Benefit == "office-subsidy" {
				saved = &rules[i]
			}
		}
		if saved == nil || saved.MinTenancyMonths != 6 || saved.MaxEnterpriseAgeYears != 10 || len(saved.AnyOfDesignationTypes) != 2 {
			t.Fatalf("the rule stored: %+v", saved)
		}

		// A is eligible under it.
		checkEligibility(t, ctx, s, w.A.CreditCode, "office-subsidy")
		if got := text(t, ctx, "#verdict"); got != "符合条件" {
			t.Errorf("A's verdict %q", got)
		}
		want, err := s.Reg.VerifyTenantEligibility(as("operator", "park:west-lake"), park.EligibilityQuery{ParkCode: "west-lake", EnterpriseCreditCode: w.A.CreditCode, Benefit: "office-subsidy"})
		if err != nil {
			t.Fatal(err)
		}
		reasons := text(t, ctx, "#reasons")
		if len(want.Reasons) < 4 {
			t.Fatalf("the registry gives %d reasons, want one per condition", len(want.Reasons))
		}
		for _, r := range want.Reasons {
			mustContain(t, "A's reasons", reasons, r.MessageZh)
		}
		mustNotContain(t, "A's reasons", reasons, "TENANCY_ACTIVE", "DESIGNATION_HELD")
		mustContain(t, "matched types", text(t, ctx, "#matched"), typeZh("little-giant"), typeZh("ai-growth-enterprise"))
		token := text(t, ctx, "#attestation")
		check, err := s.Reg.VerifyAttestation(as("viewer", economy), token)
		if err != nil || !check.Valid || check.Claims == nil || check.Claims.EnterpriseCreditCode != w.A.CreditCode || !check.Claims.Eligible {
			t.Fatalf("the page's attestation does not verify: %+v, %v", check, err)
		}
		link := s.URL + "/verify#" + token
		if got := attr(t, ctx, "#verify-link", "href"); got != link {
			t.Errorf("verify link %q, want %q", got, link)
		}
		if got := text(t, ctx, "#verify-link"); got != link {
			t.Errorf("the link shows %q", got)
		}
		if src := attr(t, ctx, "#verify-qr", "src"); !strings.HasPrefix(src, "data:image/svg+xml;base64,") {
			t.Errorf("QR image src %.60q…", src)
		}
		if n := count(t, ctx, `button[data-copy="attestation"][hidden]`); n != 0 {
			t.Errorf("the copy button stays hidden with the script")
		}
		screenshot(t, ctx, "park-eligibility")
		qr, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS("#verify-qr")))
		if err != nil {
			t.Fatal(err)
		}
		if got := decodeQR(t, qr); got != link {
			t.Errorf("the QR code reads %q, want %q", got, link)
		}
		run(t, ctx, "following the verify link", chromedp.Click(chromedp.CSS("#verify-link")), chromedp.WaitVisible(chromedp.CSS("#result")))
		mustContain(t, "verify page", bodyText(t, ctx), "有效：签名正确", w.A.CreditCode, "office-subsidy")
	})
}

// TestParkViewer signs a park's viewer in: it reads the tenants and rules
// and may check eligibility, but has no form that changes them.
func TestParkViewer(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		s := newSite(t, db, web.Config{})
		w := newWorld(t, s)
		ctx := browser(t)
		signIn(t, ctx, s, s.token(t, "viewer", "park:west-lake"))
		run(t, ctx, "opening the tenants", chromedp.Navigate(s.URL+"/console/park"), chromedp.WaitVisible(chromedp.CSS("#tenants")))
		mustContain(t, "viewer's tenants", text(t, ctx, "#tenants"), w.A.Name, w.B.Name)
		if n := count(t, ctx, "#admit-form, .end-form, form[method=post][action^='/console/park']"); n != 0 {
			t.Errorf("a viewer gets %d forms to change tenancies", n)
		}
		run(t, ctx, "opening the rules", chromedp.Navigate(s.URL+"/console/park/rules"), chromedp.WaitVisible(chromedp.CSS("#rules")))
		mustContain(t, "viewer's rules", text(t, ctx, "#rules"), "rent-reduction")
		if n := count(t, ctx, "#rule-form"); n != 0 {
			t.Errorf("a viewer gets the rule form")
		}
		checkEligibility(t, ctx, s, w.A.CreditCode, "rent-reduction")
		if got := text(t, ctx, "#verdict"); got != "符合条件" {
			t.Errorf("viewer's check of A: %q", got)
		}
		// A park page for someone who is not a park's staff.
		other := browser(t)
		signIn(t, other, s, s.token(t, "member", "enterprise:"+w.A.CreditCode))
		run(t, other, "a member opening the park page", chromedp.Navigate(s.URL+"/console/park"), chromedp.WaitVisible(chromedp.CSS("#problem")))
		mustContain(t, "member on the park page", bodyText(t, other), "无权执行此操作")
		mustNotContain(t, "member on the park page", bodyText(t, other), w.B.Name, w.Park.Name)
	})
}
