package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	"github.com/hangzhou-ai/registry/rpc/rpctest"
)

// TestImportCommand imports a GB18030 list of little giants naming
// enterprises the registry does not know: a dry run reports every bad row
// and writes nothing, a real run refuses the whole file, --skip-invalid
// loads the good rows, a re-run creates nothing, and a file with a
// truncated quote is refused before anything is written.
func TestImportCommand(t *testing.T) {
	env := rpctest.New(t, registrytest.SQLite(t))
	token := env.Token(registry.Principal{Subject: "经信局 张三", Org: "bureau:economy-it", Role: "issuer"})
	getenv := func(k string) string {
		return map[string]string{"REGISTRY_ADDR": env.URL, "REGISTRY_TOKEN": token}[k]
	}
	var csv strings.Builder
	csv.WriteString("type,enterprise_credit_code,enterprise_name,district,valid_from,valid_until,document_number\n")
	for i := range 25 {
		code := rpctest.CreditCode(t, fmt.Sprintf("91330100MA2%06d", i))
		until := "2027-12-31"
		if i == 7 {
			until = "2024-01-01" // before valid_from
		}
		fmt.Fprintf(&csv, "little-giant,%s,杭州第%d号人工智能有限公司,滨江区,2025-01-01,%s,工信部企业函〔2024〕135号\n", code, i, until)
	}
	encoded, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(csv.String()))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "little-giants-gb18030.csv")
	if err := os.WriteFile(file, encoded, 0o600); err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(dir, "broken.csv")
	lines := strings.SplitAfter(csv.String(), "\n")
	if err := os.WriteFile(broken, []byte(lines[0]+lines[1]+"little-giant,\"91330100MA2000001,杭州\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctl := func(args ...string) (string, string, error) {
		var out, errOut bytes.Buffer
		err := run(t.Context(), args, getenv, strings.NewReader(""), &out, &errOut)
		return out.String(), errOut.String(), err
	}
	count := func() int {
		out, _, err := ctl("designation", "list", "--type", "little-giant", "--page-size", "500", "-o", "json")
		if err != nil {
			t.Fatal(err)
		}
		return strings.Count(out, `"type": "little-giant"`)
	}

	out, progress, err := ctl("import", "designations", file, "--dry-run", "--batch", "10")
	if err == nil || !strings.Contains(out, "row 9, valid_until: must not be before valid_from") || !strings.Contains(out, "dry_run") {
		t.Fatalf("dry run: err %v\n%s", err, out)
	}
	if !strings.Contains(progress, "import designations: 25 rows sent, 25 processed, 1 errors") {
		t.Fatalf("progress lines: %q", progress)
	}
	if n := count(); n != 0 {
		t.Fatalf("dry run wrote %d designations", n)
	}
	if out, _, err := ctl("import", "designations", file); err == nil || !strings.Contains(out, "rolled_back") {
		t.Fatalf("all-or-nothing: %v\n%s", err, out)
	}
	if n := count(); n != 0 {
		t.Fatalf("a refused file wrote %d designations", n)
	}
	out, _, err = ctl("import", "designations", file, "--skip-invalid", "-o", "json")
	if err == nil || !strings.Contains(out, `"created": "24"`) || !strings.Contains(out, `"enterprisesCreated": "24"`) {
		t.Fatalf("skip-invalid: %v\n%s", err, out)
	}
	if n := count(); n != 24 {
		t.Fatalf("%d designations, want 24", n)
	}
	out, _, err = ctl("import", "designations", file, "--skip-invalid")
	if !strings.Contains(out, "committed") || !strings.Contains(strings.Join(strings.Fields(out), " "), "committed 25 0 24 1 0") {
		t.Fatalf("re-run: %v\n%s", err, out)
	}
	if _, _, err := ctl("import", "designations", broken); err == nil || !strings.Contains(err.Error(), "not closed") || !strings.Contains(err.Error(), "nothing was imported") {
		t.Fatalf("truncated quote: %v", err)
	}
	if _, _, err := ctl("import", "designations", filepath.Join(dir, "missing.csv")); err == nil {
		t.Fatal("a missing file was accepted")
	}
	unknown := filepath.Join(dir, "unknown-column.csv")
	_ = os.WriteFile(unknown, []byte("type,colour\nlittle-giant,red\n"), 0o600)
	if _, _, err := ctl("import", "designations", unknown); err == nil || !strings.Contains(err.Error(), `unknown column "colour"`) {
		t.Fatalf("unknown column: %v", err)
	}
}
