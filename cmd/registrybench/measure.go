package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hangzhou-ai/registry/authz"
	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/catalog"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
)

// readCalls are the two read calls the bench loads s with: a park
// operator's eligibility check of a random tenant, and a bureau issuer's
// list of a random enterprise's designations.
func (b *bench) readCalls(s *server) (verify, list func(context.Context, *rand.Rand) error) {
	n := len(b.codes)
	verify = func(ctx context.Context, r *rand.Rand) error {
		_, err := s.operator.Park.VerifyTenantEligibility(ctx, &registryv1.VerifyTenantEligibilityRequest{
			ParkCode: "bench-park", EnterpriseCreditCode: b.codes[r.IntN(n)], Benefit: "rent-reduction", AsOf: benchAsOf,
		})
		return err
	}
	list = func(ctx context.Context, r *rand.Rand) error {
		_, err := s.economy.Designation.ListDesignations(ctx, &registryv1.ListDesignationsRequest{EnterpriseCreditCode: b.codes[r.IntN(n)]})
		return err
	}
	return verify, list
}

// measureRead compares VerifyTenantEligibility and ListDesignations with
// pgbench running the same lookups, at each client count, and measures
// latency at 70% of the registry's best rate.
func (b *bench) measureRead(ctx context.Context) error {
	if _, err := exec.CommandContext(ctx, "pgbench", "-i", "-q", "-s", "10", b.dbURL).CombinedOutput(); err != nil {
		return fmt.Errorf("pgbench -i: %w", err)
	}
	// In pgbench's prepared mode a variable travels as a parameter: the
	// hash goes without SQL quotes.
	tokenHash := b.tokenHash()
	for _, stmts := range [][]statement{eligibilityStatements, listStatements} {
		if err := checkStatements(ctx, b.db.Pool, bind(stmts, true), map[string]any{"i": 0, "token": tokenHash}); err != nil {
			return err
		}
	}
	verifyScript, err := script(pgbenchScript(eligibilityStatements))
	if err != nil {
		return err
	}
	defer os.Remove(verifyScript)
	listScript, err := script(pgbenchScript(listStatements))
	if err != nil {
		return err
	}
	defer os.Remove(listScript)
	n := len(b.codes)
	verify, list := b.readCalls(b.pg)
	var bestVerify, bestVerifyBase, bestList, bestListBase float64
	d := b.cfg.duration
	for _, c := range b.cfg.clients {
		pgArgs := func(extra ...string) []string {
			return append([]string{"-n", "-M", "prepared", "-c", strconv.Itoa(c), "-j", strconv.Itoa(min(c, 2)), "-T", seconds(d)}, extra...)
		}
		select8k, err := b.pgbench(ctx, pgArgs("-S")...)
		if err != nil {
			return err
		}
		verifyBase, err := b.pgbench(ctx, pgArgs("-f", verifyScript, "-D", "n="+strconv.Itoa(n), "-D", "token="+tokenHash)...)
		if err != nil {
			return err
		}
		listBase, err := b.pgbench(ctx, pgArgs("-f", listScript, "-D", "n="+strconv.Itoa(n), "-D", "token="+tokenHash)...)
		if err != nil {
			return err
		}
		verifyRate, _, err := load(ctx, c, d, verify)
		if err != nil {
			return err
		}
		listRate, _, err := load(ctx, c, d, list)
		if err != nil {
			return err
		}
		b.add(fmt.Sprintf("read: VerifyTenantEligibility, %d clients (calls/s vs pgbench of its SQL)", c), rate(verifyRate), rate(verifyBase), verifyRate/verifyBase)
		b.add(fmt.Sprintf("read: ListDesignations, %d clients (calls/s vs pgbench of its SQL)", c), rate(listRate), rate(listBase), listRate/listBase)
		b.add(fmt.Sprintf("read: pgbench -S -M prepared, %d clients (tps, for scale)", c), "—", rate(select8k), 0)
		bestVerify, bestVerifyBase = max(bestVerify, verifyRate), max(bestVerifyBase, verifyBase)
		bestList, bestListBase = max(bestList, listRate), max(bestListBase, listBase)
	}
	b.add("read (best client count: VerifyTenantEligibility vs its SQL)", rate(bestVerify), rate(bestVerifyBase), bestVerify/bestVerifyBase)
	b.add("read (best client count: ListDesignations vs its SQL)", rate(bestList), rate(bestListBase), bestList/bestListBase)
	for _, m := range []struct {
		name string
		best float64
		op   func(context.Context, *rand.Rand) error
	}{{"VerifyTenantEligibility", bestVerify, verify}, {"ListDesignations", bestList, list}} {
		lat, err := paced(ctx, 0.7*m.best, 2*d, m.op)
		if err != nil {
			return err
		}
		b.add(fmt.Sprintf("read latency at 70%% of max (%.0f calls/s): %s p50 / p99", 0.7*m.best, m.name),
			fmt.Sprintf("%s / %s", ms(percentile(lat, 0.50)), ms(percentile(lat, 0.99))), "target p99 ≤ 10 ms", 0)
	}
	for name, op := range map[string]func(context.Context, *rand.Rand) error{"read-verify": verify, "read-list": list} {
		if b.cfg.profileDir == "" {
			break
		}
		if err := b.profiled(ctx, name, d, func() error { _, _, err := load(ctx, 16, d, op); return err }); err != nil {
			return err
		}
	}
	return nil
}

