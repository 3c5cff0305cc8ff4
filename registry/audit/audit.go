package audit

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/hangzhou-ai/registry/authz"
	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/ent/auditevent"
	"github.com/hangzhou-ai/registry/ent/audittreehash"
	"github.com/hangzhou-ai/registry/registry/internal/core"
)

// AuditEvent is one link of the audit chain.
type AuditEvent struct {
	Sequence   int64
	OccurredAt time.Time
	Subject    string
	Org        string
	Role       string
	Action     string
	EntityType string
	EntityID   string
	Before     string
	After      string
	Reason     string
	PrevHash   string
	Hash       string
	// LeafHash is the event's record hash in the audit tree.
	LeafHash tlog.Hash
}

// AuditFilter selects audit events; zero fields match everything.
type AuditFilter struct {
	// Entity is "type" or "type:id".
	Entity string
	Actor  string
	// Since keeps events that occurred at or after it. An event's time is
	// when its change was made; its sequence is when it committed, so a
	// long transaction's (an import's) events may follow later ones'
	// times: to follow the trail, page by sequence (PageToken), not by
	// Since.
	Since     time.Time
	PageSize  int
	PageToken string
}

// ListAuditEvents pages through the audit trail in sequence order.
func (r *Trail) ListAuditEvents(ctx context.Context, f AuditFilter) ([]AuditEvent, string, error) {
	p, err := core.PrincipalOf(ctx)
	if err != nil {
		return nil, "", err
	}
	if err := r.Authorize(p, authz.ObjAudit, authz.ActRead); err != nil {
		return nil, "", err
	}
	v := &core.Violations{}
	f.Entity = core.CleanText(v, "entity", f.Entity, core.MaxQueryLen, false)
	f.Actor = core.CleanText(v, "actor", f.Actor, core.MaxNameLen, false)
	size := core.PageSize(v, f.PageSize)
	after := core.DecodeIntPageToken(r.Secrets, v, f.PageToken)
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	q := r.DB.AuditEvent.Query().Where(auditevent.IDGT(after))
	if f.Entity != "" {
		typ, id, hasID := strings.Cut(f.Entity, ":")
		q = q.Where(auditevent.EntityType(typ))
		if hasID {
			q = q.Where(auditevent.EntityID(id))
		}
	}
	if f.Actor != "" {
		q = q.Where(auditevent.ActorSubject(f.Actor))
	}
	if !f.Since.IsZero() {
		q = q.Where(auditevent.OccurredAtGTE(f.Since))
	}
	rows, err := q.Order(ent.Asc(auditevent.FieldID)).Limit(size + 1).All(ctx)
	if err != nil {
		return nil, "", err
	}
	rows, next := core.TrimPage(r.Secrets, rows, size, func(e *ent.AuditEvent) string { return strconv.FormatInt(e.ID, 10) })
	out := make([]AuditEvent, len(rows))
	for i, e := range rows {
		out[i] = AuditEvent{
			Sequence: e.ID, OccurredAt: e.OccurredAt, Subject: e.ActorSubject, Org: e.ActorOrg, Role: e.ActorRole,
			Action: e.Action, EntityType: e.EntityType, EntityID: e.EntityID, Before: e.Before, After: e.After,
			Reason: e.Reason, PrevHash: e.PrevHash, Hash: e.Hash, LeafHash: core.LeafHash(e.ID, core.CanonicalOf(e)),
		}
	}
	return out, next, nil
}

// ChainReport is the result of verifying the audit chain.
type ChainReport struct {
	OK               bool
	EventsChecked    int64
	FirstBadSequence int64
	Problem          string
}

// VerifyAuditChain recomputes the chain from the first event and compares
// it with the head. An edited event fails at its own sequence, a deleted or
// inserted one at the first sequence out of place.
func (r *Trail) VerifyAuditChain(ctx context.Context) (ChainReport, error) {
	p, err := core.PrincipalOf(ctx)
	if err != nil {
		return ChainReport{}, err
	}
	if err := r.Authorize(p, authz.ObjAudit, authz.ActRead); err != nil {
		return ChainReport{}, err
	}
	return r.verifyChain(ctx)
}

