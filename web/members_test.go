package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hangzhou-ai/registry/registry/catalog"
	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	"github.com/hangzhou-ai/registry/registry/talent"
	"github.com/hangzhou-ai/registry/store/storetest"
	"github.com/hangzhou-ai/registry/web"
)

// attr is the value of attribute name of the first element sel matches.
func attr(t *testing.T, ctx context.Context, sel, name string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(sel), name))
	if err != nil {
		t.Fatalf("attribute %s of %s: %v", name, sel, err)
	}
	if !v.Exists {
		t.Fatalf("%s has no attribute %s", sel, name)
	}
	return v.Value
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// typeZh is a designation type's Chinese name.
func typeZh(code string) string { return catalog.DesignationTypesByCode[code].NameZh }

// TestMemberDesignations signs a member of A in: it sees A's designations
// and its employee's, each linked to its public page, filtered by the
// as-of date; B's designation and B's enterprise page show it nothing of
// B, only the page that says it is not found or not theirs.
func TestMemberDesignations(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		s := newSite(t, db, web.Config{})
		w := newWorld(t, s)
		later, err := s.Reg.GrantDesignation(as("issuer", economy), designation.Grant{Type: "hidden-champion", EnterpriseCreditCode: w.A.CreditCode,
			ValidFrom: "2026-09-01", ValidUntil: "2029-08-31", DocumentNumber: "浙经信〔2026〕57号"})
		if err != nil {
			t.Fatal(err)
		}
		ctx := browser(t)
		signIn(t, ctx, s, s.token(t, "member", "enterprise:"+w.A.CreditCode))

		run(t, ctx, "opening our designations", chromedp.Navigate(s.URL+"/console/mine"), chromedp.WaitVisible(chromedp.CSS("#own-designations")))
		if got := text(t, ctx, "#mine-enterprise"); got != w.A.Name {
			t.Errorf("heading names %q, want %q", got, w.A.Name)
		}
		own := text(t, ctx, "#own-designations")
		mustContain(t, "own designations", own, typeZh("little-giant"), w.Giant.DocumentNumber, typeZh("ai-growth-enterprise"), w.Growth.DocumentNumber,
			typeZh("hidden-champion"), later.DocumentNumber, "有效")
		mustContain(t, "employees' designations", text(t, ctx, "#employee-designations"), w.Talent.Name, typeZh("talent-recognition"), w.TalentRec.DocumentNumber)
		body := bodyText(t, ctx)
		mustNotContain(t, "our designations", body, w.B.Name, w.B.CreditCode, w.HQ.DocumentNumber, w.HQ.ID)
		for _, d := range []designation.Designation{w.Giant, w.Growth, later, w.TalentRec} {
			if got := attr(t, ctx, `tr[data-id="`+d.ID+`"] a.public-link`, "href"); got != "/d/"+d.ID {
				t.Errorf("%s links to %q, want /d/%s", d.Type, got, d.ID)
			}
		}
		screenshot(t, ctx, "enterprise-mine")

		run(t, ctx, "following the little giant's public link",
			chromedp.Click(chromedp.CSS(`tr[data-id="`+w.Giant.ID+`"] a.public-link`)), chromedp.WaitVisible(chromedp.CSS("#certificate")))
		if got := text(t, ctx, "#designation-id"); got != w.Giant.ID {
			t.Errorf("the public page shows %q, want %s", got, w.Giant.ID)
		}

		showAsOf := func(date string) string {
			t.Helper()
			run(t, ctx, "showing "+date,
				chromedp.Navigate(s.URL+"/console/mine"), chromedp.WaitVisible(chromedp.CSS("#as-of")),
				chromedp.SetValue(chromedp.CSS("#as-of"), date), chromedp.Click(chromedp.CSS("#asof-submit")),
				chromedp.WaitVisible(chromedp.CSS("#asof-clear")))
			return text(t, ctx, "#own-designations") + "\n" + text(t, ctx, "#employee-designations")
		}
		before := showAsOf("2025-12-31")
		mustContain(t, "as of 2025-12-31", before, "暂无认定")
		mustNotContain(t, "as of 2025-12-31", before, w.Giant.DocumentNumber, w.Growth.DocumentNumber, later.DocumentNumber, w.TalentRec.DocumentNumber)
		today := showAsOf("2026-06-15")
		mustContain(t, "as of 2026-06-15", today, w.Giant.DocumentNumber, w.TalentRec.DocumentNumber)
		mustNotContain(t, "as of 2026-06-15", today, later.DocumentNumber)
		autumn := showAsOf("2026-10-01")
		mustContain(t, "as of 2026-10-01", autumn, w.Giant.DocumentNumber, later.DocumentNumber)

		for _, path := range []string{"/console/designations/" + w.HQ.ID, "/console/enterprises/" + w.B.CreditCode} {
			run(t, ctx, "opening "+path, chromedp.Navigate(s.URL+path), chromedp.WaitVisible(chromedp.CSS("#problem")))
			body := bodyText(t, ctx)
			mustContain(t, path, body, "未找到该记录，或您无权查看")
			mustNotContain(t, path, body, w.B.Name, w.B.CreditCode, w.HQ.DocumentNumber, w.HQ.ValidFrom+" — "+w.HQ.ValidUntil, typeZh("hq-enterprise"), "hq-enterprise")
			if n := count(t, ctx, "#designation, #enterprise-name"); n != 0 {
				t.Errorf("%s shows %d record sections", path, n)
			}
		}
	})
}

