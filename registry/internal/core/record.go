package core

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hangzhou-ai/registry/ent"
)

const AuditHeadID = 1

// Change describes a mutation to record.
type Change struct {
	Action     string
	EntityType string
	EntityID   string
	Before     any // nil, or a value marshalled to JSON
	After      any
	Reason     string
}

// CanonicalEvent is the exact byte form that is hashed: fields in fixed
// order, time in UTC with microseconds.
type CanonicalEvent struct {
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

func ChainHash(prevHash string, e CanonicalEvent) string {
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

func CanonicalOf(e *ent.AuditEvent) CanonicalEvent {
	return CanonicalEvent{
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

// Record appends c to the audit chain inside tx.
func (r *Core) Record(ctx context.Context, tx *ent.Tx, p Principal, c Change) error {
	return r.RecordAll(ctx, tx, p, []Change{c})
}

// RecordAll appends changes to the audit chain inside tx, in order.
// Updating the head row first locks it, so concurrent writers (in this
// process or another) append one transaction at a time, in commit order;
// the events are then inserted with one multi-row statement per chunk.
func (r *Core) RecordAll(ctx context.Context, tx *ent.Tx, p Principal, changes []Change) error {
	if len(changes) == 0 {
		return nil
	}
	head, err := tx.AuditHead.UpdateOneID(AuditHeadID).AddSeq(int64(len(changes))).Save(ctx)
	if err != nil {
		return fmt.Errorf("audit head: %w", err)
	}
	prev, seq, at := head.Hash, head.Seq-int64(len(changes)), r.Now()
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
		before, err := jsonText(c.Before)
		if err != nil {
			return err
		}
		after, err := jsonText(c.After)
		if err != nil {
			return err
		}
		seq++
		ev := &ent.AuditEvent{
			ID: seq, OccurredAt: at, ActorSubject: p.Subject, ActorOrg: p.Org, ActorRole: p.Role,
			Action: c.Action, EntityType: c.EntityType, EntityID: c.EntityID, Before: before, After: after, Reason: c.Reason,
			PrevHash: prev,
		}
		ev.Hash = ChainHash(prev, CanonicalOf(ev))
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
	return tx.AuditHead.UpdateOneID(AuditHeadID).SetHash(prev).Exec(ctx)
}

// auditChunk rows of 13 columns stay far below PostgreSQL's 65,535 and
// SQLite's 32,766 bind parameters per statement.
const auditChunk = 1000
