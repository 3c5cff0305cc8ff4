// Command gen writes the registry's versioned migrations. For each dialect
// it replays the migration files already in the directory on an empty dev
// database, compares the result with the ent schema (ent/migrate.Tables) and
// writes the difference as a new file, <version>_<name>.sql, updating the
// directory's atlas.sum. When the schema has not changed it writes nothing.
//
// `go generate ./ent` runs it after regenerating the ent code:
//
//	go run ./migrate/gen -dir migrate/migrations [-name add_idempotency_keys]
//
// SQLite uses an in-memory dev database. PostgreSQL needs a server: a
// throw-away schema is created on the database named by
// REGISTRY_MIGRATE_DEV_URL (or REGISTRY_TEST_DATABASE_URL) and dropped at
// the end.
package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"text/template"

	atlas "ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/schema"
	_ "github.com/lib/pq"
	_ "modernc.org/sqlite"

	"github.com/hangzhou-ai/registry/ent/migrate"
)

// DevURLEnv names the PostgreSQL server used as a dev database.
const DevURLEnv = "REGISTRY_MIGRATE_DEV_URL"

func main() {
	dir := flag.String("dir", "migrate/migrations", "the migrations directory, holding sqlite/ and postgres/")
	name := flag.String("name", "changes", "what the new migration is called (letters, digits, _)")
	only := flag.String("dialect", "", "generate only for this dialect (sqlite or postgres)")
	flag.Parse()
	if err := run(context.Background(), *dir, *name, *only); err != nil {
		fmt.Fprintln(os.Stderr, "ent/migrate/gen:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, dir, name, only string) error {
	if !validName(name) {
		return fmt.Errorf("-name %q: use letters, digits and _", name)
	}
	// One version for every dialect, so a schema change carries the same
	// number everywhere.
	version := atlas.NewVersion()
	type target struct {
		dialect string
		open    func(context.Context) (differ, func() error, error)
		disk    *atlas.LocalDir
		mem     *atlas.MemDir
		diff    differ
	}
	var targets []*target
	for _, t := range []*target{
		{dialect: "sqlite", open: openSQLiteDev},
		{dialect: "postgres", open: openPostgresDev},
	} {
		if only == "" || only == t.dialect {
			targets = append(targets, t)
		}
	}
	if len(targets) == 0 {
		return fmt.Errorf("-dialect %q: use sqlite or postgres", only)
	}
	// Open every dev database before writing anything, and diff into
	// copies of the directories in memory, so that a failure on one dialect
	// leaves no new file on another.
	for _, t := range targets {
		var err error
		if t.disk, t.mem, err = loadDir(filepath.Join(dir, t.dialect), version); err != nil {
			return fmt.Errorf("%s: %w", t.dialect, err)
		}
		diff, closeDev, err := t.open(ctx)
		if err != nil {
			return fmt.Errorf("%s: %w", t.dialect, err)
		}
		defer closeDev()
		t.diff = diff
	}
	for _, t := range targets {
		if err := generate(ctx, t.mem, version, name, t.diff); err != nil {
			return fmt.Errorf("%s: %w", t.dialect, err)
		}
	}
	for _, t := range targets {
		if err := save(t.mem, t.disk); err != nil {
			return fmt.Errorf("%s: %w", t.dialect, err)
		}
	}
	return nil
}

// loadDir opens the migration directory at path and copies it into memory.
func loadDir(path, version string) (*atlas.LocalDir, *atlas.MemDir, error) {
	disk, err := atlas.NewLocalDir(path)
	if err != nil {
		return nil, nil, err
	}
	files, err := disk.Files()
	if err != nil {
		return nil, nil, err
	}
	if n := len(files); n > 0 && files[n-1].Version() >= version {
		return nil, nil, fmt.Errorf("latest migration %s is not older than the new version %s; is the clock right?", files[n-1].Name(), version)
	}
	mem := &atlas.MemDir{}
	mem.SetPath(path)
	for _, f := range files {
		if err := mem.WriteFile(f.Name(), f.Bytes()); err != nil {
			return nil, nil, err
		}
	}
	switch sum, err := fs.ReadFile(disk, atlas.HashFileName); {
	case err == nil:
		if err := mem.WriteFile(atlas.HashFileName, sum); err != nil {
			return nil, nil, err
		}
	case !errors.Is(err, fs.ErrNotExist):
		return nil, nil, err
	}
	return disk, mem, nil
}

// save writes the files mem has and disk lacks, and mem's atlas.sum.
func save(mem *atlas.MemDir, disk *atlas.LocalDir) error {
	have, err := disk.Files()
	if err != nil {
		return err
	}
	files, err := mem.Files()
	if err != nil {
		return err
	}
	if len(files) == len(have) {
		fmt.Printf("%s: up to date with the ent schema\n", disk.Path())
		return nil
	}
	for _, f := range files[len(have):] {
		if err := disk.WriteFile(f.Name(), f.Bytes()); err != nil {
			return err
		}
		fmt.Printf("%s: wrote %s\n", disk.Path(), f.Name())
	}
	sum, err := fs.ReadFile(mem, atlas.HashFileName)
	if err != nil {
		return err
	}
	return disk.WriteFile(atlas.HashFileName, sum)
}

// differ writes the named difference between the dev database, after
// replaying the directory, and the ent schema.
type differ func(ctx context.Context, name string, opts ...schema.MigrateOption) error

// generate writes into dir a migration from what dir builds to the ent schema.
func generate(ctx context.Context, dir atlas.Dir, version, name string, diff differ) error {
	nameT, err := template.New("name").Parse(version + "{{ with .Name }}_{{ . }}{{ end }}.sql")
	if err != nil {
		return err
	}
	formatter := atlas.TemplateFormatter{{N: nameT, C: atlas.DefaultFormatter[0].C}}
	err = diff(ctx, name,
		schema.WithDir(dir),
		schema.WithFormatter(formatter),
		// Replay the existing files on the empty dev database and compare
		// that with the ent schema.
		schema.WithMigrationMode(schema.ModeReplay),
		// A versioned migration is reviewed before it runs, so it may drop
		// what the schema no longer has.
		schema.WithDropColumn(true),
		schema.WithDropIndex(true),
		schema.WithErrNoPlan(true),
	)
	if errors.Is(err, atlas.ErrNoPlan) {
		return nil
	}
	return err
}

func validName(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return s != ""
}

// openSQLiteDev opens an empty in-memory SQLite database on one connection.
func openSQLiteDev(context.Context) (differ, func() error, error) {
	db, err := sql.Open("sqlite", "file:registry_migrate_dev?mode=memory&_pragma=foreign_keys(1)")
	if err != nil {
		return nil, nil, err
	}
	db.SetMaxOpenConns(1)
	return migrate.NewSchema(entsql.OpenDB(dialect.SQLite, db)).NamedDiff, db.Close, nil
}

// openPostgresDev creates an empty schema on the dev server; the diff
// connects with that schema as its search_path, which Atlas takes as the
// schema to replay into and inspect. Closing drops the schema.
func openPostgresDev(ctx context.Context) (differ, func() error, error) {
	base := os.Getenv(DevURLEnv)
	if base == "" {
		base = os.Getenv("REGISTRY_TEST_DATABASE_URL")
	}
	if base == "" {
		return nil, nil, fmt.Errorf("set %s to a PostgreSQL database for a throw-away dev schema, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable", DevURLEnv)
	}
	admin, err := sql.Open("postgres", base)
	if err != nil {
		return nil, nil, err
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "registry_migrate_dev_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+name); err != nil {
		admin.Close()
		return nil, nil, fmt.Errorf("create dev schema: %w", err)
	}
	drop := func() error {
		_, err := admin.ExecContext(context.Background(), "DROP SCHEMA IF EXISTS "+name+" CASCADE")
		return errors.Join(err, admin.Close())
	}
	u, err := url.Parse(base)
	if err != nil {
		return nil, nil, errors.Join(err, drop())
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	dev := u.String()
	diff := func(ctx context.Context, name string, opts ...schema.MigrateOption) error {
		return migrate.NamedDiff(ctx, dev, name, opts...)
	}
	return diff, drop, nil
}
