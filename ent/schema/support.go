package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// BreakdownStep is one step of an award's computation, as stored.
type BreakdownStep struct {
	Code     string `json:"code"`
	LimitFen int64  `json:"limit_fen"`
	Before   int64  `json:"before_fen"`
	After    int64  `json:"after_fen"`
	TextZh   string `json:"text_zh"`
	TextEn   string `json:"text_en"`
}

// SupportApplication is an enterprise's application for support under a
// measure on one cost item (basis_reference). One live application
// (pending or approved) per enterprise, measure, year, cost item and kind
// of cost: the same contract may be applied for again under a higher kind
// (就高), and pays only the difference.
type SupportApplication struct{ ent.Schema }

// Fields of the SupportApplication.
func (SupportApplication) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").Immutable().NotEmpty(),
		field.String("measure_code").Immutable(),
		field.Int("enterprise_id").Immutable(),
		field.Int("year").Immutable(),
		field.String("basis_reference").Immutable(),
		field.String("basis_kind").Immutable().Default(""),
		field.Int64("basis_amount_fen").Immutable(),
		field.String("basis_date").Immutable(),
		field.Int64("project_total_fen").Immutable().Default(0),
		field.Int64("loan_principal_fen").Immutable().Default(0),
		field.Text("evidence").Immutable().Default(""),
		// status: pending, approved or rejected; live is false once
		// rejected (a boolean, so the partial index reads the same on
		// every dialect).
		field.String("status").Default("pending"),
		field.Bool("live").Default(true),
		field.String("reason").Default(""),
		field.Int64("awarded_fen").Default(0),
		field.JSON("breakdown", []BreakdownStep{}).Optional(),
		field.String("applied_by").Immutable(),
		field.Time("applied_at").Immutable(),
		field.String("decided_by").Default(""),
		field.Time("decided_at").Optional().Nillable(),
	}
}

// Indexes of the SupportApplication.
func (SupportApplication) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("enterprise_id", "measure_code", "year", "basis_reference", "basis_kind").Unique().StorageKey("supportapplication_live_cost_item").
			Annotations(entsql.IndexWhere("live")),
		index.Fields("measure_code", "status", "id"),
		index.Fields("enterprise_id", "id"),
	}
}

// SupportAward is the support an approved application was awarded; the
// disbursed and recovered totals are kept with it and never exceed it.
type SupportAward struct{ ent.Schema }

// Fields of the SupportAward.
func (SupportAward) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").Immutable().NotEmpty(),
		field.String("application_id").Immutable().Unique(),
		field.String("measure_code").Immutable(),
		field.Int("enterprise_id").Immutable(),
		field.Int("year").Immutable(),
		field.String("basis_reference").Immutable(),
		field.Int64("awarded_fen").Immutable(),
		field.Int64("disbursed_fen").Default(0),
		field.Int64("recovered_fen").Default(0),
		field.String("awarded_on").Immutable(),
		field.String("relied_on_designation_id").Immutable().Default(""),
		field.Time("created_at").Immutable(),
	}
}

// Indexes of the SupportAward.
func (SupportAward) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("enterprise_id", "year"),
		index.Fields("measure_code", "year", "id"),
		index.Fields("awarded_fen", "id"),
	}
}

// Annotations of the SupportAward: the ledger's bounds live in the
// database.
func (SupportAward) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Checks(map[string]string{
		"support_award_paid_within":      "disbursed_fen >= 0 AND disbursed_fen <= awarded_fen",
		"support_award_recovered_within": "recovered_fen >= 0 AND recovered_fen <= disbursed_fen",
	})}
}

// SupportDisbursement is a payment of an award by the city or a district.
type SupportDisbursement struct{ ent.Schema }

// Fields of the SupportDisbursement.
func (SupportDisbursement) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").Immutable().NotEmpty(),
		field.String("award_id").Immutable(),
		field.Int64("amount_fen").Immutable().Positive(),
		field.String("paid_on").Immutable(),
		// payer: city, or district:<GB/T 2260 code>.
		field.String("payer").Immutable(),
		field.String("recorded_by").Immutable(),
		field.Time("recorded_at").Immutable(),
	}
}

// Indexes of the SupportDisbursement.
func (SupportDisbursement) Indexes() []ent.Index {
	return []ent.Index{index.Fields("award_id", "id")}
}

// Annotations of the SupportDisbursement.
func (SupportDisbursement) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Checks(map[string]string{"support_disbursement_positive": "amount_fen > 0"})}
}

// SupportRecovery is an order to pay back part of an award; settled_on is
// empty until it is repaid.
type SupportRecovery struct{ ent.Schema }

// Fields of the SupportRecovery.
func (SupportRecovery) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").Immutable().NotEmpty(),
		field.String("award_id").Immutable(),
		field.Int("enterprise_id").Immutable(),
		field.Int64("amount_fen").Immutable().Positive(),
		field.Text("reason").Immutable(),
		field.String("ordered_on").Immutable(),
		field.String("ordered_by").Immutable(),
		field.String("settled_on").Default(""),
		field.Bool("settled").Default(false),
		field.String("settled_by").Default(""),
		field.Time("created_at").Immutable(),
	}
}

// Indexes of the SupportRecovery.
func (SupportRecovery) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("award_id", "id"),
		index.Fields("enterprise_id").Annotations(entsql.IndexWhere("NOT settled")),
	}
}

// Annotations of the SupportRecovery.
func (SupportRecovery) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Checks(map[string]string{"support_recovery_positive": "amount_fen > 0"})}
}

// SupportCounter is one limit being consumed: a measure's yearly budget
// and award count, an enterprise's yearly cap, once-only and year limits,
// and a cost item's support across measures. Approvals lock the counters
// they consume; the checks keep every counter within its limit (-1: none)
// whatever the code does.
type SupportCounter struct{ ent.Schema }

// Fields of the SupportCounter.
func (SupportCounter) Fields() []ent.Field {
	return []ent.Field{
		// id is the counter's key, e.g. budget/compute-voucher/2026.
		field.String("id").Immutable().NotEmpty(),
		field.Int64("used_fen").Default(0),
		field.Int64("limit_fen").Default(-1),
		field.Int("used_count").Default(0),
		field.Int("limit_count").Default(-1),
	}
}

// Annotations of the SupportCounter.
func (SupportCounter) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Checks(map[string]string{
		"support_counter_fen_within":   "used_fen >= 0 AND (limit_fen < 0 OR used_fen <= limit_fen)",
		"support_counter_count_within": "used_count >= 0 AND (limit_count < 0 OR used_count <= limit_count)",
	})}
}
