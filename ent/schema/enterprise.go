package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Enterprise is a legal entity identified by its unified social credit code.
type Enterprise struct{ ent.Schema }

// Fields of the Enterprise.
func (Enterprise) Fields() []ent.Field {
	return []ent.Field{
		field.String("credit_code").NotEmpty().Immutable().Unique(),
		field.String("name").NotEmpty(),
		field.String("district").Default(""),
		// registered_on is the business registration date, YYYY-MM-DD, or empty.
		field.String("registered_on").Default(""),
		field.Time("created_at").Immutable(),
	}
}

// Edges of the Enterprise.
func (Enterprise) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("employees", Talent.Type),
		edge.To("designations", Designation.Type),
	}
}

// Indexes of the Enterprise.
func (Enterprise) Indexes() []ent.Index {
	return []ent.Index{index.Fields("district")}
}
