package registry

import (
	"database/sql"
	"fmt"
	"net/url"
	"strings"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	_ "github.com/lib/pq"  // PostgreSQL driver, registered as "postgres"
	_ "modernc.org/sqlite" // pure-Go SQLite driver, registered as "sqlite"

	"github.com/hangzhou-ai/registry/ent"
)

// DefaultDatabaseURL is the embedded SQLite file used when none is given.
const DefaultDatabaseURL = "sqlite:registry.db"

// sqlitePragmas are set on every SQLite connection: enforce foreign keys,
// write-ahead logging, wait for locks, and begin write transactions
// immediately so concurrent writers queue instead of failing.
const sqlitePragmas = "_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_txlock=immediate"

// OpenDatabase opens the database named by databaseURL and returns an ent
// client on it. Accepted forms:
//
//	postgres://user@host:5432/db?sslmode=disable   PostgreSQL (lib/pq)
//	sqlite:path/to/file.db                          SQLite file
//	file:name?mode=memory&cache=shared              SQLite in memory
//
// An empty URL means DefaultDatabaseURL.
func OpenDatabase(databaseURL string) (*ent.Client, error) {
	client, _, err := OpenDatabaseWithPool(databaseURL)
	return client, err
}

// OpenDatabaseWithPool is OpenDatabase that also returns the connection
// pool under the ent client, for monitoring (sql.DB.Stats). Closing the
// client closes the pool.
func OpenDatabaseWithPool(databaseURL string) (*ent.Client, *sql.DB, error) {
	if databaseURL == "" {
		databaseURL = DefaultDatabaseURL
	}
	switch {
	case strings.HasPrefix(databaseURL, "postgres://"), strings.HasPrefix(databaseURL, "postgresql://"):
		db, err := sql.Open("postgres", databaseURL)
		if err != nil {
			return nil, nil, fmt.Errorf("open postgres: %w", err)
		}
		db.SetMaxOpenConns(32)
		db.SetMaxIdleConns(32)
		return ent.NewClient(ent.Driver(entsql.OpenDB(dialect.Postgres, db))), db, nil
	case strings.HasPrefix(databaseURL, "sqlite:"), strings.HasPrefix(databaseURL, "file:"):
		dsn := strings.TrimPrefix(databaseURL, "sqlite:")
		inMemory := strings.Contains(dsn, "mode=memory")
		if !strings.HasPrefix(dsn, "file:") {
			dsn = "file:" + dsn
		}
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		db, err := sql.Open("sqlite", dsn+sep+sqlitePragmas)
		if err != nil {
			return nil, nil, fmt.Errorf("open sqlite: %w", err)
		}
		if inMemory {
			// A shared-cache memory database locks whole tables between
			// connections; one connection serialises access instead.
			db.SetMaxOpenConns(1)
		}
		return ent.NewClient(ent.Driver(entsql.OpenDB(dialect.SQLite, db))), db, nil
	default:
		u, _ := url.Parse(databaseURL)
		scheme := ""
		if u != nil {
			scheme = u.Scheme
		}
		return nil, nil, fmt.Errorf("unsupported database URL scheme %q: use postgres://, sqlite: or file:", scheme)
	}
}
