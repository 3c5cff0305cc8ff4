package web_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hangzhou-ai/registry/attest"
	"github.com/hangzhou-ai/registry/registry/benefit"
	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/store/storetest"
	"github.com/hangzhou-ai/registry/web"
)

// supportWorld is the world with two pending compute-voucher
// applications: A's worked example (contract HT-1 of 10,000,000 yuan on
// other compute, 20%: 2,000,000 yuan) and B's contract HT-B7 of
// 12,345,678 yuan on domestic compute (30%: 3,703,703.40 yuan).
type supportWorld struct {
	world
	AppA, AppB benefit.Application
}

// What B's application and award look like, which A must never see.
const (
	bContract      = "HT-B7"
	bBasisYuan     = "12,345,678.00 元"
	bAwardYuan     = "3,703,703.40 元"
	bAwardFen      = "370370340"
	aAwardYuan     = "2,000,000.00 元"
	supportQueue   = "/console/support/applications"
	ownStatement   = "/console/support/statement"
	notYoursZh     = "未找到该记录，或您无权查看"
	computeVoucher = "compute-voucher"
)

func newSupportWorld(t *testing.T, s *site) supportWorld {
	t.Helper()
	w := supportWorld{world: newWorld(t, s)}
	var err error
	if w.AppA, err = s.Reg.ApplyForSupport(as("member", "enterprise:"+w.A.CreditCode), benefit.NewApplication{
		MeasureCode: computeVoucher, EnterpriseCreditCode: w.A.CreditCode, Year: 2026, BasisReference: "HT-1",
		BasisKind: "other-compute", BasisAmountFen: 1_000_000_000, BasisDate: "2026-03-01",
	}); err != nil {
		t.Fatal(err)
	}
	if w.AppB, err = s.Reg.ApplyForSupport(as("member", "enterprise:"+w.B.CreditCode), benefit.NewApplication{
		MeasureCode: computeVoucher, EnterpriseCreditCode: w.B.CreditCode, Year: 2026, BasisReference: bContract,
		BasisKind: "domestic-compute", BasisAmountFen: 1_234_567_800, BasisDate: "2026-04-10",
	}); err != nil {
		t.Fatal(err)
	}
	return w
}

// approve approves an application as economy-IT's issuer and returns its
// award's id.
func approve(t *testing.T, s *site, id string) string {
	t.Helper()
	_, award, err := s.Reg.DecideApplication(as("issuer", economy), benefit.Decision{ID: id, Approve: true})
	if err != nil {
		t.Fatal(err)
	}
	return award.ID
}

// send posts a form as c's session with the extra headers, and returns
// the status, the Location of a redirect and the body.
func (c *consoleClient) send(path string, header map[string]string, kv ...string) (int, string, string) {
	c.t.Helper()
	vals := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		vals.Set(kv[i], kv[i+1])
	}
	req, err := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(vals.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	req.AddCookie(c.cookie)
	res, err := noRedirects().Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return res.StatusCode, res.Header.Get("Location"), string(body)
}

// mustGet gets a console page that must answer 200.
func (c *consoleClient) mustGet(path string) string {
	c.t.Helper()
	status, body := c.get(path)
	if status != http.StatusOK {
		c.t.Fatalf("GET %s: %d\n%s", path, status, body)
	}
	return body
}

func applicationPath(id string) string { return supportQueue + "/" + id }

