package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// AuditEvent is one link of the hash-chained audit trail. Its id is the
// chain sequence number, assigned from AuditHead inside the transaction that
// makes the change.
type AuditEvent struct{ ent.Schema }

// Fields of the AuditEvent.
func (AuditEvent) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id").Immutable().Positive(),
		field.Time("occurred_at").Immutable(),
		field.String("actor_subject").Immutable(),
		field.String("actor_org").Immutable(),
		field.String("actor_role").Immutable(),
		field.String("action").Immutable(),
		field.String("entity_type").Immutable(),
		field.String("entity_id").Immutable(),
		// before and after are canonical JSON kept as text, byte for byte as hashed.
		field.Text("before").Immutable().Default(""),
		field.Text("after").Immutable().Default(""),
		field.String("reason").Immutable().Default(""),
		field.String("prev_hash").Immutable(),
		field.String("hash").Immutable(),
	}
}

// Indexes of the AuditEvent.
func (AuditEvent) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("entity_type", "entity_id"),
		index.Fields("actor_subject"),
	}
}

// AuditHead is a single row (id 1) holding the chain's last sequence number
// and hash. Every writer updates it first, which serialises appends to the
// chain in the database, across processes.
type AuditHead struct{ ent.Schema }

// Fields of the AuditHead.
func (AuditHead) Fields() []ent.Field {
	return []ent.Field{
		field.Int("id").Immutable(),
		field.Int64("seq").Default(0),
		field.String("hash").Default(""),
	}
}
