package web_test

import (
	"bytes"
	"html"
	"image"
	_ "image/png"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/hangzhou-ai/registry/ratelimit"
	"github.com/hangzhou-ai/registry/registry/catalog"
	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/registry/park"
	"github.com/hangzhou-ai/registry/store/storetest"
	"github.com/hangzhou-ai/registry/web"
)

// get fetches url without a browser and returns status, headers and body.
func get(t *testing.T, url string, header ...string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, res.Header, string(body)
}

// decodeQR reads the text of the QR code in a PNG. A large code (an
// attestation's /verify link) sometimes escapes gozxing's search for its
// finder patterns even when drawn perfectly; it is then read as a pure
// barcode, which an element's screenshot is.
func decodeQR(t *testing.T, png []byte) string {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(png))
	if err != nil {
		t.Fatalf("decoding the image: %v", err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		res, err = qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true})
	}
	if err != nil {
		t.Fatalf("no QR code read: %v", err)
	}
	return res.GetText()
}

// TestPublicDesignationPage opens a certificate's page in the browser:
// type, holder, status in words, dates, bureau, clause; English on
// request; the QR code, as the browser draws it and as PNG, decodes to
// the page's own address; a revocation shows on the next load.
func TestPublicDesignationPage(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		s := newSite(t, db, web.Config{})
		w := newWorld(t, s)
		ctx := browser(t)
		page := s.URL + "/d/" + w.Giant.ID

		run(t, ctx, "opening the public page", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS("#certificate")))
		body := bodyText(t, ctx)
		mustContain(t, "public page", body, "国家专精特新\"小巨人\"企业", "杭州云栖智算科技有限公司", w.A.CreditCode,
			"2026-01-01 — 2028-12-31", "市经信局", "(十)", "查询时间")
		if got := text(t, ctx, "#status"); got != "有效" {
			t.Errorf("status shows %q, want 有效", got)
		}
		screenshot(t, ctx, "public-certificate")

		qr, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS(".qr img")))
		if err != nil {
			t.Fatal(err)
		}
		if got := decodeQR(t, qr); got != page {
			t.Errorf("the page's QR code reads %q, want %q", got, page)
		}
		status, hdr, png := get(t, page+"/qr.png")
		if status != http.StatusOK || hdr.Get("Content-Type") != "image/png" {
			t.Fatalf("qr.png: %d %s", status, hdr.Get("Content-Type"))
		}
		if got := decodeQR(t, []byte(png)); got != page {
			t.Errorf("qr.png reads %q, want %q", got, page)
		}

		run(t, ctx, "opening it in English", chromedp.Navigate(page+"?lang=en"), chromedp.WaitVisible(chromedp.CSS("#certificate")))
		mustContain(t, "English page", bodyText(t, ctx), "National specialised \"little giant\" enterprise", "Valid", "Municipal Bureau of Economy and Information Technology", "As checked at")

		if _, err := s.Reg.RevokeDesignation(as("issuer", economy), designation.StatusUpdate{ID: w.Giant.ID, Reason: "不再符合条件"}); err != nil {
			t.Fatal(err)
		}
		run(t, ctx, "reloading after the revocation", chromedp.Navigate(page+"?lang=zh"), chromedp.WaitVisible(chromedp.CSS("#status")))
		if got := text(t, ctx, "#status"); got != "已撤销" {
			t.Errorf("after revocation the status shows %q, want 已撤销", got)
		}
	})
}

