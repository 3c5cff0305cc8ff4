package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/postgres"
	"ariga.io/atlas/sql/schema"
	"ariga.io/atlas/sql/sqlite"
	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/hangzhou-ai/registry/ent/migrate/migrations"
)

// migrationTable records the versioned migrations a database has had: one
// row per file, with the hex SHA-256 of the file as it was applied. Atlas's
// executor reads and writes it through revisions.
const migrationTable = "schema_migrations"

// lockWait is how long a migrator waits for another to finish migrating
// the same PostgreSQL schema, unless its context ends first.
const lockWait = time.Hour

// MigrationResult tells what Migrate did.
type MigrationResult struct {
	// Dialect is "sqlite" or "postgres".
	Dialect string
	// Version is the version of the newest migration the database has.
	Version string
	// Total is how many migrations the database has.
	Total int
	// Applied names the files this call applied, in order.
	Applied []string
	// Baselined names files recorded as applied without running them: the
	// database was made by ent's auto-migration, before versioned
	// migrations, and already had their tables.
	Baselined []string
}

// Migrate applies the versioned migrations of ent/migrate/migrations
// that db has not applied yet, in order, each in its own transaction, under
// a lock that keeps concurrent migrators apart, and reports what it did. A
// database made by ent's auto-migration before versioned migrations existed
// is baselined at the first migration. Migrate refuses a history this build
// cannot continue.
func Migrate(ctx context.Context, db *DB) (MigrationResult, error) {
	dir, err := migrations.Dir(db.Dialect)
	if err != nil {
		return MigrationResult{}, err
	}
	return applyMigrations(ctx, db.Pool, db.Dialect, dir)
}

// Pending returns the names of the migrations db has not applied, oldest
// first, without changing anything. It fails as Migrate would on a history
// this build cannot continue.
func Pending(ctx context.Context, db *DB) ([]string, error) {
	dir, err := migrations.Dir(db.Dialect)
	if err != nil {
		return nil, err
	}
	conn, err := db.Pool.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	defer conn.Close()
	drv, err := openDriver(db.Dialect, conn)
	if err != nil {
		return nil, err
	}
	rev, err := newRevisions(db.Dialect, conn, dir)
	if err != nil {
		return nil, err
	}
	// Atlas's Pending records the baseline revision as it finds it; here
	// nothing may be written, and the table may not exist yet.
	rev.readOnly = true
	tables, err := tablesIn(ctx, conn, db.Dialect)
	if err != nil {
		return nil, err
	}
	rev.missing = !tables[migrationTable]
	_, files, _, err := plan(ctx, drv, dir, rev)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.Name()
	}
	return names, nil
}

// openDriver opens Atlas's driver for dialect on q, a connection or a
// transaction of ours.
func openDriver(dialectName string, q schema.ExecQuerier) (migrate.Driver, error) {
	var (
		drv migrate.Driver
		err error
	)
	switch dialectName {
	case "sqlite":
		drv, err = sqlite.Open(q)
	case "postgres":
		drv, err = postgres.Open(q)
	default:
		err = fmt.Errorf("no migrations for dialect %q", dialectName)
	}
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return drv, nil
}

// applyMigrations brings the database under pool to the newest migration
// of dir. It takes one file at a time: each round starts a transaction,
// asks Atlas's executor what is pending (so that a file another migrator
// applied meanwhile is not run again), runs the precheck of the oldest
// pending file and the file itself, and commits.
func applyMigrations(ctx context.Context, pool *sql.DB, dialectName string, dir migrate.Dir) (res MigrationResult, err error) {
	res.Dialect = dialectName
	conn, err := pool.Conn(ctx)
	if err != nil {
		return res, fmt.Errorf("migrate: %w", err)
	}
	defer conn.Close()
	if dialectName == "postgres" {
		unlock, err := lockSchema(ctx, conn)
		if err != nil {
			return res, err
		}
		defer func() { err = errors.Join(err, unlock()) }()
	}
	if err := createTable(ctx, conn, dialectName); err != nil {
		return res, err
	}
	for {
		applied, baselined, err := applyNext(ctx, conn, dialectName, dir)
		if baselined != "" {
			res.Baselined = append(res.Baselined, baselined)
		}
		if err != nil {
			return res, err
		}
		if applied == "" {
			break
		}
		res.Applied = append(res.Applied, applied)
	}
	rev, err := newRevisions(dialectName, conn, dir)
	if err != nil {
		return res, err
	}
	revs, err := rev.ReadRevisions(ctx)
	if err != nil {
		return res, err
	}
	res.Total = len(revs)
	if n := len(revs); n > 0 {
		res.Version = revs[n-1].Version
	}
	return res, nil
}

