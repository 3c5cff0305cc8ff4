// Package ent holds the registry's storage schema (ent/schema) and the code
// ent generates from it. Run `go generate ./ent` after changing a schema.
package ent

//go:generate go tool ent generate --feature sql/execquery,sql/lock,sql/upsert,sql/modifier ./schema