// TestPublicPagesEveryType checks that the page, both QR codes and the
// status words work for a designation of every type, and that a talent's
// page names nobody.
func TestPublicPagesEveryType(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		s := newSite(t, db, web.Config{PublicURL: "https://registry.example.gov.cn/"})
		w := newWorld(t, s)
		ids := map[string]string{
			"little-giant": w.Giant.ID, "hq-enterprise": w.HQ.ID, "talent-recognition": w.TalentRec.ID,
			"talent-authorization": w.Authorization.ID, "ai-park": w.Park.DesignationID, "ai-growth-enterprise": w.Growth.ID,
		}
		for _, g := range []struct {
			bureau func() designation.Grant
			by     string
		}{
			{func() designation.Grant {
				return designation.Grant{Type: "single-champion", EnterpriseCreditCode: w.A.CreditCode}
			}, economy},
			{func() designation.Grant {
				return designation.Grant{Type: "hidden-champion", EnterpriseCreditCode: w.A.CreditCode}
			}, economy},
			{func() designation.Grant {
				return designation.Grant{Type: "innovation-center", EnterpriseCreditCode: w.A.CreditCode}
			}, economy},
			{func() designation.Grant {
				return designation.Grant{Type: "model-filing", EnterpriseCreditCode: w.B.CreditCode}
			}, "bureau:cyberspace"},
			{func() designation.Grant { return designation.Grant{Type: "west-lake-pearl-ai", TalentID: w.Talent.ID} }, talentOffice},
			{func() designation.Grant { return designation.Grant{Type: "competition-award", TalentID: w.Talent.ID} }, economy},
		} {
			grant := g.bureau()
			grant.ValidFrom, grant.ValidUntil, grant.DocumentNumber = "2026-01-01", "2027-12-31", "测试〔2026〕1号"
			d, err := s.Reg.GrantDesignation(as("issuer", g.by), grant)
			if err != nil {
				t.Fatalf("grant %s: %v", grant.Type, err)
			}
			ids[grant.Type] = d.ID
		}
		for _, typ := range catalog.DesignationTypes {
			id, ok := ids[typ.Code]
			if !ok {
				t.Errorf("no designation of type %s was made", typ.Code)
				continue
			}
			t.Run(typ.Code, func(t *testing.T) {
				status, _, body := get(t, s.URL+"/d/"+id)
				if status != http.StatusOK {
					t.Fatalf("status %d", status)
				}
				mustContain(t, typ.Code, body, html.EscapeString(typ.NameZh), "有效", "https://registry.example.gov.cn/d/"+id)
				if typ.SubjectKind == catalog.SubjectTalent {
					mustNotContain(t, "talent page", body, w.Talent.Name, w.Talent.IDNumberMasked, w.Talent.ID)
				}
				for _, format := range []string{"qr.png", "qr.svg"} {
					status, hdr, _ := get(t, s.URL+"/d/"+id+"/"+format)
					if status != http.StatusOK || !strings.HasPrefix(hdr.Get("Content-Type"), "image/") || !strings.HasPrefix(hdr.Get("Cache-Control"), "public") {
						t.Errorf("%s: %d %s %s", format, status, hdr.Get("Content-Type"), hdr.Get("Cache-Control"))
					}
				}
			})
		}
	})
}

// postForm posts a form without a browser (a same-origin browser would
// send Sec-Fetch-Site; this client sends neither it nor Origin, which
// http.CrossOriginProtection lets through as not from a browser).
func postForm(t *testing.T, target string, kv ...string) (int, http.Header, string) {
	t.Helper()
	vals := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		vals.Set(kv[i], kv[i+1])
	}
	res, err := http.PostForm(target, vals)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, res.Header, string(body)
}

// TestPublicPageUnknownAndMalformed gets the same 404 page for an id
// nobody holds and for one that is not an id at all, and security headers
// on every page.
func TestPublicPageUnknownAndMalformed(t *testing.T) {
	s := newSite(t, storetest.SQLite(t), web.Config{})
	w := newWorld(t, s)
	unknownStatus, _, unknown := get(t, s.URL+"/d/00000000-0000-4000-8000-000000000000")
	malformedStatus, _, malformed := get(t, s.URL+"/d/'%20OR%201=1--")
	if unknownStatus != http.StatusNotFound || malformedStatus != http.StatusNotFound {
		t.Fatalf("unknown id: %d, malformed id: %d; want 404 for both", unknownStatus, malformedStatus)
	}
	strip := func(s string) string { // the pages differ only in their language-switch link
		i := strings.Index(s, `id="lang-switch"`)
		j := strings.Index(s[i:], ">")
		return s[:i] + s[i+j:]
	}
	if strip(unknown) != strip(malformed) {
		t.Errorf("the 404 pages differ:\n%s\n---\n%s", unknown, malformed)
	}
	mustContain(t, "404 page", unknown, "未找到该证书")
	for _, path := range []string{"/", "/d/" + w.Giant.ID, "/verify", "/console/signin"} {
		_, hdr, _ := get(t, s.URL+path)
		csp := hdr.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if hdr.Get("X-Content-Type-Options") != "nosniff" || hdr.Get("Referrer-Policy") == "" {
			t.Errorf("%s: headers %v", path, hdr)
		}
	}
	// Without a public URL the QR code is made from the Host header, which
	// no shared cache may keep for others.
	if _, hdr, _ := get(t, s.URL+"/d/"+w.Giant.ID+"/qr.svg"); !strings.HasPrefix(hdr.Get("Cache-Control"), "private") {
		t.Errorf("QR code without a public URL: Cache-Control %q", hdr.Get("Cache-Control"))
	}
	_, _, en := get(t, s.URL+"/d/"+w.Giant.ID, "Accept-Language", "en-GB,en;q=0.9")
	mustContain(t, "Accept-Language: en", en, "As checked at", "Valid")
	_, _, zh := get(t, s.URL+"/d/"+w.Giant.ID, "Accept-Language", "fr-FR")
	mustContain(t, "no language of ours", zh, "查询时间", "有效")
}

