package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/hangzhou-ai/registry/rpc/client"
	registryv1 "github.com/hangzhou-ai/registry/rpc/gen/registry/v1"
)

// bulkSubject marks the designations the scale figure loads with SQL, so
// that they can be told apart and removed again.
const bulkSubject = "registrybench-bulk"

// bulkPerEnterprise is how many bulk designations each bulk enterprise holds.
const bulkPerEnterprise = 10

// scalePoint is what the scale figure times at one size of the database.
type scalePoint struct {
	designations int
	list, verify []time.Duration
	// What the measured callers saw, which must not change between the
	// points: the member's page, and the tenants' answers.
	listRows int
	answers  []bool // each tenant's eligibility, in the order asked
}

// measureScale times a member's ListDesignations (its own designations,
// first page) and VerifyTenantEligibility, one call at a time, with
// scaleSmall designations in the database and again with scaleLarge. The
// extra designations are loaded with SQL, held by enterprises that are
// neither the member nor park tenants, so what the measured calls answer
// stays the same; the planner's statistics are refreshed at each point.
// The bulk rows are removed afterwards, so the figures after this one
// see the database as before.
func (b *bench) measureScale(ctx context.Context) error {
	member := b.codes[0] // holds a little-giant designation (seedVia)
	token, err := b.token(ctx, b.pg, "bench-member", "enterprise:"+member, "member")
	if err != nil {
		return err
	}
	mc := newClients("http://"+b.pg.addr, token)
	var have int
	if err := b.db.Pool.QueryRowContext(ctx, "SELECT count(*) FROM designations").Scan(&have); err != nil {
		return err
	}
	if have > b.cfg.scaleSmall {
		return fmt.Errorf("the database holds %d designations already, more than the scale figure's first point (%d)", have, b.cfg.scaleSmall)
	}
	defer b.removeBulk(context.WithoutCancel(ctx))
	var points []scalePoint
	var next int // bulk enterprises made so far
	for _, size := range []int{b.cfg.scaleSmall, b.cfg.scaleLarge} {
		start := time.Now()
		if next, err = b.loadBulk(ctx, size-have, next, have); err != nil {
			return fmt.Errorf("loading %d designations: %w", size-have, err)
		}
		b.logf("scale: %d designations (loaded %d in %s)", size, size-have, time.Since(start).Round(time.Millisecond))
		have = size
		p, err := b.scalePoint(ctx, mc, size)
		if err != nil {
			return err
		}
		points = append(points, p)
	}
	small, large := points[0], points[1]
	if small.listRows != large.listRows || !slices.Equal(small.answers[:min(len(small.answers), len(large.answers))], large.answers[:min(len(small.answers), len(large.answers))]) {
		return fmt.Errorf("the measured callers' answers changed with the database's size: member's page %d → %d rows, or a tenant's eligibility changed",
			small.listRows, large.listRows)
	}
	label := fmt.Sprintf("at %s vs %s designations", thousands(large.designations), thousands(small.designations))
	if b.cfg.quick {
		label += " (--quick sizes)"
	}
	for _, c := range []struct {
		name      string
		small, lg []time.Duration
	}{
		{fmt.Sprintf("member's ListDesignations (own, first page of %d)", small.listRows), small.list, large.list},
		{"VerifyTenantEligibility", small.verify, large.verify},
	} {
		for _, q := range []struct {
			name string
			p    float64
		}{{"p50", 0.50}, {"p99", 0.99}} {
			l, s := percentile(c.lg, q.p), percentile(c.small, q.p)
			b.add(fmt.Sprintf("scale: %s %s %s (1 client, %d / %d calls; target ratio ≤ 1.5)", c.name, q.name, label, len(c.lg), len(c.small)),
				ms(l), ms(s), float64(l)/float64(s))
		}
	}
	b.notes = append(b.notes, fmt.Sprintf("Scale rows: registry = latency with %s designations, baseline = with %s; the extra rows are loaded with SQL "+
		"(INSERT … SELECT generate_series, %d per enterprise, 1 in 50 suspended with its status change) for enterprises that are neither the member nor tenants, then ANALYZE; "+
		"each point is warmed up with up to %d calls of each first; each series stops at %d calls or after %s.",
		thousands(large.designations), thousands(small.designations), bulkPerEnterprise, warmupCalls, b.cfg.scaleCalls, b.cfg.scaleBudget))
	return nil
}

// warmupCalls precede each timed series.
const warmupCalls = 200

