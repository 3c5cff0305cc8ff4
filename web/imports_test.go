package web_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/registry/enterprise"
	"github.com/hangzhou-ai/registry/registry/imports"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	"github.com/hangzhou-ai/registry/store/storetest"
	"github.com/hangzhou-ai/registry/web"
)

// csvFile writes content to a file in the test's directory.
func csvFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// uploadCSV sends the import form with the file at path, as a dry run or
// for real, and returns once the page the form leads to has loaded.
func uploadCSV(t *testing.T, ctx context.Context, s *site, kind, path string, dryRun bool) {
	t.Helper()
	run(t, ctx, "opening the import form",
		chromedp.Navigate(s.URL+"/console/import"),
		chromedp.WaitVisible(chromedp.CSS("#import-form")),
		chromedp.SetValue(chromedp.CSS("#import-kind"), kind),
		chromedp.SetUploadFiles(chromedp.CSS("#import-file"), []string{path}),
	)
	checked, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("import-dry-run").checked`))
	if err != nil {
		t.Fatal(err)
	}
	if !checked {
		t.Error("the dry run box is not checked by default")
	}
	if !dryRun {
		run(t, ctx, "unchecking the dry run", chromedp.Click(chromedp.CSS("#import-dry-run")))
	}
	loadAfter(t, ctx, "uploading "+filepath.Base(path), chromedp.Click(chromedp.CSS("#import-submit")))
	// A page still running refreshes itself; a finished one does not.
	state, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.getElementById("import-job") ? "job" : "form") + " " +
		(document.getElementById("outcome") ? "done" : "running") + " " +
		(document.querySelector('meta[http-equiv="refresh"]') ? "refresh" : "still")`))
	if err != nil {
		t.Fatal(err)
	}
	if state == "job running still" || state == "job done refresh" || state == "form running refresh" {
		t.Errorf("after the upload the page is %q", state)
	}
}

// waitImportDone waits, while the progress page refreshes itself, for it
// to show the import's outcome, and returns the outcome.
func waitImportDone(t *testing.T, ctx context.Context) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		outcome, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.getElementById("outcome") || {dataset: {}}).dataset.outcome || ""`))
		if err == nil && outcome != "" {
			return outcome
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("the import did not finish; the page shows:\n%s", bodyText(t, ctx))
	return ""
}

// importErrors are the progress page's invalid rows: "row field".
func importErrors(t *testing.T, ctx context.Context) []string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#import-errors tbody tr")).map(r => r.dataset.row + " " + r.dataset.field)`))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func notFound(t *testing.T, s *site, code string) {
	t.Helper()
	if _, err := s.Reg.GetEnterprise(as("issuer", economy), code); registry.KindOf(err) != registry.KindNotFound {
		t.Errorf("enterprise %s: want not found, got %v", code, err)
	}
}

