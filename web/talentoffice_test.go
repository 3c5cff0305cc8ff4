package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/hangzhou-ai/registry/registry/competition"
	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/registry/talentauth"
	"github.com/hangzhou-ai/registry/store/storetest"
	"github.com/hangzhou-ai/registry/web"
)

// acceptDialogs says yes to every confirm() the tab opens (the revoke
// forms ask before they are sent).
func acceptDialogs(ctx context.Context) {
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
}

// consoleClient is a console session outside the browser, for requests
// a page does not offer (a form the principal is not shown).
type consoleClient struct {
	t      *testing.T
	base   string
	cookie *http.Cookie
}

func newConsoleClient(t *testing.T, s *site, token string) *consoleClient {
	t.Helper()
	raw, _, err := s.Reg.StartSession(context.Background(), token)
	if err != nil {
		t.Fatal(err)
	}
	return &consoleClient{t: t, base: s.URL, cookie: &http.Cookie{Name: "registry_session", Value: raw}}
}

func (c *consoleClient) do(req *http.Request) (int, string) {
	c.t.Helper()
	req.AddCookie(c.cookie)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return res.StatusCode, string(body)
}

func (c *consoleClient) get(path string) (int, string) {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.base+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.do(req)
}

func (c *consoleClient) post(path string, kv ...string) (int, string) {
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
	return c.do(req)
}

// value is the current value of the form field sel.
func fieldValue(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("value of %s: %v", sel, err)
	}
	return v
}