// scalePoint times the two calls sequentially at the database's present size.
func (b *bench) scalePoint(ctx context.Context, member *client.Clients, size int) (scalePoint, error) {
	p := scalePoint{designations: size}
	list := func(ctx context.Context) (int, error) {
		res, err := member.Designation.ListDesignations(ctx, &registryv1.ListDesignationsRequest{})
		return len(res.GetDesignations()), err
	}
	// The same tenants in the same order at each point.
	r := rand.New(rand.NewPCG(12, 7))
	verify := func(ctx context.Context) (bool, error) {
		res, err := b.operator.Park.VerifyTenantEligibility(ctx, &registryv1.VerifyTenantEligibilityRequest{
			ParkCode: "bench-park", EnterpriseCreditCode: b.codes[r.IntN(len(b.codes))], Benefit: "rent-reduction", AsOf: benchAsOf,
		})
		return res.GetEligible(), err
	}
	// Each series ends after scaleCalls calls or scaleBudget, whichever
	// comes first: a call that grows with the database must not hold the
	// bench for an hour. The rows say how many calls were timed.
	warmEnd := time.Now().Add(b.cfg.scaleBudget / 5)
	for i := 0; i < warmupCalls && time.Now().Before(warmEnd); i++ {
		if _, err := list(ctx); err != nil {
			return p, fmt.Errorf("member's ListDesignations: %w", err)
		}
		if _, err := verify(ctx); err != nil {
			return p, fmt.Errorf("VerifyTenantEligibility: %w", err)
		}
	}
	r = rand.New(rand.NewPCG(12, 8))
	for end := time.Now().Add(b.cfg.scaleBudget); len(p.list) < b.cfg.scaleCalls && time.Now().Before(end); {
		t := time.Now()
		n, err := list(ctx)
		if err != nil {
			return p, fmt.Errorf("member's ListDesignations: %w", err)
		}
		p.list = append(p.list, time.Since(t))
		if len(p.list) > 1 && n != p.listRows {
			return p, fmt.Errorf("the member's page changed from %d to %d rows", p.listRows, n)
		}
		p.listRows = n
	}
	for end := time.Now().Add(b.cfg.scaleBudget); len(p.verify) < b.cfg.scaleCalls && time.Now().Before(end); {
		t := time.Now()
		ok, err := verify(ctx)
		if err != nil {
			return p, fmt.Errorf("VerifyTenantEligibility: %w", err)
		}
		p.verify = append(p.verify, time.Since(t))
		p.answers = append(p.answers, ok)
	}
	return p, nil
}

// loadBulk adds n designations for new enterprises (bulkPerEnterprise
// each, numbered on from made), in batches, then analyzes the tables; it
// returns how many bulk enterprises there are now. seq numbers the
// documents apart from earlier loads.
func (b *bench) loadBulk(ctx context.Context, n, made, seq int) (int, error) {
	const batch = 100_000
	for done := 0; done < n; done += batch {
		rows := min(batch, n-done)
		firms := (rows + bulkPerEnterprise - 1) / bulkPerEnterprise
		codes := make([]string, firms)
		for i := range codes {
			codes[i] = creditCode(1_000_000 + made + i)
		}
		made += firms
		tx, err := b.db.Pool.BeginTx(ctx, nil)
		if err != nil {
			return made, err
		}
		var after int64
		if err := tx.QueryRowContext(ctx, "SELECT COALESCE(max(id), 0) FROM enterprises").Scan(&after); err != nil {
			tx.Rollback()
			return made, err
		}
		// The codes go as one text parameter in array syntax: credit codes
		// are letters and digits only.
		if _, err := tx.ExecContext(ctx, `INSERT INTO enterprises (credit_code, name, district, registered_on, created_at)
			SELECT c, '规模企业' || c, '', '2019-03-01', now() FROM unnest($1::text[]) AS c`, "{"+strings.Join(codes, ",")+"}"); err != nil {
			tx.Rollback()
			return made, err
		}
		// One in 50 is suspended, with the status change that did it.
		if _, err := tx.ExecContext(ctx, `WITH firms AS (
				SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM enterprises WHERE id > $1::bigint
			), added AS (
				INSERT INTO designations (id, type, level, status, valid_from, valid_until, granted_by_bureau, granted_by_subject, granted_by_org,
					document_number, note, seed_clause, status_reason, version, created_at, updated_at, enterprise_id)
				SELECT gen_random_uuid()::text,
					(ARRAY['little-giant', 'single-champion', 'hidden-champion', 'ai-growth-enterprise', 'innovation-center'])[1 + g % 5],
					'', CASE WHEN g % 50 = 0 THEN 'suspended' ELSE 'active' END, '2025-01-01', '2027-12-31', 'economy-it', $2::text, '',
					'浙经信〔2025〕' || ($3::int + g) || '号', '', '(十)', CASE WHEN g % 50 = 0 THEN '年度复核未通过' ELSE '' END, 1, now(), now(), f.id
				FROM generate_series(0, $4::int - 1) AS g JOIN firms f ON f.k = g % $5::int
				RETURNING id, status
			)
			INSERT INTO status_changes (status, effective_on, reason, recorded_at, designation_id)
			SELECT 'suspended', '2025-06-01', '年度复核未通过', now(), id FROM added WHERE status = 'suspended'`,
			after, bulkSubject, seq+done, rows, firms); err != nil {
			tx.Rollback()
			return made, err
		}
		if err := tx.Commit(); err != nil {
			return made, err
		}
	}
	_, err := b.db.Pool.ExecContext(ctx, "ANALYZE enterprises, designations, status_changes")
	return made, err
}

// removeBulk deletes what loadBulk added and vacuums the tables.
func (b *bench) removeBulk(ctx context.Context) {
	start := time.Now()
	for _, q := range []string{
		"DELETE FROM status_changes WHERE designation_id IN (SELECT id FROM designations WHERE granted_by_subject = $1)",
		"DELETE FROM designations WHERE granted_by_subject = $1",
		"DELETE FROM enterprises WHERE name LIKE '规模企业%' AND NOT EXISTS (SELECT 1 FROM designations d WHERE d.enterprise_id = enterprises.id)",
	} {
		var args []any
		if strings.Contains(q, "$1") {
			args = append(args, bulkSubject)
		}
		if _, err := b.db.Pool.ExecContext(ctx, q, args...); err != nil {
			b.logf("removing the scale figure's rows: %v", err)
			return
		}
	}
	if _, err := b.db.Pool.ExecContext(ctx, "VACUUM ANALYZE enterprises, designations, status_changes"); err != nil {
		b.logf("vacuum after the scale figure: %v", err)
	}
	b.logf("scale: bulk rows removed in %s", time.Since(start).Round(time.Millisecond))
}

// thousands writes n with thousands separators.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
