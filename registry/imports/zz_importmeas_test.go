package imports_test

import (
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/registry/imports"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// TestMeasureImport (measurement only) times an import of IMPORT_ROWS
// designations and a psql \copy of the same rows.
func TestMeasureImport(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("IMPORT_ROWS"))
	if n == 0 {
		t.Skip("IMPORT_ROWS unset")
	}
	for _, db := range storetest.Databases(t) {
		if os.Getenv("IMPORT_DB") != "" && db.Name != os.Getenv("IMPORT_DB") {
			continue
		}
		t.Run(db.Name, func(t *testing.T) {
			if os.Getenv("SLOWLOG") != "" {
				db.URL += "&options=" + url.QueryEscape("-c log_min_duration_statement="+os.Getenv("SLOWLOG"))
			}
			f := newFixture(t, db)
			ctx := t.Context()
			holders := codes(t, 7, 1000)
			if os.Getenv("SKIP_COPY") != "" {
				defer func() {}()
			}
			im, err := f.reg.BeginImport(f.economy, imports.ImportDesignations, imports.ImportOptions{})
			if err != nil {
				t.Fatal(err)
			}
			batch := make([]imports.DesignationRow, 0, imports.MaxImportBatch)
			start := time.Now()
			var peak uint64
			for i := range n {
				batch = append(batch, imports.DesignationRow{Row: int64(i + 2), Grant: designation.Grant{Type: "little-giant", EnterpriseCreditCode: holders[i%len(holders)],
					ValidFrom: "2026-01-01", ValidUntil: "2028-12-31", DocumentNumber: fmt.Sprintf("浙经信〔2026〕%07d号", i)}, EnterpriseName: "杭州测试科技有限公司"})
				if len(batch) == cap(batch) || i == n-1 {
					if _, err := im.Designations(ctx, batch); err != nil {
						t.Fatal(err)
					}
					batch = batch[:0]
				}
			}
			received := time.Since(start)
			fin := time.Now()
			p, err := im.Finish(ctx, func(imports.ImportProgress) error { return nil })
			if err != nil || p.Created != int64(n) {
				t.Fatalf("finish: %v %+v", err, p)
			}
			finish := time.Since(fin)
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			peak = ms.Sys
			status, _ := os.ReadFile("/proc/self/status")
			for _, l := range strings.Split(string(status), "\n") {
				if strings.HasPrefix(l, "VmHWM") || strings.HasPrefix(l, "VmRSS") {
					t.Log(l)
				}
			}
			t.Logf("%s: %d rows: receive %s, Finish %s: %.0f rows/s (Finish alone), %.0f rows/s overall; Go Sys %d MiB",
				db.Name, n, received.Round(time.Millisecond), finish.Round(time.Millisecond), float64(n)/finish.Seconds(),
				float64(n)/time.Since(start).Seconds(), peak>>20)
			if db.Name != "postgres" || os.Getenv("SKIP_COPY") != "" {
				return
			}
			conn, err := sql.Open("postgres", db.URL)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := conn.Exec(`CREATE TABLE copy_target (LIKE designations INCLUDING ALL)`); err != nil {
				t.Fatal(err)
			}
			csv := t.TempDir() + "/rows.csv"
			var schema string
			conn.QueryRow(`SELECT current_schema()`).Scan(&schema)
			out, err := exec.Command("psql", "-h", "127.0.0.1", "-U", "postgres", "-c", fmt.Sprintf(`\copy %s.designations TO '%s'`, schema, csv)).CombinedOutput()
			if err != nil {
				t.Fatalf("%v %s", err, out)
			}
			cs := time.Now()
			out, err = exec.Command("psql", "-h", "127.0.0.1", "-U", "postgres", "-c", fmt.Sprintf(`\copy %s.copy_target FROM '%s'`, schema, csv)).CombinedOutput()
			if err != nil {
				t.Fatalf("%v %s", err, out)
			}
			cd := time.Since(cs)
			script := t.TempDir() + "/v.sql"
			os.WriteFile(script, []byte(fmt.Sprintf(`SET search_path = %[1]s;
CREATE TABLE copy_fk (LIKE designations INCLUDING ALL, FOREIGN KEY (enterprise_id) REFERENCES enterprises(id));
CREATE TABLE copy_oc (LIKE designations INCLUDING ALL, FOREIGN KEY (enterprise_id) REFERENCES enterprises(id));
\timing on
\copy copy_fk FROM '%[2]s'
BEGIN;
CREATE TEMP TABLE s (LIKE designations) ON COMMIT DROP;
\copy s FROM '%[2]s'
INSERT INTO copy_oc SELECT * FROM s ON CONFLICT DO NOTHING;
COMMIT;
`, schema, csv)), 0o600)
			out, err = exec.Command("psql", "-h", "127.0.0.1", "-U", "postgres", "-f", script).CombinedOutput()
			t.Logf("variants: %s", out)
			t.Logf("psql \\copy of the same %d rows into a table with the same indexes: %s, %.0f rows/s; ratio Finish/copy %.2f",
				n, cd.Round(time.Millisecond), float64(n)/cd.Seconds(), cd.Seconds()/finish.Seconds())
		})
	}
}
