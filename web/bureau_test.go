package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/registry/enterprise"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	"github.com/hangzhou-ai/registry/store/storetest"
	"github.com/hangzhou-ai/registry/web"
)

// TestBureauJourney is the economy-IT issuer's day in the browser: find an
// enterprise by name and by district, register one (a bad credit code is
// refused with the field named), grant it a little giant from the form of
// the types the bureau owns, then suspend, reinstate, renew and revoke it,
// each change shown on the page and on the public page.
func TestBureauJourney(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		s := newSite(t, db, web.Config{})
		w := newWorld(t, s)
		ctx := browser(t)
		signIn(t, ctx, s, s.token(t, "issuer", economy))
		mustContain(t, "menu", text(t, ctx, "#menu"), "企业", "人才", "批量导入")

		run(t, ctx, "searching by name", chromedp.Navigate(s.URL+"/console/enterprises?q=云栖"), chromedp.WaitVisible(chromedp.CSS("#enterprises")))
		found := text(t, ctx, "#enterprises")
		mustContain(t, "search by name", found, w.A.Name)
		mustNotContain(t, "search by name", found, w.B.Name)
		run(t, ctx, "searching by district", chromedp.Navigate(s.URL+"/console/enterprises?district=钱塘区"), chromedp.WaitVisible(chromedp.CSS("#enterprises")))
		found = text(t, ctx, "#enterprises")
		mustContain(t, "search by district", found, w.B.Name)
		mustNotContain(t, "search by district", found, w.A.Name)
		screenshot(t, ctx, "bureau-enterprises")

		code := registrytest.CreditCode(t, "91110000600037341")
		bad := code[:17] + "X"
		if bad == code {
			bad = code[:17] + "Y"
		}
		submit(t, ctx, "registering with a bad credit code", map[string]string{"#ent-code": bad, "#ent-name": "示例科技有限公司", "#ent-district": "滨江区"}, "#ent-submit")
		mustContain(t, "refused registration", text(t, ctx, "#problem"), "请求有误", "统一社会信用代码", "credit_code")
		if got, _ := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#ent-name"))); got != "示例科技有限公司" {
			t.Errorf("the refused form lost its name: %q", got)
		}
		if found, _, err := s.Reg.ListEnterprises(as("issuer", economy), enterprise.EnterpriseFilter{Query: "示例科技"}); err != nil || len(found) != 0 {
			t.Fatalf("after the refused registration the registry holds %v (%v)", found, err)
		}
		submit(t, ctx, "registering", map[string]string{"#ent-code": code, "#ent-name": "示例科技有限公司", "#ent-district": "滨江区"}, "#ent-submit")
		mustContain(t, "registered", bodyText(t, ctx), "已登记", "示例科技有限公司", code, "滨江区")

		types, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#grant-type")))
		if err != nil {
			t.Fatal(err)
		}
		mustContain(t, "economy-IT's grant types", types, "小巨人", "隐形冠军")
		mustNotContain(t, "economy-IT's grant types", types, "总部企业", "模型备案", "专项人才授权")
		run(t, ctx, "choosing little giant", chromedp.SetValue(chromedp.CSS("#grant-type"), "little-giant"))
		submit(t, ctx, "granting", map[string]string{"#grant-from": "2026-01-01", "#grant-until": "2028-12-31", "#grant-doc": "工信部企业函〔2026〕99号"}, "#grant-submit")
		mustContain(t, "granted", bodyText(t, ctx), "已登记认定", "工信部企业函〔2026〕99号")
		if got := text(t, ctx, "#status"); got != "有效" {
			t.Fatalf("status after grant: %q", got)
		}
		id := text(t, ctx, "#designation-id")
		list, _, err := s.Reg.ListDesignations(as("issuer", economy), designation.DesignationFilter{EnterpriseCreditCode: code})
		if err != nil || len(list) != 1 || list[0].ID != id {
			t.Fatalf("the registry holds %v (%v), want the one designation %s", list, err, id)
		}

		submit(t, ctx, "suspending without a reason", map[string]string{"#suspend-reason": " "}, "#suspend")
		mustContain(t, "refused suspension", text(t, ctx, "#problem"), "reason")
		submit(t, ctx, "suspending", map[string]string{"#suspend-reason": "核查中"}, "#suspend")
		if got := text(t, ctx, "#status"); got != "暂停" {
			t.Errorf("after suspension: %q", got)
		}
		submit(t, ctx, "reinstating", map[string]string{"#reinstate-reason": "核查完毕"}, "#reinstate")
		if got := text(t, ctx, "#status"); got != "有效" {
			t.Errorf("after reinstatement: %q", got)
		}
		submit(t, ctx, "renewing", map[string]string{"#renew-until": "2029-12-31", "#renew-doc": "工信部企业函〔2027〕9号"}, "#renew")
		mustContain(t, "renewed", text(t, ctx, "#validity"), "2029-12-31")
		screenshot(t, ctx, "bureau-designation")
		// The page's script asks before revoking; the browser accepts.
		run(t, ctx, "answering the confirmation", chromedp.Evaluate[chromedp.Void]("window.confirm = () => true"))
		submit(t, ctx, "revoking", map[string]string{"#revoke-reason": "不再符合条件"}, "#revoke")
		if got := text(t, ctx, "#status"); got != "已撤销" {
			t.Errorf("after revocation: %q", got)
		}
		loadAfter(t, ctx, "opening the public page", chromedp.Click(chromedp.CSS("#public-link")))
		if got := text(t, ctx, "#status"); got != "已撤销" {
			t.Errorf("public page after revocation: %q", got)
		}
	})
}

