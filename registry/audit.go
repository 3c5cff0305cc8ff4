package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hangzhou-ai/registry/authz"
	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/ent/auditevent"
)

const auditHeadID = 1

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

// change describes a mutation to record.
type change struct {
	action     string
	entityType string
	entityID   string
	before     any // nil, or a value marshalled to JSON
	after      any
	reason     string
}

// canonicalEvent is the exact byte form that is hashed: fields in fixed
// order, time in UTC with microseconds.
type canonicalEvent struct {
	Sequence   int64  `json:"seq"`
	OccurredAt string `json:"at"`
	Subject    string `json:"subject"`
	Org        string `json:"org"`
	Role       string `json:"role"`
	Action     string `json:"action"`
	EntityType string `json:"entity_type"`
	EntityID   string `json:"entity_id"`
	Before     string `json:"before"`
	After      string `json:"after"`
	Reason     string `json:"reason"`
}

func chainHash(prevHash string, e canonicalEvent) string {
	body, err := json.Marshal(e)
	if err != nil {
		panic(err) // a struct of strings always marshals
	}
	h := sha256.New()
	h.Write([]byte(prevHash))
	h.Write([]byte{'\n'})
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

func canonicalOf(e *ent.AuditEvent) canonicalEvent {
	return canonicalEvent{
		Sequence: e.ID, OccurredAt: e.OccurredAt.UTC().Format(time.RFC3339Nano),
		Subject: e.ActorSubject, Org: e.ActorOrg, Role: e.ActorRole, Action: e.Action,
		EntityType: e.EntityType, EntityID: e.EntityID, Before: e.Before, After: e.After, Reason: e.Reason,
	}
}

func jsonText(v any) (string, error) {
	if v == nil {
		return "", nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// record appends c to the audit chain inside tx.
func (r *Registry) record(ctx context.Context, tx *ent.Tx, p Principal, c change) error {
	return r.recordAll(ctx, tx, p, []change{c})
}

// recordAll appends changes to the audit chain inside tx, in order.
// Updating the head row first locks it, so concurrent writers (in this
// process or another) append one transaction at a time, in commit order;
// the events are then inserted with one multi-row statement per chunk.
func (r *Registry) recordAll(ctx context.Context, tx *ent.Tx, p Principal, changes []change) error {
	if len(changes) == 0 {
		return nil
	}
	head, err := tx.AuditHead.UpdateOneID(auditHeadID).AddSeq(int64(len(changes))).Save(ctx)
	if err != nil {
		return fmt.Errorf("audit head: %w", err)
	}
	prev, seq, at := head.Hash, head.Seq-int64(len(changes)), r.now()
	builders := make([]*ent.AuditEventCreate, 0, min(len(changes), auditChunk))
	flush := func() error {
		if len(builders) == 0 {
			return nil
		}
		err := tx.AuditEvent.CreateBulk(builders...).Exec(ctx)
		builders = builders[:0]
		return err
	}
	for _, c := range changes {
		before, err := jsonText(c.before)
		if err != nil {
			return err
		}
		after, err := jsonText(c.after)
		if err != nil {
			return err
		}
		seq++
		ev := &ent.AuditEvent{
			ID: seq, OccurredAt: at, ActorSubject: p.Subject, ActorOrg: p.Org, ActorRole: p.Role,
			Action: c.action, EntityType: c.entityType, EntityID: c.entityID, Before: before, After: after, Reason: c.reason,
			PrevHash: prev,
		}
		ev.Hash = chainHash(prev, canonicalOf(ev))
		prev = ev.Hash
		builders = append(builders, tx.AuditEvent.Create().SetID(ev.ID).SetOccurredAt(ev.OccurredAt).
			SetActorSubject(ev.ActorSubject).SetActorOrg(ev.ActorOrg).SetActorRole(ev.ActorRole).
			SetAction(ev.Action).SetEntityType(ev.EntityType).SetEntityID(ev.EntityID).
			SetBefore(ev.Before).SetAfter(ev.After).SetReason(ev.Reason).
			SetPrevHash(ev.PrevHash).SetHash(ev.Hash))
		if len(builders) == auditChunk {
			if err := flush(); err != nil {
				return fmt.Errorf("audit events: %w", err)
			}
		}
	}
	if err := flush(); err != nil {
		return fmt.Errorf("audit events: %w", err)
	}
	return tx.AuditHead.UpdateOneID(auditHeadID).SetHash(prev).Exec(ctx)
}

// auditChunk rows of 13 columns stay far below PostgreSQL's 65,535 and
// SQLite's 32,766 bind parameters per statement.
const auditChunk = 1000

// AuditFilter selects audit events; zero fields match everything.
type AuditFilter struct {
	// Entity is "type" or "type:id".
	Entity    string
	Actor     string
	Since     time.Time
	PageSize  int
	PageToken string
}

// ListAuditEvents pages through the audit trail in sequence order.
func (r *Registry) ListAuditEvents(ctx context.Context, f AuditFilter) ([]AuditEvent, string, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, "", err
	}
	if err := r.authorize(p, authz.ObjAudit, authz.ActRead); err != nil {
		return nil, "", err
	}
	v := &violations{}
	f.Entity = cleanText(v, "entity", f.Entity, maxQueryLen, false)
	f.Actor = cleanText(v, "actor", f.Actor, maxNameLen, false)
	size := pageSize(v, f.PageSize)
	after := r.secrets.decodeIntPageToken(v, f.PageToken)
	if err := v.err(); err != nil {
		return nil, "", err
	}
	q := r.db.AuditEvent.Query().Where(auditevent.IDGT(after))
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
	rows, next := trimPage(r.secrets, rows, size, func(e *ent.AuditEvent) string { return strconv.FormatInt(e.ID, 10) })
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
func (r *Registry) VerifyAuditChain(ctx context.Context) (ChainReport, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return ChainReport{}, err
	}
	if err := r.authorize(p, authz.ObjAudit, authz.ActRead); err != nil {
		return ChainReport{}, err
	}
	return r.verifyChain(ctx)
}

func (r *Registry) verifyChain(ctx context.Context) (ChainReport, error) {
	const batch = 1000
	var rep ChainReport
	prev := ""
	var last int64
	for {
		rows, err := r.db.AuditEvent.Query().Where(auditevent.IDGT(last)).
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
			case chainHash(prev, canonicalOf(e)) != e.Hash:
				return bad(rep, e.ID, "event content does not match its hash"), nil
			}
			prev, last = e.Hash, e.ID
			rep.EventsChecked++
		}
		if len(rows) < batch {
			break
		}
	}
	head, err := r.db.AuditHead.Get(ctx, auditHeadID)
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
