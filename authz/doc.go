// Package authz owns the registry's authorization decisions: the casbin
// model (embedded), the default policy derived from the seed measures' grant
// table, an adapter that keeps policy lines in the registry's own database
// through ent, and one Authorizer that decides and explains.
//
// A request is (role, organisation, object, action, owners). Policy lines
// are role-level, (role, organisation pattern, object pattern, action,
// scope); scope "own" additionally requires that the requesting organisation
// be among the resource's owners. Per-organisation membership (for example
// an enterprise holding a talent authorization) is expressed with g lines,
// so thousands of organisations do not multiply p lines.
package authz
