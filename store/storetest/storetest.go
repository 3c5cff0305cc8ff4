// Package storetest provides real databases and a movable clock for
// tests: an in-memory SQLite database always, and a fresh PostgreSQL schema
// when REGISTRY_TEST_DATABASE_URL is set. Nothing here is mocked.
package storetest

import (
	"bytes"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/lib/pq"
	_ "modernc.org/sqlite"
)

// PostgresEnv names the variable holding a PostgreSQL URL for tests.
const PostgresEnv = "REGISTRY_TEST_DATABASE_URL"

// Database is a database a test may use.
type Database struct {
	// Name is "sqlite" or "postgres".
	Name string
	// URL is what store.Open accepts.
	URL string
}

// Databases returns the databases to run a test on: SQLite always,
// PostgreSQL too when REGISTRY_TEST_DATABASE_URL is set. Each call creates
// new, empty databases that are dropped when the test ends.
func Databases(t testing.TB) []Database {
	t.Helper()
	dbs := []Database{SQLite(t)}
	if os.Getenv(PostgresEnv) != "" {
		dbs = append(dbs, Postgres(t))
	}
	return dbs
}

// ForEachDatabase runs f as a subtest on each of Databases.
func ForEachDatabase(t *testing.T, f func(t *testing.T, db Database)) {
	t.Helper()
	for _, db := range Databases(t) {
		t.Run(db.Name, func(t *testing.T) { f(t, db) })
	}
}

func randomName(prefix string) string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// SQLite returns a new in-memory SQLite database private to the test.
func SQLite(t testing.TB) Database {
	t.Helper()
	name := randomName("registrytest_")
	// Keep one connection open so the shared in-memory database lives
	// until the test ends, whatever the registry's pool does.
	keep, err := sql.Open("sqlite", "file:"+name+"?mode=memory&cache=shared")
	if err != nil {
		t.Fatal(err)
	}
	if err := keep.Ping(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { keep.Close() })
	return Database{Name: "sqlite", URL: "file:" + name + "?mode=memory&cache=shared"}
}

var pgAdmin struct {
	once sync.Once
	db   *sql.DB
	err  error
}

// Postgres returns a new schema on the server named by
// REGISTRY_TEST_DATABASE_URL, selected through search_path, and drops it
// when the test ends. The test is skipped when the variable is unset.
func Postgres(t testing.TB) Database {
	t.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		t.Skip(PostgresEnv + " is not set")
	}
	pgAdmin.once.Do(func() {
		pgAdmin.db, pgAdmin.err = sql.Open("postgres", base)
		if pgAdmin.err == nil {
			pgAdmin.err = pgAdmin.db.Ping()
		}
	})
	if pgAdmin.err != nil {
		t.Fatalf("postgres: %v", pgAdmin.err)
	}
	schema := randomName("t_")
	if _, err := pgAdmin.db.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := pgAdmin.db.Exec("DROP SCHEMA " + schema + " CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return Database{Name: "postgres", URL: u.String()}
}

// OpenSQL opens db with database/sql for tests that reach past the registry,
// for example to tamper with a row.
func OpenSQL(t testing.TB, db Database) *sql.DB {
	t.Helper()
	driver, dsn := "postgres", db.URL
	if db.Name == "sqlite" {
		driver = "sqlite"
	}
	conn, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// Rows runs query on conn and returns every row as its columns' values
// by name, each as the bytes the driver gave (text as its bytes, other
// values as fmt prints them) and NULL as nil: what tests that look for a
// value anywhere in a row compare against.
func Rows(t testing.TB, conn *sql.DB, query string, args ...any) []map[string][]byte {
	t.Helper()
	rows, err := conn.QueryContext(t.Context(), query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string][]byte
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		row := make(map[string][]byte, len(cols))
		for i, c := range cols {
			switch v := vals[i].(type) {
			case nil:
				row[c] = nil
			case []byte:
				row[c] = bytes.Clone(v)
			case string:
				row[c] = []byte(v)
			default:
				row[c] = fmt.Append(nil, v)
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return out
}

// Rebind turns ? placeholders into $1, $2, … for PostgreSQL.
func Rebind(db Database, query string) string {
	if db.Name != "postgres" {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Clock is a settable clock for registry.Config.Clock.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock stopped at now.
func NewClock(now time.Time) *Clock { return &Clock{now: now} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// SetDate moves the clock to noon of date (YYYY-MM-DD) in China Standard Time.
func (c *Clock) SetDate(date string) {
	t, err := time.ParseInLocation("2006-01-02 15:04", date+" 12:00", time.FixedZone("CST", 8*3600))
	if err != nil {
		panic(err)
	}
	c.Set(t)
}
