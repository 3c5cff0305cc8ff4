package store

import (
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
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

// DB is an open database: the ent client on it, the connection pool under
// the client and the dialect ("sqlite" or "postgres", as the migrations
// directories are named). Close closes both.
type DB struct {
	Client  *ent.Client
	Pool    *sql.DB
	Dialect string
}

// Close closes the ent client and its pool.
func (db *DB) Close() error { return db.Client.Close() }

// Open opens the database named by databaseURL. Accepted forms:
//
//	postgres://user@host:5432/db?sslmode=disable   PostgreSQL (lib/pq)
//	sqlite:path/to/file.db                          SQLite file
//	file:name?mode=memory&cache=shared              SQLite in memory
//
// An empty URL means DefaultDatabaseURL. An SQLite file is created if
// missing. Open does not touch the schema: see Migrate and Pending.
func Open(databaseURL string) (*DB, error) { return open(databaseURL, false) }

// ErrNoDatabase is returned by OpenExisting for an SQLite file that does
// not exist.
var ErrNoDatabase = errors.New("no database there")

// OpenExisting is Open for a database that must exist already: it never
// creates an SQLite file.
func OpenExisting(databaseURL string) (*DB, error) { return open(databaseURL, true) }

func open(databaseURL string, existing bool) (*DB, error) {
	if databaseURL == "" {
		databaseURL = DefaultDatabaseURL
	}
	switch {
	case strings.HasPrefix(databaseURL, "postgres://"), strings.HasPrefix(databaseURL, "postgresql://"):
		pool, err := sql.Open("postgres", databaseURL)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		pool.SetMaxOpenConns(32)
		pool.SetMaxIdleConns(32)
		return &DB{Client: ent.NewClient(ent.Driver(entsql.OpenDB(dialect.Postgres, pool))), Pool: pool, Dialect: "postgres"}, nil
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
		if existing && !inMemory {
			path, _, _ := strings.Cut(strings.TrimPrefix(dsn, "file:"), "?")
			if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("%w: %s", ErrNoDatabase, path)
			}
		}
		pool, err := sql.Open("sqlite", dsn+sep+sqlitePragmas)
		if err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		if inMemory {
			// A shared-cache memory database locks whole tables between
			// connections; one connection serialises access instead.
			pool.SetMaxOpenConns(1)
		}
		return &DB{Client: ent.NewClient(ent.Driver(entsql.OpenDB(dialect.SQLite, pool))), Pool: pool, Dialect: "sqlite"}, nil
	default:
		u, _ := url.Parse(databaseURL)
		scheme := ""
		if u != nil {
			scheme = u.Scheme
		}
		return nil, fmt.Errorf("unsupported database URL scheme %q: use postgres://, sqlite: or file:", scheme)
	}
}
