package web_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/access"
	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/store/storetest"
	"github.com/hangzhou-ai/registry/web"
)

// pageHTML is the tab's whole document.
func pageHTML(t *testing.T, ctx context.Context) string {
	t.Helper()
	html, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	if err != nil {
		t.Fatal(err)
	}
	return html
}

// tokenNamed is the registry's record of the one token with subject.
func tokenNamed(t *testing.T, s *site, subject string) access.Token {
	t.Helper()
	tokens, err := s.Reg.ListTokens(as("admin", "admin"))
	if err != nil {
		t.Fatal(err)
	}
	var found []access.Token
	for _, tk := range tokens {
		if tk.Subject == subject {
			found = append(found, tk)
		}
	}
	if len(found) != 1 {
		t.Fatalf("tokens of %s: %v, want one", subject, found)
	}
	return found[0]
}

var rawToken = regexp.MustCompile(access.TokenPrefix + `[A-Za-z0-9_-]{43}`)

// TestAdminTokens is the administrator's journey with tokens: create a
// viewer token for economy-IT and see it once (it works, and the tokens
// page does not show it again); minting an issuer token or a token for an
// unregistered park is refused with the reason; revoking the token ends it.
func TestAdminTokens(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		s := newSite(t, db, web.Config{})
		newWorld(t, s)
		ctx := browser(t)
		signIn(t, ctx, s, s.token(t, "admin", "admin"))
		mustContain(t, "admin's menu", text(t, ctx, "#menu"), "API 令牌", "授权策略")
		run(t, ctx, "opening tokens", chromedp.Navigate(s.URL+"/console/tokens"), chromedp.WaitVisible(chromedp.CSS("#create-token")))
		mustContain(t, "tokens list", text(t, ctx, "#tokens"), "admin-browser", "admin")

		run(t, ctx, "choosing viewer", chromedp.SetValue(chromedp.CSS("#token-role"), "viewer"))
		submit(t, ctx, "creating a viewer token", map[string]string{"#token-subject": "张三", "#token-org": economy, "#token-days": "90"}, "#token-submit")
		raw := text(t, ctx, "#new-token")
		if !rawToken.MatchString(raw) || rawToken.FindString(raw) != raw {
			t.Fatalf("the page shows %q, not a registry token", raw)
		}
		mustContain(t, "the one-time warning", text(t, ctx, "#token-warning"), "只显示这一次")
		if n := count(t, ctx, `button[type="button"][data-copy="new-token"]`); n != 1 {
			t.Errorf("%d copy buttons for the new token, want 1", n)
		}
		if hidden, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("copy-token").hidden`)); err != nil || hidden {
			t.Errorf("the page's script did not show the copy button (%v)", err)
		}
		if loc, err := chromedp.Run(ctx, chromedp.Location()); err != nil || strings.Contains(loc, raw) || strings.Contains(loc, "rgt_") {
			t.Errorf("the token is in the address %q (%v)", loc, err)
		}
		screenshot(t, ctx, "admin-tokens")

		p, err := s.Reg.Authenticate(context.Background(), raw)
		if err != nil || p.Subject != "张三" || p.Org != economy || p.Role != "viewer" {
			t.Fatalf("the new token authenticates as %+v (%v)", p, err)
		}
		created := tokenNamed(t, s, "张三")
		if created.ExpiresAt == nil || created.ExpiresAt.Sub(created.CreatedAt).Hours() != 90*24 {
			t.Errorf("the token's life: %v to %v, want 90 days", created.CreatedAt, created.ExpiresAt)
		}
		// The token signs a second browser in.
		other := browser(t)
		signIn(t, other, s, raw)
		mustContain(t, "signed in with the new token", text(t, other, "#who"), "张三", "查阅", economy)

		// Opened again, the tokens page lists the token but not its secret.
		run(t, ctx, "reloading tokens", chromedp.Navigate(s.URL+"/console/tokens"), chromedp.WaitVisible(chromedp.CSS("#tokens")))
		html := pageHTML(t, ctx)
		mustNotContain(t, "the tokens page opened again", html, raw, raw[len(access.TokenPrefix):])
		if n := count(t, ctx, "#new-token"); n != 0 {
			t.Error("the tokens page opened again shows a token")
		}
		row := `#tokens tr[data-id="` + strconv.FormatInt(created.ID, 10) + `"]`
		mustContain(t, "the new token's row", text(t, ctx, row), "张三", economy, "viewer", "有效")

		before := len(mustListTokens(t, s))
		run(t, ctx, "choosing issuer", chromedp.SetValue(chromedp.CSS("#token-role"), "issuer"))
		submit(t, ctx, "minting an issuer token", map[string]string{"#token-subject": "李四", "#token-org": economy}, "#token-submit")
		mustContain(t, "refused issuer token", text(t, ctx, "#problem"), "无权执行此操作", "--admin-mintable-roles")
		if got := fieldValue(t, ctx, "#token-subject"); got != "李四" {
			t.Errorf("the refused form lost its subject: %q", got)
		}
		if n := count(t, ctx, "#new-token"); n != 0 {
			t.Error("a refused form shows a token")
		}
		run(t, ctx, "choosing operator", chromedp.SetValue(chromedp.CSS("#token-role"), "operator"))
		submit(t, ctx, "minting for an unregistered park", map[string]string{"#token-subject": "王五", "#token-org": "park:nowhere"}, "#token-submit")
		mustContain(t, "refused organisation", text(t, ctx, "#problem"), "请求有误", "organisation", "park:nowhere is not registered")
		if after := len(mustListTokens(t, s)); after != before {
			t.Errorf("refused forms made tokens: %d, then %d", before, after)
		}

		// Revoking the token ends it (the page's script asks first).
		run(t, ctx, "reloading tokens", chromedp.Navigate(s.URL+"/console/tokens"), chromedp.WaitVisible(chromedp.CSS("#tokens")),
			chromedp.Evaluate[chromedp.Void]("window.confirm = () => true"))
		loadAfter(t, ctx, "revoking the token", chromedp.Click(chromedp.CSS(row+" .revoke-token")))
		mustContain(t, "revoked", text(t, ctx, "#flash"), "令牌已吊销")
		mustContain(t, "the revoked token's row", text(t, ctx, row), "已吊销")
		if n := count(t, ctx, row+" .revoke-token"); n != 0 {
			t.Error("a revoked token still has a revoke button")
		}
		if _, err := s.Reg.Authenticate(context.Background(), raw); registry.KindOf(err) != registry.KindUnauthenticated {
			t.Errorf("the revoked token authenticates: %v", err)
		}
	})
}

