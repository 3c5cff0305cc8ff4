package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/ent/auditevent"
)

// The audit events are the records of a Merkle tree with RFC 6962 hashing,
// as golang.org/x/mod/sumdb/tlog lays it out: event sequence s is record
// s-1, and its record data is the event's canonical JSON, the bytes its
// chain hash covers. Every hash tlog stores for a record is a row of
// audit_tree_hashes, written in the transaction that appends the event; the
// head keeps the tree's frontier (the hashes of its complete subtrees), so
// an append reads nothing but the head row it already locks.

// EventRecord is the record data of the event at seq: its canonical JSON.
func EventRecord(seq int64, e CanonicalEvent) []byte {
	e.Sequence = seq
	body, err := json.Marshal(e)
	if err != nil {
		panic(err) // a struct of strings always marshals
	}
	return body
}

// LeafHash is the tree's record hash of the event at seq.
func LeafHash(seq int64, e CanonicalEvent) tlog.Hash { return tlog.RecordHash(EventRecord(seq, e)) }

// recordHash is the record hash of the pending event at seq, from its
// precomputed tail: the same bytes as EventRecord.
func (e *PendingEvent) recordHash(seq int64) tlog.Hash {
	if e.Tail == nil {
		e.Tail = e.canonicalTail()
	}
	b := make([]byte, 0, len(seqPrefix)+20+len(e.Tail))
	b = append(b, seqPrefix...)
	b = strconv.AppendInt(b, seq, 10)
	b = append(b, e.Tail...)
	return tlog.RecordHash(b)
}

// StoredHash is one stored hash of the tree: its tlog index and value.
type StoredHash struct {
	Index int64
	Hash  tlog.Hash
}

// FrontierIndexes are the stored-hash indexes of the complete subtrees of
// a tree of size n, largest first: the hashes its root is computed from
// and the only earlier hashes appending to it reads.
func FrontierIndexes(n int64) []int64 {
	var out []int64
	var start int64
	for level := 63; level >= 0; level-- {
		if n&(1<<level) == 0 {
			continue
		}
		out = append(out, tlog.StoredHashIndex(level, start>>level))
		start += 1 << level
	}
	return out
}

// DecodeFrontier checks and splits a frontier as the head stores it: the
// hashes of FrontierIndexes(n), concatenated.
func DecodeFrontier(n int64, b []byte) (map[int64]tlog.Hash, error) {
	idx := FrontierIndexes(n)
	if len(b) != len(idx)*tlog.HashSize {
		return nil, fmt.Errorf("audit tree: the head's frontier holds %d bytes, a tree of %d events needs %d", len(b), n, len(idx)*tlog.HashSize)
	}
	out := make(map[int64]tlog.Hash, len(idx))
	for i, x := range idx {
		var h tlog.Hash
		copy(h[:], b[i*tlog.HashSize:])
		out[x] = h
	}
	return out, nil
}

// TreeAppender extends the audit tree from a known frontier, one record at
// a time, and collects the hashes to store.
type TreeAppender struct {
	size   int64
	hashes map[int64]tlog.Hash
	// Stored are the hashes to write, in index order (consecutive: a
	// tree's stored hashes are numbered in the order they are made).
	Stored []StoredHash
	// DiscardStored keeps Stored empty, for appenders that only compute
	// roots (a verifier reading millions of events).
	DiscardStored bool
}

// NewTreeAppender starts from the tree of size events with the given
// frontier (as the head stores it).
func NewTreeAppender(size int64, frontier []byte) (*TreeAppender, error) {
	known, err := DecodeFrontier(size, frontier)
	if err != nil {
		return nil, err
	}
	return &TreeAppender{size: size, hashes: known}, nil
}

// ReadHashes reads the frontier and the hashes appended so far; appending
// and computing the root need no others.
func (t *TreeAppender) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		h, ok := t.hashes[x]
		if !ok {
			return nil, fmt.Errorf("audit tree: hash %d is not on the frontier", x)
		}
		out[i] = h
	}
	return out, nil
}