// clearFields empties form fields (SetValue cannot set an empty value).
func clearFields(t *testing.T, ctx context.Context, sels ...string) {
	t.Helper()
	for _, sel := range sels {
		quoted, _ := json.Marshal(sel)
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(document.querySelector(`+string(quoted)+`).value = "", true)`)); err != nil {
			t.Fatalf("clearing %s: %v", sel, err)
		}
	}
}

// TestTalentOfficeAuthorizations issues a talent authorization in the
// browser, sees its quota bars and numbers, revokes it; refused forms
// name the field and change nothing.
func TestTalentOfficeAuthorizations(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		s := newSite(t, db, web.Config{})
		w := newWorld(t, s)
		if _, err := s.Reg.GrantDesignation(as("issuer", economy), designation.Grant{Type: "ai-growth-enterprise", EnterpriseCreditCode: w.B.CreditCode,
			ValidFrom: "2026-01-01", ValidUntil: "2027-12-31", DocumentNumber: "杭经信〔2026〕19号"}); err != nil {
			t.Fatal(err)
		}
		// A's enterprise recognises one employee at level E, so one bar is not empty.
		if _, err := s.Reg.RecognizeTalent(as("talent-assessor", "enterprise:"+w.A.CreditCode), talentauth.Recognition{
			AuthorizationID: w.Authorization.ID, TalentID: w.Talent.ID, Level: "E", ValidFrom: "2026-06-15", ValidUntil: "2026-12-31"}); err != nil {
			t.Fatal(err)
		}
		ctx := browser(t)
		signIn(t, ctx, s, s.token(t, "issuer", talentOffice))
		acceptDialogs(ctx)
		office := as("issuer", talentOffice)
		authorizationsOfB := func() []talentauth.TalentAuthorization {
			t.Helper()
			list, err := s.Reg.ListTalentAuthorizations(office, talentauth.TalentAuthorizationFilter{EnterpriseCreditCode: w.B.CreditCode})
			if err != nil {
				t.Fatal(err)
			}
			return list
		}

		run(t, ctx, "opening the authorizations", chromedp.Navigate(s.URL+"/console/authorizations"), chromedp.WaitVisible(chromedp.CSS("#issue-form")))
		row := `#authorizations tr[data-id="` + w.Authorization.ID + `"]`
		mustContain(t, "A's authorization", text(t, ctx, row), w.A.CreditCode, "2026", "有效",
			"已用 0 / 名额 1，剩余 1", "已用 1 / 名额 5，剩余 4")
		if n := count(t, ctx, row+" meter"); n != 2 {
			t.Errorf("A's authorization shows %d bars, want 2 (D and E)", n)
		}
		if href, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(row+" a.public-link"), "href")); err != nil || href.Value != "/d/"+w.Authorization.ID {
			t.Errorf("the list's public link %q (%v), want /d/%s", href.Value, err, w.Authorization.ID)
		}
		used, err := chromedp.Run(ctx, chromedp.JavascriptAttribute[float64](chromedp.CSS(row+` li[data-level="E"] meter`), "value"))
		if err != nil {
			t.Fatal(err)
		}
		if used != 1 {
			t.Errorf("the E bar stands at %v, want 1", used)
		}

		// A quota that is not a number (as a browser without validation sends it).
		run(t, ctx, "typing letters into a quota",
			chromedp.SetAttributeValue(chromedp.CSS("#issue-places-A"), "type", "text"))
		submit(t, ctx, "issuing with quota abc", map[string]string{
			"#issue-enterprise": w.B.CreditCode, "#issue-places-A": "abc", "#issue-places-C": "2",
			"#issue-from": "2026-07-01", "#issue-until": "2026-12-31", "#issue-doc": "杭人才授〔2026〕7号",
		}, "#issue-submit")
		mustContain(t, "quota abc", text(t, ctx, "#problem"), "places_A", "A 类名额", "须为整数")
		if got := fieldValue(t, ctx, "#issue-enterprise"); got != w.B.CreditCode {
			t.Errorf("after the refusal the credit code field holds %q, want %q", got, w.B.CreditCode)
		}
		if got := fieldValue(t, ctx, "#issue-places-C"); got != "2" {
			t.Errorf("after the refusal places C holds %q, want 2", got)
		}
		if got := authorizationsOfB(); len(got) != 0 {
			t.Fatalf("a refused form issued %d authorizations", len(got))
		}

		// No document number.
		run(t, ctx, "clearing the document number", chromedp.RemoveAttribute(chromedp.CSS("#issue-doc"), "required"))
		clearFields(t, ctx, "#issue-places-A", "#issue-doc")
		submit(t, ctx, "issuing without a document number", map[string]string{"#issue-places-C": "2", "#issue-places-E": "3"}, "#issue-submit")
		mustContain(t, "no document", text(t, ctx, "#problem"), "document_number", "文号", "必填")
		if got := authorizationsOfB(); len(got) != 0 {
			t.Fatalf("a refused form issued %d authorizations", len(got))
		}

		// Issued.
		submit(t, ctx, "issuing", map[string]string{
			"#issue-enterprise": w.B.CreditCode, "#issue-year": "2026", "#issue-places-C": "2", "#issue-places-E": "3",
			"#issue-from": "2026-07-01", "#issue-until": "2026-12-31", "#issue-doc": "杭人才授〔2026〕7号",
		}, "#issue-submit")
		list := authorizationsOfB()
		if len(list) != 1 {
			t.Fatalf("B holds %d authorizations after issuing, want 1", len(list))
		}
		issued := list[0]
		if len(issued.Quotas) != 2 || issued.Quotas[0] != (talentauth.LevelQuota{Level: "C", Places: 2}) || issued.Quotas[1] != (talentauth.LevelQuota{Level: "E", Places: 3}) {
			t.Errorf("issued quotas %+v, want C=2 and E=3", issued.Quotas)
		}
		mustContain(t, "flash", text(t, ctx, "#flash"), "已签发授权")
		if got := text(t, ctx, "#authorization-id"); got != issued.ID {
			t.Errorf("the page shows authorization %q, want %q", got, issued.ID)
		}
		mustContain(t, "issued page", text(t, ctx, "#quotas"), "C", "已用 0 / 名额 2，剩余 2", "E", "已用 0 / 名额 3，剩余 3")
		mustNotContain(t, "issued page", text(t, ctx, "#quotas"), "名额 0")
		if got := text(t, ctx, "#status"); got != "有效" {
			t.Errorf("status %q, want 有效", got)
		}
		if href, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("#public-link"), "href")); err != nil || href.Value != "/d/"+issued.ID {
			t.Errorf("public link %q (%v), want /d/%s", href.Value, err, issued.ID)
		}

		run(t, ctx, "filtering by B", chromedp.Navigate(s.URL+"/console/authorizations?enterprise="+w.B.CreditCode+"&year=2026"), chromedp.WaitVisible(chromedp.CSS("#authorizations")))
		body := text(t, ctx, "#authorizations")
		mustContain(t, "B's list", body, w.B.CreditCode, "已用 0 / 名额 2，剩余 2")
		mustNotContain(t, "B's list", body, w.A.CreditCode)
		run(t, ctx, "all authorizations", chromedp.Navigate(s.URL+"/console/authorizations"), chromedp.WaitVisible(chromedp.CSS("#authorizations")))
		if n := count(t, ctx, "#authorizations meter"); n != 4 {
			t.Errorf("the list shows %d bars, want 4", n)
		}
		screenshot(t, ctx, "talent-authorizations")

		// Revoked, with a reason, from the authorization's page.
		run(t, ctx, "opening the authorization", chromedp.Navigate(s.URL+"/console/authorizations/"+issued.ID), chromedp.WaitVisible(chromedp.CSS("#authorization")))
		submit(t, ctx, "revoking", map[string]string{"#revoke-" + issued.ID + " .revoke-reason": "企业不再符合条件"}, "#revoke-"+issued.ID+" .revoke")
		mustContain(t, "revoked", text(t, ctx, "#flash"), "已撤销")
		if got := text(t, ctx, "#status"); got != "已撤销" {
			t.Errorf("status after revoking %q, want 已撤销", got)
		}
		mustContain(t, "reason", text(t, ctx, "#status-reason"), "企业不再符合条件")
		if n := count(t, ctx, "form.revoke-form"); n != 0 {
			t.Errorf("a revoked authorization still offers %d revoke forms", n)
		}
		got, err := s.Reg.GetTalentAuthorization(office, issued.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != designation.StatusRevoked || got.StatusReason != "企业不再符合条件" {
			t.Errorf("stored: %s %q", got.Status, got.StatusReason)
		}

		// In English.
		run(t, ctx, "English", chromedp.Navigate(s.URL+"/console/authorizations/"+w.Authorization.ID+"?lang=en"), chromedp.WaitVisible(chromedp.CSS("#quotas")))
		mustContain(t, "English", bodyText(t, ctx), "Talent authorization", "Used 1 / places 5, remaining 4", "Revoke")
	})
}

