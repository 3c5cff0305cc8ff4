package audit

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hangzhou-ai/registry/authz"
	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/ent/auditevent"
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
			Reason: e.Reason, PrevHash: e.PrevHash, Hash: e.Hash,
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
	const batch = 1000
	var rep ChainReport
	prev := ""
	var last int64
	for {
		rows, err := r.DB.AuditEvent.Query().Where(auditevent.IDGT(last)).
			Order(ent.Asc(auditevent.FieldID)).Limit(batch).All(ctx)
		if err != nil {
			return rep, err
		}
		for _, e := range rows {
			want := last + 1
			switch {
			case e.ID != want:
				return bad(rep, want, fmt.Sprintf("event %d is missing", want)), nil
			case e.PrevHash != prev:
				return bad(rep, e.ID, "previous hash does not match"), nil
			case core.ChainHash(prev, core.CanonicalOf(e)) != e.Hash:
				return bad(rep, e.ID, "event content does not match its hash"), nil
			}
			prev, last = e.Hash, e.ID
			rep.EventsChecked++
		}
		if len(rows) < batch {
			break
		}
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
	}
	rep.OK = true
	return rep, nil
}

func bad(rep ChainReport, seq int64, problem string) ChainReport {
	rep.FirstBadSequence, rep.Problem = seq, problem
	return rep
}
