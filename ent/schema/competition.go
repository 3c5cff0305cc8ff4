package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// PrizeLevel maps a competition prize to a talent level.
type PrizeLevel struct {
	Prize string `json:"prize"`
	Level string `json:"level"`
}

// Competition is an AI competition held in Hangzhou.
type Competition struct{ ent.Schema }

// Fields of the Competition.
func (Competition) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").Immutable().NotEmpty(),
		field.String("name"),
		field.String("organiser"),
		field.Int("year"),
		field.String("tier"),
		field.JSON("prize_levels", []PrizeLevel{}),
		field.Time("created_at").Immutable(),
	}
}

// Edges of the Competition.
func (Competition) Edges() []ent.Edge {
	return []ent.Edge{edge.To("awards", Award.Type)}
}

// Indexes of the Competition.
func (Competition) Indexes() []ent.Index {
	return []ent.Index{index.Fields("name", "year").Unique()}
}

// Award is a prize won by a talent at a competition.
type Award struct{ ent.Schema }

// Fields of the Award.
func (Award) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").Immutable().NotEmpty(),
		field.String("competition_id").Immutable(),
		field.String("talent_id").Immutable(),
		field.String("prize").Immutable(),
		field.String("team").Default(""),
		field.String("level").Immutable(),
		field.Time("created_at").Immutable(),
	}
}

// Edges of the Award.
func (Award) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("competition", Competition.Type).Ref("awards").Field("competition_id").Unique().Required().Immutable(),
		edge.From("talent", Talent.Type).Ref("awards").Field("talent_id").Unique().Required().Immutable(),
	}
}

// Indexes of the Award.
func (Award) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("competition_id", "talent_id", "prize").Unique(),
		// A member lists its employees' awards by talent.
		index.Fields("talent_id"),
	}
}