func mustListTokens(t *testing.T, s *site) []access.Token {
	t.Helper()
	tokens, err := s.Reg.ListTokens(as("admin", "admin"))
	if err != nil {
		t.Fatal(err)
	}
	return tokens
}

// TestAdminTokenAnswerNotStored checks the answer that shows a new token
// without a browser: a page (200, not a redirect) the browser may not
// store, with the token in its body only.
func TestAdminTokenAnswerNotStored(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		s := newSite(t, db, web.Config{})
		c := signedInClient(t, s, s.token(t, "admin", "admin"))
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		res, err := c.PostForm(s.URL+"/console/tokens", url.Values{"subject": {"赵六"}, "organisation": {"auditor"}, "role": {"auditor"}, "ttl_days": {"7"}})
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || res.Header.Get("Location") != "" {
			t.Fatalf("creating a token answered %s, Location %q", res.Status, res.Header.Get("Location"))
		}
		if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control %q, want no-store", cc)
		}
		raw := rawToken.FindString(string(body))
		if raw == "" {
			t.Fatal("the answer shows no token")
		}
		if p, err := s.Reg.Authenticate(context.Background(), raw); err != nil || p.Subject != "赵六" || p.Role != "auditor" {
			t.Errorf("the token shown authenticates as %+v (%v)", p, err)
		}
		res, err = c.Get(s.URL + "/console/tokens")
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(res.Body)
		res.Body.Close()
		if strings.Contains(string(body), raw) || !strings.Contains(string(body), "赵六") {
			t.Errorf("the tokens page after creation (%s) shows the secret or lacks the token's row", res.Status)
		}
	})
}

