package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"

	"github.com/hangzhou-ai/registry/store"
)

// measureSQLite runs a second registryd on an SQLite file, the embedded
// default, seeds it through its import as the PostgreSQL one was, and
// measures the read calls' throughput at the best client count and their
// latency at 70% of it. The baseline runs the same statements
// (baselines.go) in the bench's own process through database/sql and
// modernc.org/sqlite, opened by store.Open with the registry's own
// settings, on a copy of the file taken with VACUUM INTO once seeded: the
// database's limit without HTTP, Connect, authorization or ent.
func (b *bench) measureSQLite(ctx context.Context) error {
	if !b.cfg.sqlite {
		b.add("sqlite: read figures", "skipped (--sqlite=false)", "—", 0)
		return nil
	}
	path := filepath.Join(b.tmp, "registry.db")
	s, err := b.launch(ctx, "sqlite:"+path)
	if err != nil {
		return err
	}
	b.lite = s
	defer func() { s.stop(); b.lite = nil }()
	if err := seedVia(ctx, s, b.codes); err != nil {
		return fmt.Errorf("seeding SQLite: %w", err)
	}
	n := len(b.codes)
	verify, list := b.readCalls(s)

	// The copy, taken while the server runs (WAL lets it read).
	live, err := store.OpenExisting("sqlite:" + path)
	if err != nil {
		return err
	}
	copyPath := filepath.Join(b.tmp, "baseline.db")
	_, err = live.Pool.ExecContext(ctx, "VACUUM INTO '"+strings.ReplaceAll(copyPath, "'", "''")+"'")
	live.Close()
	if err != nil {
		return fmt.Errorf("copying the SQLite file: %w", err)
	}

	type figure struct {
		name        string
		op          func(context.Context, *rand.Rand) error
		stmts       []statement
		best, baseB float64
		bestC       int
	}
	figures := []*figure{{name: "VerifyTenantEligibility", op: verify, stmts: eligibilityStatements}, {name: "ListDesignations", op: list, stmts: listStatements}}
	for _, f := range figures {
		for _, c := range b.cfg.clients {
			got, _, err := load(ctx, c, b.cfg.duration, f.op)
			if err != nil {
				return fmt.Errorf("SQLite %s: %w", f.name, err)
			}
			b.logf("sqlite: %s, %d clients: %.0f/s", f.name, c, got)
			if got > f.best {
				f.best, f.bestC = got, c
			}
		}
	}
	latency := make([]string, len(figures))
	for i, f := range figures {
		lat, err := paced(ctx, 0.7*f.best, 2*b.cfg.duration, f.op)
		if err != nil {
			return fmt.Errorf("SQLite %s: %w", f.name, err)
		}
		latency[i] = fmt.Sprintf("%s / %s", ms(percentile(lat, 0.50)), ms(percentile(lat, 0.99)))
	}
	s.stop()
	b.lite = nil

	// The baseline, with the server stopped; in the server's place on the
	// CPUs when pinning.
	db, err := store.OpenExisting("sqlite:" + copyPath)
	if err != nil {
		return err
	}
	defer db.Close()
	var hash string
	if err := db.Pool.QueryRowContext(ctx, "SELECT token_hash FROM api_tokens WHERE subject = 'bench-operator'").Scan(&hash); err != nil {
		return err
	}
	if b.pin.on {
		if err := moveSelf(ctx, b.pin.server); err != nil {
			return err
		}
		defer moveSelf(context.WithoutCancel(ctx), b.pin.load) //nolint:errcheck // the figures are taken; a failure only leaves the bench wider
	}
	for _, f := range figures {
		stmts := bind(f.stmts, false)
		if err := checkStatements(ctx, db.Pool, stmts, map[string]any{"i": 0, "token": hash}); err != nil {
			return err
		}
		release, err := prepareStatements(ctx, db.Pool, stmts)
		if err != nil {
			return err
		}
		defer release()
		op := func(ctx context.Context, r *rand.Rand) error {
			return runStatements(ctx, db.Pool, stmts, map[string]any{"i": r.IntN(n), "token": hash})
		}
		for _, c := range b.cfg.clients {
			got, _, err := load(ctx, c, b.cfg.duration, op)
			if err != nil {
				return fmt.Errorf("SQLite baseline of %s: %w", f.name, err)
			}
			f.baseB = max(f.baseB, got)
		}
	}
	counts := strings.Trim(strings.Join(strings.Fields(fmt.Sprint(b.cfg.clients)), "/"), "[]")
	for i, f := range figures {
		b.add(fmt.Sprintf("sqlite: %s, best of %s clients (%d) (calls/s vs its SQL in-process, best client count)", f.name, counts, f.bestC),
			rate(f.best), rate(f.baseB), f.best/f.baseB)
		b.add(fmt.Sprintf("sqlite: read latency at 70%% of max (%.0f calls/s): %s p50 / p99", 0.7*f.best, f.name), latency[i], "target p99 ≤ 10 ms", 0)
	}
	b.notes = append(b.notes, "SQLite rows: a second registryd on an SQLite file (REGISTRY_DATABASE_URL=sqlite:FILE), seeded through its import like the PostgreSQL one; "+
		"the baseline runs the statements of cmd/registrybench/baselines.go, each prepared once, in the bench's process through database/sql and modernc.org/sqlite "+
		"(store.Open, the registry's pool and pragmas) on a VACUUM INTO copy of the seeded file, at the same client counts, with the server stopped.")
	return nil
}
