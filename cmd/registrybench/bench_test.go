package main

import (
	"bytes"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hangzhou-ai/registry/store"
)

func TestParseCPUList(t *testing.T) {
	for _, c := range []struct {
		in      string
		want    []int
		wantErr bool
	}{
		{"0", []int{0}, false},
		{"0-1", []int{0, 1}, false},
		{"0-2,5,7-8", []int{0, 1, 2, 5, 7, 8}, false},
		{"3-1", nil, true},
		{"a", nil, true},
	} {
		t.Run(c.in, func(t *testing.T) {
			got, err := parseCPUList(c.in)
			if (err != nil) != c.wantErr || !slices.Equal(got, c.want) {
				t.Fatalf("parseCPUList(%q) = %v, %v; want %v (error %v)", c.in, got, err, c.want, c.wantErr)
			}
		})
	}
}

func TestChoosePinning(t *testing.T) {
	_, lookErr := exec.LookPath("taskset")
	for _, c := range []struct {
		name, mode   string
		cpus         []int
		on           bool
		server, load []int
	}{
		{"off", "off", []int{0, 1, 2, 3}, false, nil, nil},
		{"auto on two CPUs", "auto", []int{0, 1}, false, nil, nil},
		{"auto on four CPUs", "auto", []int{0, 1, 2, 3}, lookErr == nil, []int{2, 3}, []int{0, 1}},
		{"on with two CPUs", "on", []int{0, 1}, lookErr == nil, []int{1}, []int{0}},
		{"on with an odd count", "on", []int{0, 1, 2}, lookErr == nil, []int{1, 2}, []int{0}},
		{"on with one CPU", "on", []int{0}, false, nil, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := choosePinning(c.mode, c.cpus)
			if err != nil {
				t.Fatal(err)
			}
			if p.on != c.on {
				t.Fatalf("on = %v, want %v (%s)", p.on, c.on, p.why)
			}
			if p.on && (!slices.Equal(p.server, c.server) || !slices.Equal(p.load, c.load)) {
				t.Fatalf("server %v load %v, want %v and %v", p.server, p.load, c.server, c.load)
			}
			if !p.on && p.why == "" {
				t.Fatal("no reason given for not pinning")
			}
			if foot := p.footnote(); !strings.HasPrefix(foot, "Pinning") || (p.on && !strings.Contains(foot, "CPU "+cpuList(c.server))) {
				t.Fatalf("footnote %q", foot)
			}
		})
	}
	if _, err := choosePinning("sometimes", []int{0, 1}); err == nil {
		t.Fatal("--pin sometimes accepted")
	}
}

func TestBind(t *testing.T) {
	stmts := []statement{{"cast", "SELECT 'x' || :doc::text, :i + 1 FROM t WHERE a = :token AND b = :i"}}
	for _, c := range []struct {
		name   string
		dollar bool
		want   string
	}{
		{"sqlite", false, "SELECT 'x' || ?::text, ? + 1 FROM t WHERE a = ? AND b = ?"},
		{"postgres", true, "SELECT 'x' || $1::text, $2 + 1 FROM t WHERE a = $3 AND b = $4"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := bind(stmts, c.dollar)[0]
			if got.sql != c.want || !slices.Equal(got.args, []string{"doc", "i", "token", "i"}) {
				t.Fatalf("bind = %q %v", got.sql, got.args)
			}
		})
	}
	script := pgbenchScript(listStatements)
	if !strings.HasPrefix(script, "\\set i random(0, :n - 1)\n") || strings.Count(script, ";\n") != len(listStatements) {
		t.Fatalf("pgbench script:\n%s", script)
	}
}

// TestCheckStatements runs baseline statements on an SQLite database: one
// that finds its row passes, one that finds nothing is refused.
func TestCheckStatements(t *testing.T) {
	db, err := store.Open("file:checkstatements?mode=memory&cache=shared")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Pool.Exec("CREATE TABLE enterprises (id INTEGER PRIMARY KEY, credit_code TEXT); INSERT INTO enterprises VALUES (1, 'A')"); err != nil {
		t.Fatal(err)
	}
	vars := map[string]any{"i": 0}
	for _, c := range []struct {
		name, sql string
		ok        bool
	}{
		{"finds the row", "SELECT * FROM enterprises WHERE id = :i + 1", true},
		{"finds nothing", "SELECT * FROM enterprises WHERE id = :i + 2", false},
		{"an unknown variable", "SELECT * FROM enterprises WHERE id = :j", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := checkStatements(t.Context(), db.Pool, bind([]statement{{c.name, c.sql}}, false), vars)
			if (err == nil) != c.ok {
				t.Fatalf("checkStatements: %v", err)
			}
		})
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 2000: "2,000", 50_000: "50,000", 1_000_000: "1,000,000"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestQuick runs the bench with --quick and short measurements on the
// PostgreSQL server of REGISTRY_BENCH_DATABASE_URL and checks that every
// figure appears, with a ratio where one is due. It takes a minute or two
// and loads the machine, so it runs only when asked (.ci/run does, on its
// own, after the suites): skipped without the variable or with -short.
func TestQuick(t *testing.T) {
	url := os.Getenv("REGISTRY_BENCH_DATABASE_URL")
	if url == "" || testing.Short() {
		t.Skip("needs REGISTRY_BENCH_DATABASE_URL (a PostgreSQL server) and no -short")
	}
	for _, tool := range []string{"pgbench", "psql"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s", tool)
		}
	}
	var stdout, stderr bytes.Buffer
	if err := run(t.Context(), []string{"--quick", "--duration", "300ms", "--database-url", url}, func(string) string { return "" }, &stdout, &stderr); err != nil {
		t.Fatalf("registrybench: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	out := stdout.String()
	rows := map[string]string{} // figure → ratio
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Split(line, " | "); len(f) == 4 && strings.HasPrefix(line, "| ") {
			rows[strings.TrimPrefix(f[0], "| ")] = strings.TrimSuffix(f[3], " |")
		}
	}
	for _, c := range []struct {
		prefix    string
		wantRatio bool
	}{
		{"read: VerifyTenantEligibility, 1 clients", true},
		{"read (best client count: ListDesignations", true},
		{"scale: member's ListDesignations (own, first page of 1) p50 at 50,000 vs 2,000 designations (--quick sizes)", true},
		{"scale: member's ListDesignations (own, first page of 1) p99", true},
		{"scale: VerifyTenantEligibility p50", true},
		{"scale: VerifyTenantEligibility p99", true},
		{"sqlite: VerifyTenantEligibility, best of", true},
		{"sqlite: ListDesignations, best of", true},
		{"sqlite: read latency at 70% of max", false},
		{"import:", true},
		{"write: GrantDesignation with its audit event, 8 clients", true},
		{"casbin:", true},
		{"memory:", false},
	} {
		t.Run(c.prefix, func(t *testing.T) {
			for figure, ratio := range rows {
				if strings.HasPrefix(figure, c.prefix) {
					if _, err := strconv.ParseFloat(ratio, 64); c.wantRatio && err != nil {
						t.Fatalf("%s: ratio %q", figure, ratio)
					}
					return
				}
			}
			t.Fatalf("no row %q in:\n%s", c.prefix, out)
		})
	}
	for _, note := range []string{"\nMachine: ", "\nPinning", "\nScale rows: ", "\nSQLite rows: "} {
		if !strings.Contains(out, note) {
			t.Errorf("no footnote %q in:\n%s", note, out)
		}
	}
}