func (r *Trail) verifyChain(ctx context.Context) (ChainReport, error) {
	var rep ChainReport
	prev := ""
	var last int64
	tree, err := core.NewTreeAppender(0, nil)
	if err != nil {
		return rep, err
	}
	stored := r.storedHashes(ctx)
	err = r.eachEvent(ctx, func(seq int64, e core.CanonicalEvent, prevHash, hash string) (bool, error) {
		want := last + 1
		switch {
		case seq != want:
			rep = bad(rep, want, fmt.Sprintf("event %d is missing", want))
			return false, nil
		case prevHash != prev:
			rep = bad(rep, seq, "previous hash does not match")
			return false, nil
		case core.ChainHash(prev, e) != hash:
			rep = bad(rep, seq, "event content does not match its hash")
			return false, nil
		}
		if err := tree.Append(core.LeafHash(seq, e)); err != nil {
			return false, err
		}
		for _, h := range tree.Stored {
			got, err := stored(h.Index)
			if err != nil {
				return false, err
			}
			if got != h.Hash {
				rep = bad(rep, seq, "the audit tree's stored hashes do not match the events")
				return false, nil
			}
		}
		tree.Stored = tree.Stored[:0]
		prev, last = hash, seq
		rep.EventsChecked++
		return true, nil
	})
	if err != nil || rep.Problem != "" {
		return rep, err
	}
	head, err := r.DB.AuditHead.Get(ctx, core.AuditHeadID)
	if err != nil {
		return rep, err
	}
	switch {
	case head.Seq < last:
		return bad(rep, head.Seq+1, fmt.Sprintf("events after %d are not recorded in the head", head.Seq)), nil
	case head.Seq > last:
		return bad(rep, last+1, fmt.Sprintf("chain ends at %d but the head records %d", last, head.Seq)), nil
	case head.Hash != prev:
		return bad(rep, last, "the last event's hash differs from the head's"), nil
	case head.TreeSize != last:
		return bad(rep, min(head.TreeSize, last)+1, fmt.Sprintf("the head's tree covers %d events, the chain holds %d", head.TreeSize, last)), nil
	}
	if frontier, err := tree.Frontier(); err != nil || !bytes.Equal(frontier, head.Frontier) {
		return bad(rep, last, "the head's tree frontier does not match the events"), nil
	}
	if more, err := r.DB.AuditTreeHash.Query().Where(audittreehash.IDGTE(tlog.StoredHashCount(last))).Exist(ctx); err != nil {
		return rep, err
	} else if more {
		return bad(rep, last+1, "the audit tree holds hashes of events that are not in the chain"), nil
	}
	rep.OK = true
	return rep, nil
}

// eachEvent calls fn with every event in sequence order, read in batches,
// until fn returns false or an error.
func (r *Trail) eachEvent(ctx context.Context, fn func(seq int64, e core.CanonicalEvent, prevHash, hash string) (bool, error)) error {
	const batch = 1000
	var last int64
	for {
		rows, err := r.DB.AuditEvent.Query().Where(auditevent.IDGT(last)).
			Order(ent.Asc(auditevent.FieldID)).Limit(batch).All(ctx)
		if err != nil {
			return err
		}
		for _, e := range rows {
			more, err := fn(e.ID, core.CanonicalOf(e), e.PrevHash, e.Hash)
			if err != nil || !more {
				return err
			}
			last = e.ID
		}
		if len(rows) < batch {
			return nil
		}
	}
}

// storedHashes reads the stored tree hashes in index order, in batches:
// the returned function must be called with consecutive indexes from 0.
func (r *Trail) storedHashes(ctx context.Context) func(index int64) (tlog.Hash, error) {
	const batch = 2000
	var buf []*ent.AuditTreeHash
	var next int64
	return func(index int64) (tlog.Hash, error) {
		if len(buf) == 0 {
			rows, err := r.DB.AuditTreeHash.Query().Where(audittreehash.IDGTE(index)).
				Order(ent.Asc(audittreehash.FieldID)).Limit(batch).All(ctx)
			if err != nil {
				return tlog.Hash{}, err
			}
			buf = rows
		}
		var h tlog.Hash
		if len(buf) == 0 || buf[0].ID != index || index != next || len(buf[0].Hash) != tlog.HashSize {
			return h, nil // the zero hash: missing, never equal to a real one
		}
		copy(h[:], buf[0].Hash)
		buf, next = buf[1:], next+1
		return h, nil
	}
}

func bad(rep ChainReport, seq int64, problem string) ChainReport {
	rep.FirstBadSequence, rep.Problem = seq, problem
	return rep
}