// applyNext applies the oldest pending migration in a transaction of its
// own and names it; "" means nothing was pending. It names the baselined
// file when it baselined the database.
func applyNext(ctx context.Context, conn *sql.Conn, dialectName string, dir migrate.Dir) (applied, baselined string, err error) {
	tx, err := begin(ctx, conn, dialectName)
	if err != nil {
		return "", "", fmt.Errorf("migrate: begin: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			err = errors.Join(err, tx.rollback())
		}
	}()
	drv, err := openDriver(dialectName, tx)
	if err != nil {
		return "", "", err
	}
	rev, err := newRevisions(dialectName, tx, dir)
	if err != nil {
		return "", "", err
	}
	ex, pending, base, err := plan(ctx, drv, dir, rev)
	if err != nil {
		return "", "", err
	}
	if len(pending) == 0 {
		if !rev.wrote {
			return "", "", nil // the deferred rollback ends the transaction
		}
		if err := tx.changing(); err != nil {
			return "", "", fmt.Errorf("migrate: baseline: %w", err)
		}
		committed = true
		if err := tx.commit(); err != nil {
			return "", "", fmt.Errorf("migrate: baseline: %w", err)
		}
		return "", base, nil
	}
	f := pending[0]
	if err := tx.changing(); err != nil {
		return "", "", fmt.Errorf("migrate: %s: %w", f.Name(), err)
	}
	if check := migrationPrechecks[f.Version()]; check != nil {
		if err := check(ctx, tx); err != nil {
			return "", "", fmt.Errorf("migrate: %s: %w", f.Name(), err)
		}
	}
	if err := ex.Execute(ctx, f); err != nil {
		return "", "", fmt.Errorf("migrate: %s: %w", f.Name(), err)
	}
	committed = true
	if err := tx.commit(); err != nil {
		return "", "", fmt.Errorf("migrate: %s: commit: %w", f.Name(), err)
	}
	return f.Name(), base, nil
}

// plan checks the recorded history against dir and returns an executor
// for it with the files it has not applied, oldest first. For a database
// without history it decides whether to baseline it (see autoMigrated) and
// names the baselined file. Atlas's executor does not compare the files it
// applied with what the directory holds now; plan does that first.
func plan(ctx context.Context, drv migrate.Driver, dir migrate.Dir, rev *revisions) (*migrate.Executor, []migrate.File, string, error) {
	revs, err := rev.ReadRevisions(ctx)
	if err != nil {
		return nil, nil, "", err
	}
	if err := rev.check(revs); err != nil {
		return nil, nil, "", err
	}
	files, err := dir.Files()
	if err != nil {
		return nil, nil, "", fmt.Errorf("migrate: %w", err)
	}
	var (
		opts     []migrate.ExecutorOption
		baseline string
	)
	if len(revs) == 0 && len(files) > 0 {
		auto, err := autoMigrated(ctx, rev.q, rev.dialectName, files[0])
		if err != nil {
			return nil, nil, "", err
		}
		if auto {
			opts = append(opts, migrate.WithBaselineVersion(files[0].Version()))
			baseline = files[0].Name()
		}
	}
	ex, err := migrate.NewExecutor(decidedClean{drv}, dir, rev, opts...)
	if err != nil {
		return nil, nil, "", fmt.Errorf("migrate: %w", err)
	}
	pending, err := ex.Pending(ctx)
	var nonLinear *migrate.HistoryNonLinearError
	switch {
	case errors.Is(err, migrate.ErrNoPendingFiles):
		return ex, nil, baseline, nil
	case errors.As(err, &nonLinear):
		names := make([]string, len(nonLinear.OutOfOrder))
		for i, f := range nonLinear.OutOfOrder {
			names[i] = f.Name()
		}
		return nil, nil, "", fmt.Errorf("migrate: pending migration %s is older than applied migration %s; regenerate it (delete it and run `go generate ./ent`)",
			strings.Join(names, ", "), revs[len(revs)-1].Version)
	case err != nil:
		return nil, nil, "", fmt.Errorf("migrate: %w", err)
	}
	return ex, pending, baseline, nil
}

