package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// TalentAuthorization extends the talent-authorization designation of the
// same id with its year; its quotas are AuthorizationQuota rows.
type TalentAuthorization struct{ ent.Schema }

// Fields of the TalentAuthorization.
func (TalentAuthorization) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").Immutable().NotEmpty(),
		field.Int("enterprise_id").Immutable(),
		field.Int("year").Immutable(),
		// revoked mirrors the designation's revocation, so that the
		// database itself keeps one standing authorization per
		// enterprise and year.
		field.Bool("revoked").Default(false),
	}
}

// Indexes of the TalentAuthorization.
func (TalentAuthorization) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("enterprise_id", "year"),
		index.Fields("enterprise_id", "year").Unique().StorageKey("talent_authorization_one_per_year").
			Annotations(entsql.IndexWhere("NOT revoked")),
	}
}

// AuthorizationQuota is the number of places of one level a talent
// authorization grants, and how many are used. Places are consumed with a
// conditional update (used < places), which is atomic on every dialect.
type AuthorizationQuota struct{ ent.Schema }

// Fields of the AuthorizationQuota.
func (AuthorizationQuota) Fields() []ent.Field {
	return []ent.Field{
		field.String("authorization_id").Immutable(),
		field.String("level").Immutable(),
		field.Int("places").NonNegative(),
		field.Int("used").NonNegative().Default(0),
	}
}

// Indexes of the AuthorizationQuota.
func (AuthorizationQuota) Indexes() []ent.Index {
	return []ent.Index{index.Fields("authorization_id", "level").Unique()}
}
