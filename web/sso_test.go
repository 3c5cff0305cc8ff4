package web_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"github.com/hangzhou-ai/registry/registry/audit"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	"github.com/hangzhou-ai/registry/rpc"
	"github.com/hangzhou-ai/registry/rpc/oidc"
	"github.com/hangzhou-ai/registry/rpc/oidc/oidctest"
	"github.com/hangzhou-ai/registry/store/storetest"
	"github.com/hangzhou-ai/registry/web"
)

// ssoClientID is the console's client at the provider; the bearer tokens
// the API accepts are for another audience.
const (
	ssoClientID     = "registry-console"
	ssoClientSecret = "console-secret-5f2c"
	ssoAPIAudience  = "registry"
)

// ssoSite is a site whose console signs in through a provider, with the
// provider and what the registry logged.
type ssoSite struct {
	*site
	IdP    *oidctest.Provider
	Logs   *observer.ObservedLogs
	Public string
}

// newSSOSite starts a registry on db whose console signs in through a
// fresh provider. Its public URL names the host "localhost" while the
// provider is at 127.0.0.1, so the way back from the provider is a
// cross-site navigation, as in production. publicURL, when not empty,
// replaces the public URL (the provider then cannot send browsers back).
func newSSOSite(t *testing.T, db storetest.Database, publicURL string) *ssoSite {
	t.Helper()
	core, logs := observer.New(zapcore.DebugLevel)
	log := zap.New(zapcore.NewTee(zaptest.NewLogger(t).Core(), core))
	reg, clock, _ := registrytest.OpenLogged(t, db, log)

	idp := oidctest.New(t, oidctest.NewRSAKey(t, "login-1"))
	idp.Now = clock.Now
	v, err := oidc.New(oidc.Config{Issuer: idp.Issuer, Audience: ssoAPIAudience, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(nil)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	public := "http://localhost:" + port
	if publicURL != "" {
		public = publicURL
	}
	idp.RegisterClient(oidctest.Client{ID: ssoClientID, Secret: ssoClientSecret, RedirectURIs: []string{public + "/console/sso/callback"}})
	pages, err := web.New(reg, log.Named("web"), web.Config{PublicURL: public, SSO: v, SSOLogin: &web.SSOLogin{
		ClientID: ssoClientID, ClientSecret: ssoClientSecret, Scopes: []string{"profile"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", rpc.NewHandler(reg, log.Named("rpc"), rpc.WithLimits(rpc.Limits{MaxCallDuration: time.Minute})))
	pages.Mount(mux)
	srv.Config.Handler = mux
	srv.Start()
	t.Cleanup(srv.Close)
	return &ssoSite{
		site: &site{URL: "http://localhost:" + port, Reg: reg, Clock: clock, DB: db},
		IdP:  idp, Logs: logs, Public: public,
	}
}

// assertNothingSecretLogged fails if a log entry holds any of secrets.
func (s *ssoSite) assertNothingSecretLogged(t *testing.T, secrets ...string) {
	t.Helper()
	for _, e := range s.Logs.All() {
		b, _ := json.Marshal(e.ContextMap())
		for _, secret := range secrets {
			if secret != "" && strings.Contains(e.Message+string(b), secret) {
				t.Errorf("the log entry %q %s holds a secret", e.Message, b)
			}
		}
	}
}

// TestSSOLoginInBrowser signs in through the provider's sign-in page from
// the console's sign-in page: a refusal at the provider is shown, a
// forged answer is refused, and a sign-in lands on the page asked for,
// signed in as the provider's person, with the session audited as theirs.
func TestSSOLoginInBrowser(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		s := newSSOSite(t, db, "")
		s.IdP.LoginAs(map[string]any{"sub": "wang.lei", "org": economy, "role": "viewer"})
		ctx := browser(t)

		// The person cancels at the provider.
		s.IdP.RefuseLogins("access_denied")
		run(t, ctx, "opening a console page signed out",
			chromedp.Navigate(s.URL+"/console/enterprises"),
			chromedp.WaitVisible(chromedp.CSS("#sso-login")))
		mustContain(t, "sign-in page", text(t, ctx, "#sso-login"), "通过统一身份认证登录")
		loadAfter(t, ctx, "following the single sign-on link", chromedp.Click(chromedp.CSS("#sso-login")))
		run(t, ctx, "back from the provider", chromedp.WaitVisible(chromedp.CSS("#problem")))
		mustContain(t, "a refusal at the provider", text(t, ctx, "#problem"), "统一身份认证未完成登录", "access_denied")
		if n := count(t, ctx, "#who"); n != 0 {
			t.Fatal("signed in although the provider refused")
		}

		// An answer this browser did not ask for (login CSRF) is refused.
		run(t, ctx, "a forged answer",
			chromedp.Navigate(s.URL+"/console/sso/callback?code=forged&state=forged"),
			chromedp.WaitVisible(chromedp.CSS("#problem")))
		mustContain(t, "a forged answer", text(t, ctx, "#problem"), "登录请求已失效或不是从本浏览器发起的")
		if n := count(t, ctx, "#who"); n != 0 {
			t.Fatal("signed in by a forged answer")
		}

		// Now the sign-in goes through, back to the page first asked for.
		s.IdP.RefuseLogins("")
		run(t, ctx, "opening a console page signed out",
			chromedp.Navigate(s.URL+"/console/enterprises?q=%E4%BA%91"),
			chromedp.WaitVisible(chromedp.CSS("#sso-login")))
		// The person approves at the provider, whose page then starts the
		// (cross-site) way back, on which the Strict session cookie set
		// by the answer would not be sent to a redirect's next address.
		s.IdP.AskConsent(true)
		run(t, ctx, "signing in through the provider",
			chromedp.Click(chromedp.CSS("#sso-login")),
			chromedp.WaitVisible(chromedp.CSS("#approve")),
			chromedp.Click(chromedp.CSS("#approve")),
			chromedp.WaitVisible(chromedp.CSS("#who, #signin-form")))
		if count(t, ctx, "#who") == 0 {
			t.Fatalf("back from the provider signed out:\n%s", bodyText(t, ctx))
		}
		run(t, ctx, "the page asked for", chromedp.WaitVisible(chromedp.CSS("#menu")))
		mustContain(t, "signed in", text(t, ctx, "#who"), "wang.lei", economy)
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		if want := s.URL + "/console/enterprises?q=%E4%BA%91"; loc != want {
			t.Errorf("landed on %s, want %s", loc, want)
		}
		mustContain(t, "menu", text(t, ctx, "#menu"), "企业", "人才")
		screenshot(t, ctx, "console-sso-signed-in")
		if n := s.IdP.CodeExchanges(); n != 1 {
			t.Errorf("%d codes exchanged, want 1", n)
		}

		events, _, err := s.Reg.ListAuditEvents(as("auditor", "auditor"), audit.AuditFilter{Entity: "session", PageSize: 50})
		if err != nil {
			t.Fatal(err)
		}
		var started []string
		for _, e := range events {
			if e.Action == "session.start" {
				started = append(started, e.Subject+" "+e.Role+"@"+e.Org)
			}
		}
		if len(started) != 1 || started[0] != "wang.lei viewer@"+economy {
			t.Errorf("session.start events %q, want one by wang.lei viewer@%s", started, economy)
		}

		// Signing out ends it; the sign-in page offers single sign-on again.
		loadAfter(t, ctx, "signing out", chromedp.Click(chromedp.CSS("#signout")))
		run(t, ctx, "signed out", chromedp.WaitVisible(chromedp.CSS("#sso-login")))
	})
}

// ssoBrowser is a cookie-keeping client that shows redirects instead of
// following them, for walking the sign-in by hand.
func ssoBrowser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := noRedirects()
	c.Jar = jar
	return c
}

// ssoGet fetches u with c and returns the answer, its body read.
func ssoGet(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

// cookieNamed is the Set-Cookie of res naming name.
func cookieNamed(res *http.Response, name string) *http.Cookie {
	for _, c := range res.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// startSSO asks the console to sign in through the provider and returns
// the authorization request it redirects to and the cookie it sets.
func startSSO(t *testing.T, c *http.Client, s *ssoSite, next string) (*url.URL, *http.Cookie) {
	t.Helper()
	res, body := ssoGet(t, c, s.URL+"/console/sso?next="+url.QueryEscape(next))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("GET /console/sso: %d\n%s", res.StatusCode, body)
	}
	u, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	cookie := cookieNamed(res, "registry_sso")
	if cookie == nil {
		cookie = cookieNamed(res, "__Host-registry_sso")
	}
	if cookie == nil {
		t.Fatalf("no registry_sso cookie; Set-Cookie %q", res.Header.Values("Set-Cookie"))
	}
	return u, cookie
}

// authorize follows the authorization request to the provider and
// returns the address it sends the browser back to.
func authorize(t *testing.T, c *http.Client, auth *url.URL) *url.URL {
	t.Helper()
	res, body := ssoGet(t, c, auth.String())
	if res.StatusCode != http.StatusFound {
		t.Fatalf("the provider answered %d\n%s", res.StatusCode, body)
	}
	back, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return back
}

// TestSSOAuthorizationRequest checks the request the console sends the
// browser to the provider with (PKCE S256, state, nonce, the registered
// redirect URI) and the cookie remembering it.
func TestSSOAuthorizationRequest(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		s := newSSOSite(t, db, "")
		auth, cookie := startSSO(t, ssoBrowser(t), s, "/console/audit")
		if got, want := auth.Scheme+"://"+auth.Host+auth.Path, s.IdP.Issuer+"/authorize"; got != want {
			t.Errorf("redirects to %s, want the discovered authorization endpoint %s", got, want)
		}
		q := auth.Query()
		for k, want := range map[string]string{
			"response_type": "code", "client_id": ssoClientID, "redirect_uri": s.Public + "/console/sso/callback",
			"scope": "openid profile", "code_challenge_method": "S256",
		} {
			if q.Get(k) != want {
				t.Errorf("%s=%q, want %q", k, q.Get(k), want)
			}
		}
		if q.Has("client_secret") || strings.Contains(auth.String(), ssoClientSecret) {
			t.Error("the client secret is sent to the browser")
		}
		if !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Path != "/console/sso" || cookie.Secure || cookie.MaxAge != 600 {
			t.Errorf("cookie %+v: want HttpOnly, SameSite=Lax, Path=/console/sso, Max-Age=600, not Secure over plain HTTP", cookie)
		}
		// The cookie (base64url JSON) holds what the way back must match:
		// the state and nonce sent, and the verifier whose S256 hash is
		// the challenge sent. The verifier itself never leaves the server.
		b, err := base64.RawURLEncoding.DecodeString(cookie.Value)
		if err != nil {
			t.Fatal(err)
		}
		var pending struct{ S, N, V, R string }
		if err := json.Unmarshal(b, &pending); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(pending.V))
		if challenge := base64.RawURLEncoding.EncodeToString(sum[:]); q.Get("code_challenge") != challenge {
			t.Errorf("code_challenge %q is not the S256 hash of the verifier (%q)", q.Get("code_challenge"), challenge)
		}
		if len(pending.V) < 43 || strings.Contains(auth.String(), pending.V) {
			t.Errorf("verifier %q: want 43 or more characters, never in the authorization request", pending.V)
		}
		if pending.S != q.Get("state") || pending.N != q.Get("nonce") || len(pending.S) < 32 || len(pending.N) < 32 || pending.R != "/console/audit" {
			t.Errorf("cookie holds %+v; request has state %q nonce %q", pending, q.Get("state"), q.Get("nonce"))
		}
		// Every sign-in gets its own.
		again, _ := startSSO(t, ssoBrowser(t), s, "/console/")
		for _, k := range []string{"state", "nonce", "code_challenge"} {
			if again.Query().Get(k) == q.Get(k) {
				t.Errorf("two sign-ins share their %s", k)
			}
		}
		// A return address off the console, or back into sign-in, is dropped.
		for _, next := range []string{"https://elsewhere.example/", "/console/sso?next=/console/", "//elsewhere.example/console/"} {
			_, c := startSSO(t, ssoBrowser(t), s, next)
			b, _ := base64.RawURLEncoding.DecodeString(c.Value)
			if !strings.Contains(string(b), `"r":"/console/"`) {
				t.Errorf("next %q kept as %s", next, b)
			}
		}
	})
}

// TestSSOSecureCookie: with an https public URL the sign-in's cookie is
// Secure and __Host- prefixed (Path=/, no Domain), so no sibling
// subdomain can plant one.
func TestSSOSecureCookie(t *testing.T) {
	s := newSSOSite(t, storetest.SQLite(t), "https://registry.example.gov.cn")
	auth, cookie := startSSO(t, ssoBrowser(t), s, "/console/")
	if !cookie.Secure || cookie.SameSite != http.SameSiteLaxMode || !cookie.HttpOnly || cookie.Name != "__Host-registry_sso" || cookie.Path != "/" || cookie.Domain != "" {
		t.Errorf("cookie %+v: want __Host-registry_sso, Secure, SameSite=Lax, HttpOnly, Path=/", cookie)
	}
	if got := auth.Query().Get("redirect_uri"); got != "https://registry.example.gov.cn/console/sso/callback" {
		t.Errorf("redirect_uri %q", got)
	}
}

// TestSSOCallbackChecks walks the way back from the provider by hand: a
// tampered state, a replayed answer, a used code, a provider's error and
// an identity naming no valid principal are each refused on the sign-in
// page, with the sign-in's cookie gone and no session; a good answer sets
// the session cookie and sends the browser on with a page, not a
// redirect. Nothing secret is logged.
func TestSSOCallbackChecks(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		s := newSSOSite(t, db, "")
		s.IdP.LoginAs(map[string]any{"sub": "li.na", "org": "auditor", "role": "auditor"})
		var secrets []string
		refused := func(what string, res *http.Response, body string, status int, says string) {
			t.Helper()
			if res.StatusCode != status || !strings.Contains(body, says) || !strings.Contains(body, `id="signin-form"`) {
				t.Errorf("%s: %d, want %d and the sign-in page saying %q\n%s", what, res.StatusCode, status, says, body)
			}
			if c := cookieNamed(res, "registry_sso"); c == nil || c.MaxAge >= 0 {
				t.Errorf("%s: the sign-in's cookie is not removed", what)
			}
			for _, c := range res.Cookies() {
				if strings.HasSuffix(c.Name, "registry_session") {
					t.Errorf("%s: a session cookie is set", what)
				}
			}
		}

		// A tampered state.
		c := ssoBrowser(t)
		auth, _ := startSSO(t, c, s, "/console/audit")
		back := authorize(t, c, auth)
		secrets = append(secrets, back.Query().Get("code"), back.Query().Get("state"))
		tampered := *back
		q := back.Query()
		q.Set("state", q.Get("state")+"x")
		tampered.RawQuery = q.Encode()
		res, body := ssoGet(t, c, s.URL+"/console/sso/callback?"+tampered.RawQuery)
		refused("a tampered state", res, body, http.StatusBadRequest, "登录请求已失效或不是从本浏览器发起的")
		// The attempt is over: the true answer no longer signs in either.
		res, body = ssoGet(t, c, s.URL+"/console/sso/callback?"+back.RawQuery)
		refused("the answer after a tampered one", res, body, http.StatusBadRequest, "登录请求已失效")
		if n := s.IdP.CodeExchanges(); n != 0 {
			t.Errorf("%d codes exchanged for refused answers", n)
		}

		// A good answer.
		c = ssoBrowser(t)
		auth, _ = startSSO(t, c, s, "/console/audit?entity=session")
		back = authorize(t, c, auth)
		code := back.Query().Get("code")
		secrets = append(secrets, code, back.Query().Get("state"))
		res, body = ssoGet(t, c, s.URL+"/console/sso/callback?"+back.RawQuery)
		if res.StatusCode != http.StatusOK || res.Header.Get("Location") != "" {
			t.Fatalf("a good answer: %d (Location %q), want 200 and a page\n%s", res.StatusCode, res.Header.Get("Location"), body)
		}
		mustContain(t, "the page after sign-in", body,
			`<meta http-equiv="refresh" content="0;url=/console/audit?entity=session">`, `href="/console/audit?entity=session"`)
		session := sessionCookieOf(t, res)
		if !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Path != "/" || session.Name != "registry_session" {
			t.Errorf("session cookie %+v: want it as the sign-in form sets it", session)
		}
		secrets = append(secrets, session.Value)
		if status, _ := getWith(t, s.site, "/console/audit", session); status != http.StatusOK {
			t.Errorf("the auditor's trail with the new session: %d", status)
		}
		// Replaying the answer finds no sign-in under way.
		res, body = ssoGet(t, c, s.URL+"/console/sso/callback?"+back.RawQuery)
		refused("a replayed answer", res, body, http.StatusBadRequest, "登录请求已失效")

		// A used code with a fresh sign-in's state: the provider refuses it.
		c = ssoBrowser(t)
		auth, _ = startSSO(t, c, s, "/console/")
		res, body = ssoGet(t, c, s.URL+"/console/sso/callback?"+url.Values{"code": {code}, "state": {auth.Query().Get("state")}}.Encode())
		refused("a used code", res, body, http.StatusBadGateway, "无法向统一身份认证换取登录凭据")

		// The provider's error, with unsafe text in it shown as nothing.
		s.IdP.RefuseLogins("access_denied")
		c = ssoBrowser(t)
		auth, _ = startSSO(t, c, s, "/console/")
		back = authorize(t, c, auth)
		res, body = ssoGet(t, c, s.URL+"/console/sso/callback?"+back.RawQuery)
		refused("the provider's error", res, body, http.StatusUnauthorized, "统一身份认证未完成登录")
		mustContain(t, "the provider's error", body, "access_denied")
		c = ssoBrowser(t)
		auth, _ = startSSO(t, c, s, "/console/")
		res, body = ssoGet(t, c, s.URL+"/console/sso/callback?"+url.Values{"error": {"Call +86 555 0100 to unlock"}, "state": {auth.Query().Get("state")}}.Encode())
		refused("an odd error", res, body, http.StatusUnauthorized, "统一身份认证未完成登录")
		mustNotContain(t, "an odd error", body, "555 0100")
		s.IdP.RefuseLogins("")

		// An identity naming no valid principal.
		s.IdP.LoginAs(map[string]any{"sub": "zhao.min", "org": economy, "role": "wizard"})
		c = ssoBrowser(t)
		auth, _ = startSSO(t, c, s, "/console/")
		back = authorize(t, c, auth)
		secrets = append(secrets, back.Query().Get("code"))
		res, body = ssoGet(t, c, s.URL+"/console/sso/callback?"+back.RawQuery)
		refused("an invalid principal", res, body, http.StatusUnauthorized, "统一身份认证返回的身份无效或已过期")

		// An ID token already expired by the registry's clock.
		s.IdP.LoginAs(map[string]any{"sub": "zhao.min", "org": economy, "role": "viewer", "exp": s.Clock.Now().Add(-time.Hour).Unix(), "iat": s.Clock.Now().Add(-2 * time.Hour).Unix()})
		c = ssoBrowser(t)
		auth, _ = startSSO(t, c, s, "/console/")
		back = authorize(t, c, auth)
		res, body = ssoGet(t, c, s.URL+"/console/sso/callback?"+back.RawQuery)
		refused("an expired ID token", res, body, http.StatusUnauthorized, "统一身份认证返回的身份无效或已过期")

		// A sign-in older than ten minutes by the registry's clock.
		s.IdP.LoginAs(map[string]any{"sub": "li.na", "org": "auditor", "role": "auditor"})
		c = ssoBrowser(t)
		auth, _ = startSSO(t, c, s, "/console/")
		back = authorize(t, c, auth)
		s.Clock.Set(s.Clock.Now().Add(11 * time.Minute))
		res, body = ssoGet(t, c, s.URL+"/console/sso/callback?"+back.RawQuery)
		refused("a stale sign-in", res, body, http.StatusBadRequest, "登录请求已失效")

		events, _, err := s.Reg.ListAuditEvents(as("auditor", "auditor"), audit.AuditFilter{Entity: "session", PageSize: 50})
		if err != nil {
			t.Fatal(err)
		}
		var started []string
		for _, e := range events {
			if e.Action == "session.start" {
				started = append(started, fmt.Sprintf("%s %s@%s", e.Subject, e.Role, e.Org))
			}
		}
		if len(started) != 1 || started[0] != "li.na auditor@auditor" {
			t.Errorf("sessions started %q, want li.na's alone", started)
		}
		s.assertNothingSecretLogged(t, append(secrets, ssoClientSecret)...)
		if len(s.Logs.FilterMessageSnippet("single sign-on").All()) == 0 {
			t.Error("the refusals are not logged")
		}
	})
}