// TestTalentOfficeCompetitions registers a competition and records an
// award as economy-IT, and recognises the winner as the talent office;
// refused forms name the field, change nothing, and never show an
// identity number back.
func TestTalentOfficeCompetitions(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		s := newSite(t, db, web.Config{})
		w := newWorld(t, s)
		eco := browser(t)
		signIn(t, eco, s, s.token(t, "issuer", economy))
		office := as("issuer", talentOffice)

		run(t, eco, "opening competitions from the menu", chromedp.Navigate(s.URL+"/console/"), chromedp.WaitVisible(chromedp.CSS("#menu")),
			chromedp.Click(chromedp.CSS(`#menu a[href="/console/competitions"]`)), chromedp.WaitVisible(chromedp.CSS("#register-competition")))

		submit(t, eco, "registering with a prize line without a level", map[string]string{
			"#competition-name": "2026 杭州人工智能创新大赛", "#competition-organiser": "杭州市经信局",
			"#competition-prizes": "一等奖=C\n二等奖",
		}, "#competition-submit")
		mustContain(t, "bad prizes", text(t, eco, "#problem"), "prize_levels", "奖项=层次", "二等奖")
		if got := fieldValue(t, eco, "#competition-name"); got != "2026 杭州人工智能创新大赛" {
			t.Errorf("after the refusal the name field holds %q", got)
		}
		submit(t, eco, "registering with an unknown level", map[string]string{"#competition-prizes": "一等奖=C\n二等奖=Z"}, "#competition-submit")
		mustContain(t, "bad level", text(t, eco, "#problem"), "prize_levels[1].level", "须为 A、B、C、D、E 之一")
		if list, err := s.Reg.ListCompetitions(office, 0); err != nil || len(list) != 0 {
			t.Fatalf("refused forms registered %d competitions (%v)", len(list), err)
		}

		run(t, eco, "choosing the tier", chromedp.SetValue(chromedp.CSS("#competition-tier"), "provincial"))
		submit(t, eco, "registering", map[string]string{"#competition-prizes": "一等奖=C\n二等奖=d"}, "#competition-submit")
		mustContain(t, "registered", text(t, eco, "#flash"), "赛事已登记")
		list, err := s.Reg.ListCompetitions(office, 2026)
		if err != nil || len(list) != 1 {
			t.Fatalf("competitions of 2026: %d (%v), want 1", len(list), err)
		}
		c := list[0]
		if c.Tier != "provincial" || len(c.PrizeLevels) != 2 || c.PrizeLevels[1] != (competition.PrizeLevel{Prize: "二等奖", Level: "D"}) {
			t.Errorf("registered %+v", c)
		}
		mustContain(t, "competition page", text(t, eco, "#competition"), c.ID, "杭州市经信局", "省级", "一等奖 → C", "二等奖 → D")

		// A winner who is not registered, with a malformed identity number.
		const badID = "33010619900101999X"
		submit(t, eco, "recording with a bad identity number", map[string]string{
			"#award-name": "周明远", "#award-id-number": badID, "#award-team": "西湖智算队",
		}, "#award-submit")
		if got := text(t, eco, "#problem li"); !strings.HasPrefix(got, "身份证号 id_number") {
			t.Errorf("the problem names %q, want the form's field 身份证号 id_number", got)
		}
		if got := fieldValue(t, eco, "#award-id-number"); got != "" {
			t.Errorf("after the refusal the identity number field holds %q", got)
		}
		if got := fieldValue(t, eco, "#award-team"); got != "西湖智算队" {
			t.Errorf("after the refusal the team field holds %q", got)
		}
		html, err := chromedp.Run(eco, chromedp.OuterHTML(chromedp.CSS("html")))
		if err != nil {
			t.Fatal(err)
		}
		mustNotContain(t, "refused award page", html, badID)
		awards := func() []competition.Award {
			t.Helper()
			a, err := s.Reg.ListAwards(office, c.ID, "")
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		if got := awards(); len(got) != 0 {
			t.Fatalf("a refused form recorded %d awards", len(got))
		}

		run(t, eco, "choosing the prize", chromedp.SetValue(chromedp.CSS("#award-prize"), "二等奖"))
		clearFields(t, eco, "#award-name", "#award-team")
		submit(t, eco, "recording the award", map[string]string{"#award-talent": w.Talent.ID}, "#award-submit")
		mustContain(t, "recorded", text(t, eco, "#flash"), "已记录")
		mustContain(t, "awards", text(t, eco, "#awards"), w.Talent.Name, "二等奖", "D", "未认定")
		if n := count(t, eco, "form.recognize-form"); n != 0 {
			t.Errorf("economy-IT is offered %d recognition forms", n)
		}
		recorded := awards()
		if len(recorded) != 1 || recorded[0].TalentID != w.Talent.ID || recorded[0].Level != "D" {
			t.Fatalf("awards: %+v", recorded)
		}
		a := recorded[0]

		// The talent office recognises the winner.
		ctx := browser(t)
		signIn(t, ctx, s, s.token(t, "issuer", talentOffice))
		run(t, ctx, "opening the competitions", chromedp.Navigate(s.URL+"/console/competitions?year=2026"), chromedp.WaitVisible(chromedp.CSS("#competitions")))
		mustContain(t, "list", text(t, ctx, "#competitions"), "2026 杭州人工智能创新大赛", "省级")
		if n := count(t, ctx, "#register-competition"); n != 0 {
			t.Error("the talent office is offered the competition form")
		}
		run(t, ctx, "opening the competition", chromedp.Click(chromedp.CSS("a.competition-link")), chromedp.WaitVisible(chromedp.CSS("#awards")))
		if n := count(t, ctx, "#award-form"); n != 0 {
			t.Error("the talent office is offered the award form")
		}
		form := "#recognize-" + a.ID
		run(t, ctx, "leaving out the document number", chromedp.RemoveAttribute(chromedp.CSS(form+" .recognize-doc"), "required"))
		submit(t, ctx, "recognising without a document number", map[string]string{
			form + " .recognize-from": "2026-07-01", form + " .recognize-until": "2029-06-30",
		}, form+" .recognize")
		mustContain(t, "no document", text(t, ctx, "#problem"), "document_number", "必填")
		if got := fieldValue(t, ctx, form+" .recognize-until"); got != "2029-06-30" {
			t.Errorf("after the refusal valid until holds %q", got)
		}
		if got := awards(); got[0].RecognitionID != "" {
			t.Fatalf("a refused form recognised the winner: %s", got[0].RecognitionID)
		}
		submit(t, ctx, "recognising", map[string]string{form + " .recognize-doc": "杭人才〔2026〕21号"}, form+" .recognize")
		mustContain(t, "recognised", text(t, ctx, "#flash"), "已认定")
		rec := awards()[0].RecognitionID
		if rec == "" {
			t.Fatal("the award supports no recognition")
		}
		if n := count(t, ctx, "form.recognize-form"); n != 0 {
			t.Errorf("a recognised award still offers %d forms", n)
		}
		run(t, ctx, "opening the recognition", chromedp.Click(chromedp.CSS(`#awards a.recognition-link`)), chromedp.WaitVisible(chromedp.CSS("#designation")))
		if got := text(t, ctx, "#designation-id"); got != rec {
			t.Errorf("the link opens %q, want %q", got, rec)
		}
		mustContain(t, "recognition", bodyText(t, ctx), "层次 D", "有效", "2026-07-01 — 2029-06-30", "杭人才〔2026〕21号")
		run(t, ctx, "opening the talent", chromedp.Navigate(s.URL+"/console/talents/"+w.Talent.ID), chromedp.WaitVisible(chromedp.CSS("table.designations")))
		if got := text(t, ctx, `table.designations tr[data-id="`+rec+`"]`); !strings.Contains(got, "杭人才〔2026〕21号") || !strings.Contains(got, "有效") {
			t.Errorf("the talent's page lists the recognition as %q", got)
		}
	})
}

