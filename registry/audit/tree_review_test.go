package audit_test

import (
	"fmt"
	"sync"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/hangzhou-ai/registry/checkpoint"
	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/designation"
	"github.com/hangzhou-ai/registry/registry/imports"
	"github.com/hangzhou-ai/registry/registry/internal/core"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// TestTreeUnderConcurrentWritersIsRFC6962 races many writers with an
// import larger than two append chunks (streamed with COPY on PostgreSQL)
// and checks the tree against an independent RFC 6962 computation over
// the events' canonical JSON: the checkpoint's root, every leaf, and
// proofs from the size before the race and across chunk boundaries.
func TestTreeUnderConcurrentWritersIsRFC6962(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		tr := newTrail(t, db)
		before, err := tr.reg.GetCheckpoint(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		const writers, grants, imported = 16, 10, 2500
		var wg sync.WaitGroup
		errs := make(chan error, writers+1)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx := registry.WithPrincipal(t.Context(), registry.Principal{Subject: fmt.Sprintf("writer-%d", w), Org: "bureau:economy-it", Role: "issuer"})
				for i := range grants {
					if _, err := tr.reg.GrantDesignation(ctx, designation.Grant{Type: "little-giant", EnterpriseCreditCode: tr.codes[i%2],
						ValidFrom: "2026-01-01", ValidUntil: "2027-12-31", DocumentNumber: fmt.Sprintf("浙经信〔2026〕T%d-%d号", w, i)}); err != nil {
						errs <- fmt.Errorf("writer %d grant %d: %w", w, i, err)
						return
					}
				}
			}()
		}
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
					ValidFrom: "2026-01-01", ValidUntil: "2026-12-31", DocumentNumber: fmt.Sprintf("浙经信〔2026〕J%d号", i)}}
			}
			for start := 0; start < len(rows); start += imports.MaxImportBatch {
				if _, err := im.Designations(ctx, rows[start:min(start+imports.MaxImportBatch, len(rows))]); err != nil {
					errs <- err
					return
				}
			}
			if p, err := im.Finish(ctx, func(imports.ImportProgress) error { return nil }); err != nil {
				errs <- err
			} else if p.Outcome != imports.ImportCommitted {
				errs <- fmt.Errorf("import: %+v", p)
			}
		}()
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if rep, err := tr.reg.VerifyAuditChain(tr.auditor); err != nil || !rep.OK {
			t.Fatalf("chain: %+v, %v", rep, err)
		}
		events := allEvents(t, tr)
		n := int64(len(events))
		if want := before.Size + writers*grants + imported; n != want {
			t.Fatalf("%d events, want %d", n, want)
		}
		leaves := make([][]byte, n)
		for i, e := range events {
			if e.Sequence != int64(i+1) {
				t.Fatalf("event %d has sequence %d", i+1, e.Sequence)
			}
			leaves[i] = canonical(e)
			if e.LeafHash != tlog.RecordHash(leaves[i]) {
				t.Fatalf("event %d: leaf hash differs from its canonical JSON's", e.Sequence)
			}
		}
		now, err := tr.reg.GetCheckpoint(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if want := tlog.Hash(rfc6962Root(leaves)); now.Size != n || now.Root != want {
			t.Fatalf("checkpoint %d %v, want %d %v", now.Size, now.Root, n, want)
		}
		p, err := tr.reg.GetConsistencyProof(t.Context(), before.Size, 0)
		if err != nil || tlog.CheckTree(p.Proof, now.Size, now.Root, before.Size, before.Root) != nil {
			t.Fatalf("consistency %d→%d: %v", before.Size, now.Size, err)
		}
		for _, seq := range []int64{1, 999, 1000, 1001, 1024, 2000, 2001, n / 2, n - 1, n} {
			for _, size := range []int64{seq, 1000, 1001, 2048, n} {
				if size < seq {
					continue
				}
				root := tlog.Hash(rfc6962Root(leaves[:size]))
				ip, err := tr.reg.GetInclusionProof(t.Context(), seq, size)
				if err != nil || ip.Root != root || tlog.CheckRecord(ip.Proof, size, root, seq-1, tlog.RecordHash(leaves[seq-1])) != nil {
					t.Fatalf("inclusion of %d in %d: %v", seq, size, err)
				}
			}
		}
		if rep, err := tr.reg.VerifyCheckpoints(tr.auditor, []checkpoint.Checkpoint{before.Checkpoint, now.Checkpoint}); err != nil || !rep.OK {
			t.Fatalf("checkpoints: %+v, %v", rep, err)
		}
	})
}

// TestVerifyCheckpointsOfTheEmptyTree checks a checkpoint of size 0 (what
// an empty log signs) alongside later ones: it matches, and the later
// ones are still checked.
func TestVerifyCheckpointsOfTheEmptyTree(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		tr := newTrail(t, db)
		now, err := tr.reg.GetCheckpoint(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		empty, err := core.FrontierRoot(0, nil)
		if err != nil {
			t.Fatal(err)
		}
		c0 := checkpoint.Checkpoint{Origin: now.Origin, Size: 0, Root: empty}
		t.Run("matches", func(t *testing.T) {
			rep, err := tr.reg.VerifyCheckpoints(tr.auditor, []checkpoint.Checkpoint{c0, now.Checkpoint})
			if err != nil || !rep.OK || rep.CheckpointsChecked != 2 {
				t.Fatalf("report %+v, %v; want OK with 2 checked", rep, err)
			}
		})
		t.Run("a later bad checkpoint is still caught", func(t *testing.T) {
			bad := now.Checkpoint
			bad.Root[0] ^= 1
			rep, err := tr.reg.VerifyCheckpoints(tr.auditor, []checkpoint.Checkpoint{c0, bad})
			if err != nil || rep.OK || rep.FirstBadSize != now.Size {
				t.Fatalf("report %+v, %v; want first bad size %d", rep, err, now.Size)
			}
		})
	})
}
