// Package registry is the certification registry's facade: Registry
// composes one service per programme (registry/enterprise, talent,
// designation, talentauth, competition, park, benefit, imports) and the services
// beside them (keys, audit, access, change, webhook), so that callers hold one value and
// call its methods. Migrate prepares a database; Open opens a registry on
// a migrated one; Close releases it.
//
// The registry knows nothing of Connect, protobuf or HTTP: callers put the
// acting Principal in the context with WithPrincipal, call a method, and
// map the *Error it may return to their protocol. Every mutation is
// authorized, validated and audited in the same transaction (see
// registry/internal/core).
package registry