// TestMemberRecognitions has A's talent assessor recognise the world's
// talent at level D, the last D place; a second D recognition is refused
// with the quota problem in words; withdrawing frees the place for it.
func TestMemberRecognitions(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		s := newSite(t, db, web.Config{})
		w := newWorld(t, s)
		second, err := s.Reg.RegisterTalent(as("issuer", talentOffice), talent.NewTalent{Name: "周以宁", IDNumber: registrytest.IDNumber(t, "33010619920518234"), EmployerCreditCode: w.A.CreditCode})
		if err != nil {
			t.Fatal(err)
		}
		ctx := browser(t)
		signIn(t, ctx, s, s.token(t, "talent-assessor", "enterprise:"+w.A.CreditCode))
		auth := "#auth-" + w.Authorization.ID
		quota := func(level string) (remaining, used string) {
			t.Helper()
			row := auth + ` tr[data-level="` + level + `"]`
			return text(t, ctx, row+" .remaining"), text(t, ctx, row+" .used")
		}
		open := func() {
			t.Helper()
			run(t, ctx, "opening recognitions", chromedp.Navigate(s.URL+"/console/recognitions"), chromedp.WaitVisible(chromedp.CSS(auth)))
		}
		recognise := func(talentID, level string) {
			t.Helper()
			submit(t, ctx, "recognising "+talentID+" at "+level, map[string]string{
				auth + " .recognize-talent": talentID, auth + " .recognize-level": level,
			}, auth+" .recognize")
		}

		open()
		mustContain(t, "employees", text(t, ctx, "#employees"), w.Talent.Name, second.Name)
		mustNotContain(t, "employees", bodyText(t, ctx), registrytest.IDNumber(t, "33010619880312123"))
		if rem, used := quota("D"); rem != "1" || used != "0 / 1" {
			t.Fatalf("before: D remaining %q, used %q", rem, used)
		}
		if rem, _ := quota("E"); rem != "5" {
			t.Fatalf("before: E remaining %q", rem)
		}

		recognise(w.Talent.ID, "D")
		if got := text(t, ctx, "#flash"); got != "已认定" {
			t.Fatalf("flash %q after recognising", got)
		}
		if rem, used := quota("D"); rem != "0" || used != "1 / 1" {
			t.Errorf("after one: D remaining %q, used %q", rem, used)
		}
		if got := attr(t, ctx, auth+` tr[data-level="D"] meter`, "value"); got != "1" {
			t.Errorf("D meter value %q, want 1", got)
		}
		row := auth + ` .recognitions tr[data-talent="` + w.Talent.ID + `"]`
		mustContain(t, "recognition row", text(t, ctx, row), w.Talent.Name, "D", "有效")
		id := attr(t, ctx, row, "data-id")
		if st, err := s.Reg.GetDesignationStatus(as("viewer", economy), id); err != nil || st.Status != designation.StatusActive {
			t.Errorf("the recognition %s in the registry: %+v, %v", id, st, err)
		}

		recognise(second.ID, "D")
		mustContain(t, "second D", text(t, ctx, "#problem"), "该层次名额已用完", "no places left")
		if rem, _ := quota("D"); rem != "0" {
			t.Errorf("after the refusal: D remaining %q", rem)
		}
		if n := count(t, ctx, auth+` .recognitions tr[data-talent="`+second.ID+`"]`); n != 0 {
			t.Errorf("the refused recognition shows in %d rows", n)
		}

		open()
		run(t, ctx, "withdrawing", chromedp.Evaluate[chromedp.Void](`window.confirm = function () { return true; }`),
			chromedp.SetValue(chromedp.CSS(row+" .withdraw-reason"), "已离职"))
		submit(t, ctx, "withdrawing", nil, row+" .withdraw")
		if got := text(t, ctx, "#flash"); got != "已撤回" {
			t.Fatalf("flash %q after withdrawing", got)
		}
		if rem, used := quota("D"); rem != "1" || used != "0 / 1" {
			t.Errorf("after withdrawing: D remaining %q, used %q", rem, used)
		}
		if got := attr(t, ctx, row, "data-status"); got != string(designation.StatusRevoked) {
			t.Errorf("withdrawn recognition's status %q", got)
		}

		recognise(second.ID, "D")
		if got := text(t, ctx, "#flash"); got != "已认定" {
			t.Fatalf("flash %q after recognising the second employee", got)
		}
		if rem, _ := quota("D"); rem != "0" {
			t.Errorf("after the freed place was taken: D remaining %q", rem)
		}
	})
}
