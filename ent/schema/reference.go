package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
)

// Bureau is a granting body named by the seed measures (reference data).
type Bureau struct{ ent.Schema }

// Fields of the Bureau.
func (Bureau) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").Immutable().NotEmpty(),
		field.String("name_zh"),
		field.String("name_en"),
	}
}

// DesignationType is a kind of designation the measures hand out (reference data).
type DesignationType struct{ ent.Schema }

// Fields of the DesignationType.
func (DesignationType) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").Immutable().NotEmpty(),
		field.String("name_zh"),
		field.String("name_en"),
		field.String("subject_kind"),
		field.String("seed_clause"),
		field.Bool("has_levels"),
		field.Int("sort_order"),
	}
}