func rate(r float64) string { return fmt.Sprintf("%.0f/s", r) }

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

// tokenHash is the stored hash of the operator's token, as the registry
// looks it up.
func (b *bench) tokenHash() string {
	var hash string
	_ = b.db.Pool.QueryRow("SELECT token_hash FROM api_tokens WHERE subject = 'bench-operator'").Scan(&hash)
	if hash == "" {
		sum := sha256.Sum256([]byte("none"))
		hash = hex.EncodeToString(sum[:])
	}
	return hash
}

// measureImport imports designations through ImportService and copies
// the same number of designation rows with psql \copy into the same table
// and indexes.
func (b *bench) measureImport(ctx context.Context) error {
	n := b.cfg.importRows
	rows := make([]*registryv1.DesignationRow, n)
	for i := range rows {
		rows[i] = &registryv1.DesignationRow{Row: int64(i + 2), Type: "hidden-champion", EnterpriseCreditCode: b.codes[i%len(b.codes)],
			ValidFrom: "2025-01-01", ValidUntil: "2027-12-31", DocumentNumber: fmt.Sprintf("浙经信〔2025〕%d号", i)}
	}
	start := time.Now()
	var created int64
	err := b.profiled(ctx, "import", time.Duration(len(rows))*time.Second/25_000, func() error {
		var err error
		created, err = importRows(ctx, b.economy.Import.ImportDesignations, rows, designationRequest, designationProgress)
		return err
	})
	if err != nil {
		return err
	}
	registryRate := float64(created) / time.Since(start).Seconds()

	f, err := os.CreateTemp("", "registrybench-*.csv")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	now := time.Now().UTC().Format(time.RFC3339Nano)
	for i := range n {
		// In COPY's CSV format an unquoted empty value is NULL; "" is the empty string.
		fmt.Fprintf(f, "copy-%08d,single-champion,\"\",active,2025-01-01,2027-12-31,economy-it,bench,\"\",工信部〔2025〕%d号,\"\",(十),\"\",1,%s,%s,%d\n",
			i, i, now, now, i%len(b.codes)+1)
	}
	if err := f.Close(); err != nil {
		return err
	}
	copyCmd := fmt.Sprintf(`\copy designations (id, type, level, status, valid_from, valid_until, granted_by_bureau, granted_by_subject, granted_by_org, document_number, note, seed_clause, status_reason, version, created_at, updated_at, enterprise_id) FROM '%s' WITH (FORMAT csv)`, f.Name())
	start = time.Now()
	if out, err := exec.CommandContext(ctx, "psql", "-q", "-v", "ON_ERROR_STOP=1", "-c", copyCmd, b.dbURL).CombinedOutput(); err != nil {
		return fmt.Errorf("psql \\copy: %w\n%s", err, out)
	}
	copyRate := float64(n) / time.Since(start).Seconds()
	b.add(fmt.Sprintf("import: %d designations (rows/s; registry writes an audit event per row too)", n), rate(registryRate), rate(copyRate), registryRate/copyRate)
	return nil
}