// TestTalentOfficeRefusesOthers: a viewer and another bureau are offered
// no talent-office forms, and posting them anyway is refused as not
// permitted, with nothing recorded.
func TestTalentOfficeRefusesOthers(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		s := newSite(t, db, web.Config{})
		w := newWorld(t, s)
		ctx := browser(t)
		signIn(t, ctx, s, s.token(t, "viewer", talentOffice))
		run(t, ctx, "viewer opens the authorizations", chromedp.Navigate(s.URL+"/console/authorizations"), chromedp.WaitVisible(chromedp.CSS("#authorizations")))
		mustContain(t, "viewer's list", text(t, ctx, "#authorizations"), w.A.CreditCode, "已用 0 / 名额 5，剩余 5")
		if n := count(t, ctx, "#issue-form, form.revoke-form"); n != 0 {
			t.Errorf("a viewer is offered %d authorization forms", n)
		}
		run(t, ctx, "viewer opens the authorization", chromedp.Navigate(s.URL+"/console/authorizations/"+w.Authorization.ID), chromedp.WaitVisible(chromedp.CSS("#quotas")))
		if n := count(t, ctx, "form.revoke-form"); n != 0 {
			t.Errorf("a viewer is offered %d revoke forms", n)
		}

		issue := []string{"enterprise_credit_code", w.A.CreditCode, "year", "2027", "places_E", "2",
			"valid_from", "2027-01-01", "valid_until", "2027-12-31", "document_number", "杭人才授〔2027〕1号"}
		for _, who := range []struct{ role, org string }{{"viewer", talentOffice}, {"issuer", economy}} {
			c := newConsoleClient(t, s, s.token(t, who.role, who.org))
			_, page := c.get("/console/authorizations")
			mustNotContain(t, who.role+"@"+who.org, page, `id="issue-form"`)
			status, body := c.post("/console/authorizations", issue...)
			if status != http.StatusForbidden {
				t.Errorf("%s@%s issuing: %d, want 403", who.role, who.org, status)
			}
			mustContain(t, who.role+"@"+who.org+" issuing", body, "无权执行此操作")
			status, body = c.post("/console/authorizations/"+w.Authorization.ID+"/revoke", "reason", "试图撤销")
			if status != http.StatusForbidden {
				t.Errorf("%s@%s revoking: %d, want 403", who.role, who.org, status)
			}
			mustContain(t, who.role+"@"+who.org+" revoking", body, "无权执行此操作")
		}
		list, err := s.Reg.ListTalentAuthorizations(as("issuer", talentOffice), talentauth.TalentAuthorizationFilter{EnterpriseCreditCode: w.A.CreditCode})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].Status != designation.StatusActive {
			t.Fatalf("after refused posts A holds %+v", list)
		}

		// Only economy-IT registers competitions: the talent office is refused.
		office := newConsoleClient(t, s, s.token(t, "issuer", talentOffice))
		status, body := office.post("/console/competitions", "name", "未授权的赛事", "organiser", "某单位", "year", "2026", "tier", "municipal", "prize_levels", "一等奖=C")
		if status != http.StatusForbidden {
			t.Errorf("the talent office registering a competition: %d, want 403", status)
		}
		mustContain(t, "talent office registering", body, "无权执行此操作")
		if cs, err := s.Reg.ListCompetitions(as("issuer", talentOffice), 0); err != nil || len(cs) != 0 {
			t.Fatalf("competitions after the refusal: %d (%v)", len(cs), err)
		}
	})
}
