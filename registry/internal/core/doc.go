// Package core is what the registry's programmes share: the acting
// Principal and the domain Error, transactions with retry on collisions
// and idempotency keys, authorization and read scope through authz, the
// hash-chained audit record, field violations, text, date and district
// checks, and page tokens. It knows no programme.
package core
