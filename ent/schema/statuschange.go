package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// StatusChange records a designation's change of status and the calendar
// date (Asia/Shanghai) from which it applies, so that a designation's
// standing on any past date can be answered.
type StatusChange struct{ ent.Schema }

// Fields of the StatusChange.
func (StatusChange) Fields() []ent.Field {
	return []ent.Field{
		field.String("designation_id").Immutable(),
		field.String("status").Immutable(),
		field.String("effective_on").Immutable(),
		field.String("reason").Immutable().Default(""),
		field.Time("recorded_at").Immutable(),
	}
}

// Edges of the StatusChange.
func (StatusChange) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("designation", Designation.Type).Ref("status_changes").Field("designation_id").Unique().Required().Immutable(),
	}
}

// Indexes of the StatusChange.
func (StatusChange) Indexes() []ent.Index {
	return []ent.Index{index.Fields("designation_id", "effective_on")}
}