// Append adds the record with hash h as record Size().
func (t *TreeAppender) Append(h tlog.Hash) error {
	hs, err := tlog.StoredHashesForRecordHash(t.size, h, t)
	if err != nil {
		return err
	}
	first := tlog.StoredHashIndex(0, t.size)
	for i, h := range hs {
		x := first + int64(i)
		t.hashes[x] = h
		if !t.DiscardStored {
			t.Stored = append(t.Stored, StoredHash{Index: x, Hash: h})
		}
	}
	t.size++
	if len(t.hashes) > 128 { // keep the frontier only
		keep := make(map[int64]tlog.Hash, 64)
		for _, x := range FrontierIndexes(t.size) {
			keep[x] = t.hashes[x]
		}
		t.hashes = keep
	}
	return nil
}

// Size is the tree's size so far.
func (t *TreeAppender) Size() int64 { return t.size }

// Frontier is the frontier of the tree so far, as the head stores it.
func (t *TreeAppender) Frontier() ([]byte, error) {
	idx := FrontierIndexes(t.size)
	hs, err := t.ReadHashes(idx)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(hs)*tlog.HashSize)
	for _, h := range hs {
		out = append(out, h[:]...)
	}
	return out, nil
}

// Root is the tree's hash so far.
func (t *TreeAppender) Root() (tlog.Hash, error) { return tlog.TreeHash(t.size, t) }

// FrontierRoot is the root hash of the tree of size n with the given
// frontier.
func FrontierRoot(n int64, frontier []byte) (tlog.Hash, error) {
	t, err := NewTreeAppender(n, frontier)
	if err != nil {
		return tlog.Hash{}, err
	}
	return t.Root()
}

// ErrTreeBehind is returned by appends to a chain whose older events are
// not yet in the tree: `registryd migrate` hashes them.
var ErrTreeBehind = errors.New("audit tree: events recorded before the tree existed are not hashed yet; run `registryd migrate`")

// HashOlderEvents puts into the tree the events recorded before it existed
// (a database made by an earlier build): with the head locked, it hashes the
// events after the head's tree_size up to its seq and stores their tree
// hashes and the new frontier. It is a no-op once the tree covers the
// chain, and safe to run from several processes at once.
func HashOlderEvents(ctx context.Context, db *ent.Client, postgres bool) (hashed int64, err error) {
	tx, err := db.Tx(ctx)
	if err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	q := &sqlText{pg: postgres}
	q.WriteString("UPDATE audit_heads SET seq = seq WHERE id = ")
	q.arg(AuditHeadID)
	q.WriteString(" RETURNING seq, tree_size, frontier")
	var seq, size int64
	var frontier []byte
	rows, err := tx.QueryContext(ctx, q.String(), q.args...)
	if err != nil {
		return 0, fmt.Errorf("audit head: %w", err)
	}
	if rows.Next() {
		err = rows.Scan(&seq, &size, &frontier)
	} else {
		err = errors.New("audit head: the head row is missing")
	}
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	if size >= seq {
		return 0, tx.Commit()
	}
	tree, err := NewTreeAppender(size, frontier)
	if err != nil {
		return 0, err
	}
	start := size
	for size < seq {
		evs, err := tx.AuditEvent.Query().Where(auditevent.IDGT(size), auditevent.IDLTE(seq)).
			Order(ent.Asc(auditevent.FieldID)).Limit(auditChunk).All(ctx)
		if err != nil {
			return 0, err
		}
		if len(evs) == 0 {
			return 0, fmt.Errorf("audit tree: event %d is missing; the chain does not verify", size+1)
		}
		from := len(tree.Stored)
		for _, e := range evs {
			if e.ID != size+1 {
				return 0, fmt.Errorf("audit tree: event %d is missing; the chain does not verify", size+1)
			}
			if err := tree.Append(LeafHash(e.ID, CanonicalOf(e))); err != nil {
				return 0, err
			}
			size++
		}
		ins := &sqlText{pg: postgres}
		ins.treeHashes(tree.Stored[from:])
		if _, err := tx.ExecContext(ctx, ins.String(), ins.args...); err != nil {
			return 0, fmt.Errorf("audit tree: %w", err)
		}
	}
	up := &sqlText{pg: postgres}
	head, err := tx.AuditHead.Get(ctx, AuditHeadID)
	if err != nil {
		return 0, err
	}
	if err := up.updateHead(head.Hash, tree); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, up.String(), up.args...); err != nil {
		return 0, fmt.Errorf("audit head: %w", err)
	}
	return size - start, tx.Commit()
}
