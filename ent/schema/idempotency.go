package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// IdempotencyKey remembers a mutating call made with an Idempotency-Key
// header: the hash of its request and, once answered, the answer, so a
// retry gets the same answer without acting again. A key is scoped to the
// principal that sent it.
type IdempotencyKey struct{ ent.Schema }

// Fields of the IdempotencyKey.
func (IdempotencyKey) Fields() []ent.Field {
	return []ent.Field{
		field.String("principal").Immutable(),
		field.String("key").Immutable(),
		field.String("procedure").Immutable(),
		field.String("request_hash").Immutable(),
		// state is pending (claimed), applied (its change committed) or
		// done (its answer recorded).
		field.String("state"),
		field.Bytes("response").Optional(),
		// status is a google.rpc.Status for an answer that was an error.
		field.Bytes("status").Optional(),
		field.Time("created_at").Immutable(),
		field.Time("updated_at"),
	}
}

// Indexes of the IdempotencyKey.
func (IdempotencyKey) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("principal", "key").Unique(),
		index.Fields("created_at"),
	}
}