// TestAdminAuditorReadsTokens shows the tokens to an auditor without the
// forms, and refuses its posts.
func TestAdminAuditorReadsTokens(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		s := newSite(t, db, web.Config{})
		s.token(t, "viewer", economy)
		ctx := browser(t)
		signIn(t, ctx, s, s.token(t, "auditor", "auditor"))
		mustContain(t, "auditor's menu", text(t, ctx, "#menu"), "API 令牌")
		run(t, ctx, "opening tokens", chromedp.Navigate(s.URL+"/console/tokens"), chromedp.WaitVisible(chromedp.CSS("#tokens")))
		mustContain(t, "the auditor's list", text(t, ctx, "#tokens"), "viewer-browser", "auditor-browser")
		if n := count(t, ctx, "#create-token, .revoke-token"); n != 0 {
			t.Errorf("the auditor is offered %d token forms", n)
		}
		viewer := tokenNamed(t, s, "viewer-browser")
		loadAfter(t, ctx, "posting a revocation anyway", chromedp.Evaluate[chromedp.Void](`(() => {
			const f = document.createElement("form"); f.method = "post"; f.action = "/console/tokens/`+strconv.FormatInt(viewer.ID, 10)+`/revoke";
			document.body.appendChild(f); f.submit(); })()`))
		mustContain(t, "refused revocation", text(t, ctx, "#problem"), "无权执行此操作")
		if tokenNamed(t, s, "viewer-browser").RevokedAt != nil {
			t.Error("the auditor revoked a token")
		}
	})
}

// TestAdminPolicy lists the grant rules of a type and explains two
// decisions as the registry makes them: the talent office may not grant
// a little giant, economy-IT may.
func TestAdminPolicy(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		s := newSite(t, db, web.Config{})
		ctx := browser(t)
		signIn(t, ctx, s, s.token(t, "admin", "admin"))
		run(t, ctx, "opening the policy", chromedp.Navigate(s.URL+"/console/policy"), chromedp.WaitVisible(chromedp.CSS("#rules")),
			chromedp.SetValue(chromedp.CSS("#rules-type"), "little-giant"))
		loadAfter(t, ctx, "filtering little giant", chromedp.Click(chromedp.CSS("#rules-submit")))
		want, err := s.Reg.ListGrantRules(as("admin", "admin"), "little-giant", "")
		if err != nil || len(want) == 0 {
			t.Fatalf("the registry's rules: %v %v", want, err)
		}
		if n := count(t, ctx, "#rules tbody tr[data-type]"); n != len(want) {
			t.Errorf("%d rules shown, the registry has %d", n, len(want))
		}
		if n := count(t, ctx, `#rules tbody tr[data-type]:not([data-type="little-giant"])`); n != 0 {
			t.Errorf("%d rules of other types shown", n)
		}
		if n := count(t, ctx, `#rules tr[data-bureau="economy-it"][data-action="grant"]`); n != 1 {
			t.Errorf("economy-IT's grant rule shown %d times", n)
		}

		explain := func(org string) (string, designation.PermissionAnswer) {
			t.Helper()
			run(t, ctx, "filling the explain form", chromedp.SetValue(chromedp.CSS("#ask-role"), "issuer"),
				chromedp.SetValue(chromedp.CSS("#ask-action"), "grant"), chromedp.SetValue(chromedp.CSS("#ask-type"), "little-giant"))
			submit(t, ctx, "explaining for "+org, map[string]string{"#ask-org": org}, "#ask-submit")
			a, err := s.Reg.CheckPermission(as("admin", "admin"), designation.PermissionQuery{Subject: "issuer@" + org, Action: "grant", DesignationType: "little-giant"})
			if err != nil {
				t.Fatal(err)
			}
			if got := text(t, ctx, "#decision-rule"); got != a.Rule {
				t.Errorf("rule shown %q, the registry's %q", got, a.Rule)
			}
			return text(t, ctx, "#decision-result"), a
		}
		result, a := explain(talentOffice)
		if a.Allowed || result != "拒绝" {
			t.Errorf("talent office granting a little giant: shown %q, registry allowed=%v", result, a.Allowed)
		}
		mustContain(t, "denied in words", text(t, ctx, "#decision-words"), "没有任何规则允许", "市委人才办", "小巨人")
		mustContain(t, "denied rule", a.Rule, "no rule lets")
		result, a = explain(economy)
		if !a.Allowed || result != "允许" {
			t.Errorf("economy-IT granting a little giant: shown %q, registry allowed=%v", result, a.Allowed)
		}
		mustContain(t, "allowed in words", text(t, ctx, "#decision-words"), "市经信局", "小巨人", "登记认定")
		// The filter is kept while explaining.
		if n := count(t, ctx, `#rules tbody tr[data-type]:not([data-type="little-giant"])`); n != 0 {
			t.Errorf("the explanation lost the filter: %d rules of other types", n)
		}

		submit(t, ctx, "explaining for a bad organisation", map[string]string{"#ask-org": "bureau:nowhere"}, "#ask-submit")
		mustContain(t, "refused question", text(t, ctx, "#problem"), "请求有误", "subject")
	})
}