// decidedClean is a dialect's driver whose CheckClean leaves the question
// to plan, which has already looked at a database without history and
// chosen to baseline it or to apply every file. Atlas's own check refuses
// any table besides the history table, and on PostgreSQL, when the driver
// is not opened through an Atlas URL, inspects every schema of the
// database rather than the current one.
type decidedClean struct{ migrate.Driver }

// CheckClean reports the database clean: see decidedClean.
func (decidedClean) CheckClean(context.Context, *migrate.TableIdent) error { return nil }

// lockSchema takes Atlas's PostgreSQL advisory lock on conn, named after
// the current schema so that schemas of one database migrate
// independently, and returns what releases it.
func lockSchema(ctx context.Context, conn *sql.Conn) (unlock func() error, err error) {
	var current sql.NullString
	if err := conn.QueryRowContext(ctx, "SELECT current_schema()").Scan(&current); err != nil {
		return nil, fmt.Errorf("migrate: current schema: %w", err)
	}
	if !current.Valid {
		return nil, errors.New("migrate: no current schema: the search_path names no existing schema")
	}
	drv, err := postgres.Open(conn)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	release, err := drv.Lock(ctx, "github.com/hangzhou-ai/registry migrate "+current.String, lockWait)
	if errors.Is(err, schema.ErrLocked) {
		return nil, fmt.Errorf("migrate: another registry has been migrating schema %s for %s; try again once it is done", current.String, lockWait)
	}
	if err != nil {
		return nil, fmt.Errorf("migrate: lock: %w", err)
	}
	return func() error {
		if err := release(); err != nil {
			// Never hand a connection still holding the lock back to the pool.
			discard(conn)
			return fmt.Errorf("migrate: unlock: %w", err)
		}
		return nil
	}, nil
}

func createTable(ctx context.Context, conn *sql.Conn, dialectName string) error {
	ddl := "CREATE TABLE IF NOT EXISTS " + migrationTable + ` (
	version    TEXT NOT NULL PRIMARY KEY,
	name       TEXT NOT NULL,
	checksum   TEXT NOT NULL,
	applied_at DATETIME NOT NULL,
	baseline   BOOLEAN NOT NULL DEFAULT FALSE
)`
	if dialectName == "postgres" {
		ddl = strings.Replace(ddl, "DATETIME", "TIMESTAMPTZ", 1)
	}
	if _, err := conn.ExecContext(ctx, ddl); err != nil {
		return fmt.Errorf("migrate: create %s: %w", migrationTable, err)
	}
	return nil
}

// fileTx is the transaction one migration file runs in.
type fileTx struct {
	schema.ExecQuerier
	// changing is called once the file to run is known, before it runs;
	// commit only after it.
	changing func() error
	commit   func() error
	rollback func() error
}

