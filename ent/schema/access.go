package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// APIToken is a bearer token. Only the SHA-256 of the token is stored.
type APIToken struct{ ent.Schema }

// Fields of the APIToken.
func (APIToken) Fields() []ent.Field {
	return []ent.Field{
		field.String("token_hash").Immutable().Unique().Sensitive(),
		field.String("subject").Immutable(),
		field.String("organisation").Immutable(),
		field.String("role").Immutable(),
		field.Time("created_at").Immutable(),
		field.Time("expires_at").Optional().Nillable(),
		field.Time("revoked_at").Optional().Nillable(),
	}
}

// CasbinRule is one casbin policy line (p or g) stored by the registry's own adapter.
type CasbinRule struct{ ent.Schema }

// Fields of the CasbinRule.
func (CasbinRule) Fields() []ent.Field {
	return []ent.Field{
		field.String("ptype"),
		field.String("v0").Default(""),
		field.String("v1").Default(""),
		field.String("v2").Default(""),
		field.String("v3").Default(""),
		field.String("v4").Default(""),
		field.String("v5").Default(""),
	}
}

// Indexes of the CasbinRule.
func (CasbinRule) Indexes() []ent.Index {
	return []ent.Index{index.Fields("ptype", "v0", "v1", "v2", "v3", "v4", "v5").Unique()}
}

// ConsoleSession is a signed-in browser session of the web console. Only
// the SHA-256 of its random id is stored, with the principal it acts as and
// how it ends: at expires_at, when ended_at is set (signing out), or when
// the registry token it was opened with (token_hash, a hash like the
// token's own row) is revoked or expires.
type ConsoleSession struct{ ent.Schema }

// Fields of the ConsoleSession.
func (ConsoleSession) Fields() []ent.Field {
	return []ent.Field{
		field.String("session_hash").Immutable().Unique().Sensitive(),
		field.String("token_hash").Immutable().Optional().Nillable().Sensitive(),
		field.String("subject").Immutable(),
		field.String("organisation").Immutable(),
		field.String("role").Immutable(),
		field.Time("created_at").Immutable(),
		field.Time("expires_at").Immutable(),
		field.Time("ended_at").Optional().Nillable(),
	}
}
