package web_test

import (
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/hangzhou-ai/registry/ratelimit"
	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/access"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	"github.com/hangzhou-ai/registry/store/storetest"
	"github.com/hangzhou-ai/registry/web"
)

// noRedirects is a client that shows redirects instead of following them.
func noRedirects() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// signInHTTP posts the sign-in form without a browser and returns the
// answer, its body read.
func signInHTTP(t *testing.T, c *http.Client, s *site, token, next string) (*http.Response, string) {
	t.Helper()
	res, err := c.PostForm(s.URL+"/console/signin", url.Values{"token": {token}, "next": {next}})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

func sessionCookieOf(t *testing.T, res *http.Response) *http.Cookie {
	t.Helper()
	for _, c := range res.Cookies() {
		if strings.HasSuffix(c.Name, "registry_session") {
			return c
		}
	}
	t.Fatalf("no session cookie set; status %d, Set-Cookie %q", res.StatusCode, res.Header.Values("Set-Cookie"))
	return nil
}

// getWith fetches path with cookie and returns the status and Location.
func getWith(t *testing.T, s *site, path string, cookie *http.Cookie) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL+path, nil)
	req.AddCookie(cookie)
	res, err := noRedirects().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode, res.Header.Get("Location")
}

// TestConsoleSessions checks the session cookie's attributes, that a
// session ends with sign-out (a copied cookie is then worthless) and with
// its token's revocation, that the return address cannot leave the
// console, and that neither session ids nor tokens are stored in clear.
func TestConsoleSessions(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		s := newSite(t, db, web.Config{})
		newWorld(t, s)
		token := s.token(t, "viewer", economy)

		res, body := signInHTTP(t, noRedirects(), s, "rgt_not-a-token", "/console/")
		if res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "令牌无效") {
			t.Fatalf("a bad token: %d\n%s", res.StatusCode, body)
		}
		if len(res.Cookies()) > 0 && strings.Contains(res.Header.Get("Set-Cookie"), "registry_session=rgs_") {
			t.Fatal("a bad token got a session")
		}

		res, _ = signInHTTP(t, noRedirects(), s, token, "https://elsewhere.example/steal")
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/console/" {
			t.Errorf("sign-in with a foreign return address redirects to %q (%d), want /console/", res.Header.Get("Location"), res.StatusCode)
		}
		c := sessionCookieOf(t, res)
		if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Secure || c.Name != "registry_session" {
			t.Errorf("cookie %+v: want HttpOnly, SameSite=Strict, Path=/, not Secure over plain HTTP", c)
		}
		if !strings.HasPrefix(c.Value, access.SessionPrefix) || strings.Contains(c.Value, token) {
			t.Errorf("cookie value %q is not an opaque session id", c.Value)
		}
		if status, _ := getWith(t, s, "/console/enterprises", c); status != http.StatusOK {
			t.Fatalf("signed in: %d", status)
		}

		raw := storetest.OpenSQL(t, db)
		assertNotStored(t, raw, c.Value, token)

		// Sign out with a second copy of the cookie kept.
		copied := *c
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/console/signout", nil)
		req.AddCookie(c)
		out, err := noRedirects().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		out.Body.Close()
		// An ended session gets the sign-in form at once, saying why.
		if status, _ := getWith(t, s, "/console/enterprises", &copied); status != http.StatusUnauthorized {
			t.Errorf("a copied cookie after sign-out: %d, want 401 and the sign-in form", status)
		}

		// A session ends when its token is revoked.
		res, _ = signInHTTP(t, noRedirects(), s, token, "/console/enterprises")
		if loc := res.Header.Get("Location"); loc != "/console/enterprises" {
			t.Errorf("return address kept as %q", loc)
		}
		c = sessionCookieOf(t, res)
		tokens, err := s.Reg.ListTokens(as("admin", "admin"))
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range tokens {
			if tk.Subject == "viewer-browser" {
				if _, err := s.Reg.RevokeToken(as("admin", "admin"), registry.Principal{}, tk.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
		if status, _ := getWith(t, s, "/console/enterprises", c); status != http.StatusUnauthorized {
			t.Errorf("after the token's revocation: %d, want 401 and the sign-in form", status)
		}
		// Without a cookie a page sends the browser to sign in and back.
		req, _ = http.NewRequest(http.MethodGet, s.URL+"/console/enterprises?q=x", nil)
		res, err = noRedirects().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || loc != "/console/signin?next=%2Fconsole%2Fenterprises%3Fq%3Dx" {
			t.Errorf("no cookie: %d %q", res.StatusCode, loc)
		}
	})
}