// grantSQL is the transaction one GrantDesignation makes, statement for
// statement, the caller's token being in the server's memory: the
// enterprise, the designation inserted unless its natural key exists, then
// the audit chain's head advanced and the event inserted with the new head
// hash in one statement (registry/internal/core/record.go).
const grantSQL = `\set i random(0, :n - 1)
\set doc random(1, 2000000000)
BEGIN;
SELECT id, credit_code, name, district, registered_on, created_at FROM enterprises WHERE id = :i + 1;
INSERT INTO designations (id, type, level, status, valid_from, valid_until, granted_by_bureau, granted_by_subject, granted_by_org, document_number, note, seed_clause, status_reason, version, created_at, updated_at, enterprise_id) VALUES (gen_random_uuid()::text, 'innovation-center', '', 'active', '2026-01-01', '2028-12-31', 'economy-it', 'bench', '', 'pgbench-' || :doc::text, '', '(七)', '', 1, now(), now(), :i + 1) ON CONFLICT (type, document_number, enterprise_id) WHERE enterprise_id IS NOT NULL DO NOTHING RETURNING id;
UPDATE audit_heads SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash;
WITH ev AS (INSERT INTO audit_events (id, occurred_at, actor_subject, actor_org, actor_role, action, entity_type, entity_id, before, after, reason, prev_hash, hash) SELECT seq, now(), 'bench', 'bureau' || chr(58) || 'economy-it', 'issuer', 'designation.grant', 'designation', 'pgbench-' || :doc::text, '', '{"type":"innovation-center"}', '', hash, md5(hash || :doc::text) FROM audit_heads WHERE id = 1) UPDATE audit_heads SET hash = md5(hash || :doc::text) WHERE id = 1;
COMMIT;
`

// measureWrite compares GrantDesignation with pgbench running the same
// transaction, at 1 and 8 clients.
func (b *bench) measureWrite(ctx context.Context) error {
	grantScript, err := script(grantSQL)
	if err != nil {
		return err
	}
	defer os.Remove(grantScript)
	var seq atomicCounter
	n := len(b.codes)
	grant := func(ctx context.Context, r *rand.Rand) error {
		_, err := b.economy.Designation.GrantDesignation(ctx, &registryv1.GrantDesignationRequest{
			Type: "innovation-center", EnterpriseCreditCode: b.codes[r.IntN(n)], ValidFrom: "2026-01-01", ValidUntil: "2028-12-31",
			DocumentNumber: fmt.Sprintf("杭经信〔2026〕%d号", seq.next()),
		})
		return err
	}
	for _, c := range []int{1, 8} {
		var registryRate float64
		err := b.profiled(ctx, fmt.Sprintf("write-%d", c), b.cfg.duration, func() error {
			var err error
			registryRate, _, err = load(ctx, c, b.cfg.duration, grant)
			return err
		})
		if err != nil {
			return err
		}
		base, err := b.pgbench(ctx, "-n", "-M", "prepared", "-c", strconv.Itoa(c), "-j", strconv.Itoa(min(c, 2)), "-T", seconds(b.cfg.duration),
			"-f", grantScript, "-D", "n="+strconv.Itoa(n))
		if err != nil {
			return err
		}
		// pgbench's events bypass the audit tree: put them in it, as
		// migrate does for events older than the tree, before the
		// registry appends again.
		if _, err := registry.Migrate(ctx, b.dbURL); err != nil {
			return fmt.Errorf("hashing pgbench's audit events into the tree: %w", err)
		}
		b.add(fmt.Sprintf("write: GrantDesignation with its audit event, %d clients (tps vs pgbench of the same transaction)", c), rate(registryRate), rate(base), registryRate/base)
	}
	return nil
}