// TestImportEnterprises is the economy-IT issuer importing a CSV of three
// enterprises: a dry run that creates nothing, then for real; a file with
// one bad credit code reports its row, field and reason; a file with an
// unknown column is refused naming it. Nobody else sees the import.
func TestImportEnterprises(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		s := newSite(t, db, web.Config{})
		newWorld(t, s)
		ctx := browser(t)
		signIn(t, ctx, s, s.token(t, "issuer", economy))
		mustContain(t, "menu", text(t, ctx, "#menu"), "批量导入")

		codes := []string{registrytest.CreditCode(t, "91330108MA2CX1001"), registrytest.CreditCode(t, "91330108MA2CX1002"), registrytest.CreditCode(t, "91330108MA2CX1003")}
		file := csvFile(t, "enterprises.csv", "credit_code,name,district,registered_on\n"+
			codes[0]+",杭州导入一号科技有限公司,滨江区,2020-01-02\n"+
			codes[1]+",杭州导入二号科技有限公司,西湖区,2021-03-04\n"+
			codes[2]+",杭州导入三号科技有限公司,330106,2022-05-06\n")
		uploadCSV(t, ctx, s, "enterprises", file, true)
		if outcome := waitImportDone(t, ctx); outcome != "dry_run" {
			t.Fatalf("dry run's outcome: %q", outcome)
		}
		jobURL, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		if got := text(t, ctx, "#count-created"); got != "3" {
			t.Errorf("would be created: %q, want 3", got)
		}
		mustContain(t, "dry run", bodyText(t, ctx), "试运行", "将新建", "未写入任何数据", "3 / 3")
		if v, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("import-progress").value + "/" + document.getElementById("import-progress").max`)); v != "3/3" {
			t.Errorf("progress bar: %q", v)
		}
		for _, code := range codes {
			notFound(t, s, code)
		}

		loadAfter(t, ctx, "importing for real", chromedp.Click(chromedp.CSS("#commit")))
		if outcome := waitImportDone(t, ctx); outcome != "committed" {
			t.Fatalf("the import's outcome: %q\n%s", outcome, bodyText(t, ctx))
		}
		if got := text(t, ctx, "#count-created"); got != "3" {
			t.Errorf("created: %q, want 3", got)
		}
		for _, code := range codes {
			e, err := s.Reg.GetEnterprise(as("issuer", economy), code)
			if err != nil {
				t.Errorf("enterprise %s after the import: %v", code, err)
				continue
			}
			if !strings.HasPrefix(e.Name, "杭州导入") {
				t.Errorf("enterprise %s is named %q", code, e.Name)
			}
		}
		// Importing the dry run again leads to the import already made.
		run(t, ctx, "back to the dry run", chromedp.Navigate(jobURL), chromedp.WaitVisible(chromedp.CSS("#committed-link")))
		if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#commit").length`)); n != 0 {
			t.Error("the dry run offers to import again after it was imported")
		}

		// One bad credit code, on the file's third line.
		fresh := []string{registrytest.CreditCode(t, "91330108MA2CX1004"), registrytest.CreditCode(t, "91330108MA2CX1005")}
		bad := fresh[1][:17] + "X"
		if bad == fresh[1] {
			bad = fresh[1][:17] + "Y"
		}
		var want *registry.Error
		if _, err := s.Reg.RegisterEnterprise(as("issuer", economy), enterprise.NewEnterprise{CreditCode: bad, Name: "x"}); !errors.As(err, &want) || len(want.Violations) == 0 {
			t.Fatalf("registering %s: %v", bad, err)
		}
		file = csvFile(t, "bad.csv", "name,credit_code\n杭州导入四号科技有限公司,"+fresh[0]+"\n杭州导入五号科技有限公司,"+bad+"\n")
		uploadCSV(t, ctx, s, "enterprises", file, true)
		waitImportDone(t, ctx)
		if got := importErrors(t, ctx); len(got) != 1 || got[0] != "3 credit_code" {
			t.Errorf("invalid rows: %q, want [3 credit_code]", got)
		}
		// The reason is named in Chinese, with the registry's details.
		_, details, _ := strings.Cut(want.Violations[0].Description, ": ")
		mustContain(t, "invalid row", text(t, ctx, "#import-errors"), "不是有效的统一社会信用代码", details)
		if got := text(t, ctx, "#count-invalid"); got != "1" {
			t.Errorf("invalid: %q", got)
		}
		if got := text(t, ctx, "#count-created"); got != "1" {
			t.Errorf("would be created: %q", got)
		}
		screenshot(t, ctx, "import-progress")
		notFound(t, s, fresh[0])

		// The same file for real, all or nothing: nothing is imported.
		uploadCSV(t, ctx, s, "enterprises", file, false)
		if outcome := waitImportDone(t, ctx); outcome != "rolled_back" {
			t.Errorf("an import with an invalid row: %q", outcome)
		}
		notFound(t, s, fresh[0])

		file = csvFile(t, "unknown.csv", "credit_code,name,colour\n"+fresh[0]+",杭州导入四号科技有限公司,blue\n")
		uploadCSV(t, ctx, s, "enterprises", file, true)
		mustContain(t, "unknown column", text(t, ctx, "#problem"), "colour", "文件")
		if got, _ := chromedp.Run(ctx, chromedp.Location()); !strings.HasSuffix(got, "/console/import") {
			t.Errorf("a refused file leads to %s", got)
		}

		// The job is the issuer's own: the talent office's issuer does not find it.
		other := browser(t)
		signIn(t, other, s, s.token(t, "issuer", talentOffice))
		run(t, other, "opening another's import", chromedp.Navigate(jobURL), chromedp.WaitVisible(chromedp.CSS("#problem")))
		mustContain(t, "another's import", text(t, other, "#problem"), "未找到")
		mustNotContain(t, "another's import", bodyText(t, other), "enterprises.csv")
	})
}

