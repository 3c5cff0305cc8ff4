package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Talent is a person. Identity and passport numbers are never stored in
// clear: the registry keeps an AES-GCM ciphertext, a keyed hash for lookups
// and a masked form for display.
type Talent struct{ ent.Schema }

// Fields of the Talent.
func (Talent) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").Immutable().NotEmpty(),
		field.String("name").NotEmpty(),
		// document_kind is "id" for a resident identity number, "passport" otherwise.
		field.String("document_kind").Immutable(),
		field.String("document_hash").Immutable().Unique(),
		field.Bytes("document_cipher").Sensitive(),
		field.String("document_masked"),
		field.String("nationality"),
		field.Int("employer_id").Optional().Nillable(),
		field.Time("created_at").Immutable(),
	}
}

// Edges of the Talent.
func (Talent) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("employer", Enterprise.Type).Ref("employees").Field("employer_id").Unique(),
		edge.To("designations", Designation.Type),
		edge.To("awards", Award.Type),
	}
}

// Indexes of the Talent.
func (Talent) Indexes() []ent.Index {
	return []ent.Index{
		// A member's lists (its employees, their designations and awards)
		// start from the talents it employs, in id order.
		index.Fields("employer_id", "id"),
	}
}
