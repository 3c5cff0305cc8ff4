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
		// owner_org is the organisation whose own records the entity is
		// among ("enterprise:<credit code>", "park:<code>"), or empty: it
		// scopes the change feed for principals who read only their own
		// organisation's records. It is not part of the hashed event.
		field.String("owner_org").Immutable().Default(""),
	}
}

// Indexes of the AuditEvent.
func (AuditEvent) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("entity_type", "entity_id"),
		index.Fields("actor_subject"),
		index.Fields("owner_org", "id"),
	}
}

// AuditTreeHash is one stored hash of the Merkle tree over the audit events
// (RFC 6962 hashing, golang.org/x/mod/sumdb/tlog's stored-hash layout): its
// id is the tlog stored-hash index. The hashes of an event are written in
// the transaction that appends it.
type AuditTreeHash struct{ ent.Schema }

// Fields of the AuditTreeHash.
func (AuditTreeHash) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("id").Immutable(),
		field.Bytes("hash").Immutable(),
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
		// tree_size is how many events the Merkle tree covers: seq, once
		// Migrate has hashed the events recorded before the tree existed.
		field.Int64("tree_size").Default(0),
		// frontier is the concatenated hashes of the tree's complete
		// subtrees at tree_size, largest first: all an append needs to
		// extend the tree and compute its root.
		field.Bytes("frontier").Optional(),
	}
}