// TestPublicRateLimitShared spends an address's public budget on the API
// and finds the pages refuse it too, with 429.
func TestPublicRateLimitShared(t *testing.T) {
	limiter := ratelimit.New(0.001, 3)
	s := newSite(t, storetest.SQLite(t), web.Config{Public: limiter})
	w := newWorld(t, s)
	for i := range 2 {
		res, err := http.Post(s.URL+"/registry.v1.VerificationService/GetDesignationStatus", "application/json", strings.NewReader(`{"id":"`+w.Giant.ID+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("API call %d: %d", i, res.StatusCode)
		}
	}
	if status, _, _ := get(t, s.URL+"/d/"+w.Giant.ID); status != http.StatusOK {
		t.Fatalf("third public request: %d, want 200", status)
	}
	if status, hdr, _ := get(t, s.URL+"/d/"+w.Giant.ID); status != http.StatusTooManyRequests || hdr.Get("Retry-After") == "" {
		t.Fatalf("fourth public request: %d, want 429 with Retry-After", status)
	}
	res, err := http.Post(s.URL+"/registry.v1.VerificationService/GetDesignationStatus", "application/json", strings.NewReader(`{"id":"`+w.Giant.ID+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("API after the pages spent the budget: %d, want 429", res.StatusCode)
	}
}

// TestVerifyPage pastes an attestation and opens /verify#token: both
// show the signature, the answer and each designation's status now; a
// tampered token is not valid.
func TestVerifyPage(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		s := newSite(t, db, web.Config{})
		w := newWorld(t, s)
		ans, err := s.Reg.VerifyTenantEligibility(as("operator", "park:west-lake"), park.EligibilityQuery{ParkCode: "west-lake", EnterpriseCreditCode: w.A.CreditCode, Benefit: "rent-reduction"})
		if err != nil {
			t.Fatal(err)
		}
		if !ans.Eligible || ans.Attestation == "" {
			t.Fatalf("fixture: %+v", ans)
		}
		ctx := browser(t)
		run(t, ctx, "pasting the attestation",
			chromedp.Navigate(s.URL+"/verify"),
			chromedp.WaitVisible(chromedp.CSS("#token")),
			chromedp.SetValue(chromedp.CSS("#token"), ans.Attestation),
			chromedp.Click(chromedp.CSS("#verify-submit")),
			chromedp.WaitVisible(chromedp.CSS("#result")))
		body := bodyText(t, ctx)
		mustContain(t, "verified", body, "有效：签名正确", "符合条件", w.A.CreditCode, "rent-reduction", "持有符合条件的认定")
		if got := text(t, ctx, "#standings"); !strings.Contains(got, w.Giant.ID) || !strings.Contains(got, "有效") {
			t.Errorf("standings: %q", got)
		}
		screenshot(t, ctx, "verify")

		if _, err := s.Reg.RevokeDesignation(as("issuer", economy), designation.StatusUpdate{ID: w.Giant.ID, Reason: "撤销"}); err != nil {
			t.Fatal(err)
		}
		run(t, ctx, "opening /verify#token", chromedp.Navigate(s.URL+"/verify?lang=en#"+ans.Attestation), chromedp.WaitVisible(chromedp.CSS("#result")))
		mustContain(t, "after revocation", bodyText(t, ctx), "Not valid", "A designation it relied on has changed since", "Revoked")

		tampered := ans.Attestation[:len(ans.Attestation)-4] + "AAAA"
		status, _, page := postForm(t, s.URL+"/verify", "token", tampered)
		if status != http.StatusOK {
			t.Fatalf("tampered: %d", status)
		}
		mustContain(t, "tampered", page, "无效")
		mustNotContain(t, "tampered", page, "有效：签名正确")
	})
}

// TestPublicPageOnAPhone opens a certificate's page at a phone's width:
// nothing runs wider than the screen, and the page with its stylesheet,
// script and QR code weighs little.
func TestPublicPageOnAPhone(t *testing.T) {
	s := newSite(t, storetest.SQLite(t), web.Config{})
	w := newWorld(t, s)
	ctx := browser(t)
	run(t, ctx, "opening the page at 375 px", chromedp.EmulateViewport(375, 740, chromedp.EmulateMobile, chromedp.EmulateScale(2)),
		chromedp.Navigate(s.URL+"/d/"+w.Giant.ID), chromedp.WaitVisible(chromedp.CSS("#certificate")))
	overflow, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
	if err != nil {
		t.Fatal(err)
	}
	if overflow {
		width, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
		t.Errorf("the page is %d px wide on a 375 px screen", width)
	}
	total := 0
	for _, path := range []string{"/d/" + w.Giant.ID, "/d/" + w.Giant.ID + "/qr.svg", "/static/app.css", "/static/app.js"} {
		_, _, body := get(t, s.URL+path)
		total += len(body)
	}
	t.Logf("the page and what it loads: %d bytes", total)
	if total > 64<<10 {
		t.Errorf("the page and what it loads weigh %d bytes, want under 64 KiB", total)
	}
}