// TestImportRefusals: the talent office may import designations, but a
// row of a type it may not grant is refused with its row and field; a
// viewer may not import at all.
func TestImportRefusals(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		s := newSite(t, db, web.Config{})
		w := newWorld(t, s)
		ctx := browser(t)
		signIn(t, ctx, s, s.token(t, "issuer", talentOffice))
		file := csvFile(t, "designations.csv", "type,enterprise_credit_code,valid_from,valid_until,document_number\n"+
			"little-giant,"+w.B.CreditCode+",2026-01-01,2028-12-31,杭人才〔2026〕99号\n")
		uploadCSV(t, ctx, s, "designations", file, true)
		waitImportDone(t, ctx)
		if got := importErrors(t, ctx); len(got) != 1 || got[0] != "2 type" {
			t.Errorf("invalid rows: %q, want [2 type]", got)
		}
		if got := text(t, ctx, "#count-created"); got != "0" {
			t.Errorf("would be created: %q", got)
		}
		if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#commit").length`)); n != 0 {
			t.Error("a dry run whose only row is refused offers to import it")
		}
		list, _, err := s.Reg.ListDesignations(as("issuer", economy), designation.DesignationFilter{EnterpriseCreditCode: w.B.CreditCode})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range list {
			if d.Type == "little-giant" {
				t.Errorf("the refused row was recorded: %+v", d)
			}
		}

		viewer := browser(t)
		signIn(t, viewer, s, s.token(t, "viewer", economy))
		mustNotContain(t, "viewer's menu", text(t, viewer, "#menu"), "批量导入")
		run(t, viewer, "a viewer opening the import form", chromedp.Navigate(s.URL+"/console/import"), chromedp.WaitVisible(chromedp.CSS("#problem")))
		mustContain(t, "viewer refused", text(t, viewer, "#problem"), "无权执行此操作")
		if n, _ := chromedp.Run(viewer, chromedp.Evaluate[int](`document.querySelectorAll("#import-form").length`)); n != 0 {
			t.Error("a viewer is shown the import form")
		}

		// Posting the form anyway is refused before the file is read.
		c := signedInClient(t, s, s.token(t, "viewer", economy))
		res := postImport(t, c, s, "enterprises", strings.NewReader("credit_code,name\n"+w.A.CreditCode+",x\n"))
		if res.status != http.StatusForbidden || !strings.Contains(res.body, "无权执行此操作") {
			t.Errorf("a viewer's upload: %d\n%s", res.status, res.body)
		}
	})
}

// TestImportUploadLimit: a file over 32 MiB is refused naming the file
// field, and nothing is imported.
func TestImportUploadLimit(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		s := newSite(t, db, web.Config{})
		c := signedInClient(t, s, s.token(t, "issuer", economy))
		code := registrytest.CreditCode(t, "91330108MA2CX1009")
		pr, pw := io.Pipe()
		go func() {
			_, err := fmt.Fprintf(pw, "credit_code,name\n%s,杭州超限科技有限公司\n", code)
			line := strings.Repeat("x", 1023) + "\n"
			for i := 0; err == nil && i < 32*1024+16; i++ {
				_, err = io.WriteString(pw, line)
			}
			pw.CloseWithError(err)
		}()
		res := postImport(t, c, s, "enterprises", pr)
		if res.status != http.StatusBadRequest || !strings.Contains(res.body, "32 MiB") || !strings.Contains(res.body, `data-field="file"`) {
			t.Errorf("an oversized upload: %d\n%s", res.status, res.body)
		}
		notFound(t, s, code)
	})
}

// signedInClient is an HTTP client (with a cookie jar) signed in to the console with token.
func signedInClient(t *testing.T, s *site, token string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: time.Minute}
	res, err := c.PostForm(s.URL+"/console/signin", url.Values{"token": {token}, "next": {"/console/"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("signing in: %s", res.Status)
	}
	return c
}

type answer struct {
	status int
	body   string
}

// postImport posts the import form, a dry run of kind, with file.
func postImport(t *testing.T, c *http.Client, s *site, kind string, file io.Reader) answer {
	t.Helper()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		err := mw.WriteField("kind", kind)
		if err == nil {
			err = mw.WriteField("dry_run", "1")
		}
		var part io.Writer
		if err == nil {
			part, err = mw.CreateFormFile("file", "upload.csv")
		}
		if err == nil {
			_, err = io.Copy(part, file)
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	res, err := c.Post(s.URL+"/console/import", mw.FormDataContentType(), pr)
	if err != nil {
		t.Fatalf("posting the import form: %v", err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return answer{res.StatusCode, string(body)}
}

// TestImportSlotsShared fills the import slots the API and the console
// share, from outside the console, and finds a console import refused
// with 429 before its file is read; once the slot is free it runs.
func TestImportSlotsShared(t *testing.T) {
	slots := imports.NewSlots(1)
	s := newSite(t, storetest.SQLite(t), web.Config{ImportSlots: slots})
	c := signedInClient(t, s, s.token(t, "issuer", economy))
	release, err := slots.Acquire(registry.Principal{Subject: "api-caller", Org: economy, Role: "issuer"})
	if err != nil {
		t.Fatal(err)
	}
	csv := "credit_code,name\n" + registrytest.CreditCode(t, "91330106MA27XK0A1") + ",杭州云栖智算科技有限公司\n"
	if got := postImport(t, c, s, "enterprises", strings.NewReader(csv)); got.status != http.StatusTooManyRequests || !strings.Contains(got.body, "imports are running") {
		t.Fatalf("with every slot taken: %d\n%s", got.status, got.body)
	}
	release()
	if got := postImport(t, c, s, "enterprises", strings.NewReader(csv)); got.status != http.StatusOK || !strings.Contains(got.body, "/console/import/") {
		t.Fatalf("with the slot free: %d", got.status)
	}
}
