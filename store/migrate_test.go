package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	atlas "ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql/schema"

	"github.com/hangzhou-ai/registry/ent"
	"github.com/hangzhou-ai/registry/ent/migrate/migrations"
	"github.com/hangzhou-ai/registry/store/storetest"
)

func openTestClient(t *testing.T, db storetest.Database) *ent.Client {
	t.Helper()
	sdb, err := Open(db.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sdb.Close() })
	return sdb.Client
}

// migrationFile is a migration as the tests build directories from.
type migrationFile struct {
	Version, Name string
	Stmts         []string
	Body          []byte
}

func newMigrationFile(name string, body []byte, stmts []string) migrationFile {
	f := atlas.NewLocalFile(name, body)
	return migrationFile{Version: f.Version(), Name: name, Stmts: stmts, Body: body}
}

// loadMigrations reads the embedded migrations of dialect, in order.
func loadMigrations(dialectName string) ([]migrationFile, error) {
	dir, err := migrations.Dir(dialectName)
	if err != nil {
		return nil, err
	}
	fs, err := dir.Files()
	if err != nil {
		return nil, err
	}
	var files []migrationFile
	for _, f := range fs {
		stmts, err := f.Stmts()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name(), err)
		}
		files = append(files, newMigrationFile(f.Name(), f.Bytes(), stmts))
	}
	return files, nil
}

// dirOf makes a migration directory of files, with its atlas.sum.
func dirOf(files []migrationFile) (atlas.Dir, error) {
	dir := &atlas.MemDir{}
	for _, f := range files {
		if err := dir.WriteFile(f.Name, f.Body); err != nil {
			return nil, err
		}
	}
	fs, err := dir.Files()
	if err != nil {
		return nil, err
	}
	sum, err := atlas.NewHashFile(fs)
	if err != nil {
		return nil, err
	}
	return dir, atlas.WriteSumFile(dir, sum)
}

func testMigrations(t *testing.T, client *ent.Client) (files []migrationFile, apply func([]migrationFile) (MigrationResult, error)) {
	t.Helper()
	db, dialectName, err := sqlDB(client)
	if err != nil {
		t.Fatal(err)
	}
	files, err = loadMigrations(dialectName)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no %s migrations embedded", dialectName)
	}
	return files, func(fs []migrationFile) (MigrationResult, error) {
		dir, err := dirOf(fs)
		if err != nil {
			return MigrationResult{}, err
		}
		return applyMigrations(context.Background(), db, dialectName, dir)
	}
}

// schemaDrift asks ent (Atlas) what it would take to turn the database into
// the ent schema, dropping columns and indexes included; "" means nothing.
func schemaDrift(t *testing.T, client *ent.Client) string {
	t.Helper()
	dir := &atlas.MemDir{}
	err := client.Schema.NamedDiff(context.Background(), "drift",
		schema.WithDir(dir),
		schema.WithFormatter(atlas.DefaultFormatter),
		schema.WithDropColumn(true),
		schema.WithDropIndex(true),
		schema.WithErrNoPlan(true),
	)
	if errors.Is(err, atlas.ErrNoPlan) {
		return ""
	}
	if err != nil {
		t.Fatalf("diff: %v", err)
	}
	files, err := dir.Files()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, f := range files {
		b.Write(f.Bytes())
	}
	return b.String()
}

