package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Park is a municipal AI industry park; its ai-park designation holds the
// grant itself.
type Park struct{ ent.Schema }

// Fields of the Park.
func (Park) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").Immutable().NotEmpty(), // the park code
		field.String("name"),
		field.String("district").Default(""),
		field.String("operator_org").Default(""),
		field.String("designation_id").Immutable(),
		field.Time("created_at").Immutable(),
	}
}

// Tenancy is an enterprise's tenancy in a park, inclusive of both dates; an
// empty end_date means open-ended.
type Tenancy struct{ ent.Schema }

// Fields of the Tenancy.
func (Tenancy) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").Immutable().NotEmpty(),
		field.String("park_id").Immutable(),
		field.Int("enterprise_id").Immutable(),
		field.String("start_date").Immutable(),
		field.String("end_date").Default(""),
		field.Float("floor_area_m2").Default(0),
		field.String("end_reason").Default(""),
		field.Int64("version").Default(1),
		field.Time("created_at").Immutable(),
		field.Time("updated_at"),
	}
}

// Indexes of the Tenancy.
func (Tenancy) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("park_id", "enterprise_id", "start_date").Unique(),
		index.Fields("enterprise_id"),
		// A park pages through its tenants by id.
		index.Fields("park_id", "id"),
	}
}

// EligibilityRule is a park's rule for one benefit.
type EligibilityRule struct{ ent.Schema }

// Fields of the EligibilityRule.
func (EligibilityRule) Fields() []ent.Field {
	return []ent.Field{
		field.String("park_id").Immutable(),
		field.String("benefit").Immutable(),
		field.JSON("any_of_designation_types", []string{}),
		field.Int("min_tenancy_months").Default(0),
		field.Int("max_enterprise_age_years").Default(0),
		field.Int64("version").Default(1),
		field.Time("updated_at"),
	}
}

// Indexes of the EligibilityRule.
func (EligibilityRule) Indexes() []ent.Index {
	return []ent.Index{index.Fields("park_id", "benefit").Unique()}
}

// SigningKey is an Ed25519 key that signs attestations. The private key is
// stored sealed under the registry's secret key; retired keys (replaced by
// a rotation) stay to verify what they signed while current; withdrawn keys
// verify nothing any more.
type SigningKey struct{ ent.Schema }

// Fields of the SigningKey.
func (SigningKey) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").Immutable().NotEmpty(), // the key id (kid)
		field.Bytes("public_key").Immutable(),
		field.Bytes("private_key_sealed").Immutable().Sensitive(),
		field.Time("created_at").Immutable(),
		field.Time("retired_at").Optional().Nillable(),
		field.Time("withdrawn_at").Optional().Nillable(),
	}
}
