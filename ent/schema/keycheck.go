package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
)

// KeyCheck is a single row (id "secret-key") holding a check value of the
// registry's secret key: an HMAC of a fixed label under a key derived from
// it, never the key itself. A registry refuses to start with a key whose
// check value differs, so a database never gets data sealed under two keys.
type KeyCheck struct{ ent.Schema }

// Fields of the KeyCheck.
func (KeyCheck) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").Immutable().NotEmpty(),
		field.String("check_value"),
		// fingerprint names the key as logs and the audit trail do.
		field.String("fingerprint"),
		// created_at is when the check of the key in use was stored (at
		// first start, or by the last secret key rotation).
		field.Time("created_at"),
	}
}
