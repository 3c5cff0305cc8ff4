package audit_test

import (
	"crypto/sha256"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/hangzhou-ai/registry/checkpoint"
	"github.com/hangzhou-ai/registry/ident"
	"github.com/hangzhou-ai/registry/registry"
	"github.com/hangzhou-ai/registry/registry/audit"
	"github.com/hangzhou-ai/registry/registry/enterprise"
	"github.com/hangzhou-ai/registry/registry/registrytest"
	"github.com/hangzhou-ai/registry/store/storetest"
)

// rfc6962Root is the Merkle tree hash of RFC 6962 section 2.1, written
// from the RFC's definition and nothing of tlog's.
func rfc6962Root(leaves [][]byte) [32]byte {
	switch len(leaves) {
	case 0:
		return sha256.Sum256(nil)
	case 1:
		return sha256.Sum256(append([]byte{0}, leaves[0]...))
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	l, r := rfc6962Root(leaves[:k]), rfc6962Root(leaves[k:])
	return sha256.Sum256(append(append([]byte{1}, l[:]...), r[:]...))
}

// canonical is an event's record data as the tree hashes it, rebuilt from
// the fields ListAuditEvents returns.
func canonical(e audit.AuditEvent) []byte {
	return fmt.Appendf(nil, `{"seq":%d,"at":%q,"subject":%q,"org":%q,"role":%q,"action":%q,"entity_type":%q,"entity_id":%q,"before":%q,"after":%q,"reason":%q}`,
		e.Sequence, e.OccurredAt.UTC().Format("2006-01-02T15:04:05.999999999Z07:00"), e.Subject, e.Org, e.Role, e.Action,
		e.EntityType, e.EntityID, e.Before, e.After, e.Reason)
}

// moreEvents registers n more enterprises, one event each.
func moreEvents(t *testing.T, reg *registry.Registry, n int) {
	t.Helper()
	zhang := registry.WithPrincipal(t.Context(), registry.Principal{Subject: "zhang", Org: "bureau:economy-it", Role: "issuer"})
	for i := range n {
		code, err := ident.CompleteCreditCode(fmt.Sprintf("91330106MA2%06d", i+100))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := reg.RegisterEnterprise(zhang, enterprise.NewEnterprise{CreditCode: code, Name: "企业" + code[10:]}); err != nil {
			t.Fatal(err)
		}
	}
}

func allEvents(t *testing.T, tr *trail) []audit.AuditEvent {
	t.Helper()
	var out []audit.AuditEvent
	token := ""
	for {
		page, next, err := tr.reg.ListAuditEvents(tr.auditor, audit.AuditFilter{PageSize: 500, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page...)
		if token = next; token == "" {
			return out
		}
	}
}

func TestAuditTreeProofs(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		tr := newTrail(t, db)
		moreEvents(t, tr.reg, 14)
		events := allEvents(t, tr)
		n := int64(len(events))
		anyone := t.Context() // proofs and checkpoints need no principal

		var leaves [][]byte
		for _, e := range events {
			leaves = append(leaves, canonical(e))
			if want := tlog.RecordHash(leaves[len(leaves)-1]); e.LeafHash != want {
				t.Fatalf("event %d: leaf hash %v, want the record hash of its canonical JSON %v", e.Sequence, e.LeafHash, want)
			}
		}
		t.Run("the checkpoint signs the RFC 6962 root of every event", func(t *testing.T) {
			c, err := tr.reg.GetCheckpoint(anyone)
			if err != nil {
				t.Fatal(err)
			}
			if c.Size != n || c.Root != tlog.Hash(rfc6962Root(leaves)) {
				t.Fatalf("checkpoint of %d events with root %v, want %d and %v", c.Size, c.Root, n, tlog.Hash(rfc6962Root(leaves)))
			}
			opened, err := checkpoint.Open(c.Note, c.VerifierKey)
			if err != nil || opened != c.Checkpoint || opened.Origin != registrytest.CheckpointOrigin {
				t.Fatalf("opened %+v, %v; want %+v", opened, err, c.Checkpoint)
			}
			if _, err := checkpoint.Open([]byte(strings.Replace(string(c.Note), fmt.Sprintf("\n%d\n", n), fmt.Sprintf("\n%d\n", n+1), 1)), c.VerifierKey); err == nil {
				t.Fatal("a checkpoint with its size changed opened")
			}
		})
		t.Run("inclusion of every event in trees of several sizes", func(t *testing.T) {
			for _, size := range []int64{1, 2, 3, 7, 8, 9, n - 1, n} {
				root := tlog.Hash(rfc6962Root(leaves[:size]))
				for seq := int64(1); seq <= size; seq++ {
					p, err := tr.reg.GetInclusionProof(anyone, seq, size)
					if err != nil {
						t.Fatal(err)
					}
					if p.Root != root || p.Leaf != tlog.RecordHash(leaves[seq-1]) {
						t.Fatalf("seq %d in %d: root %v leaf %v", seq, size, p.Root, p.Leaf)
					}
					if err := tlog.CheckRecord(p.Proof, size, root, seq-1, p.Leaf); err != nil {
						t.Fatalf("seq %d in %d: %v", seq, size, err)
					}
					if seq > 1 && tlog.CheckRecord(p.Proof, size, root, seq-2, p.Leaf) == nil {
						t.Fatalf("seq %d's proof also proves seq %d", seq, seq-1)
					}
				}
			}
		})
		t.Run("consistency between every pair of sizes", func(t *testing.T) {
			for old := int64(1); old <= n; old++ {
				for _, size := range []int64{old, (old + n) / 2, n} {
					p, err := tr.reg.GetConsistencyProof(anyone, old, size)
					if err != nil {
						t.Fatal(err)
					}
					oldRoot, newRoot := tlog.Hash(rfc6962Root(leaves[:old])), tlog.Hash(rfc6962Root(leaves[:size]))
					if p.OldRoot != oldRoot || p.NewRoot != newRoot {
						t.Fatalf("%d→%d: roots %v %v", old, size, p.OldRoot, p.NewRoot)
					}
					if err := tlog.CheckTree(p.Proof, size, newRoot, old, oldRoot); err != nil {
						t.Fatalf("%d→%d: %v", old, size, err)
					}
				}
			}
		})
		t.Run("bad sizes name their field", func(t *testing.T) {
			cases := []struct {
				name  string
				call  func() error
				field string
			}{
				{"sequence 0", func() error { _, err := tr.reg.GetInclusionProof(anyone, 0, 0); return err }, "sequence"},
				{"sequence past the tree", func() error { _, err := tr.reg.GetInclusionProof(anyone, 5, 4); return err }, "sequence"},
				{"tree past the log", func() error { _, err := tr.reg.GetInclusionProof(anyone, 1, n+1); return err }, "tree_size"},
				{"negative tree", func() error { _, err := tr.reg.GetInclusionProof(anyone, 1, -1); return err }, "tree_size"},
				{"old size 0", func() error { _, err := tr.reg.GetConsistencyProof(anyone, 0, n); return err }, "old_size"},
				{"old past new", func() error { _, err := tr.reg.GetConsistencyProof(anyone, 5, 4); return err }, "old_size"},
				{"new past the log", func() error { _, err := tr.reg.GetConsistencyProof(anyone, 1, n+1); return err }, "new_size"},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) { registrytest.Check(t, c.call(), registry.KindInvalidArgument, c.field) })
			}
		})
	})
}

