package web_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hangzhou-ai/registry/registry/audit"
	"github.com/hangzhou-ai/registry/store/storetest"
	"github.com/hangzhou-ai/registry/web"
)

// auditRows are the trail's rows on the page: each row's data-entity.
func auditRows(t *testing.T, ctx context.Context) []string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#audit-events tbody tr[data-entity]")).map(r => r.dataset.action + " " + r.dataset.entity)`))
	if err != nil {
		t.Fatalf("reading the trail: %v", err)
	}
	return v
}

// TestAuditTrail is the auditor's page: the events newWorld made, a
// filter by entity that keeps only that entity's, and verifying the chain;
// an enterprise member is refused the page.
func TestAuditTrail(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		s := newSite(t, db, web.Config{})
		w := newWorld(t, s)
		ctx := browser(t)
		signIn(t, ctx, s, s.token(t, "auditor", "auditor"))
		mustContain(t, "auditor's menu", text(t, ctx, "#menu"), "审计日志")

		run(t, ctx, "opening the trail", chromedp.Navigate(s.URL+"/console/audit"), chromedp.WaitVisible(chromedp.CSS("#audit-events")))
		all := auditRows(t, ctx)
		want, _, err := s.Reg.ListAuditEvents(as("auditor", "auditor"), audit.AuditFilter{PageSize: 50})
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != len(want) {
			t.Errorf("the page shows %d events, the registry's first page has %d", len(all), len(want))
		}
		mustContain(t, "trail", strings.Join(all, "\n"), "designation.grant designation:"+w.Giant.ID, "designation.grant designation:"+w.HQ.ID,
			"enterprise.register enterprise:"+w.A.CreditCode, "talent.register talent:"+w.Talent.ID)
		body := bodyText(t, ctx)
		mustContain(t, "trail", body, "工信部企业函〔2026〕88号", "2026-06-15")
		// The talent's event carries its masked document, never the number.
		mustNotContain(t, "trail", body, "330106198803121")
		screenshot(t, ctx, "audit")

		submit(t, ctx, "filtering by entity", map[string]string{"#filter-type": "designation", "#filter-id": w.Giant.ID}, "#filter-submit")
		only := auditRows(t, ctx)
		if len(only) == 0 {
			t.Fatal("no event for the little giant")
		}
		for _, row := range only {
			if !strings.HasSuffix(row, " designation:"+w.Giant.ID) {
				t.Errorf("filtered by %s, the page shows %q", w.Giant.ID, row)
			}
		}
		mustContain(t, "filtered trail", strings.Join(only, "\n"), "designation.grant designation:"+w.Giant.ID)
		if len(only) >= len(all) {
			t.Errorf("the filter kept %d of %d events", len(only), len(all))
		}

		run(t, ctx, "filtering by an id without a type", chromedp.Navigate(s.URL+"/console/audit?entity_id="+url.QueryEscape(w.Giant.ID)), chromedp.WaitVisible(chromedp.CSS("#problem")))
		mustContain(t, "refused filter", text(t, ctx, "#problem"), "entity_type", "对象类型")

		run(t, ctx, "opening the trail", chromedp.Navigate(s.URL+"/console/audit"), chromedp.WaitVisible(chromedp.CSS("#verify-chain")))
		loadAfter(t, ctx, "verifying the chain", chromedp.Click(chromedp.CSS("#verify-chain")))
		rep, err := s.Reg.VerifyAuditChain(as("auditor", "auditor"))
		if err != nil || !rep.OK {
			t.Fatalf("the registry's own check: %+v, %v", rep, err)
		}
		mustContain(t, "chain report", text(t, ctx, "#chain-verdict"), "完整")
		// Nothing was recorded between the page's check and the registry's.
		if got := text(t, ctx, "#chain-checked"); got != fmt.Sprint(rep.EventsChecked) || rep.EventsChecked < int64(len(all)) {
			t.Errorf("events checked: the page says %q, the registry %d", got, rep.EventsChecked)
		}

		member := browser(t)
		signIn(t, member, s, s.token(t, "member", "enterprise:"+w.A.CreditCode))
		run(t, member, "a member opening the trail", chromedp.Navigate(s.URL+"/console/audit"), chromedp.WaitVisible(chromedp.CSS("#problem")))
		mustContain(t, "member refused", text(t, member, "#problem"), "无权执行此操作")
		mustNotContain(t, "member refused", bodyText(t, member), w.Giant.ID)
	})
}
