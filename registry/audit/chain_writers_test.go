package audit_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/registry/imports"
	"github.com/hangzhou-ai/registry/registry/internal/core"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// head reads the audit chain's head.
func head(t *testing.T, reg *registry.Registry) (int64, string) {
	t.Helper()
	h, err := reg.DB.AuditHead.Get(t.Context(), core.AuditHeadID)
	if err != nil {
		t.Fatal(err)
	}
	return h.Seq, h.Hash
}

// verified checks that the chain verifies and returns how many events it has.
func verified(t *testing.T, tr *trail) int64 {
	t.Helper()
	rep, err := tr.reg.VerifyAuditChain(tr.auditor)
	if err != nil || !rep.OK {
		t.Fatalf("chain: %v %+v", err, rep)
	}
	return rep.EventsChecked
}

// TestChainUnderConcurrentWriters grants designations from many writers at
// once, with an import racing them, and checks that the chain verifies
// with one event per grant and per imported designation.
func TestChainUnderConcurrentWriters(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		tr := newTrail(t, db)
		before := verified(t, tr)
		const writers, grants, imported = 8, 15, 3000
		var wg sync.WaitGroup
		errs := make(chan error, writers+1)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx := registry.WithPrincipal(t.Context(), registry.Principal{Subject: fmt.Sprintf("writer-%d", w), Org: "bureau:economy-it", Role: "issuer"})
				for i := range grants {
					_, err := tr.reg.GrantDesignation(ctx, designation.Grant{Type: "little-giant", EnterpriseCreditCode: tr.codes[i%2],
						ValidFrom: "2026-01-01", ValidUntil: "2027-12-31", DocumentNumber: fmt.Sprintf("浙经信〔2026〕W%d-%d号", w, i)})
					if err != nil {
						errs <- fmt.Errorf("writer %d grant %d: %w", w, i, err)
						return
					}
				}
			}()
		}
		var progress imports.ImportProgress
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := registrytest.As(t.Context(), "issuer", "bureau:economy-it")
			im, err := tr.reg.BeginImport(ctx, imports.ImportDesignations, imports.ImportOptions{})
			if err != nil {
				errs <- err
				return
			}
			defer im.Abort()
			rows := make([]imports.DesignationRow, imported)
			for i := range rows {
				rows[i] = imports.DesignationRow{Row: int64(i + 2), Grant: designation.Grant{Type: "hidden-champion", EnterpriseCreditCode: tr.codes[i%2],
					ValidFrom: "2026-01-01", ValidUntil: "2026-12-31", DocumentNumber: fmt.Sprintf("浙经信〔2026〕I%d号", i)}}
			}
			for start := 0; start < len(rows); start += imports.MaxImportBatch {
				if _, err := im.Designations(ctx, rows[start:min(start+imports.MaxImportBatch, len(rows))]); err != nil {
					errs <- err
					return
				}
			}
			if progress, err = im.Finish(ctx, func(imports.ImportProgress) error { return nil }); err != nil {
				errs <- err
			}
		}()
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if progress.Created != imported || progress.Outcome != imports.ImportCommitted {
			t.Fatalf("import: %+v", progress)
		}
		if got, want := verified(t, tr), before+writers*grants+imported; got != want {
			t.Fatalf("%d events after %d grants and %d imported designations, want %d", got, writers*grants, imported, want)
		}
		conn := storetest.OpenSQL(t, db)
		var without int
		if err := conn.QueryRow(`SELECT count(*) FROM designations d WHERE (SELECT count(*) FROM audit_events a
			WHERE a.entity_type = 'designation' AND a.entity_id = d.id AND a.action = 'designation.grant') <> 1`).Scan(&without); err != nil {
			t.Fatal(err)
		}
		if without != 0 {
			t.Fatalf("%d designations without exactly one grant event", without)
		}
	})
}

// TestFailedTransactionLeavesTheHead checks that a transaction that
// advanced the chain's head and then failed leaves the head and the chain
// as they were, and that the next change continues the chain.
func TestFailedTransactionLeavesTheHead(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		tr := newTrail(t, db)
		ctx := registrytest.As(t.Context(), "issuer", "bureau:economy-it")
		p, _ := registry.PrincipalFrom(ctx)
		seq, hash := head(t, tr.reg)
		failure := errors.New("failed after the head advanced")
		cases := []struct {
			name string
			fn   func(tx *ent.Tx) error
			want error
		}{
			{"an error after the events were appended", func(tx *ent.Tx) error {
				e, err := core.PrepareEvent(p, tr.reg.Now(), core.Change{Action: "test.fail", EntityType: "test", EntityID: "1"})
				if err != nil {
					return err
				}
				if err := tr.reg.AppendEvents(t.Context(), tx, []core.PendingEvent{e}); err != nil {
					return err
				}
				return failure
			}, failure},
			{"a business error with a change recorded", func(tx *ent.Tx) error {
				if err := tr.reg.Record(t.Context(), tx, p, core.Change{Action: "test.fail", EntityType: "test", EntityID: "2"}); err != nil {
					return err
				}
				return failure
			}, failure},
		}
		if db.Name == "postgres" {
			// The head is advanced, then the events' insert fails: text
			// columns refuse a NUL byte on PostgreSQL.
			cases = append(cases, struct {
				name string
				fn   func(tx *ent.Tx) error
				want error
			}{"the events' insert failing after the head advanced", func(tx *ent.Tx) error {
				return tr.reg.Record(t.Context(), tx, p, core.Change{Action: "test.fail", EntityType: "test", EntityID: "bad\x00id"})
			}, nil})
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				err := tr.reg.InTx(t.Context(), c.fn)
				if err == nil || (c.want != nil && !errors.Is(err, c.want)) {
					t.Fatalf("transaction: %v, want %v", err, c.want)
				}
				if s, h := head(t, tr.reg); s != seq || h != hash {
					t.Fatalf("head %d %s after the failed transaction, want %d %s", s, h, seq, hash)
				}
				verified(t, tr)
			})
		}
		if _, err := tr.reg.GrantDesignation(ctx, designation.Grant{Type: "little-giant", EnterpriseCreditCode: tr.codes[0],
			ValidFrom: "2026-01-01", ValidUntil: "2027-12-31", DocumentNumber: "浙经信〔2026〕1号"}); err != nil {
			t.Fatal(err)
		}
		if got := verified(t, tr); got != seq+1 {
			t.Fatalf("%d events after the next grant, want %d", got, seq+1)
		}
	})
}