// assertNotStored fails if any table holds one of the secrets in clear.
func assertNotStored(t *testing.T, db *sql.DB, secrets ...string) {
	t.Helper()
	for _, q := range []string{"SELECT session_hash, COALESCE(token_hash, '') FROM console_sessions", "SELECT token_hash, '' FROM api_tokens"} {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var a, b string
			if err := rows.Scan(&a, &b); err != nil {
				t.Fatal(err)
			}
			for _, secret := range secrets {
				if strings.Contains(a+b, secret) {
					t.Errorf("%s holds a secret in clear", q)
				}
			}
		}
		rows.Close()
	}
	rows, err := db.Query("SELECT COALESCE(before, ''), COALESCE(after, '') FROM audit_events")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var a, b string
		if err := rows.Scan(&a, &b); err != nil {
			t.Fatal(err)
		}
		for _, secret := range secrets {
			if strings.Contains(a+b, secret) {
				t.Error("the audit trail holds a secret in clear")
			}
		}
	}
}

// TestSecureCookieBehindTLS: with an https public URL the cookie is
// Secure and takes the __Host- prefix.
func TestSecureCookieBehindTLS(t *testing.T) {
	s := newSite(t, storetest.SQLite(t), web.Config{PublicURL: "https://registry.example.gov.cn"})
	res, _ := signInHTTP(t, noRedirects(), s, s.token(t, "auditor", "auditor"), "/console/")
	c := sessionCookieOf(t, res)
	if c.Name != "__Host-registry_session" || !c.Secure || c.Path != "/" || c.Domain != "" {
		t.Errorf("cookie %+v: want __Host-registry_session, Secure, Path=/, no Domain", c)
	}
}

// TestCrossSiteFormsRefused sends a signed-in form from another site, as
// a browser marks it, and finds it refused before anything changes.
func TestCrossSiteFormsRefused(t *testing.T) {
	s := newSite(t, storetest.SQLite(t), web.Config{})
	w := newWorld(t, s)
	res, _ := signInHTTP(t, noRedirects(), s, s.token(t, "issuer", economy), "/console/")
	c := sessionCookieOf(t, res)
	for name, headers := range map[string]map[string]string{
		"Sec-Fetch-Site cross-site": {"Sec-Fetch-Site": "cross-site"},
		"foreign Origin":            {"Origin": "https://attacker.example"},
	} {
		form := url.Values{"reason": {"forged"}}
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/console/designations/"+w.Giant.ID+"/revoke", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		req.AddCookie(c)
		res, err := noRedirects().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", name, res.StatusCode)
		}
	}
	d, err := s.Reg.GetDesignation(as("issuer", economy), w.Giant.ID)
	if err != nil || d.Status != "active" {
		t.Fatalf("after forged posts: %s %v", d.Status, err)
	}
}

// TestConsoleUnknownPage gets the console's own 404 page, in its language.
func TestConsoleUnknownPage(t *testing.T) {
	s := newSite(t, storetest.SQLite(t), web.Config{})
	status, hdr, body := get(t, s.URL+"/console/no-such-page?lang=en")
	if status != http.StatusNotFound || !strings.Contains(body, "No such page") || hdr.Get("Content-Security-Policy") == "" {
		t.Fatalf("%d %v\n%s", status, hdr, body)
	}
}

// TestPageLog finds one line per page with its route and the signed-in
// subject, and neither the token, the session id nor what the query held.
func TestPageLog(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	s := newSiteLogged(t, storetest.SQLite(t), web.Config{}, zap.New(core))
	w := newWorld(t, s)
	token := s.token(t, "issuer", economy)
	res, _ := signInHTTP(t, noRedirects(), s, token, "/console/")
	c := sessionCookieOf(t, res)
	if status, _ := getWith(t, s, "/console/enterprises?q="+url.QueryEscape(w.A.Name), c); status != http.StatusOK {
		t.Fatal(status)
	}
	var found bool
	for _, e := range logs.All() {
		line := e.Message
		for _, f := range e.Context {
			line += " " + f.Key + "=" + f.String
		}
		for _, secret := range []string{token, c.Value, w.A.Name} {
			if strings.Contains(line, secret) {
				t.Errorf("log line holds a secret or a query: %s", line)
			}
		}
		fields := e.ContextMap()
		if e.Message == "page" && fields["route"] == "GET /console/enterprises" && fields["subject"] == "issuer-browser" && fields["status"] == int64(200) {
			found = true
		}
	}
	if !found {
		t.Errorf("no page line for GET /console/enterprises by issuer-browser in %v", logs.All())
	}
}

