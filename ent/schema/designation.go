package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Designation is one grant of a designation type to an enterprise or a
// talent. Dates are calendar dates stored as YYYY-MM-DD text, which sorts and
// compares correctly on every dialect.
type Designation struct{ ent.Schema }

// Fields of the Designation.
func (Designation) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").Immutable().NotEmpty(),
		field.String("type").Immutable(),
		field.Int("enterprise_id").Optional().Nillable().Immutable(),
		field.String("talent_id").Optional().Nillable().Immutable(),
		field.String("park_code").Optional().Nillable().Immutable(),
		field.String("level").Default(""),
		// status is the recorded status: active, suspended or revoked.
		// Expiry is derived from valid_until, never stored.
		field.String("status"),
		field.String("valid_from"),
		field.String("valid_until"),
		field.String("granted_by_bureau").Immutable(),
		field.String("granted_by_subject").Immutable(),
		// granted_by_org is the acting organisation when it is not the
		// bureau itself: an enterprise recognising talents under a talent
		// authorization the bureau delegated.
		field.String("granted_by_org").Immutable().Default(""),
		// authorization_id names the talent authorization whose place a
		// talent-recognition used; award_id the award it cites.
		field.String("authorization_id").Optional().Nillable().Immutable(),
		// standing_authorization_id is authorization_id while the
		// recognition stands, and empty once it is withdrawn or revoked:
		// the unique index on it keeps one standing recognition per talent
		// and authorization.
		field.String("standing_authorization_id").Optional().Nillable(),
		field.String("award_id").Optional().Nillable().Immutable().Unique(),
		field.String("document_number"),
		field.String("note").Default(""),
		field.String("seed_clause"),
		field.String("status_reason").Default(""),
		field.Int64("version").Default(1),
		field.Time("created_at").Immutable(),
		field.Time("updated_at"),
	}
}

// Edges of the Designation.
func (Designation) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("enterprise", Enterprise.Type).Ref("designations").Field("enterprise_id").Unique().Immutable(),
		edge.From("talent", Talent.Type).Ref("designations").Field("talent_id").Unique().Immutable(),
		edge.To("status_changes", StatusChange.Type),
	}
}

// Indexes of the Designation.
func (Designation) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("enterprise_id", "type"),
		index.Fields("talent_id", "type"),
		// A document number nearly identifies a grant, so it leads: the
		// natural-key lookups of imports stay cheap however large the
		// table grows.
		index.Fields("document_number", "type"),
		index.Fields("authorization_id"),
		// One record per fact: a grant of a type under a document is
		// recorded once per holder, whatever its status. NULL holders are
		// left out of each index (every dialect treats NULLs as distinct).
		index.Fields("type", "document_number", "enterprise_id").Unique().StorageKey("designation_natural_key_enterprise").
			Annotations(entsql.IndexWhere("enterprise_id IS NOT NULL")),
		index.Fields("type", "document_number", "park_code").Unique().StorageKey("designation_natural_key_park").
			Annotations(entsql.IndexWhere("park_code IS NOT NULL")),
		index.Fields("type", "document_number", "talent_id").Unique().StorageKey("designation_natural_key_talent").
			Annotations(entsql.IndexWhere("(talent_id IS NOT NULL) AND (authorization_id IS NULL)")),
		// A talent holds at most one standing recognition under one
		// talent authorization; a withdrawn one may be made again.
		index.Fields("standing_authorization_id", "talent_id").Unique().StorageKey("designation_one_recognition_per_authorization"),
	}
}
