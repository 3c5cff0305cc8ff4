package core

import (
	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/hangzhou-ai/registry/ent/enterprise"
	"github.com/hangzhou-ai/registry/ent/talent"
)

// The predicates below scope a list to one enterprise so that the database
// reads an index range, however large the registry grows. Each names the
// enterprise by a scalar subquery on its credit code, which both databases
// evaluate once per statement (PostgreSQL as an InitPlan) and then use as
// the key of an index lookup; the EXISTS form they replace was evaluated for
// every row of the table.

// IsEnterprise is the condition column = the id of the enterprise with
// credit code; no enterprise matches no row.
func IsEnterprise(column, code string) *entsql.Predicate {
	return entsql.P(func(b *entsql.Builder) {
		b.WriteString(column).WriteString(" = ")
		enterpriseID(b, code)
	})
}

// IsEmployeeOf is the condition column (a talent id) names a talent
// employed by the enterprise with credit code. On PostgreSQL the talents'
// ids are gathered once into an array (= ANY(ARRAY(…))), which keeps the
// condition an index lookup even inside an OR, where an IN (subquery) would
// become a filter over every row; SQLite's IN (subquery) is indexable there.
func IsEmployeeOf(column, code string) *entsql.Predicate {
	return entsql.P(func(b *entsql.Builder) {
		postgres := b.Dialect() == dialect.Postgres
		b.WriteString(column)
		if postgres {
			b.WriteString(" = ANY(ARRAY(")
		} else {
			b.WriteString(" IN (")
		}
		b.WriteString("SELECT ").Ident(talent.FieldID).WriteString(" FROM ").Ident(talent.Table).
			WriteString(" WHERE ").Ident(talent.FieldEmployerID).WriteString(" = ")
		enterpriseID(b, code)
		b.WriteString(")")
		if postgres {
			b.WriteString(")")
		}
	})
}

// enterpriseID writes the scalar subquery of an enterprise's id.
func enterpriseID(b *entsql.Builder, code string) {
	b.WriteString("(SELECT ").Ident(enterprise.FieldID).WriteString(" FROM ").Ident(enterprise.Table).
		WriteString(" WHERE ").Ident(enterprise.FieldCreditCode).WriteString(" = ").Arg(code).WriteString(")")
}