type atomicCounter struct{ n atomic.Int64 }

func (c *atomicCounter) next() int64 { return c.n.Add(1) }

// measureCasbin times Decide with the real model and the default policy
// plus a city's memberships (10,000 authorized enterprises, 100 parks),
// then with ten times that.
func (b *bench) measureCasbin(context.Context) error {
	cost := func(scale int) (time.Duration, error) {
		rules := catalog.DefaultPolicy()
		for i := range 10_000 * scale {
			rules = append(rules, authz.AuthorizedEnterprise(creditCode(i)))
		}
		for i := range 100 * scale {
			rules = append(rules, authz.Rule{Type: "g", Values: []string{fmt.Sprintf("park:p%d", i), "municipal-park"}})
		}
		a, err := authz.NewFromRules(rules)
		if err != nil {
			return 0, err
		}
		r := rand.New(rand.NewPCG(1, 2))
		requests := make([]authz.Request, 1024)
		for i := range requests {
			code := creditCode(r.IntN(10_000 * scale))
			switch i % 4 {
			case 0:
				requests[i] = authz.Request{Role: "issuer", Org: "bureau:economy-it", Object: "designation:little-giant", Action: "grant"}
			case 1:
				requests[i] = authz.Request{Role: "member", Org: "enterprise:" + code, Object: "designation:little-giant", Action: "read", Owners: []string{"bureau:economy-it", "enterprise:" + code}}
			case 2:
				requests[i] = authz.Request{Role: "talent-assessor", Org: "enterprise:" + code, Object: "designation:talent-recognition", Action: "recognize", Owners: []string{"enterprise:" + code}}
			default:
				requests[i] = authz.Request{Role: "operator", Org: fmt.Sprintf("park:p%d", r.IntN(100*scale)), Object: "eligibility", Action: "verify", Owners: []string{"park:p0"}}
			}
		}
		start := time.Now()
		for i := range b.cfg.casbinOps {
			if _, err := a.Enforce(requests[i%len(requests)]); err != nil {
				return 0, err
			}
		}
		return time.Since(start) / time.Duration(b.cfg.casbinOps), nil
	}
	one, err := cost(1)
	if err != nil {
		return err
	}
	ten, err := cost(10)
	if err != nil {
		return err
	}
	b.add("casbin: enforce (uncached) at 10× a city's rules vs 1× (per check; target ratio ≤ 1.5)", ten.String(), one.String(), float64(ten)/float64(one))
	return nil
}

// measureMemory imports memoryRows designations and reports the server's
// peak resident set size (VmHWM) against the 256 MiB target.
func (b *bench) measureMemory(ctx context.Context) error {
	if b.cfg.memoryRows == 0 {
		b.add("memory: peak server RSS importing 1,000,000 rows", "skipped (--memory-rows 0 or --quick)", "256 MiB", 0)
		return nil
	}
	n := b.cfg.memoryRows
	rows := make([]*registryv1.DesignationRow, n)
	for i := range rows {
		rows[i] = &registryv1.DesignationRow{Row: int64(i + 2), Type: "single-champion", EnterpriseCreditCode: b.codes[i%len(b.codes)],
			ValidFrom: "2025-01-01", ValidUntil: "2027-12-31", DocumentNumber: fmt.Sprintf("工信部单项冠军〔2025〕%d号", i)}
	}
	start := time.Now()
	created, err := importRows(ctx, b.economy.Import.ImportDesignations, rows, designationRequest, designationProgress)
	if err != nil {
		return err
	}
	peak, err := peakRSS(b.pg.cmd.Process.Pid)
	if err != nil {
		return err
	}
	b.add(fmt.Sprintf("memory: peak server RSS after importing %d rows in one import (%.0f rows/s)", created, float64(created)/time.Since(start).Seconds()),
		fmt.Sprintf("%.0f MiB", float64(peak)/(1<<20)), "256 MiB", float64(peak)/(256<<20))
	return nil
}

// peakRSS reads a process's VmHWM from /proc.
func peakRSS(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmHWM for process %d", pid)
}