// TestSupportReview is economy-IT's review: the queue lists the pending
// applications (and none under another measure), an application shows
// the breakdown approving would compute, a rejection without a reason is
// refused with the field named, and approval records the award, after
// which the page shows the final breakdown and the amount and the queue
// no longer lists it.
func TestSupportReview(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		s := newSite(t, db, web.Config{})
		w := newSupportWorld(t, s)
		eco := newConsoleClient(t, s, s.token(t, "issuer", economy))
		mustContain(t, "economy-IT's menu", eco.mustGet("/console/"), `href="`+supportQueue+`"`)
		member := newConsoleClient(t, s, s.token(t, "member", "enterprise:"+w.A.CreditCode))
		home := member.mustGet("/console/")
		mustContain(t, "member's menu", home, `href="`+ownStatement+`"`)
		mustNotContain(t, "member's menu", home, `href="`+supportQueue+`"`)

		queue := eco.mustGet(supportQueue)
		mustContain(t, "queue", queue, `href="`+applicationPath(w.AppA.ID)+`"`, `href="`+applicationPath(w.AppB.ID)+`"`,
			w.A.Name, w.B.Name, "10,000,000.00 元", bBasisYuan, "算力券", "HT-1", bContract)
		other := eco.mustGet(supportQueue + "?measure=rd-matching")
		mustContain(t, "rd-matching queue", other, "没有待审核的申请")
		mustNotContain(t, "rd-matching queue", other, w.AppA.ID, w.AppB.ID)
		status, body := eco.get(supportQueue + "?measure=no-such-measure")
		if status != http.StatusBadRequest {
			t.Errorf("an unknown measure: %d, want 400", status)
		}
		mustContain(t, "unknown measure", body, `data-field="measure_code"`, "政策措施")

		page := eco.mustGet(applicationPath(w.AppA.ID))
		mustContain(t, "pending application", page, `data-status="pending"`, `id="breakdown-preview"`, `id="approve-form"`, `id="reject-form"`,
			`id="preview-awarded" data-fen="200000000">`+aAwardYuan+`<`,
			`data-code="computed" data-limit="0" data-before="1000000000" data-after="200000000"`,
			`data-code="enterprise_year_cap" data-limit="800000000" data-before="200000000" data-after="200000000"`,
			"企业年度上限", "每家企业每年最高 8,000,000.00 元")

		status, _, body = eco.send(applicationPath(w.AppB.ID)+"/reject", nil, "reason", " ")
		if status != http.StatusBadRequest {
			t.Errorf("a rejection without a reason: %d, want 400", status)
		}
		mustContain(t, "rejection without a reason", body, "请求有误", `data-field="reason"`, "原因", "必填", `id="reject-form"`)
		if a, err := s.Reg.GetApplication(as("issuer", economy), w.AppB.ID); err != nil || a.Status != benefit.StatusPending {
			t.Fatalf("after the refused rejection: %s %v", a.Status, err)
		}

		status, to, _ := eco.send(applicationPath(w.AppA.ID)+"/approve", nil, "reason", "材料齐全")
		if status != http.StatusSeeOther || to != applicationPath(w.AppA.ID)+"?done=approved" {
			t.Fatalf("approving: %d to %q", status, to)
		}
		decided, err := s.Reg.GetApplication(as("issuer", economy), w.AppA.ID)
		if err != nil || decided.Status != benefit.StatusApproved || decided.AwardedFen != 200_000_000 || decided.AwardID == "" {
			t.Fatalf("after approval the registry holds %+v (%v)", decided, err)
		}
		page = eco.mustGet(to)
		mustContain(t, "approved application", page, `id="flash"`, "已批准", `data-status="approved"`,
			`id="awarded" data-fen="200000000">`+aAwardYuan+`<`, `id="award-id">`+decided.AwardID+`<`, "材料齐全",
			`data-code="enterprise_year_cap" data-limit="800000000" data-before="200000000" data-after="200000000"`,
			`href="/console/enterprises/`+w.A.CreditCode+`/statement?year=2026"`)
		mustNotContain(t, "approved application", page, `id="approve-form"`, `id="reject-form"`, `id="breakdown-preview"`)

		queue = eco.mustGet(supportQueue)
		mustContain(t, "queue after approval", queue, w.AppB.ID)
		mustNotContain(t, "queue after approval", queue, w.AppA.ID)
		status, body = eco.post(applicationPath(w.AppA.ID) + "/approve")
		if status != http.StatusConflict {
			t.Errorf("approving again: %d, want 409", status)
		}
		mustContain(t, "approving again", body, "当前状态不允许此操作")

		status, to, _ = eco.send(applicationPath(w.AppB.ID)+"/reject", nil, "reason", "算力合同未备案，不予支持")
		if status != http.StatusSeeOther {
			t.Fatalf("rejecting: %d", status)
		}
		mustContain(t, "rejected application", eco.mustGet(to), "已驳回", `data-status="rejected"`, "算力合同未备案，不予支持")
		if a, err := s.Reg.GetApplication(as("issuer", economy), w.AppB.ID); err != nil || a.Status != benefit.StatusRejected || a.AwardedFen != 0 {
			t.Fatalf("after the rejection: %+v %v", a, err)
		}
		mustContain(t, "queue after both", eco.mustGet(supportQueue), "没有待审核的申请")
	})
}