// begin starts a transaction on conn. On SQLite it follows SQLite's
// procedure for schema changes, with Atlas's helpers: foreign keys off
// (Atlas rebuilds a table to alter it, and dropping the old table must
// neither fail nor fire ON DELETE actions; the PRAGMA statements in the
// files are no-ops inside a transaction), BEGIN IMMEDIATE so that the
// database's write lock keeps other migrators out until commit, a
// foreign-key check before commit that refuses violations the file made,
// and foreign keys back on afterwards.
func begin(ctx context.Context, conn *sql.Conn, dialectName string) (*fileTx, error) {
	if dialectName != "sqlite" {
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return nil, err
		}
		return &fileTx{ExecQuerier: tx, changing: func() error { return nil }, commit: tx.Commit, rollback: tx.Rollback}, nil
	}
	var fk bool
	if err := conn.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
		return nil, err
	}
	if fk {
		if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = off"); err != nil {
			return nil, err
		}
	}
	// Foreign keys must come back on whatever ctx does, or the connection
	// goes back to the pool without them; if they cannot, it is discarded.
	bg := context.WithoutCancel(ctx)
	discardOnError := func(f func() error) func() error {
		return func() error {
			err := f()
			if err != nil {
				discard(conn)
			}
			return err
		}
	}
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		if fk {
			if _, err2 := conn.ExecContext(bg, "PRAGMA foreign_keys = on"); err2 != nil {
				discard(conn)
				err = errors.Join(err, err2)
			}
		}
		return nil, err
	}
	tx := immediateTx{conn}
	ft := &fileTx{ExecQuerier: conn, rollback: discardOnError(sqlite.RollbackFunc(bg, conn, tx, fk))}
	ft.commit = func() error { return errors.New("commit before changing") }
	ft.changing = func() error {
		commit, err := sqlite.CommitFunc(bg, conn, tx, fk) // notes the violations there are already
		if err != nil {
			return err
		}
		ft.commit = discardOnError(commit)
		return nil
	}
	return ft, nil
}

// discard closes conn instead of returning it to the pool.
func discard(conn *sql.Conn) { _ = conn.Raw(func(any) error { return driver.ErrBadConn }) }

// immediateTx is a transaction begun with BEGIN IMMEDIATE on a connection.
type immediateTx struct{ *sql.Conn }

func (t immediateTx) Commit() error {
	_, err := t.ExecContext(context.Background(), "COMMIT")
	return err
}

func (t immediateTx) Rollback() error {
	_, err := t.ExecContext(context.Background(), "ROLLBACK")
	return err
}

// revisions is Atlas's view of schema_migrations. The table keeps only
// completed files: each file runs in one transaction, so the progress Atlas
// records statement by statement, and a failure, never outlive it.
type revisions struct {
	q           schema.ExecQuerier
	dialectName string // "sqlite" or "postgres"
	dialect     string // ent's name for the dialect, for the query builder
	files       map[string]migrate.File
	// readOnly drops writes; missing says the table does not exist.
	readOnly, missing bool
	// wrote says whether anything was written.
	wrote bool
}

var _ migrate.RevisionReadWriter = (*revisions)(nil)

func newRevisions(dialectName string, q schema.ExecQuerier, dir migrate.Dir) (*revisions, error) {
	files, err := dir.Files()
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	r := &revisions{q: q, dialectName: dialectName, dialect: dialect.SQLite, files: make(map[string]migrate.File, len(files))}
	if dialectName == "postgres" {
		r.dialect = dialect.Postgres
	}
	for _, f := range files {
		r.files[f.Version()] = f
	}
	return r, nil
}

// checksum is how schema_migrations identifies a file's content.
func checksum(f migrate.File) string {
	sum := sha256.Sum256(f.Bytes())
	return hex.EncodeToString(sum[:])
}

// check refuses a history the files cannot continue: a recorded file the
// directory lacks, or one whose content changed since it was applied.
func (r *revisions) check(revs []*migrate.Revision) error {
	for _, rv := range revs {
		f, ok := r.files[rv.Version]
		switch {
		case !ok:
			return fmt.Errorf("migrate: the database has migration %s (%s), which this build does not have; run a newer registry", rv.Version, rv.Description)
		case rv.Hash != checksum(f):
			return fmt.Errorf("migrate: %s was changed after it was applied (checksum %s recorded, %s now); restore it and put the change in a new migration", f.Name(), rv.Hash, checksum(f))
		}
	}
	return nil
}

// Ident names the table, in the current schema.
func (r *revisions) Ident() *migrate.TableIdent {
	return &migrate.TableIdent{Name: migrationTable}
}

// ReadRevisions returns the recorded files, oldest first.
func (r *revisions) ReadRevisions(ctx context.Context) ([]*migrate.Revision, error) {
	return r.read(ctx, "")
}