// TestCheckpointsCatchRewrites tampers with a log the way someone with
// write access to the database would, resealing the chain and the tree so
// that VerifyAuditChain answers ok, and checks that a checkpoint signed
// before tells.
func TestCheckpointsCatchRewrites(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		cases := []struct {
			name   string
			tamper func(t *testing.T, tr *trail, conn execer, saved int64)
			// bad is the first bad checkpoint size, given the sizes
			// saved (4, then saved).
			bad func(saved int64) int64
		}{
			{"an actor edited", func(t *testing.T, tr *trail, conn execer, saved int64) {
				conn.exec(t, "UPDATE audit_events SET actor_subject = ? WHERE id = ?", "someone-else", 6)
			}, func(saved int64) int64 { return saved }},
			{"an early event edited", func(t *testing.T, tr *trail, conn execer, saved int64) {
				conn.exec(t, "UPDATE audit_events SET reason = ? WHERE id = ?", "篡改", 2)
			}, func(int64) int64 { return 4 }},
			{"the last three events deleted", func(t *testing.T, tr *trail, conn execer, saved int64) {
				conn.exec(t, "DELETE FROM audit_events WHERE id > ?", saved-3)
			}, func(saved int64) int64 { return saved }},
			{"an event inserted", func(t *testing.T, tr *trail, conn execer, saved int64) {
				// Move events 5… up by one and copy event 4 into 5.
				conn.exec(t, "UPDATE audit_events SET id = id + 1000000 WHERE id >= ?", 5)
				conn.exec(t, "UPDATE audit_events SET id = id - 999999 WHERE id >= ?", 1000000)
				conn.exec(t, `INSERT INTO audit_events (id, occurred_at, actor_subject, actor_org, actor_role, action, entity_type, entity_id, "before", "after", reason, prev_hash, hash, owner_org)
					SELECT 5, occurred_at, actor_subject, actor_org, actor_role, action, entity_type, entity_id, "before", "after", reason, prev_hash, hash, owner_org FROM audit_events WHERE id = 4`)
			}, func(saved int64) int64 { return saved }},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				db := fresh(t, db)
				tr := newTrail(t, db)
				moreEvents(t, tr.reg, 6)
				conn := execer{storetest.OpenSQL(t, db), db}
				var saved []checkpoint.Checkpoint
				// A checkpoint at 4 events, as if saved then.
				c4, err := tr.reg.GetInclusionProof(t.Context(), 1, 4)
				if err != nil {
					t.Fatal(err)
				}
				saved = append(saved, checkpoint.Checkpoint{Origin: registrytest.CheckpointOrigin, Size: 4, Root: c4.Root})
				now, err := tr.reg.GetCheckpoint(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				saved = append(saved, now.Checkpoint)
				if rep, err := tr.reg.VerifyCheckpoints(tr.auditor, saved); err != nil || !rep.OK || rep.CheckpointsChecked != 2 {
					t.Fatalf("before tampering: %+v, %v", rep, err)
				}
				c.tamper(t, tr, conn, now.Size)
				registrytest.ResealAuditLog(t, tr.reg)
				if rep, err := tr.reg.VerifyAuditChain(tr.auditor); err != nil || !rep.OK {
					t.Fatalf("the resealed chain verifies no more (%+v, %v): the test tampers badly", rep, err)
				}
				rep, err := tr.reg.VerifyCheckpoints(tr.auditor, saved)
				if err != nil {
					t.Fatal(err)
				}
				if rep.OK || rep.FirstBadSize != c.bad(now.Size) || rep.Problem == "" {
					t.Fatalf("report %+v, want first bad size %d", rep, c.bad(now.Size))
				}
				// The log no longer extends the saved checkpoint: no
				// consistency proof from it checks.
				last := saved[len(saved)-1]
				if cur, err := tr.reg.GetCheckpoint(t.Context()); err == nil && cur.Size >= last.Size {
					p, err := tr.reg.GetConsistencyProof(t.Context(), last.Size, cur.Size)
					if err == nil && tlog.CheckTree(p.Proof, cur.Size, cur.Root, last.Size, last.Root) == nil {
						t.Fatal("the rewritten log proves itself consistent with the checkpoint signed before")
					}
				}
			})
		}
		t.Run("the auditor alone may check", func(t *testing.T) {
			tr := newTrail(t, fresh(t, db))
			_, err := tr.reg.VerifyCheckpoints(registrytest.As(t.Context(), "issuer", "bureau:economy-it"), nil)
			registrytest.Check(t, err, registry.KindPermissionDenied)
		})
	})
}