// attestationOn is the statement's attestation on the page.
var attestationOn = regexp.MustCompile(`<pre id="attestation" class="attestation">([A-Za-z0-9_.-]+)</pre>`)

// TestSupportStatement has A's member read A's statement for 2026: two
// awards, one paid by the city and a district and partly ordered back,
// one relying on a model filing since revoked; totals, per-measure
// headroom (none for a measure without a cap), the recovery owed and the
// signed attestation with its /verify link. B's statement and B's
// application are refused with the usual answer and show nothing of B.
func TestSupportStatement(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		s := newSite(t, db, web.Config{})
		w := newSupportWorld(t, s)
		eco := as("issuer", economy)
		awardA := approve(t, s, w.AppA.ID)
		approve(t, s, w.AppB.ID)
		cyber := as("issuer", "bureau:cyberspace")
		filing, err := s.Reg.GrantDesignation(cyber, designation.Grant{Type: "model-filing", EnterpriseCreditCode: w.A.CreditCode,
			ValidFrom: "2026-01-01", ValidUntil: "2028-12-31", DocumentNumber: "浙网信备〔2026〕12号"})
		if err != nil {
			t.Fatal(err)
		}
		filed, err := s.Reg.ApplyForSupport(as("member", "enterprise:"+w.A.CreditCode), benefit.NewApplication{
			MeasureCode: computeVoucher, EnterpriseCreditCode: w.A.CreditCode, Year: 2026, BasisReference: "HT-2",
			BasisKind: "filed-multimodal-model", BasisAmountFen: 100_000_000, BasisDate: "2026-04-01"})
		if err != nil {
			t.Fatal(err)
		}
		awardFiled := approve(t, s, filed.ID)
		if _, err := s.Reg.RevokeDesignation(cyber, designation.StatusUpdate{ID: filing.ID, Reason: "备案已注销"}); err != nil {
			t.Fatal(err)
		}
		for _, d := range []benefit.NewDisbursement{
			{AwardID: awardA, AmountFen: 100_000_000, PaidOn: "2026-06-15", Payer: benefit.PayerCity},
			{AwardID: awardA, AmountFen: 50_000_000, PaidOn: "2026-06-15", Payer: "district:330106"},
		} {
			if _, _, err := s.Reg.RecordDisbursement(eco, d); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := s.Reg.RecoverAward(eco, benefit.NewRecovery{AwardID: awardA, AmountFen: 20_000_000, Reason: "部分算力合同未履行"}); err != nil {
			t.Fatal(err)
		}

		member := newConsoleClient(t, s, s.token(t, "member", "enterprise:"+w.A.CreditCode))
		page := member.mustGet(ownStatement)
		mustContain(t, "A's statement", page, `id="statement-enterprise">`+w.A.Name+`<`, `id="statement-year">2026<`,
			// 2,000,000 + 300,000 awarded; 1,500,000 paid; 200,000 ordered back.
			`id="total-awarded" data-fen="230000000">2,300,000.00 元<`,
			`id="total-disbursed" data-fen="150000000">1,500,000.00 元<`,
			`id="total-recovered" data-fen="20000000">200,000.00 元<`,
			`id="total-outstanding" data-fen="100000000">1,000,000.00 元<`,
			`id="unsettled" data-fen="20000000"`, "尚有未结清的追回款",
			// Headroom under the 8,000,000 yuan cap; rd-matching has none.
			`<tr data-measure="compute-voucher" data-headroom="570000000">`, `<td class="nowrap money headroom">5,700,000.00 元</td>`,
			`<tr data-measure="rd-matching" data-headroom="-1">`, `<td class="nowrap money headroom">不设上限</td>`,
			`id="award-`+awardA+`"`, "HT-1", "杭州市本级", "西湖区", "1,000,000.00 元", "500,000.00 元", "部分算力合同未履行", "未结清",
			`id="award-`+awardFiled+`"`, "HT-2", `<dd class="money awarded" data-fen="30000000">300,000.00 元</dd>`,
			`class="relied-on" data-status="revoked"`, `href="/d/`+filing.ID+`"`, "已撤销", "relied-on-revoked")
		mustNotContain(t, "A's statement", page, w.B.Name, w.B.CreditCode, bContract, bAwardYuan, bAwardFen)
		if n := strings.Count(page, "relied-on-revoked"); n != 1 {
			t.Errorf("%d awards are marked as relying on a revoked designation, want 1", n)
		}

		m := attestationOn.FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no attestation on the statement page:\n%s", page)
		}
		token := m[1]
		mustContain(t, "verify link", page, `href="`+s.URL+`/verify#`+token+`"`)
		check, err := s.Reg.VerifyAttestation(context.Background(), token)
		if err != nil || !check.Valid || check.Claims.Kind != attest.KindSupportStatement || check.Claims.Subject != w.A.CreditCode ||
			check.Claims.Year != 2026 || check.Claims.AwardedFen != 230_000_000 || check.Claims.RecoveredFen != 20_000_000 {
			t.Fatalf("the page's attestation: %+v %+v (%v)", check, check.Claims, err)
		}
		mustContain(t, "digest", page, `id="statement-digest">`+check.Claims.StatementDigest+`<`)
		// The /verify page the link opens shows a statement's totals, not an eligibility answer.
		status, _, verified := postForm(t, s.URL+"/verify", "token", token)
		if status != http.StatusOK {
			t.Fatalf("verifying: %d", status)
		}
		mustContain(t, "verified statement", verified, "有效：签名正确", `id="kind">扶持资金对账单<`, `id="statement-year">2026（`,
			`id="statement-awarded">2,300,000.00 元<`, awardA, awardFiled, check.Claims.StatementDigest)
		mustNotContain(t, "verified statement", verified, "不符合条件", `id="eligible"`)

		earlier := member.mustGet(ownStatement + "?year=2025")
		mustContain(t, "2025", earlier, `id="statement-year">2025<`, `id="total-awarded" data-fen="0">0.00 元<`, "本年度暂无补助",
			`<tr data-measure="compute-voucher" data-headroom="800000000">`)
		mustNotContain(t, "2025", earlier, awardA, "HT-1")
		status, body := member.get(ownStatement + "?year=1999")
		if status != http.StatusBadRequest {
			t.Errorf("year 1999: %d, want 400", status)
		}
		mustContain(t, "year 1999", body, `data-field="year"`, "须为 2000 至 2100 之间的年份")

		for _, path := range []string{"/console/enterprises/" + w.B.CreditCode + "/statement", "/console/enterprises/" + w.B.CreditCode + "/statement?year=2026",
			applicationPath(w.AppB.ID)} {
			status, body := member.get(path)
			if status != http.StatusNotFound {
				t.Errorf("A's member opening %s: %d, want 404", path, status)
			}
			mustContain(t, path, body, notYoursZh)
			mustNotContain(t, path, body, w.B.Name, bContract, bBasisYuan, bAwardYuan, bAwardFen, "3,703,703.40", `id="attestation"`)
		}

		// Bureaus and auditors read it from the enterprise's page.
		issuer := newConsoleClient(t, s, s.token(t, "issuer", economy))
		mustContain(t, "enterprise page", issuer.mustGet("/console/enterprises/"+w.A.CreditCode), `href="/console/enterprises/`+w.A.CreditCode+`/statement"`)
		auditor := newConsoleClient(t, s, s.token(t, "auditor", "auditor"))
		mustContain(t, "auditor's view", auditor.mustGet("/console/enterprises/"+w.A.CreditCode+"/statement"), w.A.Name, "2,300,000.00 元")
		mustContain(t, "B's statement for a bureau", issuer.mustGet("/console/enterprises/"+w.B.CreditCode+"/statement"), w.B.Name, bAwardYuan)
		status, body = issuer.get(ownStatement)
		if status != http.StatusForbidden {
			t.Errorf("a bureau's own statement: %d, want 403", status)
		}
		mustContain(t, "a bureau's own statement", body, "此页面仅供企业用户使用")
	})
}