// ReadRevision returns the record of version, or migrate.ErrRevisionNotExist.
func (r *revisions) ReadRevision(ctx context.Context, version string) (*migrate.Revision, error) {
	revs, err := r.read(ctx, version)
	if err != nil {
		return nil, err
	}
	if len(revs) == 0 {
		return nil, migrate.ErrRevisionNotExist
	}
	return revs[0], nil
}

// read returns the records of version, or all of them when version is "".
func (r *revisions) read(ctx context.Context, version string) ([]*migrate.Revision, error) {
	if r.missing {
		return nil, nil
	}
	b := entsql.Dialect(r.dialect).Select("version", "name", "checksum", "applied_at", "baseline").From(entsql.Table(migrationTable))
	if version != "" {
		b.Where(entsql.EQ("version", version))
	}
	query, args := b.OrderBy("version").Query()
	rows, err := r.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("migrate: read %s: %w", migrationTable, err)
	}
	defer rows.Close()
	var out []*migrate.Revision
	for rows.Next() {
		var (
			name     string
			baseline bool
			rv       = &migrate.Revision{Type: migrate.RevisionTypeExecute}
		)
		if err := rows.Scan(&rv.Version, &name, &rv.Hash, &rv.ExecutedAt, &baseline); err != nil {
			return nil, fmt.Errorf("migrate: read %s: %w", migrationTable, err)
		}
		rv.Description = migrate.NewLocalFile(name, nil).Desc()
		if baseline {
			rv.Type = migrate.RevisionTypeBaseline
		}
		out = append(out, rv)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("migrate: read %s: %w", migrationTable, err)
	}
	return out, nil
}

// WriteRevision records a completed file or baseline; it ignores the
// records Atlas writes while a file runs or after it failed.
func (r *revisions) WriteRevision(ctx context.Context, rv *migrate.Revision) error {
	if r.readOnly || rv.Applied < rv.Total || rv.Error != "" {
		return nil
	}
	f, ok := r.files[rv.Version]
	if !ok {
		return fmt.Errorf("migrate: no migration file of version %s", rv.Version)
	}
	query, args := entsql.Dialect(r.dialect).Insert(migrationTable).
		Columns("version", "name", "checksum", "applied_at", "baseline").
		Values(rv.Version, f.Name(), checksum(f), rv.ExecutedAt.UTC(), rv.Type == migrate.RevisionTypeBaseline).
		OnConflict(entsql.ConflictColumns("version"), entsql.ResolveWithNewValues()).
		Query()
	if _, err := r.q.ExecContext(ctx, query, args...); err != nil {
		return fmt.Errorf("migrate: record %s: %w", f.Name(), err)
	}
	r.wrote = true
	return nil
}

// DeleteRevision removes the record of version.
func (r *revisions) DeleteRevision(ctx context.Context, version string) error {
	if r.readOnly {
		return nil
	}
	query, args := entsql.Dialect(r.dialect).Delete(migrationTable).Where(entsql.EQ("version", version)).Query()
	if _, err := r.q.ExecContext(ctx, query, args...); err != nil {
		return fmt.Errorf("migrate: delete %s from %s: %w", version, migrationTable, err)
	}
	r.wrote = true
	return nil
}

var createTableRE = regexp.MustCompile("(?i)^\\s*CREATE TABLE\\s+(?:IF NOT EXISTS\\s+)?[`\"]?(\\w+)[`\"]?")

// autoMigrated reports whether a database without migration history
// already has every table first creates: it was made by ent's
// auto-migration, which built the same schema the first migration does.
// Some but not all is an error; none is an empty database.
func autoMigrated(ctx context.Context, q schema.ExecQuerier, dialectName string, first migrate.File) (bool, error) {
	stmts, err := first.Stmts()
	if err != nil {
		return false, fmt.Errorf("migrate: %s: %w", first.Name(), err)
	}
	var created []string
	for _, s := range stmts {
		if sub := createTableRE.FindStringSubmatch(s); sub != nil {
			created = append(created, sub[1])
		}
	}
	if len(created) == 0 {
		return false, nil
	}
	existing, err := tablesIn(ctx, q, dialectName)
	if err != nil {
		return false, err
	}
	var have, missing []string
	for _, name := range created {
		if existing[name] {
			have = append(have, name)
		} else {
			missing = append(missing, name)
		}
	}
	switch {
	case len(have) == 0:
		return false, nil
	case len(missing) == 0:
		return true, nil
	default:
		return false, fmt.Errorf("migrate: the database has some of the tables %s creates (%s) but not others (%s), and no record of migrations; refusing to guess",
			first.Name(), strings.Join(have, ", "), strings.Join(missing, ", "))
	}
}

