package web_test

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hangzhou-ai/registry/registry/benefit"
	"github.com/hangzhou-ai/registry/store/storetest"
	"github.com/hangzhou-ai/registry/web"
)

var (
	importErrorRow = regexp.MustCompile(`<tr data-row="(\d+)" data-field="([a-z_]*)">`)
	importCreated  = regexp.MustCompile(`id="count-created">(\d+)<`)
	importOutcome  = regexp.MustCompile(`data-outcome="([a-z_]+)"`)
)

// importJobDone polls the job page at url until it shows an outcome, and
// returns the page.
func importJobDone(t *testing.T, c *http.Client, url string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		res, err := c.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if importOutcome.Match(body) {
			return string(body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the import at %s did not finish", url)
	return ""
}

// TestImportSupport: an enterprise's member is offered the support
// application import only, and a dry run of a file of its applications
// reports a "1,000" amount and another enterprise's row by row and column,
// writing nothing; a payment file with a column of another kind is
// refused naming it; the member may not import payments.
func TestImportSupport(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		s := newSite(t, db, web.Config{})
		w := newWorld(t, s)
		member := signedInClient(t, s, s.token(t, "member", "enterprise:"+w.A.CreditCode))

		res, err := member.Get(s.URL + "/console/import")
		if err != nil {
			t.Fatal(err)
		}
		form, _ := io.ReadAll(res.Body)
		res.Body.Close()
		mustContain(t, "member's import form", string(form), `value="support-applications"`, "扶持资金申请", "basis_amount_fen")
		mustNotContain(t, "member's import form", string(form), `value="support-disbursements"`, `value="enterprises"`)

		file := "measure_code,enterprise_credit_code,year,basis_reference,basis_kind,basis_amount_fen,basis_date\n" +
			"compute-voucher," + w.A.CreditCode + ",2026,HT-1,other-compute,1000000000,2026-03-01\n" +
			"compute-voucher," + w.A.CreditCode + ",2026,HT-2,other-compute,\"1,000\",2026-03-01\n" +
			"compute-voucher," + w.B.CreditCode + ",2026,HT-3,other-compute,1000000000,2026-03-01\n"
		got := postImport(t, member, s, "support-applications", strings.NewReader(file))
		job := regexp.MustCompile(`/console/import/[0-9a-f]{32}`).FindString(got.body)
		if got.status != http.StatusOK || job == "" {
			t.Fatalf("the member's upload: %d\n%s", got.status, got.body)
		}
		page := importJobDone(t, member, s.URL+job)
		if m := importOutcome.FindStringSubmatch(page); m[1] != "dry_run" {
			t.Fatalf("outcome %q", m[1])
		}
		var rows []string
		for _, m := range importErrorRow.FindAllStringSubmatch(page, -1) {
			rows = append(rows, m[1]+" "+m[2])
		}
		if strings.Join(rows, ", ") != "3 basis_amount_fen, 4 enterprise_credit_code" {
			t.Errorf("invalid rows %q, want [3 basis_amount_fen, 4 enterprise_credit_code]", rows)
		}
		if m := importCreated.FindStringSubmatch(page); m == nil || m[1] != "1" {
			t.Errorf("would be created: %v", m)
		}
		list, _, err := s.Reg.ListApplications(as("issuer", economy), benefit.ApplicationFilter{})
		if err != nil || len(list) != 0 {
			t.Fatalf("after a dry run: %+v, %v", list, err)
		}

		issuer := signedInClient(t, s, s.token(t, "issuer", economy))
		got = postImport(t, issuer, s, "support-disbursements", strings.NewReader("award_id,amount_fen,paid_on,payer,measure_code\n"))
		if got.status != http.StatusBadRequest || !strings.Contains(got.body, "measure_code") || !strings.Contains(got.body, "amount_fen, paid_on, payer") {
			t.Errorf("a payment file with an application's column: %d\n%s", got.status, got.body)
		}
		got = postImport(t, member, s, "support-disbursements", strings.NewReader("award_id,amount_fen,paid_on,payer\n"))
		if got.status != http.StatusForbidden {
			t.Errorf("the member's payment upload: %d\n%s", got.status, got.body)
		}
	})
}