// TestSupportCrossSiteFormsRefused posts the decision forms from another
// site, as a browser marks them, and finds them refused before anything
// changes.
func TestSupportCrossSiteFormsRefused(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		s := newSite(t, db, web.Config{})
		w := newSupportWorld(t, s)
		eco := newConsoleClient(t, s, s.token(t, "issuer", economy))
		for name, header := range map[string]map[string]string{
			"Sec-Fetch-Site cross-site": {"Sec-Fetch-Site": "cross-site"},
			"foreign Origin":            {"Origin": "https://attacker.example"},
		} {
			for _, action := range []string{"approve", "reject"} {
				status, _, _ := eco.send(applicationPath(w.AppA.ID)+"/"+action, header, "reason", "forged")
				if status != http.StatusForbidden {
					t.Errorf("%s %s: %d, want 403", name, action, status)
				}
			}
		}
		a, err := s.Reg.GetApplication(as("issuer", economy), w.AppA.ID)
		if err != nil || a.Status != benefit.StatusPending {
			t.Fatalf("after forged posts: %s %v", a.Status, err)
		}
	})
}

// TestSupportPagesInBrowser opens the queue and an application as
// economy-IT, and A's statement as its member, in Chinese.
func TestSupportPagesInBrowser(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		s := newSite(t, db, web.Config{})
		w := newSupportWorld(t, s)
		approve(t, s, w.AppA.ID)

		ctx := browser(t)
		signIn(t, ctx, s, s.token(t, "issuer", economy))
		run(t, ctx, "opening the queue", chromedp.Navigate(s.URL+"/console/"), chromedp.WaitVisible(chromedp.CSS("#menu")))
		loadAfter(t, ctx, "following the menu", chromedp.Click(chromedp.CSS(`#menu a[href="`+supportQueue+`"]`)))
		mustContain(t, "queue", text(t, ctx, "#applications"), w.B.Name, bBasisYuan)
		screenshot(t, ctx, "support-queue")
		loadAfter(t, ctx, "opening B's application", chromedp.Click(chromedp.CSS(`tr[data-id="`+w.AppB.ID+`"] a.application-link`)))
		mustContain(t, "application", text(t, ctx, "#breakdown"), "企业年度上限", "年度资金")
		screenshot(t, ctx, "support-application")

		ctx = browser(t)
		signIn(t, ctx, s, s.token(t, "member", "enterprise:"+w.A.CreditCode))
		loadAfter(t, ctx, "following the menu", chromedp.Click(chromedp.CSS(`#menu a[href="`+ownStatement+`"]`)))
		if got := text(t, ctx, "main h1"); !strings.HasPrefix(got, "扶持资金对账单") {
			t.Errorf("heading %q", got)
		}
		headings, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("main h2"), h => h.textContent.trim())`))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(headings, "、"); got != "合计、各项措施、补助明细、签名证明" {
			t.Errorf("headings %q", got)
		}
		screenshot(t, ctx, "support-statement")
	})
}
