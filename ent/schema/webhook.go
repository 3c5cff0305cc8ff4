package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// WebhookSubscription is a URL subscribed to the change feed. Its queue is
// the change feed itself: cursor is the last change delivered, and the next
// is the first change after it that the owner may read. Only one process
// delivers a subscription at a time (lease_until, leased_by).
type WebhookSubscription struct{ ent.Schema }

// Fields of the WebhookSubscription.
func (WebhookSubscription) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").Immutable().NotEmpty(),
		field.Text("url").Immutable(),
		field.JSON("entity_types", []string{}).Optional(),
		// owner_org and owner_role are the subscribing principal's: a
		// delivery carries what that principal may read when it is made.
		field.String("owner_org").Immutable(),
		field.String("owner_role").Immutable(),
		field.String("created_by").Immutable(),
		field.Time("created_at").Immutable(),
		// secret_sealed is the signing secret sealed under the secret key.
		field.Bytes("secret_sealed").Immutable().Sensitive(),
		field.Int64("cursor").Default(0),
		// attempts counts the failed attempts at the change after cursor;
		// failing_since is when the first of them was made.
		field.Int("attempts").Default(0),
		field.Time("failing_since").Optional().Nillable(),
		field.Time("next_attempt_at").Optional().Nillable(),
		field.Time("lease_until").Optional().Nillable(),
		field.String("leased_by").Default(""),
		field.Time("disabled_at").Optional().Nillable(),
		field.String("disabled_reason").Default(""),
		field.Time("deleted_at").Optional().Nillable(),
	}
}

// Indexes of the WebhookSubscription.
func (WebhookSubscription) Indexes() []ent.Index {
	return []ent.Index{
		// One live subscription per organisation and URL.
		index.Fields("owner_org", "url").Unique().
			Annotations(entsql.IndexWhere("deleted_at IS NULL")),
	}
}

// WebhookDelivery is one attempt to deliver a change to a subscription, or
// (pending) a redelivery asked for and not yet attempted.
type WebhookDelivery struct{ ent.Schema }

// Fields of the WebhookDelivery.
func (WebhookDelivery) Fields() []ent.Field {
	return []ent.Field{
		field.String("subscription_id").Immutable(),
		// seq is the change's cursor (its audit sequence).
		field.Int64("seq").Immutable(),
		field.Int("attempt").Default(1),
		field.Bool("redelivery").Default(false).Immutable(),
		field.Bool("pending").Default(false),
		field.Time("requested_at").Immutable(),
		field.Time("attempted_at").Optional().Nillable(),
		field.Int("status_code").Default(0),
		field.Bool("succeeded").Default(false),
		field.String("error").Default(""),
		field.Time("next_attempt_at").Optional().Nillable(),
	}
}

// Indexes of the WebhookDelivery.
func (WebhookDelivery) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("subscription_id", "id"),
		index.Fields("pending", "subscription_id").
			Annotations(entsql.IndexWhere("pending")),
	}
}
