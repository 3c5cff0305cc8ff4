// Package ent holds the registry's storage schema (ent/schema) and the code
// ent generates from it. Run `go generate ./ent` after changing a schema: it
// regenerates the code, then writes a new versioned migration per dialect
// under ent/migrate/migrations for whatever the schema changed (see
// ent/migrate/gen; PostgreSQL needs a dev database in
// REGISTRY_MIGRATE_DEV_URL or REGISTRY_TEST_DATABASE_URL).
package ent

//go:generate go tool ent generate --feature sql/execquery,sql/lock,sql/upsert,sql/modifier,sql/versioned-migration ./schema
//go:generate go run ./migrate/gen -dir migrate/migrations