// tablesIn returns the names of the tables in the current schema. (Atlas's
// inspection would do, but on PostgreSQL it takes a good part of a second
// where this takes milliseconds, and Pending runs at every start.)
func tablesIn(ctx context.Context, q schema.ExecQuerier, dialectName string) (map[string]bool, error) {
	query := "SELECT name FROM sqlite_master WHERE type = 'table'"
	if dialectName == "postgres" {
		query = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
	}
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("migrate: list tables: %w", err)
	}
	defer rows.Close()
	tables := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, fmt.Errorf("migrate: list tables: %w", err)
		}
		tables[name] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("migrate: list tables: %w", err)
	}
	return tables, nil
}

// migrationPrechecks look at the data before a migration that could fail
// on it, and explain what to put right instead of a bare constraint error.
// They run in the file's transaction, by version.
var migrationPrechecks = map[string]func(ctx context.Context, q schema.ExecQuerier) error{
	// one_record_per_fact makes natural keys unique; a database written
	// before it may hold the duplicates racing writers made.
	"20261201213818": duplicateFactsCheck,
}

// duplicateFactsCheck refuses to add the natural-key indexes while the
// database holds more than one record of a fact, naming the first groups.
func duplicateFactsCheck(ctx context.Context, q schema.ExecQuerier) error {
	queries := []struct{ what, query string }{
		{"designations of one type, holder and document", `SELECT type || ' ' || document_number || ' held by ' ||
			COALESCE('enterprise ' || CAST(enterprise_id AS TEXT), 'park ' || park_code, 'talent ' || talent_id), COUNT(*)
			FROM designations WHERE enterprise_id IS NOT NULL OR park_code IS NOT NULL OR (talent_id IS NOT NULL AND authorization_id IS NULL)
			GROUP BY type, document_number, enterprise_id, park_code, talent_id HAVING COUNT(*) > 1 ORDER BY 1 LIMIT 10`},
		{"standing recognitions of one talent under one authorization", `SELECT 'talent ' || talent_id || ' under ' || authorization_id, COUNT(*)
			FROM designations WHERE authorization_id IS NOT NULL AND status <> 'revoked'
			GROUP BY authorization_id, talent_id HAVING COUNT(*) > 1 ORDER BY 1 LIMIT 10`},
		{"standing talent authorizations of one enterprise and year", `SELECT 'enterprise ' || CAST(t.enterprise_id AS TEXT) || ' in ' || CAST(t.year AS TEXT), COUNT(*)
			FROM talent_authorizations t JOIN designations d ON d.id = t.id WHERE d.status <> 'revoked'
			GROUP BY t.enterprise_id, t.year HAVING COUNT(*) > 1 ORDER BY 1 LIMIT 10`},
	}
	var found []string
	for _, c := range queries {
		rows, err := q.QueryContext(ctx, c.query)
		if err != nil {
			return fmt.Errorf("looking for duplicate %s: %w", c.what, err)
		}
		for rows.Next() {
			var key string
			var n int
			if err := rows.Scan(&key, &n); err != nil {
				rows.Close()
				return err
			}
			found = append(found, fmt.Sprintf("%s: %s (%d records)", c.what, key, n))
		}
		err = rows.Close()
		if err == nil {
			err = rows.Err()
		}
		if err != nil {
			return err
		}
	}
	if len(found) > 0 {
		return fmt.Errorf("the database holds more than one record of a fact, which this version keeps unique; "+
			"revoke the extra designations (or merge them), then run registryd migrate again. First found: %s", strings.Join(found, "; "))
	}
	return nil
}