// TestBureauMayNotActOnOthers checks the talent office sees no grant form
// for enterprise types and cannot change economy-IT's designation by
// posting the form anyway; the page says why, and nothing changes.
func TestBureauMayNotActOnOthers(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		s := newSite(t, db, web.Config{})
		w := newWorld(t, s)
		ctx := browser(t)
		signIn(t, ctx, s, s.token(t, "issuer", talentOffice))
		run(t, ctx, "opening economy-IT's designation", chromedp.Navigate(s.URL+"/console/designations/"+w.Giant.ID), chromedp.WaitVisible(chromedp.CSS("#designation")))
		if n, _ := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll("#revoke-form"), chromedp.AtLeast(0))); len(n) != 0 {
			t.Error("the talent office is offered a revoke form for economy-IT's designation")
		}
		// Post the form as a page of this site would.
		loadAfter(t, ctx, "posting a revocation anyway", chromedp.Evaluate[chromedp.Void](`(() => {
			const f = document.createElement("form"); f.method = "post"; f.action = "/console/designations/`+w.Giant.ID+`/revoke";
			const r = document.createElement("input"); r.name = "reason"; r.value = "越权"; f.appendChild(r);
			document.body.appendChild(f); f.submit(); })()`))
		mustContain(t, "refused", text(t, ctx, "#problem"), "无权执行此操作")
		d, err := s.Reg.GetDesignation(as("issuer", economy), w.Giant.ID)
		if err != nil || d.Status != designation.StatusActive {
			t.Fatalf("after the refused post: %v %v", d.Status, err)
		}
		run(t, ctx, "opening an enterprise", chromedp.Navigate(s.URL+"/console/enterprises/"+w.A.CreditCode), chromedp.WaitVisible(chromedp.CSS("#enterprise-name")))
		if n, _ := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll("#grant-form"), chromedp.AtLeast(0))); len(n) != 0 {
			types, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#grant-type")))
			if strings.Contains(types, "小巨人") {
				t.Errorf("the talent office is offered little giant: %q", types)
			}
		}
	})
}

// TestTalentRegistration registers a talent in the browser: the identity
// number is shown masked only, and a refused form does not echo it back.
func TestTalentRegistration(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		s := newSite(t, db, web.Config{})
		w := newWorld(t, s)
		ctx := browser(t)
		signIn(t, ctx, s, s.token(t, "issuer", talentOffice))
		idNumber := registrytest.IDNumber(t, "11010519491231002")
		run(t, ctx, "opening talents", chromedp.Navigate(s.URL+"/console/talents"), chromedp.WaitVisible(chromedp.CSS("#register-talent")))
		submit(t, ctx, "registering with a bad employer", map[string]string{"#talent-name": "陈思远", "#talent-id-number": idNumber, "#talent-employer": "123"}, "#talent-submit")
		page, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
		if err != nil {
			t.Fatal(err)
		}
		mustContain(t, "refused", page, "employer_credit_code")
		mustNotContain(t, "refused page", page, idNumber)
		submit(t, ctx, "registering", map[string]string{"#talent-name": "陈思远", "#talent-id-number": idNumber, "#talent-employer": w.A.CreditCode}, "#talent-submit")
		page, err = chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
		if err != nil {
			t.Fatal(err)
		}
		mustContain(t, "registered", page, "陈思远", idNumber[:4]+"**********"+idNumber[14:])
		mustNotContain(t, "registered page", page, idNumber)
		// The talent office's grant form offers the talent types, levels included.
		run(t, ctx, "choosing a level", chromedp.SetValue(chromedp.CSS("#grant-type"), "talent-recognition"), chromedp.SetValue(chromedp.CSS("#grant-level"), "B"))
		submit(t, ctx, "recognising", map[string]string{"#grant-from": "2026-06-01", "#grant-until": "2031-05-31", "#grant-doc": "杭人才〔2026〕11号"}, "#grant-submit")
		if got := text(t, ctx, "#status"); got != "有效" {
			t.Fatalf("status: %q", got)
		}
		mustContain(t, "recognition", bodyText(t, ctx), "人才层次认定", "层次 B")
	})
}
