package audit

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/hangzhou-ai/registry/authz"
	"github.com/hangzhou-ai/registry/checkpoint"
	"github.com/hangzhou-ai/registry/ent/audittreehash"
	"github.com/hangzhou-ai/registry/registry/internal/core"
)

// SignedCheckpoint is the log's checkpoint now, signed.
type SignedCheckpoint struct {
	checkpoint.Checkpoint
	// Note is the signed note, as /.well-known/registry/checkpoint serves it.
	Note        []byte
	VerifierKey string
}

// TreeHead reads the size and root hash of the audit tree as committed now.
func (r *Trail) TreeHead(ctx context.Context) (size int64, root tlog.Hash, err error) {
	head, err := r.DB.AuditHead.Get(ctx, core.AuditHeadID)
	if err != nil {
		return 0, tlog.Hash{}, err
	}
	if head.TreeSize != head.Seq {
		return 0, tlog.Hash{}, core.ErrTreeBehind
	}
	root, err = core.FrontierRoot(head.TreeSize, head.Frontier)
	return head.TreeSize, root, err
}

// GetCheckpoint signs the tree head as committed now. Anyone may ask: a
// checkpoint holds hashes only. Without a checkpoint key the answer is
// KindFailedPrecondition.
func (r *Trail) GetCheckpoint(ctx context.Context) (SignedCheckpoint, error) {
	if r.Checkpoints == nil {
		return SignedCheckpoint{}, core.NewError(core.KindFailedPrecondition, "this registry signs no checkpoints: it was started without a checkpoint key")
	}
	size, root, err := r.TreeHead(ctx)
	if err != nil {
		return SignedCheckpoint{}, err
	}
	signed, err := r.Checkpoints.Sign(size, root)
	if err != nil {
		return SignedCheckpoint{}, fmt.Errorf("checkpoint: %w", err)
	}
	return SignedCheckpoint{
		Checkpoint:  checkpoint.Checkpoint{Origin: r.Checkpoints.Origin(), Size: size, Root: root},
		Note:        signed,
		VerifierKey: r.Checkpoints.VerifierKey(),
	}, nil
}

// InclusionProof proves that an event is among the first TreeSize.
type InclusionProof struct {
	Sequence, TreeSize int64
	// Leaf is the event's record hash; Root the tree's at TreeSize.
	Leaf, Root tlog.Hash
	// Proof checks with tlog.CheckRecord(Proof, TreeSize, Root, Sequence-1, Leaf).
	Proof tlog.RecordProof
}

// GetInclusionProof proves that the event with sequence seq is in the tree
// of treeSize events (0: the tree now). Anyone may ask.
func (r *Trail) GetInclusionProof(ctx context.Context, seq, treeSize int64) (InclusionProof, error) {
	size, err := r.proofSize(ctx, "tree_size", treeSize)
	if err != nil {
		return InclusionProof{}, err
	}
	v := &core.Violations{}
	switch {
	case seq < 1:
		v.Add("sequence", "must be at least 1")
	case seq > size:
		v.Add("sequence", fmt.Sprintf("must be at most the tree size, %d", size))
	}
	if err := v.Err(); err != nil {
		return InclusionProof{}, err
	}
	hr := r.hashReader(ctx)
	leaf, err := hr.ReadHashes([]int64{tlog.StoredHashIndex(0, seq-1)})
	if err != nil {
		return InclusionProof{}, err
	}
	root, err := tlog.TreeHash(size, hr)
	if err != nil {
		return InclusionProof{}, err
	}
	proof, err := tlog.ProveRecord(size, seq-1, hr)
	if err != nil {
		return InclusionProof{}, fmt.Errorf("inclusion proof: %w", err)
	}
	return InclusionProof{Sequence: seq, TreeSize: size, Leaf: leaf[0], Root: root, Proof: proof}, nil
}

// ConsistencyProof proves that the tree of OldSize events is a prefix of
// the tree of NewSize.
type ConsistencyProof struct {
	OldSize, NewSize int64
	OldRoot, NewRoot tlog.Hash
	// Proof checks with tlog.CheckTree(Proof, NewSize, NewRoot, OldSize, OldRoot).
	Proof tlog.TreeProof
}

// GetConsistencyProof proves that the tree of oldSize events is a prefix
// of the tree of newSize events (0: the tree now). Anyone may ask.
func (r *Trail) GetConsistencyProof(ctx context.Context, oldSize, newSize int64) (ConsistencyProof, error) {
	size, err := r.proofSize(ctx, "new_size", newSize)
	if err != nil {
		return ConsistencyProof{}, err
	}
	v := &core.Violations{}
	switch {
	case oldSize < 1:
		v.Add("old_size", "must be at least 1")
	case oldSize > size:
		v.Add("old_size", fmt.Sprintf("must be at most the new size, %d", size))
	}
	if err := v.Err(); err != nil {
		return ConsistencyProof{}, err
	}
	hr := r.hashReader(ctx)
	oldRoot, err := tlog.TreeHash(oldSize, hr)
	if err != nil {
		return ConsistencyProof{}, err
	}
	newRoot, err := tlog.TreeHash(size, hr)
	if err != nil {
		return ConsistencyProof{}, err
	}
	proof, err := tlog.ProveTree(size, oldSize, hr)
	if err != nil {
		return ConsistencyProof{}, fmt.Errorf("consistency proof: %w", err)
	}
	return ConsistencyProof{OldSize: oldSize, NewSize: size, OldRoot: oldRoot, NewRoot: newRoot, Proof: proof}, nil
}