// TestConsolePrincipalLimit spends a principal's budget on pages and gets
// 429, as its API calls would; a cookie naming no session spends the
// address's public budget.
func TestConsolePrincipalLimit(t *testing.T) {
	s := newSite(t, storetest.SQLite(t), web.Config{Principals: ratelimit.New(0.001, 2), Public: ratelimit.New(0.001, 3)})
	res, _ := signInHTTP(t, noRedirects(), s, s.token(t, "auditor", "auditor"), "/console/")
	c := sessionCookieOf(t, res)
	for i, want := range []int{http.StatusOK, http.StatusOK, http.StatusTooManyRequests} {
		if status, _ := getWith(t, s, "/console/", c); status != want {
			t.Errorf("page %d: %d, want %d", i+1, status, want)
		}
	}
	forged := &http.Cookie{Name: "registry_session", Value: access.SessionPrefix + strings.Repeat("A", 43)}
	for i, want := range []int{http.StatusUnauthorized, http.StatusUnauthorized, http.StatusTooManyRequests} {
		if status, _ := getWith(t, s, "/console/", forged); status != want {
			t.Errorf("forged cookie %d: %d, want %d", i+1, status, want)
		}
	}
}

// TestPublicURLChecked refuses a public URL the pages cannot be served
// under.
func TestPublicURLChecked(t *testing.T) {
	reg, _ := registrytest.Open(t, storetest.SQLite(t))
	for url, ok := range map[string]bool{
		"https://registry.example.gov.cn": true, "https://registry.example.gov.cn/": true, "http://localhost:8080": true,
		"https://example.gov.cn/registry": false, "registry.example.gov.cn": false, "ftp://x.example": false, "https://x.example/?a=b": false,
	} {
		if _, err := web.New(reg, zap.NewNop(), web.Config{PublicURL: url}); (err == nil) != ok {
			t.Errorf("PublicURL %q: %v, want ok=%v", url, err, ok)
		}
	}
}

// TestAdminEndsSession lists a user's live session on the tokens page and
// ends it from there: the user's next page asks them to sign in again.
func TestAdminEndsSession(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		s := newSite(t, db, web.Config{})
		res, _ := signInHTTP(t, noRedirects(), s, s.token(t, "viewer", economy), "/console/")
		user := sessionCookieOf(t, res)
		res, _ = signInHTTP(t, noRedirects(), s, s.token(t, "admin", "admin"), "/console/")
		admin := sessionCookieOf(t, res)
		sessions, err := s.Reg.ListSessions(as("admin", "admin"))
		if err != nil {
			t.Fatal(err)
		}
		var id int64
		for _, ss := range sessions {
			if ss.Subject == "viewer-browser" {
				id = ss.ID
			}
		}
		req, _ := http.NewRequest(http.MethodGet, s.URL+"/console/tokens", nil)
		req.AddCookie(admin)
		page, err := noRedirects().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(page.Body)
		page.Body.Close()
		if id == 0 || !strings.Contains(string(body), "/console/sessions/"+fmt.Sprint(id)+"/end") {
			t.Fatalf("the tokens page offers no end button for session %d", id)
		}
		// Only an administrator may end it.
		req, _ = http.NewRequest(http.MethodPost, s.URL+"/console/sessions/"+fmt.Sprint(id)+"/end", nil)
		req.AddCookie(user)
		if res, err := noRedirects().Do(req); err != nil || res.StatusCode != http.StatusForbidden {
			t.Fatalf("the viewer ending a session: %v %v", err, res.StatusCode)
		}
		req, _ = http.NewRequest(http.MethodPost, s.URL+"/console/sessions/"+fmt.Sprint(id)+"/end", nil)
		req.AddCookie(admin)
		if res, err := noRedirects().Do(req); err != nil || res.StatusCode != http.StatusSeeOther {
			t.Fatalf("the administrator ending it: %v %v", err, res.StatusCode)
		}
		if status, _ := getWith(t, s, "/console/", user); status != http.StatusUnauthorized {
			t.Errorf("the ended session still opens the console: %d", status)
		}
	})
}