// scanRow scans the one row query returns into dest.
func scanRow(t *testing.T, client *ent.Client, query string, args []any, dest ...any) {
	t.Helper()
	rows, err := client.QueryContext(context.Background(), query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	if !rows.Next() {
		t.Fatalf("%s: no row (%v)", query, rows.Err())
	}
	if err := rows.Scan(dest...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// recordedVersions lists the versions in schema_migrations.
func recordedVersions(t *testing.T, client *ent.Client) []string {
	t.Helper()
	rows, err := client.QueryContext(context.Background(), "SELECT version FROM "+migrationTable+" ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func versionsOf(files []migrationFile) []string {
	var out []string
	for _, f := range files {
		out = append(out, f.Version)
	}
	return out
}

func namesOf(files []migrationFile) []string {
	var out []string
	for _, f := range files {
		out = append(out, f.Name)
	}
	return out
}

// extraMigration makes a migration for tests, newer than every real one.
func extraMigration(version, name string, stmts ...string) migrationFile {
	return newMigrationFile(version+"_"+name+".sql", []byte(strings.Join(stmts, "\n")), stmts)
}

// rebuildEnterprises is a later migration that changes the enterprises
// table the way Atlas alters a table on each dialect: on SQLite by building
// a new table, copying the rows, dropping the old one and renaming, which
// must not disturb the rows that refer to it (talents.employer_id is ON
// DELETE SET NULL); on PostgreSQL with ALTER TABLE.
func rebuildEnterprises(t *testing.T, dialectName string, first migrationFile) migrationFile {
	t.Helper()
	const version, name = "99990101000000", "rebuild_enterprises"
	if dialectName == "postgres" {
		return extraMigration(version, name, `ALTER TABLE "enterprises" ADD COLUMN "note" character varying NOT NULL DEFAULT '';`)
	}
	stmts := []string{"PRAGMA foreign_keys = off;"}
	var indexes []string
	for _, s := range first.Stmts {
		switch {
		case strings.HasPrefix(s, "CREATE TABLE `enterprises` "):
			s = strings.Replace(s, "CREATE TABLE `enterprises` (", "CREATE TABLE `new_enterprises` (`note` text NOT NULL DEFAULT (''), ", 1)
			stmts = append(stmts, s)
		case strings.Contains(s, " ON `enterprises` "):
			indexes = append(indexes, s)
		}
	}
	if len(stmts) != 2 || len(indexes) == 0 {
		t.Fatalf("cannot find the enterprises table in %s", first.Name)
	}
	stmts = append(stmts,
		"INSERT INTO `new_enterprises` (`id`, `credit_code`, `name`, `district`, `registered_on`, `created_at`) SELECT `id`, `credit_code`, `name`, `district`, `registered_on`, `created_at` FROM `enterprises`;",
		"DROP TABLE `enterprises`;",
		"ALTER TABLE `new_enterprises` RENAME TO `enterprises`;",
	)
	stmts = append(stmts, indexes...)
	stmts = append(stmts, "PRAGMA foreign_keys = on;")
	return extraMigration(version, name, stmts...)
}

// TestMigrationsMatchEntSchema applies every migration and finds no
// difference between the database and the ent schema.
func TestMigrationsMatchEntSchema(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		// prepare runs on the empty database before Migrate.
		prepare       func(t *testing.T, client *ent.Client)
		wantBaselined bool
		// damage runs after Migrate; wantDrift says whether ent must see it.
		damage    func(t *testing.T, client *ent.Client)
		wantDrift string
	}{
		{name: "empty database"},
		{
			// A database ent's auto-migration made before versioned
			// migrations has the tables of the first migration, which was
			// generated from the same schema, and no history.
			name: "database made by auto-migration",
			prepare: func(t *testing.T, client *ent.Client) {
				files, _ := testMigrations(t, client)
				for _, s := range files[0].Stmts {
					if _, err := client.ExecContext(ctx, s); err != nil {
						t.Fatal(err)
					}
				}
			},
			wantBaselined: true,
		},
		{
			// The check itself must see a difference when there is one.
			name: "index dropped afterwards",
			damage: func(t *testing.T, client *ent.Client) {
				if _, err := client.ExecContext(ctx, `DROP INDEX enterprise_district`); err != nil {
					t.Fatal(err)
				}
			},
			wantDrift: "enterprise_district",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
				client := openTestClient(t, db)
				files, _ := testMigrations(t, client)
				if tt.prepare != nil {
					tt.prepare(t, client)
				}
				res, err := applyAll(ctx, t, client)
				if err != nil {
					t.Fatal(err)
				}
				wantApplied, wantBaselined := namesOf(files), []string(nil)
				if tt.wantBaselined {
					wantApplied, wantBaselined = namesOf(files[1:]), namesOf(files[:1])
				}
				if !slices.Equal(res.Applied, wantApplied) || !slices.Equal(res.Baselined, wantBaselined) {
					t.Errorf("applied %v, baselined %v; want %v, %v", res.Applied, res.Baselined, wantApplied, wantBaselined)
				}
				last := files[len(files)-1].Version
				if res.Dialect != db.Name || res.Version != last || res.Total != len(files) {
					t.Errorf("result %+v; want dialect %s, version %s, total %d", res, db.Name, last, len(files))
				}
				if got := recordedVersions(t, client); !slices.Equal(got, versionsOf(files)) {
					t.Errorf("%s records %v; want %v", migrationTable, got, versionsOf(files))
				}
				if tt.damage != nil {
					tt.damage(t, client)
				}
				drift := schemaDrift(t, client)
				switch {
				case tt.wantDrift == "" && drift != "":
					t.Errorf("the migrated database differs from the ent schema; ent would run:\n%s", drift)
				case tt.wantDrift != "" && !strings.Contains(drift, tt.wantDrift):
					t.Errorf("drift %q does not mention %s", drift, tt.wantDrift)
				}
			})
		})
	}
}

