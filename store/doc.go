// Package store owns the registry's databases: Open (an ent client on an
// embedded SQLite file or PostgreSQL, its pool and dialect) and the
// versioned migrations of ent/migrate/migrations (Migrate, Pending), and
// PostgreSQL's LISTEN for other processes' changes (Listen). It is
// the only package that imports a database driver; storetest gives tests
// real databases.
package store
