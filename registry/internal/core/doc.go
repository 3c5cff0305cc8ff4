// Package core is what the registry's programmes share: the acting
// Principal and the domain Error, transactions with retry on collisions
// and idempotency keys, authorization and read scope through authz, the
// predicates that keep scoped reads index ranges (scope.go), prepared hot
// statements (Statements), the signals that tell every process of changes
// to what it holds in memory (Signals), the hash-chained audit record
// appended at the end of each transaction, field violations, text, date
// and district checks, and page tokens. It knows no programme.
package core
