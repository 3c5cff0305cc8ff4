package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// The baselines: the SQL the registry sends the database for one call,
// statement for statement, written down here and nowhere else. pgbench
// runs them against PostgreSQL; database/sql runs them in-process against
// a copy of the SQLite file. Each registry figure is divided by its
// baseline, so when a call's queries change (registry/park/eligibility.go,
// registry/designation/designation.go ListDesignations, the token lookup
// in registry/access), change its statements here to match: a stale
// statement flatters or wrongs the registry.
//
// A statement names its inputs as pgbench variables:
//
//	:i      the 0-based index of a seeded enterprise (its row id is :i + 1)
//	:token  the hash of the caller's bearer token, as api_tokens stores it
//
// Dates are literals: every call asks as of benchAsOf. ent names every
// column of a table it reads; * is the same and survives new columns.

// statement is one query of a call, and what it reads.
type statement struct {
	what, sql string
}

// benchAsOf is the date the read calls ask about.
const benchAsOf = "2026-06-15"

// eligibilityStatements is what one VerifyTenantEligibility call asks
// once the caller's token and the signing key are in the server's memory
// (registry/access and registry/keys keep them until a change is
// signalled): the rule with the enterprise and its tenancy, then its
// qualifying designations with their status on the date
// (registry/park/eligibility.go).
var eligibilityStatements = []statement{
	// The registry names the enterprise by its credit code; pgbench can
	// draw only numbers, so the baseline names it by its row id: one
	// unique-index probe either way.
	{"rule, enterprise and tenancy", `SELECT r.any_of_designation_types, r.min_tenancy_months, r.max_enterprise_age_years, e.id, e.registered_on, (SELECT t.start_date FROM tenancies t WHERE t.park_id = r.park_id AND t.enterprise_id = e.id AND t.start_date <= '2026-06-15' AND (t.end_date = '' OR t.end_date >= '2026-06-15') ORDER BY t.start_date LIMIT 1) FROM eligibility_rules r LEFT JOIN enterprises e ON e.id = :i + 1 WHERE r.park_id = 'bench-park' AND r.benefit = 'rent-reduction'`},
	{"designations held", `SELECT d.id, d.type FROM designations d WHERE d.enterprise_id = :i + 1 AND d.valid_from <= '2026-06-15' AND d.valid_until >= '2026-06-15' AND COALESCE((SELECT sc.status FROM status_changes sc WHERE sc.designation_id = d.id AND sc.effective_on <= '2026-06-15' ORDER BY sc.effective_on DESC, sc.id DESC LIMIT 1), 'active') = 'active' AND d.type IN ('little-giant', 'single-champion', 'hidden-champion', 'ai-growth-enterprise') ORDER BY d.id`},
}

// listStatements is what one ListDesignations call of a bureau's issuer,
// filtered by enterprise, asks once the token is in memory: the first page
// of the enterprise's designations (the enterprise named by a scalar
// subquery on its credit code, registry/internal/core/scope.go; here on
// its row id, as above) and their enterprise (ent's WithEnterprise).
var listStatements = []statement{
	{"page", `SELECT d.* FROM designations d WHERE d.id > '' AND d.enterprise_id = (SELECT id FROM enterprises WHERE id = :i + 1) ORDER BY d.id LIMIT 51`},
	{"their enterprise", `SELECT * FROM enterprises WHERE id IN (:i + 1)`},
}

// pgbenchScript renders statements as a pgbench script drawing :i at
// random from the n seeded enterprises (pgbench -D n=… token=…).
func pgbenchScript(stmts []statement) string {
	var b strings.Builder
	b.WriteString("\\set i random(0, :n - 1)\n")
	for _, s := range stmts {
		fmt.Fprintf(&b, "-- %s\n%s;\n", s.what, s.sql)
	}
	return b.String()
}

// variable finds a statement's pgbench variables (not a :: cast).
var variable = regexp.MustCompile(`(^|[^:]):([a-z_]+)`)

// boundStatement is a statement with its variables turned into ? and the
// variables' names in the order they bind.
type boundStatement struct {
	what, sql string
	args      []string
	stmt      *sql.Stmt // set by prepareStatements
}

// prepareStatements prepares each statement once on db, as pgbench's
// prepared mode does and as the registry prepares its hot statements;
// close releases them.
func prepareStatements(ctx context.Context, db *sql.DB, stmts []boundStatement) (close func(), err error) {
	close = func() {
		for _, s := range stmts {
			if s.stmt != nil {
				s.stmt.Close()
			}
		}
	}
	for i := range stmts {
		if stmts[i].stmt, err = db.PrepareContext(ctx, stmts[i].sql); err != nil {
			close()
			return nil, fmt.Errorf("baseline statement %q: %w", stmts[i].what, err)
		}
	}
	return close, nil
}

// bind prepares statements for database/sql: each variable becomes a
// placeholder, ? (SQLite) or $n (PostgreSQL), its name kept in order.
func bind(stmts []statement, dollar bool) []boundStatement {
	out := make([]boundStatement, len(stmts))
	for i, s := range stmts {
		var args []string
		q := variable.ReplaceAllStringFunc(s.sql, func(m string) string {
			sub := variable.FindStringSubmatch(m)
			args = append(args, sub[2])
			if dollar {
				return fmt.Sprintf("%s$%d", sub[1], len(args))
			}
			return sub[1] + "?"
		})
		out[i] = boundStatement{what: s.what, sql: q, args: args}
	}
	return out
}

// checkStatements runs each statement once for the first seeded
// enterprise (a tenant holding a little-giant designation) and refuses a
// statement that finds nothing: it no longer reads what the call reads.
func checkStatements(ctx context.Context, db *sql.DB, stmts []boundStatement, vars map[string]any) error {
	for _, s := range stmts {
		n, err := s.run(ctx, db, vars)
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("baseline statement %q found no row: update it in baselines.go to what the registry asks", s.what)
		}
	}
	return nil
}

// runStatements runs one call's statements on db in turn, reading every
// row and column as the registry's driver does, with vars bound by name.
func runStatements(ctx context.Context, db *sql.DB, stmts []boundStatement, vars map[string]any) error {
	for _, s := range stmts {
		if _, err := s.run(ctx, db, vars); err != nil {
			return err
		}
	}
	return nil
}

// run runs the statement and returns the number of rows it read.
func (s boundStatement) run(ctx context.Context, db *sql.DB, vars map[string]any) (int, error) {
	args := make([]any, len(s.args))
	for i, name := range s.args {
		v, ok := vars[name]
		if !ok {
			return 0, fmt.Errorf("baseline statement %q: no value for :%s", s.what, name)
		}
		args[i] = v
	}
	var rows *sql.Rows
	var err error
	if s.stmt != nil {
		rows, err = s.stmt.QueryContext(ctx, args...)
	} else {
		rows, err = db.QueryContext(ctx, s.sql, args...)
	}
	if err != nil {
		return 0, fmt.Errorf("baseline statement %q: %w", s.what, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	dest := make([]any, len(cols))
	for i := range dest {
		dest[i] = new(sql.RawBytes)
	}
	n := 0
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return n, err
		}
		n++
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return n, fmt.Errorf("baseline statement %q: %w", s.what, err)
	}
	return n, nil
}