// proofSize checks a requested tree size against the tree now; 0 is the
// tree now.
func (r *Trail) proofSize(ctx context.Context, field string, want int64) (int64, error) {
	size, _, err := r.TreeHead(ctx)
	if err != nil {
		return 0, err
	}
	v := &core.Violations{}
	switch {
	case want < 0:
		v.Add(field, "must not be negative")
	case want > size:
		v.Add(field, fmt.Sprintf("must be at most the log's size, %d", size))
	case want == 0 && size == 0:
		v.Add(field, "the log is empty")
	}
	if err := v.Err(); err != nil {
		return 0, err
	}
	if want == 0 {
		return size, nil
	}
	return want, nil
}

// hashReader reads stored tree hashes from the database, in one query per
// call.
func (r *Trail) hashReader(ctx context.Context) tlog.HashReader {
	return tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		rows, err := r.DB.AuditTreeHash.Query().Where(audittreehash.IDIn(indexes...)).All(ctx)
		if err != nil {
			return nil, err
		}
		byIndex := make(map[int64][]byte, len(rows))
		for _, row := range rows {
			byIndex[row.ID] = row.Hash
		}
		out := make([]tlog.Hash, len(indexes))
		for i, x := range indexes {
			h, ok := byIndex[x]
			if !ok || len(h) != tlog.HashSize {
				return nil, fmt.Errorf("audit tree: stored hash %d is missing", x)
			}
			copy(out[i][:], h)
		}
		return out, nil
	})
}

// CheckpointReport is the result of checking the log against checkpoints
// saved earlier.
type CheckpointReport struct {
	OK bool
	// EventsChecked is how many events were hashed again.
	EventsChecked int64
	// CheckpointsChecked is how many checkpoints matched.
	CheckpointsChecked int
	// FirstBadSize is the smallest checkpoint size the log no longer
	// matches (0 when OK): events up to it were rewritten, inserted,
	// removed or truncated since the checkpoint was signed.
	FirstBadSize int64
	Problem      string
}

// VerifyCheckpoints recomputes the tree from the events themselves (not
// from the stored tree hashes) and compares its root at each checkpoint's
// size with the checkpoint's. The checkpoints' signatures are the caller's
// to check (checkpoint.Open); their origin must be this log's when it has
// a checkpoint key. Auditors only.
func (r *Trail) VerifyCheckpoints(ctx context.Context, cps []checkpoint.Checkpoint) (CheckpointReport, error) {
	p, err := core.PrincipalOf(ctx)
	if err != nil {
		return CheckpointReport{}, err
	}
	if err := r.Authorize(p, authz.ObjAudit, authz.ActRead); err != nil {
		return CheckpointReport{}, err
	}
	cps = slices.Clone(cps)
	slices.SortFunc(cps, func(a, b checkpoint.Checkpoint) int { return cmp.Compare(a.Size, b.Size) })
	var rep CheckpointReport
	if r.Checkpoints != nil {
		for _, c := range cps {
			if c.Origin != r.Checkpoints.Origin() {
				rep.FirstBadSize, rep.Problem = c.Size, fmt.Sprintf("the checkpoint of size %d is of log %q, not this log %q", c.Size, c.Origin, r.Checkpoints.Origin())
				return rep, nil
			}
		}
	}
	tree, err := core.NewTreeAppender(0, nil)
	if err != nil {
		return rep, err
	}
	tree.DiscardStored = true
	next := 0
	check := func() (bool, error) {
		for next < len(cps) && cps[next].Size == tree.Size() {
			root, err := tree.Root()
			if err != nil {
				return false, err
			}
			if root != cps[next].Root {
				rep.FirstBadSize = cps[next].Size
				rep.Problem = fmt.Sprintf("the first %d events no longer hash to the checkpoint's root: events at or before %d were changed, inserted or removed", cps[next].Size, cps[next].Size)
				return false, nil
			}
			rep.CheckpointsChecked++
			next++
		}
		return true, nil
	}
	if ok, err := check(); err != nil || !ok { // checkpoints of size 0
		return rep, err
	}
	err = r.eachEvent(ctx, func(seq int64, e core.CanonicalEvent, _, _ string) (bool, error) {
		if next == len(cps) {
			return false, nil // every checkpoint matched; later events are not theirs
		}
		if seq != tree.Size()+1 {
			rep.FirstBadSize = cpAtOrAfter(cps, next, tree.Size()+1)
			rep.Problem = fmt.Sprintf("event %d is missing", tree.Size()+1)
			return false, nil
		}
		if err := tree.Append(core.LeafHash(seq, e)); err != nil {
			return false, err
		}
		rep.EventsChecked++
		return check()
	})
	if err != nil || rep.Problem != "" {
		return rep, err
	}
	if next < len(cps) {
		rep.FirstBadSize = cps[next].Size
		rep.Problem = fmt.Sprintf("the log holds %d events, fewer than the checkpoint's %d: it was truncated", tree.Size(), cps[next].Size)
		return rep, nil
	}
	rep.OK = true
	return rep, nil
}

// cpAtOrAfter is the size of the first checkpoint from index next with
// size at least n, or n when none is.
func cpAtOrAfter(cps []checkpoint.Checkpoint, next int, n int64) int64 {
	for _, c := range cps[next:] {
		if c.Size >= n {
			return c.Size
		}
	}
	return n
}
