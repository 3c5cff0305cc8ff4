package registrytest

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/ent/auditevent"
	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/internal/core"
)

// ResealAuditLog does what an attacker with write access to the database
// would after editing, inserting or deleting audit events (numbered 1…n
// again): it recomputes every event's chain hashes, rewrites the stored
// tree hashes and moves the head, so that the database alone is
// consistent again and VerifyAuditChain answers ok. Only a checkpoint
// signed before the edit can tell.
func ResealAuditLog(t testing.TB, reg *registry.Registry) {
	t.Helper()
	ctx := context.Background()
	exec := func(q string, args ...any) {
		t.Helper()
		if reg.Postgres() {
			for i := 1; strings.Contains(q, "?"); i++ {
				q = strings.Replace(q, "?", "$"+strconv.Itoa(i), 1)
			}
		}
		if _, err := reg.DB.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("reseal: %s: %v", q, err)
		}
	}
	events, err := reg.DB.AuditEvent.Query().Order(ent.Asc(auditevent.FieldID)).All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tree, err := core.NewTreeAppender(0, nil)
	if err != nil {
		t.Fatal(err)
	}
	prev := ""
	for i, e := range events {
		if e.ID != int64(i+1) {
			t.Fatalf("reseal: events must be numbered 1…n; event %d is numbered %d", i+1, e.ID)
		}
		c := core.CanonicalOf(e)
		hash := core.ChainHash(prev, c)
		exec("UPDATE audit_events SET prev_hash = ?, hash = ? WHERE id = ?", prev, hash, e.ID)
		if err := tree.Append(core.LeafHash(e.ID, c)); err != nil {
			t.Fatal(err)
		}
		prev = hash
	}
	exec("DELETE FROM audit_tree_hashes")
	for _, h := range tree.Stored {
		exec("INSERT INTO audit_tree_hashes (id, hash) VALUES (?, ?)", h.Index, h.Hash[:])
	}
	frontier, err := tree.Frontier()
	if err != nil {
		t.Fatal(err)
	}
	exec("UPDATE audit_heads SET seq = ?, hash = ?, tree_size = ?, frontier = ? WHERE id = ?", tree.Size(), prev, tree.Size(), frontier, core.AuditHeadID)
}
