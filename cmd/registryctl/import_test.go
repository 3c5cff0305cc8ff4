package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
	"github.com/hangzhou-ai/registry/rpc/rpctest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// TestImportCommand imports a GB18030 list of little giants naming
// enterprises the registry does not know: a dry run reports every bad row
// and writes nothing, a real run refuses the whole file, --skip-invalid
// loads the good rows, a re-run creates nothing, and a file with a
// truncated quote is refused before anything is written.
func TestImportCommand(t *testing.T) {
	env := rpctest.New(t, storetest.SQLite(t))
	token := env.Token(registry.Principal{Subject: "经信局 张三", Org: "bureau:economy-it", Role: "issuer"})
	getenv := func(k string) string {
		return map[string]string{"REGISTRY_ADDR": env.URL, "REGISTRY_TOKEN": token}[k]
	}
	var csv strings.Builder
	csv.WriteString("type,enterprise_credit_code,enterprise_name,district,valid_from,valid_until,document_number\n")
	for i := range 25 {
		code := registrytest.CreditCode(t, fmt.Sprintf("91330100MA2%06d", i))
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

// TestImportDetectsGB18030FromTheWholeFile imports GB18030 files whose
// first 64 KiB and more are ASCII, with a Chinese name only at the end,
// from a file and from standard input: the name arrives intact. Named
// wrongly as UTF-8, the file is refused at once, with nothing imported.
func TestImportDetectsGB18030FromTheWholeFile(t *testing.T) {
	env := rpctest.New(t, storetest.SQLite(t))
	token := env.Token(registry.Principal{Subject: "经信局 张三", Org: "bureau:economy-it", Role: "issuer"})
	getenv := func(k string) string {
		return map[string]string{"REGISTRY_ADDR": env.URL, "REGISTRY_TOKEN": token}[k]
	}
	auditor := env.As("auditor", "auditor")
	const name = "杭州云栖智算科技有限公司"
	file := func(t *testing.T, series string) ([]byte, string) {
		var csv strings.Builder
		csv.WriteString("credit_code,name,registered_on\n")
		i := 0
		for ; csv.Len() < 70<<10; i++ {
			fmt.Fprintf(&csv, "%s,Hangzhou AI Company %d,2023-03-01\n", registrytest.CreditCode(t, fmt.Sprintf("91330100MA%s%06d", series, i)), i)
		}
		last := registrytest.CreditCode(t, fmt.Sprintf("91330100MA%s%06d", series, i))
		fmt.Fprintf(&csv, "%s,%s,2023-03-01\n", last, name)
		encoded, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(csv.String()))
		if err != nil {
			t.Fatal(err)
		}
		return encoded, last
	}
	for _, c := range []struct {
		name, series string
		stdin        bool
		flags        []string
		refused      bool
	}{
		{"file", "5", false, nil, false},
		{"standard input", "6", true, nil, false},
		{"file named as utf-8", "7", false, []string{"--encoding", "utf-8"}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			data, last := file(t, c.series)
			arg, stdin := filepath.Join(t.TempDir(), "enterprises.csv"), io.Reader(strings.NewReader(""))
			if c.stdin {
				arg, stdin = "-", bytes.NewReader(data)
			} else if err := os.WriteFile(arg, data, 0o600); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second) // the old client waited here forever
			defer cancel()
			var out bytes.Buffer
			err := run(ctx, append([]string{"import", "enterprises", arg}, c.flags...), getenv, stdin, &out, io.Discard)
			if ctx.Err() != nil {
				t.Fatalf("the import did not end by itself: %v", err)
			}
			if c.refused {
				if err == nil || !strings.Contains(err.Error(), "nothing was imported") {
					t.Fatalf("misnamed encoding: %v\n%s", err, out.String())
				}
				if _, err := auditor.Enterprise.GetEnterprise(t.Context(), &registryv1.GetEnterpriseRequest{CreditCode: last}); rpctest.Code(err) != connect.CodeNotFound {
					t.Fatalf("a refused file wrote: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("import: %v\n%s", err, out.String())
			}
			got, err := auditor.Enterprise.GetEnterprise(t.Context(), &registryv1.GetEnterpriseRequest{CreditCode: last})
			if err != nil || got.Enterprise.Name != name {
				t.Fatalf("last enterprise: %v %v", got, err)
			}
		})
	}
}

// TestImportInterrupted cancels an import (as SIGINT or SIGTERM do, through
// the context run is given) while it waits for more input: the command
// returns at once, and the registry has written nothing.
func TestImportInterrupted(t *testing.T) {
	env := rpctest.New(t, storetest.SQLite(t))
	token := env.Token(registry.Principal{Subject: "经信局 张三", Org: "bureau:economy-it", Role: "issuer"})
	getenv := func(k string) string {
		return map[string]string{"REGISTRY_ADDR": env.URL, "REGISTRY_TOKEN": token}[k]
	}
	auditor := env.As("auditor", "auditor")
	for i, c := range []struct {
		name string
		args []string
	}{
		{"encoding detected: input still being read", nil},
		{"encoding named: rows already streaming", []string{"--encoding", "utf-8", "--batch", "1"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			pr, pw := io.Pipe()
			t.Cleanup(func() { pw.Close() })
			code := registrytest.CreditCode(t, fmt.Sprintf("91330100MA7%06d", i))
			go func() {
				fmt.Fprintf(pw, "credit_code,name,registered_on\n%s,中断测试企业,2023-03-01\n", code)
			}()
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error, 1)
			go func() {
				done <- run(ctx, append([]string{"import", "enterprises", "-"}, c.args...), getenv, pr, io.Discard, io.Discard)
			}()
			time.Sleep(200 * time.Millisecond) // let it start; the outcome does not depend on how far it got
			cancel()
			start := time.Now()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), "interrupted") {
					t.Fatalf("interrupted import: %v", err)
				}
				if elapsed := time.Since(start); elapsed > time.Second {
					t.Fatalf("returned %s after the signal", elapsed)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the import did not return after its context was cancelled")
			}
			if _, err := auditor.Enterprise.GetEnterprise(t.Context(), &registryv1.GetEnterpriseRequest{CreditCode: code}); rpctest.Code(err) != connect.CodeNotFound {
				t.Fatalf("an interrupted import wrote: %v", err)
			}
		})
	}
}
