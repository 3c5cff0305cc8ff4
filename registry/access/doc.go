// Package access issues, lists and revokes the registry's API tokens (kept
// only as hashes) and authenticates a bearer token into its Principal.
package access