// TestMigrationsUpgrade migrates a database that has some migrations and
// data to the newest, keeping the data.
func TestMigrationsUpgrade(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		// from are the migrations the database starts with; to, what it
		// ends with (nil: the embedded ones, through Migrate).
		from, to func(t *testing.T, dialectName string, files []migrationFile) []migrationFile
	}{
		{
			name: "first migration to all",
			from: func(_ *testing.T, _ string, files []migrationFile) []migrationFile { return files[:1] },
		},
		{
			name: "a later migration rebuilding a referenced table",
			from: func(_ *testing.T, _ string, files []migrationFile) []migrationFile { return files },
			to: func(t *testing.T, dialectName string, files []migrationFile) []migrationFile {
				return append(slices.Clone(files), rebuildEnterprises(t, dialectName, files[0]))
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
				client := openTestClient(t, db)
				files, apply := testMigrations(t, client)
				from := tt.from(t, db.Name, files)
				if _, err := apply(from); err != nil {
					t.Fatal(err)
				}
				created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
				exec := func(query string, args ...any) {
					t.Helper()
					if _, err := client.ExecContext(ctx, storetest.Rebind(db, query), args...); err != nil {
						t.Fatalf("%s: %v", query, err)
					}
				}
				exec(`INSERT INTO bureaus (id, name_zh, name_en) VALUES (?, ?, ?)`, "economy-it", "杭州市经信局", "Economy and IT")
				exec(`INSERT INTO enterprises (credit_code, name, district, registered_on, created_at) VALUES (?, ?, ?, ?, ?)`,
					"91330106MA27XK0A1Q", "示例科技有限公司", "滨江区", "2020-05-01", created)
				var enterpriseID int
				scanRow(t, client, storetest.Rebind(db, `SELECT id FROM enterprises WHERE credit_code = ?`), []any{"91330106MA27XK0A1Q"}, &enterpriseID)
				exec(`INSERT INTO talents (id, name, document_kind, document_hash, document_cipher, document_masked, nationality, created_at, employer_id)
					VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, "t-1", "陈思远", "id-card", "hash-1", []byte{1, 2, 3}, "1101**********002X", "CN", created, enterpriseID)

				var to []migrationFile
				if tt.to == nil {
					to = files
					if _, err := applyAll(ctx, t, client); err != nil {
						t.Fatal(err)
					}
				} else {
					to = tt.to(t, db.Name, files)
					res, err := apply(to)
					if err != nil {
						t.Fatal(err)
					}
					if want := namesOf(to[len(from):]); !slices.Equal(res.Applied, want) {
						t.Errorf("applied %v; want %v", res.Applied, want)
					}
				}
				if got := recordedVersions(t, client); !slices.Equal(got, versionsOf(to)) {
					t.Errorf("%s records %v; want %v", migrationTable, got, versionsOf(to))
				}
				var bureau, enterprise, district string
				var employer *int
				scanRow(t, client, `SELECT name_en FROM bureaus WHERE id = 'economy-it'`, nil, &bureau)
				scanRow(t, client, `SELECT name, district FROM enterprises`, nil, &enterprise, &district)
				scanRow(t, client, `SELECT employer_id FROM talents WHERE id = 't-1'`, nil, &employer)
				if bureau != "Economy and IT" || enterprise != "示例科技有限公司" || district != "滨江区" {
					t.Errorf("rows changed: bureau %q, enterprise %q in %q", bureau, enterprise, district)
				}
				if employer == nil || *employer != enterpriseID {
					t.Errorf("talent's employer_id = %v; want %d", employer, enterpriseID)
				}
				if tt.to == nil {
					if drift := schemaDrift(t, client); drift != "" {
						t.Errorf("the upgraded database differs from the ent schema; ent would run:\n%s", drift)
					}
				}
			})
		})
	}
}

// TestMigrationsTwiceIsNoOp applies the migrations twice; the second run
// changes nothing.
func TestMigrationsTwiceIsNoOp(t *testing.T) {
	ctx := context.Background()
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		client := openTestClient(t, db)
		files, _ := testMigrations(t, client)
		first, err := applyAll(ctx, t, client)
		if err != nil {
			t.Fatal(err)
		}
		history := func() string {
			rows, err := client.QueryContext(ctx, "SELECT version, name, checksum, applied_at FROM "+migrationTable+" ORDER BY version")
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var b strings.Builder
			for rows.Next() {
				var v, n, c string
				var at time.Time
				if err := rows.Scan(&v, &n, &c, &at); err != nil {
					t.Fatal(err)
				}
				b.WriteString(v + " " + n + " " + c + " " + at.UTC().Format(time.RFC3339Nano) + "\n")
			}
			return b.String()
		}
		before := history()
		second, err := applyAll(ctx, t, client)
		if err != nil {
			t.Fatal(err)
		}
		if len(second.Applied) != 0 || len(second.Baselined) != 0 || second.Version != first.Version || second.Total != len(files) {
			t.Errorf("second run %+v; want nothing applied, version %s, total %d", second, first.Version, len(files))
		}
		if after := history(); after != before {
			t.Errorf("history changed:\n%s\nthen:\n%s", before, after)
		}
	})
}

// TestMigrationsRefuse refuses histories the migrations cannot continue,
// and changes nothing when it does.
func TestMigrationsRefuse(t *testing.T) {
	later := extraMigration("99990101000000", "later", "CREATE TABLE test_later (id integer);")
	older := extraMigration("99980101000000", "older", "CREATE TABLE test_older (id integer);")
	tests := []struct {
		name           string
		applied, using func(files []migrationFile) []migrationFile
		wantErr        string
	}{
		{
			name:    "an applied file was changed",
			applied: func(files []migrationFile) []migrationFile { return files },
			using: func(files []migrationFile) []migrationFile {
				files = slices.Clone(files)
				f := files[0]
				tampered := append(slices.Clone(f.Stmts), "CREATE TABLE test_sneaked_in (id integer);")
				files[0] = newMigrationFile(f.Name, []byte(strings.Join(tampered, "\n")), tampered)
				return files
			},
			wantErr: "was changed after it was applied",
		},
		{
			name:    "the database has a migration this build lacks",
			applied: func(files []migrationFile) []migrationFile { return append(slices.Clone(files), later) },
			using:   func(files []migrationFile) []migrationFile { return files },
			wantErr: "which this build does not have",
		},
		{
			name:    "a pending migration is older than an applied one",
			applied: func(files []migrationFile) []migrationFile { return append(slices.Clone(files), later) },
			using:   func(files []migrationFile) []migrationFile { return append(slices.Clone(files), older, later) },
			wantErr: "is older than applied migration",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
				client := openTestClient(t, db)
				files, apply := testMigrations(t, client)
				if _, err := apply(tt.applied(files)); err != nil {
					t.Fatal(err)
				}
				before := recordedVersions(t, client)
				_, err := apply(tt.using(files))
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v; want one saying %q", err, tt.wantErr)
				}
				if after := recordedVersions(t, client); !slices.Equal(after, before) {
					t.Errorf("history changed from %v to %v", before, after)
				}
				for _, table := range []string{"test_sneaked_in", "test_older"} {
					if _, err := client.ExecContext(context.Background(), "SELECT 1 FROM "+table); err == nil {
						t.Errorf("table %s was created", table)
					}
				}
			})
		})
	}
}

// TestMigrationsConcurrent starts several migrators on one database at
// once, as replicas starting together do: every migration runs once.
func TestMigrationsConcurrent(t *testing.T) {
	dbs := []storetest.Database{{Name: "sqlite", URL: "sqlite:" + filepath.Join(t.TempDir(), "registry.db")}}
	for _, db := range storetest.Databases(t) {
		if db.Name == "postgres" {
			dbs = append(dbs, db)
		}
	}
	for _, db := range dbs {
		t.Run(db.Name, func(t *testing.T) {
			const replicas = 6
			var (
				wg      sync.WaitGroup
				mu      sync.Mutex
				applied []string
				errs    []error
				want    []migrationFile
			)
			clients := make([]*ent.Client, replicas)
			applies := make([]func([]migrationFile) (MigrationResult, error), replicas)
			for i := range clients {
				clients[i] = openTestClient(t, db)
				// Connect first: two connections opening a new SQLite file
				// at once may both try to switch it to WAL, and one gets
				// SQLITE_BUSY; that is not what this test is about.
				if _, err := clients[i].ExecContext(context.Background(), "SELECT 1"); err != nil {
					t.Fatal(err)
				}
				var files []migrationFile
				files, applies[i] = testMigrations(t, clients[i])
				want = append(slices.Clone(files), rebuildEnterprises(t, db.Name, files[0]))
			}
			for i := range replicas {
				wg.Add(1)
				go func() {
					defer wg.Done()
					res, err := applies[i](want)
					mu.Lock()
					defer mu.Unlock()
					applied = append(applied, res.Applied...)
					if err != nil {
						errs = append(errs, err)
					}
				}()
			}
			wg.Wait()
			if err := errors.Join(errs...); err != nil {
				t.Fatal(err)
			}
			slices.Sort(applied)
			if !slices.Equal(applied, namesOf(want)) {
				t.Errorf("applied %v between them; want each of %v once", applied, namesOf(want))
			}
			if got := recordedVersions(t, clients[0]); !slices.Equal(got, versionsOf(want)) {
				t.Errorf("%s records %v; want %v", migrationTable, got, versionsOf(want))
			}
		})
	}
}

// TestMigrationRefusesDuplicateFacts upgrades a database that holds two
// records of one grant, as racing writers made before natural keys were
// unique: the migration that makes them unique refuses, names the
// duplicate and says what to do, and leaves the database as it was; once
// the extra record is gone it applies.
func TestMigrationRefusesDuplicateFacts(t *testing.T) {
	storetest.ForEachDatabase(t, func(t *testing.T, db storetest.Database) {
		ctx := context.Background()
		client := openTestClient(t, db)
		files, apply := testMigrations(t, client)
		i := slices.IndexFunc(files, func(f migrationFile) bool { return f.Version == "20261201213818" })
		if i < 0 {
			t.Fatal("no one_record_per_fact migration")
		}
		if _, err := apply(files[:i]); err != nil {
			t.Fatal(err)
		}
		exec := func(query string, args ...any) {
			t.Helper()
			if _, err := client.ExecContext(ctx, storetest.Rebind(db, query), args...); err != nil {
				t.Fatalf("%s: %v", query, err)
			}
		}
		now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		exec(`INSERT INTO enterprises (credit_code, name, district, registered_on, created_at) VALUES (?, ?, ?, ?, ?)`,
			"91330106MA27XK0A1Q", "示例科技有限公司", "330108", "2020-05-01", now)
		var enterpriseID int
		scanRow(t, client, storetest.Rebind(db, `SELECT id FROM enterprises WHERE credit_code = ?`), []any{"91330106MA27XK0A1Q"}, &enterpriseID)
		for _, id := range []string{"d-1", "d-2"} {
			exec(`INSERT INTO designations (id, type, enterprise_id, level, status, valid_from, valid_until, granted_by_bureau, granted_by_subject,
				granted_by_org, document_number, note, seed_clause, status_reason, version, created_at, updated_at)
				VALUES (?, 'little-giant', ?, '', 'active', '2026-01-01', '2028-12-31', 'economy-it', '经信局 张三', '', '工信部企业函〔2026〕9号', '', '(十)', '', 1, ?, ?)`,
				id, enterpriseID, now, now)
		}
		_, err := apply(files)
		if err == nil || !strings.Contains(err.Error(), "工信部企业函〔2026〕9号") || !strings.Contains(err.Error(), "2 records") ||
			!strings.Contains(err.Error(), "registryd migrate") {
			t.Fatalf("migrating duplicates: %v; want a refusal naming the duplicate and what to do", err)
		}
		if got := recordedVersions(t, client); !slices.Equal(got, versionsOf(files[:i])) {
			t.Fatalf("after the refusal %s records %v; want %v", migrationTable, got, versionsOf(files[:i]))
		}
		exec(`DELETE FROM designations WHERE id = 'd-2'`)
		if _, err := apply(files); err != nil {
			t.Fatalf("migrating once the duplicate is gone: %v", err)
		}
	})
}

// sqlDB returns the pool under client and its dialect's name.
func sqlDB(client *ent.Client) (*sql.DB, string, error) {
	drv := client.Schema.Driver()
	if d, ok := drv.(*dialect.DebugDriver); ok {
		drv = d.Driver
	}
	p, ok := drv.(interface{ DB() *sql.DB })
	if !ok {
		return nil, "", fmt.Errorf("no connection pool under driver %T", drv)
	}
	switch d := drv.Dialect(); d {
	case dialect.SQLite:
		return p.DB(), "sqlite", nil
	case dialect.Postgres:
		return p.DB(), "postgres", nil
	default:
		return nil, "", fmt.Errorf("no migrations for dialect %q", d)
	}
}

// applyAll runs Migrate on the database under client.
func applyAll(ctx context.Context, t testing.TB, client *ent.Client) (MigrationResult, error) {
	t.Helper()
	pool, dialectName, err := sqlDB(client)
	if err != nil {
		t.Fatal(err)
	}
	return Migrate(ctx, &DB{Client: client, Pool: pool, Dialect: dialectName})
}