// TestAuditTreeChecks: VerifyAuditChain also recomputes the tree, so an
// edit that reseals the chain but not the tree, or the tree alone, fails.
func TestAuditTreeChecks(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		cases := []struct {
			name   string
			tamper func(t *testing.T, conn execer)
			badSeq int64
		}{
			{"a stored leaf hash", func(t *testing.T, conn execer) {
				conn.exec(t, "UPDATE audit_tree_hashes SET hash = ? WHERE id = ?", make([]byte, 32), tlog.StoredHashIndex(0, 2))
			}, 3},
			{"a stored inner hash", func(t *testing.T, conn execer) {
				conn.exec(t, "UPDATE audit_tree_hashes SET hash = ? WHERE id = ?", make([]byte, 32), tlog.StoredHashIndex(1, 1))
			}, 4},
			{"a stored hash deleted", func(t *testing.T, conn execer) {
				conn.exec(t, "DELETE FROM audit_tree_hashes WHERE id = ?", tlog.StoredHashIndex(0, 3))
			}, 4},
			{"the head's frontier", func(t *testing.T, conn execer) {
				conn.exec(t, "UPDATE audit_heads SET frontier = ? WHERE id = 1", make([]byte, 32))
			}, 0},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				db := fresh(t, db)
				tr := newTrail(t, db)
				conn := execer{storetest.OpenSQL(t, db), db}
				c.tamper(t, conn)
				rep, err := tr.reg.VerifyAuditChain(tr.auditor)
				if err != nil {
					t.Fatal(err)
				}
				if rep.OK || rep.Problem == "" || (c.badSeq != 0 && rep.FirstBadSequence != c.badSeq) {
					t.Fatalf("report %+v, want a failure at %d", rep, c.badSeq)
				}
			})
		}
	})
}

