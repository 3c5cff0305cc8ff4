// Package registry is the certification registry's domain: enterprises,
// talents and designations, their validation and lifecycle, authorization
// through authz, transactions, and the hash-chained audit trail. Every
// mutation is authorized, validated and audited in the same transaction.
//
// The package knows nothing of Connect or protobuf: callers put the acting
// Principal in the context with WithPrincipal, call a method, and map the
// *Error it may return to their protocol.
package registry