// TestSSOLoginNeedsPublicURL: the redirect URI is made from the public
// URL, so single sign-on without one is refused at start.
func TestSSOLoginNeedsPublicURL(t *testing.T) {
	reg, _ := registrytest.Open(t, storetest.SQLite(t))
	idp := oidctest.New(t, oidctest.NewRSAKey(t, "k"))
	v, err := oidc.New(oidc.Config{Issuer: idp.Issuer, Audience: ssoAPIAudience})
	if err != nil {
		t.Fatal(err)
	}
	_, err = web.New(reg, zaptest.NewLogger(t), web.Config{SSO: v, SSOLogin: &web.SSOLogin{ClientID: ssoClientID}})
	if err == nil || !strings.Contains(err.Error(), "PublicURL") {
		t.Errorf("SSOLogin without PublicURL: %v, want a refusal naming PublicURL", err)
	}
	_, err = web.New(reg, zaptest.NewLogger(t), web.Config{PublicURL: "https://registry.example.gov.cn", SSOLogin: &web.SSOLogin{ClientID: ssoClientID}})
	if err == nil {
		t.Error("SSOLogin without SSO accepted")
	}
	// Without SSOLogin the sign-in page offers no single sign-on link.
	s := newSite(t, storetest.SQLite(t), web.Config{SSO: v})
	res, body := ssoGet(t, noRedirects(), s.URL+"/console/signin")
	if res.StatusCode != http.StatusOK || strings.Contains(body, "sso-login") {
		t.Errorf("sign-in page without SSOLogin: %d, offers the link: %v", res.StatusCode, strings.Contains(body, "sso-login"))
	}
	if res, _ := ssoGet(t, noRedirects(), s.URL+"/console/sso"); res.StatusCode != http.StatusNotFound {
		t.Errorf("/console/sso without SSOLogin: %d, want 404", res.StatusCode)
	}
}
