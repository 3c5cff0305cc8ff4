// Package migrations holds the registry's versioned schema migrations, one
// directory per dialect (sqlite/, postgres/), embedded in the binary.
//
// The files are written by ent/migrate/gen, which `go generate ./ent` runs
// after regenerating the ent code: each schema change becomes a new file
// <version>_<name>.sql per dialect. Never edit a file once it has been
// applied anywhere; each directory's atlas.sum guards them, and the registry
// refuses a database whose record of an applied file disagrees with the
// file's checksum.
package migrations

import (
	"embed"
	"fmt"
	"io/fs"
	"path"

	"ariga.io/atlas/sql/migrate"
)

//go:embed sqlite postgres
var files embed.FS

// Dialects are the dialects there are migrations for, as ent names them.
var Dialects = []string{"sqlite", "postgres"}

// Dir returns the migration directory for dialect ("sqlite" or "postgres"),
// after checking its files against its atlas.sum.
func Dir(dialect string) (migrate.Dir, error) {
	entries, err := fs.ReadDir(files, dialect)
	if err != nil {
		return nil, fmt.Errorf("migrations: no migrations for dialect %q", dialect)
	}
	dir := &migrate.MemDir{}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := fs.ReadFile(files, path.Join(dialect, e.Name()))
		if err != nil {
			return nil, err
		}
		if err := dir.WriteFile(e.Name(), b); err != nil {
			return nil, err
		}
	}
	if err := migrate.Validate(dir); err != nil {
		return nil, fmt.Errorf("migrations: %s: %w (regenerate with `go generate ./ent`; never edit a migration file)", dialect, err)
	}
	return dir, nil
}
