package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/access"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	"github.com/hangzhou-ai/registry/rpc"
	"github.com/hangzhou-ai/registry/store/storetest"
	"github.com/hangzhou-ai/registry/web"
)

// site is a registry serving the API and the pages on one loopback port,
// as registryd serves them.
type site struct {
	URL   string
	Reg   *registry.Registry
	Clock *storetest.Clock
	DB    storetest.Database
}

// newSite starts a registry on db with the pages mounted beside the API.
// The public limit is off unless a test passes its own.
func newSite(t *testing.T, db storetest.Database, cfg web.Config) *site {
	t.Helper()
	return newSiteLogged(t, db, cfg, zaptest.NewLogger(t))
}

// newSiteLogged is newSite logging to log.
func newSiteLogged(t *testing.T, db storetest.Database, cfg web.Config, log *zap.Logger) *site {
	t.Helper()
	reg, clock, _ := registrytest.OpenLogged(t, db, log)
	pages, err := web.New(reg, log.Named("web"), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pages.Close)
	mux := http.NewServeMux()
	mux.Handle("/", rpc.NewHandler(reg, log.Named("rpc"), rpc.WithLimits(rpc.Limits{MaxCallDuration: time.Minute, Public: cfg.Public})))
	pages.Mount(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &site{URL: srv.URL, Reg: reg, Clock: clock, DB: db}
}

// token mints a registry token for role@org.
func (s *site) token(t *testing.T, role, org string) string {
	t.Helper()
	raw, _, err := s.Reg.IssueToken(context.Background(), registry.Principal{Subject: "test-setup", Org: "admin", Role: "admin"},
		access.NewToken{Subject: role + "-browser", Org: org, Role: role})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// as returns a context acting as role@org, for arranging data directly.
func as(role, org string) context.Context {
	return registrytest.As(context.Background(), role, org)
}

// chromiumPath finds a Chromium or Chrome binary.
func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

var (
	browserOnce  sync.Once
	browserAlloc context.Context
	browserErr   error
)

// browser returns a new tab of a headless Chromium shared by the test
// binary, in a browser context of its own (its own cookies), closed when
// the test ends. Without Chromium the test is skipped, unless CI is set:
// then it fails, so CI never passes without running the browser.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("no Chromium binary found and CI is set: install it (apt-get install chromium fonts-noto-cjk)")
		}
		t.Skip("no Chromium binary found (apt-get install chromium fonts-noto-cjk); browser tests skipped")
	}
	browserOnce.Do(func() {
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(path),
			chromedp.NoSandbox,
			chromedp.DisableGPU,
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			chromedp.Flag("lang", "zh-CN"),
			chromedp.Flag("accept-lang", "zh-CN,zh"),
			chromedp.WindowSize(1280, 900),
		)
		alloc, _ := chromedp.NewExecAllocator(context.Background(), opts...)
		// Start the browser once, so a test's time does not include it;
		// each test opens its tabs in a browser context of its own.
		browserAlloc, _ = chromedp.NewContext(alloc)
		browserErr = chromedp.Do(browserAlloc)
	})
	if browserErr != nil {
		t.Fatalf("starting Chromium: %v", browserErr)
	}
	ctx, cancel := chromedp.NewContext(browserAlloc, chromedp.WithNewBrowserContext())
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() {
		cancelTimeout()
		cancel()
	})
	return ctx
}

// run does steps in the tab, failing the test with what was being done.
func run(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// text is the visible text of the first element sel matches.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(v)
}

// bodyText is the page's whole visible text.
func bodyText(t *testing.T, ctx context.Context) string {
	t.Helper()
	return text(t, ctx, "body")
}

// signIn signs the tab in with a registry token through the sign-in form.
func signIn(t *testing.T, ctx context.Context, s *site, token string) {
	t.Helper()
	run(t, ctx, "signing in",
		chromedp.Navigate(s.URL+"/console/signin"),
		chromedp.WaitVisible(chromedp.CSS("#token")),
		chromedp.SetValue(chromedp.CSS("#token"), token),
		chromedp.Click(chromedp.CSS("#signin")),
		chromedp.WaitVisible(chromedp.CSS("#who")),
	)
}

// submit fills the form's fields (selector → value) and clicks button,
// returning once the page the form leads to has loaded.
func submit(t *testing.T, ctx context.Context, what string, fields map[string]string, button string) {
	t.Helper()
	steps := []chromedp.Action[chromedp.Void]{}
	for sel, v := range fields {
		steps = append(steps, chromedp.SetValue(chromedp.CSS(sel), v))
	}
	run(t, ctx, what, steps...)
	loadAfter(t, ctx, what, chromedp.Click(chromedp.CSS(button)))
}

// loadAfter runs trigger (a click, a script) and waits for the page it
// causes to load.
func loadAfter(t *testing.T, ctx context.Context, what string, trigger chromedp.Action[chromedp.Void]) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, trigger)); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// screenshot saves the page as docs/screenshots/NAME.png when
// REGISTRY_SCREENSHOTS names the directory to write to.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("REGISTRY_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// count is the number of elements the CSS selector sel matches.
func count(t *testing.T, ctx context.Context, sel string) int {
	t.Helper()
	quoted, _ := json.Marshal(sel)
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+string(quoted)+`).length`))
	if err != nil {
		t.Fatalf("counting %s: %v", sel, err)
	}
	return n
}

// mustContain fails unless every want is in got.
func mustContain(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s: want %q in\n%s", what, w, got)
		}
	}
}

// mustNotContain fails if any unwanted text is in got.
func mustNotContain(t *testing.T, what, got string, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(got, w) {
			t.Errorf("%s: %q must not appear in\n%s", what, w, got)
		}
	}
}