// TestOlderEventsHashedByMigrate: a database whose events predate the tree
// gets them hashed by Migrate, to the same root.
func TestOlderEventsHashedByMigrate(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		tr := newTrail(t, db)
		moreEvents(t, tr.reg, 5)
		before, err := tr.reg.GetCheckpoint(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		conn := execer{storetest.OpenSQL(t, db), db}
		conn.exec(t, "DELETE FROM audit_tree_hashes WHERE id >= ?", 0)
		conn.exec(t, "UPDATE audit_heads SET tree_size = 0, frontier = NULL WHERE id = 1")
		if _, err := tr.reg.GetCheckpoint(t.Context()); err == nil {
			t.Fatal("a checkpoint was signed over a tree that covers none of the events")
		}
		moreEventsFail := registry.WithPrincipal(t.Context(), registry.Principal{Subject: "zhang", Org: "bureau:economy-it", Role: "issuer"})
		code, _ := ident.CompleteCreditCode("91330106MA2999990")
		if _, err := tr.reg.RegisterEnterprise(moreEventsFail, enterprise.NewEnterprise{CreditCode: code, Name: "后来"}); err == nil {
			t.Fatal("an event was appended to a chain whose tree is behind")
		}
		if _, err := registry.Migrate(t.Context(), db.URL); err != nil {
			t.Fatal(err)
		}
		after, err := tr.reg.GetCheckpoint(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if after.Checkpoint != before.Checkpoint {
			t.Fatalf("after migrate %+v, before %+v", after.Checkpoint, before.Checkpoint)
		}
		if rep, err := tr.reg.VerifyAuditChain(tr.auditor); err != nil || !rep.OK {
			t.Fatalf("%+v, %v", rep, err)
		}
	})
}

// execer runs statements with ? placeholders.
type execer struct {
	conn *sql.DB
	db   storetest.Database
}

func (e execer) exec(t *testing.T, query string, args ...any) {
	t.Helper()
	res, err := e.conn.Exec(storetest.Rebind(e.db, query), args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		t.Fatalf("%s changed no row", query)
	}
}

// fresh is a new empty database of db's kind.
func fresh(t *testing.T, db storetest.Database) storetest.Database {
	if db.Name == "postgres" {
		return storetest.Postgres(t)
	}
	return storetest.SQLite(t)
}
